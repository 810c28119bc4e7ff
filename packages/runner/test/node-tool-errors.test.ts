import { describe, expect, test } from 'vitest';
import { runInRunner } from './run-in-runner.js';

// The node runner raises a failed call's ToolError after the call's await, so its guest frames are
// V8's async stack trace (it no longer captures the caller's stack at every call). These pin what
// the guest and the host see: the line of the guest's await, whatever the guest did to
// Error.stackTraceLimit, and none of the tool function's own frames.

/** Runs `code` in a node runner whose host fails every call of `fail` and answers `ok` with 1; the final message. */
function run(code: string): Promise<Record<string, unknown>> {
  return runInRunner('node', code, {
    tools: [{ name: 'fail', identifier: 'fail' }, { name: 'ok', identifier: 'ok' }],
    limits: { maxValueBytes: 1 << 20, maxOutputBytes: 1 << 20 },
    answer: ({ name }) => (name === 'fail' ? { ok: false, code: 'TOOL_FAILED', message: 'quota exceeded' } : { ok: true, output: '1' }),
  });
}

const lines = (...text: string[]): string => text.join('\n');

describe('node runner: a failed call raises a ToolError at the guest line that awaited it', () => {
  test('an uncaught ToolError reports the line of the await', { timeout: 30_000 }, async () => {
    const final = await run(lines('const a = await ok({});', '', 'const b = await fail({});', 'return a + b;'));
    expect(final).toMatchObject({ t: 'error', error: { code: 'TOOL_ERROR', name: 'ToolError', toolErrorCode: 'TOOL_FAILED', message: 'quota exceeded', line: 3 } });
  });

  test('the line survives a guest that sets Error.stackTraceLimit to 0', { timeout: 30_000 }, async () => {
    const final = await run(lines('Error.stackTraceLimit = 0;', 'await ok({});', 'await fail({});'));
    expect(final).toMatchObject({ t: 'error', error: { code: 'TOOL_ERROR', line: 3 } });
  });

  test("a call awaited in a helper function reports the helper's line", { timeout: 30_000 }, async () => {
    const final = await run(lines('async function load(id) {', '  return await fail({ id });', '}', '', 'await load(1);'));
    expect(final).toMatchObject({ t: 'error', error: { code: 'TOOL_ERROR', line: 2 } });
  });

  test("the stack the guest sees starts with its own frames, not the tool function's", { timeout: 30_000 }, async () => {
    const final = await run(lines('try {', '  await fail({});', '} catch (error) {', '  return String(error.stack);', '}'));
    expect(final['t']).toBe('done');
    const stack = JSON.parse(String(final['value'])) as string;
    expect(stack.split('\n')[0]).toBe('ToolError: quota exceeded');
    expect(stack).toMatch(/guest\.js:2:/);
    // The tool function is named after the tool; none of its frames is above the guest's.
    expect(stack).not.toMatch(/at (async )?fail /);
  });

  test('an input that is not JSON fails at the line of the call, before anything is sent', { timeout: 30_000 }, async () => {
    const final = await run(lines('const x = {};', 'x.self = x;', 'await ok(x);'));
    expect(final).toMatchObject({ t: 'error', error: { code: 'TOOL_ERROR', toolErrorCode: 'INVALID_INPUT', line: 3 } });
  });
});
