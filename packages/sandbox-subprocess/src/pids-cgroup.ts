import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

let cachedRoot: string | null | undefined;
let counter = 0;

function probe(root: string): boolean {
  const dir = path.join(root, `codecall-probe-${process.pid}`);
  try {
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'pids.max'), '8');
    rmdirSync(dir);
    return true;
  } catch {
    try {
      rmdirSync(dir);
    } catch {
      // Nothing to clean up.
    }
    return false;
  }
}

/** The pids-controller directory in which this process may create child cgroups, or `null`. */
export function pidsCgroupRoot(): string | null {
  if (cachedRoot !== undefined) return cachedRoot;
  cachedRoot = null;
  const candidates: string[] = [];
  try {
    const controllers = readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8');
    if (controllers.split(/\s+/).includes('pids')) candidates.push('/sys/fs/cgroup');
  } catch {
    // Not cgroup v2 at the root.
  }
  if (existsSync('/sys/fs/cgroup/pids/cgroup.procs')) candidates.push('/sys/fs/cgroup/pids');
  for (const candidate of candidates) {
    if (probe(candidate)) {
      cachedRoot = candidate;
      break;
    }
  }
  return cachedRoot;
}

/** A cgroup that caps the number of processes of one worker and can kill all of them. */
export class PidsCgroup {
  /** Directory of the cgroup. */
  readonly path: string;

  private constructor(dir: string) {
    this.path = dir;
  }

  /** Creates a cgroup limited to `maxProcesses`, or returns `undefined` when cgroups are not writable here. */
  static create(maxProcesses: number): PidsCgroup | undefined {
    const root = pidsCgroupRoot();
    if (root === null) return undefined;
    const dir = path.join(root, `codecall-${process.pid}-${++counter}`);
    try {
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'pids.max'), String(maxProcesses));
      return new PidsCgroup(dir);
    } catch {
      return undefined;
    }
  }

  /** Kills every process in the cgroup (also daemons that left the process group) and removes it. */
  destroy(): void {
    for (let attempt = 0; attempt < 50; attempt++) {
      let pids: number[];
      try {
        pids = readFileSync(path.join(this.path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
      } catch {
        return;
      }
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    try {
      rmdirSync(this.path);
    } catch {
      // Still populated by processes that are being reaped; retried by the caller.
    }
  }

  /** Whether the cgroup directory still exists. */
  exists(): boolean {
    return existsSync(this.path);
  }
}
