import { SandboxConnectionError, SandboxError, SandboxStartError } from '@codecall/core';
import type { SandboxErrorOptions } from '@codecall/core';

/** E2B refused the API key (missing, wrong or revoked). Not retryable. */
export class SandboxAuthenticationError extends SandboxError {
  constructor(message: string, options: Omit<SandboxErrorOptions, 'code' | 'retryable'> = {}) {
    super(message, { ...options, code: 'AUTHENTICATION_FAILED', retryable: false });
    this.name = 'SandboxAuthenticationError';
  }
}

/** E2B refused the request because of a rate or concurrency limit of the account. Retryable after a wait. */
export class SandboxRateLimitedError extends SandboxError {
  constructor(message: string, options: Omit<SandboxErrorOptions, 'code' | 'retryable'> = {}) {
    super(message, { ...options, code: 'RATE_LIMITED', retryable: true });
    this.name = 'SandboxRateLimitedError';
  }
}

/**
 * The remote sandbox is gone: it reached its timeout, was killed, or is not found. `retryable` is
 * true when the adapter created the sandbox (the next run starts a new one) and false when the
 * caller supplied it (the caller must replace it).
 */
export class SandboxExpiredError extends SandboxError {
  constructor(message: string, options: Omit<SandboxErrorOptions, 'code'> = {}) {
    super(message, { ...options, code: 'SANDBOX_EXPIRED' });
    this.name = 'SandboxExpiredError';
  }
}

/** When an SDK call failed; decides the error class of failures that are not self-explanatory. */
export type E2BOperation = 'create' | 'connect' | 'upload' | 'start-command' | 'run';

/** Context of `toSandboxError`. */
export interface E2BErrorContext {
  /** What the adapter was doing. */
  readonly operation: E2BOperation;
  /** `sandboxId` of the codecall adapter instance. */
  readonly sandboxId: string;
  /** Whether the adapter owns (created) the remote sandbox, so that it can replace an expired one. */
  readonly owned: boolean;
}

interface ErrorShape {
  readonly name: string;
  readonly message: string;
  readonly statusCode: number | undefined;
}

function shapeOf(error: unknown): ErrorShape {
  if (typeof error === 'object' && error !== null) {
    const record = error as { name?: unknown; message?: unknown; statusCode?: unknown };
    return {
      name: typeof record.name === 'string' ? record.name : 'Error',
      message: typeof record.message === 'string' ? record.message : 'an error without a message',
      statusCode: typeof record.statusCode === 'number' ? record.statusCode : undefined,
    };
  }
  return { name: 'Error', message: String(error), statusCode: undefined };
}

// The SDK reports a sandbox that is gone as a TimeoutError with one of these hints (its own wording).
const expiredHints = /sandbox timeout|end of life|not running anymore|sandbox was killed|sandbox .*not found/i;

/** Whether `error` (from the E2B SDK) says the sandbox itself is gone. */
export function isSandboxGone(error: unknown): boolean {
  const { name, message, statusCode } = shapeOf(error);
  if (name === 'SandboxNotFoundError' || name === 'SandboxExpiredError') return true;
  if (statusCode === 502) return true;
  return name === 'TimeoutError' && expiredHints.test(message);
}

/** Whether `error` (from the E2B SDK) says only that a process is unknown, e.g. stdin of a command that already ended. */
export function isProcessNotFound(error: unknown): boolean {
  const { name, message } = shapeOf(error);
  return name === 'NotFoundError' && /process|pid/i.test(message);
}

const firstLine = (message: string): string => message.split('\n')[0]!.slice(0, 300);

/**
 * Maps an error of the E2B SDK (matched by `name` and `statusCode`, so duplicate installs of the
 * SDK work) to a typed `SandboxError`:
 * - `AuthenticationError` (401) → `SandboxAuthenticationError`, not retryable;
 * - `RateLimitError` (429) → `SandboxRateLimitedError`, retryable;
 * - a sandbox that is gone (`SandboxNotFoundError`, 502, the SDK's "sandbox timeout" `TimeoutError`)
 *   → `SandboxExpiredError`, retryable when the adapter owns the sandbox;
 * - an invalid template or argument while creating → `SandboxStartError`, not retryable;
 * - anything else → `SandboxStartError` while creating or connecting, otherwise
 *   `SandboxConnectionError`; both retryable.
 * A `SandboxError` of `@codecall/core` passes through unchanged.
 */
export function toSandboxError(error: unknown, context: E2BErrorContext): SandboxError {
  if (SandboxError.isInstance(error)) return error;
  const { name, message, statusCode } = shapeOf(error);
  const base = { cause: error, sandboxId: context.sandboxId };
  const what = describeOperation(context.operation);
  if (name === 'AuthenticationError' || statusCode === 401 || statusCode === 403) {
    return new SandboxAuthenticationError(`E2B refused the API key while ${what}: ${firstLine(message)} Set E2B_API_KEY or settings.sandboxOptions.apiKey.`, base);
  }
  if (name === 'RateLimitError' || statusCode === 429) {
    return new SandboxRateLimitedError(`E2B rate-limited the request while ${what}: ${firstLine(message)}`, base);
  }
  if (name === 'ServiceBusyError' || statusCode === 503) {
    return context.operation === 'create' || context.operation === 'connect'
      ? new SandboxStartError(`E2B is busy (503) while ${what}; try again shortly: ${firstLine(message)}`, { ...base, retryable: true })
      : new SandboxConnectionError(`E2B is busy (503) while ${what}: ${firstLine(message)}`, base);
  }
  if (isSandboxGone(error) || (context.operation === 'connect' && name === 'NotFoundError')) {
    return new SandboxExpiredError(
      `The E2B sandbox is gone (expired, killed or not found) while ${what}: ${firstLine(message)}${context.owned ? ' The next run starts a new sandbox.' : ' Supply a running sandbox (settings.sandbox or settings.sandboxId).'}`,
      { ...base, retryable: context.owned },
    );
  }
  if (context.operation === 'create' && (name === 'InvalidArgumentError' || name === 'TemplateError' || name === 'NotFoundError' || statusCode === 400 || statusCode === 404)) {
    return new SandboxStartError(`E2B could not create the sandbox: ${firstLine(message)} Check settings.template and settings.sandboxOptions.`, { ...base, retryable: false });
  }
  if (context.operation === 'create' || context.operation === 'connect') {
    return new SandboxStartError(`E2B failed while ${what}: ${firstLine(message)}`, { ...base, retryable: true });
  }
  return new SandboxConnectionError(`The connection to the E2B sandbox failed while ${what}: ${firstLine(message)}`, base);
}

function describeOperation(operation: E2BOperation): string {
  switch (operation) {
    case 'create':
      return 'creating the sandbox';
    case 'connect':
      return 'connecting to the sandbox';
    case 'upload':
      return 'uploading the runner programs';
    case 'start-command':
      return 'starting the runner';
    case 'run':
      return 'running the code';
  }
}
