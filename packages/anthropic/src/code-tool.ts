import type { Tool as AnthropicTool } from '@anthropic-ai/sdk/resources/messages';
import { createToolset, runCode, toToolset } from '@codecall/core';
import type {
  AnyTool,
  ApprovalRequest,
  JsonSchemaToolDefinition,
  Limits,
  RunEvent,
  RunResult,
  SandboxLanguage,
  SandboxV1,
  ToolCallBudget,
  ToolCallRecord,
  Toolset,
} from '@codecall/core';
import { callersOf } from './callers.js';
import type { ToolCallers } from './callers.js';
import { declarationsFor } from './declarations.js';

/** Default name of the code tool. */
export const defaultCodeToolName = 'run_code';

/** Default cap of the code tool's result text, in UTF-8 bytes. */
export const defaultMaxResultBytes = 16_000;

const languageNames: Record<SandboxLanguage, string> = { javascript: 'JavaScript', typescript: 'TypeScript', python: 'Python' };

/** What a custom description function receives. */
export interface CodeToolDescriptionContext {
  /** Language the code runs in. */
  readonly language: SandboxLanguage;
  /** The declarations of the tools the code can call (`generateDeclarations`). */
  readonly declarations: string;
}

/** Settings of `createCodeTool`. */
export interface CodeToolSettings {
  /** Where the model's code runs. */
  readonly sandbox: SandboxV1;
  /** The tools; only those whose callers include `'code'` are callable from the code. */
  readonly tools: Toolset | readonly (AnyTool | JsonSchemaToolDefinition)[];
  /** Language of the code. Default: `'javascript'` when the sandbox runs it, else its first language. */
  readonly language?: SandboxLanguage;
  /** Name of the tool for the model. Default `'run_code'`. */
  readonly name?: string;
  /**
   * The tool's description: a string (the declarations are appended after it) or a function of
   * the language and declarations. Default: a short explanation of the program shape followed by
   * the declarations.
   */
  readonly description?: string | ((context: CodeToolDescriptionContext) => string);
  /** Limits of each run (see `runCode`). */
  readonly limits?: Limits;
  /** Cap of the result text for the model, in UTF-8 bytes. Default 16,000. */
  readonly maxResultBytes?: number;
  /** Callers per tool name; overrides `withCallers`. */
  readonly callers?: Readonly<Record<string, ToolCallers>>;
}

/** Per-run options of `CodeTool.run`. */
export interface CodeToolRunOptions {
  /** Aborts the run. */
  readonly abortSignal?: AbortSignal;
  /** Decides calls of tools with `needsApproval`; without it such calls are denied. */
  readonly onApproval?: (request: ApprovalRequest) => boolean | Promise<boolean>;
  /** Called after each nested tool call. */
  readonly onToolCall?: (record: ToolCallRecord) => void;
  /** Receives the run's output chunks and tool-call events as they happen (see `RunCodeOptions.onEvent`). */
  readonly onEvent?: (event: RunEvent) => void;
  /** Id of the run, e.g. the model's `tool_use` id. */
  readonly executionId?: string;
  /** Tool-call limits shared with other runs (see `RunCodeOptions.budget`); `runAgent` passes the agent run's. */
  readonly budget?: ToolCallBudget;
  /**
   * The tools to run the code with in place of `CodeTool.tools`: the same tools with wrapped
   * handlers (`runAgent` journals and replays a run suspended for approval this way).
   */
  readonly tools?: Toolset;
}

/** The outcome of one code tool call. */
export interface CodeToolRunResult {
  /** The run, or `undefined` when the input had no `code` string (nothing ran). */
  readonly result: RunResult | undefined;
  /** The text for the model's `tool_result`: stdout, return value and error, capped. */
  readonly content: string;
  /** Whether the `tool_result` is an error (`is_error`). */
  readonly isError: boolean;
}

/** A tool that runs the model's code in a sandbox with the toolset's functions. */
export interface CodeTool {
  /** Name of the tool for the model. */
  readonly name: string;
  /** Language the code runs in. */
  readonly language: SandboxLanguage;
  /** The tools callable from the code. */
  readonly tools: Toolset;
  /** The declarations in the description. */
  readonly declarations: string;
  /** The Anthropic tool definition (input `{ code: string }`). */
  readonly definition: AnthropicTool;
  /** Runs one `tool_use` input of the tool. */
  run(input: unknown, options?: CodeToolRunOptions): Promise<CodeToolRunResult>;
}

/** Picks the language the code tool uses on a sandbox when none is given. */
export function defaultLanguageOf(sandbox: SandboxV1): SandboxLanguage {
  const languages = sandbox.capabilities.languages;
  if (languages.includes('javascript')) return 'javascript';
  return languages[0] ?? 'javascript';
}

function defaultDescription({ language, declarations }: CodeToolDescriptionContext): string {
  const name = languageNames[language];
  const example =
    language === 'python'
      ? 'rows = await asyncio.gather(*[get_item(i) for i in ids])'
      : 'const rows = await Promise.all(ids.map((id) => get_item({ id })));';
  return [
    `Runs ${name} code in a sandbox. The code is the body of an async function: top-level await works, and a top-level \`return\` gives the result.`,
    language === 'python'
      ? `The functions below are available as globals. Call them as declared, e.g. \`item = get_item("a1")\` (the value comes back directly), or await them to run calls concurrently, e.g. \`${example}\`. A top-level \`result\` variable is returned when the code does not \`return\`.`
      : `The functions below are available as globals; each is async and takes one object argument, e.g. \`${example}\`. Calls run concurrently when you start them together.`,
    'A failed call throws a ToolError with a `code` (INVALID_INPUT, DENIED, TOOL_FAILED, …) that you can catch.',
    'Only what the code prints and returns comes back to you: filter and aggregate in code, and print just what you need.',
    '',
    declarations,
  ].join('\n');
}

