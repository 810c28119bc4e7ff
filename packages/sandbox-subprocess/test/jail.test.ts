import { execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SandboxConfigurationError, defineTool, runCode } from '@codecall/core';
import { z } from 'zod';
import type { RunResult, SandboxLanguage } from '@codecall/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createSubprocessSandbox, nodeRunnerPath, pythonRunnerPath, runnerDirectory } from '../src/index.js';
import type { SubprocessSandbox } from '../src/index.js';
import { jailArgv, jailHostIdentity, jailRunnerFiles, jailShellRedirect, plainRunnerPrefix, probeJail } from '../src/jail.js';
import { hostProcessesWith, sleep } from './helpers.js';

// Attacks on the jail itself, with real bubblewrap and real runners (code validation off: the jail
// must hold on its own). Each is what a guest would try to turn "uid 65534 in a namespace" into
// host root or a view of the host.

const run = (sandbox: SubprocessSandbox, language: SandboxLanguage, code: string): Promise<RunResult> =>
  runCode({ sandbox, language, code, tools: [], limits: { timeoutMs: 60_000 }, validation: false });

const programs = {
  // Every file under /proc/sys (and the other kernel-tunable files) opened for writing.
  writableProcSys: {
    javascript: `
const fs = require('node:fs');
const writable = []; let files = 0;
const walk = (dir) => {
  let entries; try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const entry of entries) {
    const full = dir + '/' + entry.name;
    if (entry.isDirectory()) walk(full);
    else if (entry.isFile()) { files++; try { fs.closeSync(fs.openSync(full, fs.constants.O_WRONLY)); writable.push(full); } catch {} }
  }
};
walk('/proc/sys');
for (const file of ['/proc/sysrq-trigger', '/proc/sys/kernel/core_pattern']) { try { fs.closeSync(fs.openSync(file, fs.constants.O_WRONLY)); writable.push(file); } catch {} }
return { files, writable };`,
    python: `
import os
writable, files = [], 0
for root, dirs, names in os.walk("/proc/sys"):
    for name in names:
        full = os.path.join(root, name)
        files += 1
        try:
            os.close(os.open(full, os.O_WRONLY))
            writable.append(full)
        except OSError:
            pass
for full in ("/proc/sysrq-trigger", "/proc/sys/kernel/core_pattern"):
    try:
        os.close(os.open(full, os.O_WRONLY))
        writable.append(full)
    except OSError:
        pass
return {"files": files, "writable": writable}`,
  },
  // A nested user namespace is the first step of most namespace escapes.
  nestedUserNamespace: {
    javascript: `
const { spawnSync } = require('node:child_process');
const attempt = spawnSync('/usr/bin/unshare', ['--user', '--map-root-user', '/bin/sh', '-c', 'id -u'], { encoding: 'utf8' });
return { status: attempt.status, stdout: attempt.stdout.trim() };`,
    python: `
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
rc = libc.unshare(0x10000000)  # CLONE_NEWUSER
return {"rc": rc, "errno": ctypes.get_errno(), "uid_map": open("/proc/self/uid_map").read().split()}`,
  },
  mount: {
    javascript: `
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
fs.mkdirSync('/tmp/m', { recursive: true });
const attempt = spawnSync('/usr/bin/mount', ['-t', 'tmpfs', 'none', '/tmp/m'], { encoding: 'utf8' });
const viaNamespace = spawnSync('/usr/bin/unshare', ['--user', '--map-root-user', '--mount', '/usr/bin/mount', '-t', 'tmpfs', 'none', '/tmp/m'], { encoding: 'utf8' });
return { status: attempt.status, viaNamespace: viaNamespace.status, mounted: fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(' /tmp/m ') };`,
    python: `
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
os.makedirs("/tmp/m", exist_ok=True)
rc = libc.mount(b"none", b"/tmp/m", b"tmpfs", 0, None)
return {"rc": rc, "errno": ctypes.get_errno(), "mounted": " /tmp/m " in open("/proc/self/mountinfo").read()}`,
  },
  identity: {
    javascript: `
const fs = require('node:fs');
const path = require('node:path');
const table = (file) => fs.readFileSync(file, 'utf8').trim().split('\\n').map((line) => line.trim().split(/\\s+/).map(Number));
return {
  uidMap: table('/proc/self/uid_map'), gidMap: table('/proc/self/gid_map'),
  mounts: fs.readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\\n').map((line) => line.split(' ')[4]),
  prefix: path.dirname(path.dirname(process.execPath)),
  environment: JSON.stringify(process.env),
};`,
    python: `
import os, sys
def table(name):
    return [[int(v) for v in line.split()] for line in open(name).read().strip().splitlines()]
return {
    "uidMap": table("/proc/self/uid_map"), "gidMap": table("/proc/self/gid_map"),
    "mounts": [line.split(" ")[4] for line in open("/proc/self/mountinfo").read().strip().splitlines()],
    "prefix": sys.base_prefix,
    "environment": repr(dict(os.environ)),
}`,
  },
} as const;

