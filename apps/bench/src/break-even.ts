// The break-even map: programmatic calling against parallel tool use over a grid of synthetic
// fan-out tasks (number of calls x size of each tool result), run through the same matrix runner and
// simulator as the scenarios, so the map and the scenario figures come from one model.
import type { TokenSplit } from './bench-report.ts';
import { tokenSplitOf } from './bench-report.ts';
import { defaultBehaviour } from './behaviour-model.ts';
import type { BehaviourSettings } from './behaviour-model.ts';
import type { ModelPreset } from './model-presets.ts';
import { runMatrix } from './run-matrix.ts';
import type { MatrixCell, MetricName } from './run-matrix.ts';
import type { SandboxAvailability } from './sandbox-targets.ts';
import type { Scenario } from './scenario.ts';

/** Axes of the map. */
export interface BreakEvenAxes {
  /** Independent tool calls the task needs (x axis). */
  readonly calls: readonly number[];
  /** Approximate size of each tool result, in bytes of JSON (y axis). */
  readonly resultBytes: readonly number[];
  /** Probability that the program fails on its first attempt and is rewritten (third axis, 0–1). */
  readonly failureRates: readonly number[];
}

/** Default axes of a full run. */
export const defaultBreakEvenAxes: BreakEvenAxes = { calls: [1, 2, 4, 8, 16, 32], resultBytes: [100, 400, 1_600, 6_400, 25_600], failureRates: [0, 0.1, 0.25, 0.5] };

/** Axes of `--quick`. */
export const quickBreakEvenAxes: BreakEvenAxes = { calls: [1, 4, 16], resultBytes: [100, 1_600, 25_600], failureRates: [0, 0.1, 0.5] };

/** One point of the map: one synthetic task in both modes. */
export interface BreakEvenPoint {
  /** Independent tool calls. */
  readonly calls: number;
  /** Target size of each tool result, in bytes. */
  readonly resultBytes: number;
  /** Program failure rate of the point (expected values: see `BreakEvenMap.method`). */
  readonly failureRate: number;
  /** Median cost of parallel tool use (tokens + sandbox), in US dollars. */
  readonly parallelCostUsd: number;
  /** Median cost of programmatic calling (tokens + sandbox), in US dollars. */
  readonly programmaticCostUsd: number;
  /** `programmaticCostUsd / parallelCostUsd`: below 1, code is cheaper. */
  readonly costRatio: number;
  /** Median end-to-end latency of parallel tool use, in milliseconds. */
  readonly parallelLatencyMs: number;
  /** Median end-to-end latency of programmatic calling, in milliseconds. */
  readonly programmaticLatencyMs: number;
  /** `programmaticLatencyMs / parallelLatencyMs`: below 1, code is faster. */
  readonly latencyRatio: number;
  /** Tokens by class, parallel. */
  readonly parallelTokens: TokenSplit;
  /** Expected tokens by class, programmatic. */
  readonly programmaticTokens: TokenSplit;
  /** Model round trips in each mode. */
  readonly parallelRoundTrips: number;
  readonly programmaticRoundTrips: number;
  /** Whether both modes answered as the scripted checker expects. */
  readonly correct: boolean;
}

/** For one result size and failure rate: the fewest calls from which code stays cheaper (or faster) on the grid. */
export interface BreakEvenThreshold {
  /** Result size of the row, in bytes. */
  readonly resultBytes: number;
  /** Program failure rate. */
  readonly failureRate: number;
  /** Fewest calls from which the cost ratio stays below 1; `null` when it never does on the grid. */
  readonly cheaperFromCalls: number | null;
  /** Fewest calls from which the latency ratio stays below 1; `null` when it never does on the grid. */
  readonly fasterFromCalls: number | null;
}

/** The break-even map of a run. */
export interface BreakEvenMap {
  readonly status: 'measured';
  /** Model preset the map was computed for. */
  readonly preset: string;
  /** Sandbox of the programmatic side. */
  readonly sandbox: string;
  /** How the figures were obtained (tokens: token-proxy; latency: simulated + measured execution). */
  readonly label: 'simulated';
  readonly axes: BreakEvenAxes;
  /** The failure rate the headline grids and the verdict use: the behaviour layer's default. */
  readonly headlineFailureRate: number;
  /** Every point: per failure rate, row by row (result size), then by calls. */
  readonly points: readonly BreakEvenPoint[];
  /** Per failure rate and result size, where the ratios cross 1. */
  readonly thresholds: readonly BreakEvenThreshold[];
  /** How the map is made, in one paragraph. */
  readonly method: string;
}

// Deterministic filler: words and numbers, so the tokenizer sees JSON like a real API's, not a run of one character.
const words = ['alpha', 'ledger', 'north', 'invoice', 'pending', 'approved', 'region', 'vendor', 'travel', 'hotel', 'meal', 'receipt', 'project', 'quarter', 'review', 'status'];

