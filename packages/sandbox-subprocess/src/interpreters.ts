import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { SandboxStartError } from '@codecall/core';

/** An interpreter resolved to its real binary (no shims), with the directories a jail must show. */
export interface ResolvedInterpreter {
  /** Absolute path of the real binary. */
  readonly path: string;
  /** Directories the interpreter needs at run time (its installation prefix). */
  readonly mountPaths: readonly string[];
}

const cache = new Map<string, Promise<ResolvedInterpreter>>();

function findOnPath(name: string): string | undefined {
  if (name.includes('/')) return path.resolve(name);
  for (const dir of (process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Finds an executable on the host's PATH (or returns an absolute path as is). */
export function findExecutable(name: string): string | undefined {
  return findOnPath(name);
}

function prefixOf(binary: string): string {
  const dir = path.dirname(binary);
  return path.basename(dir) === 'bin' ? path.dirname(dir) : dir;
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 20_000, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } }, (error, stdout) => {
      if (error !== null) reject(new Error(error.message, { cause: error }));
      else resolve(stdout);
    });
  });
}

/**
 * Resolves the node binary. Default: the host's own (`process.execPath`).
 */
export function resolveNode(configured: string | undefined): Promise<ResolvedInterpreter> {
  const key = `node:${configured ?? ''}`;
  let resolved = cache.get(key);
  if (resolved === undefined) {
    resolved = new Promise<ResolvedInterpreter>((resolve) => {
      const found = configured === undefined ? process.execPath : findOnPath(configured);
      if (found === undefined) throw new SandboxStartError(`Cannot find node "${configured}"; set settings.nodePath to an absolute path.`);
      const real = realpathSync(found);
      resolve({ path: real, mountPaths: [prefixOf(real)] });
    });
    cache.set(key, resolved);
    resolved.catch(() => cache.delete(key));
  }
  return resolved;
}

/**
 * Resolves python3 to its real interpreter: a pyenv or asdf shim costs ~150 ms per start, so the
 * interpreter is asked for `sys.executable` once and that binary is used from then on.
 */
export function resolvePython(configured: string | undefined): Promise<ResolvedInterpreter> {
  const key = `python:${configured ?? ''}`;
  let resolved = cache.get(key);
  if (resolved === undefined) {
    resolved = (async () => {
      const found = findOnPath(configured ?? 'python3');
      if (found === undefined) {
        throw new SandboxStartError(`Cannot find ${configured ?? 'python3'} on PATH; install Python 3 or set settings.pythonPath.`);
      }
      let info: { executable: string; prefixes: string[] };
      try {
        info = JSON.parse(await run(found, ['-I', '-c', 'import sys, json; print(json.dumps({"executable": sys.executable, "prefixes": sorted({sys.prefix, sys.base_prefix, sys.exec_prefix})}))'])) as typeof info;
      } catch (error) {
        throw new SandboxStartError(`${found} does not run as Python 3: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      const real = realpathSync(info.executable);
      return { path: real, mountPaths: [...new Set([...info.prefixes, prefixOf(real)])] };
    })();
    cache.set(key, resolved);
    resolved.catch(() => cache.delete(key));
  }
  return resolved;
}
