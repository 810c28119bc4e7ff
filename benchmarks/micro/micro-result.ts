// The result format every micro-benchmark suite shares: one row type, the tinybench measuring
// helper, the 1 MB payload, the machine description and the fixed-width table.
import { arch, cpus, loadavg, platform, release } from 'node:os';
import type { RunResult } from '@codecall/core';
import { Bench } from 'tinybench';

/** One figure of a micro-benchmark, the same shape in every suite. */
export interface MicroBenchmarkRow {
  /** What was measured: `cold start`, `warm start (pool ready)`, `one awaited call`, `1000 sequential calls`, `1 MB tool result`, … */
  readonly name: string;
  /** What ran it: a raw baseline (`raw`, `raw node`, …) or the codecall variant (`in-process`, `supervised`, `node`, `python jailed`, …). */
  readonly subject: string;
  /** Median in milliseconds (per-call rows: milliseconds per call). */
  readonly medianMs: number;
  /** 75th percentile in milliseconds; for derived rows, from the p75 of their source. */
  readonly p75Ms: number;
  /** Samples behind the figure (0 for derived rows). */
  readonly samples: number;
  /** The row this one is compared with (`subject/name`), when there is one. */
  readonly baseline?: string;
  /** `medianMs / baseline medianMs`. */
  readonly ratio?: number;
  /** The target in words, when the suite states one (e.g. `'<= 1.2x raw'`). */
  readonly target?: string;
  /** Whether the target is met. */
  readonly pass?: boolean;
  /** The target in numbers, for the guard (`pnpm bench:micro --check`). */
  readonly check?: TargetCheck;
}

/**
 * A target in numbers. `value <= limit` meets it. `ratio` targets compare two figures of the same
 * run and are what `--check` gates; `ms` targets are absolute times (gated only with
 * `--check-absolute`: a busy machine moves them); `bytes` and `count` are not times and are gated.
 */
export interface TargetCheck {
  readonly kind: 'ratio' | 'ms' | 'bytes' | 'count';
  /** The measured ratio, milliseconds, bytes or count. */
  readonly value: number;
  /** The most `value` may be. */
  readonly limit: number;
  /**
   * Relative noise of `value` in this run (0.1 = ±10 %): the spread of the repeats, or of the
   * samples when there is one repeat. A miss within it is reported but does not fail `--check`.
   */
  readonly noise: number;
  /** Gate this target even though it is a time (`kind: 'ms'`): set where the time is not a speed (an event-loop block) and the noise band is measured. */
  readonly gated?: boolean;
}

/** Adds a target to a row: the words, the numbers and whether it is met. `noise` defaults to the row's own p75/median spread. */
export function withTarget<Row extends MicroBenchmarkRow>(row: Row, target: string, kind: TargetCheck['kind'], value: number, limit: number, noise?: number, gated?: boolean): Row {
  const spread = row.medianMs > 0 ? Math.max(0, row.p75Ms / row.medianMs - 1) : 0;
  return { ...row, target, pass: value <= limit, check: { kind, value, limit, noise: noise ?? spread, ...(gated === undefined ? {} : { gated }) } };
}

/** Where a suite ran. */
export interface MachineInfo {
  readonly platform: string;
  readonly release: string;
  readonly arch: string;
  readonly cpu: string;
  readonly cores: number;
}

/** A measured latency distribution. */
export interface Measured {
  /** Median in milliseconds. */
  readonly medianMs: number;
  /** 75th percentile in milliseconds. */
  readonly p75Ms: number;
  /** Samples taken. */
  readonly samples: number;
}

/** The machine the suite runs on. */
export function machineInfo(): MachineInfo {
  return { platform: platform(), release: release(), arch: arch(), cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length };
}

/** The machine's load at one moment: `os.loadavg()` beside the number of cores. */
export interface MachineLoad {
  /** ISO 8601 time of the reading. */
  readonly at: string;
  /** 1, 5 and 15 minute load averages. */
  readonly loadAverage: readonly [number, number, number];
  /** Logical cores (a load average above it means runnable work waited for a core). */
  readonly cores: number;
}

/** Reads the machine's load now. */
export function machineLoad(): MachineLoad {
  const [one = 0, five = 0, fifteen = 0] = loadavg();
  return { at: new Date().toISOString(), loadAverage: [one, five, fifteen], cores: cpus().length };
}

