/**
 * Why an MCP toolset operation failed on the host:
 * - `INVALID_SETTINGS`: the server settings or toolset settings are invalid (the message names the option);
 * - `CONNECTION_FAILED`: the server could not be started or reached, or did not complete the MCP handshake;
 * - `CONNECTION_LOST`: the connection broke while a request was in flight (the server exited or closed it);
 * - `LIST_TOOLS_FAILED`: `tools/list` failed, returned too many pages, or repeated a cursor;
 * - `TOOLSET_CLOSED`: the toolset was used after `close()`.
 */
export type McpToolsetErrorCode = 'INVALID_SETTINGS' | 'CONNECTION_FAILED' | 'CONNECTION_LOST' | 'LIST_TOOLS_FAILED' | 'TOOLSET_CLOSED';

/** Options of `McpToolsetError`. */
export interface McpToolsetErrorOptions {
  /** The underlying error (an SDK `McpError`, a spawn error, …). */
  cause?: unknown;
  /** Name of the server the error is about (`serverInfo.name`, else the command or URL). */
  server?: string;
  /** Whether trying again (e.g. with a new toolset) can succeed. Default `false`. */
  retryable?: boolean;
}

const marker = Symbol.for('codecall.error.McpToolsetError');

/**
 * A host fault of `@codecall/mcp`: thrown by `createMcpToolset` and `refresh()`, and kept as the
 * `cause` of the `ToolError` a guest sees when the connection breaks during a call.
 * `isInstance` works across duplicate installs of this package, where `instanceof` does not.
 */
export class McpToolsetError extends Error {
  /** What failed. */
  readonly code: McpToolsetErrorCode;
  /** Name of the server the error is about, when known. */
  readonly server: string | undefined;
  /** Whether trying again can succeed. */
  readonly retryable: boolean;
  constructor(code: McpToolsetErrorCode, message: string, options: McpToolsetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'McpToolsetError';
    Object.defineProperty(this, marker, { value: true });
    this.code = code;
    this.server = options.server;
    this.retryable = options.retryable ?? false;
  }

  /** Whether `error` is an `McpToolsetError`, from any copy of this package. */
  static isInstance(error: unknown): error is McpToolsetError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
