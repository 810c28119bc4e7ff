# codecall runner for python3, runner protocol v1 (see the package README).
# Standard library only; started as `python3 -I -B python-runner.py [--protocol-fds IN,OUT]`.
# Protocol messages are JSON lines: host -> runner on stdin, runner -> host on stdout. Guest output
# is framed into `out` messages; file descriptors 0 and 1 are re-pointed at /dev/null so that
# nothing the guest writes to them (print, os.write, child processes) reaches the protocol stream.
import ast
import asyncio
import builtins
import collections
import datetime
import io
import json
import math
import os
import select
import selectors
import sys
import threading
import time
import traceback
from operator import itemgetter as _itemgetter

PROTOCOL_VERSION = 1
# The runner's own references: guest code shares this process's modules (json.dumps = …).
_json_dumps = json.dumps
_json_loads = json.loads


def _compact_encoder(allow_nan):
    """json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=allow_nan) as one
    prebuilt function: dumps builds an encoder on every call, which cost as much as the encoding
    itself (2.3 against 0.7 us for a call message on the development VM). Uses the C encoder when
    this Python's matches the signature it was written for and encodes a probe exactly as
    JSONEncoder does; otherwise a prebuilt JSONEncoder."""
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=allow_nan)
    try:
        from json.encoder import c_make_encoder, encode_basestring

        make = c_make_encoder(None, encoder.default, encode_basestring, None, ":", ",", False, False, allow_nan)
        probe = {"t": "x", "list": [1, -2.5, "\u00e9\"\n", None, True, False, {}], "n": {"k": []}}
        if "".join(make(probe, 0)) == encoder.encode(probe) and "".join(make("s", 0)) == '"s"':
            return lambda value: "".join(make(value, 0))
    except Exception:  # no C accelerator, or another signature: the prebuilt encoder below
        pass
    return encoder.encode


_dumps_compact = _compact_encoder(True)
_dumps_value = _compact_encoder(False)
_scan_once = json.JSONDecoder().scan_once
# A str as a JSON string (ensure_ascii=False, as _dumps_compact encodes one): the C function where
# there is one, without the encoder's generator around it.
_quote = getattr(json.encoder, "c_encode_basestring", None) or json.encoder.py_encode_basestring


def _loads(text):
    """json.loads for JSON text from the host (str, or UTF-8 bytes), without loads's per-call work
    (encoding detection, a decoder call): 1.9 against 0.5 us for a result line. Anything scan_once
    does not take whole (leading or trailing whitespace, invalid JSON) goes to json.loads, which
    returns the value or raises its ValueError."""
    if type(text) is bytes:
        text = text.decode("utf-8")
    try:
        value, end = _scan_once(text, 0)
    except StopIteration:
        return _json_loads(text)
    return value if end == len(text) else _json_loads(text)


GUEST_FILENAME = "guest.py"
CO_COROUTINE = 0x0080

# --- channel ----------------------------------------------------------------------------------

if "--protocol-fds" in sys.argv:
    # The launcher already moved the protocol to these descriptors and pointed 0 and 1 at /dev/null.
    _in_fd, _out_fd = (int(fd) for fd in sys.argv[sys.argv.index("--protocol-fds") + 1].split(","))
    os.set_inheritable(_in_fd, False)
    os.set_inheritable(_out_fd, False)
else:
    try:
        _in_fd = os.dup(0)
        _out_fd = os.dup(1)
        _null = os.open(os.devnull, os.O_RDWR)
        os.dup2(_null, 0)
        os.dup2(_null, 1)
        os.close(_null)
    except OSError:
        _in_fd, _out_fd = 0, 1

# Non-blocking, so that a wait for an answer can try a read first (_await_answer): when the answer
# is already there, as it is whenever the host answered while the runner was off the CPU, that is
# one system call instead of select() and read(). Reused runner, 1,000 awaited calls, the runner
# before and after in alternating rounds through the sandbox (2026-12-05, four passes): host and
# runner on one CPU 0.93-0.96x the time per call, on two 0.97-0.99x. Between runs the runner waits
# for its next message in select() (_next_line_blocking). Where the descriptor cannot be made
# non-blocking, the waits stay as they were.
try:
    os.set_blocking(_in_fd, False)
    _in_nonblocking = True
except OSError:
    _in_nonblocking = False

_write_lock = threading.Lock()
# Calls queued by _send_soon; every _send writes them first, so messages keep their order.
_outgoing = []
_batching = False
_MAX_QUEUED_CALLS = 256