function recordOf(index: number, bytes: number): { id: string; value: number; lines: { sku: string; quantity: number; note: string }[] } {
  let state = (index * 2_654_435_761) >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const record = { id: `r${index}`, value: 10 + Math.floor(next() * 990), lines: [] as { sku: string; quantity: number; note: string }[] };
  while (JSON.stringify(record).length < bytes) {
    record.lines.push({
      sku: `S${String(Math.floor(next() * 100_000)).padStart(5, '0')}`,
      quantity: 1 + Math.floor(next() * 9),
      note: `${words[Math.floor(next() * words.length)]} ${words[Math.floor(next() * words.length)]}`,
    });
  }
  return record;
}

/** The synthetic task of one grid point: fetch `calls` records of about `resultBytes` each, report the sum of their values. */
export function breakEvenScenario(calls: number, resultBytes: number): Scenario {
  const ids = Array.from({ length: calls }, (_, index) => `r${index + 1}`);
  const total = ids.reduce((sum, _, index) => sum + recordOf(index + 1, resultBytes).value, 0);
  return {
    id: `break-even-${calls}-calls-${resultBytes}-bytes`,
    title: `${calls} independent calls, ${resultBytes} B per result`,
    description: 'Synthetic fan-out task of the break-even map.',
    expectation: 'neutral',
    // The description states the result shape, as the published real run's tool descriptions do.
    declaredOutputs: ['get_record'],
    tools: [
      {
        name: 'get_record',
        description: 'One record by id: { id, value, lines: [{ sku, quantity, note }] }.',
        inputSchema: { type: 'object', properties: { id: { type: 'string', description: 'Record id, e.g. "r1".' } }, required: ['id'] },
        execute: (input) => recordOf(Number((input as { id: string }).id.slice(1)), resultBytes),
      },
    ],
    task: `Fetch the records ${ids.join(', ')} and tell me the sum of their "value" fields.`,
    expected: `Total: ${total}`,
    direct: (state) => {
      const missing = ids.filter((id) => !state.has('get_record', { id }));
      if (missing.length > 0) return missing.map((id) => ({ tool: 'get_record', input: { id } }));
      return `Total: ${ids.reduce((sum, id) => sum + ((state.find('get_record', { id }) as { value: number } | undefined)?.value ?? 0), 0)}`;
    },
    code: (state) => {
      if (state.outputs.length === 0) {
        return {
          javascript: `const ids = ${JSON.stringify(ids)};\nconst records = await Promise.all(ids.map((id) => get_record({ id })));\nconsole.log(JSON.stringify({ total: records.reduce((sum, record) => sum + record.value, 0) }));`,
          python: `import asyncio, json\nids = ${JSON.stringify(ids)}\nrecords = await asyncio.gather(*[get_record({"id": i}) for i in ids])\nprint(json.dumps({"total": sum(r["value"] for r in records)}))`,
        };
      }
      return `Total: ${(state.outputs[0] as { total?: number } | undefined)?.total ?? 'unknown'}`;
    },
  };
}

const median = (cell: MatrixCell | undefined, metric: MetricName): number => cell?.stats[metric]?.median ?? Number.NaN;

/** For each failure rate and result size, the fewest calls from which a ratio stays below 1 along the calls axis. */
export function thresholdsOf(points: readonly BreakEvenPoint[], axes: BreakEvenAxes): BreakEvenThreshold[] {
  const from = (row: readonly BreakEvenPoint[], ratio: (point: BreakEvenPoint) => number): number | null => {
    let result: number | null = null;
    for (let index = row.length - 1; index >= 0; index--) {
      if (ratio(row[index]!) < 1) result = row[index]!.calls;
      else break;
    }
    return result;
  };
  return axes.failureRates.flatMap((failureRate) =>
    axes.resultBytes.map((resultBytes) => {
      const row = axes.calls.map((calls) => points.find((point) => point.calls === calls && point.resultBytes === resultBytes && point.failureRate === failureRate)).filter((point): point is BreakEvenPoint => point !== undefined);
      return { resultBytes, failureRate, cheaperFromCalls: from(row, (point) => point.costRatio), fasterFromCalls: from(row, (point) => point.latencyRatio) };
    }),
  );
}

/** Settings of `computeBreakEven`. */
export interface BreakEvenSettings {
  /** Model preset to price and time the runs with. */
  readonly preset: ModelPreset;
  /** Sandboxes of the run; the map uses the first JavaScript one (isolated-vm when available). */
  readonly sandboxes: SandboxAvailability;
  /** Grid; default `defaultBreakEvenAxes`. */
  readonly axes?: BreakEvenAxes;
  /** Behaviour overrides of the run (the failure rate is set per point). */
  readonly behaviour?: Partial<BehaviourSettings>;
  /** Progress after each run (2 per grid point). */
  readonly onRun?: (label: string) => void;
}

/** Runs of `computeBreakEven` with these axes (for a progress bar): parallel once, programmatic with and without a failed first attempt. */
export function breakEvenRuns(axes: BreakEvenAxes = defaultBreakEvenAxes): number {
  return axes.calls.length * axes.resultBytes.length * 3;
}

const mix = (clean: number, failed: number, rate: number): number => (1 - rate) * clean + rate * failed;

