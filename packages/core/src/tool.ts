import { z } from 'zod';
import type { JsonSchema, JsonSchemaObject } from './json.js';
import { compileJsonSchema, JsonSchemaCompileError } from './json-schema/compile-json-schema.js';

/** What a tool's `execute` receives besides its input. */
export interface ToolExecutionContext {
  /** Fires when the call should stop: the run was aborted or ended, or the call timed out. */
  readonly abortSignal: AbortSignal;
  /** Id of the run (`runCode`'s `executionId`) the call belongs to. */
  readonly executionId: string;
  /** Id of this call, unique within the run; matches `ToolCallRecord.id`. */
  readonly toolCallId: string;
}

/**
 * Whether a call needs approval before it runs: a constant or a function of the validated input.
 * A denied call fails with `DENIED`.
 */
export type NeedsApproval<INPUT> = boolean | ((input: INPUT) => boolean | Promise<boolean>);

/** Outcome of validating a value against a tool schema. */
export type ToolParseResult<T> = { readonly success: true; readonly data: T } | { readonly success: false; readonly message: string };

/**
 * A tool in its normalized form, as `createToolset` and the dispatcher use it. Create one with
 * `defineTool` (zod) or `jsonSchemaTool` (plain JSON Schema).
 */
export interface Tool<INPUT = unknown, OUTPUT = unknown> {
  /** Unique name within a toolset; may contain `.` or `-` (guest code then calls it by its identifier). */
  readonly name: string;
  /** What the tool does, for the model. Empty string when none was given. */
  readonly description: string;
  /** JSON Schema of the input, as the model should produce it (zod `io: 'input'`). */
  readonly inputSchema: JsonSchemaObject;
  /** JSON Schema of the output, when the tool declares one. */
  readonly outputSchema: JsonSchema | undefined;
  /** Whether a call needs approval (see `runCode`'s `onApproval`). Default `false`. */
  readonly needsApproval: NeedsApproval<INPUT>;
  /** Validates and parses raw input (already JSON-decoded). */
  readonly parseInput: (value: unknown) => ToolParseResult<INPUT>;
  /** Validates a handler's result against the output schema; passes it through when there is none. */
  readonly parseOutput: (value: unknown) => ToolParseResult<OUTPUT>;
  /** Runs the tool on validated input. */
  readonly execute: (input: INPUT, context: ToolExecutionContext) => Promise<OUTPUT> | OUTPUT;
}

/** Any tool, whatever its input and output types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tools are contravariant in INPUT; `any` is the only top type here.
export type AnyTool = Tool<any, any>;

/** What `defineTool` takes. */
export interface ToolDefinition<INPUT_SCHEMA extends z.ZodType, OUTPUT_SCHEMA extends z.ZodType | undefined> {
  /** Unique name within a toolset. Prefer a valid identifier in JavaScript and Python. */
  name: string;
  /** What the tool does and returns, for the model. Kept verbatim in every declaration. */
  description?: string;
  /** zod schema of the input; it must describe an object (guest code passes one object argument). */
  input: INPUT_SCHEMA;
  /** Optional zod schema of the output; results that fail it become `INVALID_OUTPUT` errors. */
  output?: OUTPUT_SCHEMA;
  /** Whether a call needs approval before it runs. Default `false`. */
  needsApproval?: NeedsApproval<z.output<INPUT_SCHEMA>>;
  /** The handler. Throw `ToolError` to choose the code the guest sees; other errors become `TOOL_FAILED`. */
  execute: (
    input: z.output<INPUT_SCHEMA>,
    context: ToolExecutionContext,
  ) => OUTPUT_SCHEMA extends z.ZodType ? z.input<OUTPUT_SCHEMA> | Promise<z.input<OUTPUT_SCHEMA>> : unknown;
}

const toJsonSchemaOptions = { unrepresentable: 'any', target: 'draft-2020-12' } as const;

function zodParser<T>(schema: z.ZodType<T>): (value: unknown) => ToolParseResult<T> {
  return (value) => {
    const result = schema.safeParse(value);
    return result.success ? { success: true, data: result.data } : { success: false, message: z.prettifyError(result.error) };
  };
}

function objectSchema(schema: JsonSchema, where: string): JsonSchemaObject {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new TypeError(`${where} must be a JSON Schema object.`);
  }
  return schema;
}

