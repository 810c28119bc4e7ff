// A code-writing task: the test suite of a small TypeScript library fails; find the bug, fix it,
// run the tests again. The tools are shaped like a coding agent's (run the tests, grep, read a file
// with line numbers, replace a unique string), and the model must read the code whole before it can
// write the fix, in every mode. Code can chain the navigation (tests, then grep, then read) into one
// program; it cannot spare the model reading the files.
import { defineScenario } from '@codecall/bench-scenarios';

interface Failure {
  name: string;
  file: string;
  line: number;
  error: string;
}
interface TestReport {
  passed: number;
  failed: Failure[];
}
interface GrepMatch {
  file: string;
  line: number;
  text: string;
}

// The library as checked out: `toMilliseconds` multiplies seconds by 100.
const durationSource = `/**
 * Durations as people write them in configuration files: "90s", "1h30m", "2d", "250ms".
 * Every function here works in whole milliseconds.
 */

export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd';

/** One number and its unit, as in "1.5h". Sticky: matched at \`lastIndex\` only. */
const PART = /(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)/y;

/** Units from the largest to the smallest, with their size in milliseconds. */
const UNITS: readonly (readonly [DurationUnit, number])[] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

const RANK: Readonly<Record<DurationUnit, number>> = { ms: 0, s: 1, m: 2, h: 3, d: 4 };

/** A duration that cannot be read, with the input and the reason. */
export class DurationError extends Error {
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(\`Invalid duration "\${input}": \${reason}\`);
    this.name = 'DurationError';
  }
}

/** Milliseconds in \`value\` units of \`unit\`. */
export function toMilliseconds(value: number, unit: DurationUnit): number {
  switch (unit) {
    case 'ms':
      return value;
    case 's':
      return value * 100;
    case 'm':
      return value * 60_000;
    case 'h':
      return value * 3_600_000;
    case 'd':
      return value * 86_400_000;
  }
}

/**
 * Parses a duration such as "1h30m" into milliseconds. Parts come from the largest unit to the
 * smallest, each unit at most once; spaces between parts are allowed; a bare number is
 * milliseconds.
 *
 * @throws DurationError for empty input, unknown units or parts out of order.
 */
export function parseDuration(input: string): number {
  const text = input.trim();
  if (text === '') throw new DurationError(input, 'empty');
  if (/^\\d+$/.test(text)) return Number(text);
  let total = 0;
  let position = 0;
  let previous = Number.POSITIVE_INFINITY;
  while (position < text.length) {
    if (text[position] === ' ') {
      position++;
      continue;
    }
    PART.lastIndex = position;
    const match = PART.exec(text);
    if (match === null) throw new DurationError(input, \`unexpected "\${text.slice(position)}"\`);
    const unit = match[2] as DurationUnit;
    if (RANK[unit] >= previous) throw new DurationError(input, \`"\${unit}" out of order\`);
    previous = RANK[unit];
    total += toMilliseconds(Number(match[1]), unit);
    position = PART.lastIndex;
  }
  return Math.round(total);
}

/** Formats milliseconds as the shortest text \`parseDuration\` reads back ("1h30m", "250ms"). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(\`formatDuration: \${ms} is not a duration\`);
  let rest = Math.round(ms);
  if (rest === 0) return '0ms';
  let text = '';
  for (const [unit, size] of UNITS) {
    if (rest < size) continue;
    text += \`\${Math.floor(rest / size)}\${unit}\`;
    rest %= size;
  }
  return text;
}

/** \`parseDuration\` for optional settings: \`fallback\` when the value is missing or blank. */
export function durationOr(value: string | undefined, fallback: number): number {
  return value === undefined || value.trim() === '' ? fallback : parseDuration(value);
}
`;

const retrySource = `import { parseDuration } from './duration';

export interface RetryOptions {
  /** Attempts in all, the first included. Default 3. */
  attempts?: number;
  /** Pause before the first retry, as a duration ("250ms", "2s"). Default "500ms". */
  backoff?: string;
}

/** Runs \`task\` until it succeeds or the attempts are used up, doubling the pause each time. */
export async function retry<T>(task: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 3;
  let pause = parseDuration(options.backoff ?? '500ms');
  for (let attempt = 1; ; attempt++) {
    try {
      return await task();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause *= 2;
    }
  }
}
`;

const indexSource = `export { DurationError, durationOr, formatDuration, parseDuration, toMilliseconds } from './duration';
export type { DurationUnit } from './duration';
export { retry } from './retry';
export type { RetryOptions } from './retry';
`;

