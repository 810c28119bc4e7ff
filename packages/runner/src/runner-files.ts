import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of the directory holding the runner programs (`node-runner.mjs`, `python-runner.py`). */
export const runnerDirectory: string = fileURLToPath(new URL('../runner/', import.meta.url));

/** Absolute path of the node runner (`javascript` and `typescript`). Plain ESM, standard library only. */
export const nodeRunnerPath: string = fileURLToPath(new URL('../runner/node-runner.mjs', import.meta.url));

/** Absolute path of the python runner (`python`). Python 3.9+, standard library only. */
export const pythonRunnerPath: string = fileURLToPath(new URL('../runner/python-runner.py', import.meta.url));

/** Source text of a runner program, e.g. to upload it into a remote sandbox. */
export function readRunnerSource(runtime: 'node' | 'python'): string {
  return readFileSync(runtime === 'node' ? nodeRunnerPath : pythonRunnerPath, 'utf8');
}

/** Options of `runnerShellCommand`. */
export interface RunnerShellCommandOptions {
  /** Which runner. */
  readonly runtime: 'node' | 'python';
  /** Interpreter as the remote shell finds it. Default `node` / `python3`. */
  readonly interpreter?: string;
  /** Path of the runner program on the remote side. */
  readonly runnerPath: string;
  /** For node: the language whose start path to warm (`javascript` or `typescript`). Default `javascript`. */
  readonly language?: 'javascript' | 'typescript';
}

const shellQuote = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;

/**
 * A POSIX shell command line that starts a runner with its protocol on descriptors 3 and 4 and its
 * stdin/stdout pointed at /dev/null — for adapters (E2B) that run a shell command and talk to it
 * over its stdin and stdout. Guest output written at the descriptor level then cannot reach the
 * protocol stream, whether the remote stdio is a pipe or a socket.
 */
export function runnerShellCommand(options: RunnerShellCommandOptions): string {
  const interpreter = options.interpreter ?? (options.runtime === 'node' ? 'node' : 'python3');
  const flags = options.runtime === 'node' ? ['--disable-warning=ExperimentalWarning'] : ['-I', '-B'];
  const runnerArgs = options.runtime === 'node' ? ['--language', options.language ?? 'javascript'] : [];
  const argv = [interpreter, ...flags, options.runnerPath, ...runnerArgs, '--protocol-fds', '3,4'].map(shellQuote).join(' ');
  return `exec ${argv} 3<&0 4>&1 </dev/null >/dev/null`;
}
