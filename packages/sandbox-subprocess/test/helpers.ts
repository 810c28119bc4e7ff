import { readdirSync, readFileSync } from 'node:fs';
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

/** A tool that answers after `delayMs`. */
export const slowEcho = defineTool({
  name: 'slow_echo',
  description: 'Echoes after a delay.',
  input: z.object({ value: z.unknown(), delayMs: z.number().int().max(5_000).optional() }),
  execute: async ({ value, delayMs }) => {
    await new Promise((resolve) => setTimeout(resolve, delayMs ?? 0));
    return value;
  },
});

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