/**
 * Defines a tool with zod schemas.
 *
 * @example
 * ```ts
 * const getExpenses = defineTool({
 *   name: 'get_expenses',
 *   description: 'Expense line items of one employee for a quarter.',
 *   input: z.object({ employeeId: z.string(), quarter: z.enum(['Q1', 'Q2', 'Q3', 'Q4']) }),
 *   output: z.array(z.object({ amount: z.number(), category: z.string() })),
 *   execute: async ({ employeeId, quarter }) => db.expenses(employeeId, quarter),
 * });
 * ```
 */
export function defineTool<INPUT_SCHEMA extends z.ZodType, OUTPUT_SCHEMA extends z.ZodType | undefined = undefined>(
  definition: ToolDefinition<INPUT_SCHEMA, OUTPUT_SCHEMA>,
): Tool<z.output<INPUT_SCHEMA>, OUTPUT_SCHEMA extends z.ZodType ? z.output<OUTPUT_SCHEMA> : unknown> {
  type Output = OUTPUT_SCHEMA extends z.ZodType ? z.output<OUTPUT_SCHEMA> : unknown;
  assertName(definition.name);
  const inputSchema = objectSchema(
    z.toJSONSchema(definition.input, { ...toJsonSchemaOptions, io: 'input' }),
    `defineTool(${definition.name}).input`,
  );
  if (inputSchema.type !== 'object') {
    throw new TypeError(`defineTool(${definition.name}): input must be an object schema (z.object(...)), got type ${JSON.stringify(inputSchema.type)}.`);
  }
  delete inputSchema.$schema;
  const output = definition.output;
  let outputSchema: JsonSchema | undefined;
  if (output !== undefined) {
    outputSchema = z.toJSONSchema(output, { ...toJsonSchemaOptions, io: 'output' });
    if (typeof outputSchema === 'object') delete outputSchema.$schema;
  }
  const execute = definition.execute as (input: z.output<INPUT_SCHEMA>, context: ToolExecutionContext) => Output | Promise<Output>;
  return Object.freeze({
    name: definition.name,
    description: definition.description ?? '',
    inputSchema,
    outputSchema,
    needsApproval: definition.needsApproval ?? false,
    parseInput: zodParser(definition.input as z.ZodType<z.output<INPUT_SCHEMA>>),
    parseOutput: output === undefined ? (value: unknown) => ({ success: true as const, data: value as Output }) : zodParser(output as z.ZodType<Output>),
    execute,
  });
}

/** A tool given as plain JSON Schema, e.g. from an MCP server. */
export interface JsonSchemaToolDefinition {
  /** Unique name within a toolset. */
  name: string;
  /** What the tool does, for the model. */
  description?: string;
  /**
   * JSON Schema of the input object: draft 2020-12 unless `$schema` names draft 2019-09, draft-07
   * or draft-06 (a schema without `$schema` that is valid only as draft-07 is read as draft-07).
   * `true` or `{}` means any object (stored as `{ type: 'object' }`).
   */
  inputSchema: JsonSchemaObject | true;
  /** JSON Schema of the output, if known; results that fail it become `INVALID_OUTPUT` errors. */
  outputSchema?: JsonSchema;
  /** Whether a call needs approval before it runs. Default `false`. */
  needsApproval?: NeedsApproval<unknown>;
  /**
   * What a schema that is not valid JSON Schema, or cannot be compiled, does: `'throw'` (the
   * default for `jsonSchemaTool`) throws a `TypeError` naming the keyword; `'fail-calls'` (the
   * default for plain definitions given to `createToolset`) keeps the tool declared but fails every
   * call with `INVALID_INPUT` and that same message, so one bad schema among many (e.g. from an MCP
   * server) does not take the others down.
   */
  invalidSchema?: 'throw' | 'fail-calls';
  /** The handler; receives the JSON-decoded input after validation. */
  execute: (input: unknown, context: ToolExecutionContext) => unknown;
}

function jsonSchemaParser(schema: JsonSchema | undefined, where: string, subject: 'input' | 'output'): (value: unknown) => ToolParseResult<unknown> {
  if (schema === undefined) return (value) => ({ success: true, data: value });
  // Defaults fill in the input (a fresh JSON.parse result); a handler's output is never modified.
  const compiled = compileJsonSchema(schema, { where, subject, useDefaults: subject === 'input' });
  return (value) => {
    const result = compiled.check(value);
    return result.success ? { success: true, data: value } : result;
  };
}

