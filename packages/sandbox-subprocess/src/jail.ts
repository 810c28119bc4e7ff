import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SandboxConfigurationError, SandboxStartError } from '@codecall/core';
import { findExecutable, resolveNode, resolvePython } from './interpreters.js';
import type { ResolvedInterpreter } from './interpreters.js';
import { bubblewrapArgs } from './launcher.js';
import type { SubprocessJailSettings, SubprocessLaunchSpec, SubprocessLauncher } from './launcher.js';
import { isSeccompArchitecture, seccompFilter } from './seccomp-filter.js';

/** A host user and group. */
export interface HostIdentity {
  /** Host user id. */
  readonly uid: number;
  /** Host group id. */
  readonly gid: number;
}

/** What the probe found out about this host's jail, once per settings. */
export type JailProbe =
  | { readonly ok: true; readonly bwrapPath: string; readonly setprivPath: string | undefined; readonly bashPath: string | undefined; readonly identity: HostIdentity | undefined; readonly disableUserns: boolean; readonly sizedTmp: boolean; readonly seccompPath: string | undefined }
  | { readonly ok: false; readonly reason: string };

const defaultHostId = 65534;
/** Descriptor on which bubblewrap reads the seccomp program (0-2 are stdio, 3-4 the protocol). */
export const seccompDescriptor = 5;

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * The host identity jailed runners run as: when the host is root, an unprivileged user (default
 * 65534, nobody) switched to before bubblewrap makes its namespaces, so no uid map inside ever
 * names host root. `undefined` when the host is not root (the runner keeps the host's own uid).
 */
export function jailHostIdentity(settings: SubprocessJailSettings = {}): HostIdentity | undefined {
  if (!isRoot()) return undefined;
  return { uid: settings.hostUid ?? defaultHostId, gid: settings.hostGid ?? settings.hostUid ?? defaultHostId };
}

/** Whether `identity` (no supplementary groups) can reach and read `target` (every parent searchable). */
export function readableBy(target: string, identity: HostIdentity | undefined): boolean {
  if (identity === undefined) return true;
  let real: string;
  try {
    real = realpathSync(target);
  } catch {
    return false;
  }
  const allows = (file: string, bits: number): boolean => {
    const stat = statSync(file);
    const shift = stat.uid === identity.uid ? 6 : stat.gid === identity.gid ? 3 : 0;
    return ((stat.mode >> shift) & bits) === bits;
  };
  try {
    const parts = real.split('/').filter(Boolean);
    for (let index = 0; index < parts.length; index++) {
      if (!allows(`/${parts.slice(0, index).join('/')}`, 1)) return false;
    }
    return allows(real, statSync(real).isDirectory() ? 5 : 4);
  } catch {
    return false;
  }
}

/**
 * A directory only this user can write (so nobody can swap what is in it) and everyone can read,
 * made once: `<base>/codecall-jail-<uid>`, or a fresh one when that path is not ours.
 */
function privateJailDirectory(base: string): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  let directory = path.join(base, `codecall-jail-${uid}`);
  try {
    mkdirSync(directory, { mode: 0o755 });
  } catch {
    // Exists already, or cannot be made: checked below.
  }
  try {
    const stat = lstatSync(directory);
    if (!stat.isDirectory() || stat.uid !== uid || (stat.mode & 0o022) !== 0) throw new Error('not ours');
    chmodSync(directory, 0o755);
  } catch {
    directory = mkdtempSync(path.join(base, 'codecall-jail-'));
    chmodSync(directory, 0o755);
  }
  return directory;
}

let filterPath: string | undefined;

/**
 * Writes the seccomp program once, content-addressed, in a directory only this user can write
 * (so nobody can swap the file), and returns its path.
 */
function seccompFilterPath(): string {
  if (filterPath !== undefined) return filterPath;
  const filter = seccompFilter();
  const name = `seccomp-${createHash('sha256').update(filter).digest('hex').slice(0, 16)}.bpf`;
  const file = path.join(privateJailDirectory(tmpdir()), name);
  let current: Buffer | undefined;
  try {
    current = readFileSync(file);
  } catch {
    // Not written yet.
  }
  if (current === undefined || !current.equals(filter)) {
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, filter, { mode: 0o444 });
    renameSync(temporary, file);
  }
  filterPath = file;
  return file;
}

