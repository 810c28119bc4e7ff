import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { cgroupLayout, cpuSharesFor, defaultRunnerCpuWeight, lingeringRemovals, removeLater, ResourceCgroup } from './resource-cgroup.js';

// Real cgroups. The kill that ends a one-shot run lists the members right then: these pin that
// the list is the current one read after read (cgroup v1 hands a file descriptor kept open the
// list it built earlier, for up to a second) and that a member in a session of its own dies too.
const probe = ResourceCgroup.create({ maxProcesses: 64, memoryBytes: 256 << 20 });
probe?.destroy();
const why = 'this host lets no process create cgroups (not Linux, or no writable cgroup tree)';

const children: ChildProcess[] = [];
const cgroups: ResourceCgroup[] = [];

/** Destroys `cgroup`, retrying for up to a second while its members are reaped; whether it went. */
async function destroyed(cgroup: ResourceCgroup): Promise<boolean> {
  for (let attempt = 0; attempt < 40; attempt++) {
    if (cgroup.destroy()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return cgroup.destroy();
}

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const cgroup of cgroups.splice(0)) await destroyed(cgroup);
});

function makeCgroup(): ResourceCgroup {
  const cgroup = ResourceCgroup.create({ maxProcesses: 64, memoryBytes: 256 << 20 });
  if (cgroup === undefined) throw new Error('the probe made a cgroup, this call did not');
  cgroups.push(cgroup);
  return cgroup;
}

/** A `sleep` moved into `cgroup`; `detached`: in a session of its own, as a daemon would be. */
async function sleeper(cgroup: ResourceCgroup, detached = false): Promise<ChildProcess & { pid: number }> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore', detached });
  children.push(child);
  await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  const pid = child.pid as number;
  for (const directory of cgroup.directories) writeFileSync(path.join(directory, 'cgroup.procs'), String(pid));
  return child as ChildProcess & { pid: number };
}

const exited = (child: ChildProcess): Promise<NodeJS.Signals | null> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.signalCode) : new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));

describe.skipIf(probe === undefined)(`ResourceCgroup (skipped when ${why})`, () => {
  test('members() lists the processes in the cgroup now, read after read', async () => {
    const cgroup = makeCgroup();
    expect(cgroup.members()).toEqual([]);
    const first = await sleeper(cgroup);
    expect(cgroup.members()).toEqual([first.pid]);
    const second = await sleeper(cgroup);
    expect(cgroup.members()?.sort((a, b) => a - b)).toEqual([first.pid, second.pid].sort((a, b) => a - b));
    first.kill('SIGKILL');
    await exited(first);
    expect(cgroup.members()).toEqual([second.pid]);
  });

  test('kill() SIGKILLs every member, also one that left for a session of its own', async () => {
    const cgroup = makeCgroup();
    const member = await sleeper(cgroup);
    const daemon = await sleeper(cgroup, true);
    cgroup.kill();
    expect(await exited(member)).toBe('SIGKILL');
    expect(await exited(daemon)).toBe('SIGKILL');
  });

  test('destroy() kills the members and removes the directories', async () => {
    const cgroup = makeCgroup();
    const member = await sleeper(cgroup, true);
    expect(await destroyed(cgroup)).toBe(true);
    expect(await exited(member)).toBe('SIGKILL');
    for (const directory of cgroup.directories) expect(existsSync(directory)).toBe(false);
    expect(cgroup.members()).toBeUndefined();
  });

  test('destroy() kills the members of cgroups a member made below its own, and removes those too', async () => {
    const cgroup = makeCgroup();
    const [first] = cgroup.directories;
    if (first === undefined) throw new Error('a cgroup without directories');
    const member = await sleeper(cgroup, true);
    // What a runner that can write its cgroup's directory may do: a child cgroup, a process in it.
    const child = path.join(first, 'nested');
    mkdirSync(child);
    writeFileSync(path.join(child, 'cgroup.procs'), String(member.pid));
    expect(cgroup.members()).toEqual([]);
    expect(await destroyed(cgroup)).toBe(true);
    expect(await exited(member)).toBe('SIGKILL');
    expect(existsSync(child)).toBe(false);
    for (const directory of cgroup.directories) expect(existsSync(directory)).toBe(false);
  });

  // Where the host may not create cpu cgroups (no cpu controller delegated to it), runners keep
  // the default weight; the layout says which.
  const cpuSkip = cgroupLayout().cpu === null;
  /** The weight file of `member`'s own cpu cgroup, as the kernel reports it, and its value. */
  const weightOf = (cgroup: ResourceCgroup, pid: number): { cgroupPath: string; directory: string | undefined; value: number } => {
    // v2: the one line `0::path`; v1: the line listing the cpu controller.
    const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').map((line) => line.split(':'));
    const version = cgroupLayout().version;
    const cpuLine = version === 2 ? lines.find(([, controllers]) => controllers === '') : lines.find(([, controllers]) => controllers?.split(',').includes('cpu'));
    const cgroupPath = cpuLine?.[2] ?? '';
    const file = version === 2 ? 'cpu.weight' : 'cpu.shares';
    // cgroup v1: every controller's directory has the same name; the cpu one has the weight file.
    const directory = cgroup.directories.find((candidate) => candidate.endsWith(cgroupPath) && existsSync(path.join(candidate, file)));
    return { cgroupPath, directory, value: directory === undefined ? Number.NaN : Number(readFileSync(path.join(directory, file), 'utf8')) };
  };
  const inKernelUnits = (weight: number): number => (cgroupLayout().version === 2 ? weight : cpuSharesFor(weight));

  test.skipIf(cpuSkip)('keeps the default CPU weight until applyCpuWeight, then half the default (skipped where no cpu controller is delegated)', async () => {
    const cgroup = makeCgroup();
    const member = await sleeper(cgroup);
    const before = weightOf(cgroup, member.pid);
    expect(before.cgroupPath).toContain('codecall-');
    expect(before.directory).toBeDefined();
    expect(before.value).toBe(inKernelUnits(100));
    cgroup.applyCpuWeight();
    expect(weightOf(cgroup, member.pid).value).toBe(inKernelUnits(defaultRunnerCpuWeight));
    expect(defaultRunnerCpuWeight).toBe(50);
  });

  test.skipIf(cpuSkip)('applies the weight it was given, once (skipped where no cpu controller is delegated)', async () => {
    const cgroup = ResourceCgroup.create({ maxProcesses: 64, memoryBytes: 256 << 20, cpuWeight: 30 });
    if (cgroup === undefined) throw new Error('the probe made a cgroup, this call did not');
    cgroups.push(cgroup);
    const member = await sleeper(cgroup);
    cgroup.applyCpuWeight();
    const { directory, value } = weightOf(cgroup, member.pid);
    expect(value).toBe(inKernelUnits(30));
    // A later call writes nothing: a weight changed meanwhile stays.
    const file = path.join(directory as string, cgroupLayout().version === 2 ? 'cpu.weight' : 'cpu.shares');
    writeFileSync(file, String(inKernelUnits(70)));
    cgroup.applyCpuWeight();
    expect(weightOf(cgroup, member.pid).value).toBe(inKernelUnits(70));
  });
});

