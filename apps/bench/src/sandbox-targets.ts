import { execFileSync } from 'node:child_process';
import type { SandboxV1 } from '@codecall/core';
import { createIsolatedVmSandbox } from '@codecall/sandbox-isolated-vm';

/** Sandbox ids of the matrix. */
export type SandboxId = 'isolated-vm' | 'subprocess-node' | 'subprocess-python' | 'e2b';

/** A sandbox the benchmark can run programs in. */
export interface SandboxTarget {
  /** Id in the matrix. */
  readonly id: SandboxId;
  /** Language the programs run in. */
  readonly language: 'javascript' | 'python';
  /** How it is configured, for the report (mode, launcher, pool). */
  readonly description: string;
  /** How its time is priced. */
  readonly pricing: 'local' | 'e2b';
  /** Creates a warm sandbox (the caller disposes it). */
  readonly create: () => Promise<SandboxV1>;
}

/** A sandbox of the matrix that is not available, and why. */
export interface SkippedSandbox {
  /** Id in the matrix. */
  readonly id: SandboxId;
  /** Why it was skipped (shown in every report). */
  readonly reason: string;
}

/** Available and skipped sandboxes. */
export interface SandboxAvailability {
  readonly available: readonly SandboxTarget[];
  readonly skipped: readonly SkippedSandbox[];
}

function commandWorks(command: string, args: readonly string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

interface SubprocessModule {
  createSubprocessSandbox: (settings?: Record<string, unknown>) => SandboxV1;
}

/**
 * Finds out which sandboxes can run here: isolated-vm (supervised, its default mode), the subprocess adapter with node and python3 (jailed with bubblewrap, its default;
 * skipped with the reason where this host cannot jail), and E2B when `E2B_API_KEY` is set and `@codecall/sandbox-e2b` is installed.
 * Every sandbox that cannot run is returned with the reason.
 */
export async function detectSandboxes(wanted: readonly SandboxId[]): Promise<SandboxAvailability> {
  const available: SandboxTarget[] = [];
  const skipped: SkippedSandbox[] = [];
  if (wanted.includes('isolated-vm')) {
    // The mode users get by default (supervised: isolates in a child process, so a fatal V8 OOM is a
    // failed run, not a dead host); its start and bridge costs are what the matrix measures.
    available.push({
      id: 'isolated-vm',
      language: 'javascript',
      description: 'isolated-vm, supervised child process (the default mode), pool of 2',
      pricing: 'local',
      create: async () => createIsolatedVmSandbox({ mode: 'supervised', poolSize: 2 }),
    });
  }
  const wantsSubprocess = wanted.includes('subprocess-node') || wanted.includes('subprocess-python');
  let subprocess: SubprocessModule | undefined;
  let subprocessProblem = '';
  if (wantsSubprocess) {
    try {
      const loaded = (await import('@codecall/sandbox-subprocess')) as Partial<SubprocessModule>;
      if (typeof loaded.createSubprocessSandbox === 'function') subprocess = loaded as SubprocessModule;
      else subprocessProblem = '@codecall/sandbox-subprocess does not export createSubprocessSandbox (not built yet?)';
    } catch (error) {
      subprocessProblem = `@codecall/sandbox-subprocess could not be loaded (${(error as Error).message.split('\n')[0] ?? ''}); run ./dev build`;
    }
  }
  const launcherText = 'jailed with bubblewrap (the default: unprivileged host user, no network, own PID/mount namespaces, seccomp)';
  for (const [id, language, runtime] of [
    ['subprocess-node', 'javascript', 'node'],
    ['subprocess-python', 'python', 'python3'],
  ] as const) {
    if (!wanted.includes(id)) continue;
    if (subprocess === undefined) {
      skipped.push({ id, reason: subprocessProblem });
      continue;
    }
    if (runtime === 'python3' && !commandWorks('python3', ['-c', 'import sys; assert sys.version_info >= (3, 9)'])) {
      skipped.push({ id, reason: 'python3 (>= 3.9) is not on PATH' });
      continue;
    }
    const create = subprocess.createSubprocessSandbox;
    try {
      // The adapter's default is the jail; a host that cannot jail throws here (never a silent plain spawn).
      await create({ languages: [language], pool: false }).dispose();
    } catch (error) {
      skipped.push({ id, reason: (error as Error).message });
      continue;
    }
    available.push({
      id,
      language,
      description: `subprocess adapter, ${runtime}, ${launcherText}, default warm pool`,
      pricing: 'local',
      create: async () => create({ languages: [language] }),
    });
  }
  if (wanted.includes('e2b')) {
    if (process.env['E2B_API_KEY'] === undefined || process.env['E2B_API_KEY'] === '') {
      skipped.push({ id: 'e2b', reason: 'E2B_API_KEY is not set (E2B runs in E2B\'s cloud and needs an account)' });
    } else {
      const specifier = '@codecall/sandbox-e2b';
      try {
        const loaded = (await import(specifier)) as { createE2BSandbox?: (settings?: Record<string, unknown>) => SandboxV1 };
        const create = loaded.createE2BSandbox;
        if (typeof create !== 'function') throw new Error('no createE2BSandbox export');
        available.push({ id: 'e2b', language: 'python', description: 'E2B cloud sandbox (Python), kept alive across runs', pricing: 'e2b', create: async () => create() });
      } catch (error) {
        skipped.push({ id: 'e2b', reason: `E2B_API_KEY is set but ${specifier} is not available here (${(error as Error).message.split('\n')[0] ?? ''})` });
      }
    }
  }
  return { available, skipped };
}
