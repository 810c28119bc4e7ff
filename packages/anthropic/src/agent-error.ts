import { APIError, APIConnectionError, APIUserAbortError } from '@anthropic-ai/sdk';

/**
 * Codes of `AgentError`:
 * - `API_ERROR`: the Messages API answered with an error after the client's own retries;
 * - `CONNECTION_ERROR`: the API could not be reached (after retries);
 * - `INVALID_OPTIONS`: `runAgent` options are inconsistent (the message names the option);
 * - `ABORTED`: `abortSignal` fired;
 * - `INVALID_CHECKPOINT`: `resumeAgent` got a checkpoint it cannot continue (another version,
 *   other tools, decisions that do not match its pending approvals);
 * - `REPLAY_DIVERGED`: a suspended local code run, re-run on resume, made other tool calls than
 *   the first time (the program is not deterministic; the message names the first difference).
 */
export type AgentErrorCode = 'API_ERROR' | 'CONNECTION_ERROR' | 'INVALID_OPTIONS' | 'ABORTED' | 'INVALID_CHECKPOINT' | 'REPLAY_DIVERGED';

const agentErrorMarker = Symbol.for('codecall.error.AgentError');

/** Options of `AgentError`. */
export interface AgentErrorOptions {
  /** What went wrong. */
  code: AgentErrorCode;
  /** The underlying error (an `APIError` of `@anthropic-ai/sdk` for API failures). */
  cause?: unknown;
  /** HTTP status of an API error. */
  status?: number;
  /** The API's error type (`overloaded_error`, `rate_limit_error`, …). */
  errorType?: string;
  /** Whether the SDK's retry policy treats the failure as retryable (408, 409, 429, 5xx, connection errors). */
  retryable?: boolean;
  /** `request-id` of the failed request, when known. */
  requestId?: string;
}

/**
 * A failure of `runAgent` itself. Tool failures are not thrown: they go back to the model as
 * `is_error` results. `isInstance` works across duplicate installs.
 */
export class AgentError extends Error {
  /** What went wrong. */
  readonly code: AgentErrorCode;
  /** HTTP status of an API error. */
  readonly status: number | undefined;
  /** The API's error type. */
  readonly errorType: string | undefined;
  /** Whether retrying later can succeed; the client already retried `maxRetries` times. */
  readonly retryable: boolean;
  /** `request-id` of the failed request. */
  readonly requestId: string | undefined;
  constructor(message: string, options: AgentErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgentError';
    Object.defineProperty(this, agentErrorMarker, { value: true });
    this.code = options.code;
    this.status = options.status;
    this.errorType = options.errorType;
    this.retryable = options.retryable ?? false;
    this.requestId = options.requestId;
  }

  /** Whether `error` is an `AgentError`, from any copy of this package. */
  static isInstance(error: unknown): error is AgentError {
    return typeof error === 'object' && error !== null && agentErrorMarker in error;
  }
}

/** Whether the SDK's retry policy would retry a response with this status. */
export function isRetryableStatus(status: number | undefined): boolean {
  return status === 408 || status === 409 || status === 429 || (status !== undefined && status >= 500);
}

/** Maps an error thrown by the Anthropic client to an `AgentError`. */
export function toAgentError(error: unknown): AgentError {
  if (AgentError.isInstance(error)) return error;
  if (error instanceof APIUserAbortError) return new AgentError('The agent run was aborted.', { code: 'ABORTED', cause: error });
  if (error instanceof APIConnectionError) {
    return new AgentError(`Could not reach the Messages API: ${error.message}`, { code: 'CONNECTION_ERROR', cause: error, retryable: true });
  }
  if (error instanceof APIError) {
    const status: unknown = error.status;
    const code = typeof status === 'number' ? status : undefined;
    const body = error.error as { error?: { type?: unknown } } | undefined;
    const errorType = typeof body?.error?.type === 'string' ? body.error.type : undefined;
    return new AgentError(`The Messages API failed${code === undefined ? '' : ` with ${code}`}: ${error.message}`, {
      code: 'API_ERROR',
      cause: error,
      ...(code === undefined ? {} : { status: code }),
      ...(errorType === undefined ? {} : { errorType }),
      retryable: isRetryableStatus(code),
      ...(typeof error.requestID === 'string' ? { requestId: error.requestID } : {}),
    });
  }
  if (error instanceof Error && error.name === 'AbortError') return new AgentError('The agent run was aborted.', { code: 'ABORTED', cause: error });
  return new AgentError(`The agent run failed: ${error instanceof Error ? error.message : String(error)}`, { code: 'API_ERROR', cause: error });
}
