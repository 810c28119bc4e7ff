import { createRequire } from 'node:module';
import { createToolset, jsonSchemaTool, ToolError } from '@codecall/core';
import type { AnyTool, ToolExecutionContext, Toolset } from '@codecall/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { StdioServerParameters } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { StreamableHTTPClientTransportOptions } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { CallToolResult, Implementation, Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';
import { McpToolsetError } from './mcp-toolset-error.js';
import { unwrapToolResult } from './unwrap-tool-result.js';

/** Settings of an MCP server that codecall starts as a child process and talks to over stdio. */
export interface McpStdioServerSettings extends Omit<StdioServerParameters, 'stderr'> {
  /**
   * What happens to the server's stderr: `'capture'` keeps its last 8 KiB and adds them to the
   * message of a failed connection; `'inherit'` passes it to this process's stderr; `'ignore'`
   * drops it. Default `'capture'`.
   */
  stderr?: 'capture' | 'inherit' | 'ignore';
}

/** Settings of an MCP server reached over Streamable HTTP. */
export interface McpHttpServerSettings {
  /** The server's MCP endpoint, e.g. `http://127.0.0.1:3001/mcp`. `http:` or `https:`. */
  url: string | URL;
  /** Headers sent with every request (e.g. `Authorization`). Never included in error messages. */
  headers?: Record<string, string>;
  /** Further options of the SDK's `StreamableHTTPClientTransport` (`authProvider`, `fetch`, …). */
  transportOptions?: StreamableHTTPClientTransportOptions;
}

/** How to reach an MCP server whose connection codecall owns (and closes with the toolset). */
export type McpServerSettings = McpStdioServerSettings | McpHttpServerSettings;

/** A tool of the server's list that the toolset leaves out, and why. */
export interface McpSkippedTool {
  /** The tool's name on the server. */
  readonly name: string;
  /** Why it was left out (a duplicate name, task-only execution, a schema codecall refuses…). */
  readonly reason: string;
}

/** Settings of `createMcpToolset`. Every field is optional. */
export interface McpToolsetSettings {
  /**
   * Namespace for the server's tools when several servers share one toolset: the tool `read_file`
   * becomes `files.read_file`, which guest code calls as `files_read_file`. Letters, digits, `_`
   * and `-`, at most 64 characters. Default: none (the server's names as they are).
   */
  prefix?: string;
  /** Which of the server's tools to offer. Default: all of them. */
  include?: (tool: McpTool) => boolean;
  /**
   * Whether calls of a tool need approval (`runCode`'s `onApproval`), decided per tool from its
   * MCP description, e.g. `(tool) => tool.annotations?.destructiveHint === true`. Default: none do.
   */
  needsApproval?: (tool: McpTool) => boolean;
  /**
   * Time limit of each MCP request (`tools/list` pages, `tools/call`) in milliseconds; a call past
   * it fails with `TOOL_TIMEOUT`. codecall's own `toolTimeoutMs` still applies and cancels the
   * request first when it is shorter. Default 60,000 (the SDK's default).
   */
  requestTimeoutMs?: number;
  /** Time limit of starting and initializing an owned connection, in milliseconds. Default 30,000. */
  connectTimeoutMs?: number;
  /** Most pages of `tools/list` to follow (`nextCursor`) before giving up with `LIST_TOOLS_FAILED`. Default 100. */
  maxListPages?: number;
  /**
   * Re-list the tools when the server sends `notifications/tools/list_changed`. On a `Client` you
   * pass in, this installs the client's handler for that notification (replacing any other) until
   * `close()`. Default `true`.
   */
  refreshOnListChanged?: boolean;
  /** Called with the new toolset after every successful re-listing (notified or `refresh()`). */
  onToolsChanged?: (toolset: Toolset) => void;
  /**
   * Called when a re-listing triggered by the server's notification fails (the previous tools stay),
   * or when `onToolsChanged` throws. Default: a process warning.
   */
  onRefreshError?: (error: unknown) => void;
  /** Name and version the client announces to servers it connects to. Default `@codecall/mcp` and this package's version. */
  clientInfo?: Implementation;
}

