/**
 * Why a tool call failed. Guest code sees it as `error.code` of a catchable `ToolError`:
 * - `INVALID_INPUT`: the input failed the tool's schema, or was not JSON-serializable;
 * - `INVALID_OUTPUT`: the tool's result failed its output schema;
 * - `UNKNOWN_TOOL`: no tool has that name;
 * - `DENIED`: an approval policy refused the call;
 * - `TOOL_FAILED`: the tool's handler threw (its message is kept);
 * - `TOOL_TIMEOUT`: the call exceeded `toolTimeoutMs`;
 * - `TOOL_CALL_LIMIT`: the run already made `maxToolCalls` calls;
 * - `VALUE_TOO_LARGE`: the input or output exceeded `maxValueBytes`;
 * - `ABORTED`: the run was aborted or ended while the call was pending.
 */
export type ToolErrorCode =
  | 'INVALID_INPUT'
  | 'INVALID_OUTPUT'
  | 'UNKNOWN_TOOL'
  | 'DENIED'
  | 'TOOL_FAILED'
  | 'TOOL_TIMEOUT'
  | 'TOOL_CALL_LIMIT'
  | 'VALUE_TOO_LARGE'
  | 'ABORTED';

/**
 * Host-fault codes of `SandboxError`:
 * - `SANDBOX_DISPOSED`: the sandbox was used after `dispose`;
 * - `SANDBOX_START_FAILED`: the backend could not start (missing binary, native addon, flag…);
 * - `INVALID_SETTINGS`: settings or limits are out of range;
 * - `UNSUPPORTED_LANGUAGE`: the sandbox does not run the requested language;
 * - `UNSUPPORTED_SPECIFICATION`: the adapter implements another spec version;
 * - `CONNECTION_LOST`: the link to a remote backend broke;
 * - `AUTHENTICATION_FAILED`, `RATE_LIMITED`, `SANDBOX_EXPIRED`: remote backend refusals;
 * - `INTERNAL`: a bug in an adapter.
 */
export type SandboxErrorCode =
  | 'SANDBOX_DISPOSED'
  | 'SANDBOX_START_FAILED'
  | 'INVALID_SETTINGS'
  | 'UNSUPPORTED_LANGUAGE'
  | 'UNSUPPORTED_SPECIFICATION'
  | 'CONNECTION_LOST'
  | 'AUTHENTICATION_FAILED'
  | 'RATE_LIMITED'
  | 'SANDBOX_EXPIRED'
  | 'INTERNAL';

const sandboxErrorMarker = Symbol.for('codecall.error.SandboxError');
const toolErrorMarker = Symbol.for('codecall.error.ToolError');

/** Options shared by the constructors of `SandboxError` and its subclasses. */
export interface SandboxErrorOptions {
  /** What the fault is; defaults per subclass. */
  code?: SandboxErrorCode;
  /** The underlying error. */
  cause?: unknown;
  /** `sandboxId` of the adapter instance, when known. */
  sandboxId?: string;
  /** Whether trying again (possibly with a new sandbox) can succeed. Default `false`. */
  retryable?: boolean;
}

/**
 * Root of every host fault: a sandbox that cannot start, a lost connection, use after dispose.
 * Everything the guest caused is returned as a result instead. `isInstance` works across
 * duplicate installs of `@codecall/core`, where `instanceof` does not.
 */
export class SandboxError extends Error {
  /** What the fault is. */
  readonly code: SandboxErrorCode;
  /** `sandboxId` of the adapter instance, when known. */
  readonly sandboxId: string | undefined;
  /** Whether trying again can succeed. */
  readonly retryable: boolean;
  constructor(message: string, options: SandboxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SandboxError';
    Object.defineProperty(this, sandboxErrorMarker, { value: true });
    this.code = options.code ?? 'INTERNAL';
    this.sandboxId = options.sandboxId;
    this.retryable = options.retryable ?? false;
  }

  /** Whether `error` is a `SandboxError` (or subclass), from any copy of this package. */
  static isInstance(error: unknown): error is SandboxError {
    return typeof error === 'object' && error !== null && sandboxErrorMarker in error;
  }
}

/** The sandbox was used after `dispose()`. */
export class SandboxDisposedError extends SandboxError {
  constructor(sandboxId?: string) {
    super(`Sandbox ${sandboxId ?? '(unnamed)'} is disposed; create a new one to run more code.`, {
      code: 'SANDBOX_DISPOSED',
      ...(sandboxId === undefined ? {} : { sandboxId }),
    });
    this.name = 'SandboxDisposedError';
  }
}

/** The backend could not start (missing binary or native addon, missing Node flag, …). */
export class SandboxStartError extends SandboxError {
  constructor(message: string, options: Omit<SandboxErrorOptions, 'code'> = {}) {
    super(message, { ...options, code: 'SANDBOX_START_FAILED' });
    this.name = 'SandboxStartError';
  }
}

/** Settings, limits or options are invalid; the message names the option to change. */
export class SandboxConfigurationError extends SandboxError {
  constructor(message: string, options: Omit<SandboxErrorOptions, 'code'> & { code?: 'INVALID_SETTINGS' | 'UNSUPPORTED_LANGUAGE' | 'UNSUPPORTED_SPECIFICATION' } = {}) {
    super(message, { ...options, code: options.code ?? 'INVALID_SETTINGS' });
    this.name = 'SandboxConfigurationError';
  }
}

/** A remote backend could not be reached or the link to it broke. Usually retryable. */
export class SandboxConnectionError extends SandboxError {
  constructor(message: string, options: SandboxErrorOptions = {}) {
    super(message, { retryable: true, ...options, code: options.code ?? 'CONNECTION_LOST' });
    this.name = 'SandboxConnectionError';
  }
}

/** Options of `ToolError`. */
export interface ToolErrorOptions {
  /** The underlying error; kept on the host, never sent to the guest. */
  cause?: unknown;
  /** The tool the error is about, when known. */
  toolName?: string;
}

/**
 * A failed tool call. Tool handlers may throw it to choose the code the guest sees (default for
 * any other thrown error: `TOOL_FAILED`); inside the guest, failed calls reject with an error of
 * the same name and `code`. Only `code` and `message` cross the bridge.
 */
export class ToolError extends Error {
  /** Why the call failed. */
  readonly code: ToolErrorCode;
  /** The tool the error is about, when known. */
  readonly toolName: string | undefined;
  constructor(code: ToolErrorCode, message: string, options: ToolErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ToolError';
    Object.defineProperty(this, toolErrorMarker, { value: true });
    this.code = code;
    this.toolName = options.toolName;
  }

  /** Whether `error` is a `ToolError`, from any copy of this package. */
  static isInstance(error: unknown): error is ToolError {
    return typeof error === 'object' && error !== null && toolErrorMarker in error;
  }
}
