import { defaultLimits } from '@codecall/core';
import type { ResolvedLimitsV1, SandboxExecuteResultV1, SandboxToolCallV1, SandboxV1 } from '@codecall/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

/** Options of `describeRunnerSuite`. */
export interface RunnerSuiteOptions {
  /** Name of the transport, shown in the test names. */
  readonly name: string;
  /** Creates the sandbox under test (a transport over the runner); disposed after the suite. */
  readonly createSandbox: () => SandboxV1 | Promise<SandboxV1>;
  /** Languages to attack with. Default `['javascript', 'python']`. */
  readonly languages?: readonly ('javascript' | 'python')[];
  /**
   * Whether the transport ends one-shot runners itself on their final message
   * (`RunnerSessionSettings.endRunner`). Then a forged `done` ends the run like a returned value
   * (the guest is killed where it stands); otherwise it counts only once the runner exits by itself.
   * Default false.
   */
  readonly endsRunnerOnFinal?: boolean;
}

/** What one hostile run came to, with every call that reached the host. */
export interface HostileRunOutcome {
  /** The adapter's result. */
  readonly result: SandboxExecuteResultV1;
  /** The calls `callTool` received, in order. */
  readonly calls: readonly SandboxToolCallV1[];
}

let executionCounter = 0;

/**
 * Runs `code` on `sandbox` through `execute` directly (no `runCode`, so no code validation and no
 * dispatcher: what the transport and its runner session let through is what reaches `callTool`).
 * One tool, `echo`, answers with its input.
 */
export async function executeHostile(sandbox: SandboxV1, language: 'javascript' | 'python', code: string, limits: Partial<ResolvedLimitsV1> = {}): Promise<HostileRunOutcome> {
  const calls: SandboxToolCallV1[] = [];
  const result = await sandbox.execute({
    executionId: `runner-suite-${++executionCounter}`,
    language,
    code,
    tools: [{ name: 'echo', identifier: 'echo' }],
    limits: { ...defaultLimits, timeoutMs: 10_000, ...limits },
    abortSignal: new AbortController().signal,
    callTool: (call) => {
      calls.push(call);
      return Promise.resolve({ type: 'success', outputJson: call.inputJson ?? 'null' });
    },
  });
  return { result, calls };
}

// Guest-side helpers that write raw lines on the runner's own protocol stream: in node through the
// runner's output handle (reachable with process._getActiveHandles()), in python through the
// runner's module globals (sys.modules['__main__']). Both work whatever descriptors a transport uses.
const prelude = {
  javascript: [
    'const __forge = (line) => {',
    '  let n = 0;',
    '  for (const h of process._getActiveHandles()) {',
    '    if (h && h.writable && h._handle && h._handle.fd > 2) { h.write(line + "\\n"); n++; }',
    '  }',
    '  if (n === 0) throw new Error("no protocol handle found");',
    '};',
    'const __sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));',
    '',
  ].join('\n'),
  python: [
    'import os as __os, sys as __sys, time as __time',
    '__runner = __sys.modules["__main__"]',
    'def __forge(line):',
    '    data = (line + "\\n").encode()',
    '    with __runner._write_lock:',
    '        view = memoryview(data)',
    '        while view:',
    '            view = view[__os.write(__runner._out_fd, view):]',
    '',
  ].join('\n'),
};

const json = (value: unknown): string => JSON.stringify(value);

/** Ends the guest's process at once, after what it forged has been written. */
const exitNow = { javascript: 'await __sleep(100); process.exit(0);', python: '__time.sleep(0.1)\n__os._exit(0)' };
const spinForever = { javascript: 'while (true) {}', python: 'while True:\n    pass' };

/**
 * The runner test suite every transport passes: guest programs that forge protocol messages on the
 * runner's own stream (calls, results, "done", errors, oversized and deeply nested lines) and must
 * not be able to make the host do more than the run's limits allow.
 */
