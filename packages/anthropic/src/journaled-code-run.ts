import { ToolError, createToolset } from '@codecall/core';
import type { AnyTool, ApprovalRequest, RunEvent, Tool, ToolCallBudget, ToolCallRecord, ToolExecutionContext } from '@codecall/core';
import { AgentError } from './agent-error.js';
import { canonicalJson, toJsonValue } from './agent-checkpoint.js';
import type { CheckpointPendingCall, CodeRunJournalEntry, PendingApproval } from './agent-checkpoint.js';
import type { CodeTool, CodeToolRunResult } from './code-tool.js';

/**
 * What an approval callback of `runAgent` answers: `true` approves, `false` denies, `'suspend'`
 * ends the run with status `awaiting_approval` and a checkpoint to resume with a decision.
 */
export type ApprovalDecision = boolean | 'suspend';

/** The journal of one suspended code run (see `CheckpointPendingCall.codeRun`). */
export type CodeRunState = NonNullable<CheckpointPendingCall['codeRun']>;

/** Settings of `runJournaledCode`. */
export interface JournaledCodeRunSettings {
  readonly codeTool: CodeTool;
  /** The code tool's `tool_use` id. */
  readonly toolUseId: string;
  /** The code tool's input (`{ code }`). */
  readonly input: unknown;
  /** The agent run's budget. */
  readonly budget: ToolCallBudget;
  /** The agent run's abort signal. */
  readonly abortSignal: AbortSignal;
  /** The journal of an earlier, suspended attempt of this run (decisions applied), from a checkpoint. */
  readonly state?: CodeRunState;
  /** Asks for a decision (the user's callback; without one, `false`). */
  readonly ask: (request: ApprovalRequest, approvalId: string) => ApprovalDecision | Promise<ApprovalDecision>;
  /** Reports a decision once it is made. */
  readonly onDecision: (toolName: string, input: unknown, approved: boolean) => void;
  /** Reports a call of the code, once (replayed calls are not reported again). */
  readonly onRecord: (record: ToolCallRecord) => void;
  /**
   * Receives output chunks and tool-call events as they happen. A re-run after an approval in this
   * process does not report again what the stopped attempt reported (the same output, the same
   * calls): only what comes after it. A run resumed from a checkpoint reports its whole output.
   */
  readonly onEvent?: (event: RunEvent) => void;
}

/** How `runJournaledCode` ended. */
export type JournaledCodeRunOutcome =
  | { readonly type: 'done'; readonly run: CodeToolRunResult; readonly sandboxTimeMs: number }
  | { readonly type: 'suspended'; readonly state: CodeRunState; readonly approvals: readonly PendingApproval[]; readonly sandboxTimeMs: number };

// How long a suspending code run waits for further calls before it stops (see stopWhenIdle).
const suspensionQuietMs = 25;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** An approval callback's answer as a decision: anything but `true` or `'suspend'` denies. */
export function normalizeDecision(value: unknown): ApprovalDecision {
  return value === true ? true : value === 'suspend' ? 'suspend' : false;
}

function shown(tool: string, input: unknown): string {
  const text = canonicalJson(input);
  return `${tool}(${text.length > 300 ? `${text.slice(0, 300)}…` : text})`;
}

// A decision that is not there by the next turn of the event loop is "pending": the code run is
// stopped rather than made to wait, so a human's time does not count against timeoutMs.
function settledSoon(promise: PromiseLike<unknown>): Promise<{ value: ApprovalDecision } | undefined> {
  return new Promise((resolve) => {
    const timer = setImmediate(() => resolve(undefined));
    promise.then(
      (value) => {
        clearImmediate(timer);
        resolve({ value: normalizeDecision(value) });
      },
      () => {
        clearImmediate(timer);
        resolve({ value: false });
      },
    );
  });
}