const readme = `# @acme/durations

Read and write durations as people type them in configuration: \`"90s"\`, \`"1h30m"\`, \`"250ms"\`.

\`\`\`ts
import { durationOr, formatDuration, parseDuration } from '@acme/durations';

parseDuration('1h30m'); // 5400000
formatDuration(90_000); // "1m30s"
durationOr(process.env.TIMEOUT, 30_000);
\`\`\`

\`retry(task, { attempts, backoff })\` retries a failing promise with a doubling pause.

Run the tests with \`pnpm test\`.
`;

// The test suite. Each case is checked by `runTests` below against the code as it stands.
type Case =
  | { kind: 'parse'; group: 'parseDuration' | 'durationOr'; name: string; input: string | undefined; expected: number }
  | { kind: 'throws'; name: string; input: string }
  | { kind: 'format'; name: string; ms: number; expected: string }
  | { kind: 'round-trip'; name: string; values: number[] };

const cases: Case[] = [
  { kind: 'parse', group: 'parseDuration', name: 'parses milliseconds', input: '250ms', expected: 250 },
  { kind: 'parse', group: 'parseDuration', name: 'parses seconds', input: '90s', expected: 90_000 },
  { kind: 'parse', group: 'parseDuration', name: 'parses minutes', input: '15m', expected: 900_000 },
  { kind: 'parse', group: 'parseDuration', name: 'parses hours', input: '2h', expected: 7_200_000 },
  { kind: 'parse', group: 'parseDuration', name: 'parses days', input: '1d', expected: 86_400_000 },
  { kind: 'parse', group: 'parseDuration', name: 'parses fractions', input: '1.5h', expected: 5_400_000 },
  { kind: 'parse', group: 'parseDuration', name: 'parses compound durations', input: '1h30m15s', expected: 5_415_000 },
  { kind: 'parse', group: 'parseDuration', name: 'allows spaces between parts', input: '2h 30m', expected: 9_000_000 },
  { kind: 'parse', group: 'parseDuration', name: 'reads a bare number as milliseconds', input: '1200', expected: 1_200 },
  { kind: 'throws', name: 'rejects parts out of order', input: '30m1h' },
  { kind: 'throws', name: 'rejects unknown units', input: '5y' },
  { kind: 'throws', name: 'rejects empty input', input: '   ' },
  { kind: 'format', name: 'formats milliseconds', ms: 250, expected: '250ms' },
  { kind: 'format', name: 'formats compound durations', ms: 5_415_000, expected: '1h30m15s' },
  { kind: 'format', name: 'formats zero', ms: 0, expected: '0ms' },
  { kind: 'round-trip', name: 'round-trips through parseDuration', values: [1_500, 90_000, 5_415_000, 93_784_000] },
  { kind: 'parse', group: 'durationOr', name: 'falls back when the value is missing', input: undefined, expected: 5_000 },
  { kind: 'parse', group: 'durationOr', name: 'parses the value when present', input: '10s', expected: 10_000 },
];

const groupOf = (test: Case): string => (test.kind === 'parse' ? test.group : test.kind === 'throws' ? 'parseDuration' : 'formatDuration');

const testFile = (() => {
  const lines = ["import { describe, expect, it } from 'vitest';", "import { DurationError, durationOr, formatDuration, parseDuration } from '../src/duration';", ''];
  const where = new Map<Case, number>();
  for (const group of ['parseDuration', 'formatDuration', 'durationOr']) {
    lines.push(`describe('${group}', () => {`);
    for (const test of cases.filter((candidate) => groupOf(candidate) === group)) {
      lines.push(`  it('${test.name}', () => {`);
      where.set(test, lines.length + 1);
      if (test.kind === 'parse' && test.group === 'parseDuration') lines.push(`    expect(parseDuration('${test.input}')).toBe(${test.expected});`);
      else if (test.kind === 'parse') lines.push(`    expect(durationOr(${test.input === undefined ? 'undefined' : `'${test.input}'`}, 5_000)).toBe(${test.expected});`);
      else if (test.kind === 'throws') lines.push(`    expect(() => parseDuration('${test.input}')).toThrow(DurationError);`);
      else if (test.kind === 'format') lines.push(`    expect(formatDuration(${test.ms})).toBe('${test.expected}');`);
      else lines.push(`    for (const ms of [${test.values.join(', ')}]) expect(parseDuration(formatDuration(ms))).toBe(ms);`);
      lines.push('  });');
    }
    lines.push('});', '');
  }
  return { text: lines.join('\n'), lineOf: (test: Case) => where.get(test)! };
})();

