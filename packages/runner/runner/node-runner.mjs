// codecall runner for node, runner protocol v1 (see the package README).
// Standard library only; started as
//   node [flags] node-runner.mjs [--language javascript|typescript] [--protocol-fds IN,OUT]
// Protocol messages are JSON lines: host -> runner on stdin, runner -> host on stdout. Guest output
// is framed into `out` messages; file descriptors 0 and 1 are re-pointed at /dev/null so that
// nothing the guest writes to them reaches the protocol stream.
/* global process, Buffer, console, performance, queueMicrotask, setImmediate */
import fs from 'node:fs';
import net from 'node:net';
import vm from 'node:vm';
import nodeModule from 'node:module';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import v8 from 'node:v8';

const PROTOCOL_VERSION = 1;
// The runner's own references: guest code can replace the globals (globalThis.JSON = …).
const jsonStringify = JSON.stringify;
const jsonParse = JSON.parse;
const nextTick = process.nextTick.bind(process);
// An honest guest may mock fs.readSync for its own code; the runner's poll keeps the real one.
const readSync = fs.readSync;

// Runtime warnings (e.g. for type stripping) are not guest output.
process.removeAllListeners('warning');
const GUEST_FILENAME = 'guest.js';

const languageArgument = process.argv.indexOf('--language');
const preloadLanguage = languageArgument >= 0 ? process.argv[languageArgument + 1] : 'javascript';

// --- channel -------------------------------------------------------------------------------

function reopen(fd, flags) {
  try {
    return fs.openSync(`/proc/self/fd/${fd}`, flags);
  } catch {
    return -1;
  }
}

let inFd = 0;
let outFd = 1;
const fdArgument = process.argv.indexOf('--protocol-fds');
if (fdArgument >= 0) {
  // The launcher already moved the protocol to these descriptors and pointed 0 and 1 at /dev/null.
  [inFd, outFd] = String(process.argv[fdArgument + 1]).split(',').map(Number);
} else {
  // Only stdin/stdout (e.g. E2B, docker): reopen them for the protocol, then point 0 and 1 at
  // /dev/null. Reopening works for pipes; for sockets it fails and the runner keeps 0 and 1.
  const reopenedIn = reopen(0, 'r');
  const reopenedOut = reopen(1, 'a');
  if (reopenedIn >= 0 && reopenedOut >= 0) {
    inFd = reopenedIn;
    outFd = reopenedOut;
    // The lowest free descriptor is reused by open(), so these land on 0 and 1.
    fs.closeSync(0);
    fs.openSync('/dev/null', 'r');
    fs.closeSync(1);
    fs.openSync('/dev/null', 'w');
  } else {
    if (reopenedIn >= 0) fs.closeSync(reopenedIn);
    if (reopenedOut >= 0) fs.closeSync(reopenedOut);
  }
}

function openStream(fd, readable) {
  try {
    return new net.Socket({ fd, readable, writable: !readable });
  } catch {
    return readable ? fs.createReadStream('', { fd }) : fs.createWriteStream('', { fd });
  }
}

const input = openStream(inFd, true);
const output = openStream(outFd, false);
output.on('error', () => process.exit(70));

// While the runner rehearses (below), its calls are answered here instead of by the host.
let rehearsing = false;

// The first call of a tick goes out at once; the rest of that tick's (the calls of a Promise.all,
// say) wait for the tick's end and go out together, in one write.
let batching = false;
const queued = [];
const maxQueuedCalls = 256;

function endBatch() {
  batching = false;
  if (queued.length > 0) output.write(queued.splice(0).join(''));
  pollForResults();
}