/**
 * The tools of one MCP server as codecall tools. The tool list follows the server
 * (`notifications/tools/list_changed`, `refresh()`); each run uses the toolset it was given, so
 * read `toolset` (or `tools`) when a run starts. Close it to end an owned connection (the server
 * process is stopped); `await using` does that too.
 */
export interface McpToolset extends AsyncDisposable {
  /** The current tools as a `Toolset`, for `runCode`, `generateDeclarations` and the agent loop. */
  readonly toolset: Toolset;
  /** The current tools as an array, to combine several servers: `createToolset([...a.tools, ...b.tools])`. */
  readonly tools: readonly AnyTool[];
  /** Tools of the server's list that were left out, with the reason. */
  readonly skippedTools: readonly McpSkippedTool[];
  /** The MCP client (owned by the toolset when it was created from settings). */
  readonly client: Client;
  /** The server's name and version from the MCP handshake, when known. */
  readonly serverInfo: Implementation | undefined;
  /** The server's usage instructions from the MCP handshake, when it sent any (worth showing the model). */
  readonly instructions: string | undefined;
  /** Whether `close()` was called. */
  readonly closed: boolean;
  /** Lists the server's tools again and returns the new toolset. Concurrent calls share one listing. */
  refresh(): Promise<Toolset>;
  /**
   * Stops following the server and, when the toolset owns the connection, closes it (an HTTP
   * session is terminated, a stdio server process is stopped: stdin closed, then SIGTERM, then
   * SIGKILL). A `Client` you passed in stays open. Calls after this fail with `TOOL_FAILED`.
   * Idempotent.
   */
  close(): Promise<void>;
}

const defaultRequestTimeoutMs = 60_000;
const defaultConnectTimeoutMs = 30_000;
const defaultMaxListPages = 100;
const capturedStderrBytes = 8 * 1024;
const prefixPattern = /^[\p{L}\p{N}_-]{1,64}$/u;
const listChangedMethod = 'notifications/tools/list_changed';

const packageVersion = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

/**
 * Whether a failed request never got an answer from the server: the SDK's ConnectionClosed, a
 * transport that is not connected, an HTTP-level failure (the SDK's StreamableHTTPError carries the
 * HTTP status as a positive code) or a fetch that could not reach the server. JSON-RPC errors
 * (negative codes) are the server's answer instead.
 */
function isTransportFailure(error: unknown): boolean {
  const code = errorCode(error);
  if (code === ErrorCode.ConnectionClosed) return true;
  if (typeof code === 'number') return code > 0;
  if (!(error instanceof Error)) return false;
  return error.message === 'Not connected' || (error.name === 'TypeError' && error.message === 'fetch failed');
}

function isClient(value: unknown): value is Client {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<Client>).callTool === 'function' &&
    typeof (value as Partial<Client>).listTools === 'function'
  );
}

function positiveInteger(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new McpToolsetError('INVALID_SETTINGS', `createMcpToolset: ${option} must be a positive integer, got ${JSON.stringify(value)}.`);
  }
  return value;
}

function checkSettings(settings: McpToolsetSettings): void {
  if (typeof settings !== 'object' || settings === null) {
    throw new McpToolsetError('INVALID_SETTINGS', `createMcpToolset: settings must be an object, got ${JSON.stringify(settings)}.`);
  }
  if (settings.prefix !== undefined && (typeof settings.prefix !== 'string' || !prefixPattern.test(settings.prefix))) {
    throw new McpToolsetError(
      'INVALID_SETTINGS',
      `createMcpToolset: prefix must be 1 to 64 letters, digits, "_" or "-", got ${JSON.stringify(settings.prefix)}.`,
    );
  }
  for (const option of ['include', 'needsApproval', 'onToolsChanged', 'onRefreshError'] as const) {
    if (settings[option] !== undefined && typeof settings[option] !== 'function') {
      throw new McpToolsetError('INVALID_SETTINGS', `createMcpToolset: ${option} must be a function, got ${typeof settings[option]}.`);
    }
  }
}

interface Connection {
  readonly client: Client;
  readonly label: string;
  readonly close: () => Promise<void>;
}

const secretFlag = /key|token|secret|password|passwd|auth|credential/i;

