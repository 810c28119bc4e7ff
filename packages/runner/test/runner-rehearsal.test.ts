import { spawn } from 'node:child_process';
import type { SandboxLanguage } from '@codecall/core';
import { describe, expect, test } from 'vitest';
import { RunnerSession, defaultRehearsalCalls, isRehearsalPassed, nodeRunnerPath, pythonRunnerPath, rehearsalRequest } from '../src/index.js';
import type { RehearsalRequestOptions, RunnerSessionOutcome } from '../src/index.js';

// The rehearsal against real runner processes (node and python3), over their stdin and stdout.

async function rehearse(language: SandboxLanguage, options: RehearsalRequestOptions = {}): Promise<{ outcome: RunnerSessionOutcome; exitCode: number | null }> {
  const child = language === 'python'
    ? spawn('python3', ['-I', '-B', pythonRunnerPath], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.execPath, ['--disable-warning=ExperimentalWarning', nodeRunnerPath, '--language', language], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const session = new RunnerSession({ request: rehearsalRequest(language, options), write: (text) => child.stdin.write(text), reuse: true, expectReady: true });
  child.stdout.on('data', (chunk: Buffer) => session.receive(chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    session.end({ code, signal: null, stderrTail: stderr });
    resolve(code);
  }));
  session.start();
  const outcome = await session.outcome;
  // The runner waits for the next run after `idle`; closing its input ends it (protocol §2.6).
  child.stdin.end();
  return { outcome, exitCode: await exited };
}

describe('rehearsalRequest', () => {
  test.each(['javascript', 'typescript', 'python'] as const)('a %s runner passes it, reports idle and exits when its input ends', async (language) => {
    const { outcome, exitCode } = await rehearse(language);
    expect(outcome.clean).toBe(true);
    expect(outcome.result).toMatchObject({ type: 'success', stdout: 'rehearsal\n' });
    expect(isRehearsalPassed(outcome.result)).toBe(true);
    expect(outcome.forwardedCalls).toBe(defaultRehearsalCalls);
    expect(exitCode).toBe(0);
  });

  test.each(['javascript', 'python'] as const)('shouldStop ends a %s rehearsal after the call it answered true for', async (language) => {
    let asked = 0;
    const { outcome } = await rehearse(language, { calls: 10_000_000, shouldStop: () => ++asked >= 3 });
    expect(isRehearsalPassed(outcome.result)).toBe(true);
    expect(outcome.forwardedCalls).toBe(3);
    expect(asked).toBe(3);
  });

  test('calls: 0 makes no call and still passes; a bad count is refused', async () => {
    const { outcome } = await rehearse('javascript', { calls: 0 });
    expect(isRehearsalPassed(outcome.result)).toBe(true);
    expect(outcome.forwardedCalls).toBe(0);
    expect(() => rehearsalRequest('javascript', { calls: -1 })).toThrow(RangeError);
    expect(() => rehearsalRequest('python', { calls: 1.5 })).toThrow(RangeError);
  });

  test('isRehearsalPassed wants the exact value and output', () => {
    const passed = { type: 'success', valueJson: '{"list":[1,"two",null],"nested":{"ok":true}}', stdout: 'rehearsal\n', stderr: '', outputTruncated: false } as const;
    expect(isRehearsalPassed(passed)).toBe(true);
    expect(isRehearsalPassed({ ...passed, valueJson: '1' })).toBe(false);
    expect(isRehearsalPassed({ ...passed, stdout: '' })).toBe(false);
    expect(isRehearsalPassed({ type: 'error', error: { code: 'TIMEOUT', name: 'TimeoutError', message: 'x' }, stdout: 'rehearsal\n', stderr: '', outputTruncated: false })).toBe(false);
  });
});
