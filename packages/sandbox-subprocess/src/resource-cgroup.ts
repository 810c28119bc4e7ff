import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Where this process may create child cgroups: cgroup v2 (one tree) or v1 (one tree per controller). */
interface CgroupLayout {
  readonly pids: string | null;
  readonly memory: string | null;
  readonly cpu: string | null;
  readonly version: 1 | 2;
}

/**
 * A runner's CPU weight by default, on cgroup v2's scale (`cpu.weight`, 1–10,000, where the
 * kernel's default is 100): half the default (`cpu.shares` 512 of 1024 on cgroup v1). It matters
 * only when the CPUs are contended. Without it, every runner sat in an autogroup of its own (it
 * leads a session, and the jail starts another), scheduled as an equal of the host's whole
 * session: with two jailed node guests spinning on the 2-core development VM, the host's 1 ms timer
 * was late by 555–630 ms in all over 6 s (worst 20–38 ms), mostly time the host did not run at
 * all. A tenth of the default (120–136 ms, worst 12.5–25.7 ms) starved runners under other load:
 * with two unrelated processes spinning beside the test suite, a fresh runner took more than 5 s to
 * become ready and a guest filling its memory ran past a 20 s limit. At half the default, the
 * host's longest event-loop block while two guests spin was 13–39 ms in 8 rounds against 8–51 ms
 * at a tenth in the same session (both with two unrelated processes spinning).
 */
export const defaultRunnerCpuWeight = 50;

/** cgroup v1's `cpu.shares` (default 1024, 2–262,144) for a cgroup v2 `cpu.weight` (default 100). */
export function cpuSharesFor(weight: number): number {
  return Math.min(262_144, Math.max(2, Math.round((weight * 1024) / 100)));
}

let cachedLayout: CgroupLayout | undefined;
let counter = 0;

function canCreate(root: string, file: string, value: string): boolean {
  const dir = path.join(root, `codecall-probe-${process.pid}`);
  try {
    mkdirSync(dir);
    writeFileSync(path.join(dir, file), value);
    return true;
  } catch {
    return false;
  } finally {
    try {
      rmdirSync(dir);
    } catch {
      // Nothing to clean up.
    }
  }
}

function ownCgroup(controller: string): string | undefined {
  try {
    for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
      const [, controllers, cgroupPath] = line.split(':');
      if (controllers !== undefined && cgroupPath !== undefined && controllers.split(',').includes(controller)) return cgroupPath;
      if (controller === '' && controllers === '' && cgroupPath !== undefined) return cgroupPath;
    }
  } catch {
    // Not Linux.
  }
  return undefined;
}

/** The cgroup directories this process can use, probed once. */
export function cgroupLayout(): CgroupLayout {
  if (cachedLayout !== undefined) return cachedLayout;
  let layout: CgroupLayout = { pids: null, memory: null, cpu: null, version: 1 };
  try {
    const controllers = readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').split(/\s+/);
    const own = path.join('/sys/fs/cgroup', ownCgroup('') ?? '/');
    layout = {
      version: 2,
      pids: controllers.includes('pids') && canCreate(own, 'pids.max', '64') ? own : null,
      memory: controllers.includes('memory') && canCreate(own, 'memory.max', String(64 << 20)) ? own : null,
      cpu: controllers.includes('cpu') && canCreate(own, 'cpu.weight', '100') ? own : null,
    };
  } catch {
    const pidsRoot = path.join('/sys/fs/cgroup/pids', ownCgroup('pids') ?? '/');
    const memoryRoot = path.join('/sys/fs/cgroup/memory', ownCgroup('memory') ?? '/');
    // Usually mounted with cpuacct (`cpu,cpuacct`, with a `cpu` link to it).
    const cpuRoot = path.join('/sys/fs/cgroup/cpu', ownCgroup('cpu') ?? '/');
    layout = {
      version: 1,
      pids: existsSync(pidsRoot) && canCreate(pidsRoot, 'pids.max', '64') ? pidsRoot : null,
      memory: existsSync(memoryRoot) && canCreate(memoryRoot, 'memory.limit_in_bytes', String(64 << 20)) ? memoryRoot : null,
      cpu: existsSync(cpuRoot) && canCreate(cpuRoot, 'cpu.shares', '1024') ? cpuRoot : null,
    };
  }
  cachedLayout = layout;
  return layout;
}

/**
 * The members listed in `dir`'s `cgroup.procs`, or `undefined` when it cannot be read. Opened
 * afresh on every read: cgroup v1 keeps the list it built for an open file and hands the same list
 * to later reads through that file for up to a second, so a descriptor kept open would miss a
 * process that joined meanwhile (tested in resource-cgroup.test.ts).
 */
function listMembers(dir: string): number[] | undefined {
  try {
    return readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return undefined;
  }
}

/** SIGKILLs the members listed in `dir`; returns how many were listed (`undefined`: no list). */
function killListed(dir: string): number | undefined {
  const pids = listMembers(dir);
  if (pids === undefined) return undefined;
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return pids.length;
}