/**
 * The command line of a stdio server, for messages. Values that may be secrets are left out: the
 * value of any `name=value` argument, and the argument after a flag named like a secret
 * (`--api-key xyz`). The environment never appears.
 */
function stdioLabel(settings: McpStdioServerSettings): string {
  const words = [settings.command];
  let hideNext = false;
  for (const argument of settings.args ?? []) {
    if (hideNext) {
      words.push('…');
      hideNext = false;
    } else if (argument.includes('=')) {
      words.push(`${argument.slice(0, argument.indexOf('='))}=…`);
    } else {
      words.push(argument);
      hideNext = argument.startsWith('-') && secretFlag.test(argument);
    }
  }
  const text = words.join(' ');
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

async function connect(server: McpServerSettings, settings: McpToolsetSettings, connectTimeoutMs: number): Promise<Connection> {
  const isStdio = 'command' in server;
  const isHttp = 'url' in server;
  if (isStdio === isHttp) {
    throw new McpToolsetError(
      'INVALID_SETTINGS',
      'createMcpToolset: the server must be a connected MCP Client, stdio settings { command, args?, env?, cwd? } or Streamable HTTP settings { url, headers? }' +
        (isStdio ? ', not both command and url.' : `; got an object with keys ${JSON.stringify(Object.keys(server))}.`),
    );
  }
  const client = new Client(settings.clientInfo ?? { name: '@codecall/mcp', version: packageVersion }, { capabilities: {} });
  let label: string;
  let stderrTail = (): string => '';
  let terminate: () => Promise<void> = async () => {};
  let transport: StdioClientTransport | StreamableHTTPClientTransport;
  if (isStdio) {
    if (typeof server.command !== 'string' || server.command.length === 0) {
      throw new McpToolsetError('INVALID_SETTINGS', `createMcpToolset: command must be a non-empty string, got ${JSON.stringify(server.command)}.`);
    }
    if (server.args !== undefined && (!Array.isArray(server.args) || server.args.some((argument) => typeof argument !== 'string'))) {
      throw new McpToolsetError('INVALID_SETTINGS', 'createMcpToolset: args must be an array of strings.');
    }
    const stderrMode = server.stderr ?? 'capture';
    if (!['capture', 'inherit', 'ignore'].includes(stderrMode)) {
      throw new McpToolsetError('INVALID_SETTINGS', `createMcpToolset: stderr must be 'capture', 'inherit' or 'ignore', got ${JSON.stringify(stderrMode)}.`);
    }
    label = stdioLabel(server);
    const { stderr: _stderr, ...parameters } = server;
    const stdio = new StdioClientTransport({ ...parameters, stderr: stderrMode === 'capture' ? 'pipe' : stderrMode });
    if (stderrMode === 'capture') {
      let captured = '';
      stdio.stderr?.on('data', (chunk: Buffer | string) => {
        captured = (captured + chunk.toString()).slice(-capturedStderrBytes);
      });
      stderrTail = () => (captured.trim().length === 0 ? '' : `\nServer stderr (last ${capturedStderrBytes} bytes):\n${captured.trimEnd()}`);
    }
    transport = stdio;
  } else {
    let url: URL;
    try {
      url = new URL(server.url);
    } catch (error) {
      throw new McpToolsetError('INVALID_SETTINGS', `createMcpToolset: url must be an absolute http: or https: URL, got ${JSON.stringify(String(server.url))}.`, { cause: error });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new McpToolsetError('INVALID_SETTINGS', `createMcpToolset: url must use http: or https:, got ${JSON.stringify(url.protocol)}.`);
    }
    label = `${url.origin}${url.pathname}`;
    const options = server.transportOptions ?? {};
    const headers = new Headers(options.requestInit?.headers);
    for (const [name, value] of Object.entries(server.headers ?? {})) headers.set(name, value);
    const http = new StreamableHTTPClientTransport(url, { ...options, requestInit: { ...options.requestInit, headers } });
    terminate = async () => {
      if (http.sessionId === undefined) return;
      // Best effort: a server that is already gone must not hold up close().
      await Promise.race([http.terminateSession().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    };
    transport = http;
  }
  try {
    await client.connect(transport, { timeout: connectTimeoutMs });
  } catch (error) {
    await client.close().catch(() => {});
    await transport.close().catch(() => {});
    throw new McpToolsetError('CONNECTION_FAILED', `Could not connect to MCP server ${label}: ${messageOf(error)}${stderrTail()}`, {
      cause: error,
      server: label,
      retryable: true,
    });
  }
  return {
    client,
    label,
    close: async () => {
      await terminate();
      await client.close();
    },
  };
}

interface Snapshot {
  readonly toolset: Toolset;
  readonly tools: readonly AnyTool[];
  readonly skipped: readonly McpSkippedTool[];
}

/**
 * Offers the tools of an MCP server as a codecall toolset. Give it a connected `Client` from
 * `@modelcontextprotocol/sdk` (you keep owning it), or settings to start a server over stdio
 * (`{ command, args, env, cwd }`) or reach one over Streamable HTTP (`{ url, headers }`), whose
 * connection the toolset owns and closes.
 *
 * - Names: each tool keeps its MCP name (with `prefix.` in front when `prefix` is set); names that
 *   are not identifiers in JavaScript and Python (`get-sum`, `get.weather`) are called by the
 *   identifier core assigns (`get_sum`, `get_weather`; `_2`, `_3` on a clash), and the declarations
 *   show both.
 * - Schemas: `inputSchema` validates the input; `outputSchema`, when the tool has one, validates
 *   the result and types it in the declarations.
 * - Results: see `unwrapToolResult` (`structuredContent`, else text parsed when it is a JSON object
 *   or array, else the text); `isError` results fail with `ToolError` `TOOL_FAILED` and the
 *   server's text; a timeout is `TOOL_TIMEOUT`; a broken connection is `TOOL_FAILED` whose `cause`
 *   is an `McpToolsetError` `CONNECTION_LOST`. The call's `abortSignal` cancels the MCP request.
 *
 * Throws `McpToolsetError` (`INVALID_SETTINGS`, `CONNECTION_FAILED`, `LIST_TOOLS_FAILED`).
 *
 * @example
 * ```ts
 * const everything = await createMcpToolset({ command: 'npx', args: ['-y', '@modelcontextprotocol/server-everything'] });
 * try {
 *   const result = await runCode({ sandbox, tools: everything.toolset, code: 'return await get_sum({ a: 1, b: 2 });' });
 * } finally {
 *   await everything.close();
 * }
 * ```
 */
export async function createMcpToolset(server: Client | McpServerSettings, settings: McpToolsetSettings = {}): Promise<McpToolset> {
  checkSettings(settings);
  const requestTimeoutMs = positiveInteger(settings.requestTimeoutMs, 'requestTimeoutMs', defaultRequestTimeoutMs);
  const connectTimeoutMs = positiveInteger(settings.connectTimeoutMs, 'connectTimeoutMs', defaultConnectTimeoutMs);
  const maxListPages = positiveInteger(settings.maxListPages, 'maxListPages', defaultMaxListPages);
  if (typeof server !== 'object' || server === null) {
    throw new McpToolsetError('INVALID_SETTINGS', `createMcpToolset: the server must be an MCP Client or connection settings, got ${JSON.stringify(server)}.`);
  }

  let connection: Connection;
  if (isClient(server)) {
    if (server.getServerCapabilities() === undefined) {
      throw new McpToolsetError('INVALID_SETTINGS', 'createMcpToolset: the Client is not connected; call `await client.connect(transport)` first, or pass connection settings.');
    }
    connection = { client: server, label: server.getServerVersion()?.name ?? 'MCP server', close: async () => {} };
  } else {
    connection = await connect(server, settings, connectTimeoutMs);
  }
  const { client } = connection;
  const serverInfo = client.getServerVersion();
  const serverLabel = serverInfo?.name === undefined ? connection.label : `"${serverInfo.name}"`;
  const ownsClient = !isClient(server);

  let closed = false;
  let connectionLost = false;
  const closeController = new AbortController();
  if (ownsClient) {
    client.onclose = () => {
      connectionLost = true;
    };
  }

  function connectionLostError(cause: unknown): McpToolsetError {
    return new McpToolsetError('CONNECTION_LOST', `The connection to MCP server ${serverLabel} is lost (${messageOf(cause)}).`, {
      cause,
      server: serverLabel,
      retryable: true,
    });
  }

  function callFailure(error: unknown, mcpName: string, toolName: string, signal: AbortSignal): ToolError {
    if (ToolError.isInstance(error)) return error;
    if (closed) {
      return new ToolError('TOOL_FAILED', `The MCP toolset of server ${serverLabel} is closed; tool "${mcpName}" can no longer be called.`, {
        toolName,
        cause: new McpToolsetError('TOOLSET_CLOSED', 'The toolset was closed.', { cause: error, server: serverLabel }),
      });
    }
    if (signal.aborted) return new ToolError('ABORTED', `The call of MCP tool "${mcpName}" was cancelled.`, { toolName, cause: error });
    const code = errorCode(error);
    if (code === ErrorCode.RequestTimeout) {
      return new ToolError(
        'TOOL_TIMEOUT',
        `MCP server ${serverLabel} did not answer the call of "${mcpName}" within ${requestTimeoutMs} ms (the toolset's requestTimeoutMs).`,
        { toolName, cause: error },
      );
    }
    if (isTransportFailure(error) || connectionLost) {
      const lost = connectionLostError(error);
      return new ToolError('TOOL_FAILED', `${lost.message} Tool "${mcpName}" could not be called.`, { toolName, cause: lost });
    }
    if (typeof code === 'number' && code < 0) {
      return new ToolError('TOOL_FAILED', `MCP server ${serverLabel} refused the call of "${mcpName}": ${messageOf(error)}`, { toolName, cause: error });
    }
    return new ToolError('TOOL_FAILED', `The call of "${mcpName}" on MCP server ${serverLabel} failed: ${messageOf(error)}`, { toolName, cause: error });
  }

  async function callTool(mcpName: string, toolName: string, input: unknown, context: ToolExecutionContext): Promise<unknown> {
    if (closed) throw callFailure(new Error('closed'), mcpName, toolName, context.abortSignal);
    let result: CallToolResult | { toolResult: unknown };
    try {
      result = await client.callTool({ name: mcpName, arguments: input as Record<string, unknown> }, undefined, {
        signal: context.abortSignal,
        timeout: requestTimeoutMs,
      });
    } catch (error) {
      throw callFailure(error, mcpName, toolName, context.abortSignal);
    }
    // Servers of protocol version 2024-10-07 answer with `toolResult`.
    if ('toolResult' in result) return result.toolResult;
    return unwrapToolResult(result, toolName);
  }

  function toTool(mcpTool: McpTool): AnyTool {
    const name = settings.prefix === undefined ? mcpTool.name : `${settings.prefix}.${mcpTool.name}`;
    return jsonSchemaTool({
      name,
      description: mcpTool.description ?? mcpTool.title ?? mcpTool.annotations?.title ?? '',
      inputSchema: mcpTool.inputSchema,
      ...(mcpTool.outputSchema === undefined ? {} : { outputSchema: mcpTool.outputSchema }),
      needsApproval: settings.needsApproval?.(mcpTool) ?? false,
      execute: (input, context) => callTool(mcpTool.name, name, input, context),
    });
  }

  async function listTools(): Promise<McpTool[]> {
    const listed: McpTool[] = [];
    const cursors = new Set<string>();
    let cursor: string | undefined;
    for (let page = 1; ; page++) {
      let result;
      try {
        result = await client.listTools(cursor === undefined ? undefined : { cursor }, { signal: closeController.signal, timeout: requestTimeoutMs });
      } catch (error) {
        if (connectionLost || isTransportFailure(error)) throw connectionLostError(error);
        throw new McpToolsetError('LIST_TOOLS_FAILED', `tools/list of MCP server ${serverLabel} failed: ${messageOf(error)}`, { cause: error, server: serverLabel, retryable: true });
      }
      listed.push(...result.tools);
      const next = result.nextCursor;
      if (next === undefined) return listed;
      if (cursors.has(next)) {
        throw new McpToolsetError('LIST_TOOLS_FAILED', `tools/list of MCP server ${serverLabel} repeated the cursor ${JSON.stringify(next.slice(0, 100))} (page ${page}).`, {
          server: serverLabel,
        });
      }
      if (page >= maxListPages) {
        throw new McpToolsetError(
          'LIST_TOOLS_FAILED',
          `tools/list of MCP server ${serverLabel} has more than ${maxListPages} pages; raise maxListPages to follow more.`,
          { server: serverLabel },
        );
      }
      cursors.add(next);
      cursor = next;
    }
  }

  function buildSnapshot(listed: readonly McpTool[]): Snapshot {
    const tools: AnyTool[] = [];
    const skipped: McpSkippedTool[] = [];
    const names = new Set<string>();
    for (const mcpTool of listed) {
      if (settings.include !== undefined && !settings.include(mcpTool)) continue;
      if (names.has(mcpTool.name)) {
        skipped.push({ name: mcpTool.name, reason: 'The server listed this name more than once; the first one is kept.' });
        continue;
      }
      names.add(mcpTool.name);
      if (mcpTool.execution?.taskSupport === 'required') {
        skipped.push({ name: mcpTool.name, reason: 'The tool can only run as an MCP task, which codecall does not call.' });
        continue;
      }
      try {
        tools.push(toTool(mcpTool));
      } catch (error) {
        skipped.push({ name: mcpTool.name, reason: messageOf(error) });
      }
    }
    return Object.freeze({ toolset: createToolset(tools), tools: Object.freeze(tools), skipped: Object.freeze(skipped) });
  }

  function closedError(): McpToolsetError {
    return new McpToolsetError('TOOLSET_CLOSED', `The MCP toolset of server ${serverLabel} is closed; create a new one.`, { server: serverLabel });
  }

  function reportRefreshError(error: unknown): void {
    if (settings.onRefreshError !== undefined) {
      try {
        settings.onRefreshError(error);
      } catch {
        // The error handler's own failure has nowhere better to go.
      }
      return;
    }
    process.emitWarning(`@codecall/mcp: re-listing the tools of MCP server ${serverLabel} failed: ${messageOf(error)}`, 'McpToolsetWarning');
  }

  // Empty until the first listing, which createMcpToolset awaits before it returns.
  let snapshot: Snapshot = buildSnapshot([]);
  let listedOnce = false;
  // At most one listing runs and at most one waits: refreshes asked for meanwhile share the waiting
  // one, which starts after the running one (whose answer may predate the change).
  let running: Promise<unknown> = Promise.resolve();
  let queued: Promise<Toolset> | undefined;
  function refresh(): Promise<Toolset> {
    if (closed) return Promise.reject(closedError());
    if (queued !== undefined) return queued;
    const next = running
      .catch(() => {})
      .then(async () => {
        queued = undefined;
        const listed = await listTools();
        if (closed) throw closedError();
        snapshot = buildSnapshot(listed);
        const initial = !listedOnce;
        listedOnce = true;
        if (!initial) {
          try {
            settings.onToolsChanged?.(snapshot.toolset);
          } catch (error) {
            reportRefreshError(error);
          }
        }
        return snapshot.toolset;
      });
    queued = next;
    running = next;
    return next;
  }

  // Listening starts before the first listing, so that a change during it queues one more listing.
  const refreshOnListChanged = settings.refreshOnListChanged ?? true;
  if (refreshOnListChanged) {
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      if (closed) return;
      refresh().catch((error: unknown) => {
        if (!closed) reportRefreshError(error);
      });
    });
  }

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= (async () => {
      closed = true;
      closeController.abort(new McpToolsetError('TOOLSET_CLOSED', 'The toolset was closed.', { server: serverLabel }));
      if (refreshOnListChanged) client.removeNotificationHandler(listChangedMethod);
      await connection.close();
    })();
    return closing;
  }

  try {
    await refresh();
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }

  return Object.freeze({
    get toolset() {
      return snapshot.toolset;
    },
    get tools() {
      return snapshot.tools;
    },
    get skippedTools() {
      return snapshot.skipped;
    },
    client,
    serverInfo,
    instructions: client.getInstructions(),
    get closed() {
      return closed;
    },
    refresh,
    close,
    [Symbol.asyncDispose]: close,
  });
}
