import type { MicroBenchmarkSection } from '@codecall/benchmarks/micro';
import type { CompactnessResult } from './compactness.ts';
import type { ModelPreset } from './model-presets.ts';
import type { BenchMode, CellSandbox, MatrixCell, MetricName } from './run-matrix.ts';
import type { SandboxAvailability } from './sandbox-targets.ts';
import type { Scenario } from './scenario.ts';
import type { BreakEvenMap } from './break-even.ts';
import type { BehaviourParameter } from './behaviour-model.ts';
import type { CalibrationReport } from './calibration.ts';
import type { PublishedFigureComparison } from './published-figures.ts';

/**
 * How a figure was obtained: `measured` (timed or counted on this machine, or returned by the real
 * API with `--live`), `simulated` (produced by the simulator's behaviour and latency models),
 * `token-proxy` (counted with the o200k tokenizer as a proxy for Claude's, or priced from such
 * counts), `scripted` (decided by the scenario's scripted policy and checker, not by a model).
 */
export type FigureLabel = 'measured' | 'simulated' | 'token-proxy' | 'scripted';

/** Metadata of a metric: its unit, label and meaning. */
export interface MetricInfo {
  /** Unit of the figure (`tokens`, `ms`, `USD`, …). */
  readonly unit: string;
  /** How the figure was obtained. */
  readonly label: FigureLabel;
  /** One sentence: what it counts. */
  readonly meaning: string;
}

/** Labels and meanings of every per-run metric (simulated run: `live` false). */
export function metricInfo(live: boolean): Record<MetricName, MetricInfo> {
  const tokens: FigureLabel = live ? 'measured' : 'token-proxy';
  const model: FigureLabel = live ? 'measured' : 'simulated';
  return {
    roundTrips: { unit: 'requests', label: model, meaning: 'Messages API requests (model round trips); in the simulator, the behaviour layer over the scenario\'s scripted policy decides them' },
    inputTokens: { unit: 'tokens', label: tokens, meaning: 'uncached input tokens (usage.input_tokens), priced at the input price' },
    outputTokens: { unit: 'tokens', label: tokens, meaning: 'output tokens (usage.output_tokens), priced at the output price' },
    cacheCreationInputTokens: { unit: 'tokens', label: tokens, meaning: 'input tokens written to the prompt cache, priced at 1.25x the input price' },
    cacheReadInputTokens: { unit: 'tokens', label: tokens, meaning: 'input tokens read from the prompt cache, priced at 0.1x the input price' },
    totalInputTokens: { unit: 'tokens', label: tokens, meaning: 'all input tokens (uncached + cache writes + cache reads); never a headline: the classes are priced differently' },
    toolResultTokens: { unit: 'tokens', label: 'token-proxy', meaning: 'o200k tokens of tool results that entered the model context' },
    toolResultBytes: { unit: 'bytes', label: 'measured', meaning: 'UTF-8 bytes of tool results that entered the model context' },
    directCalls: { unit: 'calls', label: model, meaning: 'tool calls made by the model directly' },
    nestedCalls: { unit: 'calls', label: 'measured', meaning: 'tool calls made from code' },
    codeRuns: { unit: 'runs', label: model, meaning: 'code runs (local sandbox or hosted)' },
    tokenCostUsd: { unit: 'USD', label: tokens, meaning: 'tokens priced at the preset list prices: uncached input, cache writes 1.25x, cache reads 0.1x, output at the output price' },
    sandboxTimeMs: { unit: 'ms', label: 'measured', meaning: 'time code ran in the local sandbox, measured; native: simulated, not measured (hostedOverheadMs plus the modelled tool waves the hosted program waited on)' },
    sandboxCostUsd: { unit: 'USD', label: live ? 'measured' : 'simulated', meaning: 'sandbox billing as stated in the pricing notes: one vCPU-second per local code run, hosted containers with their 5-minute minimum' },
    totalCostUsd: { unit: 'USD', label: tokens, meaning: 'token cost + sandbox cost: the headline cost' },
    modelTimeMs: { unit: 'ms', label: model, meaning: live ? 'measured time waiting for the API' : 'model time from the latency model (not waited)' },
    executionTimeMs: { unit: 'ms', label: 'measured', meaning: 'measured time outside model requests: tool handlers, sandbox runs, agent loop (native: without the emulated hosted run, whose time is the simulated hostedOverheadMs)' },
    latencyMs: { unit: 'ms', label: live ? 'measured' : 'simulated', meaning: 'model time + tool latency + hosted overhead (simulated) + execution time (measured): what a user would wait (the headline latency)' },
    toolLatencyMs: { unit: 'ms', label: live ? 'measured' : 'simulated', meaning: 'modelled tool latency: the behaviour layer\'s per-call latency once per wave of concurrent calls (0 live: inside the measured time)' },
    hostedOverheadMs: { unit: 'ms', label: live ? 'measured' : 'simulated', meaning: 'modelled hosted code-execution time per program beyond its tool calls (native mode)' },
    simulatedLatencyMs: { unit: 'ms', label: live ? 'measured' : 'simulated', meaning: 'model time + tool latency + hosted overhead: the simulated part of the latency, identical on every rerun' },
    toolWaves: { unit: 'waves', label: model, meaning: 'waves of tool calls: concurrent calls count once, serial calls each' },
    failedPrograms: { unit: 'runs', label: model, meaning: 'program runs that failed and were rewritten (behaviour layer: programFailureRate)' },
    wallTimeMs: { unit: 'ms', label: 'measured', meaning: 'wall time of the run on this machine (simulated model time not waited)' },
    correct: { unit: '0/1', label: live ? 'measured' : 'scripted', meaning: live ? "the scenario's checker accepted the real model's final answer" : "the scenario's checker accepted the scripted policy's final answer: it shows the tool path works, not that a model would get it right" },
  };
}

