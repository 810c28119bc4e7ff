// Runs every sandbox micro-benchmark that exists here, each beside its raw baseline measured in the
// same process, repeats them and keeps the medians, and prints each target beside its measured
// ratio. The gated ratios come from interleaved rounds (micro-result.ts, measureRounds): baseline
// and subject back to back in every round, so a change in the machine's speed between phases does
// not enter the ratio. With --check it is the performance guard: it exits 1 when a target misses by
// more than the run's own noise band.
//
//   pnpm bench:micro [--check] [--check-absolute] [--repeats=3] [--time-ms=150] [--quick]
//                    [--suites=isolated-vm,subprocess,peers,liveness] [--json] [--out=file.json]
//
// A suite that cannot run (module missing, adapter not built, runtime absent) is reported as
// skipped with the reason, never dropped.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatCheckValue, formatIdlePenalty, formatLoad, formatPeerSubjects, formatRowsTable, machineInfo, machineLoad, measureIdlePenalty } from './micro-result.ts';
import type { IdlePenalty, MachineInfo, MachineLoad, MicroBenchmarkRow, PeerSubject, TargetCheck } from './micro-result.ts';

export { formatCheckValue, formatIdlePenalty, formatLoad, formatMs, formatRowsTable, isTimedRow, machineInfo, machineLoad, measureIdlePenalty } from './micro-result.ts';
export type { IdlePenalty, MachineInfo, MachineLoad, MicroBenchmarkRow, PeerSubject, TargetCheck } from './micro-result.ts';

/** A suite of micro-benchmarks. */
export type MicroBenchmarkSuite = 'isolated-vm' | 'subprocess' | 'peers' | 'liveness';

/** The result of one suite (one sandbox). */
export interface MicroBenchmarkSection {
  /** `isolated-vm`, `subprocess`, `peers` or `liveness`. */
  readonly suite: string;
  /** `measured`, or `skipped`/`failed` with `reason`. */
  readonly status: 'measured' | 'skipped' | 'failed';
  /** Why it did not run. */
  readonly reason?: string;
  /**
   * Versions/machine the suite reported; `load`: the machine's load before and after it;
   * `idlePenalty`: the machine's penalty on work after a sleep, measured before it (`IdlePenalty`).
   */
  readonly details?: Readonly<Record<string, unknown>>;
  /** Rows; with several repeats, each figure is the median of the repeats' figures. */
  readonly rows: readonly MicroBenchmarkRow[];
  /** Wall time of the suite (all repeats), in milliseconds. */
  readonly durationMs: number;
}

/** Options of `runMicroBenchmarks`. */
export interface MicroBenchmarkOptions {
  /** Time budget of each measured task, in milliseconds. Default 300. */
  readonly timeMs?: number;
  /** Suites to run. Default `isolated-vm`, `subprocess` and `peers` (`liveness` takes minutes: ask for it). */
  readonly suites?: readonly MicroBenchmarkSuite[];
  /** Times each timed suite runs; figures are the medians over them, the spread is the noise band. Default 1. */
  readonly repeats?: number;
  /** `liveness` suite: runs of the memory check, sandboxes of the leak check. Defaults 10,000 and 200. */
  readonly memoryRuns?: number;
  readonly leakSandboxes?: number;
  /** Progress lines. */
  readonly onProgress?: (line: string) => void;
}

/** How a target fared: met; missed but within the run's noise band; or missed. */
export type TargetVerdict = 'met' | 'within noise' | 'missed';

/** One target of the guard. */
export interface MicroBenchmarkTarget {
  readonly suite: string;
  readonly subject: string;
  readonly name: string;
  /** The target in words. */
  readonly target: string;
  readonly check: TargetCheck;
  readonly verdict: TargetVerdict;
  /** Whether `--check` fails on a miss of this target (ratios, bytes, counts and event-loop blocks; other times only with `--check-absolute`). */
  readonly gated: boolean;
}

/** A whole guard run: the sections, the targets with their verdicts, and the machine's load. */
export interface MicroBenchmarkReport {
  readonly date: string;
  readonly machine: MachineInfo;
  readonly versions: { readonly node: string; readonly v8: string };
  /** The machine's load when the run began and ended (the machine may be shared). */
  readonly load: { readonly start: MachineLoad; readonly end: MachineLoad };
  readonly repeats: number;
  readonly sections: readonly MicroBenchmarkSection[];
  readonly targets: readonly MicroBenchmarkTarget[];
  /** Whether every gated target is met or within noise. */
  readonly ok: boolean;
}

interface SuiteReport {
  readonly results: readonly MicroBenchmarkRow[];
  readonly [key: string]: unknown;
}

type SuiteRunner = (options: Record<string, unknown>) => Promise<SuiteReport>;

const suiteModules: Record<MicroBenchmarkSuite, [string, string]> = {
  'isolated-vm': ['./isolated-vm.ts', 'runIsolatedVmBenchmarks'],
  subprocess: ['./subprocess.ts', 'runSubprocessBenchmarks'],
  peers: ['./peers.ts', 'runPeersBenchmarks'],
  liveness: ['./liveness.ts', 'runLivenessBenchmarks'],
};