// An answer to a fast tool arrives within tens of microseconds, and waking a process that went to
// sleep waiting for it costs more than that on a VM. So once a tick's calls are out, the runner
// reads its protocol stream without blocking for up to POLL_MS before it returns to the event loop
// (and sleeps there), as the python runner does (_POLL_SECONDS). The poll is adaptive, as a spin
// lock's spinning is: a poll that ran out (a slow tool, or a busy machine where the host's answer
// takes longer) or was preempted (another process wanted this CPU) makes the next polls skip, twice
// as many each time up to MAX_SKIPPED_POLLS, so a slow tool or a loaded host costs the spinning of
// about one call in that many.
// Where the runner shares a CPU with its host, which the scheduler chooses on its own, spinning only
// keeps the host waiting for that CPU; the answer is there when the host had the CPU while the
// runner wrote (the host preempted it). The sign is an answer already there at a poll's first read:
// the runner then only peeks (one read, no spin) until an answer arrives while it spins again, which
// every PROBE_EVERY-th unanswered peek tries (a probe that runs out backs off as any poll does).
// Measured: the package README, "Inside the runners".
const POLL_MS = 0.05;
// A gap this long between two reads means the runner was not on a CPU.
const PREEMPTED_MS = 0.02;
const MAX_SKIPPED_POLLS = 64;
const PROBE_EVERY = 8;
const now = performance.now.bind(performance);
const pollBuffer = Buffer.allocUnsafe(64 * 1024);
// Only a non-blocking stream can be read here without blocking: net.Socket puts its descriptor in
// non-blocking mode (a pipe or a socket); the file-stream fallback's descriptor may block.
const canPoll = input instanceof net.Socket;
let pollsToSkip = 0;
let pollBackoff = 0;
let peeking = false;
let unansweredPeeks = 0;

// What pollUntilAnswered found.
const UNANSWERED = 0;
const ANSWERED_WHILE_POLLING = 1;
const ANSWERED_AT_FIRST_READ = 2;

function pollForResults() {
  const current = run;
  if (!canPoll || current === undefined || current.rehearsal || current.pending.size === 0) return;
  if (pollsToSkip > 0) {
    pollsToSkip--;
    return;
  }
  if (peeking && unansweredPeeks < PROBE_EVERY) {
    if (pollUntilAnswered(current, 0) === UNANSWERED) unansweredPeeks++;
    return;
  }
  unansweredPeeks = 0;
  const answered = pollUntilAnswered(current, POLL_MS);
  if (answered === ANSWERED_WHILE_POLLING) {
    peeking = false;
    pollBackoff = 0;
  } else if (answered === ANSWERED_AT_FIRST_READ) {
    peeking = true;
  } else {
    pollBackoff = Math.min(MAX_SKIPPED_POLLS, pollBackoff * 2 || 1);
    pollsToSkip = pollBackoff;
  }
}

/**
 * Reads the protocol stream until an answer for `current` arrived or `pollMs` passed (0: one read).
 * Returns UNANSWERED, ANSWERED_WHILE_POLLING, or ANSWERED_AT_FIRST_READ.
 */
