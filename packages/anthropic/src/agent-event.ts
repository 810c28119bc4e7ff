import type { StopReason, Usage } from '@anthropic-ai/sdk/resources/messages';
import type { RunEvent, RunResult, SandboxLanguage } from '@codecall/core';
import type { AgentMetrics } from './agent-metrics.js';
import type { AgentStatus, AgentToolCall } from './agent-result.js';

/** Something that happened during `runAgent`, in order. `onEvent` receives each as it happens. */
export type AgentEvent =
  | {
      /** A request to the Messages API is about to be sent. */
      readonly type: 'model-request';
      /** 1-based number of the round trip. */
      readonly turn: number;
    }
  | {
      /** A streamed piece of the model's text (only with `stream: true`). */
      readonly type: 'text-delta';
      readonly turn: number;
      readonly text: string;
    }
  | {
      /** A text block of the model's answer, in content order (after `model-response`). */
      readonly type: 'text';
      readonly turn: number;
      readonly text: string;
    }
  | {
      /** The model answered. */
      readonly type: 'model-response';
      readonly turn: number;
      /** Why the model stopped. */
      readonly stopReason: StopReason | null;
      /** The text blocks of the answer, joined. */
      readonly text: string;
      /** `usage` of the response. */
      readonly usage: Usage;
      /** Wall time of the request in milliseconds. */
      readonly durationMs: number;
    }
  | {
      /** The model's code is about to run (programmatic/hybrid: locally; native: reported by the API). */
      readonly type: 'code';
      readonly turn: number;
      /** Id of the `tool_use` / `server_tool_use` block. */
      readonly id: string;
      readonly language: SandboxLanguage;
      readonly code: string;
      /** `local` for the code tool, `hosted` for Anthropic's code execution. */
      readonly where: 'local' | 'hosted';
    }
  | {
      /** A code run ended. */
      readonly type: 'code-result';
      readonly turn: number;
      readonly id: string;
      /** The run (local runs only). */
      readonly result: RunResult | undefined;
      /** The text the model receives. */
      readonly content: string;
      readonly isError: boolean;
    }
  | {
      /**
       * Something happened inside a local code run while it ran: a chunk of its stdout/stderr, or
       * a nested tool call starting or ending (`RunEvent`). Output arrives as the code writes it.
       */
      readonly type: 'code-event';
      readonly turn: number;
      /** Id of the code run's `tool_use` block (as in `code` and `code-result`). */
      readonly id: string;
      /** What happened. */
      readonly event: RunEvent;
    }
  | {
      /** A tool call is about to run (direct) or has been requested by hosted code (native). */
      readonly type: 'tool-call';
      readonly turn: number;
      readonly caller: AgentToolCall['caller'];
      /** The `tool_use` id (direct, native) or the dispatcher's call id (local code). */
      readonly id: string;
      readonly name: string;
      readonly input: unknown;
    }
  | {
      /** A tool call finished. */
      readonly type: 'tool-result';
      readonly turn: number;
      readonly call: AgentToolCall;
      /** The text sent back (direct, native) or `undefined` (local code: the value went to the code). */
      readonly content: string | undefined;
    }
  | {
      /** An approval was asked for and answered. */
      readonly type: 'approval';
      readonly turn: number;
      readonly toolName: string;
      readonly input: unknown;
      readonly approved: boolean;
    }
  | {
      /** The run ended. */
      readonly type: 'finish';
      readonly status: AgentStatus;
      readonly text: string;
      readonly metrics: AgentMetrics;
    };
