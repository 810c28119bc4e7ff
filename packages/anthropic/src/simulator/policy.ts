import type { MessageParam } from '@anthropic-ai/sdk/resources/messages';
import type { JsonSchemaObject, SandboxLanguage } from '@codecall/core';

/** A tool offered in the request, as the policy sees it. */
export interface PolicyTool {
  /** The tool's name in the request. */
  readonly name: string;
  /** `'custom'` for client tools; the server tool type otherwise (e.g. `'code_execution_20260120'`). */
  readonly type: string;
  /** Its description (for the code tool: the explanation and the declarations). */
  readonly description: string;
  /** Its input JSON Schema (client tools). */
  readonly inputSchema: JsonSchemaObject | undefined;
  /** `allowed_callers` as sent; `['direct']` when absent. */
  readonly allowedCallers: readonly string[];
}

/** The code tool of programmatic/hybrid mode, when the request offers one. */
export interface PolicyCodeTool {
  /** Its name (a client tool whose input is `{ code: string }`). */
  readonly name: string;
  /** The language its description announces (`Runs Python code…`); `'javascript'` when it names none. */
  readonly language: SandboxLanguage;
  /** Its description, which carries the declarations of the callable tools. */
  readonly description: string;
}

/** Anthropic's hosted code execution, when the request offers it (native mode). */
export interface PolicyCodeExecution {
  /** The tool version, e.g. `'code_execution_20260120'`. */
  readonly type: string;
  /** Language the simulator runs the policy's code in: `'python'` when its sandbox runs Python (as the real container does), else JavaScript. */
  readonly language: SandboxLanguage;
  /** Names of the tools whose `allowed_callers` include this version: callable from the code. */
  readonly callableTools: readonly string[];
}

/** A tool result found in the conversation. */
export interface PolicyToolResult {
  /** The `tool_use_id`. */
  readonly toolUseId: string;
  /** Name of the tool the matching `tool_use` called. */
  readonly toolName: string;
  /** Input of the matching `tool_use`. */
  readonly input: unknown;
  /** `direct`: an ordinary tool; `code_tool`: the code tool; `native`: a nested call of hosted code (a `tool_use` with a server `caller`). */
  readonly kind: 'direct' | 'code_tool' | 'native';
  /** The result's text (text blocks joined). */
  readonly content: string;
  /** Whether it was sent with `is_error: true`. */
  readonly isError: boolean;
  /**
   * The result as a value: for direct and native results, `JSON.parse(content)` when it parses,
   * else the text; for the code tool, the JSON after its `Return value:` line when present, else
   * `undefined`.
   */
  readonly value: unknown;
}

/** The result of a hosted code execution block in the conversation (native mode). */
export interface PolicyCodeExecutionResult {
  /** `tool_use_id` of the block: the `server_tool_use` id. */
  readonly toolUseId: string;
  readonly stdout: string;
  readonly stderr: string;
  /** 0 when the code succeeded. */
  readonly returnCode: number;
}

/** The mode the client appears to use, inferred from the request. */
export type PolicyMode = 'sequential' | 'parallel' | 'programmatic' | 'native' | 'hybrid' | 'no-tools';

/**
 * Everything a policy sees: the whole request so far, plus views of it that most policies need.
 * In native mode, while hosted code has finished and the model continues in the same response,
 * `messages` ends with the assistant turn generated so far (its `server_tool_use` and
 * `code_execution_tool_result` blocks).
 */
export interface PolicyRequest {
  /** The request body as received (JSON). */
  readonly body: Readonly<Record<string, unknown>>;
  /** `model` of the request. */
  readonly model: string;
  /** The system prompt as text (blocks joined by a newline); `''` when none. */
  readonly system: string;
  /** The conversation so far (see above for native continuations). */
  readonly messages: readonly MessageParam[];
  /** Text of the first user message: the task. */
  readonly task: string;
  /**
   * How many times the model has spoken: assistant messages in `messages` with a block the model
   * generated (text, thinking, a direct `tool_use`, a `server_tool_use`). Messages that only carry
   * nested calls of hosted code, or only its result, do not count. 0 on the first call; in native
   * mode, 1 when the policy is asked to continue after its first code has finished.
   */
  readonly turn: number;
  /** Tools offered, in request order (the code tool and hosted code execution included). */
  readonly tools: readonly PolicyTool[];
  /** The code tool, if offered. */
  readonly codeTool: PolicyCodeTool | undefined;
  /** Hosted code execution, if offered. */
  readonly codeExecution: PolicyCodeExecution | undefined;
  /** `false` when `tool_choice.disable_parallel_tool_use` is set: the simulator then keeps only the first `tool_use` of a turn. */
  readonly parallelToolUse: boolean;
  /** The inferred mode: `native` with hosted code execution, `programmatic`/`hybrid` with the code tool (alone / with direct tools), else `parallel`/`sequential`, or `no-tools`. */
  readonly mode: PolicyMode;
  /** Every tool result in the conversation, in order. */
  readonly toolResults: readonly PolicyToolResult[];
  /** The tool results of the last user message (those answering the previous turn). */
  readonly lastToolResults: readonly PolicyToolResult[];
  /** Results of hosted code execution in the conversation, in order. */
  readonly codeExecutionResults: readonly PolicyCodeExecutionResult[];
}

/**
 * One block of the next assistant turn:
 * - `text`: text for the user;
 * - `tool_use`: a direct call of a tool by name (`id` is generated when omitted);
 * - `code`: code for the code tool (becomes its `tool_use` with `{ code }`) or for hosted code
 *   execution (becomes a `server_tool_use`; the simulator runs it and returns each nested call
 *   as a `tool_use` with a `caller`). `via` chooses when both are offered; default: the code tool.
 */
export type PolicyBlock =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'tool_use'; readonly name: string; readonly input?: Readonly<Record<string, unknown>>; readonly id?: string }
  | { readonly type: 'code'; readonly code: string; readonly via?: 'code_tool' | 'code_execution' };

/**
 * The next assistant turn: a string (one text block), a list of blocks, or blocks with an
 * explicit stop reason. The stop reason defaults to `tool_use` when the turn calls a tool (or runs
 * code that is waiting on calls), else `end_turn`.
 */
export type PolicyTurn =
  | string
  | readonly PolicyBlock[]
  | { readonly content: readonly PolicyBlock[]; readonly stopReason?: 'end_turn' | 'max_tokens' | 'stop_sequence' | 'refusal' };

/**
 * Plays the model: a deterministic function from the request so far to the next assistant turn.
 * It may be async. Throwing makes the simulator answer 500 `api_error` (not retryable) with the
 * message, so a broken policy fails loudly.
 */
export type SimulatorPolicy = (request: PolicyRequest) => PolicyTurn | Promise<PolicyTurn>;

/**
 * A policy from a list of turns, played in order by `request.turn` (the number of assistant
 * messages so far); past the end it repeats the last turn. Each entry is a turn or a function of
 * the request.
 *
 * @example
 * ```ts
 * const policy = scriptedPolicy([
 *   [{ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } }],
 *   (request) => `It is ${String(request.lastToolResults[0]?.value)} in Paris.`,
 * ]);
 * ```
 */
export function scriptedPolicy(turns: readonly (PolicyTurn | SimulatorPolicy)[]): SimulatorPolicy {
  if (turns.length === 0) throw new TypeError('scriptedPolicy needs at least one turn.');
  return (request) => {
    const entry = turns[Math.min(request.turn, turns.length - 1)]!;
    return typeof entry === 'function' ? entry(request) : entry;
  };
}
