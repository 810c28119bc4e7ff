import { randomBytes } from 'node:crypto';
import { createToolset, jsonSchemaTool, runCode, ToolError } from '@codecall/core';
import type { JsonSchemaObject, RunResult, SandboxLanguage, SandboxV1, ToolErrorCode } from '@codecall/core';

/** A nested call the running code is waiting on. */
export interface PendingCall {
  /** `tool_use` id given to the client. */
  readonly id: string;
  /** Tool name. */
  readonly name: string;
  /** Input the code passed. */
  readonly input: unknown;
}

/** What a run did next: made calls (and waits on them), or finished. */
export type RunProgress = { readonly type: 'calls'; readonly calls: readonly PendingCall[] } | { readonly type: 'done'; readonly result: RunResult };

interface Waiting extends PendingCall {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

const toolErrorCodes = new Set<string>(['INVALID_INPUT', 'INVALID_OUTPUT', 'UNKNOWN_TOOL', 'DENIED', 'TOOL_FAILED', 'TOOL_TIMEOUT', 'TOOL_CALL_LIMIT', 'VALUE_TOO_LARGE', 'ABORTED']);

function newId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('base64url')}`;
}

/** Settings of one emulated code run. */
export interface EmulatedRunSettings {
  readonly sandbox: SandboxV1;
  readonly language: SandboxLanguage;
  readonly code: string;
  /** Tools the code may call, as offered in the request. */
  readonly tools: readonly { readonly name: string; readonly description: string; readonly inputSchema: JsonSchemaObject | undefined }[];
  /** How long the run may take in total, client round trips included, in milliseconds. */
  readonly timeoutMs: number;
  /** Quiet time after a call before the batch of calls is returned, in milliseconds. */
  readonly batchWindowMs: number;
}

/**
 * One run of the policy's code in the hosted-code-execution emulation. Nested tool calls pause
 * the run: they are collected into a batch (calls started together arrive together), handed to
 * the client as `tool_use` blocks, and resumed when the client's `tool_result`s arrive.
 */
export class EmulatedRun {
  /** `server_tool_use` id of the run. */
  readonly id: string = newId('srvtoolu_');
  readonly #waiting = new Map<string, Waiting>();
  #fresh: PendingCall[] = [];
  #result: RunResult | undefined;
  #notify: (() => void) | undefined;
  readonly #batchWindowMs: number;
  readonly #controller = new AbortController();

  constructor(settings: EmulatedRunSettings) {
    this.#batchWindowMs = settings.batchWindowMs;
    const tools = createToolset(
      settings.tools.map((tool) =>
        jsonSchemaTool({
          name: tool.name,
          description: tool.description,
          inputSchema: tool.inputSchema ?? { type: 'object' },
          execute: (input) =>
            new Promise((resolve, reject) => {
              const call: Waiting = { id: newId('toolu_'), name: tool.name, input, resolve, reject };
              this.#waiting.set(call.id, call);
              this.#fresh.push({ id: call.id, name: call.name, input: call.input });
              this.#notify?.();
            }),
        }),
      ),
    );
    void runCode({
      sandbox: settings.sandbox,
      tools,
      code: settings.code,
      language: settings.language,
      limits: { timeoutMs: settings.timeoutMs, toolTimeoutMs: settings.timeoutMs },
      abortSignal: this.#controller.signal,
    }).then(
      (result) => {
        this.#result = result;
        this.#notify?.();
      },
      (error: unknown) => {
        this.#result = {
          type: 'error',
          error: { code: 'SANDBOX_CRASHED', name: 'SandboxError', message: error instanceof Error ? error.message : String(error) },
          executionId: this.id,
          stdout: '',
          stderr: '',
          outputTruncated: false,
          toolCalls: [],
          durationMs: 0,
        };
        this.#notify?.();
      },
    );
  }

  /** Calls the code is still waiting on. */
  get pendingIds(): readonly string[] {
    return [...this.#waiting.keys()];
  }

  /**
   * Pending calls already handed to the client: a reply must answer each of them. Calls that
   * arrived after the last batch was returned are pending too, but go out in the next batch.
   */
  get deliveredPendingIds(): readonly string[] {
    const undelivered = new Set(this.#fresh.map((call) => call.id));
    return [...this.#waiting.keys()].filter((id) => !undelivered.has(id));
  }

  /** Answers a pending call with the client's `tool_result` (the code receives the text, unparsed). */
  answer(id: string, content: string, isError: boolean): boolean {
    const call = this.#waiting.get(id);
    if (call === undefined) return false;
    this.#waiting.delete(id);
    if (isError) {
      const match = /^Error \(([A-Z_]+)\): ([\s\S]*)$/.exec(content);
      const code = match !== null && toolErrorCodes.has(match[1]!) ? (match[1] as ToolErrorCode) : 'TOOL_FAILED';
      call.reject(new ToolError(code, match?.[2] ?? content, { toolName: call.name }));
    } else {
      // As in the real API, hosted code receives a tool result as the text the client sent:
      // the code parses JSON itself (json.loads).
      call.resolve(content);
    }
    return true;
  }

  /** Waits until the run finishes or a batch of new calls is complete. */
  async progress(): Promise<RunProgress> {
    for (;;) {
      if (this.#result !== undefined && this.#fresh.length === 0) return { type: 'done', result: this.#result };
      if (this.#fresh.length > 0) {
        // Calls started together (Promise.all / asyncio.gather) arrive within a short window.
        let count = -1;
        while (count !== this.#fresh.length && this.#result === undefined) {
          count = this.#fresh.length;
          await new Promise((resolve) => setTimeout(resolve, this.#batchWindowMs));
        }
        const calls = this.#fresh;
        this.#fresh = [];
        return { type: 'calls', calls };
      }
      await new Promise<void>((resolve) => {
        this.#notify = resolve;
      });
      this.#notify = undefined;
    }
  }

  /** Stops the run. */
  abort(): void {
    this.#controller.abort();
  }
}

/** A container of the emulation: an id, an expiry and the runs started in it. */
export class EmulatedContainer {
  readonly id: string = newId('container_');
  readonly runs: Map<string, EmulatedRun> = new Map();
  expiresAt: number;
  constructor(lifetimeMs: number) {
    this.expiresAt = Date.now() + lifetimeMs;
  }

  /** The run waiting on the call `toolUseId`, if any. */
  runWaitingOn(toolUseId: string): EmulatedRun | undefined {
    for (const run of this.runs.values()) if (run.pendingIds.includes(toolUseId)) return run;
    return undefined;
  }

  /** Whether any run waits on calls. */
  get hasPendingCalls(): boolean {
    for (const run of this.runs.values()) if (run.pendingIds.length > 0) return true;
    return false;
  }

  /** Stops every run. */
  close(): void {
    for (const run of this.runs.values()) run.abort();
  }
}
