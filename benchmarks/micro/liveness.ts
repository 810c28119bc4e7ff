// Host liveness, memory and leak checks of the local sandboxes, measured in one run:
// - the longest event-loop block of the host while guests spin until their timeout (beside the
//   block measured with no guest, in the same run: the machine's own scheduling noise; for
//   subprocess node also with runners forked by the host, `spawnHelper: false`, for comparison);
// - host RSS growth (after a memory-reducing gc, plus the RSS of the subprocess adapter's spawn
//   helper) over many runs on one sandbox, and over their second half (where a leak keeps growing
//   and a working set does not);
// - processes, temp dirs and cgroups left behind by creating and disposing many sandboxes.
//
//   node --no-node-snapshot --expose-gc benchmarks/micro/liveness.ts [--quick] [--json]
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { defineTool, runCode } from '@codecall/core';
import type { SandboxLanguage, SandboxV1 } from '@codecall/core';
import { createIsolatedVmSandbox } from '@codecall/sandbox-isolated-vm';
import { createSubprocessSandbox } from '@codecall/sandbox-subprocess';
import { z } from 'zod';
import { formatRowsTable, machineInfo, quantile, withTarget } from './micro-result.ts';
import type { MachineInfo, MicroBenchmarkRow } from './micro-result.ts';

/** Options of `runLivenessBenchmarks`. */
export interface LivenessBenchmarkOptions {
  /** Runs of the memory check per sandbox. Default 10,000 (isolated-vm) and a tenth of it for the subprocess. */
  readonly memoryRuns?: number;
  /** Sandboxes created and disposed by the leak check per backend. Default 200. */
  readonly leakSandboxes?: number;
  /** How long each spinning guest runs before its timeout, in milliseconds. Default 1,000. */
  readonly spinMs?: number;
  /**
   * Rounds of the event-loop check per backend (two guests spinning to their timeout in each). The
   * target ("never blocked more than 50 ms") is judged on the longest block of all rounds. Default 3.
   */
  readonly blockRounds?: number;
  /** Progress lines; default: none. */
  readonly onProgress?: (line: string) => void;
}

/** Everything one run produced. */
export interface LivenessBenchmarkReport {
  readonly date: string;
  readonly machine: MachineInfo;
  readonly results: readonly MicroBenchmarkRow[];
}

interface Backend {
  readonly subject: string;
  readonly language: SandboxLanguage;
  readonly spin: string;
  readonly trivial: string;
  readonly create: () => SandboxV1;
}

const backends: readonly Backend[] = [
  { subject: 'in-process', language: 'javascript', spin: 'while (true) {}', trivial: 'return await ping({ i: 1 });', create: () => createIsolatedVmSandbox({ mode: 'in-process' }) },
  { subject: 'supervised', language: 'javascript', spin: 'while (true) {}', trivial: 'return await ping({ i: 1 });', create: () => createIsolatedVmSandbox({ mode: 'supervised' }) },
  { subject: 'subprocess node', language: 'javascript', spin: 'while (true) {}', trivial: 'return await ping({ i: 1 });', create: () => createSubprocessSandbox() },
  { subject: 'subprocess python', language: 'python', spin: 'while True:\n    pass', trivial: 'await ping({"i": 1})', create: () => createSubprocessSandbox() },
];

const ping = defineTool({ name: 'ping', description: 'Returns its input number.', input: z.object({ i: z.number() }), execute: async ({ i }) => i });

type Gc = (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

// A memory-reducing full collection (V8's "last resort" flavour, as under memory pressure): it also
// shrinks the young generation, which a regular gc() leaves at whatever size the allocation rate
// grew it to (up to tens of MB of committed heap that are V8's sizing, not memory anything holds).
function collectGarbage(): void {
  const gc = (globalThis as { gc?: Gc }).gc ?? (setFlagsFromString('--expose-gc'), runInNewContext('gc') as Gc);
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}

/** Host RSS after gc, plus the spawn helper's (the subprocess adapter's runners start from it). */
async function settledRss(): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  collectGarbage();
  return process.memoryUsage().rss + spawnHelperRss();
}

async function readyOf(sandbox: SandboxV1): Promise<void> {
  const ready = (sandbox as { ready?: () => Promise<void> }).ready;
  if (typeof ready === 'function') await ready.call(sandbox);
}

/**
 * Longest event-loop delay of each of `rounds` rounds of `work`: the row's median and 75th
 * percentile, and the longest of all (what "never blocked more than" is judged on).
 */
async function blockRounds(rounds: number, work: () => Promise<void>): Promise<{ readonly medianMs: number; readonly p75Ms: number; readonly maxMs: number; readonly samples: number }> {
  const blocks: number[] = [];
  for (let round = 0; round < rounds; round++) blocks.push(await maxEventLoopDelay(work));
  blocks.sort((a, b) => a - b);
  return { medianMs: quantile(blocks, 0.5), p75Ms: quantile(blocks, 0.75), maxMs: blocks[blocks.length - 1] ?? 0, samples: blocks.length };
}