/** Median tokens of one cell, by class (each class has its own price). */
export interface TokenSplit {
  /** Uncached input tokens. */
  readonly uncachedInput: number;
  /** Input tokens written to the prompt cache. */
  readonly cacheWrite: number;
  /** Input tokens read from the prompt cache. */
  readonly cacheRead: number;
  /** Output tokens. */
  readonly output: number;
}

/** The mode every headline compares against: Claude's default, parallel tool use. */
export const baselineMode = 'parallel' as const;

/** A code cell (programmatic on one sandbox, or native) against a baseline cell of the same scenario and preset. */
export interface ModeComparison {
  /** Scenario id. */
  readonly scenario: string;
  /** Model preset id. */
  readonly preset: string;
  /**
   * The scenario's expectation, relative to parallel tool use: `wins` (cheaper and faster),
   * `fewer-tokens` (cheaper in dollars, latency either way), `loses` (not both cheaper and faster),
   * `neutral`.
   */
  readonly expectation: 'wins' | 'fewer-tokens' | 'loses' | 'neutral';
  /** `parallel` for every headline; `sequential` (forced serial tool use) in the ablation list. */
  readonly baseline: 'parallel' | 'sequential';
  /** The code cell compared (mode and sandbox). */
  readonly mode: BenchMode;
  readonly sandbox: CellSandbox;
  /** Median cost of the baseline (tokens + sandbox), in US dollars [token-proxy]. */
  readonly baselineCostUsd: number;
  /** Median cost of the code cell (tokens + sandbox), in US dollars [token-proxy + measured]. */
  readonly codeCostUsd: number;
  /** Median sandbox cost of the code cell, in US dollars (part of `codeCostUsd`). */
  readonly codeSandboxCostUsd: number;
  /** `codeCostUsd / baselineCostUsd`: below 1, code is cheaper. */
  readonly costRatio: number;
  /** Median end-to-end latency of the baseline, in milliseconds [simulated unless --live]. */
  readonly baselineLatencyMs: number;
  /** Median end-to-end latency of the code cell, in milliseconds. */
  readonly codeLatencyMs: number;
  /** `codeLatencyMs / baselineLatencyMs`: below 1, code is faster. */
  readonly latencyRatio: number;
  /** Median tokens of the baseline by class. */
  readonly baselineTokens: TokenSplit;
  /** Median tokens of the code cell by class. */
  readonly codeTokens: TokenSplit;
  /** Median model round trips. */
  readonly baselineRoundTrips: number;
  readonly codeRoundTrips: number;
  /** Code costs less than the baseline. */
  readonly cheaper: boolean;
  /** Code is faster than the baseline. */
  readonly faster: boolean;
  /**
   * Whether the figures match the scenario's expectation (`neutral`: always true), for
   * programmatic cells against parallel; `null` for native and hybrid cells and for the sequential ablation.
   */
  readonly asExpected: boolean | null;
}

