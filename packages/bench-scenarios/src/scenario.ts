import type { JsonSchemaToolDefinition } from '@codecall/core';

/** A tool call a direct-mode policy asks for: the tool's name and its input object. */
export interface ScenarioToolCall {
  /** Name of the tool, as defined in `Scenario.tools`. */
  readonly tool: string;
  /** Input object of the call. Default `{}`. */
  readonly input?: Readonly<Record<string, unknown>>;
}

/**
 * One step of a direct-mode policy with more than calls: text the model writes beside them, and
 * whether choosing these calls needed reasoning over earlier results.
 */
export interface DirectStep {
  /** The calls of this turn (sequential mode keeps the first). Must not be empty. */
  readonly calls: readonly ScenarioToolCall[];
  /**
   * Text the model writes before the calls. Default: none from the scenario; the benchmark's
   * behaviour layer adds its modelled text per turn either way (this text comes first).
   */
  readonly text?: string;
  /**
   * `true` when these calls depend on reasoning over earlier results (which items to look at next,
   * whether to stop). The behaviour layer then adds its modelled reasoning text to the turn.
   * Default `false`.
   */
  readonly dataDependent?: boolean;
}

/** What `Scenario.direct` returns: the next calls (a list or a `DirectStep`), or the final answer. */
export type DirectTurn = readonly ScenarioToolCall[] | DirectStep | string;

/** One tool result the simulated model has read so far (direct modes). */
export interface ScenarioToolResult {
  /** Name of the tool that was called. */
  readonly tool: string;
  /** Input the call was made with. */
  readonly input: Readonly<Record<string, unknown>>;
  /** The result as a value (JSON-parsed text; the text itself when it is not JSON). */
  readonly value: unknown;
  /** Whether the call failed (the value is then the error text). */
  readonly isError: boolean;
}

/** What a direct-mode policy sees: the task and every tool result so far. */
export interface DirectState {
  /** The task prompt. */
  readonly task: string;
  /** How many times the model has spoken so far (0 on the first turn). */
  readonly turn: number;
  /** `false` in sequential mode (only the first call of a turn is kept), `true` in parallel mode. */
  readonly parallel: boolean;
  /** Every tool result so far, in order. */
  readonly results: readonly ScenarioToolResult[];
  /**
   * The value of the first successful result of `tool` whose input has every key/value of `input`
   * (compared with `===`), or `undefined` when there is none yet.
   */
  find(tool: string, input?: Readonly<Record<string, unknown>>): unknown;
  /** Whether a result of `tool` with (at least) this input exists, successful or not. */
  has(tool: string, input?: Readonly<Record<string, unknown>>): boolean;
}

/**
 * A program the simulated model writes, in both languages: `javascript` runs in JavaScript
 * sandboxes (isolated-vm, subprocess-node), `python` in Python sandboxes (subprocess-python) and in
 * native mode (Anthropic's hosted code execution runs Python). Tools are global async functions of
 * one object argument (`await get_team({})`, `asyncio.gather(...)` for concurrency).
 *
 * **Output convention:** the program prints its result as JSON on the last line of stdout
 * (`console.log(JSON.stringify(result))` / `print(json.dumps(result))`); that line, parsed, is
 * what `CodeState.outputs` holds.
 *
 * Write the script, not the model's whole message: the benchmark's behaviour layer adds the text
 * before it, the comments and formatting a model writes around it, and (at a stated rate) a failed
 * first attempt.
 */
export interface ScenarioProgram {
  /** The program in JavaScript (the body of an async function; top-level `await`). */
  readonly javascript: string;
  /** The same program in Python (top-level `await`; `asyncio` and `json` may be imported). */
  readonly python: string;
  /** Text the model writes before the program. Default: none from the scenario (the layer adds its modelled text). */
  readonly text?: string;
  /**
   * `true` when the model must read this program's output and reason before the next step (it
   * cannot write the next program before seeing the data): the reason a task takes a second
   * program. The behaviour layer adds its modelled reasoning text to the next turn. Default `false`.
   */
  readonly dataDependent?: boolean;
  /**
   * `true` when the program only calls tools and prints what they return, unprocessed: its last
   * line is the JSON of its one call's result, or of the list of its calls' results in call order.
   * Writing it needs no knowledge of the results' shape, so when it is the task's first program the
   * behaviour layer writes no exploration program before it (the exploration would be this same
   * program). The repository's tests check the claim for its own scenarios by running their programs. Default `false`.
   */
  readonly showsResults?: boolean;
}