// Copies the jail mounts when the originals are out of the jail user's reach (a checkout under
// /root, mode 0700). Not under /tmp: the jail's /tmp is the run's private directory, and a mount
// point below it would appear there.
const copyBase = existsSync('/var/tmp') ? '/var/tmp' : tmpdir();

/** Copies `files` (name → source) into `<private dir>/<prefix>-<content hash>/<name>` once, world-readable; returns that directory. */
function readableCopies(prefix: string, files: Readonly<Record<string, string>>, mode: number): string {
  const hash = createHash('sha256');
  for (const [name, source] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    const stat = statSync(source);
    // Path, size and modification time identify a binary without reading 100 MB on every start.
    hash.update(`${name}\0${realpathSync(source)}\0${stat.size}\0${stat.mtimeMs}\0`);
  }
  const directory = path.join(privateJailDirectory(copyBase), `${prefix}-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(path.join(directory, '.complete'))) return directory;
  const temporary = mkdtempSync(`${directory}.tmp-`);
  for (const [name, source] of Object.entries(files)) {
    const target = path.join(temporary, name);
    mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
    copyFileSync(source, target);
    chmodSync(target, mode);
  }
  writeFileSync(path.join(temporary, '.complete'), '', { mode: 0o444 });
  chmodSync(temporary, 0o755);
  try {
    renameSync(temporary, directory);
  } catch {
    // Another process made it first: keep theirs.
    rmSync(temporary, { recursive: true, force: true });
  }
  return directory;
}

/** The runner programs as a jail running as `identity` sees them. */
export interface JailRunnerFiles {
  /** Directory mounted read-only into the jail. */
  readonly directory: string;
  /** The node runner. */
  readonly node: string;
  /** The python runner. */
  readonly python: string;
}

/**
 * The runner programs for a jail that runs as `identity`: the package's own when that user can
 * read them, else world-readable copies in a directory only this user can write.
 */
export function jailRunnerFiles(identity: HostIdentity | undefined, installed: JailRunnerFiles): JailRunnerFiles {
  if (identity === undefined || readableBy(installed.directory, identity)) return installed;
  const directory = readableCopies('runner', { [path.basename(installed.node)]: installed.node, [path.basename(installed.python)]: installed.python }, 0o644);
  return { directory, node: path.join(directory, path.basename(installed.node)), python: path.join(directory, path.basename(installed.python)) };
}

function bubblewrapVersion(bwrapPath: string): [number, number] {
  try {
    const match = /(\d+)\.(\d+)/.exec(execFileSync(bwrapPath, ['--version'], { encoding: 'utf8', timeout: 10_000 }));
    return match === null ? [0, 0] : [Number(match[1]), Number(match[2])];
  } catch {
    return [0, 0];
  }
}

const probes = new Map<string, JailProbe>();

/**
 * Checks once per settings (and caches) that this host can make the jail: bubblewrap is installed,
 * user namespaces work for the jail's host user, and the kernel accepts the seccomp filter.
 */
export function probeJail(settings: SubprocessJailSettings = {}): JailProbe {
  const identity = jailHostIdentity(settings);
  const seccomp = settings.seccomp ?? true;
  const key = JSON.stringify([settings.bwrapPath, identity, seccomp]);
  const known = probes.get(key);
  if (known !== undefined) return known;
  const probe = runProbe(settings, identity, seccomp);
  probes.set(key, probe);
  return probe;
}

function runProbe(settings: SubprocessJailSettings, identity: HostIdentity | undefined, seccomp: boolean): JailProbe {
  if (process.platform !== 'linux') return { ok: false, reason: `the jail needs Linux (this is ${process.platform})` };
  const bwrapPath = findExecutable(settings.bwrapPath ?? 'bwrap');
  if (bwrapPath === undefined) return { ok: false, reason: `bubblewrap (${settings.bwrapPath ?? 'bwrap'}) is not installed` };
  const setprivPath = identity === undefined ? undefined : findExecutable('setpriv');
  if (identity !== undefined && setprivPath === undefined) {
    return { ok: false, reason: 'the host runs as root and setpriv (util-linux) is not installed to switch to an unprivileged user before the jail' };
  }
  if (seccomp && !isSeccompArchitecture(process.arch)) {
    return { ok: false, reason: `the seccomp filter supports x64 and arm64, not ${process.arch} (set jail: { seccomp: false } to jail without it)` };
  }
  const [major, minor] = bubblewrapVersion(bwrapPath);
  const disableUserns = major > 0 || minor >= 8;
  const sizedTmp = major > 0 || minor >= 6;
  const seccompPath = seccomp ? seccompFilterPath() : undefined;
  const workDirectory = mkdtempSync(path.join(tmpdir(), 'codecall-probe-'));
  const spec: SubprocessLaunchSpec = {
    runtime: 'node',
    interpreterPath: '/bin/sh',
    interpreterArgs: ['-c', 'exit 0'],
    runnerPath: 'probe',
    runnerArgs: [],
    runnerDirectory: '/usr',
    workDirectory,
    interpreterMountPaths: [],
  };
  const bashPath = findExecutable('/bin/bash');
  const argv = jailArgv(spec, settings, { bwrapPath, setprivPath, bashPath, identity, disableUserns, sizedTmp, seccompPath });
  const descriptor = seccompPath === undefined ? undefined : openSync(seccompPath, 'r');
  try {
    if (identity !== undefined) chownSync(workDirectory, identity.uid, identity.gid);
    execFileSync(argv[0] as string, argv.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe', 'ignore', 'ignore', ...(descriptor === undefined ? [] : [descriptor])],
      timeout: 20_000,
      env: { PATH: '/usr/bin:/bin' },
    });
    return { ok: true, bwrapPath, setprivPath, bashPath, identity, disableUserns, sizedTmp, seccompPath };
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString('utf8').trim();
    return { ok: false, reason: `bubblewrap cannot make the jail here${identity === undefined ? '' : ` as uid ${identity.uid}`}: ${stderr !== undefined && stderr !== '' ? stderr : (error instanceof Error ? error.message : String(error))} (user namespaces may be disabled: sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0, or an AppArmor profile for bwrap)` };
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
    rmSync(workDirectory, { recursive: true, force: true });
  }
}

const closeInheritedDescriptors = [
  `for entry in /proc/$$/fd/*; do fd=\${entry##*/}; case $fd in [0-${seccompDescriptor}]) ;; *) eval "exec $fd>&-" 2>/dev/null ;; esac; done`,
  'exec "$@"',
].join('\n');

/** What `jailArgv` needs from the probe. */
export interface JailEnvironment {
  /** Absolute path of bubblewrap. */
  readonly bwrapPath: string;
  /** Absolute path of setpriv, when the host user must be switched. */
  readonly setprivPath: string | undefined;
  /** Absolute path of bash, used to close descriptors the host inherited; `undefined` to skip. */
  readonly bashPath: string | undefined;
  /** Host user the jail runs as, when the host is root. */
  readonly identity: HostIdentity | undefined;
  /** Whether bubblewrap supports `--disable-userns` (0.8+). */
  readonly disableUserns: boolean;
  /** Whether bubblewrap sizes a tmpfs (`--size`, 0.6+): the jail's `/tmp` is then one of `tmpBytes`. */
  readonly sizedTmp: boolean;
  /** The seccomp program's file, opened on descriptor 5 by the caller; `undefined` for none. */
  readonly seccompPath: string | undefined;
}

/**
 * The full argv of one jailed launch: `[setpriv … --] bwrap … -- interpreter runner`. The caller
 * opens `seccompPath` on descriptor `seccompDescriptor` before exec (see `jailShellRedirect`).
 */
export function jailArgv(spec: SubprocessLaunchSpec, settings: SubprocessJailSettings, environment: JailEnvironment): string[] {
  const bwrap = [environment.bwrapPath, ...bubblewrapArgs(spec, settings, {
    ...(environment.seccompPath === undefined ? {} : { seccompDescriptor }),
    disableUserns: environment.disableUserns,
    sizedTmp: environment.sizedTmp,
  })];
  // bubblewrap passes every open descriptor into the jail. Node opens its own close-on-exec, but
  // a host started with stray descriptors (a parent's pipe, an open directory) would hand them to
  // the guest: close everything above the protocol (3, 4) and seccomp (5) descriptors first.
  const closed = environment.bashPath === undefined ? bwrap : [environment.bashPath, '-c', closeInheritedDescriptors, 'codecall-jail', ...bwrap];
  if (environment.identity === undefined || environment.setprivPath === undefined) return closed;
  const { uid, gid } = environment.identity;
  // Switch before bwrap runs: its user namespace is then owned by an unprivileged host user, and
  // the runner's kernel uid is never 0 (root's "other" permission bits apply to /proc/sys).
  // --pdeathsig: the parent-death signal survives the exec into bubblewrap, which sets its own only
  // a little later (a host that died in between would otherwise leave it running).
  return [environment.setprivPath, `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--pdeathsig=KILL', '--', ...closed];
}

