import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { defineTool } from '@codecall/core';
import { z } from 'zod';

/** Host pids whose command line contains `marker` (bounded scan of /proc). */
export function hostProcessesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'latin1');
      const environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
      if (cmdline.includes(marker) || environ.includes(marker)) found.push(Number(entry));
    } catch {
      // Gone or not readable.
    }
  }
  return found;
}

/**
 * A tool that answers after `delayMs` (up to 10 minutes: a test that must not wait for the answer
 * uses a delay far beyond its own timeout). Its timer ends when the run aborts the call.
 */
export const slowEcho = defineTool({
  name: 'slow_echo',
  description: 'Echoes after a delay.',
  input: z.object({ value: z.unknown(), delayMs: z.number().int().max(600_000).optional() }),
  execute: async ({ value, delayMs }, { abortSignal }) => {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delayMs ?? 0);
      abortSignal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
    return value;
  },
});

/**
 * The pid of the one process whose command line or environment contains `marker`, once that
 * process runs `executable` (a runner's launch chain passes through a shell, which forks `mount`
 * and execs onward under the same pid, before it becomes the interpreter); otherwise `undefined`.
 */
export function processRunning(marker: string, executable: string): number | undefined {
  const found = hostProcessesWith(marker);
  if (found.length !== 1) return undefined;
  const [pid] = found as [number];
  try {
    return readlinkSync(`/proc/${pid}/exe`) === executable ? pid : undefined;
  } catch {
    return undefined;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `condition` every 50 ms until it holds or `attempts` polls have failed (bounded: 400 polls
 * is at least 20 s, generous on a busy machine). Returns whether it held at the poll that ended the
 * wait: the condition is not evaluated again (a transient state, such as a process that has just
 * forked, must not turn a success into a failure).
 */
export async function eventually(condition: () => boolean, attempts = 400): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    if (condition()) return true;
    if (attempt >= attempts) return false;
    await sleep(50);
  }
}