/** `load 3.12/2.80/2.10 on 2 cores`. */
export function formatLoad(load: MachineLoad): string {
  return `load ${load.loadAverage.map((value) => value.toFixed(2)).join('/')} on ${load.cores} cores`;
}

/**
 * How much slower the same small piece of work runs right after its thread slept: a property of the
 * machine, not of codecall (large where, say, an idle vCPU's core and caches serve other work
 * meanwhile). A host's and a runner's first work after any wait pays it, which the absolute
 * warm-start figures include and a ratio cancels only in part (its raw baseline runs less code
 * after the same wait).
 */
export interface IdlePenalty {
  /** What the piece of work is. */
  readonly work: string;
  /** Median time of the work run back to back, in microseconds. */
  readonly hotUs: number;
  /** Median time of the work right after the thread slept that long, in microseconds. */
  readonly afterSleep: readonly { readonly sleepMs: number; readonly medianUs: number }[];
  /** Rounds measured (each: one hot, then one after each sleep). */
  readonly rounds: number;
}

/**
 * Measures `IdlePenalty`: a JSON round trip of a protocol-sized message, 20 times (11–18 µs hot
 * on the development VM), timed back to back and right after `Atomics.wait` put the thread to
 * sleep for each of `sleepsMs`. Blocks the calling thread for about `rounds × sum(sleepsMs)` ms.
 */
export function measureIdlePenalty(options: { readonly rounds?: number; readonly sleepsMs?: readonly number[] } = {}): IdlePenalty {
  const rounds = options.rounds ?? 100;
  const sleepsMs = options.sleepsMs ?? [2, 10];
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const message = { t: 'call', id: 1, name: 'ping', input: '{"i":1}' };
  let sink = 0;
  const work = (): void => {
    for (let index = 0; index < 20; index++) sink += (JSON.parse(JSON.stringify(message)) as { id: number }).id;
  };
  const time = (): number => {
    const started = process.hrtime.bigint();
    work();
    return Number(process.hrtime.bigint() - started) / 1_000;
  };
  for (let index = 0; index < 5_000; index++) work();
  const hot: number[] = [];
  const after = sleepsMs.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    time();
    hot.push(time());
    sleepsMs.forEach((sleepMs, index) => {
      Atomics.wait(gate, 0, 0, sleepMs);
      after[index]?.push(time());
    });
  }
  if (sink < 0) throw new Error('unreachable');
  const medianOf = (values: number[]): number => quantile([...values].sort((a, b) => a - b), 0.5);
  return {
    work: 'JSON round trip of a protocol-sized message, 20 times',
    hotUs: medianOf(hot),
    afterSleep: sleepsMs.map((sleepMs, index) => ({ sleepMs, medianUs: medianOf(after[index] ?? []) })),
    rounds,
  };
}

/** `work after 10 ms asleep: 3.0× its back-to-back time (2 ms: 1.4×; 17 µs hot)`. */
export function formatIdlePenalty(penalty: IdlePenalty): string {
  const factors = penalty.afterSleep.map(({ sleepMs, medianUs }) => ({ sleepMs, factor: medianUs / penalty.hotUs }));
  const longest = factors.at(-1);
  if (longest === undefined) return `work hot: ${penalty.hotUs.toFixed(1)} µs`;
  const others = factors.slice(0, -1).map(({ sleepMs, factor }) => `${sleepMs} ms: ${factor.toFixed(1)}×`);
  return `work after ${longest.sleepMs} ms asleep: ${longest.factor.toFixed(1)}× its back-to-back time (${[...others, `${penalty.hotUs.toFixed(0)} µs hot`].join('; ')})`;
}

/** Number of records in the payload of the transfer rows. */
export const payloadBytes = 1_000_000;

/** ~1 MB of JSON: records of about 200 bytes (the transfer workload of every suite). */
export function makePayload(): { items: { id: number; name: string; tags: string[]; score: number }[] } {
  const items = [];
  for (let index = 0; JSON.stringify(items).length < payloadBytes; index++) {
    items.push({ id: index, name: `item-${index}-${'x'.repeat(120)}`, tags: ['alpha', 'beta', 'gamma'], score: index * 1.5 });
  }
  return { items };
}

