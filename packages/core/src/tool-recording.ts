import { ToolError } from './errors.js';
import type { ToolErrorCode } from './errors.js';
import type { JsonSchema, JsonSchemaObject, JsonValue } from './json.js';
import { jsonSchemaTool } from './tool.js';
import type { AnyTool, JsonSchemaToolDefinition, Tool, ToolExecutionContext } from './tool.js';
import { createToolset, toToolset } from './toolset.js';
import type { Toolset } from './toolset.js';

/** A tool's definition as a cassette keeps it, so a replay can offer the same tool without its code. */
export interface ToolCassetteTool {
  /** The tool's name. */
  readonly name: string;
  /** Its description. */
  readonly description: string;
  /** JSON Schema of its input. */
  readonly inputSchema: JsonSchemaObject;
  /** JSON Schema of its output, when it declares one. */
  readonly outputSchema?: JsonSchema;
  /** Whether calls need approval; a tool that decided per input is kept as `true` (every call asks). */
  readonly needsApproval: boolean;
}

/** One call that reached a handler, as recorded. */
export interface ToolCassetteCall {
  /** Name of the tool. */
  readonly tool: string;
  /** The validated input the handler received, as JSON. */
  readonly input: JsonValue;
  /** What the handler returned, as JSON; absent when it returned `undefined` or failed. */
  readonly output?: JsonValue;
  /** Why the handler failed: the `ToolError` code it threw, or `TOOL_FAILED` for any other error. */
  readonly error?: { readonly code: ToolErrorCode; readonly message: string };
}

/** Tool results recorded by `recordToolResults`: plain JSON, to store beside a test or a checkpoint. */
export interface ToolCassette {
  /** Format version of the cassette; this package reads and writes `1`. */
  readonly version: 1;
  /** The tools of the recorded toolset, in order. */
  readonly tools: readonly ToolCassetteTool[];
  /** The calls, in the order their handlers settled. */
  readonly calls: readonly ToolCassetteCall[];
}

/** What `recordToolResults` returns. */
export interface ToolRecording {
  /** The toolset to run with: the same tools, whose handlers are recorded. */
  readonly tools: Toolset;
  /** The cassette, updated as each handler settles; `JSON.stringify` it to store it. */
  readonly cassette: ToolCassette;
}

/** Options of `replayToolResults`. */
export interface ReplayToolResultsOptions {
  /**
   * The original tools, to keep their schemas, validation and `needsApproval` functions; only their
   * handlers are replaced. Default: tools rebuilt from the cassette's definitions (JSON Schema).
   */
  readonly tools?: Toolset | readonly (AnyTool | JsonSchemaToolDefinition)[];
}

// Key order must not matter: the same input may be built in another order on replay.
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function toJson(value: unknown): JsonValue | undefined {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
}

function callKey(tool: string, input: unknown): string {
  return `${tool}\u0000${canonicalJson(input)}`;
}

/**
 * Wraps a toolset so that every call that reaches a handler is recorded (validated input, and
 * output or error) into a JSON cassette that `replayToolResults` answers from. Calls refused
 * before their handler (invalid input, denied, past limits) are not recorded: the dispatcher
 * refuses them again on replay.
 *
 * @example
 * ```ts
 * const recording = recordToolResults(tools);
 * await runCode({ sandbox, tools: recording.tools, code });
 * await writeFile('cassette.json', JSON.stringify(recording.cassette));
 * ```
 */