/** What a code-mode policy sees: the task and the output of each program it has run so far. */
export interface CodeState {
  /** The task prompt. */
  readonly task: string;
  /** `programmatic` (your sandbox) or `native` (hosted code execution, Python). */
  readonly mode: 'programmatic' | 'native';
  /** Language the next program will run in. */
  readonly language: 'javascript' | 'python';
  /**
   * Parsed last stdout line of each of the scenario's programs run so far, in order (the text when
   * it is not JSON). Programs the behaviour layer adds (exploration, failed attempts) are not here.
   */
  readonly outputs: readonly unknown[];
  /** The error text of the scenario's last program when it failed, else `undefined`. */
  readonly failure: string | undefined;
}

/** Kind of work a scenario is, as the published figures classify tasks (see `Scenario.workload`). */
export type ScenarioWorkload = 'analysis' | 'sequential' | 'code-writing';

/**
 * A benchmark scenario: a toolset with deterministic backing data, a task, how a competent model
 * behaves in each mode, and a checker of the final answer. See `benchmarks/scenarios/README.md`.
 */
export interface Scenario {
  /** Unique id, kebab-case (`budget-compliance`). Used in reports and `--only`. */
  readonly id: string;
  /** Short human title for reports. */
  readonly title: string;
  /** One or two sentences: what it exercises and what it is expected to show. */
  readonly description?: string;
  /**
   * What the scenario is meant to show about programmatic calling against parallel tool use (the
   * baseline), judged on the report's headline figures, cost in dollars and latency: `'wins'`
   * (fan-out, loops: cheaper and faster), `'fewer-tokens'` (cheaper, latency either way, e.g. one
   * call with a large result), `'loses'` (code should not be both cheaper and faster) or
   * `'neutral'`. The report checks the expectation against the figures. Default `'neutral'`.
   */
  readonly expectation?: 'wins' | 'fewer-tokens' | 'loses' | 'neutral';
  /**
   * The kind of work, for the report's comparison with published real-world figures (which give
   * token changes by kind of task): `'analysis'` (gathering, filtering or aggregating data over many
   * tool calls: analysis and research), `'sequential'` (each call needs the model's reading of the
   * previous result), `'code-writing'` (reading and editing code). Leave it out and the scenario is
   * in no such comparison.
   */
  readonly workload?: ScenarioWorkload;
  /**
   * The tools: plain JSON Schema definitions (`{ name, description, inputSchema, execute }`, no
   * import needed; inputs are validated against `inputSchema` before `execute` runs). Tools made
   * with `defineTool` from `@codecall/core` are accepted too (at runtime; cast the array for the
   * type checker). Handlers must be deterministic (same input, same output, every run).
   */
  readonly tools: readonly JsonSchemaToolDefinition[];
  /**
   * Tools whose result shape the model knows before calling them, because their description states
   * it (a tool with an `outputSchema` counts as declared without being listed). In code modes the
   * behaviour layer makes the model run an exploration program first (print a sample to learn the
   * shape) when a tool it starts with is not declared. Default: only tools with `outputSchema`.
   */
  readonly declaredOutputs?: readonly string[];
  /**
   * Tools that change state (create, assign, cancel…). An exploration program never calls them.
   * Default: none.
   */
  readonly sideEffectTools?: readonly string[];
  /**
   * Restores the initial state of stateful tools; called before every run (every cell and
   * repetition). Omit it when the tools keep no state.
   */
  readonly reset?: () => void | Promise<void>;
  /** The task prompt given to the model. */
  readonly task: string;
  /** The correct answer, for reports (the checker decides correctness). */
  readonly expected: string;
  /**
   * Decides whether the model's final text is correct. Default: the text contains `expected`
   * (case-insensitive, whitespace collapsed). The behaviour layer appends modelled prose (no
   * digits) to the answer, so check for what must be there, not for an exact text.
   */
  readonly check?: (answer: string) => boolean;
  /**
   * Plays the model in `sequential` and `parallel` modes: returns the calls it needs next (all the
   * independent ones it knows of; sequential mode keeps the first, so asking for all of them is
   * right in both modes), or the final answer as a string. Derive the answer from
   * `state.results`, never from the backing data, so a broken tool path gives a wrong answer.
   */
  readonly direct: (state: DirectState) => DirectTurn;
  /**
   * Plays the model in `programmatic` and `native` modes: returns the next program to run, or the
   * final answer as a string. Usually one program, then an answer built from `state.outputs[0]`.
   */
  readonly code: (state: CodeState) => ScenarioProgram | string;
}

