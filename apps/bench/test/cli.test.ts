import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../src/bench-report.ts';
import { checkLayout } from './html-layout.ts';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const readme = fileURLToPath(new URL('../../../benchmarks/scenarios/README.md', import.meta.url));

// The kill timeout only stops a CLI that hangs: --quick takes tens of seconds, several times more
// on a busy machine, so the bound is far above that (no test asserts its time).
async function bench(args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--no-node-snapshot', cli, ...args], { timeout: 600_000, maxBuffer: 64 << 20 });
}

const labelPattern = /\[(measured|simulated|token-proxy|scripted)\b/;
let directory = '';
let report: BenchReport;
let markdown = '';
let stderr = '';

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'codecall-bench-'));
  // A leading `--`, as `./dev bench -- --quick` and `pnpm bench -- --quick` pass it.
  const result = await bench(['--', '--quick', '--out', join(directory, 'quick')]);
  stderr = result.stderr;
  report = JSON.parse(await readFile(join(directory, 'quick', 'report.json'), 'utf8')) as BenchReport;
  markdown = await readFile(join(directory, 'quick', 'report.md'), 'utf8');
});

afterAll(async () => {
  if (directory !== '') await rm(directory, { recursive: true, force: true });
});

/** Every Markdown table before the Methods section: header cells and body rows. */
function tablesOf(text: string): { header: string[]; rows: string[][] }[] {
  const body = text.slice(0, text.indexOf('\n## Methods'));
  const tables: { header: string[]; rows: string[][] }[] = [];
  let current: string[][] = [];
  for (const line of [...body.split('\n'), '']) {
    if (line.startsWith('|')) current.push(line.slice(1, -1).split(' | ').map((cell) => cell.trim()));
    else if (current.length > 0) {
      const [header, , ...rows] = current;
      tables.push({ header: header ?? [], rows });
      current = [];
    }
  }
  return tables;
}

describe('./dev bench -- --help', () => {
  it('prints the usage and exits 0 with a leading --', async () => {
    const { stdout } = await bench(['--', '--help']);
    expect(stdout).toMatch(/^Usage: \.\/dev bench -- \[options\]/);
    expect(stdout).toContain('--quick');
    expect(stdout).toContain('--no-break-even');
  });

  it('still refuses an unknown option after the --', async () => {
    await expect(bench(['--', '--no-such-option'])).rejects.toThrow(/Unknown option '--no-such-option'/);
  });
});

