import type { RunError, SandboxValidationPolicyV1 } from '@codecall/core';

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
  /**
   * The input schema's properties in declaration order, when it lists them: the python runner maps
   * positional arguments onto the required ones and accepts the others as keywords.
   */
  readonly parameters?: readonly { readonly name: string; readonly required: boolean }[];
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
  /**
   * With `reuse`: the code is the host's own (a rehearsal), not a guest's, so the runner may write
   * `idle` without undoing or checking what the run changed. The node runner then skips the
   * baseline of its globals that reuse otherwise needs (reading every global's descriptor loads
   * Node's lazy ones, about 20 ms of CPU in a fresh process) and takes it at the first run with
   * `reuse` that is not trusted. Default false.
   */
  readonly trusted?: boolean;
  /**
   * Python only: the validation rules (`SandboxValidationPolicyV1['python']`) the runner checks the
   * code against with `ast` before running any of it. Absent: no validation.
   */
  readonly validation?: SandboxValidationPolicyV1['python'];
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

/**
 * Runner → host, only when `start` said `reuse`: after its final message the runner ended
 * everything the run left behind (timers, threads, child processes, added globals) and waits for
 * the next `start`. A runner that cannot clean up exits instead.
 */
export interface RunnerIdleMessage {
  readonly t: 'idle';
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
  | RunnerFatalMessage
  | RunnerIdleMessage;

/** Encodes one message as a JSON line (with its trailing `\n`). */
export function encodeRunnerMessage(message: HostToRunnerMessage | RunnerToHostMessage): string {
  return `${JSON.stringify(message)}\n`;
}

/** Why `parseRunnerMessage` refused a line. */
export interface RunnerProtocolViolation {
  /** What is wrong with the line. */
  readonly violation: string;
}

/**
 * Structural bounds of one runner → host message, checked before and while it is parsed. Every
 * message of protocol v1 fits them with room to spare (values travel as JSON *text* inside strings,
 * never as nested JSON), so a line past them was not written by an honest runner.
 */
export const runnerMessageBounds: {
  /** Deepest nesting of objects and arrays (`{"t":"error","error":{…}}` is 2). */
  readonly maxDepth: number;
  /** Objects and arrays in one message. */
  readonly maxContainers: number;
  /** Members (keys and array items) in one message. */
  readonly maxMembers: number;
  /** Longest tool name in a `call`, in UTF-16 code units. */
  readonly maxNameLength: number;
  /** Longest `error.message` in an `error` message, in UTF-16 code units. */
  readonly maxErrorMessageLength: number;
  /** Longest `error.name`, `error.toolErrorCode`, `ready.runtime` and `ready.version`, in UTF-16 code units. */
  readonly maxLabelLength: number;
} = Object.freeze({
  maxDepth: 4,
  maxContainers: 8,
  maxMembers: 32,
  maxNameLength: 256,
  maxErrorMessageLength: 16 * 1024,
  maxLabelLength: 256,
});

const runErrorCodes: ReadonlySet<string> = new Set(['SYNTAX_ERROR', 'RUNTIME_ERROR', 'TOOL_ERROR', 'TIMEOUT', 'MEMORY_LIMIT', 'OUTPUT_LIMIT', 'ABORTED', 'SANDBOX_CRASHED', 'VALIDATION_ERROR']);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const optionalString = (value: unknown): boolean => value === undefined || typeof value === 'string';
const boundedString = (value: unknown, max: number): value is string => typeof value === 'string' && value.length <= max;

/**
 * Index of the quote that closes the JSON string opened at `open`, or -1. Plain text is skipped by
 * `indexOf` from quote to quote. Once escaped quotes come densely (JSON text inside a string, where
 * every key is quoted: at least 64, on average one per 32 characters or closer), the rest is read
 * character by character, which is cheaper than an `indexOf` per quote: 24 against 81 ms for a
 * 24 MB line of escaped quotes on the development VM, the same for plain text.
 */
function closingQuote(line: string, open: number): number {
  let index = open + 1;
  let escapedQuotes = 0;
  for (;;) {
    const end = line.indexOf('"', index);
    if (end < 0) return -1;
    // A closing quote is not preceded by an odd number of backslashes.
    let backslashes = 0;
    while (line.charCodeAt(end - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return end;
    index = end + 1;
    escapedQuotes++;
    if (escapedQuotes >= 64 && index - open < escapedQuotes * 32) break;
  }
  // `index` follows an escaped quote, so it starts a character, never the middle of an escape.
  for (; index < line.length; index++) {
    const code = line.charCodeAt(index);
    if (code === 0x5c) index++;
    else if (code === 0x22) return index;
  }
  return -1;
}

/**
 * Checks the structure of a JSON text without building it: nesting depth, number of objects and
 * arrays, number of members. Strings are skipped without allocating (`closingQuote`), so the cost
 * is one pass over the line. Returns a violation, or `undefined` when within bounds.
 */
export function checkRunnerMessageShape(line: string): RunnerProtocolViolation | undefined {
  let depth = 0;
  let containers = 0;
  let members = 0;
  for (let index = 0; index < line.length; index++) {
    const code = line.charCodeAt(index);
    if (code === 0x22) {
      const end = closingQuote(line, index);
      if (end < 0) return { violation: 'a line with an unterminated string' };
      index = end;
    } else if (code === 0x7b || code === 0x5b) {
      depth++;
      containers++;
      if (depth > runnerMessageBounds.maxDepth) return { violation: `a message nested deeper than ${runnerMessageBounds.maxDepth} levels` };
      if (containers > runnerMessageBounds.maxContainers) return { violation: `a message with more than ${runnerMessageBounds.maxContainers} objects and arrays` };
    } else if (code === 0x7d || code === 0x5d) {
      depth--;
    } else if (code === 0x2c || code === 0x3a) {
      members++;
      if (members > runnerMessageBounds.maxMembers * 2) return { violation: `a message with more than ${runnerMessageBounds.maxMembers} members` };
    }
  }
  return undefined;
}

function checkError(error: unknown): boolean {
  if (!isObject(error)) return false;
  if (typeof error['code'] !== 'string' || !runErrorCodes.has(error['code'])) return false;
  if (!boundedString(error['name'], runnerMessageBounds.maxLabelLength)) return false;
  if (!boundedString(error['message'], runnerMessageBounds.maxErrorMessageLength)) return false;
  if (error['line'] !== undefined && !(Number.isSafeInteger(error['line']) && (error['line'] as number) > 0)) return false;
  if (error['toolErrorCode'] !== undefined && !boundedString(error['toolErrorCode'], runnerMessageBounds.maxLabelLength)) return false;
  return true;
}

const callLinePrefix = '{"t":"call","id":';
const callLineName = ',"name":"';
const callLineInput = ',"input":';
/** Whether `text` holds no backslash, double quote or control character: JSON string content as it stands. */
function isPlainText(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x22 || code === 0x5c) return false;
  }
  return true;
}

/**
 * A `call` line exactly as the runners write one (`{"t":"call","id":7,"name":"x","input":"…"}`,
 * keys in that order, no spaces, a name without escapes), read without `JSON.parse` of the whole
 * line: the id's digits, the name as it stands and the input as one JSON string. `undefined` for
 * anything else, which then takes the general path; every line this accepts, the general path
 * accepts too, as the same message. A call is the one message a run sends many of (one per tool
 * call), and this saves it the structure scan, the generic parse and a copy.
 */
function parseCallLine(line: string): RunnerCallMessage | undefined {
  let index = callLinePrefix.length;
  const digits = index;
  let id = 0;
  for (; index < line.length; index++) {
    const code = line.charCodeAt(index);
    if (code < 0x30 || code > 0x39) break;
    id = id * 10 + (code - 0x30);
  }
  // 1 to 15 digits without a leading zero: a JSON number that is a positive safe integer.
  if (index === digits || index - digits > 15 || line.charCodeAt(digits) === 0x30) return undefined;
  if (!line.startsWith(callLineName, index)) return undefined;
  const nameStart = index + callLineName.length;
  const nameEnd = line.indexOf('"', nameStart);
  if (nameEnd < 0 || nameEnd - nameStart > runnerMessageBounds.maxNameLength) return undefined;
  const name = line.slice(nameStart, nameEnd);
  if (!isPlainText(name)) return undefined;
  const last = line.length - 1;
  if (line.charCodeAt(last) !== 0x7d) return undefined;
  if (nameEnd + 1 === last) return { t: 'call', id, name };
  if (!line.startsWith(callLineInput, nameEnd + 1) || line.charCodeAt(nameEnd + 1 + callLineInput.length) !== 0x22) return undefined;
  let input: unknown;
  try {
    input = JSON.parse(line.slice(nameEnd + 1 + callLineInput.length, last));
  } catch {
    return undefined;
  }
  return typeof input === 'string' ? { t: 'call', id, name, input } : undefined;
}

/**
 * Parses and validates one line a runner wrote. The line's structure is checked before it is
 * parsed (`checkRunnerMessageShape`), then every field of its type: anything that is not a
 * well-formed `RunnerToHostMessage` within `runnerMessageBounds` comes back as a violation, and the
 * host ends the run as `SANDBOX_CRASHED`. Unknown fields are ignored (and not returned).
 */
export function parseRunnerMessage(line: string): RunnerToHostMessage | RunnerProtocolViolation {
  if (line.startsWith(callLinePrefix)) {
    const call = parseCallLine(line);
    if (call !== undefined) return call;
  }
  const shape = checkRunnerMessageShape(line);
  if (shape !== undefined) return shape;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { violation: 'a line that is not JSON' };
  }
  if (!isObject(value)) return { violation: 'a line that is not a JSON object' };
  switch (value['t']) {
    case 'out':
      if ((value['fd'] === 1 || value['fd'] === 2) && typeof value['d'] === 'string' && (value['truncated'] === undefined || typeof value['truncated'] === 'boolean')) {
        return value['truncated'] === true ? { t: 'out', fd: value['fd'], d: value['d'], truncated: true } : { t: 'out', fd: value['fd'], d: value['d'] };
      }
      break;
    case 'call':
      if (Number.isSafeInteger(value['id']) && (value['id'] as number) > 0 && boundedString(value['name'], runnerMessageBounds.maxNameLength) && optionalString(value['input'])) {
        const id = value['id'] as number;
        return value['input'] === undefined ? { t: 'call', id, name: value['name'] } : { t: 'call', id, name: value['name'], input: value['input'] as string };
      }
      break;
    case 'done':
      if (optionalString(value['value'])) return value['value'] === undefined ? { t: 'done' } : { t: 'done', value: value['value'] as string };
      break;
    case 'error':
      if (checkError(value['error'])) {
        const error = value['error'] as Record<string, unknown>;
        return {
          t: 'error',
          error: {
            code: error['code'] as RunError['code'],
            name: error['name'] as string,
            message: error['message'] as string,
            ...(error['line'] === undefined ? {} : { line: error['line'] as number }),
            ...(error['toolErrorCode'] === undefined ? {} : { toolErrorCode: error['toolErrorCode'] as string }),
            // The rule and name of a VALIDATION_ERROR; core keeps them only when well formed.
            ...(isObject(error['validation']) && boundedString(error['validation']['rule'], runnerMessageBounds.maxLabelLength) && boundedString(error['validation']['name'], runnerMessageBounds.maxLabelLength)
              ? { validation: { rule: error['validation']['rule'] as NonNullable<RunError['validation']>['rule'], name: error['validation']['name'] } }
              : {}),
          },
        };
      }
      break;
    case 'idle':
      return { t: 'idle' };
    case 'ready':
      if (typeof value['v'] === 'number' && boundedString(value['runtime'], runnerMessageBounds.maxLabelLength) && boundedString(value['version'], runnerMessageBounds.maxLabelLength) && Number.isSafeInteger(value['pid'])) {
        return { t: 'ready', v: value['v'], runtime: value['runtime'], version: value['version'], pid: value['pid'] as number };
      }
      break;
    case 'fatal':
      if (typeof value['message'] === 'string') return { t: 'fatal', message: value['message'].slice(0, 1_000) };
      break;
    default:
      return { violation: `an unknown message type ${JSON.stringify(String(value['t'])).slice(0, 40)}` };
  }
  return { violation: `a malformed "${String(value['t']).slice(0, 20)}" message` };
}