/**
 * Measures `run` with tinybench for `budget`: `timeMs` of measured time (at least 5 iterations),
 * or exactly `{ samples }` iterations, after a short warm-up. Give a sample count when each
 * iteration's `beforeEach`/`afterEach` starts a process: tinybench's time budget counts only the
 * measured part, so a sub-millisecond task behind an 80 ms start runs for minutes.
 * `run` must be an async function: tinybench calls any other function once more to find out
 * whether it returns a promise, and that extra call would overlap with the measured ones.
 */
export async function measure(run: () => Promise<unknown>, budget: number | { readonly samples: number }, beforeEach?: () => Promise<void>, afterEach?: () => Promise<void>): Promise<Measured> {
  const bench = typeof budget === 'number'
    ? new Bench({ time: budget, iterations: 5, warmupTime: Math.min(200, budget / 2), warmupIterations: 2 })
    : new Bench({ time: 0, iterations: budget.samples, warmupTime: 0, warmupIterations: 2 });
  bench.add('task', run, { ...(beforeEach === undefined ? {} : { beforeEach }), ...(afterEach === undefined ? {} : { afterEach }) });
  const [task] = await bench.run();
  const result = task?.result;
  if (result === undefined || (result.state !== 'completed' && result.state !== 'aborted-with-statistics')) {
    throw new Error(`benchmark task failed: ${result !== undefined && result.state === 'errored' ? result.error.message : String(result?.state)}`);
  }
  return { medianMs: result.latency.p50, p75Ms: result.latency.p75, samples: result.latency.samplesCount };
}

/** Throws when a measured run did not succeed (a benchmark of failing runs measures nothing). */
export function expectSuccess(result: RunResult): void {
  if (result.type !== 'success') throw new Error(`benchmark run failed: ${result.error.code} ${result.error.message}`);
}

/** Milliseconds for a table: one decimal from 10 ms, three below, microseconds under 0.1 ms. */
export function formatMs(ms: number): string {
  // By magnitude: a difference of two figures (a jail's cost) may be negative within the noise.
  const size = Math.abs(ms);
  return size >= 10 ? ms.toFixed(1) : size >= 0.1 ? ms.toFixed(3) : `${(ms * 1000).toFixed(1)}µs`;
}

/** Renders rows as a fixed-width table under a title line. */
/**
 * Whether a row's median and p75 are times. A memory or leftover-count target (`check.kind`
 * `bytes` or `count`) carries its figure in `check` and zeros in the time fields, which a table
 * shows as `-`, not as a time.
 */
export function isTimedRow(row: MicroBenchmarkRow): boolean {
  return row.check === undefined || row.check.kind === 'ratio' || row.check.kind === 'ms';
}

