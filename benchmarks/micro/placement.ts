// Fixed CPU placements for per-call rounds. A round trip between the host and a child process costs
// about half as much when the scheduler puts both on one CPU (the child preempts the host when it
// is woken) as when it puts them on two (each side sleeps and is woken through the hypervisor), and
// the scheduler switches between the two every few rounds on its own. A ratio of two subjects then
// depends on where each happened to run. Timed again with the placement fixed, it does not.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Where the host and its child processes run: both on one CPU, or the children on another. */
export type Placement = 'one CPU' | 'two CPUs';

/** Pins this process and its descendants (see `placeProcesses`); `restore` undoes it. */
export interface PlacementControl {
  /** Pins this process's threads and its descendants; processes they start later inherit it. */
  readonly apply: (placement: Placement) => void;
  /** Gives every thread of this process and its descendants the CPUs this process had at first. */
  readonly restore: () => void;
}

function findTaskset(): string | undefined {
  for (const directory of ['/usr/bin', '/bin', '/usr/local/bin']) {
    const file = `${directory}/taskset`;
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** The CPUs this process may run on, as a list (from `/proc/self/status`), or `undefined`. */
function allowedCpus(): number[] | undefined {
  let status: string;
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    return undefined;
  }
  const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1];
  if (list === undefined) return undefined;
  const cpus: number[] = [];
  for (const part of list.split(',')) {
    const [from, to] = part.split('-').map(Number);
    if (from === undefined || !Number.isInteger(from)) return undefined;
    const last = to === undefined ? from : to;
    if (!Number.isInteger(last)) return undefined;
    for (let cpu = from; cpu <= last; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** Every live descendant of `root` (by the parent pids in `/proc/PID/stat`). */
export function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // Exited meanwhile.
    }
    // The command name (field 2) may hold spaces and parentheses: the fields after it start after the last ')'.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(parent) ?? [];
    list.push(Number(entry));
    children.set(parent, list);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function pin(taskset: string, pid: number, cpus: string): void {
  try {
    // -a: every thread of the process (Node's and V8's worker threads too).
    execFileSync(taskset, ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
  } catch {
    // It exited meanwhile.
  }
}

/**
 * A control that pins this process and its descendants to fixed CPUs, or `undefined` where that
 * cannot be done: not Linux, no `taskset`, or fewer than two CPUs allowed.
 */
export function placementControl(): PlacementControl | undefined {
  if (process.platform !== 'linux') return undefined;
  const taskset = findTaskset();
  const cpus = allowedCpus();
  if (taskset === undefined || cpus === undefined || cpus.length < 2) return undefined;
  const [hostCpu, childCpu] = cpus as [number, number];
  const all = cpus.join(',');
  return {
    apply: (placement) => {
      pin(taskset, process.pid, String(hostCpu));
      const target = String(placement === 'one CPU' ? hostCpu : childCpu);
      for (const pid of descendantsOf(process.pid)) pin(taskset, pid, target);
    },
    restore: () => {
      pin(taskset, process.pid, all);
      for (const pid of descendantsOf(process.pid)) pin(taskset, pid, all);
    },
  };
}
