import type { ResolvedLimitsV1, SandboxExecuteResultV1, SandboxToolCallV1, SandboxToolResultV1, SandboxToolV1 } from '@codecall/core';

/** Messages the host sends to a supervised child over its IPC channel. */
export type HostToChildMessage =
  | {
      readonly type: 'run';
      readonly runId: number;
      readonly code: string;
      readonly tools: readonly SandboxToolV1[];
      readonly limits: ResolvedLimitsV1;
    }
  | { readonly type: 'tool-result'; readonly runId: number; readonly callId: number; readonly result: SandboxToolResultV1 }
  | { readonly type: 'abort'; readonly runId: number };

/** Messages a supervised child sends to the host. */
export type ChildToHostMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'start-failed'; readonly message: string }
  | { readonly type: 'tool-call'; readonly runId: number; readonly callId: number; readonly call: SandboxToolCallV1 }
  | { readonly type: 'result'; readonly runId: number; readonly result: SandboxExecuteResultV1 };
