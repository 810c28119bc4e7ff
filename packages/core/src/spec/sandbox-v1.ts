import type { SandboxCapabilitiesV1 } from './sandbox-capabilities-v1.js';
import type { SandboxExecuteRequestV1 } from './sandbox-execute-request-v1.js';
import type { SandboxExecuteResultV1 } from './sandbox-execute-result-v1.js';

/**
 * Version 1 of the sandbox specification: what `runCode` needs from a backend. Adapters only move
 * code in and values and tool calls across their boundary; every rule (defaults, limits,
 * validation, tracing, error mapping) lives in `@codecall/core`.
 *
 * An adapter must survive anything the guest does: it returns guest failures as results, keeps the
 * host's event loop free while guest code runs, and never exposes host objects to the guest.
 */
export interface SandboxV1 {
  /** Always `'v1'`; lets `runCode` refuse adapters written against another version. */
  readonly specificationVersion: 'v1';
  /** Identifies the adapter instance in errors and traces, e.g. `isolated-vm:3f2a…`. */
  readonly sandboxId: string;
  /** What the adapter supports; see `SandboxCapabilitiesV1`. */
  readonly capabilities: SandboxCapabilitiesV1;
  /**
   * Runs guest code once. Runs are independent: no state survives from one run to the next, and
   * several may be in flight at once. Rejects with a `SandboxError` for host faults only (use after
   * `dispose`, a backend that cannot start, a lost connection).
   */
  execute(request: SandboxExecuteRequestV1): Promise<SandboxExecuteResultV1>;
  /**
   * Releases every resource the adapter created. Idempotent. Runs still in flight end with an
   * error result; `execute` afterwards rejects with `SandboxDisposedError`.
   */
  dispose(): Promise<void>;
  /** Same as `dispose`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** The sandbox interface of the current specification version. */
export type Sandbox = SandboxV1;