/** Limits of one `ResourceCgroup`. */
export interface ResourceCgroupLimits {
  /** Processes and threads at once. */
  readonly maxProcesses: number;
  /** Memory of every process in the group together, in bytes. */
  readonly memoryBytes: number;
  /**
   * The CPU weight `applyCpuWeight` gives the members, on cgroup v2's scale (1–10,000; 100 is the
   * kernel's default). Default `defaultRunnerCpuWeight`.
   */
  readonly cpuWeight?: number;
}

/**
 * A cgroup (or, on cgroup v1, one per controller) holding one runner and everything it starts:
 * caps processes and memory, gives the runner a low CPU weight once it is ready (`applyCpuWeight`),
 * tells whether the kernel killed something for memory, and kills every member on `destroy` — also
 * daemons that left the process group.
 */
export class ResourceCgroup {
  /** Directories to write the runner's pid into before it execs (`cgroup.procs` inside each). */
  readonly directories: readonly string[];
  /** Whether memory is enforced by this cgroup. */
  readonly limitsMemory: boolean;
  readonly #memoryDirectory: string | null;
  readonly #version: 1 | 2;
  // The file and value `applyCpuWeight` writes, until it has.
  #cpuWeight: { readonly file: string; readonly value: string } | undefined;

  private constructor(directories: string[], memoryDirectory: string | null, version: 1 | 2, cpuWeight?: { readonly file: string; readonly value: string }) {
    this.directories = directories;
    this.#memoryDirectory = memoryDirectory;
    this.limitsMemory = memoryDirectory !== null;
    this.#version = version;
    this.#cpuWeight = cpuWeight;
  }

  /** Creates the cgroup(s), or returns `undefined` when this host does not let us. */
  static create(limits: ResourceCgroupLimits): ResourceCgroup | undefined {
    const layout = cgroupLayout();
    if (layout.pids === null && layout.memory === null && layout.cpu === null) return undefined;
    const name = `codecall-${process.pid}-${++counter}`;
    const directories: string[] = [];
    let memoryDirectory: string | null = null;
    const weight = limits.cpuWeight ?? defaultRunnerCpuWeight;
    let cpuWeight: { file: string; value: string } | undefined;
    try {
      if (layout.version === 2) {
        const dir = path.join((layout.pids ?? layout.memory ?? layout.cpu) as string, name);
        mkdirSync(dir);
        directories.push(dir);
        if (layout.pids !== null) writeFileSync(path.join(dir, 'pids.max'), String(limits.maxProcesses));
        if (layout.memory !== null) {
          writeFileSync(path.join(dir, 'memory.max'), String(limits.memoryBytes));
          try {
            writeFileSync(path.join(dir, 'memory.swap.max'), '0');
          } catch {
            // No swap accounting.
          }
          memoryDirectory = dir;
        }
        if (layout.cpu !== null) cpuWeight = { file: path.join(dir, 'cpu.weight'), value: String(weight) };
      } else {
        if (layout.pids !== null) {
          const dir = path.join(layout.pids, name);
          mkdirSync(dir);
          directories.push(dir);
          writeFileSync(path.join(dir, 'pids.max'), String(limits.maxProcesses));
        }
        if (layout.memory !== null) {
          const dir = path.join(layout.memory, name);
          mkdirSync(dir);
          directories.push(dir);
          writeFileSync(path.join(dir, 'memory.limit_in_bytes'), String(limits.memoryBytes));
          memoryDirectory = dir;
        }
        // Last: the first directory is the one whose member list `kill` reads.
        if (layout.cpu !== null) {
          const dir = path.join(layout.cpu, name);
          try {
            mkdirSync(dir);
            directories.push(dir);
            cpuWeight = { file: path.join(dir, 'cpu.shares'), value: String(cpuSharesFor(weight)) };
          } catch {
            // A preference, not a limit: the runner keeps its pids and memory cgroups without it.
          }
        }
      }
    } catch {
      new ResourceCgroup(directories, null, layout.version).destroy();
      return undefined;
    }
    return new ResourceCgroup(directories, memoryDirectory, layout.version, cpuWeight);
  }

  /**
   * Gives the members the CPU weight of `ResourceCgroupLimits.cpuWeight`, once; later calls do
   * nothing. Until then they have the kernel's default weight: a runner starts and rehearses as an
   * equal of the host, so a busy machine does not hold up its start, and takes the lower weight
   * once it is ready, before any guest code runs. A preference, not a limit: a host that refuses
   * the write leaves the default weight.
   */
  applyCpuWeight(): void {
    const weight = this.#cpuWeight;
    if (weight === undefined) return;
    this.#cpuWeight = undefined;
    try {
      writeFileSync(weight.file, weight.value);
    } catch {
      // See above.
    }
  }