export function formatRowsTable(title: string, rows: readonly MicroBenchmarkRow[]): string {
  const header = ['subject', 'workload', 'median ms', 'p75 ms', 'n', 'ratio', 'target', 'measured', 'pass'];
  const cells = rows.map((row) => [
    row.subject,
    row.name,
    isTimedRow(row) ? formatMs(row.medianMs) : '-',
    isTimedRow(row) ? formatMs(row.p75Ms) : '-',
    row.samples === 0 ? '-' : String(row.samples),
    row.ratio === undefined ? '' : `${row.ratio.toFixed(2)}x ${row.baseline ?? ''}`,
    row.target ?? '',
    row.check === undefined ? '' : formatCheckValue(row.check),
    row.pass === undefined ? '' : row.pass ? 'yes' : 'NO',
  ]);
  const widths = header.map((text, column) => Math.max(text.length, ...cells.map((row) => (row[column] ?? '').length)));
  const line = (values: string[]): string => values.map((value, column) => value.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return [title, line(header), ...cells.map(line)].join('\n');
}

/** The measured side of a target with its noise band: `1.07x ±4%`, `0.312 ms ±9%`, `12.3 MB`, `0`. */
export function formatCheckValue(check: TargetCheck): string {
  const noise = check.noise > 0 ? ` ±${Math.round(check.noise * 100)}%` : '';
  if (check.kind === 'ratio') return `${check.value.toFixed(2)}x${noise}`;
  if (check.kind === 'ms') return `${check.value >= 0.1 ? `${formatMs(check.value)} ms` : formatMs(check.value)}${noise}`;
  if (check.kind === 'bytes') return `${(check.value / 1_000_000).toFixed(1)} MB${noise}`;
  return String(check.value);
}

/** One task of `measureRounds`: what is timed, and what runs before it outside the timing. */
export interface RoundTask {
  readonly run: () => Promise<unknown>;
  readonly beforeEach?: () => Promise<void>;
}

/**
 * Times of interleaved rounds: `times[round][task]` in milliseconds, task `i` of `measureRounds`'s
 * `tasks` at index `i` in every round.
 */
export type RoundTimes = readonly (readonly number[])[];

/**
 * Times several tasks in interleaved rounds: each round runs every task once, back to back, in an
 * order that rotates from round to round, until `timeMs` of measured time has passed and at least
 * `minRounds` rounds were taken (after `warmupRounds` untimed ones, default 2).
 *
 * Ratios between figures measured one after the other (all of one task's samples, then all of the
 * other's) absorb whatever the machine did in between: on a shared VM whose speed wanders by a
 * factor of two within minutes, the same code measured 1.21x and 1.76x its baseline in two
 * consecutive runs. Within one round both sides see the same machine, so `roundRatio` over the
 * rounds is the ratio to gate on.
 */
export async function measureRounds(tasks: readonly RoundTask[], options: { readonly timeMs: number; readonly minRounds?: number; readonly warmupRounds?: number }): Promise<RoundTimes> {
  const minRounds = options.minRounds ?? 7;
  const warmupRounds = options.warmupRounds ?? 2;
  const rounds: number[][] = [];
  let measured = 0;
  for (let round = 0; round < warmupRounds || rounds.length < minRounds || measured < options.timeMs; round++) {
    const times: number[] = new Array<number>(tasks.length).fill(0);
    for (let step = 0; step < tasks.length; step++) {
      const index = (round + step) % tasks.length;
      const task = tasks[index];
      if (task === undefined) continue;
      await task.beforeEach?.();
      const started = performance.now();
      await task.run();
      times[index] = performance.now() - started;
    }
    if (round < warmupRounds) continue;
    rounds.push(times);
    measured += times.reduce((sum, time) => sum + time, 0);
  }
  return rounds;
}

/** The `q` quantile (0..1) of ascending `sorted`, interpolated between neighbours; 0 when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return (sorted[low] ?? 0) + ((sorted[high] ?? 0) - (sorted[low] ?? 0)) * (position - low);
}

/** One task's distribution over the rounds of `measureRounds`. */
export function roundMeasured(rounds: RoundTimes, task: number): Measured {
  const times = rounds.map((round) => round[task] ?? 0).sort((a, b) => a - b);
  return { medianMs: quantile(times, 0.5), p75Ms: quantile(times, 0.75), samples: times.length };
}

/**
 * A figure computed within each round of `measureRounds` (`ofRound` gets that round's times), such
 * as a ratio of two tasks: the median over the rounds, and its noise band, half the interquartile
 * range relative to the median (0.05 = ±5 %).
 */
export function roundStatistic(rounds: RoundTimes, ofRound: (times: readonly number[]) => number): { readonly value: number; readonly noise: number } {
  const values = rounds.map(ofRound).filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  const value = quantile(values, 0.5);
  return { value, noise: value !== 0 ? Math.abs((quantile(values, 0.75) - quantile(values, 0.25)) / 2 / value) : 0 };
}

/** A subject of the peers suite: what it is, or why it was not measured. */
export interface PeerSubject {
  /** Row subject: `raw isolated-vm`, `codecall in-process`, `codecall supervised`, or a peer's name. */
  readonly subject: string;
  /** Package and version. */
  readonly label: string;
  /** Where guest code runs and where the tool is answered. */
  readonly isolation: string;
  readonly status: 'measured' | 'skipped';
  /** Why a peer was skipped. */
  readonly reason?: string;
}

/** One line per subject: what it is and where its guest runs, or why it was skipped. */
export function formatPeerSubjects(subjects: readonly PeerSubject[]): string[] {
  return ['subjects:', ...subjects.map((subject) => (subject.status === 'measured' ? `  ${subject.subject}: ${subject.label} — ${subject.isolation}` : `  ${subject.subject}: skipped — ${subject.reason ?? ''}`))];
}