/** Longest event-loop delay, in ms, while `work` runs (monitorEventLoopDelay, 1 ms resolution). */
async function maxEventLoopDelay(work: () => Promise<void>): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  try {
    await work();
  } finally {
    histogram.disable();
  }
  return histogram.max / 1e6;
}

/** Processes whose parent is `pid`. */
function childrenOf(pid: number | 'self'): number[] {
  const ids: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text !== '') ids.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // Gone, or not Linux: no process count.
  }
  return ids;
}

/** Every descendant of this process: runners are the spawn helper's children, not the host's. */
function descendantProcessIds(): number[] {
  const found: number[] = [];
  const queue = childrenOf('self');
  while (queue.length > 0 && found.length < 10_000) {
    const id = queue.shift() as number;
    found.push(id);
    queue.push(...childrenOf(id));
  }
  return found;
}

/** RSS of the subprocess adapter's spawn helper (a child of this process), in bytes; 0 without one. */
function spawnHelperRss(): number {
  let total = 0;
  for (const id of childrenOf('self')) {
    try {
      if (!readFileSync(`/proc/${id}/cmdline`, 'latin1').includes('spawn-helper-child')) continue;
      const kib = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${id}/status`, 'utf8'))?.[1];
      total += Number(kib ?? 0) * 1024;
    } catch {
      // Gone.
    }
  }
  return total;
}

function codecallTempEntries(): Set<string> {
  const found = new Set<string>();
  for (const base of new Set([tmpdir(), '/tmp', '/var/tmp'])) {
    try {
      for (const name of readdirSync(base)) if (name.startsWith('codecall')) found.add(`${base}/${name}`);
    } catch {
      // Missing base.
    }
  }
  return found;
}

function cgroupEntries(): Set<string> {
  const found = new Set<string>();
  try {
    const own = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((line) => line.startsWith('0::'))?.slice(3);
    if (own === undefined) return found;
    const walk = (directory: string, depth: number): void => {
      if (depth > 3) return;
      for (const entry of readdirSync(directory, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        if (entry.name.includes('codecall')) found.add(`${directory}/${entry.name}`);
        walk(`${directory}/${entry.name}`, depth + 1);
      }
    };
    walk(`/sys/fs/cgroup${own === '/' ? '' : own}`, 0);
  } catch {
    // No cgroup v2 tree readable here.
  }
  return found;
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Measures liveness, memory growth and leftovers of every local backend. */
export async function runLivenessBenchmarks(options: LivenessBenchmarkOptions = {}): Promise<LivenessBenchmarkReport> {
  const progress = options.onProgress ?? (() => undefined);
  const spinMs = options.spinMs ?? 1_000;
  const leakSandboxes = options.leakSandboxes ?? 200;
  const results: MicroBenchmarkRow[] = [];
  const tools = [ping];

  // The machine's own scheduling noise: the same wait with no guest running.
  const rounds = Math.max(1, options.blockRounds ?? 3);
  const idle = await blockRounds(rounds, () => new Promise((resolve) => setTimeout(resolve, spinMs)));
  const idleBlock = idle.maxMs;
  results.push({ name: 'max event-loop block, no guest (longest of the rounds)', subject: 'host', medianMs: idle.maxMs, p75Ms: idle.maxMs, samples: idle.samples });

  for (const backend of backends) {
    progress(`${backend.subject}: liveness`);
    let sandbox: SandboxV1;
    try {
      sandbox = backend.create();
      await readyOf(sandbox);
      await runCode({ sandbox, language: backend.language, code: backend.trivial, tools });
    } catch (error) {
      results.push({ name: `skipped: ${(error as Error).message.slice(0, 120)}`, subject: backend.subject, medianMs: 0, p75Ms: 0, samples: 0 });
      continue;
    }
    // Two guests spin at once until their timeout, while the host's event loop is watched.
    const spinning = await blockRounds(rounds, async () => {
      const runs = [0, 1].map(() => runCode({ sandbox, language: backend.language, code: backend.spin, tools, limits: { timeoutMs: spinMs } }));
      const outcomes = await Promise.all(runs);
      for (const outcome of outcomes) if (outcome.type !== 'error' || outcome.error.code !== 'TIMEOUT') throw new Error(`${backend.subject}: a spinning guest ended with ${outcome.type === 'error' ? outcome.error.code : 'success'}, not TIMEOUT`);
    });
    const block = spinning.maxMs;
    results.push(
      // The row shows the rounds' median and 75th percentile; the target is judged on the longest.
      withTarget(
        { name: 'max event-loop block, guests spinning', subject: backend.subject, medianMs: spinning.medianMs, p75Ms: spinning.p75Ms, samples: spinning.samples, baseline: 'host/max event-loop block, no guest (longest of the rounds)', ratio: block / Math.max(idleBlock, 1) },
        '<= 50 ms (longest of the rounds)',
        'ms',
        block,
        50,
        // The machine's own block with no guest is this run's noise band; a block is not a speed, so it is gated.
        idleBlock / 50,
        true,
      ),
    );

    if (backend.subject === 'subprocess node') {
      // The same spin with runners forked by the host (spawnHelper: false), for comparison:
      // a fork holds the host's event loop for a time that grows with the host's memory.
      const forking = createSubprocessSandbox({ spawnHelper: false });
      try {
        await runCode({ sandbox: forking, language: backend.language, code: backend.trivial, tools });
        const forkingBlocks = await blockRounds(rounds, async () => {
          await Promise.all([0, 1].map(() => runCode({ sandbox: forking, language: backend.language, code: backend.spin, tools, limits: { timeoutMs: spinMs } })));
        });
        results.push({ name: 'max event-loop block, guests spinning, host forks its runners (spawnHelper: false)', subject: backend.subject, medianMs: forkingBlocks.medianMs, p75Ms: forkingBlocks.p75Ms, samples: forkingBlocks.samples, baseline: 'host/max event-loop block, no guest (longest of the rounds)', ratio: forkingBlocks.maxMs / Math.max(idleBlock, 1) });
      } finally {
        await forking.dispose();
      }
    }

    // Memory: many runs on this one sandbox; host RSS after gc, before and after.
    const isolatedVm = !backend.subject.startsWith('subprocess');
    const memoryRuns = options.memoryRuns === undefined ? (isolatedVm ? 10_000 : 1_000) : isolatedVm ? options.memoryRuns : Math.max(1, Math.round(options.memoryRuns / 10));
    progress(`${backend.subject}: ${memoryRuns} runs for memory`);
    for (let index = 0; index < 50; index++) await runCode({ sandbox, language: backend.language, code: backend.trivial, tools });
    const before = await settledRss();
    let halfway = before;
    for (let index = 0; index < memoryRuns; index++) {
      const outcome = await runCode({ sandbox, language: backend.language, code: backend.trivial, tools });
      if (outcome.type !== 'success') throw new Error(`${backend.subject}: memory run ${index} failed: ${outcome.error.code} ${outcome.error.message}`);
      if (index + 1 === Math.floor(memoryRuns / 2)) halfway = await settledRss();
    }
    const after = await settledRss();
    await sandbox.dispose();
    results.push(
      withTarget({ name: `host RSS growth after ${memoryRuns} runs (gc)`, subject: backend.subject, medianMs: 0, p75Ms: 0, samples: memoryRuns }, '<= 50 MB', 'bytes', Math.max(0, after - before), 50_000_000, 0),
      // A leak keeps growing; a working set (pooled isolates, allocator arenas, thread stacks) is
      // reached in the first half and stays. Half the runs, half the budget.
      withTarget({ name: `host RSS growth over the second half of the runs (gc)`, subject: backend.subject, medianMs: 0, p75Ms: 0, samples: memoryRuns - Math.floor(memoryRuns / 2) }, '<= 25 MB', 'bytes', Math.max(0, after - halfway), 25_000_000, 0),
    );
  }

  // Leftovers: create and dispose many sandboxes (every other one runs once first).
  for (const backend of backends.filter((candidate) => candidate.subject !== 'subprocess python')) {
    progress(`${backend.subject}: ${leakSandboxes} sandboxes created and disposed`);
    const processesBefore = new Set(descendantProcessIds());
    const tempBefore = codecallTempEntries();
    const cgroupsBefore = cgroupEntries();
    for (let index = 0; index < leakSandboxes; index++) {
      const sandbox = backend.create();
      if (index % 2 === 0) await runCode({ sandbox, language: backend.language, code: backend.trivial, tools });
      await sandbox.dispose();
    }
    const leftover = (): number =>
      descendantProcessIds().filter((id) => !processesBefore.has(id)).length +
      [...codecallTempEntries()].filter((entry) => !tempBefore.has(entry)).length +
      [...cgroupEntries()].filter((entry) => !cgroupsBefore.has(entry)).length;
    // dispose() resolves once children have exited; give the kernel a moment to reap them.
    await waitFor(() => leftover() === 0, 2_000);
    results.push(withTarget({ name: `processes, temp dirs and cgroups left after ${leakSandboxes} sandboxes`, subject: backend.subject, medianMs: 0, p75Ms: 0, samples: leakSandboxes }, '0', 'count', leftover(), 0, 0));
  }

  return { date: new Date().toISOString(), machine: machineInfo(), results };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const quick = process.argv.includes('--quick');
  const report = await runLivenessBenchmarks({ ...(quick ? { memoryRuns: 1_000, leakSandboxes: 20 } : {}), onProgress: (line) => process.stderr.write(`… ${line}\n`) });
  process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(report, null, 2)}\n` : `${formatRowsTable(`liveness — ${report.date}`, report.results)}\n`);
}