def _encode(message):
    """The line of a message: a dict, or bytes already encoded as a line (a call, _Tool._send_call)."""
    if type(message) is bytes:
        return message
    text = _dumps_compact(message) + "\n"
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate: escape it as \uXXXX (valid JSON, valid UTF-8) like JSON.stringify does.
        return (_json_dumps(message, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")


def _send(message=None):
    """Writes the queued calls, then message (if any), in one write."""
    with _write_lock:
        if _outgoing:
            parts = [_encode(queued) for queued in _outgoing]
            _outgoing.clear()
            if message is not None:
                parts.append(_encode(message))
            data = b"".join(parts)
        elif message is None:
            return
        else:
            data = _encode(message)
        written = os.write(_out_fd, data)
        if written < len(data):
            view = memoryview(data)[written:]
            while view:
                written = os.write(_out_fd, view)
                view = view[written:]


def _send_soon(loop, message):
    """Sends a call made while other work is runnable: the first of a turn of the event loop at
    once, the rest of that turn's (the calls of asyncio.gather, say) together when the turn ends."""
    global _batching
    if not _batching:
        _batching = True
        loop.call_soon(_end_batch)
        _send(message)
        return
    with _write_lock:
        _outgoing.append(message)
        full = len(_outgoing) >= _MAX_QUEUED_CALLS
    # A turn that makes calls without end still reaches the host (and its limits).
    if full:
        _send()


def _end_batch():
    global _batching
    _batching = False
    _send()


# Protocol input: read with blocking os.read while waiting for `start`, then from the event loop
# (add_reader) while a run is going on, so tool results need no thread hand-off.
_lines = collections.deque()
_parts = []
_eof = False
_loop = None


def _read_available():
    global _eof
    try:
        chunk = os.read(_in_fd, 1 << 16)
    except (BlockingIOError, InterruptedError):
        return
    except OSError:
        chunk = b""
    if not chunk:
        _eof = True
        return
    end = chunk.find(b"\n")
    if end < 0:
        _parts.append(chunk)
        return
    if end == len(chunk) - 1 and not _parts:
        # One whole line, the usual answer to a call.
        if end:
            _lines.append(chunk[:end])
        return
    data = b"".join(_parts) + chunk if _parts else chunk
    *complete, rest = data.split(b"\n")
    _parts.clear()
    if rest:
        _parts.append(rest)
    _lines.extend(line for line in complete if line)


def _next_line_blocking():
    while not _lines:
        if _eof:
            return None
        if _in_nonblocking:
            try:
                select.select([_in_fd], [], [])
            except InterruptedError:
                pass
        _read_available()
    return _lines.popleft()


def _on_readable():
    _read_available()
    if _eof and _loop is not None:
        _loop.remove_reader(_in_fd)
    _drain()


# --- JSON semantics with a size budget ----------------------------------------------------------


class _TooLarge(Exception):
    pass


def _key(key):
    if isinstance(key, str):
        return key
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return int.__repr__(key)
    if isinstance(key, float):
        return _json_dumps(key) if math.isfinite(key) else ("NaN" if key != key else ("Infinity" if key > 0 else "-Infinity"))
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _plain(value, budget, active):
    """A copy of value made of dict/list/str/int/float/bool/None, per docs/guest-contract.md."""
    if value is None or value is True or value is False:
        budget[0] -= 5
        result = value
    elif isinstance(value, str):
        budget[0] -= len(value) + 2
        result = str(value)
    elif isinstance(value, int):
        budget[0] -= 8
        result = int(value)
    elif isinstance(value, float):
        budget[0] -= 8
        result = None if not math.isfinite(value) else (0.0 if value == 0 else float(value))
    elif isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        result = value.isoformat()
        budget[0] -= len(result) + 2
    elif isinstance(value, dict):
        if id(value) in active:
            raise ValueError("Circular reference detected")
        active.add(id(value))
        result = {}
        for key, item in value.items():
            text = _key(key)
            budget[0] -= len(text) + 4
            if budget[0] < 0:
                raise _TooLarge()
            result[text] = _plain(item, budget, active)
        active.discard(id(value))
    elif isinstance(value, (list, tuple)):
        if id(value) in active:
            raise ValueError("Circular reference detected")
        active.add(id(value))
        result = []
        for item in value:
            budget[0] -= 1
            result.append(_plain(item, budget, active))
        active.discard(id(value))
    else:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
    if budget[0] < 0:
        raise _TooLarge()
    return result


# What _plain charges the budget for a JSON-native scalar other than a string (strings: length + 2).
_SCALAR_COST = {int: 8, bool: 5, type(None): 5}


def _flat_budget_left(value, max_bytes):
    """For a dict of str keys and str/int/bool/None values (the usual tool input), the budget _plain
    would leave, without copying; None for any other value (it takes _plain's path)."""
    if type(value) is not dict:
        return None
    left = max_bytes
    for key, item in value.items():
        if type(key) is not str:
            return None
        kind = type(item)
        if kind is str:
            left -= len(key) + len(item) + 6
        else:
            cost = _SCALAR_COST.get(kind)
            if cost is None:
                return None
            left -= len(key) + 4 + cost
    return left


def _to_json(value, max_bytes):
    """Returns (json_text, None) or (None, (too_large, message))."""
    try:
        left = _flat_budget_left(value, max_bytes)
        if left is not None:
            # Already plain: _plain would return an equal copy and charge the same budget.
            if left < 0:
                raise _TooLarge()
            plain = value
        else:
            plain = _plain(value, [max_bytes], set())
        text = _dumps_value(plain)
    except _TooLarge:
        return None, (True, f"exceeds limits.maxValueBytes ({max_bytes} bytes)")
    except RecursionError:
        return None, (False, "the value is nested too deeply")
    except (TypeError, ValueError) as error:
        return None, (False, str(error))
    if len(text) > max_bytes // 4 and len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        return None, (True, f"exceeds limits.maxValueBytes ({max_bytes} bytes)")
    return text, None


# --- guest globals ------------------------------------------------------------------------------


class ToolError(Exception):
    """A failed tool call: `code` (e.g. 'INVALID_INPUT'), `message`, `toolName`."""

    def __init__(self, code, message, tool_name=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.toolName = tool_name
        self.tool_name = tool_name

    def __str__(self):
        return str(self.message)


class _Return(BaseException):
    def __init__(self, value):
        super().__init__()
        self.value = value


class _Run:
    def __init__(self, message):
        limits = message.get("limits") or {}
        self.max_value_bytes = int(limits.get("maxValueBytes") or 8 * 1024 * 1024)
        self.output_budget = int(limits.get("maxOutputBytes") if limits.get("maxOutputBytes") is not None else 64000)
        self.output_truncated = False
        self.pending = {}
        self.next_call_id = 0
        self.finished = False
        self.buffers = {1: [], 2: []}


_run = None


def _flush_output():
    run = _run
    if run is None:
        return
    for fd in (1, 2):
        parts = run.buffers[fd]
        if not parts:
            continue
        text = "".join(parts)
        run.buffers[fd] = []
        if run.output_budget <= 0:
            if not run.output_truncated:
                run.output_truncated = True
                _send({"t": "out", "fd": fd, "d": "", "truncated": True})
            continue
        data = text.encode("utf-8", "surrogatepass")
        if len(data) > run.output_budget:
            kept = data[: run.output_budget].decode("utf-8", "ignore")
            run.output_budget = 0
            run.output_truncated = True
            _send({"t": "out", "fd": fd, "d": kept, "truncated": True})
        else:
            run.output_budget -= len(data)
            _send({"t": "out", "fd": fd, "d": text})


class _GuestStream(io.TextIOBase):
    def __init__(self, fd):
        super().__init__()
        self._fd = fd

    @property
    def encoding(self):
        return "utf-8"

    def writable(self):
        return True

    def isatty(self):
        return False

    def fileno(self):
        return self._fd

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        run = _run
        if run is None or not text:
            return len(text)
        buffer = run.buffers[self._fd]
        buffer.append(text)
        if "\n" in text or len(buffer) > 256:
            _flush_output()
        return len(text)

    def flush(self):
        _flush_output()


sys.stdout = _GuestStream(1)
sys.stderr = _GuestStream(2)
sys.stdin = io.StringIO("")


# --- code validation (runner protocol: `start.validation`) ----------------------------------------
# The host sends the run's Python rules (SandboxValidationPolicyV1['python']); the code is checked
# with `ast` before any of it runs. Messages match @codecall/core's validationError().

_VALIDATION_LABELS = {
    "forbidden-import": "Forbidden import",
    "forbidden-name": "Forbidden name",
    "forbidden-attribute": "Forbidden attribute",
    "dynamic-attribute": "Forbidden dynamic attribute access",
    "global-write": "Forbidden global write",
    "forbidden-statement": "Forbidden statement",
}
_ALLOWED_DUNDER_NAMES = frozenset(("__name__", "__doc__"))
_ATTRIBUTE_FUNCTIONS = frozenset(("getattr", "setattr", "delattr", "hasattr"))
_ATTRIBUTE_FACTORIES = frozenset(("attrgetter", "methodcaller"))


class _ValidationFailed(Exception):
    def __init__(self, rule, name, line):
        super().__init__(name)
        self.rule = rule
        self.name = name
        self.line = line

    def describe(self):
        label = _VALIDATION_LABELS.get(self.rule, "Forbidden")
        message = f"{label}: {self.name} at line {self.line}. The code was checked before it ran and did not start; rewrite it without {self.name}."
        return {"code": "VALIDATION_ERROR", "name": "ValidationError", "message": message, "line": self.line, "validation": {"rule": self.rule, "name": self.name}}


class _Validator(ast.NodeVisitor):
    def __init__(self, policy):
        self.allowed_modules = [str(item) for item in policy.get("allowedModules") or []]
        self.forbidden_names = frozenset(str(item) for item in policy.get("forbiddenNames") or [])
        self.forbidden_attributes = frozenset(str(item) for item in policy.get("forbiddenAttributes") or [])
        self.allowed_dunders = frozenset(str(item) for item in policy.get("allowedDunderAttributes") or [])

    def module_allowed(self, module):
        for allowed in self.allowed_modules:
            if allowed == "*" or module == allowed or module.startswith(allowed + "."):
                return True
        return False

    def check_attribute(self, name, line, receiver=None):
        if name in self.forbidden_attributes:
            raise _ValidationFailed("forbidden-attribute", name, line)
        if name.startswith("__"):
            if name not in self.allowed_dunders:
                raise _ValidationFailed("forbidden-attribute", name, line)
        elif name.startswith("_") and not (isinstance(receiver, ast.Name) and receiver.id in ("self", "cls")):
            raise _ValidationFailed("forbidden-attribute", name, line)

    def visit_Import(self, node):
        for alias in node.names:
            if not self.module_allowed(alias.name):
                raise _ValidationFailed("forbidden-import", alias.name, node.lineno)
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        module = node.module or ""
        if node.level:
            raise _ValidationFailed("forbidden-import", "." * node.level + module, node.lineno)
        if not self.module_allowed(module):
            raise _ValidationFailed("forbidden-import", module, node.lineno)
        for alias in node.names:
            if alias.name == "*":
                continue
            # `from asyncio import create_subprocess_exec` reads an attribute of the module.
            self.check_attribute(alias.name, node.lineno)
        self.generic_visit(node)

    def visit_Name(self, node):
        name = node.id
        if name in self.forbidden_names or (name.startswith("__") and name.endswith("__") and name not in _ALLOWED_DUNDER_NAMES):
            raise _ValidationFailed("forbidden-name", name, node.lineno)

    def visit_Attribute(self, node):
        # The receiver first, so that the first violation in reading order is the one reported.
        self.generic_visit(node)
        self.check_attribute(node.attr, node.lineno, node.value)

    def visit_MatchClass(self, node):
        for name in node.kwd_attrs:
            self.check_attribute(name, node.lineno)
        self.generic_visit(node)

    def visit_Call(self, node):
        function = node.func
        name = function.id if isinstance(function, ast.Name) else (function.attr if isinstance(function, ast.Attribute) else None)
        if isinstance(function, ast.Name) and name in _ATTRIBUTE_FUNCTIONS:
            target = node.args[1] if len(node.args) > 1 else None
            if not (isinstance(target, ast.Constant) and isinstance(target.value, str)):
                raise _ValidationFailed("dynamic-attribute", name, node.lineno)
            self.check_attribute(target.value, node.lineno)
        elif name in _ATTRIBUTE_FACTORIES:
            for argument in node.args[:1] if name == "methodcaller" else node.args:
                if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
                    raise _ValidationFailed("dynamic-attribute", name, node.lineno)
                for part in argument.value.split("."):
                    self.check_attribute(part, node.lineno)
        elif name in ("format", "format_map") and isinstance(function, ast.Attribute):
            receiver = function.value
            if isinstance(receiver, ast.Constant) and isinstance(receiver.value, str):
                self.check_format(receiver.value, node.lineno)
        self.generic_visit(node)

    def check_format(self, text, line):
        # "{0.__class__}".format(x) reads attributes too.
        import string

        try:
            fields = [field for _, field, _, _ in string.Formatter().parse(text) if field]
        except ValueError:
            return
        for field in fields:
            for part in field.replace("[", ".").split(".")[1:]:
                part = part.rstrip("]")
                if part and not part.isdigit():
                    self.check_attribute(part, line)


def _validate(tree, policy):
    if isinstance(policy, dict):
        _Validator(policy).visit(tree)


# --- tool calls: arguments, sync and async ----------------------------------------------------------
# A tool is callable two ways. `await get_x(...)` (and `asyncio.gather(get_x(a), get_x(b))`) takes
# the async path: the call is sent and a future waits for the answer on the event loop, so calls
# started together run concurrently. `get_x(...)` without `await` takes the sync path: the call is
# sent and the runner reads the protocol stream itself until that call's answer arrives (answers to
# other pending calls that arrive first resolve their futures), so the value is there when the
# expression is. Which path a call site takes is decided when the code is compiled (_AsyncCalls).
# An async call site whose consumers all take futures (asyncio.gather, wait, as_completed, wait_for,
# shield, or an `await` of a name it was stored in) gets a future of the value, sent when the call is
# made (__codecall_future__); one awaited where it is made, or handed to create_task and the like,
# which need a coroutine, gets a coroutine (__codecall_async__).

_ASYNC_CONSUMERS = frozenset(("gather", "wait", "create_task", "ensure_future", "shield", "wait_for", "as_completed", "run_coroutine_threadsafe"))
# Consumers that take a future as they take a coroutine (asyncio.wait takes only futures and tasks).
_FUTURE_CONSUMERS = frozenset(("gather", "wait", "shield", "wait_for", "as_completed"))
_COLLECTION_METHODS = frozenset(("append", "add", "extend", "insert", "appendleft", "put_nowait", "setdefault"))
# What an async call site needs: a future of the value will do, or a coroutine. A site or name that
# needs both gets the stronger, a coroutine.
_NEEDS_FUTURE = 1
_NEEDS_COROUTINE = 2


def _base_name(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call, ast.Starred)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _need(table, key, need):
    table[key] = max(table.get(key, 0), need)


class _AsyncCalls:
    """Finds the calls whose result is awaited (directly, through asyncio.gather & co., or through a
    name that is awaited later) and wraps their function in __codecall_future__ or
    __codecall_async__; every other call of a tool stays a plain call and takes the sync path."""

    def __init__(self, tree):
        self.tree = tree
        # Names whose value is awaited, and what they need; marked call sites (by id), likewise.
        self.awaited = {}
        self.marked = {}

    def run(self):
        nodes = list(ast.walk(self.tree))
        for node in nodes:
            if isinstance(node, ast.Await):
                # Awaited where it is made: a coroutine, which waits for its answer without the
                # event loop's turns when nothing else can run (_Tool._call_async).
                self.async_position(node.value, False, _NEEDS_COROUTINE if isinstance(node.value, ast.Call) else _NEEDS_FUTURE)
            elif isinstance(node, ast.Call) and self.is_consumer(node):
                need = _NEEDS_FUTURE if self.consumer_name(node) in _FUTURE_CONSUMERS else _NEEDS_COROUTINE
                for argument in node.args:
                    self.async_position(argument, False, need)
                for keyword in node.keywords:
                    self.async_position(keyword.value, False, need)
        # `for t in tasks: await t` and `[await t for t in tasks]`: tasks is awaited too.
        for _ in range(4):
            before = dict(self.awaited)
            for node in nodes:
                if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                    need = self.awaited.get(_base_name(node.target))
                    name = _base_name(node.iter)
                    if need is not None and name is not None:
                        _need(self.awaited, name, need)
            if self.awaited == before:
                break
        for node in nodes:
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                needs = [self.awaited[name] for name in map(_base_name, targets) if name in self.awaited]
                if needs:
                    self.async_position(node.value, False, max(needs))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _COLLECTION_METHODS:
                need = self.awaited.get(_base_name(node.func.value))
                if need is not None:
                    for argument in node.args:
                        self.async_position(argument, False, need)
        return _AsyncWrapper(self.marked).visit(self.tree)

    @staticmethod
    def consumer_name(call):
        function = call.func
        return function.id if isinstance(function, ast.Name) else (function.attr if isinstance(function, ast.Attribute) else None)

    @staticmethod
    def is_consumer(call):
        return _AsyncCalls.consumer_name(call) in _ASYNC_CONSUMERS

    def async_position(self, node, names_only, need):
        if isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Name) and function.id == "map" and node.args:
                _need(self.marked, id(node.args[0]), need)
            elif isinstance(function, ast.Attribute) and function.attr in ("values", "items", "keys", "copy"):
                name = _base_name(function.value)
                if name is not None:
                    _need(self.awaited, name, need)
            elif not names_only:
                _need(self.marked, id(node), need)
        elif isinstance(node, ast.Starred):
            self.async_position(node.value, names_only, need)
        elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            for element in node.elts:
                self.async_position(element, names_only, need)
        elif isinstance(node, ast.Dict):
            for value in node.values:
                self.async_position(value, names_only, need)
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            self.async_position(node.elt, names_only, need)
        elif isinstance(node, ast.DictComp):
            self.async_position(node.value, names_only, need)
        elif isinstance(node, (ast.Name, ast.Subscript, ast.Attribute)):
            name = _base_name(node)
            if name is not None:
                _need(self.awaited, name, need)


class _AsyncWrapper(ast.NodeTransformer):
    def __init__(self, marked):
        self.marked = marked

    def wrap(self, node, need):
        wrapper = "__codecall_future__" if need == _NEEDS_FUTURE else "__codecall_async__"
        call = ast.Call(func=ast.Name(id=wrapper, ctx=ast.Load()), args=[node], keywords=[])
        return ast.copy_location(call, node)

    def visit_Call(self, node):
        need = self.marked.get(id(node))
        # map(get_x, ids) inside gather: the function argument itself is marked.
        node.args = [self.wrap(self.visit(argument), self.marked[id(argument)]) if id(argument) in self.marked else self.visit(argument) for argument in node.args]
        node.keywords = [self.visit(keyword) for keyword in node.keywords]
        node.func = self.visit(node.func)
        if need is not None:
            node.func = self.wrap(node.func, need)
        return node


class _Signature:
    """How a tool's arguments bind to its input, worked out once per tool rather than per call."""

    __slots__ = ("identifier", "open", "names", "known", "required", "positional", "expected")

    def __init__(self, identifier, parameters):
        self.identifier = identifier
        # No parameter list: the input schema lists no properties (one dict, keyword arguments, or both).
        self.open = not parameters
        self.names = [p["name"] for p in parameters or []]
        self.known = set(self.names)
        self.required = [p["name"] for p in parameters or [] if p.get("required")]
        optional = [name for name in self.names if name not in self.required]
        self.positional = self.required + optional
        listed = self.required + (["*"] + [name + "=None" for name in optional] if optional else [])
        self.expected = f"{identifier}({', '.join(listed)})"


def _bind_arguments(signature, args, kwargs):
    """The tool input for a call with these arguments (None for no input), or a TypeError."""
    identifier = signature.identifier
    if signature.open:
        if len(args) > 1 or (args and not isinstance(args[0], dict)):
            raise TypeError(f"{identifier}() takes one dict argument or keyword arguments; got {len(args)} positional argument(s)")
        value = args[0] if args else None
        if kwargs:
            value = {**(value or {}), **kwargs}
        return value
    if not kwargs:
        if not args:
            return None
        # The usual call, one dict of parameter names: that dict is the input (the caller encodes
        # it at once, so it needs no copy).
        if len(args) == 1 and type(args[0]) is dict and signature.known.issuperset(args[0]):
            return args[0]
    known = signature.known
    required = signature.required
    expected = signature.expected

    def given():
        keywords = ", ".join(kwargs) if kwargs else "none"
        return f"got {len(args)} positional argument(s) and keyword argument(s): {keywords}"

    # One dict is the whole input (the one-dict style) when its keys are all parameter names, or
    # when nothing is required (so it cannot be the first positional argument).
    if len(args) == 1 and isinstance(args[0], dict) and (not required or all(isinstance(key, str) and key in known for key in args[0])):
        value = dict(args[0])
        for key, item in kwargs.items():
            if key not in known and required:
                raise TypeError(f"{identifier}() got an unexpected keyword argument '{key}'; expected {expected}, {given()}")
            if key in value:
                raise TypeError(f"{identifier}() got multiple values for argument '{key}'; expected {expected}")
            value[key] = item
        return value
    # Positional arguments fill the required parameters, then (leniently: the declarations show
    # them keyword-only) the optional ones, each in declaration order.
    positional = signature.positional
    if len(args) > len(positional):
        upto = f" (up to {len(positional)} with the optional ones)" if len(positional) > len(required) else ""
        raise TypeError(f"{identifier}() takes {len(required)} positional argument(s){upto} but {len(args)} were given; expected {expected}")
    value = {name: item for name, item in zip(positional, args) if not (item is None and name not in required)}
    for key, item in kwargs.items():
        if key not in known:
            raise TypeError(f"{identifier}() got an unexpected keyword argument '{key}'; expected {expected}, {given()}")
        if key in value:
            raise TypeError(f"{identifier}() got multiple values for argument '{key}'; expected {expected}")
        # Keyword-only parameters default to None, which means "not given".
        if item is None and key not in required:
            continue
        value[key] = item
    missing = [name for name in required if name not in value]
    if missing:
        listed = ", ".join(f"'{name}'" for name in missing)
        raise TypeError(f"{identifier}() missing {len(missing)} required argument(s): {listed}; expected {expected}, {given()}")
    return value


# An answer to a fast tool arrives within tens of microseconds. Waiting for it in a blocking
# select() puts the thread to sleep, and waking it costs more than the wait: polling first for up
# to this long cut sequential awaited calls through the sandbox from 62.6 to 52.5 us (reused
# runner, 10 alternating rounds on the development VM), for at most this much CPU per call. A slow
# tool's answer is then waited for asleep, as before. The poll does not yield the CPU between
# checks: on a busy machine a yield hands it to another process for a whole time slice.
_POLL_SECONDS = 50e-6
# The runner's own references: guest code may replace the module attributes (a mocked clock).
_perf_counter = time.perf_counter


# On a busy machine polling costs more than it saves: the host needs the CPU the runner spins on
# to answer. The runner sees such a machine as time it spends waiting on a run queue
# (/proc/self/schedstat, Linux): every _CONTENTION_WINDOW waits it reads that time, stops polling
# after two windows in a row in which it grew by more than _CONTENDED_WAIT_NS per wait (one such
# window is usually a wake-up after a pause), and polls again after a window under it. Elsewhere
# (no such file) it always polls. Measured (reused runner, 1,000 calls, 16 alternating rounds,
# three processes each): quiet VM 57.7-61.8 us per call (always polling: 52.5-64.0; never:
# 67.3-79.9); with two other processes spinning on both cores 67-110 us (always polling: 114-167;
# never: 65-109).
_CONTENTION_WINDOW = 64
_CONTENDED_WAIT_NS = 5_000
_pread = getattr(os, "pread", None)
try:
    _schedstat_fd = os.open("/proc/self/schedstat", os.O_RDONLY) if _pread is not None else -1
except OSError:
    _schedstat_fd = -1
_waits_in_window = 0
_window_start_wait = None
_contended_windows = 0
_poll_allowed = True


def _run_queue_wait_ns():
    """Nanoseconds this process has spent runnable but not running, or None if unknown."""
    try:
        return int(_pread(_schedstat_fd, 128, 0).split()[1])
    except (OSError, ValueError, IndexError, TypeError):
        return None


def _may_poll():
    global _waits_in_window, _window_start_wait, _contended_windows, _poll_allowed
    if _schedstat_fd < 0:
        return True
    _waits_in_window += 1
    if _window_start_wait is None or _waits_in_window >= _CONTENTION_WINDOW:
        wait = _run_queue_wait_ns()
        if wait is not None and _window_start_wait is not None:
            _contended_windows = _contended_windows + 1 if wait - _window_start_wait > _CONTENDED_WAIT_NS * _waits_in_window else 0
            _poll_allowed = _contended_windows < 2
        _window_start_wait = wait
        _waits_in_window = 0
    return _poll_allowed


def _poll(ready_now):
    """Calls ready_now() until it returns something non-empty or _POLL_SECONDS have passed;
    returns its last result. On a busy machine (_may_poll) it calls ready_now() once."""
    if not _may_poll():
        return ready_now()
    deadline = _perf_counter() + _POLL_SECONDS
    while True:
        ready = ready_now()
        if ready or _perf_counter() >= deadline:
            return ready


class _PollingSelector(selectors.DefaultSelector):
    """The event loop's selector. While a tool call is outstanding, a wait that would sleep polls
    first (_poll): an awaited call while other tasks exist gets its answer through the loop (1,000
    such calls through the sandbox: 71.7-80.0 -> 64.9-68.7 us each, reused runner, three runs;
    asyncio.gather of 1,000 calls: no measurable change)."""

    def select(self, timeout=None):
        run = _run
        if (timeout is None or timeout > 0) and run is not None and run.pending:
            ready = _poll(lambda: super(_PollingSelector, self).select(0))
            if ready:
                return ready
        return super().select(timeout)


def _await_answer(call_id, wake_fd=None):
    """Reads the protocol stream until the answer to call_id arrives. With wake_fd (the event loop's
    wake-up descriptor), returns None as soon as that becomes readable instead."""
    while True:
        while _lines:
            message = _parse(_lines.popleft())
            if not isinstance(message, dict) or message.get("t") != "result":
                continue
            if message.get("id") == call_id:
                return message
            _handle_result(message)
        if _eof:
            return {"ok": False, "code": "ABORTED", "message": "The host closed the connection."}
        if _in_nonblocking:
            # The poll (_poll, written out) reads instead of asking select(0), so an answer it
            # finds is read at once. A wake-up of the event loop (wake_fd) is noticed once nothing
            # came, within _POLL_SECONDS.
            polls = _may_poll()
            _read_available()
            if polls and not (_lines or _eof):
                deadline = _perf_counter() + _POLL_SECONDS
                while not (_lines or _eof) and _perf_counter() < deadline:
                    _read_available()
            if _lines or _eof:
                continue
        watched = [_in_fd] if wake_fd is None else [_in_fd, wake_fd]
        try:
            readable = select.select(watched, [], [])[0] if _in_nonblocking else (_poll(lambda: select.select(watched, [], [], 0)[0]) or select.select(watched, [], [])[0])
        except InterruptedError:
            readable = ()
        if wake_fd is not None and wake_fd in readable:
            return None
        _read_available()


def _thread_count():
    """threading.active_count() without its lock, where threading's registries are as expected."""
    return len(_threads_running) + len(_threads_starting)


_threads_running = getattr(threading, "_active", None)
_threads_starting = getattr(threading, "_limbo", None)
if type(_threads_running) is not dict or type(_threads_starting) is not dict:
    _thread_count = threading.active_count  # noqa: F811 - another threading module: its public count


def _loop_is_quiet(loop, run):
    """True when only the protocol stream can give the event loop anything to run: no callback is
    ready or timed, no other tool call is outstanding, no other descriptor is watched and no other
    thread runs. Relies on the selector event loop's internals; any other loop is never quiet."""
    if run.pending or _thread_count() != 1:
        return False
    try:
        return not loop._ready and not loop._scheduled and len(loop._selector._fd_to_key) <= 2 and loop._ssock is not None
    except AttributeError:
        return False


class _Tool:
    """A tool as guest code sees it: call it to get the value, or await it."""

    __slots__ = ("_name", "_name_json", "_identifier", "_signature", "__name__", "__qualname__")

    def __init__(self, name, identifier, parameters):
        self._name = name
        # The name as its call lines spell it, encoded once rather than per call.
        self._name_json = _encode(name)[:-1]
        self._identifier = identifier
        self._signature = _Signature(identifier, parameters)
        self.__name__ = identifier
        self.__qualname__ = identifier

    def __repr__(self):
        return f"<tool {self._identifier}>"

    def _send_call(self, args, kwargs):
        run = _run
        name = self._name
        if run is None or run.finished:
            raise ToolError("ABORTED", "The run has ended.", name)
        value = _bind_arguments(self._signature, args, kwargs)
        input_json = None
        if value is not None:
            input_json, failure = _to_json(value, run.max_value_bytes)
            if failure is not None:
                too_large, detail = failure
                if too_large:
                    raise ToolError("VALUE_TOO_LARGE", f"The input of {name} {detail}.", name)
                raise ToolError("INVALID_INPUT", f"The input of {name} cannot be expressed as JSON: {detail}", name)
        run.next_call_id += 1
        call_id = run.next_call_id
        buffers = run.buffers
        if buffers[1] or buffers[2]:
            _flush_output()
        # The line itself, in the key order of the host's fast path for calls (parseRunnerMessage):
        # a dict for _encode would cost a second encoder pass over the input's JSON text.
        if input_json is None:
            message = b'{"t":"call","id":%d,"name":%s}\n' % (call_id, self._name_json)
        else:
            quoted = _quote(input_json)
            try:
                data = quoted.encode("utf-8")
            except UnicodeEncodeError:
                data = _encode(input_json)[:-1]  # a lone surrogate: _encode's escaped form
            message = b'{"t":"call","id":%d,"name":%s,"input":%s}\n' % (call_id, self._name_json, data)
        return run, call_id, message

    def _answer(self, result):
        if result.get("ok"):
            output = result.get("output")
            return None if output is None else _loads(output)
        raise ToolError(str(result.get("code")), str(result.get("message")), self._name)

    def __call__(self, *args, **kwargs):
        _, call_id, message = self._send_call(args, kwargs)
        _send(message)
        return self._answer(_await_answer(call_id))

    async def _call_async(self, *args, **kwargs):
        run, call_id, message = self._send_call(args, kwargs)
        loop = asyncio.get_running_loop()
        if _loop_is_quiet(loop, run):
            # Nothing else can run until the answer arrives: wait for it here, as the loop would,
            # without the loop's two turns per call. Anything that wakes the loop meanwhile (a
            # thread, a signal) hands the wait back to it.
            _send(message)
            answer = _await_answer(call_id, loop._ssock.fileno())
            if answer is not None:
                return self._answer(answer)
            future = loop.create_future()
            run.pending[call_id] = future
            if _lines:
                loop.call_soon(_drain)
            return self._answer(await future)
        future = loop.create_future()
        run.pending[call_id] = future
        _send_soon(loop, message)
        return self._answer(await future)

    def _call_future(self, *args, **kwargs):
        """The call as a future of its value, for a call site whose consumer takes futures
        (asyncio.gather & co., see _AsyncCalls): a coroutine there costs a Task and its steps per
        call (a pure-Python model of 1,000 gathered calls: 4.7-5.4 us per call, against 1.6-1.9 us
        with futures)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            # No event loop in this thread: a coroutine, which whatever runs it later can await.
            return self._call_async(*args, **kwargs)
        future = loop.create_future()
        try:
            run, call_id, message = self._send_call(args, kwargs)
        except Exception as error:  # noqa: BLE001 - raised where the call is awaited, as a coroutine's would be
            future.set_exception(error)
            return future
        run.pending[call_id] = _ValueCall(future, self)
        _send_soon(loop, message)
        return future


class _ValueCall:
    """A pending call made by _Tool._call_future: the answer settles its future with the value."""

    __slots__ = ("future", "tool")

    def __init__(self, future, tool):
        self.future = future
        self.tool = tool

    def settle(self, message):
        future = self.future
        if future.done():
            return
        try:
            future.set_result(self.tool._answer(message))
        except Exception as error:  # noqa: BLE001 - a ToolError, or output that is not JSON
            future.set_exception(error)
            if message.get("code") == "ABORTED":
                # The run has ended: no guest awaits it any more, and asyncio would log it as never retrieved.
                future.exception()


def _settle(pending, message):
    """Resolves a pending call's future with the answer (coroutine calls) or its value (_ValueCall)."""
    if type(pending) is _ValueCall:
        pending.settle(message)
    elif not pending.done():
        pending.set_result(message)


def _codecall_async(function):
    return function._call_async if isinstance(function, _Tool) else function


def _codecall_future(function):
    return function._call_future if isinstance(function, _Tool) else function


class _TopLevel(ast.NodeTransformer):
    """Turns top-level `return x` into `raise __codecall_return__(x)`; leaves nested scopes alone."""

    def visit_FunctionDef(self, node):
        return node

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_ClassDef = visit_FunctionDef
    visit_Lambda = visit_FunctionDef

    def visit_Return(self, node):
        value = node.value if node.value is not None else ast.Constant(value=None)
        call = ast.Call(func=ast.Name(id="__codecall_return__", ctx=ast.Load()), args=[value], keywords=[])
        return ast.copy_location(ast.Raise(exc=call, cause=None), node)


def _compile(code, policy=None):
    tree = ast.parse(code, filename=GUEST_FILENAME, mode="exec")
    # Checked before anything runs, on the guest's own tree (the rewrites below add dunder names).
    _validate(tree, policy)
    tree = _AsyncCalls(tree).run()
    tree = _TopLevel().visit(tree)
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = tree.body[-1]
        target = ast.Name(id="__codecall_value__", ctx=ast.Store())
        tree.body[-1] = ast.copy_location(ast.Assign(targets=[target], value=last.value), last)
    ast.fix_missing_locations(tree)
    return compile(tree, GUEST_FILENAME, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)


def _guest_line(error):
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == GUEST_FILENAME:
            line = frame.lineno
    return line


# Bounds of the error fields the host accepts (runnerMessageBounds in the host's protocol module).
MAX_ERROR_MESSAGE = 8000
MAX_LABEL = 200


def _describe(error, code):
    if isinstance(error, MemoryError):
        return {"code": "MEMORY_LIMIT", "name": "MemoryError", "message": "The code ran out of memory (limits.memoryLimitBytes)."}
    line = _guest_line(error)
    if isinstance(error, ToolError):
        described = {"code": "TOOL_ERROR", "name": "ToolError", "message": str(error.message), "toolErrorCode": str(error.code)[:MAX_LABEL]}
    else:
        try:
            message = str(error)
        except Exception:
            message = ""
        described = {"code": code, "name": type(error).__name__[:MAX_LABEL], "message": message or type(error).__name__}
    described["message"] = described["message"][:MAX_ERROR_MESSAGE]
    if isinstance(line, int) and line > 0:
        described["line"] = line
    return described


async def _execute(message):
    global _run
    run = _Run(message)
    _run = run
    guest_globals = {"__name__": "__main__", "__builtins__": builtins, "ToolError": ToolError, "__codecall_return__": _Return, "__codecall_async__": _codecall_async, "__codecall_future__": _codecall_future}
    for tool in message.get("tools") or []:
        parameters = tool.get("parameters")
        parameters = [p for p in parameters if isinstance(p, dict) and isinstance(p.get("name"), str)] if isinstance(parameters, list) else None
        guest_globals[str(tool["identifier"])] = _Tool(str(tool["name"]), str(tool["identifier"]), parameters)
    try:
        code_object = _compile(str(message.get("code", "")), message.get("validation"))
    except _ValidationFailed as refused:
        return {"t": "error", "error": refused.describe()}
    except SyntaxError as error:
        described = {"code": "SYNTAX_ERROR", "name": type(error).__name__, "message": str(error.msg)[:MAX_ERROR_MESSAGE]}
        if isinstance(error.lineno, int) and error.lineno > 0:
            described["line"] = error.lineno
        return {"t": "error", "error": described}
    except (MemoryError, RecursionError, ValueError) as error:
        return {"t": "error", "error": _describe(error, "SYNTAX_ERROR")}
    try:
        try:
            outcome = eval(code_object, guest_globals)
            if code_object.co_flags & CO_COROUTINE:
                await outcome
        except _Return as returned:
            value = returned.value
        else:
            value = guest_globals.get("__codecall_value__")
            # The orchestrator convention: no return and no final value, but a top-level `result`.
            if value is None:
                value = guest_globals.get("result")
    except BaseException as error:  # noqa: BLE001 - every guest failure becomes a result
        return {"t": "error", "error": _describe(error, "RUNTIME_ERROR")}
    if value is None:
        return {"t": "done"}
    text, failure = _to_json(value, run.max_value_bytes)
    if failure is not None:
        too_large, detail = failure
        if too_large:
            return {"t": "error", "error": {"code": "OUTPUT_LIMIT", "name": "OutputLimitError", "message": f"The return value {detail}."}}
        return {"t": "error", "error": {"code": "RUNTIME_ERROR", "name": "TypeError", "message": f"The return value cannot be expressed as JSON: {detail}"}}
    return {"t": "done", "value": text}


def _finish(final):
    global _run, _batching
    _batching = False
    run = _run
    try:
        _flush_output()
    except MemoryError:
        pass
    if run is not None:
        run.finished = True
        aborted = {"ok": False, "code": "ABORTED", "message": "The run has ended."}
        for pending in run.pending.values():
            _settle(pending, aborted)
    _run = None
    _send(final)


def _handle_result(message):
    run = _run
    if run is None:
        return
    pending = run.pending.pop(message.get("id"), None)
    if pending is not None:
        _settle(pending, message)


def _parse(line):
    try:
        return _loads(line)
    except ValueError:
        _send({"t": "fatal", "message": "The runner received a line that is not JSON."})
        os._exit(65)


def _drain():
    while _lines:
        message = _parse(_lines.popleft())
        if isinstance(message, dict) and message.get("t") == "result":
            _handle_result(message)


# --- between runs (reuse) --------------------------------------------------------------------------
# With `reuse`, one process serves several runs. After each run the runner puts back what the run
# may have changed and checks for what it cannot take back (threads, child processes, tasks that
# refuse to stop). Clean: it reports `idle` and waits for the next `start`. Not clean: it exits, and
# the host starts a fresh process. This keeps honest code's leftovers out of the next run; a guest
# that sets out to subvert the runner itself is stopped by the process boundary only, which is why
# reuse is for trusted code.


class _Baseline:
    def __init__(self):
        self.builtins = dict(vars(builtins))
        self.modules = set(sys.modules)
        self.environ = dict(os.environ)
        self.cwd = os.getcwd()
        self.entries = set(_list_directory(self.cwd))
        self.threads = threading.active_count()
        self.tasks = _task_count()
        self.streams = (sys.stdout, sys.stderr, sys.stdin)
        self.gc_callbacks = list(__import__("gc").callbacks)
        # The functions and classes of every loaded module (a run can patch json.dumps as easily as
        # a global). Module state is not put back (stdlib modules change their own data as they
        # go); a replaced function or class retires the process instead. Per module: a getter of
        # their current values (operator.itemgetter, which looks them all up in C) and the values
        # as they were. Checking about 3,900 of them one by one in Python took 0.3 ms after each
        # run, 0.9 ms when the run followed a pause, on the run's path (before `idle`).
        self.callables = []
        for name, module in list(sys.modules.items()):
            namespace = getattr(module, "__dict__", None)
            if not isinstance(namespace, dict):
                continue
            keys = [key for key, value in namespace.items() if callable(value)]
            if keys:
                # Two keys at least, so that the getter returns a tuple.
                getter = _itemgetter(*keys, keys[0])
                self.callables.append((namespace, getter, getter(namespace)))


def _list_directory(path):
    try:
        return os.listdir(path)
    except OSError:
        return []


def _task_count():
    return len(_list_directory("/proc/self/task"))


def _has_children():
    for task in _list_directory("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/children", "r") as handle:
                if handle.read().strip():
                    return True
        except OSError:
            pass
    return False


def _remove(path):
    import shutil

    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def _restore_builtins(baseline):
    # The guest's builtins are the process's: a run that replaced len() would break the runner's
    # own code (and json's), so they are put back before the runner reports the result.
    current = vars(builtins)
    if current != baseline.builtins:
        current.clear()
        current.update(baseline.builtins)


def _clean_up(loop, baseline):
    """Undoes what a run changed in this process; False when something cannot be undone."""
    clean = True
    for task in asyncio.all_tasks(loop):
        task.cancel()
    try:
        loop.run_until_complete(asyncio.sleep(0))
    except BaseException:  # noqa: BLE001 - a guest task that fails while cancelled
        clean = False
    if any(not task.done() for task in asyncio.all_tasks(loop)):
        clean = False
    for handle in list(getattr(loop, "_scheduled", [])):
        handle.cancel()
    sys.settrace(None)
    sys.setprofile(None)
    threading.settrace(None)
    threading.setprofile(None)
    gc_callbacks = __import__("gc").callbacks
    gc_callbacks[:] = baseline.gc_callbacks
    sys.stdout, sys.stderr, sys.stdin = baseline.streams
    _restore_builtins(baseline)
    for name in set(sys.modules) - baseline.modules:
        del sys.modules[name]
    for namespace, getter, saved in baseline.callables:
        try:
            # Tuples compare item by item, identity first: a replaced function or class (which
            # compare by identity) makes them differ; a removed one raises KeyError.
            if getter(namespace) != saved:
                clean = False
                break
        except Exception:  # noqa: BLE001 - a missing name, or a replacement whose __eq__ raises
            clean = False
            break
    if dict(os.environ) != baseline.environ:
        os.environ.clear()
        os.environ.update(baseline.environ)
    try:
        os.chdir(baseline.cwd)
        for entry in set(_list_directory(baseline.cwd)) - baseline.entries:
            _remove(os.path.join(baseline.cwd, entry))
    except OSError:
        clean = False
    if threading.active_count() > baseline.threads or _task_count() > baseline.tasks or _has_children():
        clean = False
    return clean


# --- main loop --------------------------------------------------------------------------------------


def _rehearse(loop):
    """Runs the whole start path once before `ready`, so the first real run does not pay for
    first-time work (compiling, loading lazily imported modules)."""
    global _run
    try:
        rehearsal = {"t": "start", "code": "import asyncio\nvalue = {'list': [1, 'two', None], 'nested': {'ok': True}}\nvalue", "tools": [], "limits": {}}
        loop.run_until_complete(_execute(rehearsal))
        _describe(TypeError("rehearsal"), "RUNTIME_ERROR")
    except Exception:
        pass
    _run = None


def _next_start():
    """The next `start` message, or None when the host closed the stream."""
    while True:
        line = _next_line_blocking()
        if line is None:
            return None
        message = _parse(line)
        if not isinstance(message, dict) or message.get("t") != "start":
            continue
        if message.get("v") != PROTOCOL_VERSION:
            _send({"t": "fatal", "message": f"Protocol version {message.get('v')} is not supported; this runner speaks {PROTOCOL_VERSION}."})
            os._exit(65)
        return message


def _run_once(loop, message, baseline):
    global _loop
    _loop = loop
    if not _eof:
        loop.add_reader(_in_fd, _on_readable)
    try:
        final = loop.run_until_complete(_execute(message))
    except BaseException as error:  # noqa: BLE001
        final = {"t": "error", "error": _describe(error, "RUNTIME_ERROR")}
    _restore_builtins(baseline)
    _finish(final)
    if not _eof:
        loop.remove_reader(_in_fd)
    _loop = None


def main():
    loop = asyncio.SelectorEventLoop(_PollingSelector())
    asyncio.set_event_loop(loop)
    _rehearse(loop)
    baseline = _Baseline()
    _send({"t": "ready", "v": PROTOCOL_VERSION, "runtime": "python", "version": sys.version.split()[0], "pid": os.getpid()})
    while True:
        message = _next_start()
        if message is None:
            os._exit(0)
        _run_once(loop, message, baseline)
        if message.get("reuse") is not True or _eof:
            os._exit(0)
        if not _clean_up(loop, baseline):
            os._exit(0)
        _send({"t": "idle"})


if __name__ == "__main__":
    main()