function pollUntilAnswered(current, pollMs) {
  const waiting = current.pending.size;
  const deadline = now() + pollMs;
  let unansweredRead = false;
  // Every empty read throws (EAGAIN): without stack traces that costs about a microsecond.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    let previous = now();
    for (;;) {
      let bytes = -1;
      try {
        bytes = readSync(inFd, pollBuffer, 0, pollBuffer.length, null);
      } catch (error) {
        if (error?.code !== 'EAGAIN' && error?.code !== 'EWOULDBLOCK') return UNANSWERED;
      }
      // End of stream: the stream's own reader sees it too (it is where the runner handles it).
      if (bytes === 0) return UNANSWERED;
      if (bytes > 0) {
        receive(pollBuffer.subarray(0, bytes));
        if (run !== current || current.pending.size < waiting) return unansweredRead ? ANSWERED_WHILE_POLLING : ANSWERED_AT_FIRST_READ;
      }
      unansweredRead = true;
      const time = now();
      if (time >= deadline || time - previous > PREEMPTED_MS) return UNANSWERED;
      previous = time;
    }
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

function send(message) {
  const line = `${jsonStringify(message)}\n`;
  if (rehearsing) {
    if (message.t === 'call') queueMicrotask(() => handle(`{"t":"result","id":${message.id},"ok":true,"output":"{\\"i\\":1}"}`));
    return;
  }
  if (message.t !== 'call') {
    // Output (a guest that floods it may never end its tick) and everything else go out now,
    // after the calls queued before them.
    output.write(queued.length > 0 ? `${queued.splice(0).join('')}${line}` : line);
    return;
  }
  if (batching) {
    queued.push(line);
    // A guest calling in a loop without ever ending its tick still reaches the host (and its limits).
    if (queued.length >= maxQueuedCalls) output.write(queued.splice(0).join(''));
    return;
  }
  batching = true;
  output.write(line);
  nextTick(endBatch);
}

// A scavenge of the young generation, run between runs so that the next run starts with it empty:
// otherwise the first one tends to fall on that run's start (compiling its code), in a fresh
// process at the same point every time. Measured through the subprocess sandbox (one-shot pooled
// runs of 10 calls, runner files alternating in one process, 2026-12-05): from the host's
// `runCode` to the guest's first statement 0.80–0.96 ms with a scavenge there, 0.57–0.59 ms with
// this one before `idle`. `gc` comes from a context made while --expose-gc is briefly on; the
// runner's own context, and every context made after, never has it. Without it (a Node that
// refuses the flag at run time) nothing is collected ahead.
const collectYoung = (() => {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc');
    if (typeof gc === 'function') return () => gc({ type: 'minor' });
  } catch {
    // Fall through.
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
  return () => undefined;
})();

function becomeIdle() {
  collectYoung();
  send({ t: 'idle' });
}

function finish(message) {
  output.write(`${queued.splice(0).join('')}${jsonStringify(message)}\n`, () => {
    if (!reusable || inputEnded) process.exit(0);
    // Reuse: once the run's own callbacks have had a turn, undo what it changed, or retire.
    setImmediate(() => {
      if (run !== undefined) return;
      // No baseline yet: every reused run so far was trusted, and there is nothing to undo.
      if (baseline === undefined || cleanUpAfterRun()) becomeIdle();
      else process.exit(0);
    });
  });
}

// --- JSON semantics with a size budget -------------------------------------------------------

class BudgetExceeded extends Error {}

/** JSON text of `value` (JSON.stringify semantics), or a failure; budgeted while serializing. */
function toJson(value, maxBytes) {
  let budget = maxBytes;
  const replacer = function (key, item) {
    budget -= key.length + 2;
    if (typeof item === 'string') budget -= item.length + 2;
    else budget -= 4;
    if (budget < 0) throw new BudgetExceeded();
    return item;
  };
  let json;
  try {
    json = jsonStringify(value, replacer);
  } catch (error) {
    if (error instanceof BudgetExceeded) return { ok: false, tooLarge: true, message: `exceeds limits.maxValueBytes (${maxBytes} bytes)` };
    return { ok: false, tooLarge: false, message: error instanceof Error ? error.message : String(error) };
  }
  if (json !== undefined && Buffer.byteLength(json) > maxBytes) {
    return { ok: false, tooLarge: true, message: `exceeds limits.maxValueBytes (${maxBytes} bytes)` };
  }
  return { ok: true, json };
}

// --- guest globals -------------------------------------------------------------------------

class ToolError extends Error {
  constructor(code, message, toolName) {
    super(message);
    this.name = 'ToolError';
    this.code = code;
    this.toolName = toolName;
  }
}
Object.defineProperty(globalThis, 'ToolError', { value: ToolError, writable: true, configurable: true });

let run;
let reusable = false;

function lineOf(stack) {
  if (typeof stack !== 'string') return undefined;
  // Parse errors start with "guest.js:LINE" (vm.Script) or ":LINE" (type stripping).
  const match = /^(?:guest\.js)?:(\d+)\s*$/m.exec(stack);
  const line = match === null ? NaN : Number(match[1]);
  return Number.isSafeInteger(line) && line > 0 ? line : guestLine(stack);
}

function guestLine(stack) {
  if (typeof stack !== 'string') return undefined;
  const match = /guest\.js:(\d+)/.exec(stack);
  const line = match === null ? NaN : Number(match[1]);
  return Number.isSafeInteger(line) && line > 0 ? line : undefined;
}

function format(value) {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    const json = jsonStringify(value);
    return json === undefined ? 'undefined' : json;
  } catch {
    try {
      return String(value);
    } catch {
      return '[unprintable]';
    }
  }
}

function emit(fd, text) {
  if (run === undefined || text.length === 0) return;
  if (run.outputBudget <= 0) {
    if (!run.outputTruncated) {
      run.outputTruncated = true;
      send({ t: 'out', fd, d: '', truncated: true });
    }
    return;
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > run.outputBudget) {
    const kept = Buffer.from(text).subarray(0, run.outputBudget).toString('utf8').replace(/\uFFFD$/, '');
    run.outputBudget = 0;
    run.outputTruncated = true;
    send({ t: 'out', fd, d: kept, truncated: true });
    return;
  }
  run.outputBudget -= bytes;
  send({ t: 'out', fd, d: text });
}

