import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { defaultValidationPolicy } from '@codecall/core';
import { describe, expect, test } from 'vitest';
import { pythonRunnerPath, runnerProtocolVersion } from '../src/index.js';

// The python runner driven over its protocol by hand, so that the order of answers is ours to
// choose: a synchronous call must keep waiting for its own answer while answers to other calls
// arrive first.

interface Call {
  readonly id: number;
  readonly name: string;
  readonly input: unknown;
}

interface Driver {
  /** The next call, or the final message when the run ended before calling again. */
  next(): Promise<Call | { readonly final: Record<string, unknown> }>;
  answer(id: number, output: unknown): void;
  close(): void;
}

const tools = [
  { name: 'echo', identifier: 'echo', parameters: [{ name: 'value', required: true }, { name: 'note', required: false }] },
  { name: 'get_task_status', identifier: 'get_task_status', parameters: [{ name: 'task_id', required: true }] },
];

async function startRunner(code: string, validation: unknown = defaultValidationPolicy.python): Promise<Driver> {
  const child = spawn('python3', ['-I', '-B', pythonRunnerPath], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const read = async (): Promise<Record<string, unknown>> => {
    for (;;) {
      const { value, done } = await lines.next();
      if (done === true) throw new Error('the runner closed its output');
      const message = JSON.parse(value) as Record<string, unknown>;
      if (message['t'] !== 'out') return message;
    }
  };
  expect((await read())['t']).toBe('ready');
  const start = { t: 'start', v: runnerProtocolVersion, language: 'python', code, tools, limits: { maxValueBytes: 1 << 20, maxOutputBytes: 10_000 }, ...(validation === undefined ? {} : { validation }) };
  child.stdin.write(`${JSON.stringify(start)}\n`);
  return {
    next: async () => {
      const message = await read();
      return message['t'] === 'call'
        ? { id: message['id'] as number, name: message['name'] as string, input: message['input'] === undefined ? undefined : JSON.parse(message['input'] as string) }
        : { final: message };
    },
    answer: (id, output) => child.stdin.write(`${JSON.stringify({ t: 'result', id, ok: true, output: JSON.stringify(output) })}\n`),
    close: () => child.kill('SIGKILL'),
  };
}

/** Runs a program whose calls are answered in order with `answer(call)`; returns the calls and the final message. */
async function runAnswering(code: string, answer: (call: Call) => unknown, validation?: unknown): Promise<{ calls: Call[]; final: Record<string, unknown> }> {
  const driver = await startRunner(code, validation);
  const calls: Call[] = [];
  try {
    for (;;) {
      const next = await driver.next();
      if ('final' in next) return { calls, final: next.final };
      calls.push(next);
      driver.answer(next.id, answer(next));
    }
  } finally {
    driver.close();
  }
}

describe('python runner: synchronous calls', () => {
  test('a synchronous call keeps waiting for its own answer while an earlier async call is answered first', async () => {
    const driver = await startRunner(
      ['import asyncio', 'task = asyncio.create_task(echo("async"))', 'await asyncio.sleep(0)', 'now = echo("sync")', 'later = await task', 'result = [now, later]'].join('\n'),
    );
    try {
      const first = await driver.next();
      const second = await driver.next();
      expect([first, second]).toMatchObject([{ id: 1, input: { value: 'async' } }, { id: 2, input: { value: 'sync' } }]);
      // The async call's answer arrives while the program is blocked in the synchronous one.
      driver.answer(1, 'answer to async');
      driver.answer(2, 'answer to sync');
      const final = await driver.next();
      expect(final).toEqual({ final: { t: 'done', value: '["answer to sync","answer to async"]' } });
    } finally {
      driver.close();
    }
  });

  test('calls without await work in generator expressions, comprehensions and helpers, with the result convention', async () => {
    const { calls, final } = await runAnswering(
      ['ids = ["T-1", "T-2", "T-3"]', 'def status(t):', '    return get_task_status(t)["status"]', 'done = all(get_task_status(t)["status"] == "completed" for t in ids)', 'result = {"done": done, "each": [status(t) for t in ids]}'].join('\n'),
      (call) => ({ status: (call.input as { task_id: string }).task_id === 'T-2' ? 'pending' : 'completed' }),
    );
    expect(final).toEqual({ t: 'done', value: '{"done":false,"each":["completed","pending","completed"]}' });
    // all() stops at the first pending task: T-1, T-2, then the three of the comprehension.
    expect(calls.map((call) => call.input)).toEqual([{ task_id: 'T-1' }, { task_id: 'T-2' }, { task_id: 'T-1' }, { task_id: 'T-2' }, { task_id: 'T-3' }]);
  });

  test('awaited and gathered calls stay concurrent: all are sent before any is answered', async () => {
    const driver = await startRunner(['import asyncio', 'tasks = [echo(i) for i in range(3)]', 'first = await asyncio.gather(*tasks)', 'return list(first)'].join('\n'));
    try {
      const sent = [await driver.next(), await driver.next(), await driver.next()] as Call[];
      expect(sent.map((call) => call.input)).toEqual([{ value: 0 }, { value: 1 }, { value: 2 }]);
      for (const call of [...sent].reverse()) driver.answer(call.id, call.id * 10);
      expect(await driver.next()).toEqual({ final: { t: 'done', value: '[10,20,30]' } });
    } finally {
      driver.close();
    }
  });
});

describe('python runner: an awaited call waits without the event loop only while nothing else can run', () => {
  test('a signal handler of the loop still runs while an awaited call waits (the wait goes back to the loop)', async () => {
    // Nothing is ready or timed when echo(pid) is awaited, so the runner waits for its answer
    // itself; the signal must hand the wait back to the loop, whose handler wakes the other task.
    const driver = await startRunner(
      [
        'import asyncio, os, signal',
        'woken = asyncio.Event()',
        'asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, woken.set)',
        'async def on_signal():',
        '    await woken.wait()',
        '    return await echo("signalled")',
        'task = asyncio.create_task(on_signal())',
        'await asyncio.sleep(0)',
        'first = await echo(os.getpid())',
        'return [first, await task]',
      ].join('\n'),
      null, // no rules: the program uses os and signal
    );
    try {
      const first = await driver.next();
      expect(first).toMatchObject({ id: 1, input: { value: expect.any(Number) } });
      process.kill(((first as Call).input as { value: number }).value, 'SIGUSR1');
      // Fails without the hand-back: the runner would stay blocked on call 1, which is answered
      // only after call 2 arrived.
      const second = await driver.next();
      expect(second).toMatchObject({ id: 2, input: { value: 'signalled' } });
      driver.answer(2, 'two');
      driver.answer(1, 'one');
      expect(await driver.next()).toEqual({ final: { t: 'done', value: '["one","two"]' } });
    } finally {
      driver.close();
    }
  });

  test('a task sleeping on a timer keeps running while an awaited call waits', async () => {
    const driver = await startRunner(
      ['import asyncio', 'ticks = []', 'async def tick():', '    await asyncio.sleep(0.01)', '    ticks.append(await echo("tick"))', 'task = asyncio.create_task(tick())', 'first = await echo("main")', 'await task', 'return [first, ticks]'].join('\n'),
    );
    try {
      const main = await driver.next();
      expect(main).toMatchObject({ id: 1, input: { value: 'main' } });
      // Call 1 stays unanswered until the timer task has made its own call.
      const tick = await driver.next();
      expect(tick).toMatchObject({ id: 2, input: { value: 'tick' } });
      driver.answer(2, 't');
      driver.answer(1, 'm');
      expect(await driver.next()).toEqual({ final: { t: 'done', value: '["m",["t"]]' } });
    } finally {
      driver.close();
    }
  });

  test('sequential awaited calls each get their own answer, in order', async () => {
    const { calls, final } = await runAnswering(['out = []', 'for i in range(50):', '    out.append(await echo(i))', 'return out'].join('\n'), (call) => (call.input as { value: number }).value * 2);
    expect(calls).toHaveLength(50);
    expect(JSON.parse(final['value'] as string)).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
  });
});

describe('python runner: a call handed to asyncio.gather & co. is a future of its value', () => {
  test('it is sent when it is made, like a JavaScript promise, before a later synchronous call', async () => {
    const { calls, final } = await runAnswering(
      ['import asyncio', 'later = [echo(i) for i in range(2)]', 'now = echo("sync")', 'return [now, await asyncio.gather(*later)]'].join('\n'),
      (call) => call.input,
    );
    expect(calls.map((call) => call.input)).toEqual([{ value: 0 }, { value: 1 }, { value: 'sync' }]);
    expect(final).toEqual({ t: 'done', value: '[{"value":"sync"},[{"value":0},{"value":1}]]' });
  });

  test('asyncio.wait takes tool calls (it refuses coroutines since Python 3.11), and so do wait_for and as_completed', async () => {
    const { final } = await runAnswering(
      [
        'import asyncio',
        'done, pending = await asyncio.wait([echo(1), echo(2)])',
        'one = await asyncio.wait_for(echo(3), 5)',
        'both = [await call for call in asyncio.as_completed([echo(4), echo(5)])]',
        'return [sorted(t.result() for t in done), len(pending), one, sorted(both)]',
      ].join('\n'),
      (call) => (call.input as { value: number }).value,
    );
    expect(final).toEqual({ t: 'done', value: '[[1,2],0,3,[4,5]]' });
  });

  test('a call that cannot be sent fails where it is awaited, beside the calls that succeed', async () => {
    const { calls, final } = await runAnswering(
      ['import asyncio', 'out = await asyncio.gather(echo(1), echo(1, 2, 3), echo(2), return_exceptions=True)', 'return [type(x).__name__ if isinstance(x, Exception) else x for x in out]'].join('\n'),
      (call) => (call.input as { value: number }).value,
    );
    expect(calls.map((call) => call.input)).toEqual([{ value: 1 }, { value: 2 }]);
    expect(final).toEqual({ t: 'done', value: '[1,"TypeError",2]' });
  });

  test('a call that reaches create_task through a name stays a coroutine', async () => {
    const { final } = await runAnswering(
      ['import asyncio', 'made = [echo(i) for i in range(2)]', 'tasks = [asyncio.create_task(call) for call in made]', 'return [await task for task in tasks]'].join('\n'),
      (call) => (call.input as { value: number }).value,
    );
    expect(final).toEqual({ t: 'done', value: '[0,1]' });
  });
});

describe('python runner: arguments', () => {
  test.each([
    ['echo(1)', { value: 1 }],
    ['echo(1, "n")', { value: 1, note: 'n' }],
    ['echo(1, note="n")', { value: 1, note: 'n' }],
    ['echo(value=1, note=None)', { value: 1 }],
    ['echo({"value": 1, "note": "n"})', { value: 1, note: 'n' }],
    ['echo({"other": 1})', { value: { other: 1 } }],
    // Flat dicts of str/int/bool/None skip the copy; other values take the copying path.
    ['echo({"value": "ü", "note": None})', { value: 'ü', note: null }],
    ['echo({"value": True, "note": -0.0})', { value: true, note: 0 }],
    ['echo({"value": (1, 2.5)})', { value: [1, 2.5] }],
  ])('%s sends %j', async (code, input) => {
    const { calls, final } = await runAnswering(code, () => null);
    expect(final['t']).toBe('done');
    expect(calls.map((call) => call.input)).toEqual([input]);
  });

  test.each([
    ['echo(1, 2, 3)', /echo\(\) takes 1 positional argument\(s\) \(up to 2 with the optional ones\) but 3 were given; expected echo\(value, \*, note=None\)/],
    ['echo(note="n")', /echo\(\) missing 1 required argument\(s\): 'value'; expected echo\(value, \*, note=None\), got 0 positional argument\(s\) and keyword argument\(s\): note/],
    ['echo(1, colour="red")', /echo\(\) got an unexpected keyword argument 'colour'/],
    ['echo(1, value=2)', /echo\(\) got multiple values for argument 'value'/],
  ])('%s is a TypeError naming the tool and its parameters, and sends nothing', async (code, message) => {
    const { calls, final } = await runAnswering(code, () => null);
    expect(calls).toEqual([]);
    expect(final).toMatchObject({ t: 'error', error: { code: 'RUNTIME_ERROR', name: 'TypeError', line: 1 } });
    expect((final['error'] as { message: string }).message).toMatch(message);
  });
});

describe('python runner: validation', () => {
  test.each([
    ['import os', 'forbidden-import', 'os', 1],
    ['import json\nfrom subprocess import run', 'forbidden-import', 'subprocess', 2],
    ['from . import sibling', 'forbidden-import', '.', 1],
    ['x = 1\n\n__import__("os")', 'forbidden-name', '__import__', 3],
    ['open("/etc/passwd").read()', 'forbidden-name', 'open', 1],
    ['eval("1")', 'forbidden-name', 'eval', 1],
    ['exec("x = 1")', 'forbidden-name', 'exec', 1],
    ['compile("1", "f", "eval")', 'forbidden-name', 'compile', 1],
    ['globals()["x"] = 1', 'forbidden-name', 'globals', 1],
    ['vars()', 'forbidden-name', 'vars', 1],
    ['breakpoint()', 'forbidden-name', 'breakpoint', 1],
    ['__builtins__', 'forbidden-name', '__builtins__', 1],
    ['().__class__.__bases__[0].__subclasses__()', 'forbidden-attribute', '__class__', 1],
    ['echo.__call__.__func__.__globals__', 'forbidden-attribute', '__call__', 1],
    ['(lambda: 0).__code__', 'forbidden-attribute', '__code__', 1],
    ['def g():\n    yield 1\ng().gi_frame.f_globals', 'forbidden-attribute', 'gi_frame', 3],
    ['try:\n    1 / 0\nexcept Exception as e:\n    e.__traceback__.tb_frame', 'forbidden-attribute', '__traceback__', 4],
    ['import typing\ntyping.sys', 'forbidden-attribute', 'sys', 2],
    ['import random\nrandom._os', 'forbidden-attribute', '_os', 2],
    ['import asyncio\nasyncio.create_subprocess_shell("id")', 'forbidden-attribute', 'create_subprocess_shell', 2],
    ['from asyncio import open_connection', 'forbidden-attribute', 'open_connection', 1],
    ['getattr(echo, "__globals__")', 'forbidden-attribute', '__globals__', 1],
    ['name = "x"\ngetattr(echo, name)', 'dynamic-attribute', 'getattr', 2],
    ['setattr(ToolError, "__init__", 1) or delattr(ToolError, "__str__")', 'forbidden-attribute', '__str__', 1],
    ['import operator\noperator.attrgetter("__class__")(1)', 'forbidden-attribute', '__class__', 2],
    ['"{0.__class__.__mro__}".format(1)', 'forbidden-attribute', '__class__', 1],
    ['match 1:\n    case int(__class__=c):\n        pass', 'forbidden-attribute', '__class__', 2],
  ])('%j is refused (%s %s, line %d) before anything runs', async (code, rule, name, line) => {
    const { calls, final } = await runAnswering(`print("started")\n${code}`, () => null);
    expect(calls).toEqual([]);
    expect(final).toEqual({
      t: 'error',
      error: {
        code: 'VALIDATION_ERROR',
        name: 'ValidationError',
        message: `${{ 'forbidden-import': 'Forbidden import', 'forbidden-name': 'Forbidden name', 'forbidden-attribute': 'Forbidden attribute', 'dynamic-attribute': 'Forbidden dynamic attribute access' }[rule] ?? ''}: ${name} at line ${line + 1}. The code was checked before it ran and did not start; rewrite it without ${name}.`,
        line: line + 1,
        validation: { rule, name },
      },
    });
  });

  test('ordinary programs pass: allowed modules, classes with self._private, __name__, f-strings, match', async () => {
    const code = [
      'import asyncio, collections, dataclasses, datetime, functools, itertools, json, math, re, statistics',
      'from collections import Counter, defaultdict',
      '@dataclasses.dataclass',
      'class Row:',
      '    name: str',
      '    def __post_init__(self):',
      '        self._key = self.name.lower()',
      '    def key(self):',
      '        return self._key',
      'rows = [Row(n) for n in ["B", "a"]]',
      'counts = Counter(r.key() for r in rows)',
      'match counts:',
      '    case {"a": 1}:',
      '        kind = type(counts).__name__',
      'if __name__ == "__main__":',
      '    stamp = datetime.date(2026, 1, 2).isoformat()',
      'result = {"kind": kind, "stamp": stamp, "mean": statistics.mean([1, 2, 3]), "text": f"{math.pi:.2f}", "echo": echo(re.sub("a", "b", "aa"))}',
    ].join('\n');
    const { final } = await runAnswering(code, (call) => call.input);
    expect(final).toEqual({ t: 'done', value: '{"kind":"Counter","stamp":"2026-01-02","mean":2,"text":"3.14","echo":{"value":"bb"}}' });
  });

  test('without rules in start, nothing is checked', async () => {
    const { final } = await runAnswering('import os\nresult = os.sep', () => null, null);
    expect(final).toEqual({ t: 'done', value: '"/"' });
  });
});
