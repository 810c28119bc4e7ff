import { defaultLimits } from '@codecall/core';
import type { SandboxExecuteRequestV1, SandboxExecuteResultV1, SandboxLanguage } from '@codecall/core';

/** Options of `rehearsalRequest`. */
export interface RehearsalRequestOptions {
  /** Tool calls the rehearsal makes at most. Default `defaultRehearsalCalls`. */
  readonly calls?: number;
  /**
   * Asked before each answer: `true` ends the rehearsal after that call (a run is waiting for the
   * runner, and a shorter rehearsal costs it less than the rest of this one). Default never.
   */
  readonly shouldStop?: () => boolean;
}

/**
 * Tool calls of a rehearsal. Measured through the subprocess sandbox, pooled one-shot node runs of
 * 10 calls: 10.3 ms without a rehearsal, 4.8 ms after one of 30 calls, 3.3 ms after one of 100.
 */
export const defaultRehearsalCalls = 100;

const rehearsalTool = 'codecall_rehearsal';
const rehearsalValueJson = '{"list":[1,"two",null],"nested":{"ok":true}}';

function rehearsalCode(language: SandboxLanguage, calls: number): string {
  if (language === 'python') {
    return [
      `for i in range(${calls}):`,
      `    if await ${rehearsalTool}({"i": i}) is not True:`,
      '        break',
      'print("rehearsal")',
      '{"list": [1, "two", None], "nested": {"ok": True}}',
    ].join('\n');
  }
  const typed = language === 'typescript' ? ': number' : '';
  return [
    `for (let i${typed} = 0; i < ${calls}; i++) if ((await ${rehearsalTool}({ i })) !== true) break;`,
    'console.log("rehearsal");',
    'return { list: [1, "two", null], nested: { ok: true } };',
  ].join('\n');
}

/**
 * A run of the host's own code that a transport can send to a runner it keeps waiting (a pooled
 * process), with `reuse: true`, after `ready` and before the runner's first real run. It makes
 * tool calls over the real protocol stream, prints a line and returns a value, so a fresh process
 * has run its whole read, call, output and result path by the time a guest's code arrives.
 *
 * Why: a node runner already rehearses its start path in-process before `ready`, but a fresh
 * process's first real run was still slow; on the development VM a pooled one-shot node run of 10
 * tool calls took 6.1 ms without this and 2.4 ms after it (30 interleaved rounds). A one-shot
 * guest run still gets a process no other guest ran in: the rehearsal is the host's own code, an
 * ordinary protocol v1 run, and the runner undoes what it changed before writing `idle` (§2.5).
 *
 * Check the outcome with `isRehearsalPassed`; a runner that fails its rehearsal is broken.
 *
 * @example
 * ```ts
 * // After the runner's `ready`, with its output routed to session.receive and its exit to session.end:
 * const session = new RunnerSession({ request: rehearsalRequest('python'), write, reuse: true });
 * session.start();
 * const outcome = await session.outcome;
 * if (!outcome.clean || !isRehearsalPassed(outcome.result)) killTheRunner();
 * ```
 */
export function rehearsalRequest(language: SandboxLanguage, options: RehearsalRequestOptions = {}): SandboxExecuteRequestV1 {
  const calls = options.calls ?? defaultRehearsalCalls;
  if (!Number.isSafeInteger(calls) || calls < 0) throw new RangeError(`calls must be a non-negative integer, got ${String(calls)}.`);
  const shouldStop = options.shouldStop ?? (() => false);
  return {
    executionId: 'codecall-rehearsal',
    language,
    code: rehearsalCode(language, calls),
    tools: [{ name: rehearsalTool, identifier: rehearsalTool }],
    limits: { ...defaultLimits, timeoutMs: 10_000, maxToolCalls: calls + 1 },
    // Never aborted: a transport that gives up on the runner kills it, which ends the session.
    abortSignal: new AbortController().signal,
    callTool: (call) => Promise.resolve(
      call.name === rehearsalTool
        ? { type: 'success', outputJson: shouldStop() ? 'false' : 'true' }
        : { type: 'error', code: 'UNKNOWN_TOOL', message: `Unknown tool ${call.name}.` },
    ),
  };
}

/** Whether a rehearsal run (`rehearsalRequest`) came back with what its code returns and prints. */
export function isRehearsalPassed(result: SandboxExecuteResultV1): boolean {
  return result.type === 'success' && result.valueJson === rehearsalValueJson && result.stdout === 'rehearsal\n';
}
