import type { BetaRunnableTool, BetaToolRunContext } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { ToolError as AnthropicToolError } from '@anthropic-ai/sdk/lib/tools/ToolError';
import type { ApprovalRequest, ToolCallBudget, ToolCallRecord } from '@codecall/core';
import { createCodeTool } from '../code-tool.js';
import type { CodeTool, CodeToolRunResult, CodeToolSettings } from '../code-tool.js';

/** Options of `toRunnableCodeTool`: what `CodeTool.run` takes besides what the tool runner gives. */
export interface RunnableCodeToolOptions {
  /** Decides calls of tools with `needsApproval`; without it such calls are denied. */
  readonly onApproval?: (request: ApprovalRequest) => boolean | Promise<boolean>;
  /** Called after each nested tool call. */
  readonly onToolCall?: (record: ToolCallRecord) => void;
  /** Tool-call limits shared by every run of this tool (e.g. one conversation's). */
  readonly budget?: ToolCallBudget;
  /** Called after each code run with its outcome (the `RunResult`, the text the model gets). */
  readonly onRun?: (run: CodeToolRunResult) => void;
}

/** The code tool as an `@anthropic-ai/sdk` runnable tool, with the `CodeTool` it runs. */
export type RunnableCodeTool = BetaRunnableTool<{ code: string }> & {
  /** The code tool behind it (declarations, toolset, language). */
  readonly codeTool: CodeTool;
};

function isCodeTool(value: CodeTool | CodeToolSettings): value is CodeTool {
  return typeof (value as Partial<CodeTool>).run === 'function' && typeof (value as Partial<CodeTool>).definition === 'object';
}

/**
 * Offers the code tool as a runnable tool of `@anthropic-ai/sdk`, for
 * `client.beta.messages.toolRunner` (or anything else that calls `parse` and `run`). Each
 * `tool_use` runs the model's code with `runCode`; the `tool_result` is the code tool's text
 * (output, return value, error), and a failed run is thrown as the SDK's `ToolError` so the runner
 * sends it with `is_error: true`. The runner's abort signal aborts the run; the `tool_use` id is
 * the run's `executionId`.
 *
 * @example
 * ```ts
 * const runCodeTool = toRunnableCodeTool({ sandbox, tools });
 * const finalMessage = await client.beta.messages.toolRunner({ model, max_tokens: 4096, tools: [runCodeTool], messages });
 * ```
 */
export function toRunnableCodeTool(source: CodeTool | CodeToolSettings, options: RunnableCodeToolOptions = {}): RunnableCodeTool {
  const codeTool = isCodeTool(source) ? source : createCodeTool(source);
  const { definition } = codeTool;
  const runnable = {
    type: 'custom' as const,
    name: definition.name,
    ...(definition.description === undefined ? {} : { description: definition.description }),
    input_schema: definition.input_schema,
    parse(content: unknown): { code: string } {
      const code = typeof content === 'object' && content !== null ? (content as { code?: unknown }).code : undefined;
      if (typeof code !== 'string') throw new AnthropicToolError(`Invalid input for ${definition.name}: expected { "code": string }.`);
      return { code };
    },
    async run(input: { code: string }, context?: BetaToolRunContext): Promise<string> {
      const signal = context?.signal ?? undefined;
      const run = await codeTool.run(input, {
        ...(signal === undefined ? {} : { abortSignal: signal }),
        ...(context === undefined ? {} : { executionId: context.toolUse.id }),
        ...(options.onApproval === undefined ? {} : { onApproval: options.onApproval }),
        ...(options.onToolCall === undefined ? {} : { onToolCall: options.onToolCall }),
        ...(options.budget === undefined ? {} : { budget: options.budget }),
      });
      options.onRun?.(run);
      if (run.isError) throw new AnthropicToolError(run.content);
      return run.content;
    },
  };
  // Not enumerable: whatever serializes the tool definition (a request body) must not carry it.
  Object.defineProperty(runnable, 'codeTool', { value: codeTool, enumerable: false });
  return runnable as RunnableCodeTool;
}