const initialFiles = (): Map<string, string> =>
  new Map([
    ['README.md', readme],
    ['src/duration.ts', durationSource],
    ['src/index.ts', indexSource],
    ['src/retry.ts', retrySource],
    ['test/duration.test.ts', testFile.text],
  ]);
let files = initialFiles();

/**
 * The factor of each unit in `toMilliseconds` as the file now reads: each `case '<unit>':` and the
 * `return` after it, which may be `value`, `value * N` or `N * value` with a numeric literal N
 * (`1000`, `1_000`, `1e3`). A unit whose return is anything else has no factor, and its tests fail.
 * (The edited code is read, never run: in a live run a real model writes it.)
 */
function factorsOf(source: string): Partial<Record<string, number>> {
  const factors: Partial<Record<string, number>> = {};
  const literal = String.raw`(\d[\d_]*(?:\.\d[\d_]*)?(?:e\d+)?)`;
  const product = new RegExp(String.raw`^(?:value|value\s*\*\s*${literal}|${literal}\s*\*\s*value)$`);
  for (const match of source.matchAll(/case '(ms|s|m|h|d)':\s*return\s+([^;\n]+);/g)) {
    const parts = product.exec(match[2]!.trim());
    if (parts === null) continue;
    const digits = parts[1] ?? parts[2];
    factors[match[1]!] = digits === undefined ? 1 : Number(digits.replaceAll('_', ''));
  }
  return factors;
}

/** `parseDuration` of the file as it now reads (the parsing code itself is not edited here). */
function parseWith(factors: Partial<Record<string, number>>, input: string): number {
  const text = input.trim();
  if (text === '') throw new Error('DurationError: empty');
  if (/^\d+$/.test(text)) return Number(text);
  const rank: Record<string, number> = { ms: 0, s: 1, m: 2, h: 3, d: 4 };
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
  let total = 0;
  let position = 0;
  let previous = Number.POSITIVE_INFINITY;
  while (position < text.length) {
    if (text[position] === ' ') {
      position++;
      continue;
    }
    part.lastIndex = position;
    const match = part.exec(text);
    if (match === null) throw new Error('DurationError: unexpected');
    const unit = match[2]!;
    if (rank[unit]! >= previous) throw new Error('DurationError: out of order');
    previous = rank[unit]!;
    const factor = factors[unit];
    if (factor === undefined) throw new Error(`the test runner cannot evaluate toMilliseconds for "${unit}" (it reads returns of the form value * <number>)`);
    total += Number(match[1]) * factor;
    position = part.lastIndex;
  }
  return Math.round(total);
}

function formatMs(ms: number): string {
  let rest = Math.round(ms);
  if (rest === 0) return '0ms';
  let text = '';
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000], ['ms', 1]] as const) {
    if (rest < size) continue;
    text += `${Math.floor(rest / size)}${unit}`;
    rest %= size;
  }
  return text;
}

/** Runs the suite against the files as they now are, as vitest would report it. */
function runTests(): TestReport {
  const factors = factorsOf(files.get('src/duration.ts') ?? '');
  const report: TestReport = { passed: 0, failed: [] };
  for (const test of cases) {
    let error: string | undefined;
    try {
      if (test.kind === 'parse') {
        const actual = test.input === undefined ? test.expected : parseWith(factors, test.input);
        if (actual !== test.expected) error = `AssertionError: expected ${actual} to be ${test.expected} // Object.is equality`;
      } else if (test.kind === 'throws') {
        let threw = false;
        try {
          parseWith(factors, test.input);
        } catch {
          threw = true;
        }
        if (!threw) error = 'AssertionError: expected [Function] to throw an error';
      } else if (test.kind === 'format') {
        const actual = formatMs(test.ms);
        if (actual !== test.expected) error = `AssertionError: expected '${actual}' to be '${test.expected}' // Object.is equality`;
      } else {
        for (const ms of test.values) {
          const actual = parseWith(factors, formatMs(ms));
          if (actual !== ms) {
            error = `AssertionError: expected ${actual} to be ${ms} // Object.is equality`;
            break;
          }
        }
      }
    } catch (thrown) {
      error = String(thrown);
    }
    if (error === undefined) report.passed++;
    else report.failed.push({ name: `${groupOf(test)} > ${test.name}`, file: 'test/duration.test.ts', line: testFile.lineOf(test), error });
  }
  return report;
}