// What a jailed runner needs to see; anything else mounted inside is a host path it should not.
const systemMounts = new Set([
  '/', '/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32',
  '/proc', '/proc/sys', '/proc/sysrq-trigger', '/proc/irq', '/proc/bus',
  '/dev', '/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty', '/dev/shm',
  '/tmp',
]);

describe.each(['javascript', 'python'] as const)('jailed %s', (language) => {
  let sandbox: SubprocessSandbox;
  beforeAll(() => {
    sandbox = createSubprocessSandbox({ launcher: 'jail', languages: [language], pool: false });
  });
  afterAll(() => sandbox.dispose());

  test('cannot open any file under /proc/sys (or /proc/sysrq-trigger) for writing', async () => {
    const result = await run(sandbox, language, programs.writableProcSys[language]);
    expect(result.type).toBe('success');
    const value = (result as { value: { files: number; writable: string[] } }).value;
    expect(value.files).toBeGreaterThan(100);
    expect(value.writable).toEqual([]);
  });

  test('cannot make a nested user namespace', async () => {
    const result = await run(sandbox, language, programs.nestedUserNamespace[language]);
    expect(result.type).toBe('success');
    if (language === 'python') expect(result).toMatchObject({ value: { rc: -1 } });
    else expect((result as { value: { status: number } }).value.status).not.toBe(0);
  });

  test('cannot mount', async () => {
    const result = await run(sandbox, language, programs.mount[language]);
    expect(result.type).toBe('success');
    if (language === 'python') expect(result).toMatchObject({ value: { rc: -1, mounted: false } });
    else {
      const value = (result as { value: { status: number; viaNamespace: number; mounted: boolean } }).value;
      expect(value.status).not.toBe(0);
      expect(value.viaNamespace).not.toBe(0);
      expect(value.mounted).toBe(false);
    }
  });

  test('runs as a host uid and gid that are not 0, and sees only the mounts it needs', async () => {
    const result = await run(sandbox, language, programs.identity[language]);
    expect(result.type).toBe('success');
    const value = (result as { value: { uidMap: number[][]; gidMap: number[][]; mounts: string[]; prefix: string; environment: string } }).value;
    // Not even the host path of its private directory reaches the guest's environment.
    expect(value.environment).not.toContain(tmpdir() === '/tmp' ? '/tmp/codecall-' : tmpdir());
    for (const map of [value.uidMap, value.gidMap]) {
      expect(map.length).toBeGreaterThan(0);
      // Columns: id inside, id in the parent namespace, count. Nothing maps to root outside.
      for (const [, outside, count] of map) {
        expect(outside).not.toBe(0);
        expect(count).toBe(1);
      }
    }
    // The interpreter's own prefix is allowed, as long as it is its installation and not a broad tree.
    expect(value.prefix.split('/').filter(Boolean).length).toBeGreaterThanOrEqual(1);
    expect(['/', '/root', '/home', '/work', process.cwd()]).not.toContain(value.prefix);
    const runnerFiles = jailRunnerFiles(probeJail().ok ? jailHostIdentity() : undefined, { directory: runnerDirectory, node: nodeRunnerPath, python: pythonRunnerPath });
    const allowed = new Set([...systemMounts, path.resolve(runnerDirectory), path.resolve(runnerFiles.directory), value.prefix, realpathSync(value.prefix)]);
    const unexpected = value.mounts.filter((mount) => !allowed.has(mount) && !mount.startsWith('/usr/'));
    expect(unexpected).toEqual([]);
  });
});

// The jail's /tmp: a tmpfs of `jail.tmpBytes` where bubblewrap can size one (0.6+).
const fillTmp = {
  javascript: `
const fs = require('node:fs');
let written = 0; let error = null;
const chunk = Buffer.alloc(1024 * 1024, 120);
try { for (let i = 0; i < 8; i++) { fs.appendFileSync('/tmp/fill', chunk); written += chunk.length; } } catch (e) { error = e.code; }
const fsType = fs.readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\\n').map((line) => line.split(' ')).filter((f) => f[4] === '/tmp').map((f) => f[f.indexOf('-') + 1]);
return { written, error, fsType };`,
  python: `
import os
written, error = 0, None
try:
    with open("/tmp/fill", "ab", buffering=0) as f:
        for _ in range(8):
            f.write(b"x" * 1048576)
            written += 1048576
except OSError as e:
    error = e.errno
fs_type = [f[f.index("-") + 1] for f in (line.split() for line in open("/proc/self/mountinfo")) if f[4] == "/tmp"]
return {"written": written, "error": "ENOSPC" if error == 28 else error, "fsType": fs_type}`,
} as const;

