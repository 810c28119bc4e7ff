import { generateDeclarations, runCode, toToolset } from '@codecall/core';
import type { AnyTool, ApprovalRequest, JsonSchemaToolDefinition, Limits, RunResult, SandboxLanguage, SandboxV1, ToolCallBudget, ToolCallRecord, Toolset } from '@codecall/core';
import { jsonSchema, tool } from 'ai';
import type { Tool } from 'ai';

/** Default cap of the text the model gets from one code run, in UTF-8 bytes. */
export const defaultMaxResultBytes = 16_000;

/** Settings of `toAiSdkCodeTool`. */
export interface AiSdkCodeToolSettings {
  /** Where the model's code runs. */
  readonly sandbox: SandboxV1;
  /** The tools the code can call: a toolset or tools (e.g. `await fromAiSdkTools(...)`). */
  readonly tools: Toolset | readonly (AnyTool | JsonSchemaToolDefinition)[];
  /** Language of the code. Default `'javascript'` when the sandbox runs it, else its first language. */
  readonly language?: SandboxLanguage;
  /** Text before the declarations in the tool's description. Default: how to write the program. */
  readonly description?: string;
  /** Limits of each run (see `runCode`). */
  readonly limits?: Limits;
  /** Cap of the result text for the model, in UTF-8 bytes. Default 16,000. */
  readonly maxResultBytes?: number;
  /** Decides calls of tools with `needsApproval`; without it such calls are denied. */
  readonly onApproval?: (request: ApprovalRequest) => boolean | Promise<boolean>;
  /** Called after each nested tool call. */
  readonly onToolCall?: (record: ToolCallRecord) => void;
  /** Tool-call limits shared by every run of this tool. */
  readonly budget?: ToolCallBudget;
  /** Called after each run with its result (before the text for the model is made). */
  readonly onRun?: (result: RunResult) => void;
}

/** Input of the code tool. */
export interface CodeToolInput {
  /** The program. */
  code: string;
}

const languageNames: Record<SandboxLanguage, string> = { javascript: 'JavaScript', typescript: 'TypeScript', python: 'Python' };

