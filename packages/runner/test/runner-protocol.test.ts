import { isDeepStrictEqual } from 'node:util';
import { describe, expect, test, vi } from 'vitest';
import { JsonLinesDecoder, encodeRunnerMessage, parseRunnerMessage, runnerProtocolVersion } from '../src/index.js';
import type { RunnerToHostMessage } from '../src/index.js';

const messages: RunnerToHostMessage[] = [
  { t: 'ready', v: runnerProtocolVersion, runtime: 'node', version: 'v24', pid: 1 },
  { t: 'out', fd: 1, d: 'héllo 🌍 wörld\n' },
  { t: 'call', id: 1, name: 'a.b', input: '{"x":"\\u00e9\\n"}' },
  { t: 'done', value: '"ünïcode 😀"' },
];

describe('JsonLinesDecoder', () => {
  test('reassembles lines and UTF-8 characters split at every byte offset', () => {
    const bytes = Buffer.from(messages.map((message) => encodeRunnerMessage(message)).join(''));
    for (let split = 1; split < bytes.length; split++) {
      const decoder = new JsonLinesDecoder();
      const lines = [...decoder.push(bytes.subarray(0, split)), ...decoder.push(bytes.subarray(split))];
      expect(lines.map((line) => parseRunnerMessage(line))).toStrictEqual(messages);
    }
  });

  test('handles one-byte chunks and many lines per chunk', () => {
    const bytes = Buffer.from(messages.map((message) => encodeRunnerMessage(message)).join('').repeat(3));
    const decoder = new JsonLinesDecoder();
    const lines: string[] = [];
    for (const byte of bytes) lines.push(...decoder.push(Uint8Array.of(byte)));
    expect(lines).toHaveLength(messages.length * 3);
    expect(decoder.pendingBytes).toBe(0);
  });

  test('keeps an unfinished line sent a byte at a time in memory proportional to its bytes', () => {
    // Before, each chunk was kept as a buffer of its own: about 100 bytes of heap per byte of line,
    // which a runner writing a never-ending line a byte at a time grew without limit.
    const decoder = new JsonLinesDecoder({ maxLineBytes: 8 * 1024 * 1024 });
    const chunk = Uint8Array.of(0x61); // The transport may reuse its buffer: one for every push.
    const bytes = 2_000_000;
    const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    for (let index = 0; index < bytes; index++) decoder.push(chunk);
    const grown = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - before;
    expect(decoder.pendingBytes).toBe(bytes);
    // The line's 2 MB in a buffer at most twice its size, plus the garbage of the pushes not yet
    // collected; before, about 200 MB.
    expect(grown).toBeLessThan(80 * 1024 * 1024);
    const [line] = decoder.push('\n');
    expect(line).toBe('a'.repeat(bytes));
    expect(decoder.pendingBytes).toBe(0);
  });

  test('refuses a line longer than maxLineLength, even before its newline arrives', () => {
    const decoder = new JsonLinesDecoder({ maxLineBytes: 100 });
    expect(() => decoder.push('x'.repeat(60))).not.toThrow();
    expect(() => decoder.push('y'.repeat(60))).toThrow(RangeError);
  });
});

describe('parseRunnerMessage', () => {
  test.each([
    ['not json', 'not JSON'],
    ['[1,2]', 'not a JSON object'],
    ['{"t":"nope"}', 'unknown message type'],
    ['{"t":"out","fd":3,"d":"x"}', 'malformed "out"'],
    ['{"t":"call","id":"1","name":"x"}', 'malformed "call"'],
    ['{"t":"done","value":42}', 'malformed "done"'],
    ['{"t":"error","error":"boom"}', 'malformed "error"'],
  ])('%s is a violation', (line, expected) => {
    const parsed = parseRunnerMessage(line);
    expect('violation' in parsed && parsed.violation).toContain(expected);
  });
});