const numbered = (text: string): string =>
  text
    .split('\n')
    .map((line, index) => `${String(index + 1).padStart(6)}\t${line}`)
    .join('\n');

/** What the model sees when it reads the code: the line of `toMilliseconds` that is wrong, and the fix. */
function secondsFix(numberedText: string): { old_string: string; new_string: string } | undefined {
  const lines = numberedText.split('\n').map((line) => line.replace(/^\s*\d+\t/, ''));
  const at = lines.findIndex((line) => line.trim() === "case 's':");
  const body = lines[at + 1];
  if (at < 0 || body === undefined || body.trim() === 'return value * 1_000;') return undefined;
  return { old_string: `${lines[at]}\n${body}`, new_string: `${lines[at]}\n${body.replace(/return value.*;/, 'return value * 1_000;')}` };
}

const functionsOf = (failures: readonly Failure[]): string[] => [...new Set(failures.map((failure) => failure.name.split(' > ')[0]!))];

const answer = (before: TestReport, after: TestReport): string =>
  after.failed.length > 0
    ? `After the edit ${after.failed.length} tests still fail: ${after.failed.map((failure) => failure.name).join('; ')}.`
    : `Fixed toMilliseconds in src/duration.ts: it multiplied seconds by 100 instead of 1,000, which broke ${functionsOf(before.failed).join(', ')} (${before.failed.length} failing tests). All ${after.passed} tests pass now.`;

const allPass = cases.length;

// Program 1: run the tests, then find and read the code under test. No judgement is needed between
// these calls, so a program chains them; the model reads what it prints (the files whole).
const readJavascript = `const report = await run_tests({});
const names = [...new Set(report.failed.map((f) => f.name.split(' > ')[0]))];
const found = await Promise.all(names.map((name) => grep({ pattern: \`function \${name}\` })));
const paths = [...new Set([...found.flat().map((m) => m.file), ...report.failed.map((f) => f.file)])];
const texts = await Promise.all(paths.map((path) => read_file({ path })));
console.log(JSON.stringify({ passed: report.passed, failed: report.failed, files: Object.fromEntries(paths.map((path, i) => [path, texts[i]])) }));`;

const readPython = `import asyncio, json
report = await run_tests({})
names = list(dict.fromkeys(f["name"].split(" > ")[0] for f in report["failed"]))
found = await asyncio.gather(*[grep({"pattern": f"function {name}"}) for name in names])
paths = list(dict.fromkeys([m["file"] for matches in found for m in matches] + [f["file"] for f in report["failed"]]))
texts = await asyncio.gather(*[read_file({"path": path}) for path in paths])
print(json.dumps({"passed": report["passed"], "failed": report["failed"], "files": dict(zip(paths, texts))}))`;

interface ReadOutput {
  passed: number;
  failed: Failure[];
  files: Record<string, string>;
}
interface FixOutput {
  passed: number;
  failed: Failure[];
}

