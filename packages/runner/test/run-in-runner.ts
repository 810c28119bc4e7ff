import { spawn } from 'node:child_process';
import { nodeRunnerPath, pythonRunnerPath, runnerProtocolVersion } from '../src/index.js';

/** A tool call as the runner sent it. */
export interface RunnerCall {
  readonly id: number;
  readonly name: string;
  /** The input's JSON text, when the guest passed one. */
  readonly input: string | undefined;
}

/** The fields of the `result` message that answers a call. */
export type RunnerAnswer = { readonly ok: true; readonly output?: string } | { readonly ok: false; readonly code: string; readonly message: string };

/** What `runInRunner` needs besides the code. */
export interface RunInRunnerOptions {
  readonly tools: readonly { readonly name: string; readonly identifier: string; readonly parameters?: readonly { readonly name: string; readonly required: boolean }[] }[];
  /** `start.limits`; default none (the runner's own defaults). */
  readonly limits?: { readonly maxValueBytes: number; readonly maxOutputBytes: number };
  /** Answers each call, in the order they arrive: the result's fields, or a whole `result` line as text (without its newline). */
  readonly answer: (call: RunnerCall) => RunnerAnswer | string;
  /**
   * Writes the answer's line (newline included) to the runner; default: at once, in one write. A
   * test that splits lines across reads passes its own (`write` may be called later, in pieces).
   */
  readonly deliver?: (call: RunnerCall, line: Buffer, write: (bytes: Buffer) => void) => void;
}

/**
 * Runs `code` in a fresh runner of `runtime` over its stdio, answering every call with
 * `options.answer`, and resolves with the final message (`done` or `error`); the runner is killed
 * as soon as it arrives.
 */
export function runInRunner(runtime: 'node' | 'python', code: string, options: RunInRunnerOptions): Promise<Record<string, unknown>> {
  const args = runtime === 'node' ? [nodeRunnerPath] : ['-I', '-B', pythonRunnerPath];
  const child = spawn(runtime === 'node' ? process.execPath : 'python3', args, { stdio: ['pipe', 'pipe', 'inherit'] });
  let buffered = '';
  let ended = false;
  // Answers to calls that arrive with the final message go to a runner that was just killed.
  child.stdin.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      for (let newline = buffered.indexOf('\n'); newline >= 0 && !ended; newline = buffered.indexOf('\n')) {
        const message = JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>;
        buffered = buffered.slice(newline + 1);
        if (message['t'] === 'ready') {
          const language = runtime === 'node' ? 'javascript' : 'python';
          child.stdin.write(`${JSON.stringify({ t: 'start', v: runnerProtocolVersion, language, code, tools: options.tools, limits: options.limits ?? {} })}\n`);
        } else if (message['t'] === 'call') {
          const call = { id: message['id'] as number, name: message['name'] as string, input: message['input'] as string | undefined };
          const answer = options.answer(call);
          const line = `${typeof answer === 'string' ? answer : JSON.stringify({ t: 'result', id: call.id, ...answer })}\n`;
          if (options.deliver === undefined) child.stdin.write(line);
          else options.deliver(call, Buffer.from(line), (bytes) => {
            if (!ended) child.stdin.write(bytes);
          });
        } else if (message['t'] === 'done' || message['t'] === 'error') {
          ended = true;
          child.kill('SIGKILL');
          resolve(message);
        }
      }
    });
  });
}
