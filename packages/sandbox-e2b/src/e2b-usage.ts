import type { SandboxLanguage } from '@codecall/core';

/**
 * What one run cost on E2B, reported through `E2BSandboxSettings.onRunUsage` when the run settles
 * (success, error result or host fault). E2B bills sandbox time per second; `sandboxSeconds` is the
 * share of it this run occupied, the number the benchmark's cost column multiplies by a price.
 */
export interface E2BRunUsage {
  /** `executionId` of the run (from `runCode`). */
  readonly executionId: string;
  /** E2B's id of the sandbox that ran it; `undefined` when no sandbox could be obtained. */
  readonly remoteSandboxId: string | undefined;
  /** Language of the run. */
  readonly language: SandboxLanguage;
  /** Whether this run waited for a new E2B sandbox to be created (a cold start). */
  readonly coldStart: boolean;
  /** Milliseconds this run waited for the sandbox to be created (or connected); 0 when it was already up. */
  readonly sandboxStartMs: number;
  /** Milliseconds from asking E2B to start the runner command until its handle arrived. */
  readonly commandStartMs: number;
  /**
   * Seconds of sandbox time the run occupied: from the request that started its runner until the
   * run settled. 0 when no runner was started.
   */
  readonly sandboxSeconds: number;
  /** How the run ended: `success`, `error` (an error result) or `fault` (a `SandboxError` was thrown). */
  readonly outcome: 'success' | 'error' | 'fault';
}

/** Totals of one adapter instance, from `E2BSandbox.usage()`. */
export interface E2BSandboxUsage {
  /** Runs that started a runner. */
  readonly runs: number;
  /** Sum of `E2BRunUsage.sandboxSeconds` over those runs. */
  readonly runSandboxSeconds: number;
  /** E2B sandboxes this adapter created (not counting supplied or connected ones). */
  readonly sandboxesCreated: number;
  /** Seconds spent waiting for those sandboxes to be created. */
  readonly sandboxStartSeconds: number;
  /**
   * Seconds the sandboxes this adapter created have been alive, up to now or until they were killed
   * or found expired: what E2B bills, idle keep-alive time included.
   */
  readonly sandboxLifetimeSeconds: number;
}
