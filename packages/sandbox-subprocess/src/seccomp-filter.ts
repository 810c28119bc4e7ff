/**
 * A seccomp filter for jailed runners, compiled here to classic BPF (the format bubblewrap's
 * `--seccomp <fd>` loads). It refuses the system calls a node or python runner never needs — new
 * namespaces, mounts, kernel keyrings, eBPF, tracing other processes, loading kernel code, ... —
 * with `EPERM`, and lets everything else through: it narrows the kernel's attack surface, it is not
 * an allow-list.
 */

/** Architectures the filter knows the system call numbers of (Node's `process.arch` names). */
export type SeccompArchitecture = 'x64' | 'arm64';

/** The architectures `seccompFilter` supports. */
export const seccompArchitectures: readonly SeccompArchitecture[] = ['x64', 'arm64'];

/** Options of `seccompFilter`. */
export interface SeccompFilterOptions {
  /** Architecture of the processes the filter will run in. Default `process.arch`. */
  readonly architecture?: string;
}

/** What the filter answers for one system call (used by tests and docs). */
export type SeccompAction = 'allow' | 'eperm' | 'enosys' | 'kill';

// struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6].
const offsetNr = 0;
const offsetArch = 4;
const offsetArg0Low = 16; // little-endian on both supported architectures

const bpfLdWAbs = 0x20;
const bpfJeqK = 0x15;
const bpfJgeK = 0x35;
const bpfJsetK = 0x45;
const bpfRetK = 0x06;

const retKillProcess = 0x8000_0000;
const retErrno = 0x0005_0000;
const retAllow = 0x7fff_0000;
const errnoEPERM = 1;
const errnoENOSYS = 38;

const auditArch: Record<SeccompArchitecture, number> = {
  x64: 0xc000_003e, // AUDIT_ARCH_X86_64
  arm64: 0xc000_00b7, // AUDIT_ARCH_AARCH64
};

// x32 system calls on x86_64 carry this bit; the filter refuses all of them (the table below is
// for the 64-bit ABI only).
const x32SyscallBit = 0x4000_0000;

/**
 * CLONE_NEWTIME | CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
 * CLONE_NEWPID | CLONE_NEWNET. clone() and unshare() with any of them are refused; threads and
 * fork (which node, libuv and python use) do not set them.
 */
export const namespaceCloneFlags: number = 0x80 | 0x0002_0000 | 0x0200_0000 | 0x0400_0000 | 0x0800_0000 | 0x1000_0000 | 0x2000_0000 | 0x4000_0000;

/** System calls refused with EPERM, with their numbers on x86_64 and aarch64 (`null`: not on that architecture). */
const refused: Readonly<Record<string, readonly [x64: number | null, arm64: number | null]>> = {
  // Mounts and file-system views.
  mount: [165, 40],
  umount2: [166, 39],
  pivot_root: [155, 41],
  chroot: [161, 51],
  fsopen: [430, 430],
  fsconfig: [431, 431],
  fsmount: [432, 432],
  fspick: [433, 433],
  move_mount: [429, 429],
  open_tree: [428, 428],
  mount_setattr: [442, 442],
  // Namespaces (unshare and clone are refused only with namespace flags, see below).
  setns: [308, 268],
  // Kernel keyrings.
  keyctl: [250, 219],
  add_key: [248, 217],
  request_key: [249, 218],
  // eBPF, tracing and other processes' memory.
  bpf: [321, 280],
  ptrace: [101, 117],
  process_vm_readv: [310, 270],
  process_vm_writev: [311, 271],
  perf_event_open: [298, 241],
  kcmp: [312, 272],
  pidfd_getfd: [438, 438],
  // Kernel code and the machine.
  kexec_load: [246, 104],
  kexec_file_load: [320, 294],
  init_module: [175, 105],
  finit_module: [313, 273],
  delete_module: [176, 106],
  create_module: [174, null],
  get_kernel_syms: [177, null],
  query_module: [178, null],
  uselib: [134, null],
  _sysctl: [156, null],
  nfsservctl: [180, 42],
  reboot: [169, 142],
  swapon: [167, 224],
  swapoff: [168, 225],
  acct: [163, 89],
  quotactl: [179, 60],
  quotactl_fd: [443, 443],
  syslog: [103, 116],
  iopl: [172, null],
  ioperm: [173, null],
  vhangup: [153, 58],
  lookup_dcookie: [212, 18],
  fanotify_init: [300, 262],
  sethostname: [170, 161],
  setdomainname: [171, 162],
  // Clocks.
  settimeofday: [164, 170],
  clock_settime: [227, 112],
  adjtimex: [159, 171],
  clock_adjtime: [305, 266],
  // Page-fault handling (a classic exploitation primitive) and file handles (open any inode).
  userfaultfd: [323, 282],
  open_by_handle_at: [304, 265],
  name_to_handle_at: [303, 264],
};