  /** Whether the kernel killed a member for exceeding the memory limit. */
  memoryExceeded(): boolean {
    if (this.#memoryDirectory === null) return false;
    try {
      const file = this.#version === 2 ? 'memory.events' : 'memory.oom_control';
      const match = /oom_kill (\d+)/.exec(readFileSync(path.join(this.#memoryDirectory, file), 'utf8'));
      return match !== null && Number(match[1]) > 0;
    } catch {
      return false;
    }
  }

  /**
   * Process ids of the members (cgroup v2: of the cgroup; v1: of the first directory, which holds
   * the same processes as the others), or `undefined` when they cannot be read.
   */
  members(): number[] | undefined {
    const [first] = this.directories;
    return first === undefined ? undefined : listMembers(first);
  }

  /**
   * Sends SIGKILL to every member now, without waiting for them to go (`destroy` removes the cgroup
   * once they are reaped). cgroup v2: `cgroup.kill` (Linux 5.14+), else the listed members. cgroup
   * v1 (one directory per controller, no `cgroup.kill`): the members listed in the first directory;
   * every directory holds the same processes (the runner joins each before it execs, and children
   * inherit all of them), and `destroy` sweeps each one. This runs when a one-shot run's result
   * comes in, before it counts: one read of the member list instead of one per directory.
   */
  kill(): void {
    if (this.#version === 2) {
      for (const dir of this.directories) {
        try {
          writeFileSync(path.join(dir, 'cgroup.kill'), '1');
        } catch {
          // Linux < 5.14: kill the members one by one.
          killListed(dir);
        }
      }
      return;
    }
    const [first] = this.directories;
    if (first !== undefined) killListed(first);
  }

  /** Kills every member and removes the cgroup(s); returns whether they are gone. */
  destroy(): boolean {
    return removeCgroups(this.directories);
  }
}

// Most child cgroups one removal looks at below a runner's cgroup; the rest wait for the next try.
const maxChildCgroups = 256;

/**
 * The cgroups below `dir`, children before their parents, at most `budget.left` of them. A member
 * that can write its cgroup's directory (a runner of the plain launcher, as the host's user) may
 * create them, and may move processes into them: those are listed there, not in `dir`.
 */
function childCgroups(dir: string, budget: { left: number }, found: string[] = []): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!entry.isDirectory() || budget.left <= 0) continue;
    budget.left--;
    const child = path.join(dir, entry.name);
    childCgroups(child, budget, found);
    found.push(child);
  }
  return found;
}

/**
 * Kills every member of the cgroup directories `directories` and of the cgroups below them, and
 * removes them all, children first; returns whether they are gone (members still being reaped keep
 * a cgroup: the caller retries). The spawn helper uses it for the cgroups of a host that went away
 * without removing them.
 */
export function removeCgroups(directories: readonly string[]): boolean {
  let gone = true;
  for (const dir of directories) {
    const all = [...childCgroups(dir, { left: maxChildCgroups }), dir];
    for (let attempt = 0; attempt < 50; attempt++) {
      let listed = 0;
      for (const each of all) listed += killListed(each) ?? 0;
      if (listed === 0) break;
    }
    for (const each of all) {
      try {
        rmdirSync(each);
      } catch {
        if (existsSync(each)) gone = false;
      }
    }
  }
  return gone;
}

/** Something whose removal may fail for now and be retried: `destroy` returns whether it is gone. */
export interface Removable {
  destroy(): boolean;
}

const firstRetryMs = 1_000;
const longestRetryMs = 60_000;
// Each item's pause before its next try, and when that is due.
const lingering = new Map<Removable, { pauseMs: number; dueAt: number }>();
let retryTimer: NodeJS.Timeout | undefined;
let exitHookInstalled = false;

function retryDue(): void {
  retryTimer = undefined;
  const now = Date.now();
  for (const [item, schedule] of lingering) {
    if (schedule.dueAt > now) continue;
    if (item.destroy()) {
      lingering.delete(item);
      continue;
    }
    schedule.pauseMs = Math.min(longestRetryMs, schedule.pauseMs * 2);
    schedule.dueAt = now + schedule.pauseMs;
  }
  scheduleRetry();
}

function scheduleRetry(): void {
  if (retryTimer !== undefined) clearTimeout(retryTimer);
  retryTimer = undefined;
  let next = Number.POSITIVE_INFINITY;
  for (const schedule of lingering.values()) next = Math.min(next, schedule.dueAt);
  if (next === Number.POSITIVE_INFINITY) return;
  // Unreferenced: a lingering cgroup does not keep the host alive. The exit hook tries once more.
  retryTimer = setTimeout(retryDue, Math.max(0, next - Date.now())).unref();
}

/**
 * Keeps trying to remove `item` (a cgroup whose members were still going when its runner's
 * clean-up gave up) while this process lives: 1 s later, then after pauses that double up to a
 * minute, and once more when the process exits. A host that goes away first leaves it to the spawn
 * helper, which removes the cgroups of hosts that are gone.
 */
export function removeLater(item: Removable): void {
  if (lingering.has(item)) return;
  lingering.set(item, { pauseMs: firstRetryMs, dueAt: Date.now() + firstRetryMs });
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const pending of lingering.keys()) pending.destroy();
    });
  }
  scheduleRetry();
}

/** How many items `removeLater` is still trying to remove (for tests and diagnostics). */
export function lingeringRemovals(): number {
  return lingering.size;
}
