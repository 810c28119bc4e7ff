import { defaultLimits } from '@codecall/core';
import type { ResolvedLimitsV1, SandboxExecuteRequestV1, SandboxToolCallV1 } from '@codecall/core';
import { describe, expect, test } from 'vitest';
import { RunnerSession, checkRunnerMessageShape, encodeRunnerMessage, runnerMaxLineBytes, runnerMessageBounds, runnerProtocolVersion } from '../src/index.js';
import type { RunnerSessionSettings, RunnerToHostMessage } from '../src/index.js';

// The session against a scripted runner: no process, every byte chosen by the test.

interface Harness {
  readonly session: RunnerSession;
  readonly written: string[];
  readonly calls: SandboxToolCallV1[];
  readonly say: (message: RunnerToHostMessage | string) => void;
}

function harness(limits: Partial<ResolvedLimitsV1> = {}, settings: Partial<RunnerSessionSettings> = {}): Harness {
  const written: string[] = [];
  const calls: SandboxToolCallV1[] = [];
  const request: SandboxExecuteRequestV1 = {
    executionId: 'test',
    language: 'javascript',
    code: 'return 1;',
    tools: [{ name: 'echo', identifier: 'echo' }],
    limits: { ...defaultLimits, timeoutMs: 30_000, ...limits },
    abortSignal: new AbortController().signal,
    callTool: (call) => {
      calls.push(call);
      return Promise.resolve({ type: 'success', outputJson: call.inputJson ?? 'null' });
    },
  };
  const session = new RunnerSession({ request, write: (text) => written.push(text), ...settings });
  session.start();
  return {
    session,
    written,
    calls,
    say: (message) => session.receive(typeof message === 'string' ? `${message}\n` : encodeRunnerMessage(message)),
  };
}

