// Runs every sandbox micro-benchmark that exists here, each beside its raw baseline measured in the
// same process, and returns (or prints) the figures with their ratios.
//
//   node --no-node-snapshot benchmarks/micro/run.ts [--time-ms=300] [--json]
//
// A suite that cannot run (module missing, adapter not built, runtime absent) is reported as
// skipped with the reason, never dropped.
import { fileURLToPath } from 'node:url';
import { formatMs } from './micro-result.ts';
import type { MicroBenchmarkRow } from './micro-result.ts';

export { formatMs, formatRowsTable, machineInfo } from './micro-result.ts';
export type { MachineInfo, MicroBenchmarkRow } from './micro-result.ts';

/** The result of one suite (one sandbox). */
export interface MicroBenchmarkSection {
  /** `isolated-vm` or `subprocess`. */
  readonly suite: string;
  /** `measured`, or `skipped` with `reason`. */
  readonly status: 'measured' | 'skipped' | 'failed';
  /** Why it did not run. */
  readonly reason?: string;
  /** Versions/machine the suite reported. */
  readonly details?: Readonly<Record<string, unknown>>;
  readonly rows: readonly MicroBenchmarkRow[];
  /** Wall time of the suite, in milliseconds. */
  readonly durationMs: number;
}

/** Options of `runMicroBenchmarks`. */
export interface MicroBenchmarkOptions {
  /** Time budget of each measured task, in milliseconds. Default 300. */
  readonly timeMs?: number;
  /** Suites to run. Default both. */
  readonly suites?: readonly ('isolated-vm' | 'subprocess')[];
  /** Progress lines. */
  readonly onProgress?: (line: string) => void;
}

interface SuiteReport {
  readonly results: readonly MicroBenchmarkRow[];
  readonly [key: string]: unknown;
}

type SuiteRunner = (options: { timeMs?: number; onProgress?: (line: string) => void }) => Promise<SuiteReport>;

async function loadRunner(suite: 'isolated-vm' | 'subprocess'): Promise<SuiteRunner | string> {
  const candidates = suite === 'isolated-vm' ? [['./isolated-vm.ts', 'runIsolatedVmBenchmarks']] : [['./subprocess.ts', 'runSubprocessBenchmarks']];
  const problems: string[] = [];
  for (const [file, name] of candidates as [string, string][]) {
    try {
      const loaded = (await import(file)) as Record<string, unknown>;
      const runner = loaded[name];
      if (typeof runner === 'function') return runner as SuiteRunner;
      problems.push(`${file} does not export ${name}`);
    } catch (error) {
      problems.push(`${file} could not be loaded: ${(error as Error).message.split('\n')[0] ?? ''}`);
    }
  }
  return problems.join('; ');
}

/** Runs the micro-benchmark suites one after the other (never concurrently: they measure time). */
export async function runMicroBenchmarks(options: MicroBenchmarkOptions = {}): Promise<MicroBenchmarkSection[]> {
  const sections: MicroBenchmarkSection[] = [];
  for (const suite of options.suites ?? ['isolated-vm', 'subprocess']) {
    const started = performance.now();
    const runner = await loadRunner(suite);
    if (typeof runner === 'string') {
      sections.push({ suite, status: 'skipped', reason: runner, rows: [], durationMs: 0 });
      continue;
    }
    options.onProgress?.(`micro-benchmark: ${suite}`);
    try {
      const report = await runner({ timeMs: options.timeMs ?? 300, ...(options.onProgress === undefined ? {} : { onProgress: (line: string) => options.onProgress?.(`micro-benchmark: ${suite}: ${line}`) }) });
      const { results, ...details } = report;
      sections.push({ suite, status: 'measured', details, rows: results.map((row) => ({ ...row })), durationMs: performance.now() - started });
    } catch (error) {
      sections.push({ suite, status: 'failed', reason: (error as Error).message, rows: [], durationMs: performance.now() - started });
    }
  }
  return sections;
}

/** Fixed-width text of the sections. */
export function formatMicroBenchmarks(sections: readonly MicroBenchmarkSection[]): string {
  const lines: string[] = [];
  for (const section of sections) {
    if (section.status !== 'measured') {
      lines.push(`${section.suite}: ${section.status} — ${section.reason ?? ''}`);
      continue;
    }
    lines.push(`${section.suite}:`);
    for (const row of section.rows) {
      const ratio = row.ratio === undefined ? '' : `  ${row.ratio.toFixed(2)}x ${row.baseline ?? ''}`;
      lines.push(`  ${row.subject.padEnd(12)} ${row.name.padEnd(24)} ${formatMs(row.medianMs).padStart(10)} ms${ratio}`);
    }
  }
  return lines.join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const timeArgument = process.argv.find((argument) => argument.startsWith('--time-ms='));
  const sections = await runMicroBenchmarks({
    ...(timeArgument === undefined ? {} : { timeMs: Number(timeArgument.slice('--time-ms='.length)) }),
    onProgress: (line) => process.stderr.write(`… ${line}\n`),
  });
  process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(sections, null, 2)}\n` : `${formatMicroBenchmarks(sections)}\n`);
}
