import { SandboxConfigurationError } from './errors.js';

/** Settings of `createToolCallBudget`. */
export interface ToolCallBudgetSettings {
  /** Most tool calls in all the runs that share the budget; later calls fail with `TOOL_CALL_LIMIT`. An integer >= 0. */
  readonly maxToolCalls: number;
  /** Most handlers running at the same moment across those runs; later calls wait for a place. An integer >= 1. */
  readonly maxConcurrentToolCalls: number;
}

/**
 * Tool-call limits shared by several dispatchers: one count of calls and one set of places for
 * running handlers. An agent run creates one and hands it to every dispatcher it creates (direct
 * calls, code runs, nested calls of hosted code), so its limits hold for the whole run rather than
 * per code run or per call. A dispatcher without one gets its own from its limits.
 */
export interface ToolCallBudget {
  /** The cap on calls (see `ToolCallBudgetSettings.maxToolCalls`). */
  readonly maxToolCalls: number;
  /** The cap on calls running at once (see `ToolCallBudgetSettings.maxConcurrentToolCalls`). */
  readonly maxConcurrentToolCalls: number;
  /** Calls counted so far, including those refused past `maxToolCalls`. */
  readonly callCount: number;
  /** Handlers holding a place right now. */
  readonly activeCalls: number;
  /** Counts one call and returns its 1-based number in the budget; past `maxToolCalls` the call is to be refused. */
  readonly countCall: () => number;
  /**
   * Takes a place for one handler: `true` when one is free at once, else a promise that resolves
   * when a place is handed over (in the order calls asked). Every place taken must be given back
   * with one `releaseSlot()`, also by a caller that no longer needs it.
   */
  readonly acquireSlot: () => true | Promise<void>;
  /** Gives a place back; the longest waiting call gets it. */
  readonly releaseSlot: () => void;
}

/**
 * Creates a budget of tool calls to share between dispatchers (`DispatcherSettings.budget`,
 * `RunCodeOptions.budget`). Throws `SandboxConfigurationError` when a cap is not an integer in range.
 *
 * @example
 * ```ts
 * const budget = createToolCallBudget({ maxToolCalls: 10, maxConcurrentToolCalls: 2 });
 * await runCode({ sandbox, tools, code: first, budget });
 * await runCode({ sandbox, tools, code: second, budget }); // 10 calls and 2 at once for both runs together
 * ```
 */
export function createToolCallBudget(settings: ToolCallBudgetSettings): ToolCallBudget {
  const { maxToolCalls, maxConcurrentToolCalls } = settings;
  if (!Number.isSafeInteger(maxToolCalls) || maxToolCalls < 0) throw new SandboxConfigurationError(`maxToolCalls must be an integer >= 0, got ${String(maxToolCalls)}.`);
  if (!Number.isSafeInteger(maxConcurrentToolCalls) || maxConcurrentToolCalls < 1) {
    throw new SandboxConfigurationError(`maxConcurrentToolCalls must be an integer >= 1, got ${String(maxConcurrentToolCalls)}.`);
  }
  const waiting: (() => void)[] = [];
  let callCount = 0;
  let activeCalls = 0;

  function acquireSlot(): true | Promise<void> {
    if (activeCalls < maxConcurrentToolCalls && waiting.length === 0) {
      activeCalls++;
      return true;
    }
    return new Promise((resolve) => waiting.push(resolve));
  }

  function releaseSlot(): void {
    // The place passes straight to the next waiter, so a newcomer cannot take it in between.
    const next = waiting.shift();
    if (next !== undefined) next();
    else activeCalls = Math.max(0, activeCalls - 1);
  }

  return {
    maxToolCalls,
    maxConcurrentToolCalls,
    get callCount(): number {
      return callCount;
    },
    get activeCalls(): number {
      return activeCalls;
    },
    countCall: () => ++callCount,
    acquireSlot,
    releaseSlot,
  };
}