function defaultIntroduction(language: SandboxLanguage): string {
  const python = language === 'python';
  return [
    `Runs ${languageNames[language]} code in a sandbox. The code is the body of an async function: top-level await works${python ? ', and a top-level `result` variable or `return` gives the result' : ', and a top-level `return` gives the result'}.`,
    python
      ? 'The functions below are globals; call them as declared, or await them together (asyncio.gather) to run calls concurrently.'
      : 'The functions below are globals; each is async and takes one object argument. Start calls together (Promise.all) to run them concurrently.',
    'A failed call throws a ToolError with a `code` (INVALID_INPUT, DENIED, TOOL_FAILED, …) that the code can catch.',
    'Only what the code prints and returns comes back: filter and aggregate in code.',
  ].join('\n');
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function cut(text: string, maxBytes: number): string {
  if (byteLength(text) <= maxBytes) return text;
  const marker = `\n…[cut to ${maxBytes} bytes]`;
  let kept = text.slice(0, Math.max(0, maxBytes - byteLength(marker)));
  while (byteLength(kept) + byteLength(marker) > maxBytes) kept = kept.slice(0, -1);
  // Never end on half of a surrogate pair.
  if (/[\ud800-\udbff]$/.test(kept)) kept = kept.slice(0, -1);
  return kept + marker;
}

function valueText(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * The text a model reads for a run, at most `maxBytes` UTF-8 bytes: the output, then the return
 * value or the error (which always keeps at least half of the budget).
 */
export function formatCodeRunResult(result: RunResult, maxBytes: number = defaultMaxResultBytes): string {
  const ending =
    result.type === 'error'
      ? `Error: ${result.error.code}${result.error.toolErrorCode === undefined ? '' : ` (${result.error.toolErrorCode})`}${result.error.line === undefined ? '' : ` at line ${result.error.line}`}: ${result.error.message}`
      : result.value === undefined
        ? ''
        : `Return value:\n${valueText(result.value)}`;
  const endingText = cut(ending + (result.outputTruncated ? '\n(output past maxOutputBytes was dropped)' : ''), Math.floor(maxBytes / 2));
  const output = [result.stdout === '' ? '' : `Output:\n${result.stdout.replace(/\n$/, '')}`, result.stderr === '' ? '' : `Stderr:\n${result.stderr.replace(/\n$/, '')}`]
    .filter((part) => part !== '')
    .join('\n');
  const head = output === '' ? '' : cut(output, Math.max(0, maxBytes - byteLength(endingText) - 1));
  const text = [head, endingText].filter((part) => part !== '').join('\n');
  return text === '' ? '(no output, no return value)' : text;
}

/**
 * A code run that failed, as `toAiSdkCodeTool`'s `execute` throws it. Its text (`toString()`, what
 * the AI SDK shows the model) is the run's formatted result, without a name prefix.
 */
export class CodeRunError extends Error {
  override readonly name = 'CodeRunError';
  /** The run. */
  readonly result: RunResult;

  constructor(text: string, result: RunResult) {
    super(text);
    this.result = result;
  }

  override toString(): string {
    return this.message;
  }
}

/** The AI SDK tool made by `toAiSdkCodeTool`, with what it was made from. */
export type AiSdkCodeTool = Tool<CodeToolInput, string> & {
  /** The tools callable from the code. */
  readonly codecallTools: Toolset;
  /** The declarations in the description. */
  readonly declarations: string;
  /** Language the code runs in. */
  readonly language: SandboxLanguage;
};

/**
 * The code tool as an AI SDK tool, for `generateText`/`streamText`/agents: its description carries
 * the declarations of `tools`, its input is `{ code }`, and each call runs the code with `runCode`
 * (the AI SDK `toolCallId` as `executionId`, its `abortSignal` aborting the run). It returns the
 * run's text (output and return value); a failed run throws a `CodeRunError` with that text, which
 * the AI SDK reports to the model as a tool error.
 *
 * @example
 * ```ts
 * const codeTool = toAiSdkCodeTool({ sandbox, tools: await fromAiSdkTools({ weather }) });
 * const { text } = await generateText({ model, tools: { run_code: codeTool }, stopWhen: stepCountIs(5), prompt });
 * ```
 */
export function toAiSdkCodeTool(settings: AiSdkCodeToolSettings): AiSdkCodeTool {
  const { sandbox } = settings;
  const tools = toToolset(settings.tools);
  const languages = sandbox.capabilities.languages;
  const language = settings.language ?? (languages.includes('javascript') ? 'javascript' : (languages[0] ?? 'javascript'));
  if (!languages.includes(language)) {
    throw new TypeError(`toAiSdkCodeTool: sandbox ${sandbox.sandboxId} does not run ${language}; it runs ${languages.join(', ')}.`);
  }
  const maxResultBytes = settings.maxResultBytes ?? defaultMaxResultBytes;
  if (!Number.isInteger(maxResultBytes) || maxResultBytes < 100) {
    throw new TypeError(`toAiSdkCodeTool: maxResultBytes must be an integer of at least 100, got ${String(maxResultBytes)}.`);
  }
  const declarations = generateDeclarations(tools, { language: language === 'python' ? 'python' : 'typescript' });
  const codeTool = tool({
    description: `${settings.description ?? defaultIntroduction(language)}\n\n${declarations}`,
    inputSchema: jsonSchema<CodeToolInput>({
      type: 'object',
      properties: { code: { type: 'string', description: `${languageNames[language]} code to run.` } },
      required: ['code'],
      additionalProperties: false,
    }),
    execute: async (input, { toolCallId, abortSignal }) => {
      const code: unknown = (input as Partial<CodeToolInput> | undefined)?.code;
      if (typeof code !== 'string') throw new TypeError('Invalid input: expected { "code": string }.');
      const result = await runCode({
        sandbox,
        tools,
        code,
        language,
        executionId: toolCallId,
        ...(abortSignal === undefined ? {} : { abortSignal }),
        ...(settings.limits === undefined ? {} : { limits: settings.limits }),
        ...(settings.onApproval === undefined ? {} : { onApproval: settings.onApproval }),
        ...(settings.onToolCall === undefined ? {} : { onToolCall: settings.onToolCall }),
        ...(settings.budget === undefined ? {} : { budget: settings.budget }),
      });
      settings.onRun?.(result);
      const text = formatCodeRunResult(result, maxResultBytes);
      if (result.type === 'error') throw new CodeRunError(text, result);
      return text;
    },
  });
  // Not enumerable: the AI SDK and anything serializing the tool see only the tool's own fields.
  Object.defineProperties(codeTool, {
    codecallTools: { value: tools, enumerable: false },
    declarations: { value: declarations, enumerable: false },
    language: { value: language, enumerable: false },
  });
  return codeTool as AiSdkCodeTool;
}