/** Settings of `JsonLinesDecoder`. */
export interface JsonLinesDecoderSettings {
  /** Longest line accepted, in UTF-8 bytes (without its `\n`); a longer one is a protocol violation. Default 64 MiB. */
  readonly maxLineBytes?: number;
}

/** Thrown by `JsonLinesDecoder.push` when a line grows past `maxLineBytes`. */
export class RunnerLineTooLongError extends RangeError {
  /** The bound that was passed, in bytes. */
  readonly maxLineBytes: number;

  constructor(maxLineBytes: number) {
    super(`A protocol line is longer than ${maxLineBytes} bytes.`);
    this.name = 'RunnerLineTooLongError';
    this.maxLineBytes = maxLineBytes;
  }
}

const newline = 0x0a;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

/**
 * Splits a byte or text stream into lines, whatever the chunk boundaries (E2B delivers stdout in
 * arbitrary chunks, a pipe in up to 64 KiB pieces). Lines are cut on bytes and decoded whole, so
 * UTF-8 sequences split across chunks come out right. Empty lines are skipped. An unfinished line
 * is never kept past `maxLineBytes`: the decoder throws as soon as it would be.
 */
export class JsonLinesDecoder {
  readonly #maxLineBytes: number;
  // The unfinished line's bytes so far, in one buffer grown by doubling: a chunk per byte (a
  // writer that sends a line a byte at a time) then costs its byte, not a buffer of its own.
  #pending: Uint8Array = new Uint8Array(0);
  #pendingBytes = 0;
  #failed = false;