const sizedTmp = probeJail().ok && (probeJail() as { sizedTmp: boolean }).sizedTmp;
describe.skipIf(!sizedTmp).each(['javascript', 'python'] as const)('jailed %s, /tmp (skipped where bubblewrap is older than 0.6)', (language) => {
  test('is a tmpfs of jail.tmpBytes: writing past it fails with ENOSPC, and nothing lands in the host directory', async () => {
    const base = mkdtempSync(path.join(tmpdir(), 'codecall-tmp-test-'));
    const identity = probeJail().ok ? jailHostIdentity() : undefined;
    if (identity !== undefined) chownSync(base, identity.uid, identity.gid);
    const sandbox = createSubprocessSandbox({ launcher: 'jail', jail: { tmpBytes: 4 * 1024 * 1024 }, languages: [language], pool: false, tempDirectory: base });
    try {
      const result = await run(sandbox, language, fillTmp[language]);
      expect(result).toMatchObject({ type: 'success', value: { error: 'ENOSPC', fsType: ['tmpfs'] } });
      const { written } = (result as { value: { written: number } }).value;
      expect(written).toBeLessThanOrEqual(4 * 1024 * 1024);
      // The run's directory on the host holds nothing the guest wrote (it is removed after the run).
      expect(hostFiles(base)).toEqual([]);
    } finally {
      await sandbox.dispose();
      rmSync(base, { recursive: true, force: true });
    }
  });
});

/** Every file below `directory`. */
function hostFiles(directory: string): string[] {
  return execFileSync('find', [directory, '-type', 'f'], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

test('settings.jail.tmpBytes below 1 MiB is a SandboxConfigurationError', () => {
  expect(() => createSubprocessSandbox({ jail: { tmpBytes: 1000 } })).toThrow(SandboxConfigurationError);
  expect(() => createSubprocessSandbox({ jail: { tmpBytes: 2 ** 20 + 0.5 } })).toThrow(/tmpBytes/);
});

describe('safe by default', () => {
  test('no settings means jailed', async () => {
    const sandbox = createSubprocessSandbox({ pool: false, languages: ['python'] });
    try {
      expect(sandbox.capabilities).toMatchObject({ isolation: 'jail', network: false });
      const result = await run(sandbox, 'python', 'return open("/proc/self/uid_map").read().split()');
      expect(result).toMatchObject({ type: 'success' });
      expect((result as { value: string[] }).value[1]).not.toBe('0');
    } finally {
      await sandbox.dispose();
    }
  });

  test.runIf(process.getuid?.() === 0)('a root host runs the jail as the configured unprivileged user', async () => {
    const marker = `hostuid${Math.random().toString(36).slice(2)}`;
    // Asked from the host while the guest waits for it: the host uid and gid of the guest's process.
    const hostIdentity = defineTool({
      name: 'host_identity',
      description: 'Host uid and gid of the processes carrying the marker.',
      input: z.object({}),
      execute: () => hostProcessesWith(marker).map((pid) => {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        return [/Uid:\s+(\d+)/.exec(status)?.[1], /Gid:\s+(\d+)/.exec(status)?.[1]];
      }),
    });
    const sandbox = createSubprocessSandbox({ pool: false, languages: ['python'], env: { MARKER: marker }, jail: { hostUid: 54321, hostGid: 54322 } });
    try {
      const result = await runCode({ sandbox, language: 'python', code: 'return host_identity({})', tools: [hostIdentity], validation: false });
      expect(result.type).toBe('success');
      const identities = (result as { value: string[][] }).value;
      expect(identities.length).toBeGreaterThan(0);
      for (const identity of identities) expect(identity).toEqual(['54321', '54322']);
    } finally {
      await sandbox.dispose();
    }
  });

  test('a host that cannot jail is a SandboxConfigurationError that says how to install the jail or opt out', () => {
    let thrown: unknown;
    try {
      createSubprocessSandbox({ jail: { bwrapPath: '/nonexistent/bwrap' } });
    } catch (error) {
      thrown = error;
    }
    expect(SandboxConfigurationError.isInstance(thrown)).toBe(true);
    expect((thrown as Error).message).toContain('apt-get install bubblewrap');
    expect((thrown as Error).message).toContain('jail: false');
    expect((thrown as Error).message).toContain('unsafe for untrusted code');
    expect(() => createSubprocessSandbox({ launcher: 'jail', jail: false })).toThrow(/jail/);
    expect(createSubprocessSandbox({ jail: false }).capabilities.isolation).toBe('process');
    expect(() => createSubprocessSandbox({ jail: { hostUid: 0 } })).toThrow(/never runs as host root/);
    expect(() => createSubprocessSandbox({ jail: { hostGid: 0 } })).toThrow(/never runs as host root/);
    expect(() => createSubprocessSandbox({ jail: { hostUid: -1 } })).toThrow(/user or group id/);
  });
});

// A stand-in host: a shell that starts the command in the background and waits. Killing it with
// SIGKILL is a host that dies without cleaning up.
async function orphansAfterHostDies(argv: string[], redirect: string, marker: string): Promise<number[]> {
  const host = spawn('/bin/sh', ['-c', `"$@"${redirect} & wait`, 'codecall-test-host', ...argv], { stdio: 'ignore' });
  // Wait until the guest's loop itself runs (the launcher stages before it carry the marker in
  // their arguments too, and a host killed during those milliseconds is a documented gap).
  for (let attempt = 0; attempt < 300 && !loopRuns(`${marker}-daemon`); attempt++) await sleep(100);
  expect(loopRuns(`${marker}-daemon`)).toBe(true);
  host.kill('SIGKILL');
  for (let attempt = 0; attempt < 300 && hostProcessesWith(marker).length > 0; attempt++) await sleep(100);
  return hostProcessesWith(marker);
}

const loopScript = 'while :; do sleep 1; done';

/** Whether a process runs exactly `/bin/sh -c <loop> <name>`. */
function loopRuns(name: string): boolean {
  return hostProcessesWith(name).some((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, 4).join(' ') === `/bin/sh -c ${loopScript} ${name}`;
    } catch {
      return false;
    }
  });
}