async function loadRunner(suite: MicroBenchmarkSuite): Promise<SuiteRunner | string> {
  const [file, name] = suiteModules[suite];
  try {
    const loaded = (await import(file)) as Record<string, unknown>;
    const runner = loaded[name];
    if (typeof runner === 'function') return runner as SuiteRunner;
    return `${file} does not export ${name}`;
  } catch (error) {
    return `${file} could not be loaded: ${(error as Error).message.split('\n')[0] ?? ''}`;
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** Merges the repeats of one suite: per row, the median of each figure; the noise band from the spread of the repeats. */
export function mergeRepeats(repeats: readonly (readonly MicroBenchmarkRow[])[]): MicroBenchmarkRow[] {
  const first = repeats[0] ?? [];
  if (repeats.length <= 1) return first.map((row) => ({ ...row }));
  return first.map((row) => {
    const same = repeats.map((rows) => rows.find((candidate) => candidate.subject === row.subject && candidate.name === row.name)).filter((candidate): candidate is MicroBenchmarkRow => candidate !== undefined);
    const merged: MicroBenchmarkRow = {
      ...row,
      medianMs: median(same.map((candidate) => candidate.medianMs)),
      p75Ms: median(same.map((candidate) => candidate.p75Ms)),
      samples: same.reduce((sum, candidate) => sum + candidate.samples, 0),
      ...(row.ratio === undefined ? {} : { ratio: median(same.map((candidate) => candidate.ratio ?? 0)) }),
    };
    if (row.check === undefined) return merged;
    const values = same.map((candidate) => candidate.check?.value ?? 0);
    const value = median(values);
    // Half the range of the repeats, relative to their median: how far this run's own figures
    // wander. Never less than the samples' spread of a single repeat (median of those).
    const spread = value > 0 ? (Math.max(...values) - Math.min(...values)) / 2 / value : 0;
    const noise = Math.max(spread, median(same.map((candidate) => candidate.check?.noise ?? 0)));
    return { ...merged, pass: value <= row.check.limit, check: { ...row.check, value, noise } };
  });
}

/** Met, within the noise band, or missed. */
export function verdictOf(check: TargetCheck): TargetVerdict {
  if (check.value <= check.limit) return 'met';
  return check.value <= check.limit * (1 + check.noise) ? 'within noise' : 'missed';
}

/** The targets of the sections, each with its verdict. */
export function targetsOf(sections: readonly MicroBenchmarkSection[], checkAbsolute = false): MicroBenchmarkTarget[] {
  return sections.flatMap((section) =>
    section.rows.flatMap((row) =>
      row.check === undefined || row.target === undefined
        ? []
        : [{ suite: section.suite, subject: row.subject, name: row.name, target: row.target, check: row.check, verdict: verdictOf(row.check), gated: row.check.gated ?? (row.check.kind !== 'ms' || checkAbsolute) }],
    ),
  );
}

/** Runs the micro-benchmark suites one after the other (never concurrently: they measure time). */
export async function runMicroBenchmarks(options: MicroBenchmarkOptions = {}): Promise<MicroBenchmarkSection[]> {
  const sections: MicroBenchmarkSection[] = [];
  const repeats = Math.max(1, Math.floor(options.repeats ?? 1));
  for (const suite of options.suites ?? ['isolated-vm', 'subprocess', 'peers']) {
    const started = performance.now();
    const runner = await loadRunner(suite);
    if (typeof runner === 'string') {
      sections.push({ suite, status: 'skipped', reason: runner, rows: [], durationMs: 0 });
      continue;
    }
    const loadStart = machineLoad();
    const idlePenalty = measureIdlePenalty();
    // Liveness and leak checks are not timings: one pass says it all.
    const passes = suite === 'liveness' ? 1 : repeats;
    const rowsPerPass: MicroBenchmarkRow[][] = [];
    let details: Record<string, unknown> = {};
    try {
      for (let pass = 0; pass < passes; pass++) {
        options.onProgress?.(`micro-benchmark: ${suite}${passes > 1 ? ` (repeat ${pass + 1}/${passes})` : ''}`);
        const report = await runner({
          timeMs: options.timeMs ?? 300,
          ...(options.memoryRuns === undefined ? {} : { memoryRuns: options.memoryRuns }),
          ...(options.leakSandboxes === undefined ? {} : { leakSandboxes: options.leakSandboxes }),
          ...(options.onProgress === undefined ? {} : { onProgress: (line: string) => options.onProgress?.(`micro-benchmark: ${suite}: ${line}`) }),
        });
        const { results, ...rest } = report;
        details = rest;
        rowsPerPass.push(results.map((row) => ({ ...row })));
      }
      sections.push({ suite, status: 'measured', details: { ...details, repeats: passes, load: { start: loadStart, end: machineLoad() }, idlePenalty }, rows: mergeRepeats(rowsPerPass), durationMs: performance.now() - started });
    } catch (error) {
      sections.push({ suite, status: 'failed', reason: (error as Error).message, rows: [], durationMs: performance.now() - started });
    }
  }
  return sections;
}

/** Runs the suites and judges every target: what `pnpm bench:micro` does. */
export async function runMicroBenchmarkGuard(options: MicroBenchmarkOptions & { readonly checkAbsolute?: boolean } = {}): Promise<MicroBenchmarkReport> {
  const start = machineLoad();
  const repeats = Math.max(1, Math.floor(options.repeats ?? 3));
  const sections = await runMicroBenchmarks({ ...options, repeats, suites: options.suites ?? ['isolated-vm', 'subprocess', 'peers', 'liveness'] });
  const targets = targetsOf(sections, options.checkAbsolute ?? false);
  const ok = targets.every((target) => !target.gated || target.verdict !== 'missed') && sections.every((section) => section.status !== 'failed');
  return { date: new Date().toISOString(), machine: machineInfo(), versions: { node: process.version, v8: process.versions.v8 }, load: { start, end: machineLoad() }, repeats, sections, targets, ok };
}

/** Fixed-width text of the sections. */
export function formatMicroBenchmarks(sections: readonly MicroBenchmarkSection[]): string {
  const blocks: string[] = [];
  for (const section of sections) {
    if (section.status !== 'measured') {
      blocks.push(`${section.suite}: ${section.status} — ${section.reason ?? ''}`);
      continue;
    }
    const load = section.details?.['load'] as { start: MachineLoad; end: MachineLoad } | undefined;
    const idlePenalty = section.details?.['idlePenalty'] as IdlePenalty | undefined;
    const repeats = section.details?.['repeats'];
    const title = [
      section.suite,
      ...(typeof repeats === 'number' && repeats > 1 ? [`medians of ${repeats} repeats`] : []),
      ...(load === undefined ? [] : [`${formatLoad(load.start)} → ${formatLoad(load.end)}`]),
      ...(idlePenalty === undefined ? [] : [formatIdlePenalty(idlePenalty)]),
      ...(section.details?.['placements'] === 'fixed' ? ['per-call rounds also on one CPU and on two (taskset)'] : []),
    ];
    const subjects = section.details?.['subjects'] as readonly PeerSubject[] | undefined;
    const subjectLines = Array.isArray(subjects) ? formatPeerSubjects(subjects) : [];
    blocks.push([formatRowsTable(title.join(' — '), section.rows), ...subjectLines].join('\n'));
  }
  return blocks.join('\n\n');
}

/** The guard's summary: each target beside its measured value, noise band and verdict. */
export function formatTargets(report: MicroBenchmarkReport): string {
  const header = ['suite', 'subject', 'workload', 'target', 'measured', 'verdict'];
  const cells = report.targets.map((target) => [
    target.suite,
    target.subject,
    target.name,
    target.target,
    formatCheckValue(target.check),
    `${target.verdict === 'met' ? 'met' : target.verdict === 'within noise' ? 'within noise' : 'MISSED'}${target.gated ? '' : ' (absolute, not gated)'}`,
  ]);
  const widths = header.map((text, column) => Math.max(text.length, ...cells.map((row) => (row[column] ?? '').length)));
  const line = (values: string[]): string => values.map((value, column) => value.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  const missed = report.targets.filter((target) => target.verdict === 'missed');
  return [
    `targets — ${report.date} — Node ${report.versions.node}, ${report.machine.cpu} x${report.machine.cores}, ${report.repeats} repeats — ${formatLoad(report.load.start)} → ${formatLoad(report.load.end)}`,
    line(header),
    ...cells.map(line),
    `${report.targets.length - missed.length}/${report.targets.length} targets met or within noise; gated misses: ${missed.filter((target) => target.gated).length}.`,
  ].join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argument = (name: string): string | undefined => process.argv.find((candidate) => candidate.startsWith(`--${name}=`))?.slice(name.length + 3);
  const quick = process.argv.includes('--quick');
  const number = (name: string, fallback: number): number => {
    const text = argument(name);
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a number > 0, got ${String(text)}`);
    return value;
  };
  const suitesText = argument('suites');
  const suites = suitesText === undefined ? undefined : (suitesText.split(',') as MicroBenchmarkSuite[]);
  for (const suite of suites ?? []) if (!(suite in suiteModules)) throw new Error(`--suites: unknown suite ${suite} (known: ${Object.keys(suiteModules).join(', ')})`);
  const report = await runMicroBenchmarkGuard({
    timeMs: number('time-ms', quick ? 60 : 150),
    repeats: number('repeats', quick ? 1 : 3),
    ...(suites === undefined ? {} : { suites }),
    ...(quick ? { memoryRuns: 1_000, leakSandboxes: 20 } : {}),
    checkAbsolute: process.argv.includes('--check-absolute'),
    onProgress: (line) => process.stderr.write(`… ${line}\n`),
  });
  const out = argument('out');
  if (out !== undefined) writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(report, null, 2)}\n` : `${formatMicroBenchmarks(report.sections)}\n\n${formatTargets(report)}\n`);
  if ((process.argv.includes('--check') || process.argv.includes('--check-absolute')) && !report.ok) process.exitCode = 1;
}
