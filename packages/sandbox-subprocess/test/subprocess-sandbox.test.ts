import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineTool, runCode, SandboxDisposedError, SandboxStartError } from '@codecall/core';
import { afterEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { createSubprocessSandbox, nodeRunnerPath, pythonRunnerPath, readRunnerSource, runnerDirectory } from '../src/index.js';
import type { SubprocessSandbox, SubprocessSandboxSettings } from '../src/index.js';
import { findExecutable } from '../src/interpreters.js';
import { cgroupLayout, cpuSharesFor } from '../src/resource-cgroup.js';
import { eventually, hostProcessesWith, processRunning, slowEcho } from './helpers.js';

// The adapter finds chrt the same way (on the host's PATH).
const hasChrt = findExecutable('chrt') !== undefined;
const created: SubprocessSandbox[] = [];
const make = (settings?: SubprocessSandboxSettings): SubprocessSandbox => {
  const sandbox = createSubprocessSandbox(settings);
  created.push(sandbox);
  return sandbox;
};
afterEach(async () => {
  await Promise.all(created.splice(0).map((sandbox) => sandbox.dispose()));
});

describe('capabilities', () => {
  test('jailed by default; plain (jail: false) is a process with network, jail a jail without', () => {
    expect(make().capabilities).toMatchObject({ isolation: 'jail', network: false, memoryLimit: true });
    expect(make({ jail: {} }).capabilities).toMatchObject({ isolation: 'jail', network: false });
    expect(make({ jail: false }).capabilities).toMatchObject({ isolation: 'process', network: true, filesystem: true, processApi: true, memoryLimit: true, liveOutput: true, languages: ['javascript', 'typescript', 'python'] });
    expect(make({ launcher: 'jail', languages: ['python'] }).capabilities).toMatchObject({ isolation: 'jail', network: false, languages: ['python'] });
    expect(make({ launcher: { command: ['env'] } }).capabilities).toMatchObject({ isolation: 'process', network: true, memoryLimit: false });
  });

  test('the runner programs are exported for remote adapters', () => {
    expect(nodeRunnerPath.startsWith(runnerDirectory)).toBe(true);
    expect(pythonRunnerPath.startsWith(runnerDirectory)).toBe(true);
    expect(readRunnerSource('python')).toContain('PROTOCOL_VERSION = 1');
    expect(readRunnerSource('node')).toContain('const PROTOCOL_VERSION = 1;');
  });
});

describe('warm pool', () => {
  test('runs never share a runner by default, and each starts from a warm one', async () => {
    const sandbox = make({ pool: { size: 2 }, jail: false });
    await sandbox.warmUp('python');
    const pids: number[] = [];
    for (let i = 0; i < 4; i++) {
      const result = await runCode({ sandbox, language: 'python', validation: false, code: 'import os\nglobal_counter = globals().get("global_counter", 0) + 1\n[os.getpid(), global_counter]' });
      expect(result.type).toBe('success');
      const [pid, counter] = (result as { value: [number, number] }).value;
      expect(counter).toBe(1);
      pids.push(pid);
    }
    expect(new Set(pids).size).toBe(4);
  });

  test('maxReuse lets one runner serve several runs, each from a clean slate (globals do not survive)', async () => {
    const sandbox = make({ pool: { size: 1, maxReuse: 3 }, jail: false });
    const values: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      const result = await runCode({ sandbox, validation: false, code: 'globalThis.counter = (globalThis.counter ?? 0) + 1; return [process.pid, globalThis.counter];' });
      values.push((result as { value: unknown }).value);
    }
    const [first, second, third, fourth] = values as [[number, number], [number, number], [number, number], [number, number]];
    expect(second).toStrictEqual([first[0], 1]);
    expect(third).toStrictEqual([first[0], 1]);
    expect(fourth[0]).not.toBe(first[0]);
  });

  // A run's result arrives before its reused runner has cleaned up and come back (RunnerSession's
  // `result`): with one runner, the next run waits for it; with two, it takes the other.
  test.each([1, 2])('with maxReuse, a busy runner that will come back is not replaced: runs start no processes (pool of %i)', async (size) => {
    let launches = 0;
    const sandbox = make({
      languages: ['javascript'],
      pool: { size, maxReuse: 100 },
      launcher: (spec) => {
        launches++;
        return { command: [spec.interpreterPath, ...spec.interpreterArgs, spec.runnerPath, ...spec.runnerArgs] };
      },
    });
    await sandbox.warmUp('javascript');
    expect(launches).toBe(size);
    // Back to back: the pool refills in a later turn of the event loop, when the next run already holds a runner.
    for (let i = 0; i < 5; i++) expect(await runCode({ sandbox, code: `return ${i};` })).toMatchObject({ type: 'success', value: i });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(launches).toBe(size);
    // A runner that ends (here: crashes) is replaced.
    expect(await runCode({ sandbox, validation: false, code: 'process.kill(process.pid, "SIGKILL");' })).toMatchObject({ type: 'error', error: { code: 'SANDBOX_CRASHED' } });
    await sandbox.warmUp('javascript');
    expect(launches).toBe(size + 1);
  });

  // Found by review: the pool refills from timers and exit handlers, where a start that throws
  // (no space for the work directory, a launcher that throws, a spawn the system refuses) was an
  // uncaught exception that ended the host.
  test('a start that throws while the pool refills fails that start, not the host; the next run reports it', async () => {
    let launches = 0;
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => {
      uncaught.push(error);
    };
    process.on('uncaughtException', onUncaught);
    try {
      const sandbox = make({
        languages: ['javascript'],
        pool: { size: 1 },
        launcher: (spec) => {
          launches++;
          if (launches > 1) throw new Error('the launcher cannot start more runners');
          return { command: [spec.interpreterPath, ...spec.interpreterArgs, spec.runnerPath, ...spec.runnerArgs] };
        },
      });
      await sandbox.warmUp('javascript');
      expect(await runCode({ sandbox, code: 'return 1;' })).toMatchObject({ type: 'success', value: 1 });
      // The refill after the run (a later turn of the event loop) calls the launcher, which throws there.
      expect(await eventually(() => launches >= 2)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(uncaught).toEqual([]);
      // The next run starts its own runner and gets the launcher's error.
      await expect(runCode({ sandbox, code: 'return 2;' })).rejects.toThrow('the launcher cannot start more runners');
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  test('the pool refills after a crash and after the idle timeout stops runners', async () => {
    const marker = `pool${Math.random().toString(36).slice(2)}`;
    const sandbox = make({ pool: { size: 1, idleTimeoutMs: 300 }, env: { POOL_MARKER: marker }, jail: false });
    await sandbox.warmUp('javascript');
    expect(hostProcessesWith(marker)).toHaveLength(1);
    const crash = await runCode({ sandbox, validation: false, code: 'process.kill(process.pid, "SIGKILL");' });
    expect(crash).toMatchObject({ type: 'error', error: { code: 'SANDBOX_CRASHED' } });
    expect(crash.type === 'error' && crash.error.message).toContain('SIGKILL');
    expect(await runCode({ sandbox, code: 'return 5;' })).toMatchObject({ type: 'success', value: 5 });
    expect(await eventually(() => hostProcessesWith(marker).length === 0)).toBe(true);
    expect(await runCode({ sandbox, code: 'return 6;' })).toMatchObject({ type: 'success', value: 6 });
  });

  test('dispose waits for the runners the pool stopped itself: their work directories are gone when it resolves', async () => {
    const temp = mkdtempSync(path.join(tmpdir(), 'codecall-retired-'));
    try {
      const sandbox = make({ pool: { size: 2, idleTimeoutMs: 1 }, jail: false, tempDirectory: temp });
      // The pool's idle sweep runs every 250 ms (its shortest period). A timer of the same period,
      // made after it, fires right after each sweep, while the runners it stopped are being reaped.
      let warm = false;
      const left = new Promise<number>((resolve, reject) => {
        const timer = setInterval(() => {
          if (!warm) return;
          clearInterval(timer);
          sandbox.dispose().then(() => resolve(readdirSync(temp).length), reject);
        }, 250);
      });
      await sandbox.warmUp('javascript');
      // Ready runners, each with its work directory (on a busy machine a sweep during warmUp may
      // already have stopped one of the two; the next sweep stops the rest).
      expect(readdirSync(temp).length).toBeGreaterThan(0);
      warm = true;
      expect(await left).toBe(0);
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  });

  // Found by review: a runner killed because its run was aborted before it was ready was
  // forgotten, so a later dispose resolved while its work directory still existed.
  test('dispose waits for a runner whose run was aborted while it started: its work directory is gone when it resolves', async () => {
    const temp = mkdtempSync(path.join(tmpdir(), 'codecall-aborted-start-'));
    try {
      const sandbox = make({ pool: false, jail: false, tempDirectory: temp });
      const controller = new AbortController();
      const run = runCode({ sandbox, code: 'return 1;', abortSignal: controller.signal });
      // The runner's work directory exists once its start has begun.
      expect(await eventually(() => readdirSync(temp).length > 0, 200)).toBe(true);
      controller.abort();
      expect(await run).toMatchObject({ type: 'error', error: { code: 'ABORTED' } });
      await sandbox.dispose();
      expect(readdirSync(temp)).toEqual([]);
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  });

  test('a warm run uses the runner the pool started before it (not a new spawn)', async () => {
    // Behaviour, not timing: the process that answers is one that existed before the run began.
    const marker = `warm${Math.random().toString(36).slice(2)}`;
    const sandbox = make({ pool: { size: 1 }, env: { POOL_MARKER: marker }, jail: false });
    await sandbox.warmUp('javascript');
    const before = hostProcessesWith(marker);
    expect(before).toHaveLength(1);
    const result = await runCode({ sandbox, validation: false, code: 'return process.pid;' });
    expect(result).toMatchObject({ type: 'success' });
    expect(before).toContain((result as { value: number }).value);
  });

  test('a pooled runner rehearses before its first run and leaves nothing of it to the guest', async () => {
    const sandbox = make({ pool: { size: 1 }, jail: false });
    await sandbox.warmUp('javascript');
    await sandbox.warmUp('python');
    const node = await runCode({ sandbox, validation: false, code: 'console.log("guest"); return [typeof codecall_rehearsal, Object.keys(globalThis).filter((key) => key.includes("rehearsal"))];' });
    expect(node).toMatchObject({ type: 'success', value: ['undefined', []], stdout: 'guest\n' });
    const python = await runCode({ sandbox, language: 'python', validation: false, code: 'print("guest")\n[name for name in globals() if "rehearsal" in name]' });
    expect(python).toMatchObject({ type: 'success', value: [], stdout: 'guest\n' });
  });

  test('a run that takes a runner still rehearsing cuts the rehearsal short and runs on that runner', async () => {
    // 10 million rehearsal calls would outlast the rehearsal's 10 s limit and fail it: the run below
    // succeeds on the pooled runner only because taking the runner ended its rehearsal.
    const marker = `claim${Math.random().toString(36).slice(2)}`;
    const sandbox = make({ pool: { size: 1, rehearsalCalls: 10_000_000 }, env: { POOL_MARKER: marker }, jail: false });
    void sandbox.warmUp('javascript');
    // Until the launch chain (shell, mount, setpriv) has exec'd into node, the count of processes
    // with the marker passes through 1 and 2: wait for the runner itself.
    const node = realpathSync(process.execPath);
    let pooled: number | undefined;
    expect(await eventually(() => (pooled = processRunning(marker, node)) !== undefined)).toBe(true);
    const result = await runCode({ sandbox, validation: false, code: 'return process.pid;' });
    expect(result).toMatchObject({ type: 'success', value: pooled });
  });

  test('a runner that fails its rehearsal is killed, never handed to a run', async () => {
    // A stand-in runner: it reports ready and answers any start with a result of its own, then idle.
    const marker = `fake${Math.random().toString(36).slice(2)}`;
    const fake = [
      'process.stdout.write(JSON.stringify({ t: "ready", v: 1, runtime: "node", version: "v0", pid: process.pid }) + "\\n");',
      'process.stdin.on("data", (chunk) => { if (String(chunk).includes(\'"t":"start"\')) process.stdout.write(\'{"t":"done","value":"7"}\\n{"t":"idle"}\\n\'); });',
    ].join('\n');
    const sandbox = make({ languages: ['javascript'], pool: { size: 1 }, env: { POOL_MARKER: marker }, launcher: () => ({ command: [process.execPath, '-e', fake] }) });
    await sandbox.warmUp('javascript');
    expect(await eventually(() => hostProcessesWith(marker).length === 0)).toBe(true);
  });

  test('a one-shot pool sends the rehearsal as trusted (start.trusted), a reusing pool does not', async () => {
    // A stand-in runner: it passes any rehearsal, and its next run returns the rehearsal's `trusted`.
    const standIn = [
      'process.stdout.write(JSON.stringify({ t: "ready", v: 1, runtime: "node", version: "v0", pid: process.pid }) + "\\n");',
      'let text = ""; let rehearsal;',
      'const send = (message) => process.stdout.write(JSON.stringify(message) + "\\n");',
      'process.stdin.on("data", (chunk) => { text += chunk; const lines = text.split("\\n"); text = lines.pop();',
      '  for (const line of lines) { const message = JSON.parse(line); if (message.t !== "start") continue;',
      '    if (rehearsal === undefined) { rehearsal = message; send({ t: "out", fd: 1, d: "rehearsal\\n" }); send({ t: "done", value: JSON.stringify({ list: [1, "two", null], nested: { ok: true } }) }); send({ t: "idle" }); continue; }',
      '    send({ t: "done", value: JSON.stringify([rehearsal.reuse ?? null, rehearsal.trusted ?? null]) }); if (message.reuse) send({ t: "idle" }); else process.exit(0); } });',
    ].join('\n');
    const launcher = () => ({ command: [process.execPath, '-e', standIn] });
    const oneShot = make({ languages: ['javascript'], pool: { size: 1, rehearsalCalls: 1 }, launcher });
    await oneShot.warmUp('javascript');
    expect(await runCode({ sandbox: oneShot, code: 'return 0;' })).toMatchObject({ type: 'success', value: [true, true] });
    const reusing = make({ languages: ['javascript'], pool: { size: 1, rehearsalCalls: 1, maxReuse: 5 }, launcher });
    await reusing.warmUp('javascript');
    expect(await runCode({ sandbox: reusing, code: 'return 0;' })).toMatchObject({ type: 'success', value: [true, null] });
  });

  test('keepWarmMs writes idle runners a line they ignore, every interval, and nothing when off', async () => {
    // A stand-in runner that counts the ignored answers (call 0) it reads and returns the count.
    const counter = [
      'process.stdout.write(JSON.stringify({ t: "ready", v: 1, runtime: "node", version: "v0", pid: process.pid }) + "\\n");',
      'let nudges = 0; let text = "";',
      'process.stdin.on("data", (chunk) => { text += chunk; const lines = text.split("\\n"); text = lines.pop();',
      '  for (const line of lines) { if (line === \'{"t":"result","id":0,"ok":true}\') nudges++; else if (line.includes(\'"t":"start"\')) process.stdout.write(JSON.stringify({ t: "done", value: String(nudges) }) + "\\n"); } });',
    ].join('\n');
    const nudgesAfter = async (keepWarmMs: number): Promise<unknown> => {
      const sandbox = make({ languages: ['javascript'], pool: { size: 1, rehearsalCalls: 0, keepWarmMs }, launcher: () => ({ command: [process.execPath, '-e', counter] }) });
      await sandbox.warmUp('javascript');
      await new Promise((resolve) => setTimeout(resolve, 500));
      const result = await runCode({ sandbox, validation: false, code: 'return 1;' });
      expect(result.type).toBe('success');
      return (result as { value: unknown }).value;
    };
    // Off: only the one line every runner without a rehearsal gets once it is ready.
    expect(await nudgesAfter(0)).toBe(1);
    // Every 20 ms for 500 ms: about 25 lines; 3 leaves slack for a busy machine's late timers.
    expect(await nudgesAfter(20)).toBeGreaterThanOrEqual(3);
  });

  test('real node and python runners, one-shot and reused, run correctly after being kept warm', async () => {
    const sandbox = make({ pool: { size: 1, maxReuse: 2, keepWarmMs: 10 }, jail: false });
    await sandbox.warmUp('javascript');
    await sandbox.warmUp('python');
    const pause = async (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 150));
    for (let i = 0; i < 2; i++) {
      await pause();
      expect(await runCode({ sandbox, validation: false, code: `return ${i} + 40;` })).toMatchObject({ type: 'success', value: 40 + i });
      await pause();
      expect(await runCode({ sandbox, language: 'python', validation: false, code: `${i} + 40` })).toMatchObject({ type: 'success', value: 40 + i });
    }
  });

  test('pool settings are checked', () => {
    expect(() => make({ pool: { keepWarmMs: 5 } })).toThrow('settings.pool.keepWarmMs must be 0 (off) or at least 10, got 5.');
    expect(() => make({ pool: { keepWarmMs: -1 } })).toThrow('settings.pool.keepWarmMs must be a non-negative integer, got -1.');
    expect(make({ pool: { keepWarmMs: 0 } }).capabilities.languages).toContain('python');
    expect(() => make({ pool: { rehearsalCalls: -1 } })).toThrow('settings.pool.rehearsalCalls must be a non-negative integer, got -1.');
    expect(() => make({ pool: { size: 1.5 } })).toThrow('settings.pool.size must be a non-negative integer');
    expect(() => make({ pool: { maxReuse: 0 } })).toThrow('settings.pool.maxReuse must be a positive integer');
    expect(make({ pool: { rehearsalCalls: 0 } }).capabilities.languages).toContain('python');
  });
});

describe('hygiene and settings', () => {
  test('no host variable reaches the guest unless allow-listed', async () => {
    process.env['CODECALL_ALLOWED'] = 'yes';
    process.env['CODECALL_HIDDEN'] = 'no';
    const sandbox = make({ inheritEnv: ['CODECALL_ALLOWED'], env: { EXTRA: '1' } });
    const result = await runCode({ sandbox, language: 'python', validation: false, code: 'import os\nsorted(os.environ.keys())' });
    expect(result).toMatchObject({ type: 'success' });
    // PWD is the private working directory, set by the launching shell; LC_CTYPE by Python itself.
    const keys = (result as { value: string[] }).value.filter((key) => key !== 'LC_CTYPE');
    expect(keys).toStrictEqual(['CODECALL_ALLOWED', 'EXTRA', 'HOME', 'LANG', 'PATH', 'PWD', 'TMPDIR']);
  });

  // SCHED_BATCH keeps a woken runner from preempting the host; chrt (util-linux) sets it.
  test.skipIf(process.platform !== 'linux' || !hasChrt)('runners run as SCHED_BATCH, plain and jailed, every thread of them', async () => {
    // Field 41 of /proc/<pid>/task/<tid>/stat is the policy (3: SCHED_BATCH), counted after the
    // command's closing parenthesis (the command may hold spaces).
    const programs = {
      javascript: `const fs = require('node:fs');
return fs.readdirSync('/proc/self/task').map((tid) => { const stat = fs.readFileSync('/proc/self/task/' + tid + '/stat', 'utf8'); return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]); });`,
      python: `import os
policies = []
for tid in os.listdir("/proc/self/task"):
    stat = open(f"/proc/self/task/{tid}/stat").read()
    policies.append(int(stat[stat.rindex(")") + 2:].split(" ")[38]))
policies`,
    };
    for (const jail of [false, true]) {
      const sandbox = make({ jail });
      for (const language of ['javascript', 'python'] as const) {
        const result = await runCode({ sandbox, language, code: programs[language], validation: false });
        expect(result, `${language}, ${jail ? 'jailed' : 'plain'}`).toMatchObject({ type: 'success' });
        const policies = (result as { value: number[] }).value;
        // A node runner has several threads (V8 workers, libuv); all of them inherit the policy.
        if (language === 'javascript') expect(policies.length).toBeGreaterThan(1);
        expect(new Set(policies), `${language}, ${jail ? 'jailed' : 'plain'}`).toStrictEqual(new Set([3]));
      }
    }
  });

  // Where the host may not create cpu cgroups, runners keep the default weight.
  test.skipIf(cgroupLayout().cpu === null)('guest code runs in a cpu cgroup at half the default weight, or at settings.cpuWeight (skipped where no cpu controller is delegated)', async () => {
    const { version } = cgroupLayout();
    const file = version === 2 ? 'cpu.weight' : 'cpu.shares';
    const root = version === 2 ? '/sys/fs/cgroup' : '/sys/fs/cgroup/cpu';
    // Asked from the host while the guest waits for it: the cpu cgroup and weight of the guest's
    // process (a plain runner under root has a cgroup namespace of its own, so the guest cannot
    // name its cgroup itself; it shares the host's pid namespace). Runners the pool is starting
    // meanwhile still have the default weight, so only the guest's own process is asked about.
    const cpuWeight = defineTool({
      name: 'cpu_weight',
      description: 'The cpu cgroup of a process and its weight.',
      input: z.object({ pid: z.number().int() }),
      execute: ({ pid }) => {
        const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').map((line) => line.split(':'));
        const cpuPath = (version === 2 ? lines.find(([, controllers]) => controllers === '') : lines.find(([, controllers]) => controllers?.split(',').includes('cpu')))?.[2] ?? '';
        return [cpuPath, Number(readFileSync(path.join(root, cpuPath, file), 'utf8'))];
      },
    });
    const code = { javascript: 'return cpu_weight({ pid: process.pid })', python: 'import os\nreturn cpu_weight({"pid": os.getpid()})' };
    // One-shot from the pool (its runners rehearsed at the default weight) and without a pool.
    for (const [settings, weight] of [[{}, 50], [{ cpuWeight: 20 }, 20], [{ cpuWeight: 20, pool: false as const }, 20]] as const) {
      const sandbox = make({ jail: false, ...settings });
      for (const language of ['javascript', 'python'] as const) {
        await sandbox.warmUp(language);
        const result = await runCode({ sandbox, language, code: code[language], tools: [cpuWeight], validation: false });
        expect(result, `${language}: ${JSON.stringify(result)}`).toMatchObject({ type: 'success' });
        const [cpuPath, value] = (result as { value: [string, number] }).value;
        expect(cpuPath, language).toContain('codecall-');
        expect(value, `${language} ${JSON.stringify(settings)}`).toBe(version === 2 ? weight : cpuSharesFor(weight));
      }
    }
  });

  test('settings.cpuWeight is checked', () => {
    for (const bad of [0, 10_001, 2.5, Number.NaN]) {
      expect(() => make({ cpuWeight: bad })).toThrow(`settings.cpuWeight must be an integer from 1 to 10000, got ${String(bad)}.`);
    }
    expect(make({ cpuWeight: 1 }).capabilities.languages).toContain('python');
  });

  test('a command launcher runs the runner through the given command (stdin/stdout only)', async () => {
    const sandbox = make({ launcher: { command: ['/usr/bin/env', 'VIA_COMMAND=1'] } });
    for (const language of ['javascript', 'python'] as const) {
      const code = language === 'python' ? 'import os\nr = await slow_echo({"value": os.environ.get("VIA_COMMAND")})\nprint("ok")\nr' : 'const r = await slow_echo({ value: process.env.VIA_COMMAND }); console.log("ok"); return r;';
      expect(await runCode({ sandbox, language, code, tools: [slowEcho], validation: false })).toMatchObject({ type: 'success', value: '1', stdout: 'ok\n' });
    }
  });

  test('a launcher function gets the spec and returns the command', async () => {
    const sandbox = make({ languages: ['javascript'], launcher: (spec) => ({ command: ['/usr/bin/env', 'VIA_FUNCTION=1', spec.interpreterPath, ...spec.interpreterArgs, spec.runnerPath, ...spec.runnerArgs] }) });
    expect(await runCode({ sandbox, validation: false, code: 'return process.env.VIA_FUNCTION;' })).toMatchObject({ type: 'success', value: '1' });
  });

  test('a missing interpreter or launcher is a SandboxStartError, use after dispose a SandboxDisposedError', async () => {
    const missing = make({ pythonPath: '/nonexistent/python3' });
    await expect(runCode({ sandbox: missing, language: 'python', code: '1' })).rejects.toSatisfy((error) => SandboxStartError.isInstance(error));
    const broken = make({ launcher: { command: ['/nonexistent/launcher'] }, pool: false });
    await expect(runCode({ sandbox: broken, code: 'return 1;' })).rejects.toSatisfy((error) => SandboxStartError.isInstance(error));
    const disposed = make();
    await disposed.dispose();
    await expect(runCode({ sandbox: disposed, code: 'return 1;' })).rejects.toSatisfy((error) => SandboxDisposedError.isInstance(error) || (error as { code?: string }).code === 'SANDBOX_DISPOSED');
  });

  test('output past maxOutputBytes is dropped and the run goes on', async () => {
    const sandbox = make();
    const result = await runCode({ sandbox, code: 'for (let i = 0; i < 10000; i++) console.log("line " + i);\nreturn "done";', limits: { maxOutputBytes: 100 } });
    expect(result).toMatchObject({ type: 'success', value: 'done', outputTruncated: true });
    expect(Buffer.byteLength(result.stdout)).toBeLessThanOrEqual(100);
  });

  test('memory limits end the run with MEMORY_LIMIT in both runtimes', async () => {
    const sandbox = make();
    const limits = { memoryLimitBytes: 64 * 1024 * 1024, timeoutMs: 20_000 };
    expect(await runCode({ sandbox, code: 'const a = []; while (true) a.push({ x: Math.random(), y: "s" + Math.random() });', limits })).toMatchObject({ type: 'error', error: { code: 'MEMORY_LIMIT' } });
    expect(await runCode({ sandbox, language: 'python', code: 'a = []\nwhile True:\n    a.append(bytearray(1 << 20))', limits })).toMatchObject({ type: 'error', error: { code: 'MEMORY_LIMIT' } });
  });
});