/**
 * Runs the code tool's code with a journal of its tool calls, so that a call waiting for approval
 * does not keep the code waiting: the run stops there (after the calls already running finish),
 * and is re-run once the decision is known, with the journaled results replayed in order up to
 * that point. Decisions that arrive in this process are awaited and replayed at once; a
 * `'suspend'` decision returns the journal for a checkpoint instead.
 *
 * Replay assumes a deterministic program: the same results in give the same calls out. A re-run
 * that makes another call where the journal has one, or ends before making every journaled call,
 * throws `AgentError` `REPLAY_DIVERGED`.
 */
export async function runJournaledCode(settings: JournaledCodeRunSettings): Promise<JournaledCodeRunOutcome> {
  const { codeTool, toolUseId, budget } = settings;
  const journal = new Map<string, CodeRunJournalEntry>();
  for (const entry of settings.state?.journal ?? []) journal.set(entry.toolCallId, structuredClone(entry));
  const callNumbers: number[] = [...(settings.state?.callNumbers ?? [])];
  const reported = new Set<string>(settings.state?.reportedCallIds ?? []);
  let sandboxTimeMs = 0;
  // What the events have shown so far, over all attempts: a replay shows only what lies beyond.
  const shownChars = { stdout: 0, stderr: 0 };
  const shownStarts = new Set<string>();
  const shownEnds = new Set<string>();

  // Each attempt is one runCode; every attempt after the first replays the journal. The loop ends
  // because each extra attempt follows a decision that was pending before it.
  for (;;) {
    if (settings.abortSignal.aborted) throw new AgentError('The agent run was aborted.', { code: 'ABORTED' });
    const controller = new AbortController();
    const forward = (): void => controller.abort(settings.abortSignal.reason);
    settings.abortSignal.addEventListener('abort', forward, { once: true });
    let suspending = false;
    // Calls whose handler runs and whose result has not reached the code yet.
    const inFlight = new Set<string>();
    let divergence: string | undefined;
    const reached = new Set<string>();
    const inProcess: { entry: CodeRunJournalEntry; decision: PromiseLike<unknown> }[] = [];
    const rawOutputs = new Map<string, unknown>();
    // Resolves when the attempt is stopped: calls held after the suspension began end then.
    const stopped = new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve(), { once: true }));

    let quietTimer: NodeJS.Timeout | undefined;
    // Stops the attempt once no call is running and none has arrived for a moment: calls the code
    // started together reach the host over a few turns of the event loop, and should wait together
    // in one checkpoint. Every call that arrives meanwhile restarts the wait.
    const stopWhenIdle = (): void => {
      if (!suspending || controller.signal.aborted) return;
      clearTimeout(quietTimer);
      if (inFlight.size > 0) return;
      quietTimer = setTimeout(() => {
        if (inFlight.size === 0) controller.abort();
      }, suspensionQuietMs);
    };
    const beginSuspension = (): void => {
      suspending = true;
      stopWhenIdle();
    };
    const diverge = (message: string): void => {
      divergence ??= message;
      controller.abort();
    };
    // The journal entry of a call, checked against what the replay asks for.
    const check = (toolCallId: string, tool: string, input: unknown): CodeRunJournalEntry | undefined | 'diverged' => {
      const entry = journal.get(toolCallId);
      if (entry === undefined) return undefined;
      if (entry.tool !== tool || canonicalJson(entry.input) !== canonicalJson(input)) {
        diverge(`call ${toolCallId} of the code was ${shown(entry.tool, entry.input)} before the suspension and is ${shown(tool, input)} on replay`);
        return 'diverged';
      }
      reached.add(toolCallId);
      return entry;
    };
    const held = (): Promise<never> =>
      stopped.then(() => {
        throw new ToolError('ABORTED', 'The code run was suspended for approval.');
      });

    const onApproval = async (request: ApprovalRequest): Promise<boolean> => {
      const input = toJsonValue(request.input) ?? null;
      const found = check(request.toolCallId, request.toolName, input);
      if (found === 'diverged') return false;
      if (found?.approval === 'approved' || found?.approval === 'denied') return found.approval === 'approved';
      const approvalId = `${toolUseId}/${request.toolCallId}`;
      const entry: CodeRunJournalEntry = found ?? { toolCallId: request.toolCallId, tool: request.toolName, input };
      journal.set(entry.toolCallId, entry);
      reached.add(entry.toolCallId);
      entry.approvalId = approvalId;
      let answer: unknown;
      try {
        answer = settings.ask(request, approvalId);
      } catch {
        answer = false;
      }
      let decision: ApprovalDecision | undefined;
      if (isThenable(answer)) decision = (await settledSoon(answer))?.value;
      else decision = normalizeDecision(answer);
      if (decision === true || decision === false) {
        entry.approval = decision ? 'approved' : 'denied';
        settings.onDecision(request.toolName, input, decision);
        if (!suspending) return decision;
        // Decided, but the run is stopping: the call is made again on replay, with this decision.
        stopWhenIdle();
        await stopped;
        return false;
      }
      entry.approval = 'pending';
      if (decision === undefined) inProcess.push({ entry, decision: answer as PromiseLike<unknown> });
      beginSuspension();
      await stopped;
      return false;
    };

    const wrapped = codeTool.tools.entries.map(({ tool }): AnyTool => {
      const execute = async (input: unknown, context: ToolExecutionContext): Promise<unknown> => {
        const found = check(context.toolCallId, tool.name, toJsonValue(input) ?? null);
        if (found === 'diverged') throw new ToolError('ABORTED', 'The replay diverged.');
        if (found?.outcome !== undefined) {
          if ('error' in found.outcome) throw new ToolError(found.outcome.error.code, found.outcome.error.message, { toolName: tool.name });
          return found.outcome.output;
        }
        // Calls that reach a handler after the suspension began are made on replay instead.
        if (suspending) {
          stopWhenIdle();
          return held();
        }
        const entry: CodeRunJournalEntry = found ?? { toolCallId: context.toolCallId, tool: tool.name, input: toJsonValue(input) ?? null };
        journal.set(entry.toolCallId, entry);
        reached.add(entry.toolCallId);
        inFlight.add(context.toolCallId);
        try {
          const output = await (tool as Tool).execute(input, context);
          rawOutputs.set(context.toolCallId, output);
          return output;
        } finally {
          if (inFlight.delete(context.toolCallId)) stopWhenIdle();
        }
      };
      return Object.freeze({ ...tool, execute });
    });

    const seenChars = { stdout: 0, stderr: 0 };
    const forwardEvent = (event: RunEvent): void => {
      // A stopped attempt's late events are not what the replay will show.
      if (controller.signal.aborted || settings.onEvent === undefined) return;
      if (event.type === 'stdout' || event.type === 'stderr') {
        const start = seenChars[event.type];
        seenChars[event.type] += event.text.length;
        if (seenChars[event.type] <= shownChars[event.type]) return;
        const text = event.text.slice(Math.max(0, shownChars[event.type] - start));
        shownChars[event.type] = seenChars[event.type];
        settings.onEvent(text === event.text ? event : { ...event, text });
        return;
      }
      if (event.type === 'tool-call-start' || event.type === 'tool-call-end') {
        const shown = event.type === 'tool-call-start' ? shownStarts : shownEnds;
        if (shown.has(event.toolCallId)) return;
        shown.add(event.toolCallId);
      }
      settings.onEvent(event);
    };

    let countIndex = 0;
    const replayBudget: ToolCallBudget = {
      maxToolCalls: budget.maxToolCalls,
      maxConcurrentToolCalls: budget.maxConcurrentToolCalls,
      get callCount() {
        return budget.callCount;
      },
      get activeCalls() {
        return budget.activeCalls;
      },
      // Replayed calls keep the numbers they took the first time: the budget counts each call once.
      countCall: () => {
        const index = countIndex++;
        const recorded = callNumbers[index];
        if (recorded !== undefined) return recorded;
        const number = budget.countCall();
        callNumbers.push(number);
        return number;
      },
      acquireSlot: () => budget.acquireSlot(),
      releaseSlot: () => budget.releaseSlot(),
    };

    let run: CodeToolRunResult;
    try {
      run = await codeTool.run(settings.input, {
        executionId: toolUseId,
        abortSignal: controller.signal,
        budget: replayBudget,
        tools: createToolset(wrapped),
        onApproval,
        ...(settings.onEvent === undefined ? {} : { onEvent: forwardEvent }),
        onToolCall: (record) => {
          // What reaches the code after the run was stopped is not what the replay will see.
          if (controller.signal.aborted) return;
          // The code has its answer (a timed-out handler may still run: it no longer keeps the run going).
          if (inFlight.delete(record.id)) queueMicrotask(stopWhenIdle);
          const entry = journal.get(record.id);
          if (entry !== undefined && entry.outcome === undefined) {
            entry.outcome =
              record.error === undefined
                ? (() => {
                    const output = toJsonValue(rawOutputs.get(record.id));
                    return output === undefined ? {} : { output };
                  })()
                : { error: { code: record.error.code, message: record.error.message } };
          }
          if (reported.has(record.id)) return;
          reported.add(record.id);
          settings.onRecord(record);
        },
      });
    } finally {
      settings.abortSignal.removeEventListener('abort', forward);
      // Releases calls still held (a program that did not await a call it started).
      clearTimeout(quietTimer);
      controller.abort();
    }
    if (run.result !== undefined) sandboxTimeMs += run.result.durationMs;
    if (divergence !== undefined) {
      throw new AgentError(
        `The code of ${toolUseId}, re-run after an approval, diverged from its first run: ${divergence}. Replay needs a deterministic program (the same tool results give the same calls).`,
        { code: 'REPLAY_DIVERGED' },
      );
    }
    if (settings.abortSignal.aborted) return { type: 'done', run, sandboxTimeMs };
    if (!suspending) {
      const missed = [...journal.keys()].filter((id) => !reached.has(id));
      if (missed.length > 0) {
        const first = journal.get(missed[0]!)!;
        throw new AgentError(
          `The code of ${toolUseId}, re-run after an approval, diverged from its first run: it ended without making ${missed.length} journaled call(s), the first ${missed[0]} ${shown(first.tool, first.input)}. Replay needs a deterministic program (the same tool results give the same calls).`,
          { code: 'REPLAY_DIVERGED' },
        );
      }
      return { type: 'done', run, sandboxTimeMs };
    }

    // Suspended: wait here, outside any code run, for the decisions made in this process.
    if (inProcess.length > 0) {
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(new AgentError('The agent run was aborted.', { code: 'ABORTED' }));
        if (settings.abortSignal.aborted) onAbort();
        else settings.abortSignal.addEventListener('abort', onAbort, { once: true });
      });
      try {
        for (const { entry, decision } of inProcess) {
          const value = normalizeDecision(await Promise.race([Promise.resolve(decision).then(normalizeDecision, () => false as const), aborted]));
          if (value === 'suspend') continue;
          entry.approval = value ? 'approved' : 'denied';
          settings.onDecision(entry.tool, entry.input, value);
        }
      } finally {
        if (onAbort !== undefined) settings.abortSignal.removeEventListener('abort', onAbort);
      }
    }
    const waiting = [...journal.values()].filter((entry) => entry.approval === 'pending');
    if (waiting.length > 0) {
      return {
        type: 'suspended',
        sandboxTimeMs,
        state: { journal: [...journal.values()], callNumbers: [...callNumbers], reportedCallIds: [...reported] },
        approvals: waiting.map((entry) => ({ id: entry.approvalId!, toolName: entry.tool, input: entry.input, caller: 'code', toolUseId })),
      };
    }
  }
}