/**
 * Refused with ENOSYS: callers treat it as "not supported here" and fall back. clone3 passes its
 * flags in memory a filter cannot read, so it is refused and glibc falls back to clone, whose flags
 * are checked. io_uring runs operations outside the filter's view; libuv falls back to its thread
 * pool.
 */
const unsupported: Readonly<Record<string, readonly [x64: number, arm64: number]>> = {
  clone3: [435, 435],
  io_uring_setup: [425, 425],
  io_uring_enter: [426, 426],
  io_uring_register: [427, 427],
};

/** Allowed unless a namespace flag is set in the first argument. */
const flagChecked: Readonly<Record<string, readonly [x64: number, arm64: number]>> = {
  clone: [56, 220],
  unshare: [272, 97],
};

/** Names of the system calls the filter refuses outright (EPERM) on `architecture`. */
export function refusedSyscalls(architecture: SeccompArchitecture): string[] {
  const column = architecture === 'x64' ? 0 : 1;
  return Object.entries(refused).filter(([, numbers]) => numbers[column] !== null).map(([name]) => name);
}

/** The number of system call `name` on `architecture`, or `undefined` when the filter does not know it. */
export function syscallNumber(architecture: SeccompArchitecture, name: string): number | undefined {
  const column = architecture === 'x64' ? 0 : 1;
  const numbers = refused[name] ?? unsupported[name] ?? flagChecked[name];
  return numbers?.[column] ?? undefined;
}

/** Whether `architecture` (a `process.arch` value) is one the filter supports. */
export function isSeccompArchitecture(architecture: string): architecture is SeccompArchitecture {
  return (seccompArchitectures as readonly string[]).includes(architecture);
}

