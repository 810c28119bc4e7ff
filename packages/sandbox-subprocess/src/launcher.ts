import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/** Everything a launcher needs to start one runner process. */
export interface SubprocessLaunchSpec {
  /** Which runner: `node` (javascript, typescript) or `python`. */
  readonly runtime: 'node' | 'python';
  /** Absolute path of the interpreter on the host (or the configured name for custom launchers). */
  readonly interpreterPath: string;
  /** Interpreter flags that go before the runner path (heap size, isolation flags). */
  readonly interpreterArgs: readonly string[];
  /** Absolute path of the runner program on the host. */
  readonly runnerPath: string;
  /** Arguments that go after the runner path. */
  readonly runnerArgs: readonly string[];
  /** Directory holding both runner programs. */
  readonly runnerDirectory: string;
  /** The run's private working directory on the host (created before, removed after). */
  readonly workDirectory: string;
  /** Directories the interpreter needs (its installation prefix), for jails. */
  readonly interpreterMountPaths: readonly string[];
}

/** What a launcher function returns: the argv of the command to spawn. */
export interface SubprocessLaunchCommand {
  /** Program and arguments; the program is looked up on the host's PATH. */
  readonly command: readonly string[];
}

/**
 * A user command that gives the runner its stdio, e.g. `docker run -i --rm …`. The adapter appends
 * `[interpreterPath, ...interpreterArgs, runnerPath, ...runnerArgs]` to `command`, so inside a
 * container set `nodePath`/`pythonPath` to the container's interpreters and mount
 * `runnerDirectory` at the same path.
 */
export interface SubprocessCommandLauncher {
  /** The prefix command, e.g. `['docker', 'run', '-i', '--rm', '--network=none', …, 'image']`. */
  readonly command: readonly string[];
  /** Isolation this command provides, reported in `capabilities.isolation`. Default `'process'`. */
  readonly isolation?: 'process' | 'jail' | 'microvm';
  /** Whether guest code can reach the network through this command. Default `true` (unknown). */
  readonly network?: boolean;
  /** Whether this command enforces `memoryLimitBytes` (the adapter's rlimits apply to the command). Default `false`. */
  readonly memoryLimit?: boolean;
}

/**
 * How runner processes are started:
 * - `'plain'`: spawned directly, with a scrubbed environment in a private working directory;
 * - `'jail'`: inside bubblewrap (`bwrap`): own user, PID, network, IPC and UTS namespaces, a
 *   read-only view of the system, a private `/tmp` (a tmpfs of `jail.tmpBytes`; the working directory
 *   with bubblewrap older than 0.6), no host home;
 * - `{ command }`: any command that gives the runner its stdio (see `SubprocessCommandLauncher`);
 * - a function returning the full command for each launch.
 */
export type SubprocessLauncher =
  | 'plain'
  | 'jail'
  | SubprocessCommandLauncher
  | ((spec: SubprocessLaunchSpec) => SubprocessLaunchCommand);

/** Settings of the `'jail'` launcher. */
export interface SubprocessJailSettings {
  /** Path of bubblewrap. Default: `bwrap` on the host's PATH. */
  readonly bwrapPath?: string;
  /** Extra host paths to show read-only inside the jail (at the same path). Default none. */
  readonly readOnlyPaths?: readonly string[];
  /** User id the guest has inside the jail's user namespace. Default 65534 (nobody). */
  readonly uid?: number;
  /**
   * Host user id jailed runners run as when the host runs as root: the switch happens before
   * bubblewrap makes its namespaces, so the jail is never host root. What this user cannot read is
   * made up for where possible: the runner programs are copied to a world-readable directory, a
   * default node is replaced by a world-readable copy of the host's binary, a default python by the
   * system's (`/usr/local/bin/python3`, then `/usr/bin/python3`); a configured interpreter it cannot
   * read fails the run, and `tempDirectory` must be reachable by it. Ignored when the host is not
   * root (the runner keeps the host's uid). Default 65534 (nobody).
   */
  readonly hostUid?: number;
  /** Host group id jailed runners run as when the host runs as root. Default `hostUid`. */
  readonly hostGid?: number;
  /**
   * Size of the jail's private `/tmp`, in bytes: a tmpfs of its own (bubblewrap 0.6+), gone with
   * the runner. Its pages are memory, counted in the runner's memory cgroup where the host lets the
   * adapter create one. Default 64 MiB. With an older bubblewrap, `/tmp` is the run's working
   * directory on the host's disk instead, and only `maxFileBytes` bounds each file.
   */
  readonly tmpBytes?: number;
  /**
   * Whether to load the jail's seccomp filter (refuses mount, namespaces, keyrings, bpf, ptrace,
   * kernel modules, …; x64 and arm64 only). Default `true`; `false` only on another architecture.
   */
  readonly seccomp?: boolean;
}

