import type { Anthropic } from '@anthropic-ai/sdk';
import { runAgent } from '@codecall/anthropic';
import type { AgentMetrics } from '@codecall/anthropic';
import { createMessagesSimulator } from '@codecall/anthropic/simulator';
import type { MessagesSimulator } from '@codecall/anthropic/simulator';
import { createToolset } from '@codecall/core';
import type { JsonSchemaToolDefinition, SandboxExecuteRequestV1, SandboxExecuteResultV1, SandboxV1 } from '@codecall/core';
import { extraToolsOf, systemPromptOf } from './agent-context.ts';
import { bareBehaviour, resolveBehaviour, toolWaveWindowMs } from './behaviour-model.ts';
import type { BehaviourSettings } from './behaviour-model.ts';
import { sandboxCostUsd, tokenCostUsd } from './model-presets.ts';
import type { ModelPreset } from './model-presets.ts';
import type { SandboxAvailability, SandboxId, SandboxTarget } from './sandbox-targets.ts';
import { checkAnswer } from './scenario.ts';
import type { Scenario } from './scenario.ts';
import { hybridChoiceOf, scenarioPolicy } from './scenario-policy.ts';
import type { HybridChoice } from './scenario-policy.ts';
import { spreadOf } from './stats.ts';
import type { Spread } from './stats.ts';

/**
 * Calling modes of the matrix. `hybrid` offers the direct tools and the code tool together; the
 * simulated model chooses per task (`HybridChoice`), a live model as it likes.
 */
export type BenchMode = 'sequential' | 'parallel' | 'programmatic' | 'native' | 'hybrid';

/** All modes, in report order. */
export const benchModes: readonly BenchMode[] = ['sequential', 'parallel', 'programmatic', 'native', 'hybrid'];

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
  /** Model time: simulated by the latency preset per request, continuations included (simulator), or measured (live). */
  readonly modelTimeMs: number;
  /** Simulated tool latency: `toolLatencyMs` of the behaviour layer per wave of concurrent calls (0 live: inside the measured time). */
  readonly toolLatencyMs: number;
  /** Simulated hosted code-execution time beyond tool calls (native mode): `hostedProgramStartMs` per program (0 live). */
  readonly hostedOverheadMs: number;
  /** Measured time outside the model on this machine: local sandbox runs, tool handlers, the agent loop (native: without the emulated container). */
  readonly executionTimeMs: number;
  /** `modelTimeMs + toolLatencyMs + hostedOverheadMs + executionTimeMs`: the end-to-end time a user would wait. */
  readonly latencyMs: number;
  /** `modelTimeMs + toolLatencyMs + hostedOverheadMs`: the simulated part of the latency, identical on every rerun. */
  readonly simulatedLatencyMs: number;
  /** Waves of tool calls: calls running concurrently count once (a parallel turn, one `Promise.all`), serial calls each. */
  readonly toolWaves: number;
  /** Program runs that failed (the model then rewrote the program; see the behaviour layer's `programFailureRate`). */
  readonly failedPrograms: number;
  /** Measured wall time of the run on this machine (the simulator does not wait for modelled time). */
  readonly wallTimeMs: number;
  /** 1 when the checker accepted the final answer, else 0. */
  readonly correct: number;
}

/** Names of the per-run metrics. */
export type MetricName = keyof RunMetrics;

/** One Messages API request of a simulated run, as the simulator answered it. */
export interface RequestRecord {
  /** All input tokens of the request (uncached + cache writes + cache reads). */
  readonly inputTokens: number;
  /** Output tokens. */
  readonly outputTokens: number;
  /** Modelled time of the request, in milliseconds. */
  readonly simulatedMs: number;
  /** Whether the model was consulted (false: a continuation that only carried nested calls). */
  readonly modelTurn: boolean;
}

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
  /** Every request of the first run (simulated runs only). */
  readonly requests?: readonly RequestRecord[];
  /**
   * How `correct` was decided: `scripted` in simulated runs (the scenario's policy plays the model, so
   * correctness checks the tool path, not a model), `measured` with `--live`.
   */
  readonly correctness: 'scripted' | 'measured';
  /** Errors of runs that threw, if any. */
  readonly errors?: readonly string[];
  /** Hybrid cells of simulated runs: what the model chose for the task, and the figures it chose on. */
  readonly hybrid?: HybridChoice;
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
  /** Overrides of the behaviour layer's parameters (see `behaviourParameters`). Default: none. */
  readonly behaviour?: Partial<BehaviourSettings>;
  /** No system prompt and no extra tools (as in the cookbook run used for calibration). Default `false`. */
  readonly bare?: boolean;
  /** Prompt caching breakpoints in every request. Default `true`. */
  readonly promptCaching?: boolean;
  /** Progress after each run. */
  readonly onRun?: (label: string) => void;
}