export function describeRunnerSuite(options: RunnerSuiteOptions): void {
  for (const language of options.languages ?? ['javascript', 'python']) {
    describe(`${options.name}: every runner message is hostile (${language})`, () => {
      let sandbox: SandboxV1;
      beforeAll(async () => {
        sandbox = await options.createSandbox();
      });
      afterAll(async () => {
        await sandbox.dispose();
      });
      const run = (body: string, limits: Partial<ResolvedLimitsV1> = {}): Promise<HostileRunOutcome> => executeHostile(sandbox, language, `${prelude[language]}\n${body}`, limits);
      const forge = (line: string): string => `__forge(${json(line)})`;

      if (options.endsRunnerOnFinal === true) {
        test('a forged "done" ends the run where the guest stands: it is killed, nothing after it reaches the host', async () => {
          // The guest could have returned the value itself; what it must not get is to go on running.
          const after = language === 'python' ? 'echo({"after": True})' : 'await echo({ after: true });';
          const { result, calls } = await run(`${forge(json({ t: 'done', value: '"forged"' }))}\n${after}\n${spinForever[language]}`, { timeoutMs: 30_000 });
          expect(result).toMatchObject({ type: 'success', valueJson: '"forged"' });
          expect(calls).toEqual([]);
          // The sandbox goes on with a fresh runner.
          expect((await run(language === 'python' ? '2' : 'return 2;')).result).toMatchObject({ type: 'success', valueJson: '2' });
        });
      } else {
        test('a forged "done" while the guest keeps running is not the result', async () => {
          const { result } = await run(`${forge(json({ t: 'done', value: '"forged"' }))}\n${spinForever[language]}`, { timeoutMs: 3_000 });
          expect(result.type).toBe('error');
        });
      }

      test('a forged call with an id already used ends the run, and the host answers it at most once', async () => {
        const call = json({ t: 'call', id: 1, name: 'echo', input: '{"n":1}' });
        const { result, calls } = await run(`${forge(call)}\n${forge(call)}\n${language === 'python' ? '__time.sleep(1)' : 'await __sleep(1000);'}`);
        expect(result).toMatchObject({ type: 'error', error: { code: 'SANDBOX_CRASHED' } });
        expect(calls.length).toBeLessThanOrEqual(1);
      });

      test('forged calls past maxToolCalls never reach the host beyond the limit', async () => {
        const lines = Array.from({ length: 400 }, (_, index) => json({ t: 'call', id: index + 1, name: 'echo', input: `{"n":${index}}` })).join('\n');
        const { result, calls } = await run(`${forge(lines)}\n${language === 'python' ? '__time.sleep(2)' : 'await __sleep(2000);'}`, { maxToolCalls: 5 });
        expect(calls.length).toBeLessThanOrEqual(6);
        expect(result.type).toBe('error');
      });

      test('a line longer than the bound ends the run with a clear error, without waiting for its end', async () => {
        // Four mebibytes and no newline: the host must give up at its bound, not buffer until a newline.
        const code = language === 'python'
          ? `chunk = b'{"t":"out","fd":1,"d":"' + b"x" * (1 << 22)\nwith __runner._write_lock:\n    view = memoryview(chunk)\n    while view:\n        view = view[__os.write(__runner._out_fd, view):]\n__time.sleep(5)`
          : `for (const h of process._getActiveHandles()) if (h && h.writable && h._handle && h._handle.fd > 2) h.write('{"t":"out","fd":1,"d":"' + "x".repeat(1 << 22));\nawait __sleep(5000);`;
        const { result } = await run(code, { maxValueBytes: 64 * 1024, maxOutputBytes: 4_000, timeoutMs: 20_000 });
        expect(result).toMatchObject({ type: 'error', error: { code: 'SANDBOX_CRASHED' } });
        if (result.type === 'error') expect(result.error.message).toMatch(/longer than \d+ bytes/);
      });

      test('a deeply nested message is refused before it is parsed', async () => {
        const depth = 100_000;
        const line = `{"t":"out","fd":1,"d":"nested","x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
        const { result } = await run(`${forge(line)}\n${exitNow[language]}`);
        expect(result).toMatchObject({ type: 'error', error: { code: 'SANDBOX_CRASHED' } });
        if (result.type === 'error') expect(result.error.message).toMatch(/nest/);
        expect(result.stdout).not.toContain('nested');
      });

      test('a message made of many small values (parse amplification) is refused', async () => {
        const line = `{"t":"out","fd":1,"d":"many","x":[${Array.from({ length: 50_000 }, () => '{}').join(',')}]}`;
        const { result } = await run(`${forge(line)}\n${exitNow[language]}`);
        expect(result).toMatchObject({ type: 'error', error: { code: 'SANDBOX_CRASHED' } });
        expect(result.stdout).not.toContain('many');
      });

      test('forged output never passes maxOutputBytes, whatever the runner claims', async () => {
        const line = forge(json({ t: 'out', fd: 1, d: 'y'.repeat(3_000) }));
        const code = language === 'python' ? `for _ in range(10):\n    ${line}\n__time.sleep(0.2)` : `for (let i = 0; i < 10; i++) ${line};\nawait __sleep(200);`;
        const { result } = await run(code, { maxOutputBytes: 5_000 });
        expect(Buffer.byteLength(result.stdout) + Buffer.byteLength(result.stderr)).toBeLessThanOrEqual(5_000);
        expect(result.outputTruncated).toBe(true);
      });

      test('a forged call with an input larger than maxValueBytes ends the run without reaching the host', async () => {
        // A runner refuses such an input in the guest, so one on the stream is forged; refusing it and
        // going on would let a guest make the host parse a line near the bound again and again.
        const call = json({ t: 'call', id: 1, name: 'echo', input: json({ s: 'z'.repeat(20_000) }) });
        const { result, calls } = await run(`${forge(call)}\n${language === 'python' ? '__time.sleep(1)' : 'await __sleep(1000);'}`, { maxValueBytes: 1_000 });
        expect(result).toMatchObject({ type: 'error', error: { code: 'SANDBOX_CRASHED' } });
        if (result.type === 'error') expect(result.error.message).toMatch(/exceeds limits\.maxValueBytes/);
        expect(calls).toHaveLength(0);
      });

      test('honest values just under maxValueBytes, of the characters whose escaping grows most, fit the line bound', async () => {
        // The bound is three times maxValueBytes for values: quotes and backslashes double, and a
        // runner that escapes a string to ASCII (python, for a lone surrogate) writes 6 bytes for
        // each 2-byte character. Here both, as a tool input and as the return value.
        const maxValueBytes = 200_000;
        const body = language === 'python'
          ? 's = "\\u00e9" * 49000 + "\\"\\\\" * 24000 + "\\ud800"\nr = await echo({"s": s})\nreturn r["s"]'
          : 'const s = "\\u00e9".repeat(49000) + "\\"\\\\".repeat(24000) + "\\ud800";\nconst r = await echo({ s });\nreturn r.s;';
        const { result, calls } = await run(body, { maxValueBytes, timeoutMs: 20_000 });
        const expected = `${'\u00e9'.repeat(49_000)}${'"\\'.repeat(24_000)}\ud800`;
        expect(result).toMatchObject({ type: 'success' });
        if (result.type === 'success') expect(JSON.parse(result.valueJson ?? 'null') as string).toBe(expected);
        expect(calls).toHaveLength(1);
        expect(JSON.parse(calls[0]!.inputJson!)).toEqual({ s: expected });
      });

      test('a forged value larger than maxValueBytes is refused by the host', async () => {
        const { result } = await run(`${forge(json({ t: 'done', value: json('z'.repeat(20_000)) }))}\n${exitNow[language]}`, { maxValueBytes: 1_000 });
        expect(result).toMatchObject({ type: 'error', error: { code: 'OUTPUT_LIMIT' } });
      });

      test('a forged error is checked: unknown codes and huge messages do not pass through', async () => {
        const error = { code: 'HOST_PWNED', name: 'n'.repeat(5_000), message: 'm'.repeat(200_000), line: -3 };
        const { result } = await run(`${forge(json({ t: 'error', error }))}\n${exitNow[language]}`);
        expect(result.type).toBe('error');
        if (result.type === 'error') {
          expect(result.error.code).toBe('SANDBOX_CRASHED');
          expect(result.error.message.length).toBeLessThan(10_000);
          expect(result.error.name.length).toBeLessThan(300);
        }
      });

      test('a call to a tool the run did not install, or with a huge name, ends the run without reaching the host', async () => {
        const { result, calls } = await run(`${forge(json({ t: 'call', id: 1, name: 'x'.repeat(100_000), input: '{}' }))}\n${language === 'python' ? '__time.sleep(1)' : 'await __sleep(1000);'}`);
        expect(result).toMatchObject({ type: 'error', error: { code: 'SANDBOX_CRASHED' } });
        expect(calls).toHaveLength(0);
      });

      test('output forged after the final message is dropped', async () => {
        const lines = [json({ t: 'done', value: '1' }), json({ t: 'out', fd: 1, d: 'after-done' })];
        const { result } = await run(`${forge(lines.join('\n'))}\n${exitNow[language]}`);
        expect(result.stdout).not.toContain('after-done');
      });

      test('an honest run still works after all this', async () => {
        const body = language === 'python' ? 'print("hi")\nawait echo({"a": 1})' : 'console.log("hi");\nreturn await echo({ a: 1 });';
        const { result, calls } = await run(body);
        expect(result).toMatchObject({ type: 'success', valueJson: '{"a":1}', stdout: 'hi\n' });
        expect(calls).toHaveLength(1);
      });
    });
  }
}
