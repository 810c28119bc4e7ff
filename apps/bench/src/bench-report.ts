import type { MicroBenchmarkSection } from '@codecall/benchmarks/micro';
import type { CompactnessResult } from './compactness.ts';
import type { ModelPreset } from './model-presets.ts';
import type { BenchMode, CellSandbox, MatrixCell, MetricName } from './run-matrix.ts';
import type { SandboxAvailability } from './sandbox-targets.ts';
import type { Scenario } from './scenario.ts';

/** How a figure was obtained. */
export type FigureLabel = 'measured' | 'simulated' | 'token-proxy';

/** Metadata of a metric: its unit, label and meaning. */
export interface MetricInfo {
  readonly unit: string;
  readonly label: FigureLabel;
  readonly meaning: string;
}

/** Labels and meanings of every per-run metric (simulated run: `live` false). */
export function metricInfo(live: boolean): Record<MetricName, MetricInfo> {
  const tokens: FigureLabel = live ? 'measured' : 'token-proxy';
  const model: FigureLabel = live ? 'measured' : 'simulated';
  return {
    roundTrips: { unit: 'requests', label: model, meaning: 'Messages API requests (model round trips); in the simulator, the scripted competent-model policy decides them' },
    inputTokens: { unit: 'tokens', label: tokens, meaning: 'uncached input tokens (usage.input_tokens)' },
    outputTokens: { unit: 'tokens', label: tokens, meaning: 'output tokens (usage.output_tokens)' },
    cacheCreationInputTokens: { unit: 'tokens', label: tokens, meaning: 'input tokens written to the prompt cache' },
    cacheReadInputTokens: { unit: 'tokens', label: tokens, meaning: 'input tokens read from the prompt cache' },
    totalInputTokens: { unit: 'tokens', label: tokens, meaning: 'all input tokens (uncached + cache writes + cache reads)' },
    toolResultTokens: { unit: 'tokens', label: 'token-proxy', meaning: 'o200k tokens of tool results that entered the model context' },
    toolResultBytes: { unit: 'bytes', label: 'measured', meaning: 'UTF-8 bytes of tool results that entered the model context' },
    directCalls: { unit: 'calls', label: model, meaning: 'tool calls made by the model directly' },
    nestedCalls: { unit: 'calls', label: 'measured', meaning: 'tool calls made from code' },
    codeRuns: { unit: 'runs', label: model, meaning: 'code runs (local sandbox or hosted)' },
    tokenCostUsd: { unit: 'USD', label: tokens, meaning: 'tokens priced at the preset list prices' },
    sandboxTimeMs: { unit: 'ms', label: 'measured', meaning: 'time code ran in the sandbox (native: the emulated hosted container)' },
    sandboxCostUsd: { unit: 'USD', label: 'measured', meaning: 'measured sandbox time priced as stated in the pricing notes' },
    totalCostUsd: { unit: 'USD', label: tokens, meaning: 'token cost + sandbox cost' },
    modelTimeMs: { unit: 'ms', label: model, meaning: live ? 'measured time waiting for the API' : 'model time modelled by the latency preset (not waited)' },
    executionTimeMs: { unit: 'ms', label: 'measured', meaning: 'measured time outside model requests: tool handlers, sandbox runs, agent loop (native: plus the emulated hosted run)' },
    latencyMs: { unit: 'ms', label: live ? 'measured' : 'simulated', meaning: 'model time + execution time: what a user would wait' },
    wallTimeMs: { unit: 'ms', label: 'measured', meaning: 'wall time of the run on this machine (simulated model time not waited)' },
    correct: { unit: '0/1', label: 'measured', meaning: "the scenario's checker accepted the final answer" },
  };
}

