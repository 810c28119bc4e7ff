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
import sys
import threading
import traceback

PROTOCOL_VERSION = 1
# The runner's own references: guest code shares this process's modules (json.dumps = …).
_json_dumps = json.dumps
_json_loads = json.loads
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

_write_lock = threading.Lock()


def _send(message):
    text = _json_dumps(message, ensure_ascii=False, separators=(",", ":")) + "\n"
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate: escape it as \uXXXX (valid JSON, valid UTF-8) like JSON.stringify does.
        data = (_json_dumps(message, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")
    view = memoryview(data)
    with _write_lock:
        while view:
            written = os.write(_out_fd, view)
            view = view[written:]


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
    if b"\n" not in chunk:
        _parts.append(chunk)
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


def _to_json(value, max_bytes):
    """Returns (json_text, None) or (None, (too_large, message))."""
    try:
        plain = _plain(value, [max_bytes], set())
        text = _json_dumps(plain, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
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


def _make_tool(name, identifier):
    async def tool(*args, **kwargs):
        run = _run
        if run is None or run.finished:
            raise ToolError("ABORTED", "The run has ended.", name)
        if len(args) > 1:
            raise TypeError(f"{identifier}() takes one dict argument ({len(args)} given)")
        value = args[0] if args else None
        if kwargs:
            if value is None:
                value = kwargs
            elif isinstance(value, dict):
                value = {**value, **kwargs}
            else:
                raise TypeError(f"{identifier}() takes either one dict argument or keyword arguments")
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
        future = asyncio.get_running_loop().create_future()
        run.pending[call_id] = future
        _flush_output()
        message = {"t": "call", "id": call_id, "name": name}
        if input_json is not None:
            message["input"] = input_json
        _send(message)
        result = await future
        if result.get("ok"):
            output = result.get("output")
            return None if output is None else _json_loads(output)
        raise ToolError(str(result.get("code")), str(result.get("message")), name)

    tool.__name__ = identifier
    tool.__qualname__ = identifier
    return tool


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


def _compile(code):
    tree = ast.parse(code, filename=GUEST_FILENAME, mode="exec")
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
    guest_globals = {"__name__": "__main__", "__builtins__": builtins, "ToolError": ToolError, "__codecall_return__": _Return}
    for tool in message.get("tools") or []:
        guest_globals[str(tool["identifier"])] = _make_tool(str(tool["name"]), str(tool["identifier"]))
    try:
        code_object = _compile(str(message.get("code", "")))
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
    global _run
    run = _run
    try:
        _flush_output()
    except MemoryError:
        pass
    if run is not None:
        run.finished = True
        for future in run.pending.values():
            if not future.done():
                future.set_result({"ok": False, "code": "ABORTED", "message": "The run has ended."})
    _run = None
    _send(final)


def _handle_result(message):
    run = _run
    if run is None:
        return
    future = run.pending.pop(message.get("id"), None)
    if future is not None and not future.done():
        future.set_result(message)


def _parse(line):
    try:
        return _json_loads(line)
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


_missing = object()


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
        # go); a replaced function or class retires the process instead.
        self.callables = []
        for name, module in list(sys.modules.items()):
            namespace = getattr(module, "__dict__", None)
            if isinstance(namespace, dict):
                self.callables.append((namespace, [(key, value) for key, value in namespace.items() if callable(value)]))


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
    for namespace, saved in baseline.callables:
        for key, value in saved:
            if namespace.get(key, _missing) is not value:
                clean = False
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
    loop = asyncio.new_event_loop()
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


main()