test('cpuSharesFor maps cgroup v2 weights to v1 shares, within v1 bounds', () => {
  expect(cpuSharesFor(100)).toBe(1024);
  expect(cpuSharesFor(50)).toBe(512);
  expect(cpuSharesFor(1)).toBe(10);
  expect(cpuSharesFor(10_000)).toBe(102_400);
});

describe('removeLater', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A stand-in for a cgroup that cannot be removed until `failures` tries have failed. */
  const stuck = (failures: number): { destroy: () => boolean; triedAt: number[]; failures: number } => {
    const item = {
      triedAt: [] as number[],
      failures,
      destroy: () => {
        item.triedAt.push(Date.now());
        return item.triedAt.length > item.failures;
      },
    };
    return item;
  };

  test('tries again after 1 s, then after pauses that double, until the item is gone', async () => {
    vi.useFakeTimers({ now: 0 });
    const before = lingeringRemovals();
    const item = stuck(3);
    removeLater(item);
    removeLater(item); // Once only.
    expect(lingeringRemovals()).toBe(before + 1);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(item.triedAt).toEqual([1_000, 3_000, 7_000, 15_000]);
    expect(lingeringRemovals()).toBe(before);
  });

  test('an item added while another waits out a long pause gets its own first try after 1 s', async () => {
    vi.useFakeTimers({ now: 0 });
    const before = lingeringRemovals();
    const forever = stuck(Number.POSITIVE_INFINITY);
    removeLater(forever);
    await vi.advanceTimersByTimeAsync(7_500); // Tried at 1, 3 and 7 s; next at 15 s.
    const late = stuck(0);
    removeLater(late);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(late.triedAt).toEqual([8_500]);
    expect(forever.triedAt).toEqual([1_000, 3_000, 7_000]);
    // The pause stops doubling at a minute.
    await vi.advanceTimersByTimeAsync(180_000);
    expect(forever.triedAt).toEqual([1_000, 3_000, 7_000, 15_000, 31_000, 63_000, 123_000, 183_000]);
    expect(lingeringRemovals()).toBe(before + 1);
    forever.failures = 0;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(lingeringRemovals()).toBe(before);
  });
});