/** Options of `bubblewrapArgs` that come from probing the host. */
export interface BubblewrapOptions {
  /** Descriptor bubblewrap reads the seccomp program from (`--seccomp`). Default none. */
  readonly seccompDescriptor?: number;
  /** Add `--disable-userns` (bubblewrap 0.8+): no nested user namespaces. Default `false`. */
  readonly disableUserns?: boolean;
  /** Make `/tmp` a tmpfs of `tmpBytes` (`--size`, bubblewrap 0.6+) instead of binding the working directory. Default `false`. */
  readonly sizedTmp?: boolean;
}

/** Default of `SubprocessJailSettings.tmpBytes`. */
export const defaultJailTmpBytes: number = 64 * 1024 * 1024;

const systemDirectories = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

function isUnder(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

// Kernel-tunable trees of /proc, shown read-only over the jail's own /proc.
const procReadOnly = ['/proc/sys', '/proc/sysrq-trigger', '/proc/irq', '/proc/bus'];
const deviceNodes = ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom'];

/**
 * The bubblewrap argv for one launch (without the bwrap binary itself). No `--dev`: bubblewrap
 * mounts devpts through a second, root-mapped user namespace for it; the few device nodes a
 * runner needs are bound one by one instead, so the guest's namespace maps only its own uid.
 */
export function bubblewrapArgs(spec: SubprocessLaunchSpec, settings: SubprocessJailSettings = {}, options: BubblewrapOptions = {}): string[] {
  const uid = String(settings.uid ?? 65534);
  const args = [
    '--unshare-user', '--uid', uid, '--gid', uid,
    ...(options.disableUserns === true ? ['--disable-userns'] : []),
    '--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    '--die-with-parent', '--new-session', '--cap-drop', 'ALL', '--hostname', 'codecall',
    '--ro-bind', '/usr', '/usr',
  ];
  for (const dir of systemDirectories) {
    try {
      const stat = lstatSync(dir);
      if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(dir), dir);
      else if (stat.isDirectory()) args.push('--ro-bind', dir, dir);
    } catch {
      // Not present on this system.
    }
  }
  args.push('--proc', '/proc');
  for (const tree of procReadOnly) args.push('--ro-bind-try', tree, tree);
  args.push('--tmpfs', '/dev');
  for (const node of deviceNodes) args.push('--dev-bind', node, node);
  args.push(
    '--symlink', '/proc/self/fd', '/dev/fd',
    '--symlink', '/proc/self/fd/0', '/dev/stdin',
    '--symlink', '/proc/self/fd/1', '/dev/stdout',
    '--symlink', '/proc/self/fd/2', '/dev/stderr',
    '--remount-ro', '/dev',
    // A tmpfs of a fixed size: a guest cannot fill the host's disk through it (a directory of the
    // host's took 4.25 GB in 2.4 s from a guest in a review).
    ...(options.sizedTmp === true ? ['--perms', '1777', '--size', String(settings.tmpBytes ?? defaultJailTmpBytes), '--tmpfs', '/tmp'] : ['--bind', spec.workDirectory, '/tmp']),
  );
  const mounts = [...spec.interpreterMountPaths, spec.runnerDirectory, ...(settings.readOnlyPaths ?? [])]
    .map((entry) => path.resolve(entry))
    .filter((entry) => !isUnder(entry, '/usr'));
  for (const mount of [...new Set(mounts)].sort()) args.push('--ro-bind', mount, mount);
  if (options.seccompDescriptor !== undefined) args.push('--seccomp', String(options.seccompDescriptor));
  args.push(
    // bubblewrap sets PWD to the --chdir target, so the host path of the private directory stays out.
    // The descriptor-closing bash in front of bwrap exports SHLVL on exec; the guest gets the allow-list only.
    '--chdir', '/tmp', '--setenv', 'HOME', '/tmp', '--setenv', 'TMPDIR', '/tmp', '--unsetenv', 'SHLVL',
    '--', spec.interpreterPath, ...spec.interpreterArgs, spec.runnerPath, ...spec.runnerArgs,
  );
  return args;
}