/**
 * Total number of runs `runMatrix` will report through `onRun` with these settings (for a progress
 * bar): every repetition of every cell, and the two runs per scenario that decide the hybrid choice
 * (simulated runs only; `live` says whether the run is live).
 */
export function plannedRuns(settings: Pick<RunMatrixSettings, 'scenarios' | 'modes' | 'presets' | 'sandboxes' | 'repetitions'> & { readonly live?: boolean }): number {
  let cellsPerScenario = 0;
  for (const mode of settings.modes) {
    if (mode === 'programmatic') cellsPerScenario += settings.sandboxes.available.length;
    else cellsPerScenario += 1;
  }
  const deciding = settings.modes.includes('hybrid') && settings.sandboxes.available.length > 0 && settings.live !== true ? 2 * settings.scenarios.length : 0;
  return cellsPerScenario * settings.scenarios.length * settings.presets.length * settings.repetitions + deciding;
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

/**
 * Counts waves of tool calls without depending on timing: a call's result is held until no new
 * call has started for `quietMs`, so calls started together (one parallel turn, one Promise.all,
 * one batch of nested calls) are one wave and dependent calls are one wave each. The time spent
 * holding is reported so that measured times can leave it out.
 */
class WaveCounter {
  waves = 0;
  holdMs = 0;
  readonly #quietMs: number;
  #batch: { release: Promise<void>; open: () => void; timer: NodeJS.Timeout | undefined; startedAt: number } | undefined;

  constructor(quietMs: number) {
    this.#quietMs = quietMs;
  }

  reset(): void {
    this.waves = 0;
    this.holdMs = 0;
  }

  async call<T>(run: () => Promise<T>): Promise<T> {
    if (this.#quietMs === 0) return run();
    let batch = this.#batch;
    if (batch === undefined) {
      this.waves++;
      let open!: () => void;
      const release = new Promise<void>((resolve) => {
        open = resolve;
      });
      batch = { release, open, timer: undefined, startedAt: performance.now() };
      this.#batch = batch;
    }
    const current = batch;
    clearTimeout(current.timer);
    current.timer = setTimeout(() => {
      if (this.#batch === current) this.#batch = undefined;
      this.holdMs += performance.now() - current.startedAt;
      current.open();
    }, this.#quietMs);
    try {
      return await run();
    } finally {
      await current.release;
    }
  }
}

/** The scenario's tools with every call going through the wave counter. */
function countedTools(tools: readonly JsonSchemaToolDefinition[], counter: WaveCounter): JsonSchemaToolDefinition[] {
  return tools.map((tool) => ({ ...tool, execute: (input, context) => counter.call(async () => tool.execute(input, context)) }));
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

interface RunExtras {
  readonly sandboxTimeMs: number;
  readonly pricing: 'local' | 'hosted' | 'e2b' | 'none';
  readonly toolLatencyMs: number;
  readonly hostedOverheadMs: number;
  readonly holdMs: number;
  readonly toolWaves: number;
  readonly failedPrograms: number;
}

function toRunMetrics(metrics: AgentMetrics, preset: ModelPreset, correct: boolean, extras: RunExtras): RunMetrics {
  const { sandboxTimeMs, toolLatencyMs, hostedOverheadMs } = extras;
  const tokenCost = tokenCostUsd(metrics, preset.prices);
  const sandboxCost = sandboxCostUsd(extras.pricing, sandboxTimeMs, metrics.toolCalls.codeRuns);
  const modelTimeMs = metrics.simulatedModelTimeMs ?? metrics.modelTimeMs;
  // Outside the model requests, minus the wave counter's holding (a benchmark device, not latency).
  // Hosted runs happen inside the requests: their time is the simulated hostedOverheadMs.
  const executionTimeMs = Math.max(0, metrics.wallTimeMs - metrics.modelTimeMs - extras.holdMs);
  const simulatedLatencyMs = modelTimeMs + toolLatencyMs + hostedOverheadMs;
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
    toolLatencyMs,
    hostedOverheadMs,
    executionTimeMs,
    latencyMs: simulatedLatencyMs + executionTimeMs,
    simulatedLatencyMs,
    toolWaves: extras.toolWaves,
    failedPrograms: extras.failedPrograms,
    wallTimeMs: metrics.wallTimeMs,
    correct: correct ? 1 : 0,
  };
}

/**
 * The expected metrics of a run at failure rate `rate`: `(1 - rate) x clean + rate x failing` for
 * every metric, and `correct` only when both runs were correct.
 */
export function mixRuns(clean: RunMetrics, failing: RunMetrics, rate: number): RunMetrics {
  const mixed = {} as Record<MetricName, number>;
  for (const name of Object.keys(clean) as MetricName[]) mixed[name] = (1 - rate) * clean[name] + rate * failing[name];
  mixed.correct = Math.min(clean.correct, failing.correct);
  return mixed;
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
 * each mode, programmatic mode on every available sandbox and hybrid mode on the first,
 * `repetitions` times. Tool state (`scenario.reset`) and the simulator (cache, containers) are
 * reset before every run. Skipped sandboxes give `skipped` cells with the reason. Before a
 * scenario's first hybrid cell of a simulated run, one parallel and one programmatic run (not
 * reported, no failed programs) measure the tool-result tokens each reads, and `hybridChoiceOf`
 * decides what the model does in hybrid mode.
 */
export async function runMatrix(settings: RunMatrixSettings): Promise<{ cells: MatrixCell[]; nativeEmulation: string; behaviour: BehaviourSettings }> {
  const resolved = resolveBehaviour(settings.behaviour);
  const behaviour = settings.bare === true ? bareBehaviour(resolved) : resolved;
  const system = systemPromptOf(behaviour);
  const cells: MatrixCell[] = [];
  const sandboxes = new Map<SandboxId, SandboxV1>();
  const live = settings.liveClient !== undefined;
  // Live runs measure their real tool time: no holding, no modelled waves.
  const counter = new WaveCounter(live ? 0 : toolWaveWindowMs);
  const wantsNative = settings.modes.includes('native');
  let nativeSandbox: TimedSandbox | undefined;
  let nativeEmulation = live ? 'Anthropic hosted code execution (live API)' : 'not run';
  // Tool-result tokens do not depend on the preset: one choice per scenario (or the reason the
  // deciding runs failed, so that later presets do not run them again).
  const hybridChoices = new Map<string, HybridChoice | { readonly failure: string }>();
  const hybridTarget = settings.sandboxes.available[0];
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
    // The scenario's tools (through the wave counter) and the agent's other tools (direct calls only).
    const toolsets = new Map(
      settings.scenarios.map((scenario) => {
        const extra = extraToolsOf(behaviour, new Set(scenario.tools.map((tool) => tool.name)));
        const callers = Object.fromEntries(extra.map((tool) => [tool.name, ['direct'] as const]));
        return [scenario.id, { tools: createToolset([...countedTools(scenario.tools, counter), ...extra]), callers }] as const;
      }),
    );
    for (const preset of settings.presets) {
      let simulator: MessagesSimulator | undefined;
      if (!live) {
        simulator = await createMessagesSimulator({
          policy: () => 'no scenario selected',
          latency: preset.latency,
          timeScale: settings.timeScale ?? 0,
          cache: { minCacheableTokens: preset.minCacheableTokens },
          toolUseOverheadTokens: behaviour.toolUseOverheadTokens,
          codeExecutionToolTokens: behaviour.codeExecutionToolTokens,
          continuationLatencyMs: behaviour.continuationRoundTripMs,
          ...(nativeSandbox === undefined ? {} : { sandbox: nativeSandbox, nativeLanguage: nativeSandbox.capabilities.languages.includes('python') ? 'python' : 'javascript' }),
        });
      }
      const client = settings.liveClient ?? simulator!.createClient({ maxRetries: 0 });
      try {
        for (const scenario of settings.scenarios) {
          const { tools, callers } = toolsets.get(scenario.id)!;
          // One run of the agent against the simulator's current policy.
          const runOnce = async (mode: BenchMode, target: SandboxTarget | undefined): Promise<{ metrics: RunMetrics; text: string; requests: RequestRecord[] | undefined }> => {
            await scenario.reset?.();
            simulator?.reset();
            if (nativeSandbox !== undefined) nativeSandbox.elapsedMs = 0;
            counter.reset();
            let failedPrograms = 0;
            const sandbox = target === undefined ? undefined : sandboxes.get(target.id);
            const result = await runAgent({
              client,
              model: preset.model,
              tools,
              callers,
              mode,
              prompt: scenario.task,
              ...(system === undefined ? {} : { system }),
              promptCaching: settings.promptCaching ?? true,
              onEvent: (event) => {
                if (event.type === 'code-result' && event.isError) failedPrograms++;
              },
              ...(sandbox === undefined ? {} : { sandbox, language: target!.language }),
              maxTurns: 100,
              maxToolResultBytes: 2_000_000,
              limits: { timeoutMs: 60_000, maxToolCalls: 2_000 },
              abortSignal: AbortSignal.timeout(live ? 600_000 : 180_000),
            });
            const correct = result.status === 'completed' && checkAnswer(scenario, result.text);
            const requests = simulator?.exchanges.map((exchange) => {
              const usage = exchange.message?.usage;
              return {
                inputTokens: (usage?.input_tokens ?? 0) + (usage?.cache_creation_input_tokens ?? 0) + (usage?.cache_read_input_tokens ?? 0),
                outputTokens: usage?.output_tokens ?? 0,
                simulatedMs: exchange.simulatedMs,
                modelTurn: exchange.policyCalls > 0,
              };
            });
            const hosted = mode === 'native';
            const hostedOverheadMs = hosted && !live ? result.metrics.toolCalls.codeRuns * behaviour.hostedProgramStartMs : 0;
            // Local sandbox time is measured (minus the wave counter's holding, which happens inside code runs);
            // hosted container time is the simulated overhead plus the modelled tool waves it waited on.
            const toolLatencyMs = live ? 0 : counter.waves * behaviour.toolLatencyMs;
            const sandboxTimeMs = hosted ? (live ? 0 : hostedOverheadMs + toolLatencyMs) : Math.max(0, result.metrics.sandboxTimeMs - (target === undefined ? 0 : counter.holdMs));
            const pricing = hosted ? 'hosted' : target === undefined ? 'none' : target.pricing;
            const metrics = toRunMetrics(result.metrics, preset, correct, {
              sandboxTimeMs,
              pricing,
              toolLatencyMs,
              hostedOverheadMs,
              holdMs: counter.holdMs,
              toolWaves: counter.waves,
              failedPrograms,
            });
            return { metrics, text: result.text, requests };
          };
          // The hybrid choice: what the programs return against what direct calls return (no failed programs).
          const decided = hybridChoices.get(scenario.id);
          let hybrid: HybridChoice | undefined = decided === undefined || 'failure' in decided ? undefined : decided;
          let hybridFailure: string | undefined = decided !== undefined && 'failure' in decided ? decided.failure : undefined;
          if (decided === undefined && !live && hybridTarget !== undefined && settings.modes.includes('hybrid')) {
            simulator?.setPolicy(scenarioPolicy(scenario, { ...behaviour, programFailureRate: 0 }));
            const label = `${preset.id} · ${scenario.id} · deciding the hybrid choice`;
            let reported = 0;
            try {
              const direct = await runOnce('parallel', undefined);
              settings.onRun?.(label);
              reported++;
              const code = await runOnce('programmatic', hybridTarget);
              settings.onRun?.(label);
              reported++;
              hybrid = hybridChoiceOf(code.metrics.toolResultTokens, direct.metrics.toolResultTokens, behaviour);
              hybridChoices.set(scenario.id, hybrid);
            } catch (error) {
              hybridFailure = `the runs that decide the hybrid choice failed: ${errorText(error)}`;
              hybridChoices.set(scenario.id, { failure: hybridFailure });
              for (; reported < 2; reported++) settings.onRun?.(label);
            }
          }
          const options = hybrid === undefined ? {} : { hybrid: hybrid.choice };
          const drawn = scenarioPolicy(scenario, behaviour, options);
          // A code mode's figures at a failure rate p are expected values: (1 - p) x a run in which no
          // program fails + p x a run in which every program fails once and is rewritten (the
          // behaviour layer's failures are at most one per program), as the break-even map computes
          // them. A draw per program would put a whole failure into some scenarios' every run and
          // none into the others'.
          const failureRate = behaviour.programFailureRate;
          const expected = live || failureRate <= 0 || failureRate >= 1 ? undefined : {
            clean: scenarioPolicy(scenario, { ...behaviour, programFailureRate: 0 }, options),
            failing: scenarioPolicy(scenario, { ...behaviour, programFailureRate: 1 }, options),
          };
          simulator?.setPolicy(drawn);
          const plans: CellPlan[] = [];
          for (const mode of settings.modes) {
            if (mode === 'programmatic') for (const target of settings.sandboxes.available) plans.push({ mode, sandbox: target.id, target });
            else if (mode === 'hybrid') plans.push(hybridTarget === undefined ? { mode, sandbox: 'none' } : { mode, sandbox: hybridTarget.id, target: hybridTarget });
            else plans.push({ mode, sandbox: mode === 'native' ? 'hosted' : 'none' });
          }
          for (const plan of plans) {
            const label = `${preset.id} · ${scenario.id} · ${plan.mode}${plan.sandbox === 'none' ? '' : ` · ${plan.sandbox}`}`;
            if (plan.mode === 'native' && !live && nativeSandbox === undefined) {
              cells.push({ scenario: scenario.id, mode: plan.mode, sandbox: plan.sandbox, preset: preset.id, status: 'skipped', reason: 'no sandbox is available to emulate hosted code execution', correctness: live ? 'measured' : 'scripted', runs: [], stats: {} });
              for (let index = 0; index < settings.repetitions; index++) settings.onRun?.(label);
              continue;
            }
            if (plan.mode === 'hybrid' && (plan.target === undefined || hybridFailure !== undefined)) {
              const reason = hybridFailure ?? 'no sandbox is available for the code tool';
              cells.push({ scenario: scenario.id, mode: plan.mode, sandbox: plan.sandbox, preset: preset.id, status: hybridFailure === undefined ? 'skipped' : 'failed', reason, correctness: live ? 'measured' : 'scripted', runs: [], stats: {} });
              for (let index = 0; index < settings.repetitions; index++) settings.onRun?.(label);
              continue;
            }
            const runs: RunMetrics[] = [];
            const errors: string[] = [];
            let answer: string | undefined;
            let requests: RequestRecord[] | undefined;
            const attempt = async (): Promise<RunMetrics> => {
              const run = await runOnce(plan.mode, plan.target);
              answer ??= run.text;
              requests ??= run.requests;
              return run.metrics;
            };
            const writesCode = plan.mode === 'programmatic' || plan.mode === 'native' || (plan.mode === 'hybrid' && hybrid?.choice !== 'direct');
            const mixes = expected !== undefined && writesCode;
            for (let repetition = 0; repetition < settings.repetitions; repetition++) {
              try {
                if (mixes) {
                  simulator?.setPolicy(expected.clean);
                  const clean = await attempt();
                  simulator?.setPolicy(expected.failing);
                  const failing = await attempt();
                  simulator?.setPolicy(drawn);
                  runs.push(mixRuns(clean, failing, failureRate));
                } else {
                  runs.push(await attempt());
                }
              } catch (error) {
                simulator?.setPolicy(drawn);
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
              ...(requests === undefined ? {} : { requests }),
              correctness: live ? 'measured' : 'scripted',
              ...(errors.length === 0 ? {} : { errors }),
              ...(plan.mode === 'hybrid' && hybrid !== undefined ? { hybrid } : {}),
            });
          }
          // Sandboxes that cannot run here still get their cells, with the reason.
          if (settings.modes.includes('programmatic')) {
            for (const skipped of settings.sandboxes.skipped) {
              cells.push({ scenario: scenario.id, mode: 'programmatic', sandbox: skipped.id, preset: preset.id, status: 'skipped', reason: skipped.reason, correctness: live ? 'measured' : 'scripted', runs: [], stats: {} });
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
  return { cells, nativeEmulation, behaviour };
}
