/** File name guest code is compiled under; stack frames in it carry the guest's own line numbers. */
export const guestFileName = 'codecall-guest.js';

/** Global the per-run script calls to start the guest; the prelude deletes it on first use. */
export const startGlobalName = '__codecall_start';

/** Message kinds the guest posts to the host through its one fire-and-forget callback. */
export const postKind = {
  /** `(callId: number, toolName: string, inputJson: string | undefined)` */
  call: 0,
  /** `(stream: 1 | 2, text: string)`: 1 = stdout, 2 = stderr. */
  output: 1,
  /** `()`: output past the budget was dropped. */
  truncated: 2,
  /** `(valueJson: string | undefined)`: the program returned. */
  done: 3,
  /** `(errorJson: string)`: the program failed; JSON of `{ code, name, message, line?, toolErrorCode? }`. */
  fail: 4,
} as const;

/**
 * Source of the script that prepares a fresh context before any guest code runs. It is evaluated
 * as a closure with `$0` = the host's fire-and-forget `post` callback and `$1` = the same handler
 * as a synchronous callback, and returns the `deliver` function the host calls to settle a tool
 * call: `deliver(callId, ok, a, b, watch, onThisThread)` with `ok` true and `a` = output JSON
 * text, or `ok` false and `a` = ToolError code, `b` = message.
 *
 * Each entry into the isolate (the run's start, each `deliver`) says whether it runs on the host's
 * own thread (isolated-vm's synchronous calls). Posts made during such an entry go through the
 * synchronous callback, which runs the host's handler at once instead of queueing it for the host's
 * event loop (one wake-up fewer per tool call); posts of any other entry are fire-and-forget. The
 * host says so only for runs whose every entry so far ran on its thread, so a run's posts keep the
 * order the guest made them in.
 *
 * Every function a run calls is written as a parenthesized function expression, `const f =
 * (function f() {…})`: V8 compiles those together with the script (its heuristic for functions
 * called at once) instead of at their first call, so a fresh context's first run compiles none of
 * them, and the cold path's code cache holds their bytecode too. Measured on 2026-12-05, a fresh
 * isolate's prelude plus a `return 1` run: 0.52 → 0.38 ms.
 *
 * Everything the bridge needs (JSON, Reflect, Promise, Object helpers) is captured here, before
 * user code can replace it. Memory that escapes the isolate's heap limit (WebAssembly memories,
 * resizable and growable buffers) is removed, and so is `FinalizationRegistry` (its callbacks run
 * outside any run's evaluation).
 */