describe('./dev bench -- --quick', () => {
  it('writes the three reports, the verdict against parallel first', async () => {
    for (const name of ['report.md', 'report.json', 'report.html']) expect(existsSync(join(directory, 'quick', name)), name).toBe(true);
    const verdict = markdown.indexOf('## Verdict: when does programmatic calling pay?');
    expect(verdict).toBeGreaterThan(0);
    expect(markdown.slice(verdict, markdown.indexOf('\n', verdict))).toContain('against parallel tool use');
    for (const later of ['## Tokens by class', '## Break-even map', '## Calibration', '## Which sandbox should I pick?', '## Methods']) expect(markdown.indexOf(later), later).toBeGreaterThan(verdict);
  });

  it('shows progress for every phase with an estimate of the time left', () => {
    for (const phase of ['matrix', 'calibration', 'break-even', 'compactness']) expect(stderr, phase).toMatch(new RegExp(`\\[\\d/4 ${phase} `));
    expect(stderr).toMatch(/~\d+(m\d+)?s left/);
  });

  it('labels every numeric column of every table (measured / simulated / token-proxy / scripted)', () => {
    const numeric = /^[\s\d$.,x%()–~*/+-]*\d[\s\d$.,x%()–~*/+µmskB-]*(\(sandbox [$\d.]+\))?[\s\d$.,x%()–~*·/+µmskB-]*$/;
    const unlabelled: string[] = [];
    for (const { header, rows } of tablesOf(markdown)) {
      header.forEach((name, column) => {
        const values = rows.map((row) => row[column] ?? '').filter((value) => value !== '' && value !== '–');
        if (values.length === 0 || !values.every((value) => numeric.test(value.replace(/\*\*/g, '')))) return;
        if (!labelPattern.test(name) && !labelPattern.test(header[0] ?? '')) unlabelled.push(`${header.join(' | ')} → ${name}`);
      });
    }
    expect(unlabelled).toEqual([]);
    expect(markdown).toMatch(/correct \[scripted\]/);
    expect(markdown).not.toMatch(/correct \[measured\]/);
    expect(markdown).toMatch(/sampl\w+ local timing only/);
  });

  it('compares every code cell with parallel in dollars and seconds; sequential is an ablation', () => {
    expect(report.comparisons.length).toBeGreaterThan(0);
    for (const comparison of report.comparisons) {
      expect(comparison.baseline).toBe('parallel');
      const parallel = report.cells.find((cell) => cell.scenario === comparison.scenario && cell.preset === comparison.preset && cell.mode === 'parallel')!;
      expect(comparison.baselineCostUsd).toBe(parallel.stats.totalCostUsd?.median);
      expect(comparison.baselineLatencyMs).toBe(parallel.stats.latencyMs?.median);
      expect(comparison.costRatio).toBeCloseTo(comparison.codeCostUsd / comparison.baselineCostUsd, 10);
      expect(comparison.cheaper).toBe(comparison.codeCostUsd < comparison.baselineCostUsd);
    }
    expect(report.ablation.length).toBe(report.comparisons.length);
    for (const comparison of report.ablation) {
      expect(comparison.baseline).toBe('sequential');
      expect(comparison.asExpected).toBeNull();
    }
    // The headline table's baseline column is parallel, and sequential is marked as the ablation.
    const headline = tablesOf(markdown)[0]!;
    expect(headline.header[1]).toMatch(/^parallel: cost/);
    expect(headline.header.some((name) => /sequential, ablation/.test(name))).toBe(true);
  });

  it('prices tokens by class: uncached input, cache writes 1.25x, cache reads 0.1x, output', () => {
    const sonnet = report.parameters.presets.find((preset) => preset.id === 'sonnet')!;
    for (const cell of report.cells.filter((candidate) => candidate.status === 'measured')) {
      const run = cell.runs[0]!;
      const expected = (run.inputTokens * sonnet.prices.inputPerMillionTokens + run.cacheCreationInputTokens * sonnet.prices.inputPerMillionTokens * 1.25 + run.cacheReadInputTokens * sonnet.prices.inputPerMillionTokens * 0.1 + run.outputTokens * sonnet.prices.outputPerMillionTokens) / 1_000_000;
      expect(run.tokenCostUsd).toBeCloseTo(expected, 12);
      expect(run.totalCostUsd).toBeCloseTo(run.tokenCostUsd + run.sandboxCostUsd, 12);
    }
  });

  it('the strictly sequential chain is where code loses against parallel', () => {
    const chain = report.comparisons.filter((comparison) => comparison.scenario === 'sequential-chain' && comparison.mode === 'programmatic');
    expect(chain.length).toBeGreaterThan(0);
    for (const row of chain) expect(row.cheaper && row.faster).toBe(false);
    expect(markdown.indexOf('Code loses — sequential-chain')).toBeGreaterThan(0);
    // Losses are stated before wins.
    const pays = markdown.indexOf('**Code pays');
    if (pays !== -1) expect(markdown.indexOf('Code loses')).toBeLessThan(pays);
  });

  it('holds every cell of the matrix, skipped sandboxes with their reason', () => {
    const sandboxes = report.sandboxes.available.length + report.sandboxes.skipped.length;
    // sequential, parallel, native and hybrid, plus programmatic on every sandbox
    expect(report.cells).toHaveLength(report.scenarios.length * (4 + sandboxes));
    for (const cell of report.cells.filter((candidate) => candidate.status === 'skipped')) expect(cell.reason ?? '').not.toBe('');
    expect(report.sandboxes.available.map((entry) => entry.id)).toContain('isolated-vm');
    if (process.env['E2B_API_KEY'] === undefined) expect(report.sandboxes.skipped.find((entry) => entry.id === 'e2b')?.reason).toMatch(/E2B_API_KEY/);
  });

  it('runs hybrid cells as the model chose: programs, or direct calls only', () => {
    const threshold = report.behaviour.find((parameter) => parameter.name === 'hybridCodeMaxOutputShare')?.value;
    expect(typeof threshold).toBe('number');
    const hybrid = report.cells.filter((cell) => cell.mode === 'hybrid');
    expect(hybrid.map((cell) => [cell.status, cell.sandbox])).toEqual(report.scenarios.map(() => ['measured', 'isolated-vm']));
    for (const cell of hybrid) {
      expect(cell.hybrid?.choice).toBe(cell.hybrid!.outputShare <= (threshold as number) ? 'code' : 'direct');
      const { codeRuns, directCalls } = cell.runs[0]!;
      if (cell.hybrid?.choice === 'direct') expect([codeRuns, directCalls > 0]).toEqual([0, true]);
      else expect(codeRuns).toBeGreaterThan(0);
    }
    // sequential-chain's programs return more than its two small results: the model calls directly.
    expect(hybrid.find((cell) => cell.scenario === 'sequential-chain')?.hybrid?.choice).toBe('direct');
    expect(markdown).toMatch(/\| sequential-chain \| direct calls \| [\d,]+ \/ [\d,]+ = [\d.]+ \|/);
  });

  it('names in the verdict every published figure that is in sample, and counts those out of sample', () => {
    const compared = (report.publishedFigures ?? []).filter((comparison) => comparison.verdict !== 'no-scenario');
    const inSample = compared.filter((comparison) => comparison.figure.inSample === true);
    expect(inSample.length).toBeGreaterThan(0);
    const line = markdown.split('\n').find((candidate) => candidate.startsWith('- **Published figures the model was not fitted to**')) ?? '';
    const outOfSample = compared.filter((comparison) => comparison.verdict !== 'outside' && comparison.figure.inSample !== true).length;
    expect(line).toContain(`, ${String(outOfSample)} of them out of sample (${inSample.map((comparison) => comparison.figure.id).join(', ')} in sample`);
  });

  it('has a break-even map read into the verdict', () => {
    expect(report.breakEven.status).toBe('measured');
    if (report.breakEven.status !== 'measured') return;
    expect(report.breakEven.points).toHaveLength(report.breakEven.axes.calls.length * report.breakEven.axes.resultBytes.length * report.breakEven.axes.failureRates.length);
    for (const point of report.breakEven.points) expect(point.correct).toBe(true);
    expect(markdown).toMatch(/\*\*Cheaper than parallel:\*\* /);
    expect(markdown).toMatch(/\*\*Faster than parallel:\*\* /);
    expect(report.breakEven.axes.failureRates.length).toBeGreaterThan(1);
  });

  it('--render rebuilds the same report.md and report.html from report.json', async () => {
    const before = await readFile(join(directory, 'quick', 'report.html'), 'utf8');
    await rm(join(directory, 'quick', 'report.md'));
    await bench(['--', '--render', join(directory, 'quick')]);
    expect(await readFile(join(directory, 'quick', 'report.md'), 'utf8')).toBe(markdown);
    expect(await readFile(join(directory, 'quick', 'report.html'), 'utf8')).toBe(before);
  });

  it('records the machine, versions, parameters, token counting method and latency preset', () => {
    expect(report.schemaVersion).toBe(2);
    expect(report.machine['cores']).toBeGreaterThan(0);
    expect(report.versions['node']).toBe(process.version);
    expect(report.parameters.quick).toBe(true);
    expect(report.methods.tokenCounting).toMatch(/o200k/);
    expect(Object.keys(report.methods.latency)).toEqual(['sonnet']);
    expect(report.methods.metrics.roundTrips.label).toBe('simulated');
    expect(report.methods.metrics.sandboxTimeMs.label).toBe('measured');
    expect(report.methods.metrics.totalInputTokens.label).toBe('token-proxy');
    expect(report.methods.metrics.correct.label).toBe('scripted');
    expect(report.compactness.status).toBe('measured');
  });
});

