import type { Anthropic } from '@anthropic-ai/sdk';
import { toToolset } from '@codecall/core';
import type { AnyTool, JsonSchemaToolDefinition, SandboxV1, Toolset } from '@codecall/core';
import { assertResumable } from './agent-checkpoint.js';
import type { AgentCheckpoint } from './agent-checkpoint.js';
import { AgentError } from './agent-error.js';
import type { AgentEvent } from './agent-event.js';
import type { AgentResult } from './agent-result.js';
import { createCodeTool } from './code-tool.js';
import type { CodeTool } from './code-tool.js';
import { driveAgent } from './run-agent.js';
import type { RunAgentOptions } from './run-agent.js';

/** Options of `resumeAgent`. */
export interface ResumeAgentOptions {
  /**
   * The `checkpoint` of a result with status `awaiting_approval`, or `JSON.parse` of its
   * `JSON.stringify` (another process is fine).
   */
  readonly checkpoint: AgentCheckpoint;
  /** A decision per pending approval: its `id` (see `checkpoint.pendingApprovals`) → `true` approves, `false` denies. */
  readonly decisions: Readonly<Record<string, boolean>>;
  /** The Anthropic client to continue with (the checkpoint holds no key or client). */
  readonly client: Anthropic;
  /** The same tools as the suspended run (checked by name and schema). */
  readonly tools: Toolset | readonly (AnyTool | JsonSchemaToolDefinition)[];
  /** Where the code tool runs; required when the run's mode is `programmatic` or `hybrid`. */
  readonly sandbox?: SandboxV1;
  /** Stream each response (SSE). Default `false`. */
  readonly stream?: boolean;
  /** Stops the run; `resumeAgent` then rejects with an `AgentError` of code `ABORTED`. */
  readonly abortSignal?: AbortSignal;
  /** Receives every event of the continued run. */
  readonly onEvent?: (event: AgentEvent) => void;
  /** Decides later calls that need approval, as in `runAgent` (answering `'suspend'` suspends again). */
  readonly onApproval?: RunAgentOptions['onApproval'];
}

/**
 * Continues a run that `runAgent` (or an earlier `resumeAgent`) suspended for approval: applies
 * `decisions` to the pending calls, answers the suspended turn, and runs on as `runAgent` would.
 * The result's counters, tool calls and metrics include the run before the suspension; its status
 * may again be `awaiting_approval`.
 *
 * A suspended local code run is re-run from the start with the results its calls got the first
 * time replayed in order, up to the call that waited; the decision then applies and the code goes
 * on with live calls. This needs a deterministic program (the same tool results give the same
 * calls): a re-run that makes another call rejects with `AgentError` `REPLAY_DIVERGED`. A
 * checkpoint of another format version, another toolset, or decisions that do not match its
 * pending approvals reject with `INVALID_CHECKPOINT`.
 *
 * @example
 * ```ts
 * const first = await runAgent({ client, model, tools, mode: 'programmatic', sandbox, prompt, onApproval: () => 'suspend' });
 * if (first.status === 'awaiting_approval') {
 *   await writeFile('run.json', JSON.stringify(first.checkpoint));
 *   // … later, maybe in another process:
 *   const checkpoint = JSON.parse(await readFile('run.json', 'utf8'));
 *   const decisions = Object.fromEntries(checkpoint.pendingApprovals.map((pending) => [pending.id, true]));
 *   const result = await resumeAgent({ checkpoint, decisions, client, tools, sandbox });
 * }
 * ```
 */
export async function resumeAgent(options: ResumeAgentOptions): Promise<AgentResult> {
  const tools = toToolset(options.tools);
  assertResumable(options.checkpoint, tools, options.decisions);
  const { checkpoint } = options;
  const { settings } = checkpoint;
  let codeTool: CodeTool | undefined;
  if (settings.codeTool !== undefined) {
    if (options.sandbox === undefined) {
      throw new AgentError(`resumeAgent: the run's mode ${settings.mode} runs code locally: pass options.sandbox (one that runs ${settings.codeTool.language}).`, { code: 'INVALID_OPTIONS' });
    }
    try {
      codeTool = createCodeTool({
        sandbox: options.sandbox,
        tools,
        language: settings.codeTool.language,
        name: settings.codeTool.name,
        maxResultBytes: settings.codeTool.maxResultBytes,
        ...(settings.limits === undefined ? {} : { limits: settings.limits }),
        ...(settings.callers === undefined ? {} : { callers: settings.callers }),
      });
    } catch (error) {
      throw new AgentError(`resumeAgent: cannot build the code tool: ${error instanceof Error ? error.message : String(error)} (options.sandbox)`, { code: 'INVALID_OPTIONS', cause: error });
    }
  }
  return driveAgent(
    settings,
    {
      client: options.client,
      tools,
      sandbox: options.sandbox,
      stream: options.stream === true,
      abortSignal: options.abortSignal,
      onEvent: options.onEvent,
      onApproval: options.onApproval,
      codeTool,
    },
    { type: 'resume', checkpoint, decisions: options.decisions },
  );
}