export function recordToolResults(tools: Toolset | readonly (AnyTool | JsonSchemaToolDefinition)[]): ToolRecording {
  const source = toToolset(tools);
  const calls: ToolCassetteCall[] = [];
  const cassette: ToolCassette = {
    version: 1,
    tools: source.entries.map(({ tool }) => ({
      name: tool.name,
      description: tool.description,
      inputSchema: tool.inputSchema,
      ...(tool.outputSchema === undefined ? {} : { outputSchema: tool.outputSchema }),
      needsApproval: tool.needsApproval !== false,
    })),
    calls,
  };
  const wrapped = source.entries.map(({ tool }): AnyTool => {
    const execute = async (input: unknown, context: ToolExecutionContext): Promise<unknown> => {
      const recordedInput = toJson(input) ?? null;
      try {
        const output: unknown = await (tool as Tool).execute(input, context);
        const recordedOutput = toJson(output);
        calls.push({ tool: tool.name, input: recordedInput, ...(recordedOutput === undefined ? {} : { output: recordedOutput }) });
        return output;
      } catch (error) {
        const code: ToolErrorCode = ToolError.isInstance(error) ? error.code : 'TOOL_FAILED';
        const message = error instanceof Error ? error.message : typeof error === 'string' ? error : 'The tool failed.';
        calls.push({ tool: tool.name, input: recordedInput, error: { code, message } });
        throw error;
      }
    };
    return Object.freeze({ ...tool, execute });
  });
  return { tools: createToolset(wrapped), cassette };
}

function assertCassette(value: unknown): asserts value is ToolCassette {
  const cassette = value as Partial<ToolCassette> | null;
  if (typeof cassette !== 'object' || cassette === null || cassette.version !== 1 || !Array.isArray(cassette.tools) || !Array.isArray(cassette.calls)) {
    throw new TypeError('replayToolResults: expected a cassette of version 1 ({ version: 1, tools: [...], calls: [...] }) as recordToolResults makes.');
  }
}

/**
 * A toolset that answers every call from a cassette of `recordToolResults` and runs no handler:
 * a call answers with the recorded output (or throws the recorded `ToolError`) of the same tool
 * with the same input (object key order does not matter). Repeated calls with one input get the
 * recorded results in order, then the last one again. A call the cassette has not seen fails with
 * `TOOL_FAILED` and a message that names the tool and the input.
 *
 * @example
 * ```ts
 * const cassette = JSON.parse(await readFile('cassette.json', 'utf8'));
 * const result = await runCode({ sandbox, tools: replayToolResults(cassette), code }); // no host calls
 * ```
 */
export function replayToolResults(cassette: ToolCassette, options: ReplayToolResultsOptions = {}): Toolset {
  assertCassette(cassette);
  const recorded = new Map<string, ToolCassetteCall[]>();
  const countByTool = new Map<string, number>();
  for (const call of cassette.calls) {
    const key = callKey(call.tool, call.input);
    const list = recorded.get(key);
    if (list === undefined) recorded.set(key, [call]);
    else list.push(call);
    countByTool.set(call.tool, (countByTool.get(call.tool) ?? 0) + 1);
  }
  const used = new Map<string, number>();

  const answer = (name: string, input: unknown): unknown => {
    const key = callKey(name, input);
    const list = recorded.get(key);
    if (list === undefined) {
      const inputText = canonicalJson(input);
      throw new ToolError(
        'TOOL_FAILED',
        `replayToolResults: the cassette has no call of ${name} with input ${inputText.length > 500 ? `${inputText.slice(0, 500)}…` : inputText} (it holds ${countByTool.get(name) ?? 0} call(s) of ${name}); record the run again.`,
        { toolName: name },
      );
    }
    const index = used.get(key) ?? 0;
    used.set(key, index + 1);
    const call = list[Math.min(index, list.length - 1)]!;
    if (call.error !== undefined) throw new ToolError(call.error.code, call.error.message, { toolName: name });
    return call.output;
  };

  const definitions: readonly AnyTool[] =
    options.tools === undefined
      ? cassette.tools.map((tool) =>
          jsonSchemaTool({
            name: tool.name,
            description: tool.description,
            inputSchema: tool.inputSchema,
            ...(tool.outputSchema === undefined ? {} : { outputSchema: tool.outputSchema }),
            needsApproval: tool.needsApproval,
            execute: () => undefined,
          }),
        )
      : toToolset(options.tools).entries.map((entry) => entry.tool);
  return createToolset(definitions.map((tool): AnyTool => Object.freeze({ ...tool, execute: (input: unknown) => answer(tool.name, input) })));
}
