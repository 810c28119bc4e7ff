// The per-call rounds' fixed placements: this process on the first allowed CPU, its descendants on
// the same one or on the second, and everything back on the original set afterwards. Checked on
// real processes through /proc, where the kernel keeps each thread's allowed CPUs.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { descendantsOf, placementControl } from '../micro/placement.ts';

const control = placementControl();

/** The allowed CPUs of every thread of `pid`, deduplicated (`/proc/PID/task/TID/status`). */
function threadCpus(pid: number): string[] {
  const lists = new Set<string>();
  for (const thread of readdirSync(`/proc/${pid}/task`)) {
    const status = readFileSync(`/proc/${pid}/task/${thread}/status`, 'utf8');
    lists.add(/^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1] ?? '?');
  }
  return [...lists];
}

/** A shell that starts a sleeping grandchild: resolves once both exist. */
async function startTree(): Promise<{ readonly shell: ChildProcess; readonly grandchild: number }> {
  const shell = spawn('/bin/sh', ['-c', 'sleep 30 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const grandchild = await new Promise<number>((resolve, reject) => {
    shell.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    shell.once('error', reject);
  });
  return { shell, grandchild };
}

const started: ChildProcess[] = [];
afterEach(() => {
  control?.restore();
  for (const child of started.splice(0)) child.kill('SIGKILL');
});

describe.runIf(process.platform === 'linux')('descendantsOf', () => {
  it('finds children and grandchildren, not the process itself', async () => {
    const { shell, grandchild } = await startTree();
    started.push(shell);
    const found = descendantsOf(process.pid);
    expect(found).toContain(shell.pid);
    expect(found).toContain(grandchild);
    expect(found).not.toContain(process.pid);
    process.kill(grandchild, 'SIGKILL');
  });
});

// Skipped where placements cannot be fixed: not Linux, no taskset, or fewer than two CPUs allowed.
describe.runIf(control !== undefined)('placementControl', () => {
  it('pins the host and its descendants to one CPU or to two, then restores the original set', async () => {
    const before = threadCpus(process.pid);
    expect(before).toHaveLength(1);
    const { shell, grandchild } = await startTree();
    started.push(shell);
    const shellPid = shell.pid as number;

    control?.apply('two CPUs');
    const [host] = threadCpus(process.pid);
    expect(threadCpus(process.pid)).toHaveLength(1);
    expect(host).toMatch(/^\d+$/);
    const [apart] = threadCpus(grandchild);
    expect(apart).toMatch(/^\d+$/);
    expect(apart).not.toBe(host);
    expect(threadCpus(shellPid)).toEqual([apart]);

    control?.apply('one CPU');
    expect(threadCpus(process.pid)).toEqual([host]);
    expect(threadCpus(grandchild)).toEqual([host]);

    control?.restore();
    expect(threadCpus(process.pid)).toEqual(before);
    expect(threadCpus(grandchild)).toEqual(before);
    process.kill(grandchild, 'SIGKILL');
  });
});