export const guestPreludeSource: string = String.raw`
'use strict';
const postQueued = $0;
const postAtOnce = $1;
const g = globalThis;
delete g.__codecall_post;
delete g.__codecall_post_sync;
const JSONstringify = JSON.stringify;
const JSONparse = JSON.parse;
const ReflectApply = Reflect.apply;
const ReflectConstruct = Reflect.construct;
const ObjectDefineProperty = Object.defineProperty;
const ObjectFreeze = Object.freeze;
const ObjectGetPrototypeOf = Object.getPrototypeOf;
const ObjectKeys = Object.keys;
const ObjectPrototype = Object.prototype;
const ArrayIsArray = Array.isArray;
const StringCtor = String;
const PromiseCtor = Promise;
const ErrorCtor = Error;
const TypeErrorCtor = TypeError;
const RegExpExec = RegExp.prototype.exec;
const StringSlice = String.prototype.slice;
const StringCharCodeAt = String.prototype.charCodeAt;
const ArrayJoin = Array.prototype.join;
const MathMin = Math.min;
const ProxyCtor = Proxy;
const lineRegExp = /codecall-guest\.js:(\d+):\d+/;
// Whether the entry executing now runs on the host's thread (see above).
let onHostThread = false;
const post = (function post(kind, a, b, c) {
  if (onHostThread) postAtOnce(kind, a, b, c);
  else postQueued(kind, a, b, c);
});

// Memory that escapes the isolate's heap limit: a WebAssembly module can grow its own memory
// without any JavaScript API, so WebAssembly goes entirely; resizable ArrayBuffers and growable
// SharedArrayBuffers reserve and commit memory outside the heap, so they go too.
delete g.WebAssembly;
delete g.SharedArrayBuffer;
// A finalizer runs whenever the isolate collects garbage, outside any evaluation: it would run in a
// later run on the same pooled isolate, beyond that run's timeout (a spinning one hangs the isolate).
delete g.FinalizationRegistry;
{
  const ArrayBufferCtor = ArrayBuffer;
  const proto = ArrayBufferCtor.prototype;
  delete proto.resize;
  const guarded = new ProxyCtor(ArrayBufferCtor, {
    construct(target, args, newTarget) {
      // Drop the options argument ({ maxByteLength }): only fixed-length buffers can be made.
      return ReflectConstruct(target, [args[0]], newTarget === guarded ? target : newTarget);
    },
  });
  ObjectDefineProperty(proto, 'constructor', { value: guarded, writable: true, configurable: true, enumerable: false });
  ObjectDefineProperty(g, 'ArrayBuffer', { value: guarded, writable: true, configurable: true, enumerable: false });
}

class TooLarge {}
const tooLarge = new TooLarge();

const utf8Length = (function utf8Length(text) {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = ReflectApply(StringCharCodeAt, text, [i]);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = ReflectApply(StringCharCodeAt, text, [i + 1]);
      if (next >= 0xdc00 && next <= 0xdfff) { bytes += 4; i++; } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
});

// JSON text of value, or undefined when JSON drops it. The replacer keeps a lower bound of the
// bytes written so far and throws as soon as it passes the budget, so a small graph of shared
// references that expands exponentially fails after about budget bytes of work, not after it.
const stringifyWithin = (function stringifyWithin(value, budget) {
  let used = 0;
  let root = true;
  const replacer = (function replacer(key, item) {
    const kind = typeof item;
    if (root) root = false;
    else if (kind !== 'undefined' && kind !== 'function' && kind !== 'symbol' && !ArrayIsArray(this)) used += key.length + 3;
    if (kind === 'string') used += item.length + 2;
    else used += 1;
    if (used > budget) throw tooLarge;
    return item;
  });
  const text = JSONstringify(value, replacer);
  if (text !== undefined && text.length > budget / 3 && (text.length > budget || utf8Length(text) > budget)) throw tooLarge;
  return text;
});

// JSON text of a tool input, with stringifyWithin's result and byte accounting. Most inputs are a
// primitive or one flat object of primitives: such an object is read once (each getter runs once)
// into a copy without a prototype, which JSON.stringify serializes without a replacer (calling one
// costs a call from the serializer into JavaScript per value, microseconds per tool call). Anything
// else (arrays, nested objects, toJSON, other prototypes) goes through stringifyWithin; so does an
// object found not to be flat part-way, whose earlier getters then run a second time.
const stringifyInput = (function stringifyInput(value, budget) {
  let used;
  let text;
  const kind = typeof value;
  if (kind === 'string') {
    used = value.length + 2;
    if (used > budget) throw tooLarge;
    text = JSONstringify(value);
  } else if (kind === 'number' || kind === 'boolean' || value === null) {
    text = JSONstringify(value);
  } else {
    if (kind !== 'object' || ArrayIsArray(value)) return stringifyWithin(value, budget);
    const proto = ObjectGetPrototypeOf(value);
    if ((proto !== ObjectPrototype && proto !== null) || value.toJSON !== undefined) return stringifyWithin(value, budget);
    const keys = ObjectKeys(value);
    const copy = { __proto__: null };
    used = 1;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const item = value[key];
      const itemKind = typeof item;
      if (itemKind === 'string') used += key.length + item.length + 5;
      else if (itemKind === 'number' || itemKind === 'boolean' || item === null) used += key.length + 4;
      else if (itemKind === 'undefined') used += 1;
      else return stringifyWithin(value, budget);
      if (used > budget) throw tooLarge;
      if (itemKind !== 'undefined') copy[key] = item;
    }
    text = JSONstringify(copy);
  }
  if (text.length > budget / 3 && (text.length > budget || utf8Length(text) > budget)) throw tooLarge;
  return text;
});

const safeString = (function safeString(value) {
  try { return StringCtor(value); } catch { return '[unprintable value]'; }
});

const describeThrown = (function describeThrown(thrown) {
  const described = { code: 'RUNTIME_ERROR', name: 'Error', message: '' };
  try {
    if (thrown instanceof ToolError) {
      described.code = 'TOOL_ERROR';
      described.name = 'ToolError';
      described.toolErrorCode = safeString(thrown.code);
      described.message = safeString(thrown.message);
    } else if (thrown instanceof ErrorCtor) {
      const name = thrown.name;
      described.name = typeof name === 'string' && name.length > 0 ? name : 'Error';
      described.message = safeString(thrown.message);
    } else if (typeof thrown === 'string') {
      described.message = thrown;
    } else {
      let text;
      try { text = stringifyWithin(thrown, 4000); } catch { text = undefined; }
      described.message = text === undefined ? safeString(thrown) : text;
    }
  } catch {
    described.message = 'An error was thrown that cannot be described.';
  }
  if (described.message.length > 4000) described.message = ReflectApply(StringSlice, described.message, [0, 4000]);
  try {
    const stack = thrown !== null && typeof thrown === 'object' ? thrown.stack : undefined;
    if (typeof stack === 'string') {
      const match = ReflectApply(RegExpExec, lineRegExp, [stack]);
      if (match !== null) described.line = +match[1];
    }
  } catch {
    // No line then.
  }
  return JSONstringify(described);
});

class ToolError extends ErrorCtor {
  constructor(code, message, options) {
    super(message);
    ObjectDefineProperty(this, 'name', { value: 'ToolError', writable: true, configurable: true, enumerable: false });
    this.code = code;
    this.toolName = typeof options === 'string' ? options : options !== null && typeof options === 'object' ? options.toolName : undefined;
  }
}
ObjectFreeze(ToolError.prototype);
ObjectFreeze(ToolError);
ObjectDefineProperty(g, 'ToolError', { value: ToolError, writable: true, configurable: true, enumerable: false });

let maxValueBytes = 0;
let outputLeft = 0;
let outputTruncated = false;
let maxToolCalls = 0;

const markTruncated = (function markTruncated() {
  if (!outputTruncated) { outputTruncated = true; post(2); }
});

const format = (function format(item) {
  if (typeof item === 'string') return item;
  if (item instanceof ErrorCtor) {
    let name = 'Error';
    let message = '';
    try { name = safeString(item.name); message = safeString(item.message); } catch { /* keep defaults */ }
    return message === '' ? name : name + ': ' + message;
  }
  let text;
  try { text = stringifyWithin(item, maxValueBytes); } catch (error) {
    if (error === tooLarge) { markTruncated(); return ''; }
    text = safeString(item);
  }
  return text === undefined ? 'undefined' : text;
});

const write = (function write(stream, args) {
  if (outputTruncated || outputLeft <= 0) { if (outputLeft <= 0) markTruncated(); return; }
  const parts = [];
  for (let i = 0; i < args.length; i++) parts[i] = format(args[i]);
  let line = ReflectApply(ArrayJoin, parts, [' ']) + '\n';
  if (line.length * 3 <= outputLeft) { outputLeft -= utf8Length(line); post(1, stream, line); return; }
  let bytes = utf8Length(line);
  if (bytes <= outputLeft) { outputLeft -= bytes; post(1, stream, line); return; }
  // Keep the prefix that fits: cut by UTF-16 units, then back off to the byte budget.
  let end = MathMin(line.length, outputLeft);
  let prefix = ReflectApply(StringSlice, line, [0, end]);
  while (end > 0 && utf8Length(prefix) > outputLeft) { end--; prefix = ReflectApply(StringSlice, line, [0, end]); }
  const last = end > 0 ? ReflectApply(StringCharCodeAt, prefix, [end - 1]) : 0;
  if (last >= 0xd800 && last <= 0xdbff) prefix = ReflectApply(StringSlice, prefix, [0, end - 1]);
  outputLeft = 0;
  if (prefix.length > 0) post(1, stream, prefix);
  markTruncated();
});

const consoleObject = {
  log(...args) { write(1, args); },
  info(...args) { write(1, args); },
  debug(...args) { write(1, args); },
  error(...args) { write(2, args); },
  warn(...args) { write(2, args); },
};
ObjectDefineProperty(g, 'console', { value: consoleObject, writable: true, configurable: true, enumerable: false });

const pending = { __proto__: null };
let nextCallId = 0;
let callsMade = 0;

const makeTool = (function makeTool(identifier, name) {
  const tool = (async function (...args) {
    callsMade++;
    // Past the host's call limit the dispatcher refuses anyway; refusing here as well keeps a
    // runaway loop from queueing unbounded work on the host.
    if (callsMade > maxToolCalls + 1) {
      throw new ToolError('TOOL_CALL_LIMIT', 'Tool call limit reached: a run may make at most ' + maxToolCalls + ' calls (limits.maxToolCalls).', { toolName: name });
    }
    let inputJson;
    if (args.length > 0 && args[0] !== undefined) {
      try {
        inputJson = stringifyInput(args[0], maxValueBytes);
      } catch (error) {
        if (error === tooLarge) throw new ToolError('VALUE_TOO_LARGE', 'The input of ' + name + ' exceeds limits.maxValueBytes (' + maxValueBytes + ' bytes).', { toolName: name });
        throw new ToolError('INVALID_INPUT', 'The input of ' + name + ' cannot be expressed as JSON: ' + (error instanceof ErrorCtor ? safeString(error.message) : safeString(error)), { toolName: name });
      }
      if (inputJson === undefined) throw new ToolError('INVALID_INPUT', 'The input of ' + name + ' cannot be expressed as JSON.', { toolName: name });
    }
    const callId = ++nextCallId;
    const outcome = await new PromiseCtor((resolve) => {
      pending[callId] = resolve;
      post(0, callId, name, inputJson);
    });
    if (outcome.ok) return outcome.value;
    throw new ToolError(outcome.code, outcome.message, { toolName: name });
  });
  ObjectDefineProperty(tool, 'name', { value: identifier });
  return tool;
});

// With watch = true, returns the promise of the run (see start): the host applies deliver so once,
// with { result: { promise: true } }, and learns from that one operation when the run has ended or
// the isolate has died, so the deliveries after it need no answer of their own. Otherwise it
// returns nothing (a promise would have to be refused on the way out, on every call).
const deliver = (function deliver(callId, ok, a, b, watch, onThisThread) {
  onHostThread = onThisThread === true;
  if (callId === 0) {
    // A batch: a is a flat array [callId, ok, a, b, callId, ok, a, b, …].
    if (ArrayIsArray(a)) for (let i = 0; i + 3 < a.length; i += 4) deliverOne(a[i], a[i + 1], a[i + 2], a[i + 3]);
  } else {
    deliverOne(callId, ok, a, b);
  }
  return watch === true ? ended : undefined;
});

const deliverOne = (function deliverOne(callId, ok, a, b) {
  const resolve = pending[callId];
  if (resolve === undefined) return;
  delete pending[callId];
  if (ok) {
    let value;
    try {
      value = a === undefined ? undefined : JSONparse(a);
    } catch {
      resolve({ ok: false, code: 'INVALID_OUTPUT', message: 'The tool result is not valid JSON.' });
      return;
    }
    resolve({ ok: true, value });
  } else {
    resolve({ ok: false, code: typeof a === 'string' ? a : 'TOOL_FAILED', message: typeof b === 'string' ? b : 'The tool failed.' });
  }
});

let started = false;
// The promise of the run: settles once the program's outcome is posted (it never rejects).
let ended;
const start = (function start(tools, limitValueBytes, limitOutputBytes, limitToolCalls, main, onThisThread) {
  if (started) return undefined;
  started = true;
  onHostThread = onThisThread === true;
  delete g.__codecall_start;
  ended = run(tools, limitValueBytes, limitOutputBytes, limitToolCalls, main);
  return ended;
});
const run = (async function run(tools, limitValueBytes, limitOutputBytes, limitToolCalls, main) {
  maxValueBytes = limitValueBytes;
  outputLeft = limitOutputBytes;
  maxToolCalls = limitToolCalls;
  for (let i = 0; i < tools.length; i++) {
    const entry = tools[i];
    ObjectDefineProperty(g, entry[0], { value: makeTool(entry[0], entry[1]), writable: true, configurable: true, enumerable: false });
  }
  let value;
  try {
    value = await main();
  } catch (error) {
    post(4, describeThrown(error));
    return;
  }
  let valueJson;
  try {
    valueJson = stringifyWithin(value, maxValueBytes);
  } catch (error) {
    if (error === tooLarge) {
      post(4, JSONstringify({ code: 'OUTPUT_LIMIT', name: 'OutputLimitError', message: 'The return value exceeds limits.maxValueBytes (' + maxValueBytes + ' bytes).' }));
    } else if (error instanceof TypeErrorCtor) {
      post(4, JSONstringify({ code: 'RUNTIME_ERROR', name: 'TypeError', message: 'The return value cannot be expressed as JSON: ' + safeString(error.message) }));
    } else {
      post(4, describeThrown(error));
    }
    return;
  }
  post(3, valueJson);
});
ObjectDefineProperty(g, '__codecall_start', { value: start, writable: false, configurable: true, enumerable: false });
return deliver;
`;

/** Global through which the cold path hands the post callback to `guestPreludeScript`. */
export const postGlobalName = '__codecall_post';

/** Global through which the cold path hands the synchronous post callback to `guestPreludeScript`. */
export const postSyncGlobalName = '__codecall_post_sync';

/** The prelude as a plain script (for a V8 code cache): takes the callbacks from globals, evaluates to `deliver`. */
export const guestPreludeScript: string = `(function ($0, $1) {${guestPreludeSource}})(globalThis.${postGlobalName}, globalThis.${postSyncGlobalName})`;