/**
 * Makes a tool from plain JSON Schema. Input (and output, when `outputSchema` is given) is
 * validated with Ajv: the draft comes from `$schema` (2020-12 by default, also 2019-09, draft-07
 * and draft-06), formats are checked with `ajv-formats`, unknown keywords and formats are
 * annotations, and `default`s of missing input properties are filled in. Schemas are checked and
 * compiled here, once: an invalid one throws a `TypeError` that names the tool and the keyword
 * (see `invalidSchema`). A `pattern` that nests quantifiers (`(a+)+`) only accepts strings of at
 * most 20 characters, because V8's regular expressions cannot be interrupted.
 *
 * @example
 * ```ts
 * const search = jsonSchemaTool({
 *   name: 'search',
 *   inputSchema: { type: 'object', properties: { query: { type: 'string', minLength: 1 } }, required: ['query'] },
 *   execute: async (input) => index.search((input as { query: string }).query),
 * });
 * ```
 */
export function jsonSchemaTool(definition: JsonSchemaToolDefinition): Tool<unknown, unknown> {
  assertName(definition.name);
  const given: unknown = definition.inputSchema;
  const where = `jsonSchemaTool(${definition.name})`;
  const foreign = foreignToolHint(definition);
  if (foreign !== undefined) throw new TypeError(`${where}: ${foreign}`);
  // `true` and `{}` accept anything; tool input is always an object, so that is what they mean here.
  const anyObject = given === true || (typeof given === 'object' && given !== null && !Array.isArray(given) && Object.keys(given).length === 0);
  const inputSchema = anyObject ? { type: 'object' } : objectSchema(definition.inputSchema, `${where}.inputSchema`);
  const invalidSchema = definition.invalidSchema ?? 'throw';
  if (invalidSchema !== 'throw' && invalidSchema !== 'fail-calls') {
    throw new TypeError(`${where}: invalidSchema must be 'throw' or 'fail-calls', got ${JSON.stringify(invalidSchema)}.`);
  }
  let parseInput: (value: unknown) => ToolParseResult<unknown>;
  let parseOutput: (value: unknown) => ToolParseResult<unknown>;
  try {
    parseInput = jsonSchemaParser(inputSchema, `${where}.inputSchema`, 'input');
    parseOutput = jsonSchemaParser(definition.outputSchema, `${where}.outputSchema`, 'output');
  } catch (error) {
    if (invalidSchema === 'throw' || !(error instanceof JsonSchemaCompileError)) throw error;
    const message = `the tool cannot be called: ${error.message}`;
    parseInput = () => ({ success: false, message });
    parseOutput = parseInput;
  }
  return Object.freeze({
    name: definition.name,
    description: definition.description ?? '',
    inputSchema,
    outputSchema: definition.outputSchema,
    needsApproval: definition.needsApproval ?? false,
    parseInput,
    parseOutput,
    execute: definition.execute,
  });
}

/** Names the adapter for tool objects of other libraries, which are not plain definitions. */
function foreignToolHint(definition: JsonSchemaToolDefinition): string | undefined {
  const candidate = definition as unknown as Record<string, unknown>;
  if (candidate.inputSchema === undefined && typeof candidate.input_schema === 'object' && typeof candidate.run === 'function') {
    return 'this is a runnable tool of @anthropic-ai/sdk (betaZodTool, betaTool, mcpTool); convert it with fromAnthropicTools from @codecall/anthropic.';
  }
  const schema = candidate.inputSchema;
  // Not `~standard`: zod's own z.toJSONSchema output carries one (not enumerable) and is plain JSON Schema.
  if (typeof schema === 'object' && schema !== null && ('_zod' in schema || Symbol.for('vercel.ai.schema') in schema)) {
    return 'inputSchema is a zod or AI SDK schema, not JSON Schema: use defineTool for zod, or fromAiSdkTools from @codecall/ai-sdk for AI SDK tools.';
  }
  return undefined;
}

function assertName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 128) {
    throw new TypeError(`A tool name must be a non-empty string of at most 128 characters, got ${JSON.stringify(name)}.`);
  }
}

/** Whether `value` is a normalized `Tool` (as opposed to a plain JSON Schema definition). */
export function isTool(value: unknown): value is AnyTool {
  return typeof value === 'object' && value !== null && typeof (value as Partial<Tool>).parseInput === 'function';
}
