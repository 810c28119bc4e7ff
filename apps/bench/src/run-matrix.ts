import type { Anthropic } from '@anthropic-ai/sdk';
import { runAgent } from '@codecall/anthropic';
import type { AgentMetrics } from '@codecall/anthropic';
import { createMessagesSimulator } from '@codecall/anthropic/simulator';
import type { MessagesSimulator } from '@codecall/anthropic/simulator';
import { createToolset } from '@codecall/core';
import type { SandboxExecuteRequestV1, SandboxExecuteResultV1, SandboxV1, Toolset } from '@codecall/core';
import { sandboxCostUsd, tokenCostUsd } from './model-presets.ts';
import type { ModelPreset } from './model-presets.ts';
import type { SandboxAvailability, SandboxId, SandboxTarget } from './sandbox-targets.ts';
import { checkAnswer } from './scenario.ts';
import type { Scenario } from './scenario.ts';
import { scenarioPolicy } from './scenario-policy.ts';
import { spreadOf } from './stats.ts';
import type { Spread } from './stats.ts';

/** Calling modes of the matrix. */
export type BenchMode = 'sequential' | 'parallel' | 'programmatic' | 'native';

/** All modes, in report order. */
export const benchModes: readonly BenchMode[] = ['sequential', 'parallel', 'programmatic', 'native'];

/** Where a cell's code ran: no code (direct modes), a local sandbox, or hosted code execution (native). */
export type CellSandbox = SandboxId | 'none' | 'hosted';

/** Metrics of one run (one repetition of a cell). */
export interface RunMetrics {
  /** Messages API requests. */
  readonly roundTrips: number;
  /** Uncached input tokens. */
  readonly inputTokens: number;
  /** Output tokens. */
  readonly outputTokens: number;
  /** Input tokens written to the prompt cache. */
  readonly cacheCreationInputTokens: number;
  /** Input tokens read from the prompt cache. */
  readonly cacheReadInputTokens: number;
  /** All input tokens (uncached + cache writes + cache reads). */
  readonly totalInputTokens: number;
  /** o200k tokens of tool results that entered the model's context. */
  readonly toolResultTokens: number;
  /** UTF-8 bytes of tool results that entered the model's context. */
  readonly toolResultBytes: number;
  /** Tool calls the model made directly. */
  readonly directCalls: number;
  /** Tool calls made from code. */
  readonly nestedCalls: number;
  /** Code runs (local or hosted). */
  readonly codeRuns: number;
  /** Cost of the tokens at the preset's prices, in US dollars. */
  readonly tokenCostUsd: number;
  /** Time code ran in the sandbox (local runs, or the emulated hosted container), in milliseconds. */
  readonly sandboxTimeMs: number;
  /** Cost of the sandbox time, in US dollars (see the pricing notes). */
  readonly sandboxCostUsd: number;
  /** `tokenCostUsd + sandboxCostUsd`. */
  readonly totalCostUsd: number;
  /** Model time: simulated by the latency preset (simulator) or measured (live). */
  readonly modelTimeMs: number;
  /** Measured time outside the model: tool handlers, sandbox runs (hosted runs in native mode), the agent loop. */
  readonly executionTimeMs: number;
  /** `modelTimeMs + executionTimeMs`: the end-to-end time a user would wait. */
  readonly latencyMs: number;
  /** Measured wall time of the run on this machine (the simulator does not wait for modelled time). */
  readonly wallTimeMs: number;
  /** 1 when the checker accepted the final answer, else 0. */
  readonly correct: number;
}

/** Names of the per-run metrics. */
export type MetricName = keyof RunMetrics;

/** One cell of the matrix: scenario x mode x sandbox x model preset. */
export interface MatrixCell {
  readonly scenario: string;
  readonly mode: BenchMode;
  readonly sandbox: CellSandbox;
  readonly preset: string;
  /** `measured`: ran; `skipped`: could not run here (see `reason`); `failed`: every run threw. */
  readonly status: 'measured' | 'skipped' | 'failed';
  /** Why the cell was skipped or failed. */
  readonly reason?: string;
  /** How the sandbox was configured. */
  readonly sandboxDescription?: string;
  /** Language of the programs (code modes). */
  readonly language?: 'javascript' | 'python';
  /** Every repetition. */
  readonly runs: readonly RunMetrics[];
  /** Median and spread of every metric over the repetitions (empty when not measured). */
  readonly stats: Partial<Record<MetricName, Spread>>;
  /** Final answer of the first run. */
  readonly answer?: string;
  /** Errors of runs that threw, if any. */
  readonly errors?: readonly string[];
}

/** Settings of `runMatrix`. */
export interface RunMatrixSettings {
  readonly scenarios: readonly Scenario[];
  readonly modes: readonly BenchMode[];
  readonly presets: readonly ModelPreset[];
  readonly sandboxes: SandboxAvailability;
  /** Repetitions per cell. */
  readonly repetitions: number;
  /** Use this client instead of the simulator (`--live`). */
  readonly liveClient?: Anthropic;
  /** Multiplies the simulator's modelled waits (0: report, do not wait). Default 0. */
  readonly timeScale?: number;
  /** Progress after each run. */
  readonly onRun?: (label: string) => void;
}

