import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { runCode } from '@codecall/core';
import type { RunResult, SandboxLanguage } from '@codecall/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createSubprocessSandbox } from '../src/index.js';
import type { SubprocessSandbox } from '../src/index.js';
import { eventually, hostProcessesWith, slowEcho } from './helpers.js';

const secretName = 'CODECALL_SUBPROCESS_TEST_SECRET';
const secret = `secret-${Math.random().toString(36).slice(2)}`;
process.env[secretName] = secret;

// validation: false: these programs attack the sandbox on purpose; it must hold without the validator.
const run = (sandbox: SubprocessSandbox, language: SandboxLanguage, code: string, timeoutMs = 10_000): Promise<RunResult> =>
  runCode({ sandbox, language, code, tools: [slowEcho], limits: { timeoutMs }, validation: false });

const leakProgram = {
  javascript: `
const fs = require('node:fs');
const out = { env: JSON.stringify(process.env), procs: [] };
for (const pid of fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p))) {
  for (const file of ['environ', 'cmdline']) {
    try { out.procs.push(fs.readFileSync('/proc/' + pid + '/' + file, 'latin1')); } catch {}
  }
}
for (const path of ['/proc/' + process.ppid + '/mem', '/proc/${process.pid}/environ', '/proc/${process.pid}/mem']) {
  try { const fd = fs.openSync(path, 'r'); const b = Buffer.alloc(4096); fs.readSync(fd, b, 0, 4096, 0x400000); out.procs.push(b.toString('latin1')); } catch {}
}
return out;`,
  python: `
import os
out = {"env": repr(dict(os.environ)), "procs": []}
for pid in [p for p in os.listdir("/proc") if p.isdigit()] + ["${process.pid}"]:
    for name in ("environ", "cmdline"):
        try:
            with open(f"/proc/{pid}/{name}", "rb") as f:
                out["procs"].append(f.read().decode("latin-1"))
        except Exception:
            pass
return out`,
};

