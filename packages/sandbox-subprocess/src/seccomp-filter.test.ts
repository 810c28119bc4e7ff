import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { findExecutable } from './interpreters.js';
import {
  auditArchitecture,
  evaluateSeccompFilter,
  namespaceCloneFlags,
  refusedSyscalls,
  seccompArchitectures,
  seccompFilter,
  syscallNumber,
} from './seccomp-filter.js';

const CLONE_NEWUSER = 0x1000_0000n;
const CLONE_NEWNS = 0x0002_0000n;
// What glibc's pthread_create passes to clone.
const threadFlags = 0x003d_0f00n;
// fork(): CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD.
const forkFlags = 0x0120_0011n;

describe.each(seccompArchitectures)('seccomp filter for %s', (architecture) => {
  const filter = seccompFilter({ architecture });
  const arch = auditArchitecture(architecture);
  const decide = (name: string, firstArgument = 0n): string => {
    const number = syscallNumber(architecture, name);
    if (number === undefined) throw new Error(`unknown ${name}`);
    return evaluateSeccompFilter(filter, { auditArchitecture: arch, number, firstArgument });
  };

  test('is a whole number of instructions and short enough for the kernel (4096)', () => {
    expect(filter.length % 8).toBe(0);
    expect(filter.length / 8).toBeLessThan(4096);
  });

  test('refuses every listed system call with EPERM', () => {
    const names = refusedSyscalls(architecture);
    expect(names).toEqual(expect.arrayContaining(['mount', 'umount2', 'pivot_root', 'setns', 'keyctl', 'add_key', 'request_key', 'bpf', 'ptrace', 'process_vm_readv', 'process_vm_writev', 'perf_event_open', 'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module', 'reboot', 'swapon', 'swapoff', 'userfaultfd', 'open_by_handle_at', 'name_to_handle_at']));
    for (const name of names) expect([name, decide(name)]).toEqual([name, 'eperm']);
  });

  test('clone and unshare: refused with a namespace flag, allowed for threads and fork', () => {
    expect(decide('clone', threadFlags)).toBe('allow');
    expect(decide('clone', forkFlags)).toBe('allow');
    expect(decide('clone', forkFlags | CLONE_NEWUSER)).toBe('eperm');
    expect(decide('clone', CLONE_NEWNS)).toBe('eperm');
    for (let bit = 0n; bit < 32n; bit++) {
      const flag = 1n << bit;
      expect(decide('clone', flag)).toBe((BigInt(namespaceCloneFlags) & flag) === 0n ? 'allow' : 'eperm');
    }
    expect(decide('unshare', 0x200n /* CLONE_FS */)).toBe('allow');
    expect(decide('unshare', CLONE_NEWUSER)).toBe('eperm');
    expect(decide('unshare', CLONE_NEWUSER | (1n << 40n))).toBe('eperm');
  });

  test('clone3 and io_uring are ENOSYS (callers fall back)', () => {
    for (const name of ['clone3', 'io_uring_setup', 'io_uring_enter', 'io_uring_register']) expect(decide(name)).toBe('enosys');
  });

  test('ordinary system calls pass', () => {
    // read, write, openat, mmap, futex on each architecture.
    const ordinary = architecture === 'x64' ? [0, 1, 257, 9, 202] : [63, 64, 56, 222, 98];
    for (const number of ordinary) expect(evaluateSeccompFilter(filter, { auditArchitecture: arch, number })).toBe('allow');
  });

  test('kills a process of any other architecture', () => {
    const other = auditArchitecture(architecture === 'x64' ? 'arm64' : 'x64');
    expect(evaluateSeccompFilter(filter, { auditArchitecture: other, number: 0 })).toBe('kill');
    expect(evaluateSeccompFilter(filter, { auditArchitecture: 0x4000_0003 /* i386 */, number: 1 })).toBe('kill');
  });
});

test('x32 system calls are refused on x86_64', () => {
  const filter = seccompFilter({ architecture: 'x64' });
  expect(evaluateSeccompFilter(filter, { auditArchitecture: auditArchitecture('x64'), number: 0x4000_0000 | 0 })).toBe('eperm');
});

test('other architectures are refused, not guessed', () => {
  expect(() => seccompFilter({ architecture: 'riscv64' })).toThrow(/x64 and arm64/);
});

const bwrap = findExecutable('bwrap');
const python = findExecutable('/usr/bin/python3');

// The filter loaded by the real kernel through bubblewrap: what it refuses fails with the right
// errno, and both interpreters still start, run threads and fork.
describe.runIf(bwrap !== undefined && python !== undefined && (process.arch === 'x64' || process.arch === 'arm64'))('seccomp filter in the kernel', () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'codecall-seccomp-test-'));
  const filterPath = path.join(directory, 'filter.bpf');
  writeFileSync(filterPath, seccompFilter());
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  const jailed = (argv: string[]): string => execFileSync('/bin/sh', ['-c', `exec "$@" 5<"${filterPath}"`, 'sh',
    bwrap as string, '--unshare-user', '--unshare-pid', '--unshare-net', '--die-with-parent',
    '--ro-bind', '/', '/', '--proc', '/proc', '--seccomp', '5', '--', ...argv], { encoding: 'utf8', timeout: 20_000 });

  test('python: namespaces, mounts, keyrings, ptrace refused; clone3 ENOSYS; threads and fork work', () => {
    const probe = String.raw`
import ctypes, errno, json, os, threading
libc = ctypes.CDLL(None, use_errno=True)
nr = ${JSON.stringify(Object.fromEntries(['unshare', 'clone3', 'mount', 'keyctl', 'ptrace', 'bpf', 'setns'].map((name) => [name, syscallNumber(process.arch as 'x64', name)])))}
def call(name, *args):
    result = libc.syscall(ctypes.c_long(nr[name]), *[ctypes.c_long(a) for a in args])
    return errno.errorcode.get(ctypes.get_errno(), 'OK') if result == -1 else 'OK'
out = {
  'unshare_user': call('unshare', 0x10000000),
  'unshare_mount': call('unshare', 0x20000),
  'clone3': call('clone3', 0, 0),
  'mount': call('mount', 0, 0, 0, 0, 0),
  'keyctl': call('keyctl', 0, 0, 0, 0, 0),
  'ptrace': call('ptrace', 0, 0, 0, 0),
  'bpf': call('bpf', 0, 0, 0),
  'setns': call('setns', 0, 0),
}
seen = []
t = threading.Thread(target=lambda: seen.append(1)); t.start(); t.join()
pid = os.fork()
if pid == 0: os._exit(7)
out['thread'] = seen == [1]
out['fork'] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
print(json.dumps(out))`;
    const result = JSON.parse(jailed([python as string, '-I', '-c', probe])) as Record<string, unknown>;
    expect(result).toEqual({
      unshare_user: 'EPERM', unshare_mount: 'EPERM', clone3: 'ENOSYS', mount: 'EPERM', keyctl: 'EPERM',
      ptrace: 'EPERM', bpf: 'EPERM', setns: 'EPERM', thread: true, fork: 7,
    });
  });

  test('node: starts, runs a worker thread and a child process', () => {
    const program = `
const { Worker } = require('node:worker_threads');
const { execFileSync } = require('node:child_process');
new Worker('require("node:worker_threads").parentPort.postMessage(6 * 7)', { eval: true }).on('message', (value) => {
  console.log(JSON.stringify({ worker: value, child: execFileSync('/bin/echo', ['ok']).toString().trim() }));
  process.exit(0);
});`;
    expect(JSON.parse(jailed([process.execPath, '-e', program]))).toEqual({ worker: 42, child: 'ok' });
  });
});
