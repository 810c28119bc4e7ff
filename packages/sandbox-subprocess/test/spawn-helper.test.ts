import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { runCode } from '@codecall/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createSubprocessSandbox } from '../src/index.js';
import type { SubprocessSandbox } from '../src/index.js';
import { cgroupLayout } from '../src/resource-cgroup.js';
import { holdSpawnHelper, setSpawnHelperIdleTimeout, spawnHelperPid, startRunnerChild } from '../src/spawn-helper.js';
import type { RunnerChild } from '../src/spawn-helper.js';
import { eventually } from './helpers.js';

/** Parent pid of `pid` from /proc, or undefined once it is gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 4, after the command name in parentheses (which may itself hold spaces or parentheses).
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return state.slice(state.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function collect(stream: NodeJS.ReadableStream): { text: () => string } {
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  return { text: () => text };
}

async function started(child: RunnerChild): Promise<void> {
  if (child.stdout === null) await once(child, 'spawn');
}

const helperOptions = { cwd: '/tmp', env: { PATH: '/usr/bin:/bin' }, viaHelper: true } as const;

describe('the spawn helper', () => {
  let sandbox: SubprocessSandbox | undefined;
  afterEach(async () => {
    await sandbox?.dispose();
    sandbox = undefined;
  });

  it('starts the pool runners, so the host forks none of them', async () => {
    sandbox = createSubprocessSandbox({ jail: false, languages: ['javascript'], pool: { size: 2 } });
    await sandbox.warmUp('javascript');
    // The runner is killed when its result arrives, so it reports its parent itself.
    const result = await runCode({ sandbox, validation: false, code: 'return process.ppid;' });
    expect(result.type).toBe('success');
    const helperPid = (result as { value: number }).value;
    expect(helperPid).toBe(spawnHelperPid());
    expect(helperPid).not.toBe(process.pid);
    expect(parentOf(helperPid)).toBe(process.pid);
  });

  it('with spawnHelper: false, the host forks its runners itself', async () => {
    sandbox = createSubprocessSandbox({ jail: false, languages: ['javascript'], pool: false, spawnHelper: false });
    const result = await runCode({ sandbox, validation: false, code: 'return process.ppid;' });
    expect(result.type).toBe('success');
    expect((result as { value: number }).value).toBe(process.pid);
  });

  it('loses no byte a child writes the moment it starts, on stdout or stderr', async () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const child = startRunnerChild('/bin/sh', ['-c', 'echo early; echo late >&2; cat'], helperOptions);
      await started(child);
      const out = collect(child.stdout as NodeJS.ReadableStream);
      const err = collect(child.stderr as NodeJS.ReadableStream);
      child.stdin?.end('echoed\n');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
      await eventually(() => out.text().includes('echoed') && err.text().includes('late'));
      expect(out.text()).toBe('early\nechoed\n');
      expect(err.text()).toBe('late\n');
    }
  });

  it("a child holds no descriptor of the helper's IPC channel to the host, and none of its environment", async () => {
    const child = startRunnerChild('/bin/sleep', ['60'], helperOptions);
    await started(child);
    const links = (pid: number): string[] => readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return '';
      }
    });
    const helperPid = spawnHelperPid() as number;
    const channel = readlinkSync(`/proc/${helperPid}/fd/${readFileSync(`/proc/${helperPid}/environ`, 'latin1').match(/NODE_CHANNEL_FD=(\d+)/)?.[1] ?? '3'}`);
    expect(channel).toMatch(/^socket:/);
    expect(links(child.pid as number)).not.toContain(channel);
    expect(readFileSync(`/proc/${child.pid as number}/environ`, 'latin1')).not.toContain('NODE_CHANNEL');
    child.kill('SIGKILL');
    await once(child, 'exit');
  });

  it('a command that exits before its streams were handed over ends with its exit, and nothing throws', async () => {
    // Handles go one at a time (each waits for the host's acknowledgement), so among many commands
    // that exit at once some have exited in the helper, their input closed, before their turn.
    const children = Array.from({ length: 40 }, () => startRunnerChild('/bin/true', [], helperOptions));
    const outcomes = await Promise.all(children.map(async (child) => {
      const [code] = (await once(child, 'exit')) as [number | null];
      return { code, started: child.stdout !== null };
    }));
    expect(outcomes.every((outcome) => outcome.code === 0)).toBe(true);
    // The race is real on this machine: at least one of them lost its streams (else this test proves nothing).
    expect(outcomes.some((outcome) => !outcome.started)).toBe(true);
  });

  it('reports a command that does not exist as an error with its code', async () => {
    const child = startRunnerChild('/nonexistent/codecall-command', [], helperOptions);
    const [error] = (await once(child, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ENOENT');
    expect(child.pid).toBeUndefined();
  });

  it('kills a child asked to die before its pid arrived', async () => {
    const child = startRunnerChild('/bin/sleep', ['60'], helperOptions);
    child.kill('SIGKILL');
    const [, signal] = (await once(child, 'exit')) as [number | null, string | null];
    expect(signal).toBe('SIGKILL');
    expect(child.pid).toBeDefined();
  });

  it('if the helper dies, what it started is killed and reported, and the next spawn starts a new helper', async () => {
    const child = startRunnerChild('/bin/sleep', ['60'], helperOptions);
    await started(child);
    const pid = child.pid as number;
    const helperPid = parentOf(pid) as number;
    expect(helperPid).not.toBe(process.pid);
    const exited = once(child, 'exit');
    process.kill(helperPid, 'SIGKILL');
    const [, signal] = (await exited) as [number | null, string | null];
    expect(signal).toBe('SIGKILL');
    expect(await eventually(() => !isRunning(pid))).toBe(true);

    const next = startRunnerChild('/bin/sleep', ['60'], helperOptions);
    await started(next);
    const newHelper = parentOf(next.pid as number);
    expect(newHelper).toBeDefined();
    expect(newHelper).not.toBe(helperPid);
    expect(parentOf(newHelper as number)).toBe(process.pid);
    next.kill('SIGKILL');
    await once(next, 'exit');
  });

  // Found by review: with the helper's process handle unref'd, a helper that died after its
  // runners' pipes had closed (so its channel closed too) left nothing to keep the loop alive
  // until its exit was seen; a host with nothing else to do exited with dispose() still pending.
  it("a dispose waiting for the helper's report settles when the helper dies instead of reporting", async () => {
    const index = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const helperModule = fileURLToPath(new URL('../dist/spawn-helper.js', import.meta.url));
    const script = `
      const { createSubprocessSandbox } = await import(${JSON.stringify(index)});
      const { spawnHelperPid } = await import(${JSON.stringify(helperModule)});
      const sandbox = createSubprocessSandbox({ jail: false, languages: ['javascript'], pool: { size: 1 } });
      await sandbox.warmUp('javascript');
      const helper = spawnHelperPid();
      // Stopped, the helper cannot report that its runner exited.
      process.kill(helper, 'SIGSTOP');
      const disposed = sandbox.dispose();
      // The runner is killed (straight to its group) and its pipes close; dispose waits for the report.
      await new Promise((resolve) => setTimeout(resolve, 500));
      process.kill(helper, 'SIGKILL');
      await disposed;
      console.log('disposed');
    `;
    const host = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = collect(host.stdout);
    const err = collect(host.stderr);
    const killer = setTimeout(() => host.kill('SIGKILL'), 60_000);
    const [code] = (await once(host, 'exit')) as [number | null];
    clearTimeout(killer);
    expect({ code, stdout: out.text(), stderr: err.text() }).toEqual({ code: 0, stdout: 'disposed\n', stderr: '' });
  });

  it('ends once idle for its idle timeout while a sandbox holds it, and the next spawn starts a new helper', async () => {
    setSpawnHelperIdleTimeout(200);
    // As a live sandbox does: without a hold, the helper would end as soon as its child exited.
    const release = holdSpawnHelper();
    try {
      const child = startRunnerChild('/bin/true', [], helperOptions);
      const helperPid = spawnHelperPid() as number;
      expect(helperPid).toBeDefined();
      await once(child, 'exit');
      expect(await eventually(() => !isRunning(helperPid))).toBe(true);
      expect(spawnHelperPid()).toBeUndefined();
      const next = startRunnerChild('/bin/sleep', ['60'], helperOptions);
      await started(next);
      expect(parentOf(next.pid as number)).toBe(spawnHelperPid());
      expect(spawnHelperPid()).not.toBe(helperPid);
      next.kill('SIGKILL');
      await once(next, 'exit');
    } finally {
      setSpawnHelperIdleTimeout(30_000);
      await release();
    }
  });

  it('ends with the last sandbox: its dispose resolves after the helper exited, while a live sandbox keeps it', async () => {
    const first = createSubprocessSandbox({ jail: false, languages: ['javascript'], pool: { size: 1 } });
    const second = createSubprocessSandbox({ jail: false, languages: ['javascript'], pool: false });
    try {
      await first.warmUp('javascript');
      expect((await runCode({ sandbox: second, validation: false, code: 'return 1;' })).type).toBe('success');
      const helperPid = spawnHelperPid() as number;
      expect(helperPid).toBeDefined();
      await second.dispose();
      // The first sandbox's idle runner and its hold keep the helper.
      expect(isRunning(helperPid)).toBe(true);
      expect(spawnHelperPid()).toBe(helperPid);
      await first.dispose();
      expect(isRunning(helperPid)).toBe(false);
      expect(spawnHelperPid()).toBeUndefined();
      // Disposing again is a no-op, and a new sandbox starts a new helper.
      await first.dispose();
      sandbox = createSubprocessSandbox({ jail: false, languages: ['javascript'], pool: false });
      expect((await runCode({ sandbox, validation: false, code: 'return process.ppid;' })).type).toBe('success');
      expect(spawnHelperPid()).not.toBe(helperPid);
    } finally {
      await Promise.all([first.dispose(), second.dispose()]);
    }
  });

  it('nothing it started outlives a host that is killed, and an idle helper lets its host exit', async () => {
    const module = fileURLToPath(new URL('../dist/spawn-helper.js', import.meta.url));
    const script = `
      const { startRunnerChild } = await import(${JSON.stringify(module)});
      const child = startRunnerChild('/bin/sleep', ['60'], { cwd: '/tmp', env: {}, viaHelper: true });
      child.once('spawn', () => console.log(child.pid));
      if (process.argv[1] === 'short') child.once('spawn', () => child.kill('SIGKILL'));
    `;
    // A host whose only child is killed exits by itself: the helper does not hold its event loop.
    const short = spawn(process.execPath, ['--input-type=module', '-e', script, 'short'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [shortCode] = (await once(short, 'exit')) as [number | null];
    expect(shortCode).toBe(0);

    const host = spawn(process.execPath, ['--input-type=module', '-e', script, 'long'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(host.stdout, 'data')) as [Buffer];
    const sleeper = Number(line.toString().trim());
    expect(isRunning(sleeper)).toBe(true);
    host.kill('SIGKILL');
    expect(await eventually(() => !isRunning(sleeper))).toBe(true);
  });

  // SIGKILL to the host alone; SIGTERM and SIGINT to its whole process group, as Ctrl-C or
  // `timeout` send them, which reached the helper too while it shared the host's group.
  it.each([
    { how: 'SIGKILL to the host', signal: 'SIGKILL' as const, group: false },
    { how: "SIGTERM to the host's process group", signal: 'SIGTERM' as const, group: true },
    { how: "SIGINT to the host's process group", signal: 'SIGINT' as const, group: true },
  ])("a killed host's runners leave no work directory and no cgroup behind: the helper removes them ($how)", async ({ signal, group }) => {
    const module = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const temp = mkdtempSync(path.join(tmpdir(), 'codecall-leftovers-'));
    const script = `
      const { createSubprocessSandbox } = await import(${JSON.stringify(module)});
      const sandbox = createSubprocessSandbox({ jail: false, languages: ['javascript'], pool: { size: 2 }, tempDirectory: ${JSON.stringify(temp)} });
      await sandbox.warmUp('javascript');
      console.log('ready');
      setInterval(() => undefined, 1000);
    `;
    /** Cgroup directories named for `pid`'s runners (codecall-PID-N), anywhere in the first levels of /sys/fs/cgroup. */
    const cgroupsOf = (pid: number): string[] => {
      const found: string[] = [];
      const walk = (directory: string, depth: number): void => {
        let entries: Dirent[];
        try {
          entries = readdirSync(directory, { withFileTypes: true });
        } catch {
          return;
        }
        for (const entry of entries) {
          if (!entry.isDirectory()) continue;
          const child = path.join(directory, entry.name);
          if (entry.name.startsWith(`codecall-${pid}-`)) found.push(child);
          else if (depth < 4) walk(child, depth + 1);
        }
      };
      walk('/sys/fs/cgroup', 0);
      return found;
    };
    // Detached: the host leads a process group of its own, which the test can signal as a whole.
    const host = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    try {
      const [line] = (await once(host.stdout, 'data')) as [Buffer];
      expect(line.toString().trim()).toBe('ready');
      const hostPid = host.pid as number;
      // Two pooled runners, each with its work directory (and its cgroups where they can be made).
      expect(readdirSync(temp)).toHaveLength(2);
      const cgroups = cgroupsOf(hostPid);
      const exited = once(host, 'exit');
      if (group) process.kill(-hostPid, signal);
      else host.kill(signal);
      await exited;
      expect(await eventually(() => readdirSync(temp).length === 0 && cgroupsOf(hostPid).length === 0)).toBe(true);
      // Where this process can make cgroups, the host's runners had some, so their removal was checked too.
      const layout = cgroupLayout();
      if (layout.pids !== null || layout.memory !== null || layout.cpu !== null) expect(cgroups.length).toBeGreaterThanOrEqual(2);
    } finally {
      // A detached host outlives a failed assertion: it must not outlive the test.
      if (host.exitCode === null && host.signalCode === null) host.kill('SIGKILL');
      rmSync(temp, { recursive: true, force: true });
    }
  });
});