/** Programmatic (or native) against sequential on one scenario and preset. */
export interface ModeComparison {
  readonly scenario: string;
  readonly preset: string;
  readonly expectation: 'wins' | 'fewer-tokens' | 'loses' | 'neutral';
  /** The code cell compared (mode and sandbox). */
  readonly mode: BenchMode;
  readonly sandbox: CellSandbox;
  /** Median total input + output tokens: sequential, then code mode. */
  readonly sequentialTokens: number;
  readonly codeTokens: number;
  readonly sequentialRoundTrips: number;
  readonly codeRoundTrips: number;
  /** Median cost (tokens + sandbox) in USD. */
  readonly sequentialCostUsd: number;
  readonly codeCostUsd: number;
  /** Median end-to-end latency (simulated model time + measured execution). */
  readonly sequentialLatencyMs: number;
  readonly codeLatencyMs: number;
  /** Code mode uses fewer tokens and fewer round trips than sequential. */
  readonly beatsOnTokensAndRoundTrips: boolean;
  /**
   * Whether that matches the scenario's expectation, for programmatic cells (`neutral`: always
   * true); `null` for native cells, whose round trips include one per batch of nested calls.
   */
  readonly asExpected: boolean | null;
}

/** The whole benchmark result (the JSON report). */
export interface BenchReport {
  readonly schemaVersion: 1;
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
    readonly scenarioSources: readonly string[];
    readonly modes: readonly BenchMode[];
    readonly presets: readonly ModelPreset[];
    readonly sandboxes: readonly string[];
    readonly command: string;
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
  readonly scenarios: readonly { readonly id: string; readonly title: string; readonly description: string; readonly expectation: string; readonly expected: string; readonly tools: number; readonly task: string }[];
  readonly cells: readonly MatrixCell[];
  readonly comparisons: readonly ModeComparison[];
  readonly micro: { readonly status: 'measured' | 'skipped'; readonly reason?: string; readonly sections: readonly MicroBenchmarkSection[] };
  readonly compactness: { readonly status: 'measured' | 'skipped'; readonly reason?: string; readonly result?: CompactnessResult };
}

function median(cell: MatrixCell | undefined, metric: MetricName): number {
  return cell?.stats[metric]?.median ?? Number.NaN;
}

/** Tokens the model read and wrote (median total input + median output). */
export function tokensOf(cell: MatrixCell | undefined): number {
  return median(cell, 'totalInputTokens') + median(cell, 'outputTokens');
}

/** Compares every measured code cell (programmatic per sandbox, native) with sequential mode. */
export function compareModes(cells: readonly MatrixCell[], scenarios: readonly Scenario[]): ModeComparison[] {
  const comparisons: ModeComparison[] = [];
  for (const scenario of scenarios) {
    const presets = [...new Set(cells.filter((cell) => cell.scenario === scenario.id).map((cell) => cell.preset))];
    for (const preset of presets) {
      const sequential = cells.find((cell) => cell.scenario === scenario.id && cell.preset === preset && cell.mode === 'sequential' && cell.status === 'measured');
      if (sequential === undefined) continue;
      for (const code of cells.filter((cell) => cell.scenario === scenario.id && cell.preset === preset && (cell.mode === 'programmatic' || cell.mode === 'native') && cell.status === 'measured')) {
        const fewerTokens = tokensOf(code) < tokensOf(sequential);
        const beats = fewerTokens && median(code, 'roundTrips') < median(sequential, 'roundTrips');
        const expectation = scenario.expectation ?? 'neutral';
        const met = expectation === 'neutral' || (expectation === 'wins' ? beats : expectation === 'fewer-tokens' ? fewerTokens : !beats);
        comparisons.push({
          scenario: scenario.id,
          preset,
          expectation,
          mode: code.mode,
          sandbox: code.sandbox,
          sequentialTokens: tokensOf(sequential),
          codeTokens: tokensOf(code),
          sequentialRoundTrips: median(sequential, 'roundTrips'),
          codeRoundTrips: median(code, 'roundTrips'),
          sequentialCostUsd: median(sequential, 'totalCostUsd'),
          codeCostUsd: median(code, 'totalCostUsd'),
          sequentialLatencyMs: median(sequential, 'latencyMs'),
          codeLatencyMs: median(code, 'latencyMs'),
          beatsOnTokensAndRoundTrips: beats,
          asExpected: code.mode === 'native' ? null : met,
        });
      }
    }
  }
  return comparisons;
}