/** The whole benchmark result (the JSON report). */
export interface BenchReport {
  readonly schemaVersion: 2;
  readonly generator: '@codecall/bench';
  readonly date: string;
  readonly durationMs: number;
  readonly machine: Readonly<Record<string, string | number>>;
  readonly versions: Readonly<Record<string, string>>;
  readonly parameters: {
    readonly live: boolean;
    readonly quick: boolean;
    readonly repetitions: number;
    readonly timeScale: number;
    /** No system prompt and no extra tools in context (`--bare`). */
    readonly bare: boolean;
    readonly scenarioSources: readonly string[];
    readonly modes: readonly BenchMode[];
    readonly presets: readonly ModelPreset[];
    readonly sandboxes: readonly string[];
    readonly command: string;
    /**
     * How failed programs enter the code-mode cells: `expected`, each figure the expected value at
     * the behaviour layer's failure rate (a run without and a run with failures, mixed); `drawn`,
     * failures drawn per scenario and program from a seed (reports before 2026-12-05); `live`, as
     * the real model's programs failed. Absent in reports before the field existed (`drawn`).
     */
    readonly failureModel?: 'expected' | 'drawn' | 'live';
  };
  readonly methods: {
    readonly tokenCounting: string;
    readonly latency: Readonly<Record<string, unknown>>;
    readonly prices: string;
    readonly sandboxPricing: string;
    readonly nativeEmulation: string;
    readonly cells: string;
    readonly metrics: Record<MetricName, MetricInfo>;
  };
  readonly sandboxes: { readonly available: readonly { readonly id: string; readonly description: string; readonly language: string }[]; readonly skipped: SandboxAvailability['skipped'] };
  readonly scenarios: readonly { readonly id: string; readonly title: string; readonly description: string; readonly expectation: string; readonly workload?: string; readonly expected: string; readonly tools: number; readonly task: string }[];
  readonly cells: readonly MatrixCell[];
  /** Every code cell against parallel tool use (the headline baseline). */
  readonly comparisons: readonly ModeComparison[];
  /** Every code cell against forced-serial `sequential` tool use: an ablation, not a headline. */
  readonly ablation: readonly ModeComparison[];
  /** The break-even map (programmatic against parallel over a synthetic parameter grid). */
  readonly breakEven: BreakEvenMap | { readonly status: 'skipped'; readonly reason: string };
  /** The cookbook replica simulated against the published real runs (`null` when not run, e.g. `--live` or `--no-calibration`). */
  readonly calibration: CalibrationReport | null;
  /**
   * Out-of-sample check: published real-world figures of programmatic calling (none of them sets a
   * parameter) beside the run's scenarios of the same kind of work (sonnet, or the first preset).
   * Absent in reports before 2026-12-05 22:00.
   */
  readonly publishedFigures?: readonly PublishedFigureComparison[];
  /** The behaviour layer's parameters with the values this run applied, their units, sources and kinds. */
  readonly behaviour: readonly BehaviourParameter[];
  readonly micro: { readonly status: 'measured' | 'skipped'; readonly reason?: string; readonly sections: readonly MicroBenchmarkSection[] };
  readonly compactness: { readonly status: 'measured' | 'skipped'; readonly reason?: string; readonly result?: CompactnessResult };
}

