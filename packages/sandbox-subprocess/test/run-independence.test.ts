import { executeHostile } from '@codecall/runner/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createSubprocessSandbox } from '../src/index.js';
import type { SubprocessSandbox } from '../src/index.js';
import { eventually, hostProcessesWith } from './helpers.js';

// Pooled runners that serve several runs (maxReuse > 1): nothing a run leaves behind reaches the
// next run. What can be undone is undone (globals, files, environment); what cannot (timers,
// threads, child processes, output after the result) retires the process.

type Language = 'javascript' | 'python';

// A process's identity: its pid and start time (inside a jail every runner is pid 2 of its namespace).
const identity = {
  javascript: '(process.pid + ":" + require("node:fs").readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ")[19])',
  python: '(str(__import__("os").getpid()) + ":" + open("/proc/self/stat").read().split(") ")[1].split(" ")[19])',
};
const pidAndValue = {
  javascript: (expression: string) => `return [${identity.javascript}, ${expression}];`,
  python: (expression: string) => `return [${identity.python}, ${expression}]`,
};

describe.each([
  ['plain', 'javascript'],
  ['plain', 'python'],
  ['jail', 'javascript'],
  ['jail', 'python'],
] as const)('runs are independent on a reused %s runner (%s)', (launcher, language: Language) => {
  let sandbox: SubprocessSandbox;
  beforeAll(() => {
    sandbox = createSubprocessSandbox({ launcher, pool: { size: 1, maxReuse: 50 } });
  });
  afterAll(() => sandbox.dispose());

  const run = async (code: string): Promise<{ pid: string; value: unknown; stdout: string; stderr: string }> => {
    const { result } = await executeHostile(sandbox, language, code);
    if (result.type !== 'success') throw new Error(`run failed: ${JSON.stringify(result)}`);
    const [pid, value] = JSON.parse(result.valueJson ?? 'null') as [string, unknown];
    return { pid, value, stdout: result.stdout, stderr: result.stderr };
  };

  test('a clean run hands its process to the next run', async () => {
    const first = await run(pidAndValue[language]('1'));
    const second = await run(pidAndValue[language]('2'));
    expect(second).toMatchObject({ pid: first.pid, value: 2 });
  });

  test('globals, built-ins and the environment a run changed are back to what they were', async () => {
    const change = language === 'python'
      ? `import builtins, os, json\nbuiltins.leaked = 1\nbuiltins.sorted = lambda *args, **kwargs: "patched"\nos.environ["LEAKED"] = "1"\njson.dumps = lambda *args, **kwargs: "patched"\nreturn [${identity.python}, 0]`
      : `globalThis.leaked = 1; globalThis.JSON = { parse: () => 42 }; process.env.LEAKED = "1"; return [${identity.javascript}, 0];`;
    const check = language === 'python'
      ? `import builtins, os, json\nreturn [${identity.python}, [hasattr(builtins, "leaked"), len(sorted([2, 1])), "LEAKED" in os.environ, json.dumps([1]) != "[1]"]]`
      : `return [${identity.javascript}, [typeof leaked !== "undefined", JSON.parse("[1, 2]").length, "LEAKED" in process.env, false]];`;
    const first = await run(change);
    const second = await run(check);
    expect(second.value).toStrictEqual([false, 2, false, false]);
    // JavaScript: everything could be put back, so the process was reused. Python: a replaced module
    // function is not put back; the process retired instead.
    if (language === 'javascript') expect(second.pid).toBe(first.pid);
    else expect(second.pid).not.toBe(first.pid);
  });

  test('files written to the working directory and TMPDIR are gone in the next run', async () => {
    const write = language === 'python'
      ? `import os, tempfile\nopen("leak.txt", "w").write("x")\nos.mkdir("leakdir")\nopen(os.path.join(tempfile.gettempdir(), "leak-tmp.txt"), "w").write("x")\nreturn [${identity.python}, 0]`
      : `const fs = require("node:fs"), os = require("node:os"), path = require("node:path"); fs.writeFileSync("leak.txt", "x"); fs.mkdirSync("leakdir"); fs.writeFileSync(path.join(os.tmpdir(), "leak-tmp.txt"), "x"); return [${identity.javascript}, 0];`;
    const read = language === 'python'
      ? `import os, tempfile\nreturn [${identity.python}, [os.path.exists("leak.txt"), os.path.exists("leakdir"), os.path.exists(os.path.join(tempfile.gettempdir(), "leak-tmp.txt"))]]`
      : `const fs = require("node:fs"), os = require("node:os"), path = require("node:path"); return [${identity.javascript}, [fs.existsSync("leak.txt"), fs.existsSync("leakdir"), fs.existsSync(path.join(os.tmpdir(), "leak-tmp.txt"))]];`;
    await run(write);
    expect((await run(read)).value).toStrictEqual([false, false, false]);
  });

  test('a timer or thread that outlives its run never writes into the next run; its process retires', async () => {
    const leave = language === 'python'
      ? `import os, threading, time\ndef tick():\n    while True:\n        print("LEFTOVER")\n        time.sleep(0.02)\nthreading.Thread(target=tick, daemon=True).start()\nreturn [${identity.python}, 0]`
      : `setInterval(() => console.log("LEFTOVER"), 20); return [${identity.javascript}, 0];`;
    const first = await run(leave);
    const second = await run(language === 'python' ? `import os, time\ntime.sleep(0.3)\nreturn [${identity.python}, 0]` : `await new Promise((resolve) => setTimeout(resolve, 300)); return [${identity.javascript}, 0];`);
    expect(second.stdout).not.toContain('LEFTOVER');
    expect(second.pid).not.toBe(first.pid);
  });

  test('a child process a run started does not reach the next run; its runner retires', async () => {
    const marker = `leftover${Math.random().toString(36).slice(2)}`;
    const spawnChild = language === 'python'
      ? `import os, subprocess\nsubprocess.Popen(["/bin/sh", "-c", "sleep 30; : ${marker}"])\nreturn [${identity.python}, 0]`
      : `require("node:child_process").spawn("/bin/sh", ["-c", "sleep 30; : ${marker}"], { stdio: "ignore" }).unref(); return [${identity.javascript}, 0];`;
    const first = await run(spawnChild);
    const second = await run(pidAndValue[language]('0'));
    expect(second.pid).not.toBe(first.pid);
    expect(await eventually(() => hostProcessesWith(marker).length === 0)).toBe(true);
  });

  test('output written after the result is dropped and the process retires', async () => {
    const late = language === 'python'
      ? `import os, sys, threading, time\nrunner = sys.modules["__main__"]\ndef late():\n    time.sleep(0.05)\n    runner._send({"t": "out", "fd": 1, "d": "LATE"})\nthreading.Thread(target=late).start()\nreturn [${identity.python}, 0]`
      : `const handle = process._getActiveHandles().find((h) => h && h.writable && h._handle && h._handle.fd > 2);\nsetTimeout(() => handle.write(JSON.stringify({ t: "out", fd: 1, d: "LATE" }) + "\\n"), 0);\nreturn [${identity.javascript}, 0];`;
    const first = await run(late);
    expect(first.stdout).not.toContain('LATE');
    const second = await run(language === 'python' ? `import os, time\ntime.sleep(0.2)\nreturn [${identity.python}, 0]` : `await new Promise((resolve) => setTimeout(resolve, 200)); return [${identity.javascript}, 0];`);
    expect(second.stdout).not.toContain('LATE');
    expect(second.pid).not.toBe(first.pid);
  });
});