  constructor(settings: JsonLinesDecoderSettings = {}) {
    this.#maxLineBytes = settings.maxLineBytes ?? 64 * 1024 * 1024;
  }

  /**
   * Feeds one chunk and returns the complete lines it finished (without `\n`). Throws a
   * `RunnerLineTooLongError` when a line grows past `maxLineBytes`; the decoder is unusable after.
   */
  push(chunk: Uint8Array | string): string[] {
    if (this.#failed) throw new RunnerLineTooLongError(this.#maxLineBytes);
    const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
    const lines: string[] = [];
    let start = 0;
    let end = bytes.indexOf(newline);
    while (end >= 0) {
      const pieceBytes = end - start;
      if (this.#pendingBytes + pieceBytes > this.#maxLineBytes) this.#fail();
      if (this.#pendingBytes === 0) {
        if (pieceBytes > 0) lines.push(decoder.decode(bytes.subarray(start, end)));
      } else {
        this.#append(bytes.subarray(start, end));
        lines.push(decoder.decode(this.#pending.subarray(0, this.#pendingBytes)));
        this.#pendingBytes = 0;
        // A buffer grown for a long line is not kept for the short ones after it.
        if (this.#pending.length > keptBufferBytes) this.#pending = new Uint8Array(0);
      }
      start = end + 1;
      end = bytes.indexOf(newline, start);
    }
    if (start < bytes.length) {
      if (this.#pendingBytes + (bytes.length - start) > this.#maxLineBytes) this.#fail();
      // A copy: the transport may reuse its buffer.
      this.#append(bytes.subarray(start));
    }
    return lines;
  }

  /** Bytes buffered of an unfinished line. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  #append(piece: Uint8Array): void {
    const needed = this.#pendingBytes + piece.length;
    if (needed > this.#pending.length) {
      const grown = new Uint8Array(Math.min(this.#maxLineBytes, Math.max(needed, this.#pending.length * 2, 1024)));
      grown.set(this.#pending.subarray(0, this.#pendingBytes));
      this.#pending = grown;
    }
    this.#pending.set(piece, this.#pendingBytes);
    this.#pendingBytes = needed;
  }

  #fail(): never {
    this.#failed = true;
    this.#pending = new Uint8Array(0);
    this.#pendingBytes = 0;
    throw new RunnerLineTooLongError(this.#maxLineBytes);
  }
}

// Largest buffer of an unfinished line that is kept once its line is complete.
const keptBufferBytes = 1024 * 1024;
