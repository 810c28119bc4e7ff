import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runCode } from './run-code.js';
import type { RunEvent } from './run-event.js';
import type { SandboxExecuteRequestV1 } from './spec/sandbox-execute-request-v1.js';
import type { SandboxExecuteResultV1 } from './spec/sandbox-execute-result-v1.js';
import type { SandboxV1 } from './spec/sandbox-v1.js';
import { defineTool } from './tool.js';

// A test double playing the adapter's side of the spec, to pin down what core does with the chunks
// an adapter reports (or does not). Real adapters run the conformance suite's event cases.
function scriptedSandbox(liveOutput: boolean | undefined, script: (request: SandboxExecuteRequestV1) => Promise<SandboxExecuteResultV1>): SandboxV1 & { requests: SandboxExecuteRequestV1[] } {
  const requests: SandboxExecuteRequestV1[] = [];
  return {
    specificationVersion: 'v1',
    sandboxId: 'scripted',
    capabilities: { languages: ['javascript'], isolation: 'isolate', network: false, filesystem: false, processApi: false, memoryLimit: false, ...(liveOutput === undefined ? {} : { liveOutput }) },
    requests,
    execute: (request) => {
      requests.push(request);
      return script(request);
    },
    dispose: async () => undefined,
    [Symbol.asyncDispose]: async () => undefined,
  };
}

const double = defineTool({ name: 'double', input: z.object({ n: z.number() }), execute: ({ n }) => n * 2 });
const summary = (events: RunEvent[]): string[] => events.map((event) => ('text' in event ? `${event.type}:${event.text}` : `${event.type}:${event.toolName}`));

describe('runCode onEvent', () => {
  it('relays live chunks and tool calls in the order the adapter made them', async () => {
    const sandbox = scriptedSandbox(true, async (request) => {
      request.onEvent?.({ type: 'stdout', text: 'before\n' });
      const answer = await request.callTool({ name: 'double', inputJson: '{"n":2}' });
      request.onEvent?.({ type: 'stderr', text: 'after\n' });
      return { type: 'success', valueJson: answer.type === 'success' ? answer.outputJson : undefined, stdout: 'before\n', stderr: 'after\n', outputTruncated: false };
    });
    const events: RunEvent[] = [];
    const result = await runCode({ sandbox, tools: [double], code: 'x', onEvent: (event) => events.push(event) });
    expect(result).toMatchObject({ type: 'success', value: 4 });
    expect(summary(events)).toEqual(['stdout:before\n', 'tool-call-start:double', 'tool-call-end:double', 'stderr:after\n']);
    const end = events.find((event) => event.type === 'tool-call-end');
    expect(end).toMatchObject({ toolCallId: 'call_1', record: { id: 'call_1', output: 4 }, executionId: result.executionId });
  });

  it('reports the output of an adapter without liveOutput once, when the run ends', async () => {
    const sandbox = scriptedSandbox(undefined, async (request) => {
      await request.callTool({ name: 'double', inputJson: '{"n":2}' });
      return { type: 'success', valueJson: undefined, stdout: 'all\nof it\n', stderr: 'warn\n', outputTruncated: false };
    });
    const events: RunEvent[] = [];
    const result = await runCode({ sandbox, tools: [double], code: 'x', onEvent: (event) => events.push(event) });
    expect(summary(events)).toEqual(['tool-call-start:double', 'tool-call-end:double', 'stdout:all\nof it\n', 'stderr:warn\n']);
    expect(result.stdout).toBe('all\nof it\n');
  });

  it('holds chunks to maxOutputBytes even when the adapter sends more, and never repeats output', async () => {
    const sandbox = scriptedSandbox(true, async (request) => {
      for (let index = 0; index < 10; index++) request.onEvent?.({ type: 'stdout', text: '0123456789' });
      request.onEvent?.({ type: 'stdout', text: '' });
      request.onEvent?.({ type: 'bogus', text: 'x' } as never);
      request.onEvent?.(null as never);
      return { type: 'success', valueJson: undefined, stdout: '0123456789'.repeat(3), stderr: '', outputTruncated: true };
    });
    const events: RunEvent[] = [];
    const result = await runCode({ sandbox, code: 'x', limits: { maxOutputBytes: 25 }, onEvent: (event) => events.push(event) });
    const streamed = events.filter((event) => event.type === 'stdout').map((event) => (event as { text: string }).text).join('');
    expect(streamed).toBe(result.stdout);
    expect(Buffer.byteLength(streamed)).toBe(25);
  });

  it('passes no onEvent to the adapter without a listener, and a throwing listener changes nothing', async () => {
    const sandbox = scriptedSandbox(true, async (request) => {
      request.onEvent?.({ type: 'stdout', text: 'hi\n' });
      await request.callTool({ name: 'double', inputJson: '{"n":1}' });
      return { type: 'success', valueJson: '1', stdout: 'hi\n', stderr: '', outputTruncated: false };
    });
    await runCode({ sandbox, tools: [double], code: 'x' });
    expect(sandbox.requests[0]?.onEvent).toBeUndefined();
    const result = await runCode({ sandbox, tools: [double], code: 'x', onEvent: () => {
      throw new Error('listener bug');
    } });
    expect(result).toMatchObject({ type: 'success', value: 1, stdout: 'hi\n' });
    expect(result.toolCalls[0]).toMatchObject({ output: 2 });
  });

  it('pairs start and end for refused calls too, and stops announcing calls past the limit\'s one traced refusal', async () => {
    const sandbox = scriptedSandbox(true, async (request) => {
      const first = request.callTool({ name: 'nope', inputJson: '{}' });
      // Announced synchronously, before validation, in the order the adapter made the calls.
      const announced = events.filter((event) => event.type === 'tool-call-start').length;
      await first;
      for (let index = 0; index < 4; index++) await request.callTool({ name: 'double', inputJson: '{"n":1}' });
      return { type: 'success', valueJson: String(announced), stdout: '', stderr: '', outputTruncated: false };
    });
    const events: RunEvent[] = [];
    const result = await runCode({ sandbox, tools: [double], code: 'x', limits: { maxToolCalls: 2 }, onEvent: (event) => events.push(event) });
    expect(result).toMatchObject({ type: 'success', value: 1 });
    expect(summary(events)).toEqual([
      'tool-call-start:nope',
      'tool-call-end:nope',
      'tool-call-start:double',
      'tool-call-end:double',
      'tool-call-start:double',
      'tool-call-end:double',
    ]);
    const ends = events.flatMap((event) => (event.type === 'tool-call-end' ? [event.record.error?.code] : []));
    expect(ends).toEqual(['UNKNOWN_TOOL', undefined, 'TOOL_CALL_LIMIT']);
    expect(result.toolCalls).toHaveLength(3);
  });

  it('ignores chunks the adapter reports after execute settled', async () => {
    let late: ((text: string) => void) | undefined;
    const sandbox = scriptedSandbox(true, async (request) => {
      late = (text) => request.onEvent?.({ type: 'stdout', text });
      return { type: 'success', valueJson: undefined, stdout: '', stderr: '', outputTruncated: false };
    });
    const events: RunEvent[] = [];
    await runCode({ sandbox, code: 'x', onEvent: (event) => events.push(event) });
    late?.('too late');
    expect(events).toEqual([]);
  });
});
