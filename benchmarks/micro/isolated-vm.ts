// Micro-benchmark of @codecall/sandbox-isolated-vm beside raw isolated-vm, measured in one run.
//
//   node --no-node-snapshot benchmarks/micro/isolated-vm.ts [--time-ms=500] [--no-supervised] [--json]
//
// Every codecall figure is compared with a raw isolated-vm baseline taken in the same process, so
// the ratios hold on any machine; absolute targets (warm start, per-call cost) are reported beside.
import { fileURLToPath } from 'node:url';
import { createDispatcher, createToolset, defineTool, resolveLimits, runCode } from '@codecall/core';
import type { Limits, SandboxV1 } from '@codecall/core';
import { createIsolatedVmSandbox } from '@codecall/sandbox-isolated-vm';
import { z } from 'zod';
import { createRawHarness, rawColdStart } from './isolated-vm-raw.ts';
import { expectSuccess, formatRowsTable, machineInfo, makePayload, measure, measureRounds, payloadBytes, roundMeasured, roundStatistic, withTarget } from './micro-result.ts';
import type { MachineInfo, Measured, MicroBenchmarkRow, RoundTask, RoundTimes } from './micro-result.ts';

/** Options of `runIsolatedVmBenchmarks`. */
export interface IsolatedVmBenchmarkOptions {
  /** Time budget of each measured task in milliseconds (cold supervised runs get four times it). Default 500. */
  readonly timeMs?: number;
  /** Also measure supervised mode (child processes). Default true. */
  readonly supervised?: boolean;
  /** Progress lines; default: none. */
  readonly onProgress?: (line: string) => void;
}

/** One measured (or derived) figure: the shared row, with this suite's subjects (`core` is the @codecall/core dispatcher alone, no sandbox). */
export interface IsolatedVmBenchmarkResult extends MicroBenchmarkRow {
  /** `raw` isolated-vm, codecall `in-process` or `supervised`, or `core` (the dispatcher alone: the share of a tool call no adapter can avoid). */
  readonly subject: 'raw' | 'core' | 'in-process' | 'supervised';
}

/** Everything one benchmark run produced. */
export interface IsolatedVmBenchmarkReport {
  /** ISO 8601 time of the run. */
  readonly date: string;
  /** Where it ran. */
  readonly machine: MachineInfo;
  /** Versions that matter. */
  readonly versions: { readonly node: string; readonly v8: string; readonly isolatedVm: string };
  readonly results: readonly IsolatedVmBenchmarkResult[];
}

const idleGapMs = 5;

async function idleGap(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, idleGapMs));
}
const calls = 1_000;

// Waits for a sandbox that reports readiness (supervised mode's `ready()`); others are ready at once.
async function readyOf(sandbox: SandboxV1): Promise<void> {
  const ready = (sandbox as { ready?: () => Promise<void> }).ready;
  if (typeof ready === 'function') await ready.call(sandbox);
}

/**
 * Measures raw isolated-vm and codecall's isolated-vm sandbox (in-process and supervised) on the
 * same workloads in one process: cold start, warm start, one awaited tool call, 1,000 sequential
 * and 1,000 parallel calls, and a 1 MB tool result. Returns every figure with its ratio to the
 * baseline and whether the target is met.
 */