interface Instruction {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

const load = (offset: number): Instruction => ({ code: bpfLdWAbs, jt: 0, jf: 0, k: offset });
const jumpIfEqual = (value: number, jt: number, jf: number): Instruction => ({ code: bpfJeqK, jt, jf, k: value });
const ret = (value: number): Instruction => ({ code: bpfRetK, jt: 0, jf: 0, k: value });

function instructions(architecture: SeccompArchitecture): Instruction[] {
  const column = architecture === 'x64' ? 0 : 1;
  const program: Instruction[] = [
    // A process of another architecture (e.g. 32-bit system calls through int 0x80 on x86_64)
    // would bypass a table of 64-bit numbers: it is killed.
    load(offsetArch),
    jumpIfEqual(auditArch[architecture], 1, 0),
    ret(retKillProcess),
    load(offsetNr),
  ];
  if (architecture === 'x64') {
    program.push({ code: bpfJgeK, jt: 0, jf: 1, k: x32SyscallBit }, ret(retErrno | errnoEPERM));
  }
  for (const numbers of Object.values(refused)) {
    const number = numbers[column];
    if (number === null || number === undefined) continue;
    program.push(jumpIfEqual(number, 0, 1), ret(retErrno | errnoEPERM));
  }
  for (const numbers of Object.values(unsupported)) {
    program.push(jumpIfEqual(numbers[column], 0, 1), ret(retErrno | errnoENOSYS));
  }
  for (const numbers of Object.values(flagChecked)) {
    // Namespace flags all live in the low 32 bits; the kernel ignores clone's high bits and
    // unshare rejects unknown ones.
    program.push(
      jumpIfEqual(numbers[column], 0, 4),
      load(offsetArg0Low),
      { code: bpfJsetK, jt: 0, jf: 1, k: namespaceCloneFlags },
      ret(retErrno | errnoEPERM),
      ret(retAllow),
    );
  }
  program.push(ret(retAllow));
  return program;
}

/**
 * The filter as bytes of `struct sock_filter[]` (8 bytes each: u16 code, u8 jt, u8 jf, u32 k, in
 * the host's byte order, little-endian on both supported architectures), ready for bubblewrap's
 * `--seccomp <fd>`. Throws a `RangeError` for an architecture other than x64 and arm64.
 */
export function seccompFilter(options: SeccompFilterOptions = {}): Buffer {
  const architecture = options.architecture ?? process.arch;
  if (!isSeccompArchitecture(architecture)) {
    throw new RangeError(`The jail's seccomp filter supports ${seccompArchitectures.join(' and ')}, not ${architecture}.`);
  }
  const program = instructions(architecture);
  const bytes = Buffer.alloc(program.length * 8);
  program.forEach((instruction, index) => {
    bytes.writeUInt16LE(instruction.code, index * 8);
    bytes.writeUInt8(instruction.jt, index * 8 + 2);
    bytes.writeUInt8(instruction.jf, index * 8 + 3);
    bytes.writeUInt32LE(instruction.k >>> 0, index * 8 + 4);
  });
  return bytes;
}

/** One system call as the kernel hands it to a filter. */
export interface SeccompCall {
  /** AUDIT_ARCH_* value of the calling process. */
  readonly auditArchitecture: number;
  /** System call number. */
  readonly number: number;
  /** The first argument (the flags of clone and unshare). Default 0. */
  readonly firstArgument?: bigint;
}

/** The AUDIT_ARCH_* value of a supported architecture. */
export function auditArchitecture(architecture: SeccompArchitecture): number {
  return auditArch[architecture];
}

/**
 * Runs a compiled filter on one call the way the kernel does (classic BPF, only the instructions
 * the generator emits) and says what it decides. For tests and for checking a filter by hand.
 */
export function evaluateSeccompFilter(filter: Buffer, call: SeccompCall): SeccompAction {
  const data = Buffer.alloc(64);
  data.writeInt32LE(call.number | 0, 0);
  data.writeUInt32LE(call.auditArchitecture >>> 0, 4);
  data.writeBigUInt64LE(BigInt.asUintN(64, call.firstArgument ?? 0n), 16);
  const count = filter.length / 8;
  let accumulator = 0;
  for (let pc = 0, steps = 0; pc < count && steps <= count; steps++) {
    const code = filter.readUInt16LE(pc * 8);
    const jt = filter.readUInt8(pc * 8 + 2);
    const jf = filter.readUInt8(pc * 8 + 3);
    const k = filter.readUInt32LE(pc * 8 + 4);
    switch (code) {
      case bpfLdWAbs:
        if (k + 4 > data.length) throw new RangeError(`Load out of bounds at ${pc}.`);
        accumulator = data.readUInt32LE(k);
        pc++;
        break;
      case bpfJeqK:
        pc += 1 + (accumulator === k ? jt : jf);
        break;
      case bpfJgeK:
        pc += 1 + (accumulator >= k ? jt : jf);
        break;
      case bpfJsetK:
        pc += 1 + ((accumulator & k) !== 0 ? jt : jf);
        break;
      case bpfRetK: {
        if (k === retAllow) return 'allow';
        if (k === retKillProcess) return 'kill';
        if (k === (retErrno | errnoEPERM)) return 'eperm';
        if (k === (retErrno | errnoENOSYS)) return 'enosys';
        throw new RangeError(`Unexpected return value ${k.toString(16)} at ${pc}.`);
      }
      default:
        throw new RangeError(`Unexpected instruction ${code.toString(16)} at ${pc}.`);
    }
  }
  throw new RangeError('The filter ran past its end without returning.');
}