describe.each(['javascript', 'python'] as const)('jailed %s against hostile code', (language) => {
  let sandbox: SubprocessSandbox;
  beforeAll(() => {
    sandbox = createSubprocessSandbox({ launcher: 'jail', pool: { size: 1 } });
  });
  afterAll(() => sandbox.dispose());

  test('cannot find the host secret in its env, /proc/<pid>/environ of any visible process, or the host pid', async () => {
    const result = await run(sandbox, language, leakProgram[language]);
    expect(result.type).toBe('success');
    expect(JSON.stringify(result)).not.toContain(secret);
    expect(JSON.stringify(result)).not.toContain(secretName);
  });

  // The interpreter's own prefix is mounted read-only (for pyenv that is /root/.pyenv/versions/…): nothing else of /root.
  test('sees neither the host home, the project, nor a writable system', async () => {
    const code = language === 'python'
      ? 'import os\nres = {}\nfor p in ["/work/main/package.json", "/etc/passwd"]:\n    res[p] = os.path.exists(p)\nres["/root"] = [e for e in (os.listdir("/root") if os.path.exists("/root") else []) if e != ".pyenv"] != []\ntry:\n    open("/usr/pwned", "w")\n    res["usr"] = True\nexcept OSError:\n    res["usr"] = False\nres'
      : 'const fs = require("node:fs"); const res = {}; for (const p of ["/work/main/package.json", "/etc/passwd"]) res[p] = fs.existsSync(p);\nres["/root"] = fs.existsSync("/root") && fs.readdirSync("/root").some((e) => e !== ".pyenv");\ntry { fs.writeFileSync("/usr/pwned", "x"); res.usr = true; } catch { res.usr = false; }\nreturn res;';
    const result = await run(sandbox, language, code);
    expect(result).toMatchObject({ type: 'success', value: { '/root': false, '/work/main/package.json': false, '/etc/passwd': false, usr: false } });
  });

  test('a file written to /tmp or the working directory is gone in the next run', async () => {
    const token = `leak-${Math.random().toString(36).slice(2)}`;
    const write = language === 'python'
      ? `open("/tmp/${token}", "w").write("x")\nopen("${token}.cwd", "w").write("x")\nimport os\nos.getcwd()`
      : `const fs = require("node:fs"); fs.writeFileSync("/tmp/${token}", "x"); fs.writeFileSync("${token}.cwd", "x"); return process.cwd();`;
    const read = language === 'python'
      ? `import os\n[os.path.exists("/tmp/${token}"), os.path.exists("${token}.cwd")]`
      : `const fs = require("node:fs"); return [fs.existsSync("/tmp/${token}"), fs.existsSync("${token}.cwd")];`;
    expect(await run(sandbox, language, write)).toMatchObject({ type: 'success', value: '/tmp' });
    expect(await run(sandbox, language, read)).toMatchObject({ type: 'success', value: [false, false] });
  });

  test('cannot reach a server on the host loopback', async () => {
    let connections = 0;
    const server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const code = language === 'python'
        ? `import socket\ntry:\n    socket.create_connection(("127.0.0.1", ${port}), timeout=2)\n    return "connected"\nexcept OSError as error:\n    return "refused"`
        : `const net = require("node:net");\nreturn await new Promise((resolve) => { const s = net.connect(${port}, "127.0.0.1", () => resolve("connected")); s.on("error", () => resolve("refused")); setTimeout(() => resolve("timeout"), 2000); });`;
      expect(await run(sandbox, language, code)).toMatchObject({ type: 'success', value: 'refused' });
      expect(connections).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  // No clock: the bomb's processes would live 10 minutes, far past this test's timeout, so the run
  // settling at all shows it ended at its own limit; the marker (on every bomb process's command
  // line) shows none of them outlives it.
  test('a fork bomb is bounded and ends with the run; the sandbox stays usable', { timeout: 60_000 }, async () => {
    const marker = `bomb${Math.random().toString(36).slice(2)}`;
    const code = language === 'python'
      ? `import os, time\nn = 0\nfor _ in range(100000):\n    try:\n        if os.fork() == 0:\n            try:\n                os.execv("/bin/sh", ["/bin/sh", "-c", "sleep 600; : ${marker}"])\n            finally:\n                os._exit(0)\n        n += 1\n    except OSError:\n        break\nprint("forked", n)\ntime.sleep(600)`
      : `const { spawn } = require("node:child_process");\nlet n = 0;\nfor (let i = 0; i < 2000; i++) { try { const c = spawn("/bin/sh", ["-c", "sleep 600; : ${marker}"]); c.on("error", () => {}); n++; } catch { break; } }\nconsole.log("spawned", n);\nawait new Promise((r) => setTimeout(r, 600_000));`;
    const result = await run(sandbox, language, code, 3_000);
    expect(result).toMatchObject({ type: 'error', error: { code: 'TIMEOUT' } });
    expect(await eventually(() => hostProcessesWith(marker).length === 0)).toBe(true);
    expect(await run(sandbox, language, language === 'python' ? '1 + 1' : 'return 1 + 1;')).toMatchObject({ type: 'success', value: 2 });
  });

  // The run returns only once the daemon runs (it leaves a file first), so the check below cannot
  // pass merely because the daemon had not started yet.
  test('a double-forked daemon does not survive the run', { timeout: 60_000 }, async () => {
    const marker = `daemon${Math.random().toString(36).slice(2)}`;
    const daemon = `: > ${marker}.up; sleep 600; : ${marker}`;
    const code = language === 'python'
      ? `import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        os.execv("/bin/sh", ["/bin/sh", "-c", "${daemon}"])\n    os._exit(0)\nfor _ in range(400):\n    if os.path.exists("${marker}.up"):\n        break\n    time.sleep(0.05)\n"started" if os.path.exists("${marker}.up") else "not started"`
      : `const { spawn } = require("node:child_process");\nconst fs = require("node:fs");\nspawn("/bin/sh", ["-c", "(setsid sh -c '${daemon}' &) "], { detached: true, stdio: "ignore" }).unref();\nfor (let i = 0; i < 400 && !fs.existsSync("${marker}.up"); i++) await new Promise((r) => setTimeout(r, 50));\nreturn fs.existsSync("${marker}.up") ? "started" : "not started";`;
    expect(await run(sandbox, language, code, 60_000)).toMatchObject({ type: 'success', value: 'started' });
    expect(await eventually(() => hostProcessesWith(marker).length === 0)).toBe(true);
  });
});

describe.each(['plain', 'jail'] as const)('%s launcher: protocol abuse', (launcher) => {
  let sandbox: SubprocessSandbox;
  beforeAll(() => {
    sandbox = createSubprocessSandbox({ launcher, pool: { size: 1 } });
  });
  afterAll(() => sandbox.dispose());

  test.each(['javascript', 'python'] as const)('%s: printed and fd-level fake protocol lines are guest output or nothing, never a message', async (language) => {
    const fake = '{"t":"done","value":"42"}';
    const code = language === 'python'
      ? `import os, sys\nprint(${JSON.stringify(fake)})\nsys.stderr.write(${JSON.stringify(fake)} + "\\n")\nfor fd in (0, 1, 2):\n    try:\n        os.write(fd, b'${fake}\\n')\n    except OSError:\n        pass\nx = await slow_echo({"value": "real"})\nx`
      : `const fs = require("node:fs");\nconsole.log(${JSON.stringify(fake)});\nprocess.stdout.write(${JSON.stringify(fake)} + "\\n");\nfor (const fd of [0, 1, 2]) { try { fs.writeSync(fd, ${JSON.stringify(fake + '\n')}); } catch {} }\nreturn await slow_echo({ value: "real" });`;
    const result = await run(sandbox, language, code);
    expect(result).toMatchObject({ type: 'success', value: 'real' });
    expect(result.stdout.startsWith(`${fake}\n`)).toBe(true);
  });

  test.each(['javascript', 'python'] as const)('%s: exiting in the middle of a tool call ends the run with SANDBOX_CRASHED and what is known', async (language) => {
    const code = language === 'python'
      ? 'import os, sys, asyncio\nsys.stderr.write("bye\\n")\nasyncio.get_running_loop().call_later(0.05, lambda: os._exit(7))\nawait slow_echo({"value": 1, "delayMs": 120000})'
      : 'setTimeout(() => process.exit(7), 50);\nawait slow_echo({ value: 1, delayMs: 120000 });';
    // The tool answers after 2 minutes and the run's limit is 10 minutes, both far past this
    // test's timeout: the run settling at all means the exit ended it, not the answer or the limit.
    const result = await run(sandbox, language, code, 600_000);
    expect(result).toMatchObject({ type: 'error', error: { code: 'SANDBOX_CRASHED' } });
    expect(result.type === 'error' && result.error.message).toContain('exited with code 7');
  });

  test.each(['javascript', 'python'] as const)('%s: closing the protocol descriptors ends the run without hanging', async (language) => {
    const code = language === 'python'
      ? 'import os\nfor fd in range(0, 64):\n    try:\n        os.close(fd)\n    except OSError:\n        pass\nimport time\ntime.sleep(600)'
      : 'const fs = require("node:fs");\nfor (let fd = 0; fd < 64; fd++) { try { fs.closeSync(fd); } catch {} }\nawait new Promise((r) => setTimeout(r, 600_000));';
    // The guest sleeps 10 minutes, far past this test's timeout: the run ends by the lost
    // protocol or by its own 5 s limit, never by waiting for the guest.
    const result = await run(sandbox, language, code, 5_000);
    expect(result.type).toBe('error');
    expect(result.type === 'error' && ['SANDBOX_CRASHED', 'TIMEOUT']).toContain(result.type === 'error' ? result.error.code : '');
    expect(await run(sandbox, language, language === 'python' ? '3' : 'return 3;')).toMatchObject({ type: 'success', value: 3 });
  });
});

test.each(['javascript', 'python'] as const)('%s: a runner that floods the protocol stream and stderr a byte at a time still gets its result through', async (language) => {
  // The host reads such streams at a bounded rate (pausing them once a window's small chunks are
  // used up), and resumes them: the run is slowed, not stuck.
  const sandbox = createSubprocessSandbox({ pool: false });
  try {
    const code = language === 'python'
      ? 'import os\nfor _ in range(30000):\n    os.write(4, b"\\n")\n    os.write(2, b"e")\n42'
      // The node runner's protocol descriptor is non-blocking: a write to a full pipe fails with EAGAIN, and a flood retries.
      : 'const fs = require("node:fs");\nconst put = (fd, text) => { for (;;) { try { fs.writeSync(fd, text); return; } catch (e) { if (e.code !== "EAGAIN") throw e; } } };\nfor (let i = 0; i < 30000; i++) { put(4, "\\n"); put(2, "e"); }\nreturn 42;';
    expect(await run(sandbox, language, code, 60_000)).toMatchObject({ type: 'success', value: 42 });
  } finally {
    await sandbox.dispose();
  }
});

test('working directories are removed after the runs', async () => {
  const sandbox = createSubprocessSandbox({ pool: false, tempDirectory: tmpdir(), jail: false });
  const result = await runCode({ sandbox, code: 'return process.cwd();', validation: false });
  await sandbox.dispose();
  expect(result.type).toBe('success');
  const cwd = (result as { value: string }).value;
  expect(await eventually(() => !existsSync(cwd))).toBe(true);
  expect(readdirSync(tmpdir()).filter((name) => name.startsWith('codecall-'))).not.toContain(cwd.split('/').pop());
});