/**
 * Computes the map: every grid point is a synthetic scenario run once in parallel and programmatic
 * mode through `runMatrix` (simulator at instant latency, simulated-latency accounting). Returns a
 * skipped entry when no JavaScript sandbox is available.
 */
export async function computeBreakEven(settings: BreakEvenSettings): Promise<BreakEvenMap | { status: 'skipped'; reason: string }> {
  const headlineFailureRate = settings.behaviour?.programFailureRate ?? defaultBehaviour.programFailureRate;
  const requested = settings.axes ?? defaultBreakEvenAxes;
  const axes: BreakEvenAxes = requested.failureRates.includes(headlineFailureRate) ? requested : { ...requested, failureRates: [...requested.failureRates, headlineFailureRate].sort((a, b) => a - b) };
  const target = settings.sandboxes.available.find((candidate) => candidate.id === 'isolated-vm') ?? settings.sandboxes.available.find((candidate) => candidate.language === 'javascript');
  if (target === undefined) return { status: 'skipped', reason: 'no JavaScript sandbox is available for the programmatic side' };
  const grid = axes.resultBytes.flatMap((resultBytes) => axes.calls.map((calls) => ({ calls, resultBytes, scenario: breakEvenScenario(calls, resultBytes) })));
  const common = {
    scenarios: grid.map((point) => point.scenario),
    presets: [settings.preset],
    sandboxes: { available: [target], skipped: [] },
    repetitions: 1,
    timeScale: 0,
    ...(settings.onRun === undefined ? {} : { onRun: settings.onRun }),
  };
  // The behaviour layer fails a program at most once before the corrected retry, so every failure
  // rate is the mix of two runs: no failed attempt (rate 0) and always one (rate 1).
  const clean = await runMatrix({ ...common, modes: ['parallel', 'programmatic'], behaviour: { ...settings.behaviour, programFailureRate: 0 } });
  const failing = await runMatrix({ ...common, modes: ['programmatic'], behaviour: { ...settings.behaviour, programFailureRate: 1 } });
  const points = axes.failureRates.flatMap((failureRate) =>
    grid.map(({ calls, resultBytes, scenario }): BreakEvenPoint => {
      const parallel = clean.cells.find((cell) => cell.scenario === scenario.id && cell.mode === 'parallel');
      const programmatic = clean.cells.find((cell) => cell.scenario === scenario.id && cell.mode === 'programmatic');
      const retried = failing.cells.find((cell) => cell.scenario === scenario.id && cell.mode === 'programmatic');
      const expected = (metric: MetricName): number => mix(median(programmatic, metric), median(retried, metric), failureRate);
      const parallelCostUsd = median(parallel, 'totalCostUsd');
      const programmaticCostUsd = expected('totalCostUsd');
      const parallelLatencyMs = median(parallel, 'latencyMs');
      const programmaticLatencyMs = expected('latencyMs');
      const cleanSplit = tokenSplitOf(programmatic);
      const retriedSplit = tokenSplitOf(retried);
      return {
        calls,
        resultBytes,
        failureRate,
        parallelCostUsd,
        programmaticCostUsd,
        costRatio: programmaticCostUsd / parallelCostUsd,
        parallelLatencyMs,
        programmaticLatencyMs,
        latencyRatio: programmaticLatencyMs / parallelLatencyMs,
        parallelTokens: tokenSplitOf(parallel),
        programmaticTokens: {
          uncachedInput: mix(cleanSplit.uncachedInput, retriedSplit.uncachedInput, failureRate),
          cacheWrite: mix(cleanSplit.cacheWrite, retriedSplit.cacheWrite, failureRate),
          cacheRead: mix(cleanSplit.cacheRead, retriedSplit.cacheRead, failureRate),
          output: mix(cleanSplit.output, retriedSplit.output, failureRate),
        },
        parallelRoundTrips: median(parallel, 'roundTrips'),
        programmaticRoundTrips: expected('roundTrips'),
        correct: median(parallel, 'correct') === 1 && median(programmatic, 'correct') === 1 && median(retried, 'correct') === 1,
      };
    }),
  );
  return {
    status: 'measured',
    preset: settings.preset.id,
    sandbox: target.id,
    label: 'simulated',
    axes,
    headlineFailureRate,
    points,
    thresholds: thresholdsOf(points, axes),
    method: `Each grid point is a synthetic task — fetch N records of about B bytes of JSON each, independent of each other, and report the sum of one field — run once in parallel mode and once in programmatic mode (${target.id}) with the ${settings.preset.id} preset, through the same matrix runner, simulator, behaviour layer and prices as the scenarios. The simulator does not wait; latency is its modelled model time and tool latency (once per wave of calls) plus the measured execution. The behaviour layer fails a program at most once before its corrected retry, so each point is run with no failed attempt and with one, and a failure rate p is their mix (1 - p) x clean + p x retried: an expected value, as the scenario cells' code-mode figures are. The grids and the verdict use the behaviour layer's default rate (${headlineFailureRate}). A ratio below 1 means programmatic calling is cheaper (cost) or faster (latency) than parallel tool use; the break-even line is where the ratio crosses 1 along the calls axis.`,
  };
}