const printTo = (fd) => (...values) => emit(fd, `${values.map(format).join(' ')}\n`);
const consoleOverrides = {
  log: printTo(1),
  info: printTo(1),
  debug: printTo(1),
  error: printTo(2),
  warn: printTo(2),
  trace: printTo(2),
};
for (const [name, fn] of Object.entries(consoleOverrides)) {
  Object.defineProperty(console, name, { value: fn, writable: true, configurable: true });
}
for (const [stream, fd] of [[process.stdout, 1], [process.stderr, 2]]) {
  stream.write = (chunk, encoding, callback) => {
    emit(fd, typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') queueMicrotask(done);
    return true;
  };
}

/**
 * A ToolError raised by the tool function `tool`, with a stack of the frames below it (the guest's)
 * even when the guest set Error.stackTraceLimit to 0. Raised after the call's await, its guest frames
 * are V8's async stack trace (the guest line that awaited the call), as in the isolated-vm adapter:
 * capturing the caller's stack at every call instead cost the runner 4-7 us per call (of about 45)
 * on the development VM.
 */
function toolError(code, message, name, tool) {
  const error = new ToolError(code, message, name);
  const limit = Error.stackTraceLimit;
  // Four frames: enough for the guest's line, and cheap to capture.
  Error.stackTraceLimit = 4;
  try {
    Error.captureStackTrace(error, tool);
  } finally {
    Error.stackTraceLimit = limit;
  }
  return error;
}

function installTools(tools) {
  for (const tool of tools) {
    const { name, identifier } = tool;
    const fn = async function (...args) {
      const current = run;
      if (current === undefined || current.finished) throw new ToolError('ABORTED', 'The run has ended.', name);
      let inputJson;
      if (args.length > 0 && args[0] !== undefined) {
        const encoded = toJson(args[0], current.limits.maxValueBytes);
        if (!encoded.ok) {
          throw encoded.tooLarge
            ? toolError('VALUE_TOO_LARGE', `The input of ${name} ${encoded.message}.`, name, fn)
            : toolError('INVALID_INPUT', `The input of ${name} cannot be expressed as JSON: ${encoded.message}`, name, fn);
        }
        inputJson = encoded.json;
      }
      const id = ++current.nextCallId;
      const result = await new Promise((resolve) => {
        current.pending.set(id, resolve);
        send(inputJson === undefined ? { t: 'call', id, name } : { t: 'call', id, name, input: inputJson });
      });
      if (result.ok) return result.output === undefined ? undefined : jsonParse(result.output);
      throw toolError(String(result.code), String(result.message), name, fn);
    };
    Object.defineProperty(fn, 'name', { value: identifier });
    Object.defineProperty(globalThis, identifier, { value: fn, writable: true, configurable: true, enumerable: false });
  }
}

function removeTools(tools) {
  for (const tool of tools) delete globalThis[tool.identifier];
}

// Bounds of the error fields the host accepts (runnerMessageBounds in the host's protocol module).
const MAX_ERROR_MESSAGE = 8000;
const MAX_LABEL = 200;

function describeError(error, code) {
  const described = describeErrorUnbounded(error, code);
  return {
    ...described,
    name: String(described.name).slice(0, MAX_LABEL),
    message: String(described.message).slice(0, MAX_ERROR_MESSAGE),
    ...(described.toolErrorCode === undefined ? {} : { toolErrorCode: String(described.toolErrorCode).slice(0, MAX_LABEL) }),
  };
}

function describeErrorUnbounded(error, code) {
  if (error instanceof ToolError || (error !== null && typeof error === 'object' && error.name === 'ToolError' && typeof error.code === 'string')) {
    const line = guestLine(error.stack);
    return { code: 'TOOL_ERROR', name: 'ToolError', message: String(error.message), toolErrorCode: String(error.code), ...(line === undefined ? {} : { line }) };
  }
  if (error instanceof Error || (error !== null && typeof error === 'object' && typeof error.message === 'string')) {
    let name = 'Error';
    let message = '';
    let stack;
    try {
      name = typeof error.name === 'string' && error.name.length > 0 ? error.name : 'Error';
      message = String(error.message);
      stack = error.stack;
    } catch {
      // A hostile getter; report what we have.
    }
    const line = code === 'SYNTAX_ERROR' ? lineOf(stack) : guestLine(stack);
    return { code, name, message, ...(line === undefined ? {} : { line }) };
  }
  return { code, name: 'Error', message: `Uncaught ${format(error)}` };
}

function endRun(message) {
  const current = run;
  if (current === undefined || current.finished) return;
  current.finished = true;
  for (const resolve of current.pending.values()) resolve({ ok: false, code: 'ABORTED', message: 'The run has ended.' });
  current.pending.clear();
  removeTools(current.tools);
  run = undefined;
  if (!current.rehearsal) finish(message);
}

const requireFromCwd = nodeModule.createRequire(path.join(process.cwd(), 'guest.js'));
let stripTypes = typeof nodeModule.stripTypeScriptTypes === 'function' ? nodeModule.stripTypeScriptTypes : undefined;
if (preloadLanguage === 'typescript' && stripTypes !== undefined) {
  try {
    stripTypes('let warm: number = 1;');
  } catch {
    stripTypes = undefined;
  }
}

async function start(message, rehearsal = false) {
  const limits = message.limits ?? {};
  reusable = message.reuse === true;
  // A trusted run (the host's own code, protocol `start.trusted`) needs no undoing: the baseline,
  // which loads Node's lazy globals (about 20 ms of CPU), waits for the first run that does.
  if (reusable && baseline === undefined && message.trusted !== true) takeBaseline();
  run = {
    rehearsal,
    limits: { maxValueBytes: Number(limits.maxValueBytes) || 8 * 1024 * 1024 },
    outputBudget: Number.isFinite(limits.maxOutputBytes) ? limits.maxOutputBytes : 64_000,
    outputTruncated: false,
    pending: new Map(),
    nextCallId: 0,
    finished: false,
    tools: Array.isArray(message.tools) ? message.tools : [],
  };
  const current = run;
  installTools(current.tools);
  globalThis.require = requireFromCwd;

  const wrapped = `(async function () {${String(message.code)}\n})`;
  let source = wrapped;
  let script;
  try {
    if (message.language === 'typescript') {
      if (stripTypes === undefined) throw new SyntaxError('TypeScript needs Node >= 22.13 (module.stripTypeScriptTypes).');
      source = stripTypes(wrapped, { mode: 'strip' });
    }
    script = new vm.Script(source, {
      filename: GUEST_FILENAME,
      importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
  } catch (error) {
    const described = describeError(error, 'SYNTAX_ERROR');
    // V8 finds an unbalanced program (an unclosed bracket, a stray `}`) at the wrapper's closing
    // line, one past the program's last: report the program's last line, which its author wrote.
    const lastLine = String(message.code).split('\n').length;
    if (typeof described.line === 'number' && described.line > lastLine) described.line = lastLine;
    endRun({ t: 'error', error: described });
    return;
  }
  let value;
  try {
    value = await script.runInThisContext()();
  } catch (error) {
    if (current.finished) return;
    endRun({ t: 'error', error: describeError(error, 'RUNTIME_ERROR') });
    return;
  }
  if (current.finished) return;
  if (value === undefined) {
    endRun({ t: 'done' });
    return;
  }
  const encoded = toJson(value, current.limits.maxValueBytes);
  if (!encoded.ok) {
    endRun({
      t: 'error',
      error: encoded.tooLarge
        ? { code: 'OUTPUT_LIMIT', name: 'OutputLimitError', message: `The return value ${encoded.message}.` }
        : { code: 'RUNTIME_ERROR', name: 'TypeError', message: `The return value cannot be expressed as JSON: ${encoded.message}` },
    });
    return;
  }
  endRun(encoded.json === undefined ? { t: 'done' } : { t: 'done', value: encoded.json });
}

process.on('uncaughtException', (error) => {
  if (run === undefined) return;
  endRun({ t: 'error', error: describeError(error, 'RUNTIME_ERROR') });
});
process.on('unhandledRejection', () => {
  // A promise the guest never awaited; JavaScript semantics elsewhere ignore it too.
});

// A successful result exactly as the host writes one (`{"t":"result","id":7,"ok":true,"output":"…"}`,
// keys in that order, no spaces): read without parsing the whole line, as it is one per tool call.
// Anything else takes the general path below.
const RESULT_PREFIX = '{"t":"result","id":';
const RESULT_OK = ',"ok":true';
const RESULT_OUTPUT = ',"output":"';

function handleResultLine(line) {
  let index = RESULT_PREFIX.length;
  const digits = index;
  let id = 0;
  for (; index < line.length; index++) {
    const code = line.charCodeAt(index);
    if (code < 0x30 || code > 0x39) break;
    id = id * 10 + (code - 0x30);
  }
  if (index === digits || index - digits > 15 || line.charCodeAt(digits) === 0x30 || !line.startsWith(RESULT_OK, index)) return false;
  index += RESULT_OK.length;
  const last = line.length - 1;
  if (line.charCodeAt(last) !== 0x7d) return false;
  let output;
  if (index !== last) {
    if (!line.startsWith(RESULT_OUTPUT, index)) return false;
    try {
      output = jsonParse(line.slice(index + RESULT_OUTPUT.length - 1, last));
    } catch {
      return false;
    }
    if (typeof output !== 'string') return false;
  }
  const resolve = run?.pending.get(id);
  if (resolve !== undefined) {
    run.pending.delete(id);
    resolve({ ok: true, output });
  }
  return true;
}

function handle(line) {
  if (line.startsWith(RESULT_PREFIX) && handleResultLine(line)) return;
  let message;
  try {
    message = jsonParse(line);
  } catch {
    send({ t: 'fatal', message: 'The runner received a line that is not JSON.' });
    process.exit(65);
  }
  if (message === null || typeof message !== 'object') return;
  if (message.t === 'start') {
    if (run !== undefined) return;
    if (message.v !== PROTOCOL_VERSION) {
      send({ t: 'fatal', message: `Protocol version ${String(message.v)} is not supported; this runner speaks ${PROTOCOL_VERSION}.` });
      process.exit(65);
    }
    start(message).catch((error) => endRun({ t: 'error', error: describeError(error, 'RUNTIME_ERROR') }));
  } else if (message.t === 'result') {
    const resolve = run?.pending.get(message.id);
    if (resolve === undefined) return;
    run.pending.delete(message.id);
    resolve(message.ok ? { ok: true, output: typeof message.output === 'string' ? message.output : undefined } : { ok: false, code: message.code, message: message.message });
  }
}

// Bytes from the stream's reader and from pollForResults, in the order they were read, through
// one decoder (a character may be split between two reads).
const decoder = new StringDecoder('utf8');
let buffered = '';
function receive(bytes) {
  let text = buffered + decoder.write(bytes);
  let newline = text.indexOf('\n');
  while (newline >= 0) {
    const line = text.slice(0, newline);
    text = text.slice(newline + 1);
    if (line.length > 0) handle(line);
    newline = text.indexOf('\n');
  }
  buffered = text;
}
input.on('data', receive);
let inputEnded = false;
const onInputEnd = () => {
  inputEnded = true;
  if (run === undefined) process.exit(0);
};
input.on('end', onInputEnd);
input.on('error', onInputEnd);

// --- between runs (reuse) -----------------------------------------------------------------
// With `reuse`, one process serves several runs. After each run the runner puts back the globals
// and files the run changed and checks for what it cannot take back (timers, sockets, child
// processes, changed built-in prototypes). Clean: it reports `idle`. Not clean: it exits and the host
// starts a fresh process. This keeps honest code's leftovers out of the next run; a guest that sets
// out to subvert the runner itself is stopped by the process boundary only (reuse is for trusted code).

const intrinsics = [
  Object, Object.prototype, Function.prototype, Array, Array.prototype, String.prototype, Number.prototype,
  Boolean.prototype, Symbol.prototype, Promise, Promise.prototype, Map.prototype, Set.prototype,
  RegExp.prototype, Date.prototype, Error, Error.prototype, JSON, Math, Reflect, console,
];
let baseline;

function ownDescriptors(target) {
  const map = new Map();
  for (const key of Reflect.ownKeys(target)) map.set(key, Object.getOwnPropertyDescriptor(target, key));
  return map;
}

function sameDescriptor(a, b) {
  return a !== undefined && b !== undefined && a.value === b.value && a.get === b.get && a.set === b.set
    && a.writable === b.writable && a.enumerable === b.enumerable && a.configurable === b.configurable;
}

function countResources() {
  const counts = new Map();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

function listDirectory(directory) {
  try {
    return fs.readdirSync(directory);
  } catch {
    return [];
  }
}

function hasChildProcesses() {
  for (const task of listDirectory('/proc/self/task')) {
    try {
      if (fs.readFileSync(`/proc/self/task/${task}/children`, 'utf8').trim().length > 0) return true;
    } catch {
      // Not Linux, or the thread is gone.
    }
  }
  return false;
}

/** Taken before the first run that may be followed by another (`reuse`), so one-shot runners never pay for it. */
function takeBaseline() {
  // Reading a lazy global's descriptor materializes it (Node defines some on first access); read
  // them all once so that the snapshot below is what the process looks like after any access.
  ownDescriptors(globalThis);
  baseline = {
    globals: ownDescriptors(globalThis),
    intrinsics: intrinsics.map(ownDescriptors),
    resources: countResources(),
    cwd: process.cwd(),
    entries: new Set(listDirectory(process.cwd())),
    env: { ...process.env },
  };
}

/** Undoes what a run changed in this process; false when something cannot be undone. */
function cleanUpAfterRun() {
  let clean = true;
  for (const key of Reflect.ownKeys(globalThis)) {
    const before = baseline.globals.get(key);
    if (before === undefined) {
      if (!Reflect.deleteProperty(globalThis, key)) clean = false;
    } else if (!sameDescriptor(before, Object.getOwnPropertyDescriptor(globalThis, key))) {
      try {
        Object.defineProperty(globalThis, key, before);
      } catch {
        clean = false;
      }
    }
  }
  for (const [key, descriptor] of baseline.globals) {
    if (!Object.prototype.hasOwnProperty.call(globalThis, key)) {
      try {
        Object.defineProperty(globalThis, key, descriptor);
      } catch {
        clean = false;
      }
    }
  }
  intrinsics.forEach((target, index) => {
    const before = baseline.intrinsics[index];
    const keys = Reflect.ownKeys(target);
    if (keys.length !== before.size || keys.some((key) => !sameDescriptor(before.get(key), Object.getOwnPropertyDescriptor(target, key)))) clean = false;
  });
  for (const key of Object.keys(process.env)) if (!(key in baseline.env)) delete process.env[key];
  Object.assign(process.env, baseline.env);
  try {
    if (process.cwd() !== baseline.cwd) process.chdir(baseline.cwd);
    for (const entry of listDirectory(baseline.cwd)) {
      if (!baseline.entries.has(entry)) fs.rmSync(path.join(baseline.cwd, entry), { recursive: true, force: true });
    }
  } catch {
    clean = false;
  }
  for (const [type, count] of countResources()) if (count > (baseline.resources.get(type) ?? 0)) clean = false;
  if (hasChildProcesses()) clean = false;
  return clean;
}

// A rehearsal run through the whole start path (compiling the runner's own functions and the vm
// machinery) before reporting ready, so that the first real run does not pay for it.
// Its tool calls (answered by `send` itself) warm the call path up: a one-shot runner is a fresh
// process, and without them a run's first few hundred calls ran on unoptimized code.
const rehearsalCalls = 300;
const rehearsalCode = `for (let i = 0; i < ${rehearsalCalls}; i++) await __codecall_rehearsal({ i });\nconst value = { list: [1, "two", null], nested: { ok: true } };\nreturn value;`;
rehearsing = true;
start({ t: 'start', v: PROTOCOL_VERSION, language: preloadLanguage === 'typescript' ? 'typescript' : 'javascript', code: rehearsalCode, tools: [{ name: '__codecall_rehearsal', identifier: '__codecall_rehearsal' }], limits: {} }, true)
  .catch(() => undefined)
  .finally(() => {
    rehearsing = false;
    describeError(new TypeError('rehearsal'), 'RUNTIME_ERROR');
    handle('{"t":"result","id":0,"ok":true,"output":"[1]"}');
    send({ t: 'ready', v: PROTOCOL_VERSION, runtime: 'node', version: process.version, pid: process.pid });
  });
