// Test helper: the processes whose parent is this process (Linux, from /proc).
import { readdirSync, readFileSync } from 'node:fs';

/** Pids of this process's children, read from every thread's `/proc/self/task/<tid>/children`. */
export function childProcessIds(): number[] {
  const ids: number[] = [];
  for (const task of readdirSync('/proc/self/task')) {
    const text = readFileSync(`/proc/self/task/${task}/children`, 'utf8').trim();
    if (text !== '') ids.push(...text.split(/\s+/).map(Number));
  }
  return ids;
}
