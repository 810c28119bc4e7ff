// Peers suite: codecall beside other projects' sandboxes for model-written code, on the same
// workloads in the same interleaved rounds: a trivial run, 1,000 sequential awaited calls of a tool
// that answers at once, 1,000 calls under Promise.all, and guest work without tools (sorting and
// filtering 10,000 records). The raw isolated-vm bridge is the floor
// (nothing between guest and handler), and every figure is also given as a ratio to codecall's
// in-process mode measured in the same rounds.
//
//   node --no-node-snapshot benchmarks/micro/peers.ts [--time-ms=150] [--peers=quickjs,utcp-code-mode,workerd-codemode] [--json]
//
// These rows carry no targets: a peer is context, not a gate. A peer that cannot run here (not
// installed, its runtime does not start, its answers are wrong) is reported with the reason.
import { fileURLToPath } from 'node:url';
import { defineTool, runCode } from '@codecall/core';
import type { Limits, SandboxV1 } from '@codecall/core';
import { createIsolatedVmSandbox } from '@codecall/sandbox-isolated-vm';
import { z } from 'zod';
import { createRawHarness } from './isolated-vm-raw.ts';
import { formatPeerSubjects, formatRowsTable, machineInfo, measureRounds, quantile, roundMeasured, roundStatistic } from './micro-result.ts';
import type { MachineInfo, MicroBenchmarkRow, PeerSubject, RoundTask } from './micro-result.ts';
import type { CreatePeer, PeerHarness } from './peers/peer.ts';

export type { PeerHarness } from './peers/peer.ts';
export type { PeerSubject } from './micro-result.ts';

/** The peers this suite knows, each a module under `./peers/` exporting `createPeer`. */
export const peerNames = ['quickjs', 'utcp-code-mode', 'workerd-codemode'] as const;

/** One of `peerNames`. */
export type PeerName = (typeof peerNames)[number];

/** Options of `runPeersBenchmarks`. */
export interface PeersBenchmarkOptions {
  /** Measured time of the rounds is at least eight times this, in milliseconds. Default 150. */
  readonly timeMs?: number;
  /** Peers to measure. Default all of `peerNames`. */
  readonly peers?: readonly PeerName[];
  /** Progress lines; default none. */
  readonly onProgress?: (line: string) => void;
}

/** Everything the suite produced: the rows and the subjects behind them. */
export interface PeersBenchmarkReport {
  readonly date: string;
  readonly machine: MachineInfo;
  readonly subjects: readonly PeerSubject[];
  readonly results: readonly MicroBenchmarkRow[];
}

const calls = 1_000;

/** The workloads, as async function bodies (most calling `ping`), with the value each must return. */
const workloads = [
  { name: 'warm run (return 1)', body: 'return 1;', expected: 1, calls: 0 },
  { name: `${calls} sequential calls`, body: `let sum = 0; for (let i = 0; i < ${calls}; i++) sum += await ping({ i }); return sum;`, expected: (calls * (calls - 1)) / 2, calls },
  { name: `${calls} parallel calls`, body: `const all = await Promise.all(Array.from({ length: ${calls} }, (_, i) => ping({ i }))); return all.length;`, expected: calls, calls },
  // Guest work without tools: build 10,000 records, filter, sort and keep 100, as a program that
  // trims a large tool result does. Its value was computed by Node running the same code.
  {
    name: 'compute: sort and filter 10,000 records',
    body: "const rows = Array.from({ length: 10000 }, (_, i) => ({ id: i, score: (i * 7919) % 1000, name: 'item-' + i })); return rows.filter((row) => row.score > 500).sort((a, b) => b.score - a.score || a.id - b.id).slice(0, 100).reduce((sum, row) => sum + row.id, 0);",
    expected: 506_550,
    calls: 0,
  },
] as const;

interface Subject {
  readonly info: PeerSubject;
  readonly run: (workload: (typeof workloads)[number]) => Promise<void>;
  readonly dispose: () => Promise<void>;
}