function median(cell: MatrixCell | undefined, metric: MetricName): number {
  return cell?.stats[metric]?.median ?? Number.NaN;
}

/** Median tokens of a cell by class. */
export function tokenSplitOf(cell: MatrixCell | undefined): TokenSplit {
  return {
    uncachedInput: median(cell, 'inputTokens'),
    cacheWrite: median(cell, 'cacheCreationInputTokens'),
    cacheRead: median(cell, 'cacheReadInputTokens'),
    output: median(cell, 'outputTokens'),
  };
}

/** Tokens the model read and wrote, all classes added (for ratios only; never a headline figure). */
export function tokensOf(cell: MatrixCell | undefined): number {
  return median(cell, 'totalInputTokens') + median(cell, 'outputTokens');
}

function expectationMet(expectation: ModeComparison['expectation'], cheaper: boolean, faster: boolean): boolean {
  switch (expectation) {
    case 'neutral':
      return true;
    case 'wins':
      return cheaper && faster;
    case 'fewer-tokens':
      return cheaper;
    case 'loses':
      return !(cheaper && faster);
  }
}

/**
 * Compares every measured code cell (programmatic per sandbox, native, hybrid) with the `baseline` mode
 * of the same scenario and preset: `parallel` for the headline, `sequential` for the ablation.
 */
export function compareModes(cells: readonly MatrixCell[], scenarios: readonly Pick<Scenario, 'id' | 'expectation'>[], baseline: 'parallel' | 'sequential' = baselineMode): ModeComparison[] {
  const comparisons: ModeComparison[] = [];
  for (const scenario of scenarios) {
    const presets = [...new Set(cells.filter((cell) => cell.scenario === scenario.id).map((cell) => cell.preset))];
    for (const preset of presets) {
      const base = cells.find((cell) => cell.scenario === scenario.id && cell.preset === preset && cell.mode === baseline && cell.status === 'measured');
      if (base === undefined) continue;
      for (const code of cells.filter((cell) => cell.scenario === scenario.id && cell.preset === preset && (cell.mode === 'programmatic' || cell.mode === 'native' || cell.mode === 'hybrid') && cell.status === 'measured')) {
        const baselineCostUsd = median(base, 'totalCostUsd');
        const codeCostUsd = median(code, 'totalCostUsd');
        const baselineLatencyMs = median(base, 'latencyMs');
        const codeLatencyMs = median(code, 'latencyMs');
        const cheaper = codeCostUsd < baselineCostUsd;
        const faster = codeLatencyMs < baselineLatencyMs;
        const expectation = scenario.expectation ?? 'neutral';
        comparisons.push({
          scenario: scenario.id,
          preset,
          expectation,
          baseline,
          mode: code.mode,
          sandbox: code.sandbox,
          baselineCostUsd,
          codeCostUsd,
          codeSandboxCostUsd: median(code, 'sandboxCostUsd'),
          costRatio: codeCostUsd / baselineCostUsd,
          baselineLatencyMs,
          codeLatencyMs,
          latencyRatio: codeLatencyMs / baselineLatencyMs,
          baselineTokens: tokenSplitOf(base),
          codeTokens: tokenSplitOf(code),
          baselineRoundTrips: median(base, 'roundTrips'),
          codeRoundTrips: median(code, 'roundTrips'),
          cheaper,
          faster,
          asExpected: code.mode !== 'programmatic' || baseline !== 'parallel' ? null : expectationMet(expectation, cheaper, faster),
        });
      }
    }
  }
  return comparisons;
}
