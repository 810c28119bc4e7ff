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