const idleGap = async (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

function checked(harness: PeerHarness): Subject['run'] {
  return async (workload) => {
    const value = await harness.run(workload.body);
    if (value !== workload.expected) throw new Error(`${harness.label}: ${workload.name} returned ${JSON.stringify(value)}, expected ${workload.expected}`);
  };
}

/** codecall's isolated-vm sandbox as a harness (its pool warm, as between the turns of an agent). */
async function codecallHarness(mode: 'in-process' | 'supervised'): Promise<PeerHarness> {
  const ping = defineTool({ name: 'ping', description: 'Returns its input number.', input: z.object({ i: z.number() }), execute: async ({ i }) => i });
  const limits: Limits = { maxToolCalls: calls, maxConcurrentToolCalls: calls };
  const sandbox: SandboxV1 = createIsolatedVmSandbox(mode === 'in-process' ? { mode, poolSize: 2 } : { mode });
  const ready = (sandbox as { ready?: () => Promise<void> }).ready;
  if (typeof ready === 'function') await ready.call(sandbox);
  return {
    label: `@codecall/sandbox-isolated-vm, ${mode}`,
    isolation: mode === 'in-process' ? 'V8 isolates on isolated-vm threads in the host process' : 'V8 isolates in pooled child processes, bridged over pipes',
    run: async (body) => {
      const result = await runCode({ sandbox, code: body, tools: [ping], limits });
      if (result.type !== 'success') throw new Error(`${result.error.code}: ${result.error.message}`);
      return result.value;
    },
    dispose: async () => sandbox.dispose(),
  };
}

/** Raw isolated-vm: the floor, nothing between the guest and the handler (see isolated-vm-raw.ts). */
async function rawSubject(): Promise<Subject> {
  const raw = await createRawHarness(async (inputJson) => JSON.stringify((JSON.parse(inputJson) as { i: number }).i), 'applyIgnored');
  return {
    info: { subject: 'raw isolated-vm', label: 'isolated-vm 6.2.0, bare bridge', isolation: 'one V8 isolate in the host process, reused context, no validation or limits', status: 'measured' },
    run: async (workload) => {
      const value = await raw.run(`(async () => { const ping = call; ${workload.body} })().then((value) => finish(value))`, workload.calls);
      if (value !== workload.expected) throw new Error(`raw isolated-vm: ${workload.name} returned ${JSON.stringify(value)}, expected ${workload.expected}`);
    },
    dispose: async () => raw.dispose(),
  };
}

async function loadPeer(name: PeerName): Promise<PeerHarness | string> {
  let create: CreatePeer;
  try {
    create = ((await import(`./peers/${name}.ts`)) as { createPeer: CreatePeer }).createPeer;
  } catch (error) {
    return `could not be loaded: ${(error as Error).message.split('\n')[0] ?? ''}`;
  }
  try {
    return await create();
  } catch (error) {
    return `did not start: ${(error as Error).message.split('\n')[0] ?? ''}`;
  }
}

/**
 * Measures codecall (in-process and supervised) beside raw isolated-vm and the peers, every
 * subject's workloads in the same interleaved rounds. Each subject is checked on every workload
 * (right value back) before any timing; one that fails is reported as skipped.
 */
export async function runPeersBenchmarks(options: PeersBenchmarkOptions = {}): Promise<PeersBenchmarkReport> {
  const timeMs = options.timeMs ?? 150;
  const progress = options.onProgress ?? (() => undefined);
  const subjects: Subject[] = [];
  const infos: PeerSubject[] = [];
  const add = async (subject: Subject): Promise<void> => {
    try {
      for (const workload of workloads) await subject.run(workload);
      subjects.push(subject);
      infos.push(subject.info);
    } catch (error) {
      infos.push({ ...subject.info, status: 'skipped', reason: `wrong or failed answer: ${(error as Error).message.split('\n')[0] ?? ''}` });
      await subject.dispose().catch(() => undefined);
    }
  };
  const fromHarness = (subject: string, harness: PeerHarness): Subject => ({
    info: { subject, label: harness.label, isolation: harness.isolation, status: 'measured' },
    run: checked(harness),
    dispose: async () => harness.dispose(),
  });
  try {
    progress('raw isolated-vm, codecall');
    await add(await rawSubject());
    await add(fromHarness('codecall in-process', await codecallHarness('in-process')));
    await add(fromHarness('codecall supervised', await codecallHarness('supervised')));
    for (const name of options.peers ?? peerNames) {
      progress(`peer ${name}`);
      const harness = await loadPeer(name);
      if (typeof harness === 'string') infos.push({ subject: name, label: name, isolation: '', status: 'skipped', reason: harness });
      else await add(fromHarness(name, harness));
    }
    progress(`rounds of ${subjects.length} subjects`);
    const tasks: RoundTask[] = subjects.flatMap((subject) => workloads.map((workload) => ({ run: async () => subject.run(workload), beforeEach: idleGap })));
    const rounds = await measureRounds(tasks, { timeMs: timeMs * 8, minRounds: 9 });
    const index = (subject: number, workload: number): number => subject * workloads.length + workload;
    const reference = subjects.findIndex((subject) => subject.info.subject === 'codecall in-process');
    const perCall = (times: readonly number[], subject: number): number => Math.max(0, (times[index(subject, 1)] ?? 0) - (times[index(subject, 0)] ?? 0)) / calls;
    const results: MicroBenchmarkRow[] = subjects.flatMap((subject, s) => {
      const versus = (row: MicroBenchmarkRow, ofRound: (times: readonly number[]) => number): MicroBenchmarkRow =>
        reference < 0 || reference === s ? row : { ...row, baseline: `codecall in-process/${row.name}`, ratio: roundStatistic(rounds, ofRound).value };
      const rows = workloads.map((workload, w) =>
        versus({ name: workload.name, subject: subject.info.subject, ...roundMeasured(rounds, index(s, w)) }, (times) => (times[index(s, w)] ?? 0) / (times[index(reference, w)] ?? 0)),
      );
      const perCallTimes = rounds.map((times) => perCall(times, s)).sort((a, b) => a - b);
      const perCallRow = versus(
        { name: 'per sequential call', subject: subject.info.subject, medianMs: roundStatistic(rounds, (times) => perCall(times, s)).value, p75Ms: quantile(perCallTimes, 0.75), samples: 0 },
        (times) => perCall(times, s) / perCall(times, reference),
      );
      return [rows[0], rows[1], perCallRow, ...rows.slice(2)].filter((row): row is MicroBenchmarkRow => row !== undefined);
    });
    return { date: new Date().toISOString(), machine: machineInfo(), subjects: infos, results };
  } finally {
    for (const subject of subjects) await subject.dispose().catch(() => undefined);
  }
}

/** The rows and the subjects (with skip reasons) as text. */
export function formatPeersBenchmarkReport(report: PeersBenchmarkReport): string {
  return [formatRowsTable(`peers micro-benchmark — ${report.date} — ${report.machine.cpu} x${report.machine.cores}`, report.results), ...formatPeerSubjects(report.subjects)].join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argument = (name: string): string | undefined => process.argv.find((candidate) => candidate.startsWith(`--${name}=`))?.slice(name.length + 3);
  const peersText = argument('peers');
  const peers = peersText === undefined ? undefined : peersText.split(',');
  for (const peer of peers ?? []) if (!(peerNames as readonly string[]).includes(peer)) throw new Error(`--peers: unknown peer ${peer} (known: ${peerNames.join(', ')})`);
  const timeText = argument('time-ms');
  if (timeText !== undefined && !(Number(timeText) > 0)) throw new Error(`--time-ms must be a number > 0, got ${timeText}`);
  const report = await runPeersBenchmarks({
    ...(timeText === undefined ? {} : { timeMs: Number(timeText) }),
    ...(peers === undefined ? {} : { peers: peers as PeerName[] }),
    onProgress: (line) => process.stderr.write(`… ${line}\n`),
  });
  process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(report, null, 2)}\n` : `${formatPeersBenchmarkReport(report)}\n`);
}