export const scenario = defineScenario({
  id: 'fix-failing-test',
  title: 'Fix a failing test in a small library',
  description:
    "Run a TypeScript library's tests, find the code under the failing tests, read it, fix the bug and run the tests again. The model must read the code whole in every mode; code only chains the navigation.",
  workload: 'code-writing',
  reset: () => {
    files = initialFiles();
  },
  tools: [
    {
      name: 'run_tests',
      description: "Runs the project's test suite (vitest). Returns { passed: number, failed: [{ name, file, line, error }] }, where name is 'describe > it'.",
      inputSchema: { type: 'object', properties: {}, additionalProperties: false },
      execute: () => runTests(),
    },
    {
      name: 'grep',
      description: 'Searches the files of the repository for a regular expression. Returns the matching lines as [{ file, line, text }] (at most 100).',
      inputSchema: { type: 'object', properties: { pattern: { type: 'string' } }, required: ['pattern'] },
      execute: (input) => {
        const pattern = new RegExp((input as { pattern: string }).pattern);
        const matches: GrepMatch[] = [];
        for (const [file, text] of files) {
          text.split('\n').forEach((line, index) => {
            if (pattern.test(line) && matches.length < 100) matches.push({ file, line: index + 1, text: line });
          });
        }
        return matches;
      },
    },
    {
      name: 'read_file',
      description: 'Reads a file of the repository. Returns its text with line numbers (cat -n format: the number, a tab, the line).',
      inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
      execute: (input) => {
        const { path } = input as { path: string };
        const text = files.get(path);
        if (text === undefined) throw new Error(`No such file: ${path}.`);
        return numbered(text);
      },
    },
    {
      name: 'edit_file',
      description: 'Replaces old_string with new_string in a file. old_string must occur exactly once. Returns { path, replacements }.',
      inputSchema: {
        type: 'object',
        properties: { path: { type: 'string' }, old_string: { type: 'string' }, new_string: { type: 'string' } },
        required: ['path', 'old_string', 'new_string'],
      },
      execute: (input) => {
        const { path, old_string: before, new_string: after } = input as { path: string; old_string: string; new_string: string };
        const text = files.get(path);
        if (text === undefined) throw new Error(`No such file: ${path}.`);
        const count = text.split(before).length - 1;
        if (count !== 1) throw new Error(`old_string occurs ${count} times in ${path}; it must occur exactly once.`);
        files.set(path, text.replace(before, () => after));
        return { path, replacements: 1 };
      },
    },
  ],
  declaredOutputs: ['run_tests', 'grep', 'read_file', 'edit_file'],
  sideEffectTools: ['edit_file'],
  task: 'The test suite of this repository fails. Find the bug, fix it, and make sure all tests pass. Tell me what was wrong.',
  expected: `src/duration.ts: seconds multiplied by 100 instead of 1,000; all ${allPass} tests pass`,
  // The file, the right factor (1000 in any spelling) and every test passing, in any wording and case.
  check: (text) => {
    const lower = text.toLowerCase();
    return lower.includes('src/duration.ts') && /\b1[,_]?000\b/.test(lower) && new RegExp(`\\b${allPass}\\b[^.]*\\bpass`).test(lower);
  },
  direct: (state) => {
    const reports = state.results.filter((result) => result.tool === 'run_tests' && !result.isError).map((result) => result.value as TestReport);
    const before = reports[0];
    if (before === undefined) return [{ tool: 'run_tests' }];
    if (before.failed.length === 0) return `All ${before.passed} tests pass already; there is nothing to fix.`;
    // Locate the functions under the failing tests, and read the failing test file beside them.
    const names = functionsOf(before.failed);
    const testFiles = [...new Set(before.failed.map((failure) => failure.file))];
    const locate = [
      ...names.filter((name) => !state.has('grep', { pattern: `function ${name}` })).map((name) => ({ tool: 'grep', input: { pattern: `function ${name}` } })),
      ...testFiles.filter((path) => !state.has('read_file', { path })).map((path) => ({ tool: 'read_file', input: { path } })),
    ];
    if (locate.length > 0) return { calls: locate, dataDependent: true };
    const sources = [...new Set(names.flatMap((name) => ((state.find('grep', { pattern: `function ${name}` }) as GrepMatch[] | undefined) ?? []).map((match) => match.file)))];
    const unread = sources.filter((path) => !state.has('read_file', { path }));
    if (unread.length > 0) return { calls: unread.map((path) => ({ tool: 'read_file', input: { path } })), dataDependent: true };
    // Write the fix from the code as read.
    const path = sources[0];
    if (path === undefined) return 'I could not find the code under the failing tests.';
    if (!state.has('edit_file', { path })) {
      const fix = secondsFix(state.find('read_file', { path }) as string);
      if (fix === undefined) return `I read ${path} but could not find the bug.`;
      return { calls: [{ tool: 'edit_file', input: { path, ...fix } }], dataDependent: true };
    }
    const after = reports[1];
    if (after === undefined) return [{ tool: 'run_tests' }];
    return answer(before, after);
  },
  code: (state) => {
    if (state.outputs.length === 0) return { javascript: readJavascript, python: readPython, dataDependent: true };
    const read = state.outputs[0] as ReadOutput;
    if (read.failed.length === 0) return `All ${read.passed} tests pass already; there is nothing to fix.`;
    if (state.outputs.length === 1) {
      const path = Object.keys(read.files).find((file) => file.startsWith('src/'));
      const fix = path === undefined ? undefined : secondsFix(read.files[path]!);
      if (path === undefined || fix === undefined) return 'I read the code under the failing tests but could not find the bug.';
      const input = JSON.stringify({ path, ...fix });
      return {
        javascript: `await edit_file(${input});\nconst report = await run_tests({});\nconsole.log(JSON.stringify({ passed: report.passed, failed: report.failed }));`,
        python: `import json\nawait edit_file(${input})\nreport = await run_tests({})\nprint(json.dumps({"passed": report["passed"], "failed": report["failed"]}))`,
      };
    }
    return answer(read, state.outputs[1] as FixOutput);
  },
});