export async function runIsolatedVmBenchmarks(options: IsolatedVmBenchmarkOptions = {}): Promise<IsolatedVmBenchmarkReport> {
  const timeMs = options.timeMs ?? 500;
  const progress = options.onProgress ?? (() => undefined);
  const results: IsolatedVmBenchmarkResult[] = [];
  const payload = makePayload();

  const ping = defineTool({ name: 'ping', description: 'Returns its input number.', input: z.object({ i: z.number() }), execute: async ({ i }) => i });
  const big = defineTool({ name: 'big', description: 'Returns about 1 MB of JSON.', input: z.object({}), execute: async () => payload });
  const tools = [ping, big];
  const limits: Limits = { maxToolCalls: calls, maxConcurrentToolCalls: calls, maxValueBytes: 4 * payloadBytes };
  const sequentialCode = `for (let i = 0; i < ${calls}; i++) await ping({ i });`;
  const parallelCode = `await Promise.all(Array.from({ length: ${calls} }, (_, i) => ping({ i })));`;

  // Raw isolated-vm. Its sequential calls are timed later, in the same rounds as codecall's (see
  // measureRounds): the per-call target is a ratio of the two.
  progress('raw isolated-vm');
  const echoI = async (inputJson: string): Promise<string> => JSON.stringify((JSON.parse(inputJson) as { i: number }).i);
  const rawCold = await measure(rawColdStart, timeMs);
  const raw = await createRawHarness(echoI);
  const rawWarm = await measure(async () => raw.run('finish()'), timeMs, async () => {
    await raw.freshContext();
    await idleGap();
  });
  const rawCall = await measure(async () => raw.run('(async () => { await call({ i: 1 }); finish(); })()', 1), timeMs);
  const rawParallel = await measure(async () => raw.run(`(async () => { await Promise.all(Array.from({ length: ${calls} }, (_, i) => call({ i }))); finish(); })()`, calls), timeMs);
  // The same sequential calls answered with applyIgnored: the faster raw bridge of the same kind
  // (asynchronous, guest code off the host's thread). The per-call target is against the faster
  // of the two.
  const rawIgnored = await createRawHarness(echoI, 'applyIgnored');
  const rawSequentialCode = `(async () => { for (let i = 0; i < ${calls}; i++) await call({ i }); finish(); })()`;
  const rawSequentialTasks = [
    { run: async () => raw.run(rawSequentialCode, calls) },
    { run: async () => rawIgnored.run(rawSequentialCode, calls) },
  ];
  const rawBig = await createRawHarness(async () => JSON.stringify(payload));
  const rawTransfer = await measure(async () => rawBig.run('(async () => { const r = await call({}); r.items.length; finish(); })()', 1), timeMs);
  rawBig.dispose();
  results.push(
    { name: 'cold start', subject: 'raw', ...rawCold },
    { name: 'warm start', subject: 'raw', ...rawWarm },
    { name: 'one awaited call', subject: 'raw', ...rawCall },
    { name: `${calls} parallel calls`, subject: 'raw', ...rawParallel },
    { name: '1 MB tool result', subject: 'raw', ...rawTransfer },
  );
  // Where the raw rows measured in the in-process rounds go, so the raw rows stay together.
  const rawRowsEnd = results.length;

  // The core dispatcher alone (validation, limits, tracing): part of every codecall figure below.
  progress('core dispatcher alone');
  const dispatcherLimits = resolveLimits({ maxToolCalls: 1_000_000_000, maxConcurrentToolCalls: calls });
  const dispatcher = createDispatcher({ tools: createToolset([ping]), limits: dispatcherLimits, executionId: 'benchmark' });
  const dispatcherSequential = await measure(async () => {
    for (let i = 0; i < calls; i++) await dispatcher.callTool({ name: 'ping', inputJson: `{"i":${i}}` });
  }, timeMs);
  const dispatcherParallel = await measure(async () => {
    await Promise.all(Array.from({ length: calls }, (_, i) => dispatcher.callTool({ name: 'ping', inputJson: `{"i":${i}}` })));
  }, timeMs);
  dispatcher.close();
  const corePerCall: IsolatedVmBenchmarkResult = { name: 'per sequential call', subject: 'core', medianMs: dispatcherSequential.medianMs / calls, p75Ms: dispatcherSequential.p75Ms / calls, samples: 0 };
  results.push(
    { name: `${calls} sequential calls`, subject: 'core', ...dispatcherSequential },
    { name: `${calls} parallel calls`, subject: 'core', ...dispatcherParallel },
    withTarget(corePerCall, '<= 0.002 ms (dispatcher own cost)', 'ms', corePerCall.medianMs, 0.002),
  );

  let rawPerCall: number | undefined;
  // The raw row the in-process sequential calls are compared with: the faster raw bridge.
  let rawSequentialName = `${calls} sequential calls`;
  // Sequential calls and trivial runs of a sandbox, timed in rounds with `others` (a baseline's
  // tasks, in front): the per-call figure is sequential minus trivial, per call.
  // Every task follows an idle gap: the pool prepares the context that replaces the one a run
  // used in the background, and that work must not land in the next task's timing.
  const sequentialRounds = async (sandbox: SandboxV1, others: readonly RoundTask[]): Promise<{ rounds: RoundTimes; sequential: number; trivial: number }> => {
    const run = (code: string) => async () => expectSuccess(await runCode({ sandbox, code, tools, limits }));
    const tasks = [...others, { run: run(sequentialCode) }, { run: run('return 1') }].map((task) => ({ ...task, beforeEach: idleGap }));
    const rounds = await measureRounds(tasks, { timeMs: timeMs * 4, minRounds: 9 });
    return { rounds, sequential: others.length, trivial: others.length + 1 };
  };
  const perCallOf = (times: readonly number[], sequential: number, trivial: number): number => Math.max(0, (times[sequential] ?? 0) - (times[trivial] ?? 0)) / calls;

  const measureSandbox = async (subject: 'in-process' | 'supervised', createCold: () => SandboxV1, createWarm: () => SandboxV1): Promise<void> => {
    progress(`codecall ${subject}`);
    const inProcess = subject === 'in-process';
    const run = (sandbox: SandboxV1, code: string) => async () => expectSuccess(await runCode({ sandbox, code, tools, limits }));
    const cold = createCold();
    // In-process, the cold start is gated against raw's: both are timed in the same rounds.
    const coldRounds = inProcess ? await measureRounds([{ run: rawColdStart }, { run: run(cold, 'return 1') }], { timeMs: timeMs * 2, minRounds: 20 }) : undefined;
    const coldStart = coldRounds === undefined ? await measure(run(cold, 'return 1'), timeMs * 4) : roundMeasured(coldRounds, 1);
    const coldRatio = coldRounds === undefined ? undefined : roundStatistic(coldRounds, (times) => (times[1] ?? 0) / (times[0] ?? 0));
    await cold.dispose();
    // First run of a new sandbox once it reports ready (supervised: its children have started).
    // Each sample starts a sandbox and its processes outside the timing, which tinybench's time
    // budget does not count: a fixed number of samples, one per 5 ms of `timeMs`, at least 10.
    let fresh: SandboxV1 | undefined;
    const firstRun = inProcess
      ? undefined
      : await measure(
          async () => {
            if (fresh !== undefined) await run(fresh, 'return 1')();
          },
          { samples: Math.max(10, Math.round(timeMs / 5)) },
          async () => {
            fresh = createWarm();
            await readyOf(fresh);
          },
          async () => {
            await fresh?.dispose();
            fresh = undefined;
          },
        );
    const warm = createWarm();
    await readyOf(warm);
    await run(warm, 'return 1')();
    // Pool ready: an idle gap before each run (outside the timing) lets the pool prepare the next
    // fresh context, as between the turns of an agent loop. Back-to-back: no gap, so every run
    // also pays, on the isolate's thread, for the fresh context that replaces the one it used.
    const warmStart = await measure(run(warm, 'return 1'), timeMs, idleGap);
    const warmBackToBack = await measure(run(warm, 'return 1'), timeMs);
    const oneCall = await measure(run(warm, 'return await ping({ i: 1 });'), timeMs);
    // Per sequential call, in rounds with its baseline: in-process with both raw bridges,
    // supervised with an in-process sandbox of its own.
    const reference = inProcess ? undefined : createIsolatedVmSandbox({ mode: 'in-process', poolSize: 2 });
    const referenceRun = (code: string) => async () => expectSuccess(await runCode({ sandbox: reference as SandboxV1, code, tools, limits }));
    const { rounds, sequential: sequentialIndex, trivial: trivialIndex } = await sequentialRounds(
      warm,
      reference === undefined ? rawSequentialTasks : [{ run: referenceRun(sequentialCode) }, { run: referenceRun('return 1') }],
    );
    await reference?.dispose();
    const sequential = roundMeasured(rounds, sequentialIndex);
    const warmTrivial = roundMeasured(rounds, trivialIndex);
    let rawBest: Measured | undefined;
    let perCallRatio: { value: number; noise: number };
    if (inProcess) {
      const rawApply = roundMeasured(rounds, 0);
      const rawApplyIgnored = roundMeasured(rounds, 1);
      const best = rawApplyIgnored.medianMs < rawApply.medianMs ? 1 : 0;
      rawBest = best === 1 ? rawApplyIgnored : rawApply;
      rawPerCall = rawBest.medianMs / calls;
      if (best === 1) rawSequentialName = `${calls} sequential calls, applyIgnored`;
      results.splice(
        rawRowsEnd,
        0,
        { name: `${calls} sequential calls`, subject: 'raw', ...rawApply },
        { name: `${calls} sequential calls, applyIgnored`, subject: 'raw', ...rawApplyIgnored },
        { name: 'per sequential call', subject: 'raw', medianMs: rawBest.medianMs / calls, p75Ms: rawBest.p75Ms / calls, samples: 0 },
      );
      perCallRatio = roundStatistic(rounds, (times) => perCallOf(times, sequentialIndex, trivialIndex) / ((times[best] ?? 0) / calls));
    } else {
      perCallRatio = roundStatistic(rounds, (times) => perCallOf(times, sequentialIndex, trivialIndex) / perCallOf(times, 0, 1));
    }
    const parallel = await measure(run(warm, parallelCode), timeMs);
    const transfer = await measure(run(warm, 'const r = await big({}); return r.items.length;'), timeMs);
    await warm.dispose();
    const perCall = Math.max(0, sequential.medianMs - warmTrivial.medianMs) / calls;
    const perCallP75 = Math.max(0, sequential.p75Ms - warmTrivial.medianMs) / calls;
    const dispatcherPerCall = dispatcherSequential.medianMs / calls;
    const versus = (baseline: Measured, baselineName: string, row: Omit<IsolatedVmBenchmarkResult, 'subject' | 'baseline' | 'ratio'> & Measured): IsolatedVmBenchmarkResult => ({
      ...row,
      subject,
      baseline: `raw/${baselineName}`,
      ratio: row.medianMs / baseline.medianMs,
    });
    const coldRow: IsolatedVmBenchmarkResult = { ...versus(rawCold, 'cold start', { name: 'cold start', ...coldStart }), ...(coldRatio === undefined ? {} : { ratio: coldRatio.value }) };
    const warmRow = versus(rawWarm, 'warm start', { name: 'warm start (pool ready)', ...warmStart });
    const parallelRow = versus(rawParallel, `${calls} parallel calls`, { name: `${calls} parallel calls`, ...parallel });
    // The ratio of a per-call row is the median of its rounds' ratios (see measureRounds), not
    // the ratio of the medians.
    const perCallRow: IsolatedVmBenchmarkResult = {
      name: 'per sequential call',
      subject,
      medianMs: perCall,
      p75Ms: perCallP75,
      samples: 0,
      baseline: inProcess ? 'raw/per sequential call' : 'in-process/per sequential call',
      ratio: perCallRatio.value,
    };
    const transferRow = versus(rawTransfer, '1 MB tool result', { name: '1 MB tool result', ...transfer });
    const parallelRatio = parallel.medianMs / sequential.medianMs;
    const parallelNoise = Math.max(0, parallel.p75Ms / parallel.medianMs - 1) + Math.max(0, sequential.p75Ms / sequential.medianMs - 1);
    results.push(
      coldRatio === undefined ? coldRow : withTarget(coldRow, '<= 1.2x raw', 'ratio', coldRatio.value, 1.2, coldRatio.noise),
      ...(firstRun === undefined
        ? []
        : [withTarget({ name: 'first run after ready()', subject, ...firstRun } satisfies IsolatedVmBenchmarkResult, '<= 50 ms', 'ms', firstRun.medianMs, 50)]),
      withTarget(warmRow, inProcess ? '<= 0.2 ms' : '<= 1 ms', 'ms', warmStart.medianMs, inProcess ? 0.2 : 1),
      versus(rawWarm, 'warm start', { name: 'warm start (back-to-back)', ...warmBackToBack }),
      versus(rawCall, 'one awaited call', { name: 'one awaited call', ...oneCall }),
      ...(rawBest === undefined ? [{ name: `${calls} sequential calls`, subject, ...sequential }] : [versus(rawBest, rawSequentialName, { name: `${calls} sequential calls`, ...sequential })]),
      withTarget(parallelRow, `<= 0.5x its own ${calls} sequential calls (not serialized)`, 'ratio', parallelRatio, 0.5, parallelNoise),
      withTarget(perCallRow, inProcess ? '<= 1.2x raw' : '<= 2x in-process', 'ratio', perCallRatio.value, inProcess ? 1.2 : 2, perCallRatio.noise),
      {
        name: 'per sequential call, bridge only (minus core dispatcher)',
        subject,
        medianMs: Math.max(0, perCall - dispatcherPerCall),
        p75Ms: Math.max(0, perCallP75 - dispatcherPerCall),
        samples: 0,
        baseline: 'raw/per sequential call',
        ratio: Math.max(0, perCall - dispatcherPerCall) / (rawPerCall ?? Number.NaN),
      },
      inProcess ? withTarget(transferRow, '<= 1.2x raw', 'ratio', transferRow.ratio ?? 0, 1.2) : transferRow,
    );
  };

  await measureSandbox(
    'in-process',
    () => createIsolatedVmSandbox({ mode: 'in-process', poolSize: 0 }),
    () => createIsolatedVmSandbox({ mode: 'in-process', poolSize: 2 }),
  );
  raw.dispose();
  rawIgnored.dispose();
  if (options.supervised ?? true) {
    await measureSandbox(
      'supervised',
      () => createIsolatedVmSandbox({ mode: 'supervised', poolSize: 0 }),
      () => createIsolatedVmSandbox({ mode: 'supervised' }),
    );
  }

  return {
    date: new Date().toISOString(),
    machine: machineInfo(),
    versions: { node: process.version, v8: process.versions.v8, isolatedVm: '6.2.0' },
    results,
  };
}

/** Renders a report as a fixed-width table. */
export function formatIsolatedVmBenchmarkReport(report: IsolatedVmBenchmarkReport): string {
  return formatRowsTable(
    `isolated-vm micro-benchmark — ${report.date} — Node ${report.versions.node}, isolated-vm ${report.versions.isolatedVm}, ${report.machine.cpu} x${report.machine.cores}`,
    report.results,
  );
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const timeArgument = process.argv.find((argument) => argument.startsWith('--time-ms='));
  const report = await runIsolatedVmBenchmarks({
    ...(timeArgument === undefined ? {} : { timeMs: Number(timeArgument.slice('--time-ms='.length)) }),
    supervised: !process.argv.includes('--no-supervised'),
    onProgress: (line) => process.stderr.write(`… ${line}\n`),
  });
  process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(report, null, 2)}\n` : `${formatIsolatedVmBenchmarkReport(report)}\n`);
}
