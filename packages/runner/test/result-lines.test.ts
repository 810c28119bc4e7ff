import { describe, expect, test } from 'vitest';
import { runInRunner } from './run-in-runner.js';

// The host writes a result as `JSON.stringify({ t: 'result', id, ok, output })`, and the node
// runner reads that exact layout without parsing the whole line. These pin that the runners read
// every other layout of the same JSON (spaces, other key order, extra fields) the same way, and the
// escapes of the exact layout too.

const value = 'quote " backslash \\ é 😀 \u2028 \u0000';
const answers: readonly string[] = [
  JSON.stringify({ t: 'result', id: 1, ok: true, output: JSON.stringify(value) }),
  JSON.stringify({ t: 'result', id: 2, ok: true }),
  '{"t":"result","id":3,"ok":true,"output":"[1,2]","extra":true}',
  '{ "t": "result", "id": 4, "ok": true, "output": "4" }',
  '{"t":"result","ok":true,"id":5,"output":"5"}',
  JSON.stringify({ t: 'result', id: 6, ok: false, code: 'TOOL_FAILED', message: 'no' }),
  '{"t":"result","id":7,"ok":true,"output":"{\\"nested\\":\\"\\\\u00e9\\"}"}',
];
const expected = [value, null, [1, 2], 4, 5, 'error:TOOL_FAILED', { nested: 'é' }];

const code = {
  node: [
    'const out = [];',
    `for (let i = 0; i < ${answers.length}; i++) {`,
    '  try { const r = await echo({ i }); out.push(r === undefined ? null : r); } catch (error) { out.push(`error:${error.code}`); }',
    '}',
    'return out;',
  ].join('\n'),
  python: [
    'out = []',
    `for i in range(${answers.length}):`,
    '    try:',
    '        out.append(await echo({"i": i}))',
    '    except Exception as error:',
    '        out.append("error:" + error.code)',
    'out',
  ].join('\n'),
};

describe.each(['node', 'python'] as const)('%s runner: result lines in any JSON layout', (runtime) => {
  test('every layout of a result gives the guest the same answer', { timeout: 30_000 }, async () => {
    const final = await runInRunner(runtime, code[runtime], {
      tools: [{ name: 'echo', identifier: 'echo' }],
      limits: { maxValueBytes: 1 << 20, maxOutputBytes: 1 << 20 },
      answer: ({ id }) => answers[id - 1] as string,
    });
    expect(final['t']).toBe('done');
    expect(JSON.parse(String(final['value']))).toStrictEqual(expected);
  });
});

// The node runner reads its stream in two ways: its stream reader, and a poll right after it sent a
// call (see pollForResults in node-runner.mjs), which can take the rest of a line the reader began,
// or the reverse. These split every answer inside a multi-byte character and send the second part
// 20 us later (both pieces usually read by the poll, one read each) or 2 ms later (after the poll
// gave up: the stream reader reads it). Which path reads what depends on timing: a runner that
// decodes each path on its own failed this in 3 of 4 runs on the development VM, not in all.
const splitValue = 'é😀€'.repeat(20);
const splitCalls = 300;

describe.each(['node', 'python'] as const)('%s runner: answers split across reads', (runtime) => {
  test('a line split inside a character, read partly by each path, gives the guest the same text', { timeout: 30_000 }, async () => {
    const splitCode = {
      node: `const out = [];\nfor (let i = 0; i < ${splitCalls}; i++) out.push(await echo({ i }));\nreturn out;`,
      python: `out = []\nfor i in range(${splitCalls}):\n    out.append(await echo({"i": i}))\nout`,
    };
    const final = await runInRunner(runtime, splitCode[runtime], {
      tools: [{ name: 'echo', identifier: 'echo' }],
      limits: { maxValueBytes: 1 << 20, maxOutputBytes: 1 << 20 },
      answer: () => ({ ok: true, output: JSON.stringify(splitValue) }),
      deliver: (call, line, write) => {
        // Split after the first byte of the first '😀' (four bytes in UTF-8).
        const cut = line.indexOf(Buffer.from('😀')) + 1;
        expect(cut).toBeGreaterThan(0);
        write(line.subarray(0, cut));
        if (call.id % 3 === 0) {
          setTimeout(() => write(line.subarray(cut)), 2);
          return;
        }
        const until = performance.now() + 0.02;
        while (performance.now() < until);
        write(line.subarray(cut));
      },
    });
    expect(final['t']).toBe('done');
    expect(JSON.parse(String(final['value']))).toStrictEqual(Array.from({ length: splitCalls }, () => splitValue));
  });
});

describe('node runner: a guest that mocks fs.readSync', () => {
  test('the runner keeps reading its stream with the real one', { timeout: 30_000 }, async () => {
    const mockCode = [
      "const fs = require('node:fs');",
      // A mock that claims to have read bytes: the runner's poll must not be fed by it.
      'fs.readSync = () => 10;',
      'const out = [];',
      'for (let i = 0; i < 50; i++) out.push(await echo({ i }));',
      'return out;',
    ].join('\n');
    const final = await runInRunner('node', mockCode, {
      tools: [{ name: 'echo', identifier: 'echo' }],
      answer: (call) => ({ ok: true, output: String(JSON.parse(call.input ?? '{}').i) }),
    });
    expect(final).toMatchObject({ t: 'done' });
    expect(JSON.parse(String(final['value']))).toStrictEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
