import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../src/bench-report.ts';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const readme = fileURLToPath(new URL('../../../benchmarks/scenarios/README.md', import.meta.url));

async function bench(args: readonly string[]): Promise<{ stdout: string; stderr: string; seconds: number }> {
  const started = performance.now();
  const { stdout, stderr } = await run(process.execPath, ['--no-node-snapshot', cli, ...args], { timeout: 170_000, maxBuffer: 64 << 20 });
  return { stdout, stderr, seconds: (performance.now() - started) / 1000 };
}

const fanOut = ['budget-compliance', 'independent-lookups', 'paginated-loop', 'search-then-fetch', 'task-orchestration', 'container-inspection'];
let directory = '';
let report: BenchReport;
let quickSeconds = 0;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'codecall-bench-'));
  const result = await bench(['--quick', '--out', join(directory, 'quick')]);
  quickSeconds = result.seconds;
  report = JSON.parse(await readFile(join(directory, 'quick', 'report.json'), 'utf8')) as BenchReport;
});

afterAll(async () => {
  if (directory !== '') await rm(directory, { recursive: true, force: true });
});

describe('pnpm bench --quick', () => {
  it('finishes in under a minute and writes the three reports', async () => {
    expect(quickSeconds).toBeLessThan(60);
    for (const name of ['report.md', 'report.json', 'report.html']) expect(existsSync(join(directory, 'quick', name)), name).toBe(true);
    const markdown = await readFile(join(directory, 'quick', 'report.md'), 'utf8');
    expect(markdown).toContain('## When does programmatic calling pay?');
    expect(markdown).toContain('## Which sandbox should I pick?');
    expect(markdown).toMatch(/\[token-proxy\]/);
    expect(markdown).toMatch(/\[simulated\]/);
    expect(markdown).toMatch(/\[measured\]/);
  });

  it('holds every cell of the matrix, skipped sandboxes with their reason', () => {
    const sandboxes = report.sandboxes.available.length + report.sandboxes.skipped.length;
    expect(report.cells).toHaveLength(report.scenarios.length * (3 + sandboxes));
    for (const scenario of report.scenarios) {
      for (const mode of ['sequential', 'parallel', 'native']) expect(report.cells.some((cell) => cell.scenario === scenario.id && cell.mode === mode)).toBe(true);
      for (const sandbox of [...report.sandboxes.available.map((entry) => entry.id), ...report.sandboxes.skipped.map((entry) => entry.id)]) {
        expect(report.cells.some((cell) => cell.scenario === scenario.id && cell.mode === 'programmatic' && cell.sandbox === sandbox)).toBe(true);
      }
    }
    for (const cell of report.cells.filter((candidate) => candidate.status === 'skipped')) expect(cell.reason ?? '').not.toBe('');
    expect(report.sandboxes.available.map((entry) => entry.id)).toContain('isolated-vm');
    if (process.env['E2B_API_KEY'] === undefined) expect(report.sandboxes.skipped.find((entry) => entry.id === 'e2b')?.reason).toMatch(/E2B_API_KEY/);
  });

  it('every measured cell answered correctly', () => {
    const wrong = report.cells.filter((cell) => cell.status !== 'skipped' && (cell.status === 'failed' || cell.runs.some((entry) => entry.correct === 0)));
    expect(wrong.map((cell) => `${cell.scenario} ${cell.mode} ${cell.sandbox}: ${cell.reason ?? cell.answer ?? ''}`)).toEqual([]);
  });

  it('programmatic beats sequential on tokens and round trips on the fan-out scenarios, not on the sequential chain', () => {
    const programmatic = report.comparisons.filter((comparison) => comparison.mode === 'programmatic');
    for (const id of fanOut) {
      const rows = programmatic.filter((comparison) => comparison.scenario === id);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(row.beatsOnTokensAndRoundTrips, `${id} on ${row.sandbox}`).toBe(true);
    }
    const chain = programmatic.filter((comparison) => comparison.scenario === 'sequential-chain');
    expect(chain.length).toBeGreaterThan(0);
    for (const row of chain) {
      expect(row.beatsOnTokensAndRoundTrips).toBe(false);
      expect(row.codeTokens).toBeGreaterThan(row.sequentialTokens);
    }
  });

  it('records the machine, versions, parameters, token counting method and latency preset', () => {
    expect(report.machine['cores']).toBeGreaterThan(0);
    expect(report.versions['node']).toBe(process.version);
    expect(report.parameters.quick).toBe(true);
    expect(report.methods.tokenCounting).toMatch(/o200k/);
    expect(Object.keys(report.methods.latency)).toEqual(['sonnet']);
    expect(report.methods.metrics.roundTrips.label).toBe('simulated');
    expect(report.methods.metrics.sandboxTimeMs.label).toBe('measured');
    expect(report.methods.metrics.totalInputTokens.label).toBe('token-proxy');
    expect(report.compactness.status).toBe('measured');
  });
});

describe('the HTML report in headless Chromium', () => {
  it('renders with its SVG charts', async () => {
    const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
    if (chromium === undefined) throw new Error('Chromium is missing: install the Debian package (apt-get install -y chromium); ./dev test installs it when run as root.');
    const profile = await mkdtemp(join(tmpdir(), 'codecall-chromium-'));
    try {
      const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', `--user-data-dir=${profile}`];
      const page = `file://${join(directory, 'quick', 'report.html')}`;
      const dom = execFileSync(chromium, [...flags, '--dump-dom', page], { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
      for (const chart of ['tokens', 'round-trips', 'latency', 'cost', 'sandbox-time', 'compactness']) expect(dom, chart).toContain(`data-chart="${chart}"`);
      const bars = dom.match(/<rect class="bar"/g) ?? [];
      expect(bars.length).toBeGreaterThan(report.scenarios.length * 4 * 4);
      const screenshot = join(profile, 'report.png');
      execFileSync(chromium, [...flags, '--window-size=1200,1600', `--screenshot=${screenshot}`, page], { timeout: 90_000, stdio: 'ignore' });
      expect((await readFile(screenshot)).subarray(1, 4).toString()).toBe('PNG');
    } finally {
      await rm(profile, { recursive: true, force: true });
    }
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
    await bench(['--quick', '--no-compactness', '--scenarios', scenarios, '--out', join(directory, 'custom')]);
    const custom = JSON.parse(await readFile(join(directory, 'custom', 'report.json'), 'utf8')) as BenchReport;
    expect(custom.scenarios.map((scenario) => scenario.id).sort()).toEqual(['plain-js', 'stock-value']);
    const measured = custom.cells.filter((cell) => cell.status === 'measured');
    expect(measured.length).toBeGreaterThanOrEqual(2 * 4);
    expect(measured.filter((cell) => cell.runs.some((entry) => entry.correct === 0)).map((cell) => `${cell.scenario} ${cell.mode} ${cell.sandbox}`)).toEqual([]);
    const stock = custom.comparisons.find((comparison) => comparison.scenario === 'stock-value' && comparison.sandbox === 'isolated-vm');
    expect(stock?.sequentialRoundTrips).toBe(5);
    expect(stock?.codeRoundTrips).toBe(2);
  });

  it('rejects a malformed scenario file with the file and the problem', async () => {
    const bad = join(directory, 'bad');
    await run('mkdir', ['-p', bad]);
    await writeFile(join(bad, 'broken.mjs'), "export const scenario = { id: 'Broken Id', title: 'x' };\n");
    await expect(bench(['--quick', '--scenarios', bad, '--out', join(directory, 'bad-out')])).rejects.toThrow(/broken\.mjs: `id` must be a kebab-case string/);
  });
});
