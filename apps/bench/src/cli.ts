// The benchmark CLI: `pnpm bench [options]` (see --help).
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Anthropic } from '@anthropic-ai/sdk';
import { latencyPresets } from '@codecall/anthropic/simulator';
import { runMicroBenchmarks } from '@codecall/benchmarks/micro';
import type { MicroBenchmarkSection } from '@codecall/benchmarks/micro';
import { compareModes, metricInfo } from './bench-report.ts';
import { behaviourParameters } from './behaviour-model.ts';
import type { BehaviourParameter, BehaviourSettings } from './behaviour-model.ts';
import { breakEvenRuns, computeBreakEven, defaultBreakEvenAxes, quickBreakEvenAxes } from './break-even.ts';
import type { BenchReport } from './bench-report.ts';
import { calibrationReport } from './calibration.ts';
import { comparePublishedFigures, withSensitivity } from './published-figures.ts';
import type { PublishedFigureComparison } from './published-figures.ts';
import { measureCompactness } from './compactness.ts';
import type { CompactnessResult } from './compactness.ts';
import { renderHtmlReport } from './html-report.ts';
import { loadScenarios } from './load-scenarios.ts';
import { renderMarkdownReport, unexpectedComparisons } from './markdown-report.ts';
import { modelPresets, priceSource, sandboxPricing } from './model-presets.ts';
import type { ModelPreset } from './model-presets.ts';
import { ProgressBar } from './progress-bar.ts';
import type { ProgressPhase } from './progress-bar.ts';
import { benchModes, plannedRuns, runMatrix } from './run-matrix.ts';
import { detectSandboxes } from './sandbox-targets.ts';
import type { SandboxId } from './sandbox-targets.ts';

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
// `pnpm bench` runs in the repository root; paths the user typed are relative to where they typed them.
const userDirectory = process.env['INIT_CWD'] ?? process.cwd();
const userPath = (path: string): string => resolve(userDirectory, path);
const allSandboxes: readonly SandboxId[] = ['isolated-vm', 'subprocess-node', 'subprocess-python', 'e2b'];

const usage = `Usage: ./dev bench -- [options]    (or: pnpm bench [options])

Runs every scenario in every mode (parallel, programmatic on each sandbox, native, hybrid, and
forced-serial sequential as an ablation) for each model preset through the Messages API simulator, then the
break-even map, the micro-benchmarks (each sandbox beside its raw baseline, and codecall beside
QuickJS, @utcp/code-mode and Cloudflare codemode on workerd) and the declaration compactness
measurement, and writes
report.md, report.json and report.html. Every headline compares with parallel tool use, in dollars
and seconds.

  --scenarios <dir|file>  scenario directory or file (repeatable); default benchmarks/scenarios
  --only <ids>            comma-separated scenario ids to run
  --modes <list>          comma-separated: sequential,parallel,programmatic,native,hybrid (default all)
  --sandboxes <list>      comma-separated: isolated-vm,subprocess-node,subprocess-python,e2b (default all)
  --presets <list>        comma-separated: haiku,sonnet,opus (default all; --quick: sonnet)
  --repetitions <n>       runs per cell (default 5; --quick 1; --live 1)
  --quick                 one preset, one repetition, a 3x3 break-even map, no micro-benchmarks,
                          compactness on 400 tools (about a minute)
  --no-break-even         skip the break-even map
  --no-calibration        skip the calibration against the published real run (cookbook replica)
  --bare                  no system prompt and no extra tools in the scenario runs (default: 2,000
                          tokens of system prompt and 20 other tools, as in a production agent)
  --no-micro              skip the micro-benchmarks
  --no-compactness        skip the compactness measurement
  --micro-time-ms <n>     time budget per micro-benchmark task (default 200)
  --time-scale <x>        wait x times the simulated model time (default 0: report it, do not wait)
  --live                  use the real Anthropic API (ANTHROPIC_API_KEY) instead of the simulator
  --model <id>            model id for --live (overrides the presets' model ids)
  --out <dir>             output directory (default benchmarks/results/latest)
  --corpus <file>         tool corpus for compactness (default ../shared/corpora/bfcl-tools.json)
  --render <dir>          re-render report.md and report.html from <dir>/report.json (no run)
  --help                  this text
`;

