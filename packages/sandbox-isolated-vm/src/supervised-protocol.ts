import type { ResolvedLimitsV1, SandboxExecuteResultV1, SandboxToolCallV1, SandboxToolResultV1, SandboxToolV1 } from '@codecall/core';

// The channel between the host and a supervised child: one JSON message per line, the host's on
// the child's stdin, the child's on its fd 3. The host trusts nothing the child sends: each line is
// cut off at a size bound, and every message is checked against the run it claims to belong to
// (see SupervisedEngine).

/** Messages the host sends to a supervised child (on the child's stdin). */
export type HostToChildMessage =
  | {
      readonly type: 'run';
      readonly runId: number;
      readonly code: string;
      readonly tools: readonly SandboxToolV1[];
      readonly limits: ResolvedLimitsV1;
      /** Whether the host listens to output while the run goes on: the child then sends `output` messages. */
      readonly streamOutput?: boolean;
    }
  | { readonly type: 'tool-result'; readonly runId: number; readonly callId: number; readonly result: SandboxToolResultV1 }
  | { readonly type: 'abort'; readonly runId: number };

/** Messages a supervised child sends to the host (on its fd 3). */
export type ChildToHostMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'start-failed'; readonly message: string }
  | { readonly type: 'tool-call'; readonly runId: number; readonly callId: number; readonly call: SandboxToolCallV1 }
  | { readonly type: 'result'; readonly runId: number; readonly result: SandboxExecuteResultV1 }
  /** A chunk of guest output as the guest wrote it, already within `maxOutputBytes` (only with `streamOutput`). */
  | { readonly type: 'output'; readonly runId: number; readonly fd: 1 | 2; readonly text: string };