const exit = { code: 0, signal: null, stderrTail: '' };
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('RunnerSession', () => {
  test('an honest run: start, output, a call and its answer, done, exit', async () => {
    const { session, written, calls, say } = harness();
    expect(JSON.parse(written[0] ?? '')).toMatchObject({ t: 'start', v: runnerProtocolVersion, tools: [{ name: 'echo', identifier: 'echo' }] });
    say({ t: 'out', fd: 1, d: 'hi\n' });
    say({ t: 'call', id: 1, name: 'echo', input: '{"a":1}' });
    await tick();
    expect(calls).toStrictEqual([{ name: 'echo', inputJson: '{"a":1}' }]);
    expect(JSON.parse(written[1] ?? '')).toStrictEqual({ t: 'result', id: 1, ok: true, output: '{"a":1}' });
    say({ t: 'done', value: '7' });
    expect(session.settled).toBe(false);
    session.end(exit);
    expect(await session.outcome).toMatchObject({ clean: true, result: { type: 'success', valueJson: '7', stdout: 'hi\n' } });
  });

  test('a "done" counts only once the runner ends; a runner that keeps going fails the run', async () => {
    const { session, say } = harness({}, { exitGraceMs: 20 });
    let early: unknown;
    void session.result.then((result) => (early = result));
    say({ t: 'done', value: '"forged"' });
    await tick();
    expect(early).toBeUndefined();
    expect(await session.outcome).toMatchObject({ clean: false, result: { type: 'error', error: { code: 'SANDBOX_CRASHED' } } });
    expect(await session.result).toBe((await session.outcome).result);
  });

  test('with endRunner (one-shot), the final message ends the runner at once and counts; lines after it are dropped', async () => {
    let ended = 0;
    const { session, say, calls } = harness({}, { endRunner: () => ended++ });
    say(`${JSON.stringify({ t: 'done', value: '5' })}\n${JSON.stringify({ t: 'call', id: 1, name: 'echo', input: '{}' })}`);
    expect(ended).toBe(1);
    expect(session.settled).toBe(true);
    session.end({ code: null, signal: 'SIGKILL', stderrTail: '' });
    await tick();
    expect(calls).toStrictEqual([]);
    expect(await session.outcome).toMatchObject({ clean: true, result: { type: 'success', valueJson: '5' } });
    expect(ended).toBe(1);
  });

  test('endRunner is not used with reuse: the runner is not ended, and the outcome waits for idle', async () => {
    let ended = 0;
    const { session, say } = harness({}, { reuse: true, endRunner: () => ended++ });
    say({ t: 'done', value: '1' });
    expect(session.settled).toBe(false);
    say({ t: 'idle' });
    expect(await session.outcome).toMatchObject({ clean: true, result: { type: 'success', valueJson: '1' } });
    expect(ended).toBe(0);
  });

  test('start says trusted only for a trusted run with reuse', () => {
    const start = (settings: Partial<RunnerSessionSettings>): Record<string, unknown> => JSON.parse(harness({}, settings).written[0] ?? '') as Record<string, unknown>;
    expect(start({ reuse: true, trusted: true })).toMatchObject({ reuse: true, trusted: true });
    expect(start({ reuse: true })).not.toHaveProperty('trusted');
    // Without reuse the runner exits after the run: there is nothing to skip.
    expect(start({ trusted: true })).not.toHaveProperty('trusted');
  });

  test('with reuse, the result is out at the final message and the outcome follows at idle; late output is dropped and counted', async () => {
    const reused = harness({}, { reuse: true });
    expect(JSON.parse(reused.written[0] ?? '')).toMatchObject({ reuse: true });
    reused.say({ t: 'out', fd: 1, d: 'before' });
    reused.say({ t: 'done', value: '3' });
    const result = await reused.session.result;
    expect(result).toMatchObject({ type: 'success', valueJson: '3', stdout: 'before' });
    expect(reused.session.settled).toBe(false);
    reused.say({ t: 'idle' });
    const reusedOutcome = await reused.session.outcome;
    expect(reusedOutcome).toMatchObject({ clean: true, discardedBytes: 0 });
    expect(reusedOutcome.result).toBe(result);

    const late = harness({}, { reuse: true });
    late.say({ t: 'done' });
    late.say({ t: 'out', fd: 1, d: 'LATE' });
    late.say({ t: 'idle' });
    const outcome = await late.session.outcome;
    expect(outcome).toMatchObject({ clean: false, result: { stdout: '' } });
    expect(outcome.discardedBytes).toBeGreaterThan(0);
  });

  test('with reuse, a runner that does not report idle in time is not clean, and the result it gave stands', async () => {
    const { session, say } = harness({}, { reuse: true, exitGraceMs: 20 });
    say({ t: 'done', value: '4' });
    expect(await session.result).toMatchObject({ type: 'success', valueJson: '4' });
    expect(await session.outcome).toMatchObject({ clean: false, result: { type: 'success', valueJson: '4' } });
  });

  test.each([
    ['a duplicate call id', [{ t: 'call', id: 1, name: 'echo' }, { t: 'call', id: 1, name: 'echo' }]],
    ['a skipped call id', [{ t: 'call', id: 2, name: 'echo' }]],
    ['a tool the run did not install', [{ t: 'call', id: 1, name: 'rm_rf' }]],
    ['a second ready', [{ t: 'ready', v: 1, runtime: 'node', version: 'x', pid: 1 }]],
    ['idle before a final message', [{ t: 'idle' }]],
    ['an unknown error code', ['{"t":"error","error":{"code":"PWNED","name":"x","message":"y"}}']],
    ['a huge error message', [JSON.stringify({ t: 'error', error: { code: 'RUNTIME_ERROR', name: 'x', message: 'y'.repeat(20_000) } })]],
    ['a deeply nested line', [`{"t":"out","fd":1,"d":"x","z":${'['.repeat(50)}${']'.repeat(50)}}`]],
    ['a line of many small values', [`{"t":"out","fd":1,"d":"x","z":[${Array.from({ length: 100 }, () => '1').join(',')}]}`]],
    ['not JSON', ['{"t":"out",']],
  ] as const)('%s ends the run as SANDBOX_CRASHED and reaches no tool', async (_, lines) => {
    const { session, say, calls } = harness();
    for (const line of lines) say(line);
    await tick();
    expect(await session.outcome).toMatchObject({ clean: false, result: { type: 'error', error: { code: 'SANDBOX_CRASHED' } } });
    expect(calls.length).toBeLessThanOrEqual(1);
  });

  test('calls past maxToolCalls never reach the host; a guest that keeps calling is stopped', async () => {
    const { session, say, calls, written } = harness({ maxToolCalls: 3 });
    for (let id = 1; id <= 200 && !session.settled; id++) say({ t: 'call', id, name: 'echo' });
    await tick();
    expect(calls).toHaveLength(4);
    expect(written.some((line) => line.includes('"TOOL_CALL_LIMIT"'))).toBe(true);
    expect(await session.outcome).toMatchObject({ forwardedCalls: 4, result: { type: 'error', error: { code: 'TOOL_ERROR', toolErrorCode: 'TOOL_CALL_LIMIT' } } });
  });

  test('values and output are measured by the host (inputs: below)', async () => {
    const { session, say, calls } = harness({ maxValueBytes: 100, maxOutputBytes: 10 });
    say({ t: 'call', id: 1, name: 'echo', input: JSON.stringify('x'.repeat(90)) });
    say({ t: 'out', fd: 1, d: 'é'.repeat(20) });
    say({ t: 'done', value: JSON.stringify('v'.repeat(200)) });
    session.end(exit);
    expect(calls).toHaveLength(1);
    const { result } = await session.outcome;
    expect(result).toMatchObject({ type: 'error', error: { code: 'OUTPUT_LIMIT' }, outputTruncated: true });
    expect(Buffer.byteLength(result.stdout)).toBeLessThanOrEqual(10);
  });

  test('a runner that keeps sending output far past the budget is stopped; one that stops is not', async () => {
    const flood = harness({ maxOutputBytes: 100 });
    for (let index = 0; index < 10_000 && !flood.session.settled; index++) flood.say({ t: 'out', fd: 1, d: 'x'.repeat(1_000) });
    expect(await flood.session.outcome).toMatchObject({ result: { type: 'error', error: { code: 'SANDBOX_CRASHED' }, outputTruncated: true } });

    const honest = harness({ maxOutputBytes: 100 });
    honest.say({ t: 'out', fd: 1, d: 'x'.repeat(1_000), truncated: true });
    honest.say({ t: 'done' });
    honest.session.end(exit);
    expect(await honest.session.outcome).toMatchObject({ result: { type: 'success', outputTruncated: true } });
  });

  test('a runner that floods empty output messages is stopped', async () => {
    // Empty `out`s spend no output budget; before, the host parsed them without end.
    const flood = harness({ maxOutputBytes: 100 });
    for (let index = 0; index < 200_000 && !flood.session.settled; index++) flood.say({ t: 'out', fd: 1, d: '' });
    expect(await flood.session.outcome).toMatchObject({ result: { type: 'error', error: { code: 'SANDBOX_CRASHED' } } });
  });

  test('counts output in UTF-8 bytes: multi-byte text does not pass maxOutputBytes', async () => {
    const { session, say } = harness({ maxOutputBytes: 1_000 });
    for (let index = 0; index < 10; index++) say({ t: 'out', fd: 1, d: '€'.repeat(300) });
    say({ t: 'done' });
    session.end(exit);
    const { result } = await session.outcome;
    expect(Buffer.byteLength(result.stdout)).toBeLessThanOrEqual(1_000);
    expect(result.outputTruncated).toBe(true);
  });

  test('the first call with an input over maxValueBytes ends the run: the runner refuses those itself', async () => {
    const { session, say, calls, written } = harness({ maxValueBytes: 10 });
    for (let id = 1; id <= 1_000 && !session.settled; id++) say({ t: 'call', id, name: 'echo', input: JSON.stringify({ s: 'x'.repeat(20) }) });
    await tick();
    expect(calls).toHaveLength(0);
    expect(written.filter((line) => line.includes('"result"'))).toHaveLength(0);
    const outcome = await session.outcome;
    expect(outcome).toMatchObject({ refusedCalls: 0, result: { type: 'error', error: { code: 'SANDBOX_CRASHED' } } });
    if (outcome.result.type === 'error') expect(outcome.result.error.message).toMatch(/input exceeds limits\.maxValueBytes \(10 bytes\)/);
  });

  test('the line bound is three times maxValueBytes (or six times maxOutputBytes) plus 64 KiB', () => {
    expect(runnerMaxLineBytes({ maxValueBytes: 1_000, maxOutputBytes: 100 })).toBe(3_000 + 65_536);
    expect(runnerMaxLineBytes({ maxValueBytes: 1_000, maxOutputBytes: 1_000 })).toBe(6_000 + 65_536);
  });

  test('a line past runnerMaxLineBytes ends the run while it is still arriving', async () => {
    const limits = { maxValueBytes: 1_000, maxOutputBytes: 1_000 };
    const { session } = harness(limits);
    const bound = runnerMaxLineBytes(limits);
    const piece = 'x'.repeat(16 * 1024);
    let fed = 0;
    while (!session.settled && fed < bound * 4) {
      session.receive(piece);
      fed += piece.length;
    }
    expect(fed).toBeLessThanOrEqual(bound + piece.length);
    const { result } = await session.outcome;
    expect(result.type === 'error' && result.error.message).toMatch(new RegExp(`longer than ${bound} bytes`));
  });

  test('a runner of another protocol version is refused', async () => {
    const { session, say } = harness({}, { expectReady: true });
    say({ t: 'ready', v: 2, runtime: 'node', version: 'x', pid: 1 });
    expect(await session.outcome).toMatchObject({ result: { type: 'error', error: { code: 'SANDBOX_CRASHED' } } });
  });

  test('stop and end before a final message', async () => {
    const stopped = harness();
    stopped.session.stop({ code: 'ABORTED', name: 'AbortError', message: 'aborted' });
    expect(await stopped.session.outcome).toMatchObject({ clean: false, result: { error: { code: 'ABORTED' } } });
    const crashed = harness();
    crashed.session.end({ code: null, signal: 'SIGKILL', stderrTail: 'FATAL ERROR: Reached heap limit' });
    expect(await crashed.session.outcome).toMatchObject({ result: { error: { code: 'MEMORY_LIMIT' } } });
  });
});