function list<T extends string>(value: string | undefined, allowed: readonly T[], name: string): T[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((item) => item.trim()).filter((item) => item !== '');
  for (const item of items) if (!allowed.includes(item as T)) throw new UsageError(`--${name}: unknown value "${item}" (allowed: ${allowed.join(', ')})`);
  return items as T[];
}

class UsageError extends Error {}

function versionOf(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', timeout: 10_000 }).trim().split('\n')[0] ?? 'unknown';
  } catch {
    return 'not available';
  }
}

async function packageVersion(path: string): Promise<string> {
  try {
    return (JSON.parse(await readFile(path, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * The arguments without a leading `--`: `./dev bench -- --quick` and `pnpm bench -- --quick` pass
 * the separator through to the script.
 */
function benchArguments(argv: readonly string[]): string[] {
  return argv[0] === '--' ? argv.slice(1) : [...argv];
}

/** The behaviour layer's parameter list with the values the run applied (e.g. `--bare` zeroes the context). */
function appliedBehaviour(applied: BehaviourSettings): BehaviourParameter[] {
  return behaviourParameters.map((parameter) => (parameter.name in applied ? { ...parameter, value: applied[parameter.name as keyof BehaviourSettings] } : parameter));
}

async function main(rawArguments: readonly string[]): Promise<number> {
  const argv = benchArguments(rawArguments);
  const { values } = parseArgs({
    args: argv,
    options: {
      scenarios: { type: 'string', multiple: true },
      only: { type: 'string' },
      modes: { type: 'string' },
      sandboxes: { type: 'string' },
      presets: { type: 'string' },
      repetitions: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'no-micro': { type: 'boolean', default: false },
      'no-break-even': { type: 'boolean', default: false },
      'no-calibration': { type: 'boolean', default: false },
      bare: { type: 'boolean', default: false },
      'no-compactness': { type: 'boolean', default: false },
      'micro-time-ms': { type: 'string' },
      'time-scale': { type: 'string' },
      live: { type: 'boolean', default: false },
      model: { type: 'string' },
      out: { type: 'string' },
      corpus: { type: 'string' },
      render: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (values.render !== undefined) {
    const directory = userPath(values.render);
    const report = JSON.parse(await readFile(join(directory, 'report.json'), 'utf8')) as BenchReport;
    await writeFile(join(directory, 'report.md'), renderMarkdownReport(report));
    await writeFile(join(directory, 'report.html'), renderHtmlReport(report));
    process.stderr.write(`bench: re-rendered ${join(directory, 'report.md')} and report.html from report.json\n`);
    return 0;
  }
  const started = performance.now();
  const quick = values.quick;
  const live = values.live;
  if (live && (process.env['ANTHROPIC_API_KEY'] ?? '') === '') throw new UsageError('--live needs ANTHROPIC_API_KEY in the environment.');
  const scenarioSources = (values.scenarios ?? [join(repositoryRoot, 'benchmarks/scenarios')]).map(userPath);
  const modes = list(values.modes, benchModes, 'modes') ?? [...benchModes];
  const sandboxIds = list(values.sandboxes, allSandboxes, 'sandboxes') ?? [...allSandboxes];
  const presetIds = list(values.presets, ['haiku', 'sonnet', 'opus'] as const, 'presets') ?? (quick ? ['sonnet'] : ['haiku', 'sonnet', 'opus']);
  const repetitions = values.repetitions === undefined ? (quick || live ? 1 : 5) : Number(values.repetitions);
  if (!Number.isInteger(repetitions) || repetitions < 1 || repetitions > 100) throw new UsageError('--repetitions must be an integer from 1 to 100');
  const timeScale = values['time-scale'] === undefined ? 0 : Number(values['time-scale']);
  if (!Number.isFinite(timeScale) || timeScale < 0) throw new UsageError('--time-scale must be a number >= 0');
  const presets: ModelPreset[] = modelPresets.filter((preset) => presetIds.includes(preset.id)).map((preset) => (values.model === undefined ? preset : { ...preset, model: values.model }));
  const outDirectory = values.out === undefined ? join(repositoryRoot, 'benchmarks/results/latest') : userPath(values.out);
  const corpus = values.corpus === undefined ? join(repositoryRoot, '../shared/corpora/bfcl-tools.json') : userPath(values.corpus);
  const microWanted = !quick && !values['no-micro'] && !live;
  const compactnessWanted = !values['no-compactness'];

  let scenarios = await loadScenarios(scenarioSources);
  if (values.only !== undefined) {
    const wanted = values.only.split(',').map((item) => item.trim());
    const unknown = wanted.filter((id) => !scenarios.some((scenario) => scenario.id === id));
    if (unknown.length > 0) throw new UsageError(`--only: unknown scenario(s) ${unknown.join(', ')} (have: ${scenarios.map((scenario) => scenario.id).join(', ')})`);
    scenarios = scenarios.filter((scenario) => wanted.includes(scenario.id));
  }
  const sandboxes = await detectSandboxes(sandboxIds);
  for (const skipped of sandboxes.skipped) process.stderr.write(`bench: sandbox ${skipped.id} skipped: ${skipped.reason}\n`);

  const runs = plannedRuns({ scenarios, modes, presets, sandboxes, repetitions, live });
  const breakEvenPreset = presets.find((preset) => preset.id === 'sonnet') ?? presets[0];
  const breakEvenWanted = !values['no-break-even'] && !live && breakEvenPreset !== undefined;
  const breakEvenAxes = quick ? quickBreakEvenAxes : defaultBreakEvenAxes;
  const calibrationWanted = !values['no-calibration'] && !live;
  const bare = values.bare;
  const microTimeMs = values['micro-time-ms'] === undefined ? 200 : Number(values['micro-time-ms']);
  if (!Number.isFinite(microTimeMs) || microTimeMs <= 0) throw new UsageError('--micro-time-ms must be a number > 0');
  // First estimates of each phase on a 2-core machine; the bar replaces them by the observed pace as a phase runs.
  const phases: ProgressPhase[] = [
    { name: 'matrix', steps: runs, estimatedSeconds: runs * (live ? 20 : 0.8) },
    ...(calibrationWanted ? [{ name: 'calibration', steps: 1, estimatedSeconds: 4 }] : []),
    ...(breakEvenWanted ? [{ name: 'break-even', steps: breakEvenRuns(breakEvenAxes), estimatedSeconds: breakEvenRuns(breakEvenAxes) * 0.6 }] : []),
    ...(microWanted ? [{ name: 'micro-benchmarks', steps: 1, estimatedSeconds: 400 * (microTimeMs / 200) }] : []),
    ...(compactnessWanted ? [{ name: 'compactness', steps: 1, estimatedSeconds: quick ? 2 : 8 }] : []),
  ];
  const progress = new ProgressBar(phases);
  progress.startPhase('matrix', `${scenarios.length} scenarios × ${modes.length} modes × ${sandboxes.available.length} sandboxes × ${presets.length} presets × ${repetitions} repetitions (${runs} runs)`);
  const matrix = await runMatrix({
    scenarios,
    modes,
    presets,
    sandboxes,
    repetitions,
    timeScale,
    bare: values.bare,
    ...(live ? { liveClient: new Anthropic({ maxRetries: 4 }) } : {}),
    onRun: (label) => progress.tick(label),
  });

  let calibration: BenchReport['calibration'] = null;
  if (calibrationWanted) {
    progress.startPhase('calibration', 'calibration: cookbook replica in parallel and native mode against the published runs');
    calibration = await calibrationReport({ sandboxes });
    progress.tick('calibration done');
  }

  let breakEven: BenchReport['breakEven'];
  if (breakEvenWanted) {
    progress.startPhase('break-even', `break-even map: ${breakEvenAxes.calls.length} call counts × ${breakEvenAxes.resultBytes.length} result sizes, parallel and programmatic`);
    breakEven = await computeBreakEven({ preset: breakEvenPreset, sandboxes, axes: breakEvenAxes, ...(bare ? { behaviour: { systemPromptTokens: 0, extraTools: 0 } } : {}), onRun: (label) => progress.tick(`break-even · ${label}`) });
  } else {
    breakEven = { status: 'skipped', reason: live ? '--live (the map is computed by the simulator)' : '--no-break-even' };
  }

  let micro: BenchReport['micro'];
  if (microWanted) {
    progress.startPhase('micro-benchmarks');
    const sections: MicroBenchmarkSection[] = await runMicroBenchmarks({ timeMs: microTimeMs, onProgress: (line) => progress.note(line) });
    progress.tick('micro-benchmarks done');
    micro = { status: 'measured', sections };
  } else {
    micro = { status: 'skipped', reason: quick ? '--quick (run without it for the micro-benchmarks)' : live ? '--live (micro-benchmarks are local and independent of the API)' : '--no-micro', sections: [] };
  }

  let compactness: BenchReport['compactness'];
  if (compactnessWanted) {
    progress.startPhase('compactness', 'declaration compactness');
    try {
      const result: CompactnessResult = await measureCompactness(corpus, quick ? { limit: 400 } : {});
      compactness = { status: 'measured', result };
    } catch (error) {
      compactness = { status: 'skipped', reason: `corpus ${corpus} could not be measured: ${(error as Error).message}` };
    }
    progress.tick('compactness done');
  } else {
    compactness = { status: 'skipped', reason: '--no-compactness' };
  }
  progress.finish('done');

  const anthropicRoot = join(repositoryRoot, 'packages/anthropic');
  const comparisons = compareModes(matrix.cells, scenarios, 'parallel');
  // Published figures beside the scenarios of their kind (in the break-even map's preset); those the
  // model misses are rerun with one assumption changed at a time (simulated runs only: a live rerun
  // would cost real tokens).
  const measuredSandboxes = matrix.cells.filter((cell) => cell.mode === 'programmatic' && cell.status === 'measured').map((cell) => cell.sandbox as string);
  const figureSandbox = measuredSandboxes.includes('isolated-vm') ? 'isolated-vm' : (measuredSandboxes[0] ?? 'isolated-vm');
  let publishedFigures: PublishedFigureComparison[] = breakEvenPreset === undefined ? [] : comparePublishedFigures(comparisons, scenarios, breakEvenPreset.id, figureSandbox);
  if (!live && breakEvenPreset !== undefined) {
    publishedFigures = await withSensitivity(publishedFigures, scenarios, async (ids, mode, behaviour, sandbox) => {
      const subset = scenarios.filter((scenario) => ids.includes(scenario.id));
      const available = sandboxes.available.filter((target) => (mode === 'native' ? target.language === 'python' : target.id === sandbox));
      const rerun = await runMatrix({ scenarios: subset, modes: ['parallel', mode], presets: [breakEvenPreset], sandboxes: { available, skipped: [] }, repetitions: 1, timeScale: 0, bare: values.bare, behaviour });
      return compareModes(rerun.cells, subset, 'parallel');
    });
  }
  const report: BenchReport = {
    schemaVersion: 2,
    generator: '@codecall/bench',
    date: new Date().toISOString(),
    durationMs: performance.now() - started,
    machine: { platform: platform(), release: release(), arch: arch(), cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryBytes: totalmem() },
    versions: {
      node: process.version,
      v8: process.versions.v8,
      python: versionOf('python3', ['--version']),
      bubblewrap: versionOf('bwrap', ['--version']),
      '@codecall/core': await packageVersion(join(repositoryRoot, 'packages/core/package.json')),
      '@codecall/anthropic': await packageVersion(join(anthropicRoot, 'package.json')),
      '@anthropic-ai/sdk': await packageVersion(join(anthropicRoot, 'node_modules/@anthropic-ai/sdk/package.json')),
      'isolated-vm': await packageVersion(join(repositoryRoot, 'packages/sandbox-isolated-vm/node_modules/isolated-vm/package.json')),
      'gpt-tokenizer': await packageVersion(join(anthropicRoot, 'node_modules/gpt-tokenizer/package.json')),
      tinybench: await packageVersion(join(repositoryRoot, 'benchmarks/node_modules/tinybench/package.json')),
      git: versionOf('git', ['-C', repositoryRoot, 'rev-parse', '--short', 'HEAD']),
    },
    parameters: {
      live,
      quick,
      repetitions,
      timeScale,
      bare,
      scenarioSources: scenarioSources.map((source) => (source.startsWith(repositoryRoot) ? source.slice(repositoryRoot.length + 1) : source)),
      modes,
      presets,
      sandboxes: sandboxIds,
      command: `./dev bench -- ${argv.join(' ')}`.trim(),
      failureModel: live ? 'live' : 'expected',
    },
    methods: {
      tokenCounting: live
        ? "the API's usage fields (real tokens); tool-result tokens are still counted with o200k (gpt-tokenizer) so modes compare on one scale"
        : "the simulator counts every request and response with o200k_base (gpt-tokenizer) as a proxy for Claude's tokenizer, which is not public: tool definitions (name + description + JSON schema), system text, message blocks, 3 tokens per message and 346 tokens of tool-use system prompt when tools are offered. Ratios between modes are what it is for; absolute counts differ from the real API.",
      latency: live
        ? { live: 'measured against the real API' }
        : Object.fromEntries(presets.map((preset) => [preset.id, latencyPresets[preset.latency]])),
      prices: priceSource,
      sandboxPricing: sandboxPricing.source,
      nativeEmulation: matrix.nativeEmulation,
      cells:
        "sequential and parallel modes run no code (sandbox 'none'); programmatic runs in each available sandbox in its language (JavaScript on isolated-vm and subprocess-node, Python on subprocess-python); native runs the Python program in hosted code execution ('hosted', emulated locally by the simulator unless --live); hybrid offers the direct tools and the code tool together, on the first available sandbox, and the simulated model chooses once per task (programs when their output is at most hybridCodeMaxOutputShare of the tool-result tokens direct calls return, measured by a parallel and a programmatic run before the scenario's hybrid cells; see Hybrid mode). Unavailable sandboxes appear as skipped cells with the reason. Tool state and the simulator (prompt cache, containers) are reset before every run, so each run starts cold." +
        (live ? '' : " Code-mode cells (programmatic, native, hybrid when it writes programs) are expected values at the behaviour layer's program failure rate p: each repetition runs once without a failed program and once with every program failing once before its rewrite, and reports (1 - p) x the first + p x the second for every metric (correct only when both were)."),
      metrics: metricInfo(live),
    },
    sandboxes: {
      available: sandboxes.available.map((target) => ({ id: target.id, description: target.description, language: target.language })),
      skipped: sandboxes.skipped,
    },
    scenarios: scenarios.map((scenario) => ({
      id: scenario.id,
      title: scenario.title,
      description: scenario.description ?? '',
      expectation: scenario.expectation ?? 'neutral',
      ...(scenario.workload === undefined ? {} : { workload: scenario.workload }),
      expected: scenario.expected,
      tools: scenario.tools.length,
      task: scenario.task,
    })),
    cells: matrix.cells,
    comparisons,
    ablation: compareModes(matrix.cells, scenarios, 'sequential'),
    breakEven,
    calibration,
    publishedFigures,
    behaviour: appliedBehaviour(matrix.behaviour),
    micro,
    compactness,
  };

  await mkdir(outDirectory, { recursive: true });
  await writeFile(join(outDirectory, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  const markdown = renderMarkdownReport(report);
  await writeFile(join(outDirectory, 'report.md'), markdown);
  // The answer to "when does it pay, which sandbox" goes to stdout; the details stay in the files.
  const details = markdown.indexOf('\n## Tokens by class');
  process.stdout.write(`${details === -1 ? markdown : markdown.slice(0, details)}\n`);
  await writeFile(join(outDirectory, 'report.html'), renderHtmlReport(report));
  const wrong = matrix.cells.filter((cell) => cell.status === 'measured' && cell.runs.some((run) => run.correct === 0));
  const failed = matrix.cells.filter((cell) => cell.status === 'failed');
  process.stderr.write(`bench: wrote ${join(outDirectory, 'report.md')}, report.json, report.html (${matrix.cells.length} cells, ${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  for (const cell of failed) process.stderr.write(`bench: FAILED ${cell.preset} ${cell.scenario} ${cell.mode} ${cell.sandbox}: ${cell.reason ?? ''}\n`);
  for (const cell of wrong) process.stderr.write(`bench: WRONG ANSWER ${cell.preset} ${cell.scenario} ${cell.mode} ${cell.sandbox}: ${cell.answer ?? ''}\n`);
  for (const comparison of unexpectedComparisons(report)) process.stderr.write(`bench: note: ${comparison.scenario} on ${comparison.sandbox} (${comparison.preset}) did not match its expectation "${comparison.expectation}"\n`);
  return failed.length > 0 || wrong.length > 0 ? 1 : 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    process.stderr.write(`bench: ${(error as Error).message}\n\n${usage}`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  }
}
