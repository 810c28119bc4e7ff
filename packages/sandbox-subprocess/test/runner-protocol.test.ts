import { describe, expect, test } from 'vitest';
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
    expect(decoder.pendingLength).toBe(0);
  });

  test('refuses a line longer than maxLineLength, even before its newline arrives', () => {
    const decoder = new JsonLinesDecoder({ maxLineLength: 100 });
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