describe('parseRunnerMessage: call lines', () => {
  // A call in the runners' own layout is read without parsing the whole line. The general path is
  // the reference: a leading space keeps a line off the fast path and means the same JSON.
  const general = (line: string): ReturnType<typeof parseRunnerMessage> => parseRunnerMessage(` ${line}`);
  const names = ['ping', 'a.b', 'é', '😀', 'x"y', 'back\\slash', 'tab\t', '\u0000', '', '\ud800', 'x'.repeat(256), 'x'.repeat(257)];
  const inputs = [undefined, '', '{"i":1}', '"\u2028"', 'x"y\\z', '\ud800', '\n', '{"deep":[[[[[[1]]]]]]}'];
  const ids = [1, 7, 999_999_999_999_999, Number.MAX_SAFE_INTEGER, 0, -1, 1.5];
  const written = ids.flatMap((id) => names.flatMap((name) => inputs.map((input) => JSON.stringify({ t: 'call', id, name, input }))));
  const handMade = [
    '{"t":"call","id":01,"name":"x"}',
    '{"t":"call","id":1e3,"name":"x"}',
    '{"t":"call","id":1,"name":"x","input":"a","extra":1}',
    '{"t":"call","id":1,"name":"x","input":"a","input":"b"}',
    '{"t":"call","id":1,"name":"x","input":5}',
    '{"t":"call","id":1,"name":"x","input":"a"}}',
    '{"t":"call","id":1,"name":"x","input":"a"',
    '{"t":"call","id":1,"name":"x"',
    '{"t":"call","id":1,"name":"x","input":"a\\"}',
    '{"t":"call","id":1,"name":"x","input":"a" }',
    '{"t":"call","id":1,"name":"a\tb"}',
    '{"t":"call","id":1,"name":"x","input":"a\nb"}',
    '{"t":"call","id":1,"name":"x","input":null}',
    '{"t":"call","id":1,"name":"x",}',
    '{"t":"call","id":1,"name":"x"}garbage}',
    '{"t":"call","id":1,"name":"x","input":"[[[[[[[[[["}',
    '{"t":"call","id":12345678901234567,"name":"x"}',
  ];

  test(`${written.length + handMade.length} lines read as the general path reads them`, () => {
    const differing = [...written, ...handMade].filter((line) => !isDeepStrictEqual(parseRunnerMessage(line), general(line)));
    expect(differing).toStrictEqual([]);
  });

  test('the runners\' layout reads as the message written', () => {
    const call = { t: 'call', id: 42, name: 'github.list-issues', input: '{"repo":"a/b","labels":["bug"]}' } as const;
    expect(parseRunnerMessage(JSON.stringify(call))).toStrictEqual(call);
    expect(parseRunnerMessage('{"t":"call","id":3,"name":"now"}')).toStrictEqual({ t: 'call', id: 3, name: 'now' });
  });

  test('the runners\' layout is not parsed as a whole line', () => {
    const line = JSON.stringify({ t: 'call', id: 9, name: 'ping', input: '{"i":9}' });
    const parse = vi.spyOn(JSON, 'parse');
    try {
      parseRunnerMessage(line);
      expect(parse.mock.calls.map(([text]) => text)).not.toContain(line);
    } finally {
      parse.mockRestore();
    }
  });
});

describe('runnerShellCommand (for adapters that only have one command’s stdin/stdout)', () => {
  test.each(['node', 'python'] as const)('%s: the runner speaks the protocol over stdin/stdout and fd-level guest writes cannot forge it', async (runtime) => {
    const { spawn } = await import('node:child_process');
    const { realpathSync } = await import('node:fs');
    const { execFileSync } = await import('node:child_process');
    const { nodeRunnerPath, pythonRunnerPath, runnerShellCommand } = await import('../src/index.js');
    const interpreter = runtime === 'node' ? process.execPath : realpathSync(execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim());
    const command = runnerShellCommand({ runtime, interpreter, runnerPath: runtime === 'node' ? nodeRunnerPath : pythonRunnerPath });
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'ignore'] });
    const decoder = new JsonLinesDecoder();
    const messages: RunnerToHostMessage[] = [];
    const finished = new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        for (const line of decoder.push(chunk)) {
          const message = parseRunnerMessage(line);
          if ('violation' in message) throw new Error(message.violation);
          messages.push(message);
          if (message.t === 'done' || message.t === 'error') resolve();
        }
      });
    });
    const fake = '{"t":"done","value":"42"}\\n';
    const code = runtime === 'node'
      ? `require("node:fs").writeSync(1, '${fake}');\nconsole.log("hi");\nreturn 7;`
      : `import os\nos.write(1, b'${fake}')\nprint("hi")\n7`;
    child.stdin.write(encodeRunnerMessage({ t: 'start', v: runnerProtocolVersion, language: runtime === 'node' ? 'javascript' : 'python', code, tools: [], limits: { maxValueBytes: 1000, maxOutputBytes: 1000 } }));
    await finished;
    child.kill('SIGKILL');
    expect(messages.map((message) => message.t)).toStrictEqual(['ready', 'out', 'done']);
    expect(messages[2]).toStrictEqual({ t: 'done', value: '7' });
  });
});