/**
 * Creates the code tool of programmatic mode: one Anthropic tool whose description carries the
 * declarations of the tools and whose input is `{ code }`; running it calls `runCode`.
 *
 * @example
 * ```ts
 * const codeTool = createCodeTool({ sandbox, tools });
 * const run = await codeTool.run({ code: 'return 1 + 1' }); // run.content: 'Return value:\n2'
 * ```
 */
export function createCodeTool(settings: CodeToolSettings): CodeTool {
  const { sandbox } = settings;
  const all = toToolset(settings.tools);
  const tools = createToolset(all.entries.filter((entry) => callersOf(entry.tool, settings.callers).includes('code')).map((entry) => entry.tool));
  const language = settings.language ?? defaultLanguageOf(sandbox);
  if (!sandbox.capabilities.languages.includes(language)) {
    throw new TypeError(`createCodeTool: sandbox ${sandbox.sandboxId} does not run ${language}; it runs ${sandbox.capabilities.languages.join(', ')}.`);
  }
  const name = settings.name ?? defaultCodeToolName;
  const maxResultBytes = settings.maxResultBytes ?? defaultMaxResultBytes;
  const declarations = declarationsFor(tools, language);
  const description =
    typeof settings.description === 'function'
      ? settings.description({ language, declarations })
      : typeof settings.description === 'string'
        ? `${settings.description}\n\n${declarations}`
        : defaultDescription({ language, declarations });
  const definition: AnthropicTool = {
    name,
    description,
    input_schema: {
      type: 'object',
      properties: { code: { type: 'string', description: `${languageNames[language]} code to run.` } },
      required: ['code'],
      additionalProperties: false,
    },
  };

  async function run(input: unknown, options: CodeToolRunOptions = {}): Promise<CodeToolRunResult> {
    const code = typeof input === 'object' && input !== null ? (input as { code?: unknown }).code : undefined;
    if (typeof code !== 'string') {
      return { result: undefined, content: `Invalid input for ${name}: expected { "code": string }.`, isError: true };
    }
    const result = await runCode({
      sandbox,
      tools: options.tools ?? tools,
      code,
      language,
      ...(settings.limits === undefined ? {} : { limits: settings.limits }),
      ...(options.abortSignal === undefined ? {} : { abortSignal: options.abortSignal }),
      ...(options.onApproval === undefined ? {} : { onApproval: options.onApproval }),
      ...(options.onToolCall === undefined ? {} : { onToolCall: options.onToolCall }),
      ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
      ...(options.executionId === undefined ? {} : { executionId: options.executionId }),
      ...(options.budget === undefined ? {} : { budget: options.budget }),
    });
    return { result, content: formatRunResult(result, { maxBytes: maxResultBytes }), isError: result.type === 'error' };
  }

  return { name, language, tools, declarations, definition, run };
}

/** Options of `formatRunResult`. */
export interface FormatRunResultOptions {
  /** Cap of the text in UTF-8 bytes. Default 16,000. */
  readonly maxBytes?: number;
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes, ending with a visible marker when it cut. */
export function truncateText(text: string, maxBytes: number): string {
  const size = byteLength(text);
  if (size <= maxBytes) return text;
  const marker = (dropped: number) => `\n…[truncated ${dropped} of ${size} bytes]`;
  const keep = Math.max(0, maxBytes - byteLength(marker(size)));
  const head = Buffer.from(text, 'utf8').subarray(0, keep).toString('utf8').replace(/\uFFFD$/, '');
  return head + marker(size - byteLength(head));
}

// A RunResult from runCode holds a JSON value of bounded depth; one built elsewhere may not, and
// formatting must not throw (a stack overflow here would end the agent loop).
function valueText(value: unknown): string {
  try {
    return String(JSON.stringify(value));
  } catch (error) {
    return `(a value that cannot be shown as JSON: ${error instanceof Error ? error.message : String(error)})`;
  }
}

/**
 * Formats a run for the model: stdout, stderr, the return value (JSON) and the error with its
 * line, each in a labelled section; the whole text is at most `maxBytes`. The error and return
 * value are kept first, output is cut with a visible `…[truncated N of M bytes]` marker.
 */
export function formatRunResult(result: RunResult, options: FormatRunResultOptions = {}): string {
  const maxBytes = options.maxBytes ?? defaultMaxResultBytes;
  const tail: string[] = [];
  if (result.type === 'error') {
    const { error } = result;
    const where = error.line === undefined ? '' : ` at line ${error.line}`;
    const toolCode = error.toolErrorCode === undefined ? '' : ` (${error.toolErrorCode})`;
    tail.push(`Error: ${error.code}${toolCode}${where}: ${error.name}: ${error.message}`);
  } else if (result.value !== undefined) {
    tail.push(`Return value:\n${valueText(result.value)}`);
  }
  if (result.outputTruncated) tail.push('(output past the sandbox limit maxOutputBytes was dropped)');
  const tailText = truncateText(tail.join('\n'), Math.floor(maxBytes / 2));
  const sections: string[] = [];
  if (result.stdout !== '') sections.push(`Output:\n${result.stdout.replace(/\n$/, '')}`);
  if (result.stderr !== '') sections.push(`Stderr:\n${result.stderr.replace(/\n$/, '')}`);
  const budget = Math.max(0, maxBytes - byteLength(tailText) - 1);
  const head = sections.length === 0 ? '' : truncateText(sections.join('\n'), budget);
  const text = [head, tailText].filter((part) => part !== '').join('\n');
  return text === '' ? '(no output, no return value)' : truncateText(text, maxBytes);
}