/** Total number of runs `runMatrix` will make with these settings (for a progress bar). */
export function plannedRuns(settings: Pick<RunMatrixSettings, 'scenarios' | 'modes' | 'presets' | 'sandboxes' | 'repetitions'>): number {
  let cellsPerScenario = 0;
  for (const mode of settings.modes) {
    if (mode === 'programmatic') cellsPerScenario += settings.sandboxes.available.length;
    else cellsPerScenario += 1;
  }
  return cellsPerScenario * settings.scenarios.length * settings.presets.length * settings.repetitions;
}

/** Times `execute` of the sandbox that emulates hosted code execution. */
class TimedSandbox implements SandboxV1 {
  readonly specificationVersion = 'v1' as const;
  readonly sandboxId: string;
  readonly capabilities: SandboxV1['capabilities'];
  elapsedMs = 0;
  readonly #inner: SandboxV1;

  constructor(inner: SandboxV1) {
    this.#inner = inner;
    this.sandboxId = inner.sandboxId;
    this.capabilities = inner.capabilities;
  }

  async execute(request: SandboxExecuteRequestV1): Promise<SandboxExecuteResultV1> {
    const started = performance.now();
    try {
      return await this.#inner.execute(request);
    } finally {
      this.elapsedMs += performance.now() - started;
    }
  }