describe('the HTML report in headless Chromium', () => {
  it('puts the verdict above the first chart, clips no text, keeps one colour per series, draws headline charts on linear axes', async () => {
    const screenshot = join(directory, 'report.png');
    const findings = await checkLayout(join(directory, 'quick', 'report.html'), screenshot);
    expect(findings.verdictBottom).not.toBeNull();
    expect(findings.firstChartTop).not.toBeNull();
    expect(findings.verdictBottom!).toBeLessThanOrEqual(findings.firstChartTop!);
    expect(findings.overflowing).toEqual([]);
    expect(findings.pageOverflowPx).toBe(0);
    expect(findings.inconsistentSeries).toEqual([]);
    for (const title of findings.headlineTitles) expect(title).toMatch(/linear scale/);
    // One break-even line per failure rate in each of the two maps (cost, latency).
    expect(findings.breakEvenLines).toBe(2 * (report.breakEven.status === 'measured' ? report.breakEven.axes.failureRates.length : 0));
    expect(findings.charts).toBeGreaterThanOrEqual(7);
    expect((await readFile(screenshot)).subarray(1, 4).toString()).toBe('PNG');
    // The Methods section is tables and sentences, not JSON.
    const html = await readFile(join(directory, 'quick', 'report.html'), 'utf8');
    const methods = html.slice(html.indexOf('<h2>Methods</h2>'));
    expect(methods).not.toMatch(/\{&quot;/);
  });
});

describe('pnpm bench --scenarios <dir>', () => {
  it('runs the annotated example of the scenario README from a directory outside the repository', async () => {
    const text = await readFile(readme, 'utf8');
    const example = /```ts\n(\/\/ my-scenarios\/stock-value\.ts[\s\S]*?)```/.exec(text)?.[1];
    expect(example).toBeDefined();
    const scenarios = join(directory, 'my-scenarios');
    await run('mkdir', ['-p', scenarios]);
    await writeFile(join(scenarios, 'stock-value.ts'), example!);
    await writeFile(
      join(scenarios, 'plain.mjs'),
      `export const scenario = { id: 'plain-js', title: 'Plain object, no import', expected: '42',
  tools: [{ name: 'answer', description: 'The answer.', inputSchema: { type: 'object', properties: {} }, execute: () => 42 }],
  task: 'What is the answer?',
  direct: (state) => (state.has('answer') ? 'It is ' + state.find('answer') + '.' : [{ tool: 'answer' }]),
  code: (state) => state.outputs.length === 0 ? { javascript: 'console.log(JSON.stringify(await answer({})));', python: 'import json\\nprint(json.dumps(await answer({})))' } : 'It is ' + state.outputs[0] + '.' };\n`,
    );
    await bench(['--quick', '--no-compactness', '--no-break-even', '--no-calibration', '--scenarios', scenarios, '--out', join(directory, 'custom')]);
    const custom = JSON.parse(await readFile(join(directory, 'custom', 'report.json'), 'utf8')) as BenchReport;
    expect(custom.scenarios.map((scenario) => scenario.id).sort()).toEqual(['plain-js', 'stock-value']);
    const measured = custom.cells.filter((cell) => cell.status === 'measured');
    expect(measured.length).toBeGreaterThanOrEqual(2 * 4);
    expect(measured.filter((cell) => cell.runs.some((entry) => entry.correct === 0)).map((cell) => `${cell.scenario} ${cell.mode} ${cell.sandbox}`)).toEqual([]);
    const stock = custom.ablation.find((comparison) => comparison.scenario === 'stock-value' && comparison.sandbox === 'isolated-vm');
    expect(stock?.baselineRoundTrips).toBe(5);
    expect(stock!.codeRoundTrips).toBeLessThan(stock!.baselineRoundTrips);
  });

  it('rejects a malformed scenario file with the file and the problem', async () => {
    const bad = join(directory, 'bad');
    await run('mkdir', ['-p', bad]);
    await writeFile(join(bad, 'broken.mjs'), "export const scenario = { id: 'Broken Id', title: 'x' };\n");
    await expect(bench(['--quick', '--scenarios', bad, '--out', join(directory, 'bad-out')])).rejects.toThrow(/broken\.mjs: `id` must be a kebab-case string/);
  });
});
