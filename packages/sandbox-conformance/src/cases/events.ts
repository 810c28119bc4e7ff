import type { RunEvent } from '@codecall/core';
import { defineTool } from '@codecall/core';
import { expect } from 'vitest';
import { z } from 'zod';
import { addTool, expectSuccess } from '../case-helpers.js';
import { defineCase, lines } from '../conformance-case.js';
import type { ConformanceCase } from '../conformance-case.js';

// Compact view of a run's events, for order assertions and readable failures.
function summarize(events: readonly RunEvent[]): string[] {
  return events.map((event) => ('text' in event ? `${event.type} ${JSON.stringify(event.text)}` : `${event.type} ${event.toolName} ${event.toolCallId}`));
}

function joined(events: readonly RunEvent[], type: 'stdout' | 'stderr'): string {
  return events.map((event) => (event.type === type ? event.text : '')).join('');
}

// Every tool call is announced once and ended once, with the same id, start before end.
function expectPairedCalls(events: readonly RunEvent[], count: number): void {
  const starts = events.flatMap((event, index) => (event.type === 'tool-call-start' ? [[event.toolCallId, index] as const] : []));
  const ends = new Map(events.flatMap((event, index) => (event.type === 'tool-call-end' ? [[event.toolCallId, index] as const] : [])));
  expect(starts).toHaveLength(count);
  expect(ends.size).toBe(count);
  for (const [id, index] of starts) expect(ends.get(id) ?? -1).toBeGreaterThan(index);
}

const liveOutput = defineCase<string>({
  id: 'events.live-output',
  description:
    'With an onEvent listener, output reaches it while the run goes on: a chunk written before a tool call arrives before that call starts (the handler has already seen it), output after the call arrives after the call ended, and each stream\'s chunks add up to the result\'s stdout/stderr.',
  requires: { liveOutput: true },
  code: {
    javascript: lines(
      'console.log("first");',
      'const seen = await saw_output({});',
      'console.error("second");',
      'const sum = await add({ a: 1, b: 2 });',
      'console.log("third", sum);',
      'return seen;',
    ),
    python: lines(
      'import sys',
      'print("first")',
      'seen = await saw_output({})',
      'print("second", file=sys.stderr)',
      'total = await add({"a": 1, "b": 2})',
      'print("third", total)',
      'return seen',
    ),
  },
  run: async (context, code) => {
    const events: RunEvent[] = [];
    // The handler answers from what the listener has received so far: no waiting, no clock.
    const sawOutput = defineTool({
      name: 'saw_output',
      description: 'Says whether the host has received the guest output written so far.',
      input: z.looseObject({}),
      execute: () => joined(events, 'stdout').includes('first\n'),
    });
    const result = expectSuccess(await context.run({ validation: false, code, tools: [sawOutput, addTool().tool], onEvent: (event) => events.push(event) }));
    const order = summarize(events);
    expect(result.value, order.join('\n')).toBe(true);
    const index = (prefix: string): number => order.findIndex((entry) => entry.startsWith(prefix));
    expect(index('stdout "first'), order.join('\n')).toBeGreaterThanOrEqual(0);
    expect(index('stdout "first')).toBeLessThan(index('tool-call-start saw_output'));
    expect(index('tool-call-end saw_output')).toBeLessThan(index('stderr "second'));
    expect(index('stderr "second')).toBeLessThan(index('tool-call-start add'));
    expect(index('tool-call-end add')).toBeLessThan(index('stdout "third'));
    expectPairedCalls(events, 2);
    expect(joined(events, 'stdout')).toBe(result.stdout);
    expect(joined(events, 'stderr')).toBe(result.stderr);
    expect(result.stdout).toBe('first\nthird 3\n');
    expect(result.stderr).toBe('second\n');
  },
});

const liveTruncation = defineCase<string>({
  id: 'events.live-output-truncated',
  description:
    'Streamed output respects maxOutputBytes: chunks stop at the budget (stdout and stderr together), add up to the result\'s output, and the result is marked outputTruncated; the run goes on.',
  requires: { liveOutput: true },
  code: {
    javascript: lines('for (let i = 0; i < 200; i++) { console.log("line-" + String(i).padStart(3, "0")); if (i % 50 === 0) console.error("e" + i); }', 'return "ok";'),
    python: lines('import sys', 'for i in range(200):', '    print("line-%03d" % i)', '    if i % 50 == 0:', '        print("e%d" % i, file=sys.stderr)', 'return "ok"'),
  },
  run: async (context, code) => {
    const events: RunEvent[] = [];
    const maxOutputBytes = 300;
    const result = expectSuccess(await context.run({ validation: false, code, limits: { maxOutputBytes }, onEvent: (event) => events.push(event) }));
    expect(result.value).toBe('ok');
    expect(result.outputTruncated).toBe(true);
    const stdout = joined(events, 'stdout');
    const stderr = joined(events, 'stderr');
    expect(stdout).toBe(result.stdout);
    expect(stderr).toBe(result.stderr);
    expect(Buffer.byteLength(stdout) + Buffer.byteLength(stderr)).toBeLessThanOrEqual(maxOutputBytes);
    expect(stdout.startsWith('line-000\n')).toBe(true);
    expect(stdout).not.toContain('line-199');
  },
});

const anyAdapter = defineCase<string>({
  id: 'events.any-adapter',
  description:
    'onEvent works on every adapter, live output or not: each tool call gets a tool-call-start and a tool-call-end with the same id, the end carrying the call\'s trace record, and the output chunks (streamed, or reported when the run ends) add up to the result\'s stdout/stderr.',
  code: {
    javascript: lines('console.log("a");', 'const [x, y] = await Promise.all([add({ a: 1, b: 1 }), add({ a: 2, b: 2 })]);', 'console.error("b");', 'return x + y;'),
    python: lines(
      'import sys, asyncio',
      'print("a")',
      'x, y = await asyncio.gather(add({"a": 1, "b": 1}), add({"a": 2, "b": 2}))',
      'print("b", file=sys.stderr)',
      'return x + y',
    ),
  },
  run: async (context, code) => {
    const events: RunEvent[] = [];
    const result = expectSuccess(await context.run({ validation: false, code, tools: [addTool().tool], onEvent: (event) => events.push(event) }));
    expect(result.value).toBe(6);
    expectPairedCalls(events, 2);
    expect(events.filter((event) => event.type === 'tool-call-end').every((event) => event.type === 'tool-call-end' && event.record.output !== undefined)).toBe(true);
    const records = events.flatMap((event) => (event.type === 'tool-call-end' ? [event.record] : []));
    expect(records.map((record) => record.id).sort()).toEqual(result.toolCalls.map((record) => record.id).sort());
    expect(joined(events, 'stdout')).toBe(result.stdout);
    expect(joined(events, 'stderr')).toBe(result.stderr);
    expect(result.stdout).toBe('a\n');
    expect(result.stderr).toBe('b\n');
    for (const event of events) expect(event.executionId).toBe(result.executionId);
  },
});

/** Cases of the `events` area: `runCode({ onEvent })` output chunks and tool-call events. */
export const eventCases: readonly ConformanceCase[] = [liveOutput, liveTruncation, anyAdapter];
