import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { pythonRunnerPath } from '../src/runner-files.js';

// The python runner polls for an answer before it sleeps, except on a busy machine, which it
// recognizes by its own time waiting on a run queue (/proc/self/schedstat): _may_poll in
// python-runner.py. This drives that decision with made-up run-queue times, window by window
// (a window is _CONTENTION_WINDOW waits), in a python3 that loads the runner without running it.
const driver = String.raw`
import importlib.util, json, os, sys
out = os.dup(1)  # the runner points descriptors 0 and 1 at /dev/null when it loads
spec = importlib.util.spec_from_file_location("codecall_python_runner", sys.argv[1])
runner = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runner)
per_wait_ns = json.loads(sys.argv[2])
window = runner._CONTENTION_WINDOW
total = 0
runner._schedstat_fd = 1_000  # any descriptor: the time comes from the stub below
runner._run_queue_wait_ns = lambda: total
decisions = [runner._may_poll()]  # the first wait only takes the starting point
for growth in per_wait_ns:
    allowed = []
    for _ in range(window):
        total += growth
        allowed.append(runner._may_poll())
    # The decision taken at the window's end holds for the next window.
    decisions.append(allowed[-1])
os.write(out, json.dumps({"window": window, "limit": runner._CONTENDED_WAIT_NS, "decisions": decisions}).encode())
`;

function decide(perWaitNs: readonly number[]): { window: number; limit: number; decisions: boolean[] } {
  const text = execFileSync('python3', ['-c', driver, pythonRunnerPath, JSON.stringify(perWaitNs)], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(text) as { window: number; limit: number; decisions: boolean[] };
}

describe('python runner: polling on a busy machine', () => {
  test('stops after two busy windows in a row, not after one, and polls again after a quiet one', () => {
    const quiet = 0;
    const busy = 8_000;
    const { limit, decisions } = decide([quiet, busy, quiet, busy, busy, busy, quiet, quiet]);
    expect(busy).toBeGreaterThan(limit);
    expect(decisions).toEqual([true, true, true, true, true, false, false, true, true]);
  });

  test('a wait per poll at the limit still counts as quiet', () => {
    const { limit, decisions } = decide([]);
    expect(decisions).toEqual([true]);
    expect(decide([limit, limit, limit]).decisions).toEqual([true, true, true, true]);
    expect(decide([limit + 1, limit + 1]).decisions).toEqual([true, true, false]);
  });

  test.skipIf(process.platform !== 'linux')('reads its own run-queue wait on Linux', () => {
    const probe = [
      'import importlib.util, os, sys',
      'out = os.dup(1)',
      'spec = importlib.util.spec_from_file_location("codecall_python_runner", sys.argv[1])',
      'runner = importlib.util.module_from_spec(spec)',
      'spec.loader.exec_module(runner)',
      'wait = runner._run_queue_wait_ns()',
      'os.write(out, repr((runner._schedstat_fd >= 0, type(wait).__name__, wait is not None and wait >= 0)).encode())',
    ].join('\n');
    const text = execFileSync('python3', ['-c', probe, pythonRunnerPath], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
    expect(text).toBe("(True, 'int', True)");
  });

  test('without /proc/self/schedstat it always polls', () => {
    const text = execFileSync(
      'python3',
      ['-c', driver.replace('runner._schedstat_fd = 1_000', 'runner._schedstat_fd = -1'), pythonRunnerPath, JSON.stringify([50_000, 50_000, 50_000])],
      { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    expect((JSON.parse(text) as { decisions: boolean[] }).decisions).toEqual([true, true, true, true]);
  });
});