// The guest: a loop, and a daemon that left its session.
const guest = (marker: string): string[] => ['/bin/sh', '-c', `setsid /bin/sh -c '${loopScript}' ${marker}-daemon & ${loopScript}`, marker];

test('a host that dies leaves no jailed runner or daemon behind', { timeout: 90_000 }, async () => {
  const probe = probeJail({});
  if (!probe.ok) throw new Error(probe.reason);
  const { ok: _ok, ...environment } = probe;
  const marker = `orphan${Math.random().toString(36).slice(2)}`;
  const workDirectory = mkdtempSync(path.join(tmpdir(), 'codecall-orphan-'));
  if (environment.identity !== undefined) chownSync(workDirectory, environment.identity.uid, environment.identity.gid);
  try {
    const [interpreter, ...interpreterArgs] = guest(marker);
    const argv = jailArgv({
      runtime: 'node', interpreterPath: interpreter as string, interpreterArgs, runnerPath: '', runnerArgs: [],
      runnerDirectory: '/usr', workDirectory, interpreterMountPaths: [],
    }, {}, environment);
    expect(await orphansAfterHostDies(argv, jailShellRedirect(environment), marker)).toEqual([]);
  } finally {
    rmSync(workDirectory, { recursive: true, force: true });
  }
});

test('a host that dies takes its plain runner with it (its own children may outlive it: use the jail)', { timeout: 90_000 }, async () => {
  const marker = `orphan${Math.random().toString(36).slice(2)}`;
  const runner = ['/bin/sh', '-c', loopScript, `${marker}-daemon`];
  expect(await orphansAfterHostDies([...plainRunnerPrefix(), ...runner], '', marker)).toEqual([]);
});

test('descriptors the host inherited from its own parent do not reach the jail', () => {
  const probe = probeJail({});
  if (!probe.ok) throw new Error(probe.reason);
  const { ok: _ok, ...environment } = probe;
  const workDirectory = mkdtempSync(path.join(tmpdir(), 'codecall-fds-'));
  if (environment.identity !== undefined) chownSync(workDirectory, environment.identity.uid, environment.identity.gid);
  try {
    const argv = jailArgv({
      runtime: 'node', interpreterPath: '/bin/sh', interpreterArgs: ['-c', 'cd /proc/self/fd && echo *'], runnerPath: 'guest', runnerArgs: [],
      runnerDirectory: '/usr', workDirectory, interpreterMountPaths: [],
    }, {}, environment);
    // 7: a host file, 9: a host directory (openat(9, "..") would walk the host's tree).
    const seen = execFileSync('/bin/sh', ['-c', `exec "$@"${jailShellRedirect(environment)} 7</etc/hostname 9</`, 'host', ...argv], { encoding: 'utf8', timeout: 30_000 });
    const descriptors = seen.trim().split(/\s+/).map(Number);
    expect(descriptors).not.toContain(7);
    expect(descriptors).not.toContain(9);
    expect(Math.max(...descriptors)).toBeLessThanOrEqual(5);
  } finally {
    rmSync(workDirectory, { recursive: true, force: true });
  }
});