describe('checkRunnerMessageShape', () => {
  test('skips strings (escaped quotes and brackets inside them included) in one pass', () => {
    expect(checkRunnerMessageShape(JSON.stringify({ t: 'out', fd: 1, d: '[[[[[[{{{{{"\\"'.repeat(1_000) }))).toBeUndefined();
    expect(checkRunnerMessageShape('{"a":[[[[1]]]]}')).toMatchObject({ violation: expect.stringContaining('nested') as unknown });
    expect(checkRunnerMessageShape('{"a":"unterminated')).toMatchObject({ violation: expect.stringContaining('unterminated') as unknown });
  });

  test('agrees with a character-by-character reading on random lines, dense escapes and cut lines included', () => {
    // The reference reads every character; the check under test jumps between quotes and switches
    // to reading characters once escaped quotes come densely. Both must see the same structure.
    const kind = (line: string): string => {
      let depth = 0;
      let containers = 0;
      let members = 0;
      for (let index = 0; index < line.length; index++) {
        const code = line.charCodeAt(index);
        if (code === 0x22) {
          for (index++; index < line.length && line.charCodeAt(index) !== 0x22; index++) if (line.charCodeAt(index) === 0x5c) index++;
          if (index >= line.length) return 'unterminated';
        } else if (code === 0x7b || code === 0x5b) {
          depth++;
          containers++;
          if (depth > runnerMessageBounds.maxDepth) return 'nested';
          if (containers > runnerMessageBounds.maxContainers) return 'objects and arrays';
        } else if (code === 0x7d || code === 0x5d) {
          depth--;
        } else if (code === 0x2c || code === 0x3a) {
          members++;
          if (members > runnerMessageBounds.maxMembers * 2) return 'members';
        }
      }
      return 'ok';
    };
    const kindOf = (line: string): string => {
      const violation = checkRunnerMessageShape(line)?.violation;
      if (violation === undefined) return 'ok';
      return ['unterminated', 'nested', 'objects and arrays', 'members'].find((word) => violation.includes(word)) ?? violation;
    };
    let seed = 7;
    const random = (below: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return Math.floor((seed / 2_147_483_648) * below); // the high bits: an LCG's low bits cycle
    };
    const alphabet = ['"', '\\', '{', '[', '}', ']', ',', ':', 'a', 'é', '\n', '\u0001', '\\"', '\\\\'];
    const text = (): string => {
      const length = [5, 50, 500, 5_000][random(4)]!;
      // A few characters dominate each string, so some are dense with quotes or backslashes.
      const favourites = [alphabet[random(alphabet.length)]!, alphabet[random(alphabet.length)]!];
      let result = '';
      for (let index = 0; index < length; index++) result += random(4) === 0 ? alphabet[random(alphabet.length)]! : favourites[random(2)]!;
      return result;
    };
    let checked = 0;
    for (let round = 0; round < 400; round++) {
      const inner = JSON.stringify({ k: text(), list: [text(), { n: text() }] });
      const candidates = [
        JSON.stringify({ t: 'done', value: inner }),
        JSON.stringify({ t: 'out', fd: 1, d: text() }),
        JSON.stringify({ t: 'done', value: JSON.stringify(inner) }),
        JSON.stringify({ t: 'x', a: [[[[text()]]]] }),
      ];
      for (const line of candidates) {
        for (const cut of [line, line.slice(0, random(line.length + 1)), line.slice(random(line.length + 1))]) {
          expect(kindOf(cut), cut.slice(0, 200)).toBe(kind(cut));
          checked++;
        }
      }
    }
    expect(checked).toBe(400 * 4 * 3);
  });
});
