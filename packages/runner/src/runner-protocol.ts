import type { RunError } from '@codecall/core';

/**
 * Version of the runner protocol spoken by the runner programs in `runner/` and by every host that
 * drives them (the subprocess adapter, the E2B adapter). Sent in `ready` and `start`; a runner
 * refuses a `start` of another version with `fatal`.
 */
export const runnerProtocolVersion = 1;

/** One tool the runner installs as a global async function. */
export interface RunnerToolDescriptor {
  /** The tool's own name, reported back in `call`. */
  readonly name: string;
  /** The global function name guest code calls it by. */
  readonly identifier: string;
}

/** Host → runner: run this code (once per run). */
export interface RunnerStartMessage {
  readonly t: 'start';
  /** Protocol version; must equal `runnerProtocolVersion`. */
  readonly v: number;
  /** Language of `code` (`javascript`/`typescript` for the node runner, `python` for the python one). */
  readonly language: 'javascript' | 'typescript' | 'python';
  /** The guest program. */
  readonly code: string;
  /** Tools to install. */
  readonly tools: readonly RunnerToolDescriptor[];
  /** Limits the runner applies while serializing and printing. */
  readonly limits: {
    /** Largest JSON text of one value, in UTF-8 bytes. */
    readonly maxValueBytes: number;
    /** Bytes of guest stdout+stderr the runner forwards; past it output is dropped. */
    readonly maxOutputBytes: number;
  };
  /** When true the runner waits for another `start` after this run instead of exiting. Default false. */
  readonly reuse?: boolean;
}

/** Host → runner: the answer to one `call`. */
export type RunnerResultMessage =
  | {
      readonly t: 'result';
      /** Id of the call being answered. */
      readonly id: number;
      readonly ok: true;
      /** The tool's output as JSON text; absent when the tool returned nothing. */
      readonly output?: string;
    }
  | {
      readonly t: 'result';
      /** Id of the call being answered. */
      readonly id: number;
      readonly ok: false;
      /** `ToolErrorCode` the guest sees on its `ToolError`. */
      readonly code: string;
      /** Message of the guest's `ToolError`. */
      readonly message: string;
    };

/** Runner → host: the interpreter is up and the runner loaded, waiting for `start`. */
export interface RunnerReadyMessage {
  readonly t: 'ready';
  /** Protocol version the runner speaks. */
  readonly v: number;
  /** `node` or `python`. */
  readonly runtime: string;
  /** Version of the interpreter. */
  readonly version: string;
  /** Process id of the runner as it sees itself (inside a PID namespace: its namespace pid). */
  readonly pid: number;
}

/** Runner → host: a chunk of guest output. */
export interface RunnerOutputMessage {
  readonly t: 'out';
  /** 1 for stdout, 2 for stderr. */
  readonly fd: 1 | 2;
  /** The text (UTF-8 when measured). */
  readonly d: string;
  /** Set when the runner dropped output past `maxOutputBytes` (this chunk may be cut short). */
  readonly truncated?: boolean;
}

/** Runner → host: guest code called a tool. */
export interface RunnerCallMessage {
  readonly t: 'call';
  /** Call id, unique within the run, answered by a `result` with the same id. */
  readonly id: number;
  /** The tool's name (not its identifier). */
  readonly name: string;
  /** The input as JSON text; absent when the guest passed no argument. */
  readonly input?: string;
}

/** Runner → host: the run finished; final message of the run. */
export interface RunnerDoneMessage {
  readonly t: 'done';
  /** The return value as JSON text; absent when there is none. */
  readonly value?: string;
}

/** Runner → host: the guest failed; final message of the run. */
export interface RunnerErrorMessage {
  readonly t: 'error';
  /** The failure, in the shape of `RunError`. */
  readonly error: RunError;
}

/** Runner → host: the runner cannot go on (bad input, unsupported version); it exits next. */
export interface RunnerFatalMessage {
  readonly t: 'fatal';
  /** What went wrong. */
  readonly message: string;
}

/** Every message a host may send to a runner. */
export type HostToRunnerMessage = RunnerStartMessage | RunnerResultMessage;

/** Every message a runner may send to its host. */
export type RunnerToHostMessage =
  | RunnerReadyMessage
  | RunnerOutputMessage
  | RunnerCallMessage
  | RunnerDoneMessage
  | RunnerErrorMessage
  | RunnerFatalMessage;