/**
 * Returns its argument, typed: the helper scenario files use.
 *
 * @example
 * ```ts
 * import { defineScenario } from '@codecall/bench-scenarios';
 * export const scenario = defineScenario({ id: 'my-task', title: 'My task', tools, task, expected, direct, code });
 * ```
 */
export function defineScenario(scenario: Scenario): Scenario {
  return scenario;
}

/** The calls of a direct turn, its text and whether it is data-dependent; `undefined` for an answer. */
export function directStepOf(turn: DirectTurn): DirectStep | undefined {
  if (typeof turn === 'string') return undefined;
  if (Array.isArray(turn)) return { calls: turn as readonly ScenarioToolCall[] };
  return turn as DirectStep;
}

/** Whether the model knows the result shape of `toolName` in this scenario (see `Scenario.declaredOutputs`). */
export function isOutputDeclared(scenario: Scenario, toolName: string): boolean {
  if (scenario.declaredOutputs?.includes(toolName) === true) return true;
  const tool = scenario.tools.find((candidate) => candidate.name === toolName);
  return tool?.outputSchema !== undefined;
}

function normalize(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Runs the scenario's checker (or the default one) on a final answer; a throwing checker means wrong. */
export function checkAnswer(scenario: Scenario, answer: string): boolean {
  if (scenario.check !== undefined) {
    try {
      return scenario.check(answer);
    } catch {
      return false;
    }
  }
  return normalize(answer).includes(normalize(scenario.expected));
}

const idPattern = /^[a-z0-9][a-z0-9-]*$/;

function isStringList(value: unknown): boolean {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** Throws a `TypeError` naming the problem (and `where`, e.g. the file) when `value` is not a usable scenario. */
export function assertScenario(value: unknown, where: string): asserts value is Scenario {
  const fail = (problem: string): never => {
    throw new TypeError(`${where}: ${problem} (see benchmarks/scenarios/README.md)`);
  };
  if (typeof value !== 'object' || value === null) fail('a scenario must be an object');
  const scenario = value as Record<string, unknown>;
  if (typeof scenario['id'] !== 'string' || !idPattern.test(scenario['id'])) fail('`id` must be a kebab-case string');
  if (typeof scenario['title'] !== 'string') fail('`title` must be a string');
  if (typeof scenario['task'] !== 'string' || scenario['task'] === '') fail('`task` must be a non-empty string');
  if (typeof scenario['expected'] !== 'string') fail('`expected` must be a string');
  if (!Array.isArray(scenario['tools']) || scenario['tools'].length === 0) fail('`tools` must be a non-empty array');
  if (typeof scenario['direct'] !== 'function') fail('`direct` must be a function (state) => calls | answer');
  if (typeof scenario['code'] !== 'function') fail('`code` must be a function (state) => program | answer');
  if (scenario['reset'] !== undefined && typeof scenario['reset'] !== 'function') fail('`reset` must be a function');
  if (scenario['check'] !== undefined && typeof scenario['check'] !== 'function') fail('`check` must be a function (answer) => boolean');
  if (scenario['declaredOutputs'] !== undefined && !isStringList(scenario['declaredOutputs'])) fail('`declaredOutputs` must be an array of tool names');
  if (scenario['sideEffectTools'] !== undefined && !isStringList(scenario['sideEffectTools'])) fail('`sideEffectTools` must be an array of tool names');
  const expectation = scenario['expectation'];
  if (expectation !== undefined && !['wins', 'fewer-tokens', 'loses', 'neutral'].includes(expectation as string)) fail("`expectation` must be 'wins', 'fewer-tokens', 'loses' or 'neutral'");
  const workload = scenario['workload'];
  if (workload !== undefined && !['analysis', 'sequential', 'code-writing'].includes(workload as string)) fail("`workload` must be 'analysis', 'sequential' or 'code-writing'");
}
