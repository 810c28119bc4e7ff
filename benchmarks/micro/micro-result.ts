// The result format every micro-benchmark suite shares: one row type, the tinybench measuring
// helper, the 1 MB payload, the machine description and the fixed-width table.
import { arch, cpus, platform, release } from 'node:os';
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
 * Measures `run` with tinybench for `timeMs` (at least 5 iterations, after a short warm-up).
 * `run` must be an async function: tinybench calls any other function once more to find out
 * whether it returns a promise, and that extra call would overlap with the measured ones.
 */
export async function measure(run: () => Promise<unknown>, timeMs: number, beforeEach?: () => Promise<void>): Promise<Measured> {
  const bench = new Bench({ time: timeMs, iterations: 5, warmupTime: Math.min(200, timeMs / 2), warmupIterations: 2 });
  bench.add('task', run, beforeEach === undefined ? {} : { beforeEach });
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
  return ms >= 10 ? ms.toFixed(1) : ms >= 0.1 ? ms.toFixed(3) : `${(ms * 1000).toFixed(1)}µs`;
}

/** Renders rows as a fixed-width table under a title line. */
export function formatRowsTable(title: string, rows: readonly MicroBenchmarkRow[]): string {
  const header = ['subject', 'workload', 'median ms', 'p75 ms', 'n', 'ratio', 'target', 'pass'];
  const cells = rows.map((row) => [
    row.subject,
    row.name,
    formatMs(row.medianMs),
    formatMs(row.p75Ms),
    row.samples === 0 ? '-' : String(row.samples),
    row.ratio === undefined ? '' : `${row.ratio.toFixed(2)}x ${row.baseline ?? ''}`,
    row.target ?? '',
    row.pass === undefined ? '' : row.pass ? 'yes' : 'NO',
  ]);
  const widths = header.map((text, column) => Math.max(text.length, ...cells.map((row) => (row[column] ?? '').length)));
  const line = (values: string[]): string => values.map((value, column) => value.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return [title, line(header), ...cells.map(line)].join('\n');
}