/** Encodes one message as a JSON line (with its trailing `\n`). */
export function encodeRunnerMessage(message: HostToRunnerMessage | RunnerToHostMessage): string {
  return `${JSON.stringify(message)}\n`;
}

/** Why `parseRunnerMessage` refused a line. */
export interface RunnerProtocolViolation {
  /** What is wrong with the line. */
  readonly violation: string;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const optionalString = (value: unknown): boolean => value === undefined || typeof value === 'string';

/**
 * Parses and validates one line a runner wrote. Anything that is not a well-formed
 * `RunnerToHostMessage` comes back as a violation; the host then ends the run as
 * `SANDBOX_CRASHED`.
 */
export function parseRunnerMessage(line: string): RunnerToHostMessage | RunnerProtocolViolation {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { violation: 'a line that is not JSON' };
  }
  if (!isObject(value)) return { violation: 'a line that is not a JSON object' };
  switch (value['t']) {
    case 'out':
      if ((value['fd'] === 1 || value['fd'] === 2) && typeof value['d'] === 'string') return value as unknown as RunnerOutputMessage;
      break;
    case 'call':
      if (Number.isSafeInteger(value['id']) && typeof value['name'] === 'string' && optionalString(value['input'])) return value as unknown as RunnerCallMessage;
      break;
    case 'done':
      if (optionalString(value['value'])) return value as unknown as RunnerDoneMessage;
      break;
    case 'error':
      if (isObject(value['error']) && typeof value['error']['code'] === 'string') return value as unknown as RunnerErrorMessage;
      break;
    case 'ready':
      if (typeof value['v'] === 'number') return value as unknown as RunnerReadyMessage;
      break;
    case 'fatal':
      if (typeof value['message'] === 'string') return value as unknown as RunnerFatalMessage;
      break;
    default:
      return { violation: `an unknown message type ${JSON.stringify(String(value['t'])).slice(0, 40)}` };
  }
  return { violation: `a malformed "${String(value['t'])}" message` };
}

/** Settings of `JsonLinesDecoder`. */
export interface JsonLinesDecoderSettings {
  /** Longest line accepted, in UTF-16 code units; a longer one is a protocol violation. Default 64 MiB. */
  readonly maxLineLength?: number;
}

/**
 * Splits a byte or text stream into lines, whatever the chunk boundaries (E2B delivers stdout in
 * arbitrary chunks, a pipe in up to 64 KiB pieces). UTF-8 sequences split across chunks are
 * reassembled. Empty lines are skipped.
 */
export class JsonLinesDecoder {
  readonly #maxLineLength: number;
  readonly #utf8 = new TextDecoder('utf-8');
  #pending: string[] = [];
  #pendingLength = 0;

  constructor(settings: JsonLinesDecoderSettings = {}) {
    this.#maxLineLength = settings.maxLineLength ?? 64 * 1024 * 1024;
  }

  /**
   * Feeds one chunk and returns the complete lines it finished (without `\n`). Throws a
   * `RangeError` when a line grows past `maxLineLength`.
   */
  push(chunk: Uint8Array | string): string[] {
    const text = typeof chunk === 'string' ? chunk : this.#utf8.decode(chunk, { stream: true });
    const lines: string[] = [];
    let start = 0;
    let newline = text.indexOf('\n');
    while (newline >= 0) {
      const piece = text.slice(start, newline);
      const line = this.#pending.length === 0 ? piece : this.#pending.join('') + piece;
      this.#pending = [];
      this.#pendingLength = 0;
      if (line.length > this.#maxLineLength) throw new RangeError(`A protocol line exceeds ${this.#maxLineLength} characters.`);
      if (line.length > 0) lines.push(line);
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    if (start < text.length) {
      const rest = start === 0 ? text : text.slice(start);
      this.#pending.push(rest);
      this.#pendingLength += rest.length;
      if (this.#pendingLength > this.#maxLineLength) throw new RangeError(`A protocol line exceeds ${this.#maxLineLength} characters.`);
    }
    return lines;
  }

  /** Characters buffered of an unfinished line. */
  get pendingLength(): number {
    return this.#pendingLength;
  }
}