/** Shell redirections that open what `jailArgv` expects on its descriptors. */
export function jailShellRedirect(environment: JailEnvironment): string {
  if (environment.seccompPath === undefined) return '';
  return ` ${seccompDescriptor}<'${environment.seccompPath.replaceAll("'", `'\\''`)}'`;
}

/** The launcher a sandbox uses, after defaults, with the probed jail when it is the jail. */
export interface ResolvedLauncher {
  /** `'plain'`, `'jail'` or the caller's custom launcher. */
  readonly launcher: SubprocessLauncher;
  /** The jail's probe when `launcher` is `'jail'`. */
  readonly jail: JailEnvironment | undefined;
  /** The jail's settings (`{}` when none were given). */
  readonly jailSettings: SubprocessJailSettings;
}

/**
 * Safe by default: without `launcher` the runner is jailed, and a host that cannot jail is a
 * configuration error, never a silent fall back to an unjailed process. `jail: false` (or
 * `launcher: 'plain'`) is the explicit opt-out.
 */
export function resolveLauncher(launcher: SubprocessLauncher | undefined, jail: SubprocessJailSettings | boolean | undefined, sandboxId: string): ResolvedLauncher {
  const jailSettings = typeof jail === 'object' ? jail : {};
  if (jail === false && launcher === 'jail') {
    throw new SandboxConfigurationError('settings.launcher is \'jail\' but settings.jail is false; drop one of them.', { sandboxId });
  }
  for (const name of ['uid', 'hostUid', 'hostGid'] as const) {
    const value = jailSettings[name];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0 || value > 0xffff_fffe)) {
      throw new SandboxConfigurationError(`settings.jail.${name} must be a user or group id, got ${String(value)}.`, { sandboxId });
    }
    // The whole point of the switch: the jail must never run as host root.
    if (value === 0 && name !== 'uid') throw new SandboxConfigurationError(`settings.jail.${name} must not be 0: the jail never runs as host root.`, { sandboxId });
  }
  const tmpBytes = jailSettings.tmpBytes;
  if (tmpBytes !== undefined && (!Number.isSafeInteger(tmpBytes) || tmpBytes < 1024 * 1024)) {
    throw new SandboxConfigurationError(`settings.jail.tmpBytes must be a whole number of bytes, at least 1 MiB (1048576), got ${String(tmpBytes)}.`, { sandboxId });
  }
  const chosen = launcher ?? (jail === false ? 'plain' : 'jail');
  if (chosen !== 'jail') return { launcher: chosen, jail: undefined, jailSettings };
  const probe = probeJail(jailSettings);
  if (!probe.ok) {
    throw new SandboxConfigurationError(
      `The subprocess sandbox jails its runners by default, and this host cannot: ${probe.reason}. ` +
        'Install bubblewrap (apt-get install bubblewrap) and allow unprivileged user namespaces, or opt out with ' +
        'createSubprocessSandbox({ jail: false }) — unsafe for untrusted code: the runner then has the host user, its files and the network.',
      { sandboxId },
    );
  }
  const { ok: _ok, ...environment } = probe;
  return { launcher: 'jail', jail: environment, jailSettings };
}

const jailFallbacks: Record<'node' | 'python', readonly string[]> = {
  node: ['/usr/local/bin/node', '/usr/bin/node'],
  python: ['/usr/local/bin/python3', '/usr/bin/python3'],
};

/**
 * The interpreter a jail running as `identity` can use: the resolved one when that user can read
 * it and its installation; otherwise, unless one was configured explicitly, the system's
 * interpreter (a pyenv or nvm install under /root is out of reach for nobody).
 */
export async function interpreterForJail(
  runtime: 'node' | 'python',
  resolved: ResolvedInterpreter,
  configured: string | undefined,
  identity: HostIdentity | undefined,
): Promise<ResolvedInterpreter> {
  if (identity === undefined) return resolved;
  const usable = (interpreter: ResolvedInterpreter): boolean => readableBy(interpreter.path, identity) && interpreter.mountPaths.every((entry) => readableBy(entry, identity));
  if (usable(resolved)) return resolved;
  if (configured === undefined && runtime === 'node') {
    // Node is one self-contained binary: a world-readable copy keeps the host's own version (a
    // system Node may be too old for type stripping).
    const prefix = readableCopies('node', { 'bin/node': resolved.path }, 0o755);
    return { path: path.join(prefix, 'bin', 'node'), mountPaths: [prefix] };
  }
  if (configured === undefined) {
    for (const candidate of jailFallbacks[runtime]) {
      if (findExecutable(candidate) === undefined) continue;
      const fallback = await (runtime === 'node' ? resolveNode(candidate) : resolvePython(candidate)).catch(() => undefined);
      if (fallback !== undefined && usable(fallback)) return fallback;
    }
  }
  throw new SandboxStartError(`${resolved.path} (or its installation) is not readable by uid ${identity.uid}, the unprivileged user the jail runs as; set settings.${runtime}Path to an interpreter that user can read.`);
}

// Run as root in the plain runner's own mount namespace before it drops its capabilities: the
// cgroup file systems disappear under an empty read-only tmpfs (so it can neither write its own
// limits nor move itself into another cgroup, v1 or v2) and /proc/sys turns read-only. Each `mount`
// is a process start (about 4.7 ms of a plain spawn here): `-o bind,ro` binds and remounts in one
// run (util-linux 2.27+); an older mount binds read-write, which the shell's own `-w` test sees.
const plainMountScript = [
  'if [ -d /sys/fs/cgroup ]; then mount -t tmpfs -o ro,nosuid,nodev,noexec,size=4k codecall-no-cgroup /sys/fs/cgroup || exit 125; fi',
  'mount -o bind,ro /proc/sys /proc/sys || exit 125',
  'if [ -w /proc/sys/kernel/hostname ]; then mount -o remount,bind,ro /proc/sys || exit 125; fi',
  'exec "$@"',
].join('\n');

let plainPrefix: string[] | undefined;

/**
 * Prefix for plain (unjailed) runners, probed once: on every host no new privileges (setuid
 * binaries) and SIGKILL when the host dies; when the host is root, also no capabilities at all
 * (no raising rlimits, no reading a root host's /proc/<pid>/mem) and, where the host allows
 * namespaces, an own cgroup namespace and mount namespace without the cgroup file systems and with
 * a read-only /proc/sys (no leaving its cgroup, no raising its cgroup's limits).
 */
export function plainRunnerPrefix(): string[] {
  if (plainPrefix !== undefined) return plainPrefix;
  const setpriv = findExecutable('setpriv');
  if (setpriv === undefined || process.platform !== 'linux') return (plainPrefix = []);
  const harden = [setpriv, '--no-new-privs', '--pdeathsig=KILL'];
  const candidates: string[][] = [];
  if (isRoot()) {
    const dropAll = [...harden, '--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-all', '--'];
    const unshare = findExecutable('unshare');
    if (unshare !== undefined && findExecutable('mount') !== undefined) {
      candidates.push([unshare, '--mount', '--cgroup', '--', '/bin/sh', '-c', plainMountScript, 'codecall-plain', ...dropAll]);
    }
    candidates.push(dropAll);
  }
  candidates.push([...harden, '--']);
  // The strongest prefix this host runs (a container without CAP_SYS_ADMIN refuses namespaces; an
  // old setpriv lacks --pdeathsig), so a plain runner never fails to start because of hardening.
  for (const prefix of candidates) {
    try {
      execFileSync(prefix[0] as string, [...prefix.slice(1), '/bin/true'], { stdio: 'ignore', timeout: 10_000, env: { PATH: '/usr/bin:/bin' } });
      return (plainPrefix = prefix);
    } catch {
      // Try the next, weaker one.
    }
  }
  return (plainPrefix = []);
}
