import { ToolError, jsonSchemaTool } from '@codecall/core';
import type { JsonSchema, JsonSchemaObject, Tool as CodecallTool } from '@codecall/core';
import { asSchema } from 'ai';
import type { ModelMessage, Schema, Tool, ToolExecutionOptions, ToolSet } from 'ai';

/** Options of `fromAiSdkTools`. */
export interface FromAiSdkToolsOptions {
  /** The `context` the tools' `execute`, `needsApproval` and `description` functions receive. Default `undefined`. */
  readonly context?: unknown;
  /** The `messages` their `execute` receives (the conversation so far). Default `[]`. */
  readonly messages?: readonly ModelMessage[];
  /**
   * What an input or output schema that is not valid JSON Schema does: `'throw'` (default) or
   * `'fail-calls'` (see `jsonSchemaTool`).
   */
  readonly invalidSchema?: 'throw' | 'fail-calls';
}

const maxMessageLength = 500;

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > maxMessageLength ? `${message.slice(0, maxMessageLength)}…` : message;
}

interface Issue {
  readonly path?: readonly unknown[];
  readonly message?: unknown;
}

/** A validator's failure as "input.path message" lines: zod and standard-schema issues, else the message. */
function validationMessage(error: unknown): string {
  const issues: unknown = typeof error === 'object' && error !== null ? (error as { issues?: unknown }).issues : undefined;
  if (!Array.isArray(issues) || issues.length === 0) return messageOf(error);
  const lines = (issues as Issue[]).slice(0, 5).map((issue) => {
    const path = (issue.path ?? []).map((segment) => {
      const key = typeof segment === 'object' && segment !== null ? (segment as { key?: unknown }).key : segment;
      return typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
    });
    return `input${path.join('')} ${String(issue.message)}`;
  });
  return messageOf(lines.join('; '));
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

async function jsonSchemaOf(schema: Schema): Promise<JsonSchemaObject> {
  const resolved: unknown = await schema.jsonSchema;
  if (typeof resolved !== 'object' || resolved === null || Array.isArray(resolved)) return { type: 'object' };
  return resolved as JsonSchemaObject;
}

async function convert(name: string, tool: Tool, options: FromAiSdkToolsOptions): Promise<CodecallTool<unknown, unknown>> {
  const where = `fromAiSdkTools: tool "${name}"`;
  if (typeof tool !== 'object' || tool === null) throw new TypeError(`${where} is not a tool object (got ${tool === null ? 'null' : typeof tool}).`);
  if (tool.type === 'provider') {
    throw new TypeError(`${where} is a provider tool (${String((tool as { id?: unknown }).id)}); it runs at the provider, not on this host, so code cannot call it.`);
  }
  const execute = tool.execute;
  if (typeof execute !== 'function') {
    throw new TypeError(`${where} has no execute function (a tool the client answers); code can only call tools that run on this host.`);
  }
  const inputSchema = asSchema(tool.inputSchema);
  const outputSchema = tool.outputSchema === undefined ? undefined : asSchema(tool.outputSchema);
  const context = options.context;
  const description = typeof tool.description === 'function' ? tool.description({ context }) : (tool.description ?? tool.title ?? '');
  const needsApproval = tool.needsApproval;
  const messages = [...(options.messages ?? [])];
  const outputJsonSchema: JsonSchema | undefined = outputSchema === undefined ? undefined : await jsonSchemaOf(outputSchema);
  return jsonSchemaTool({
    name,
    description,
    inputSchema: await jsonSchemaOf(inputSchema),
    ...(outputJsonSchema === undefined ? {} : { outputSchema: outputJsonSchema }),
    ...(options.invalidSchema === undefined ? {} : { invalidSchema: options.invalidSchema }),
    needsApproval:
      typeof needsApproval === 'function'
        ? async (input: unknown) => (await needsApproval(input, { toolCallId: '', messages, context })) === true
        : needsApproval === true,
    execute: async (checked, callContext) => {
      // The JSON Schema was checked (Ajv); the tool's own validator (zod, standard schema) may
      // still refine, transform or fill in defaults.
      let input: unknown = checked;
      if (inputSchema.validate !== undefined) {
        let result;
        try {
          result = await inputSchema.validate(checked);
        } catch (error) {
          throw new ToolError('INVALID_INPUT', `Invalid input for ${name}: ${messageOf(error)}`, { cause: error });
        }
        if (!result.success) {
          // The AI SDK wraps the validator's error; its cause holds the issues.
          const cause: unknown = (result.error as { cause?: unknown }).cause ?? result.error;
          throw new ToolError('INVALID_INPUT', `Invalid input for ${name}: ${validationMessage(cause)}`, { cause: result.error });
        }
        input = result.value;
      }
      const executionOptions: ToolExecutionOptions<unknown> = { toolCallId: callContext.toolCallId, messages, abortSignal: callContext.abortSignal, context };
      const output: unknown = await execute(input, executionOptions);
      if (!isAsyncIterable(output)) return output;
      // A streaming tool yields preliminary results; the last one is its result.
      let last: unknown;
      for await (const value of output) last = value;
      return last;
    },
  });
}

/**
 * Turns an AI SDK tool set (`{ name: tool({ description, inputSchema, execute }) }`, zod, standard
 * schema or `jsonSchema()` input schemas) into codecall tools for `createToolset`. Input is
 * validated against the tool's JSON Schema (Ajv, as `jsonSchemaTool`), then by the schema's own
 * validator (zod: refinements, transforms, defaults); a failure is `INVALID_INPUT`. An
 * `outputSchema` types the declarations and checks results. `execute` receives the codecall call id
 * as `toolCallId`, the call's abort signal, and `context` and `messages` from the options; a
 * streaming `execute` (async iterable) gives its last value. `needsApproval` is honoured through
 * `runCode`'s `onApproval`. Provider tools and tools without `execute` are refused. Async because
 * an AI SDK schema may produce its JSON Schema asynchronously.
 *
 * @example
 * ```ts
 * import { tool } from 'ai';
 * const weather = tool({ description: 'Weather of a city.', inputSchema: z.object({ city: z.string() }), execute: async ({ city }) => forecast(city) });
 * const tools = createToolset(await fromAiSdkTools({ weather }));
 * ```
 */
export async function fromAiSdkTools(tools: ToolSet, options: FromAiSdkToolsOptions = {}): Promise<CodecallTool<unknown, unknown>[]> {
  if (typeof tools !== 'object' || tools === null || Array.isArray(tools)) {
    throw new TypeError(`fromAiSdkTools expects an AI SDK tool set (an object of tools by name), got ${Array.isArray(tools) ? 'an array' : tools === null ? 'null' : typeof tools}.`);
  }
  return Promise.all(Object.entries(tools).map(([name, tool]) => convert(name, tool as Tool, options)));
}