  async dispose(): Promise<void> {
    await this.#inner.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function toRunMetrics(metrics: AgentMetrics, preset: ModelPreset, correct: boolean, sandboxTimeMs: number, pricing: 'local' | 'hosted' | 'e2b' | 'none', hosted: boolean): RunMetrics {
  const tokenCost = tokenCostUsd(metrics, preset.prices);
  const sandboxCost = sandboxCostUsd(pricing, sandboxTimeMs);
  const modelTimeMs = metrics.simulatedModelTimeMs ?? metrics.modelTimeMs;
  // Hosted code runs inside the model requests; everything else that is not a model request is execution.
  const executionTimeMs = Math.max(0, metrics.wallTimeMs - metrics.modelTimeMs) + (hosted && metrics.simulatedModelTimeMs !== undefined ? sandboxTimeMs : 0);
  return {
    roundTrips: metrics.modelRoundTrips,
    inputTokens: metrics.inputTokens,
    outputTokens: metrics.outputTokens,
    cacheCreationInputTokens: metrics.cacheCreationInputTokens,
    cacheReadInputTokens: metrics.cacheReadInputTokens,
    totalInputTokens: metrics.totalInputTokens,
    toolResultTokens: metrics.toolResultTokens,
    toolResultBytes: metrics.toolResultBytes,
    directCalls: metrics.toolCalls.direct,
    nestedCalls: metrics.toolCalls.nested,
    codeRuns: metrics.toolCalls.codeRuns,
    tokenCostUsd: tokenCost,
    sandboxTimeMs,
    sandboxCostUsd: sandboxCost,
    totalCostUsd: tokenCost + sandboxCost,
    modelTimeMs,
    executionTimeMs,
    latencyMs: modelTimeMs + executionTimeMs,
    wallTimeMs: metrics.wallTimeMs,
    correct: correct ? 1 : 0,
  };
}

function statsOf(runs: readonly RunMetrics[]): Partial<Record<MetricName, Spread>> {
  if (runs.length === 0) return {};
  const stats: Partial<Record<MetricName, Spread>> = {};
  for (const name of Object.keys(runs[0]!) as MetricName[]) stats[name] = spreadOf(runs.map((run) => run[name]));
  return stats;
}

interface CellPlan {
  readonly mode: BenchMode;
  readonly sandbox: CellSandbox;
  readonly target?: SandboxTarget;
}

/**
 * Runs the matrix: for each model preset a simulator (or the live client), for each scenario
 * each mode, programmatic mode on every available sandbox, `repetitions` times. Tool state
 * (`scenario.reset`) and the simulator (cache, containers) are reset before every run. Skipped
 * sandboxes give `skipped` cells with the reason.
 */
export async function runMatrix(settings: RunMatrixSettings): Promise<{ cells: MatrixCell[]; nativeEmulation: string }> {
  const cells: MatrixCell[] = [];
  const sandboxes = new Map<SandboxId, SandboxV1>();
  const live = settings.liveClient !== undefined;
  const wantsNative = settings.modes.includes('native');
  let nativeSandbox: TimedSandbox | undefined;
  let nativeEmulation = live ? 'Anthropic hosted code execution (live API)' : 'not run';
  try {
    for (const target of settings.sandboxes.available) sandboxes.set(target.id, await target.create());
    if (wantsNative && !live) {
      const python = settings.sandboxes.available.find((target) => target.id === 'subprocess-python');
      const fallback = settings.sandboxes.available.find((target) => target.language === 'javascript');
      const chosen = python ?? fallback;
      if (chosen !== undefined) {
        nativeSandbox = new TimedSandbox(await chosen.create());
        nativeEmulation =
          chosen.id === 'subprocess-python'
            ? `hosted code execution emulated by the simulator in Python (${chosen.description})`
            : `hosted code execution emulated by the simulator in JavaScript (${chosen.description}), because subprocess-python is not available`;
      }
    }
    const toolsets = new Map<string, Toolset>(settings.scenarios.map((scenario) => [scenario.id, createToolset(scenario.tools)]));
    for (const preset of settings.presets) {
      let simulator: MessagesSimulator | undefined;
      if (!live) {
        simulator = await createMessagesSimulator({
          policy: () => 'no scenario selected',
          latency: preset.latency,
          timeScale: settings.timeScale ?? 0,
          cache: { minCacheableTokens: preset.minCacheableTokens },
          ...(nativeSandbox === undefined ? {} : { sandbox: nativeSandbox, nativeLanguage: nativeSandbox.capabilities.languages.includes('python') ? 'python' : 'javascript' }),
        });
      }
      const client = settings.liveClient ?? simulator!.createClient({ maxRetries: 0 });
      try {
        for (const scenario of settings.scenarios) {
          simulator?.setPolicy(scenarioPolicy(scenario));
          const plans: CellPlan[] = [];
          for (const mode of settings.modes) {
            if (mode === 'programmatic') for (const target of settings.sandboxes.available) plans.push({ mode, sandbox: target.id, target });
            else plans.push({ mode, sandbox: mode === 'native' ? 'hosted' : 'none' });
          }
          for (const plan of plans) {
            const label = `${preset.id} · ${scenario.id} · ${plan.mode}${plan.sandbox === 'none' ? '' : ` · ${plan.sandbox}`}`;
            if (plan.mode === 'native' && !live && nativeSandbox === undefined) {
              cells.push({ scenario: scenario.id, mode: plan.mode, sandbox: plan.sandbox, preset: preset.id, status: 'skipped', reason: 'no sandbox is available to emulate hosted code execution', runs: [], stats: {} });
              for (let index = 0; index < settings.repetitions; index++) settings.onRun?.(label);
              continue;
            }
            const runs: RunMetrics[] = [];
            const errors: string[] = [];
            let answer: string | undefined;
            for (let repetition = 0; repetition < settings.repetitions; repetition++) {
              await scenario.reset?.();
              simulator?.reset();
              if (nativeSandbox !== undefined) nativeSandbox.elapsedMs = 0;
              try {
                const sandbox = plan.target === undefined ? undefined : sandboxes.get(plan.target.id);
                const result = await runAgent({
                  client,
                  model: preset.model,
                  tools: toolsets.get(scenario.id)!,
                  mode: plan.mode,
                  prompt: scenario.task,
                  ...(sandbox === undefined ? {} : { sandbox, language: plan.target!.language }),
                  maxTurns: 100,
                  maxToolResultBytes: 2_000_000,
                  limits: { timeoutMs: 60_000, maxToolCalls: 2_000 },
                  abortSignal: AbortSignal.timeout(live ? 600_000 : 180_000),
                });
                const correct = result.status === 'completed' && checkAnswer(scenario, result.text);
                answer ??= result.text;
                const hosted = plan.mode === 'native';
                const sandboxTimeMs = hosted ? (live ? 0 : (nativeSandbox?.elapsedMs ?? 0)) : result.metrics.sandboxTimeMs;
                const pricing = hosted ? 'hosted' : plan.target === undefined ? 'none' : plan.target.pricing;
                runs.push(toRunMetrics(result.metrics, preset, correct, sandboxTimeMs, pricing, hosted));
              } catch (error) {
                errors.push(errorText(error));
              }
              settings.onRun?.(label);
            }
            cells.push({
              scenario: scenario.id,
              mode: plan.mode,
              sandbox: plan.sandbox,
              preset: preset.id,
              status: runs.length === 0 ? 'failed' : 'measured',
              ...(runs.length === 0 ? { reason: errors[0] ?? 'no run' } : {}),
              ...(plan.target === undefined ? (plan.mode === 'native' ? { sandboxDescription: nativeEmulation, language: nativeSandbox?.capabilities.languages.includes('python') === false ? 'javascript' : 'python' } : {}) : { sandboxDescription: plan.target.description, language: plan.target.language }),
              runs,
              stats: statsOf(runs),
              ...(answer === undefined ? {} : { answer }),
              ...(errors.length === 0 ? {} : { errors }),
            });
          }
          // Sandboxes that cannot run here still get their cells, with the reason.
          if (settings.modes.includes('programmatic')) {
            for (const skipped of settings.sandboxes.skipped) {
              cells.push({ scenario: scenario.id, mode: 'programmatic', sandbox: skipped.id, preset: preset.id, status: 'skipped', reason: skipped.reason, runs: [], stats: {} });
            }
          }
        }
      } finally {
        if (simulator !== undefined) await simulator.close();
      }
    }
  } finally {
    for (const sandbox of sandboxes.values()) await sandbox.dispose();
    await nativeSandbox?.dispose();
  }
  return { cells, nativeEmulation };
}
