// The host survives and stays bounded whatever the guest sends through an adapter: deep values,
// huge inputs and outputs, floods of calls, malformed calls, approvals it tries to decide.
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createDispatcher } from './dispatcher.js';
import type { DispatcherSettings } from './dispatcher.js';
import { maxValueDepth, toolCallPreviewBytes } from './limits.js';
import { resolveLimits } from './limits.js';
import type { Limits } from './limits.js';
import { runCode } from './run-code.js';
import type { SandboxExecuteRequestV1 } from './spec/sandbox-execute-request-v1.js';
import type { SandboxExecuteResultV1 } from './spec/sandbox-execute-result-v1.js';
import type { SandboxToolCallV1 } from './spec/sandbox-tool-call-v1.js';
import type { SandboxV1 } from './spec/sandbox-v1.js';
import { defineTool } from './tool.js';
import { createToolset } from './toolset.js';

function scriptedSandbox(script: (request: SandboxExecuteRequestV1) => Promise<SandboxExecuteResultV1>): SandboxV1 {
  return {
    specificationVersion: 'v1',
    sandboxId: 'scripted',
    capabilities: { languages: ['javascript'], isolation: 'isolate', network: false, filesystem: false, processApi: false, memoryLimit: false },
    execute: script,
    dispose: async () => undefined,
    [Symbol.asyncDispose]: async () => undefined,
  };
}

const output = { stdout: '', stderr: '', outputTruncated: false };
const echo = defineTool({ name: 'echo', input: z.object({}).passthrough(), execute: (input) => input });
const big = defineTool({ name: 'big', input: z.object({ size: z.number() }), execute: ({ size }) => 'y'.repeat(size) });

function dispatcher(tools: Parameters<typeof createToolset>[0], limits: Limits = {}, extra: Partial<DispatcherSettings> = {}) {
  return createDispatcher({ tools: createToolset(tools), limits: resolveLimits(limits), executionId: 'run-1', ...extra });
}

const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const nestedObjects = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('the host stays bounded', () => {
  it('refuses a return value nested deeper than maxValueDepth, so formatting the result cannot overflow the stack', async () => {
    for (const valueJson of [nested(200_000), nestedObjects(100_000), `[${nested(maxValueDepth)}]`]) {
      const sandbox = scriptedSandbox(async () => ({ type: 'success', valueJson, ...output }));
      const result = await runCode({ sandbox, code: '' });
      expect(result).toMatchObject({ type: 'error', error: { code: 'OUTPUT_LIMIT' } });
      expect(() => JSON.stringify(result)).not.toThrow();
    }
    // Depth up to the limit is a value like any other; brackets inside strings do not count.
    for (const valueJson of [nested(maxValueDepth), JSON.stringify(['['.repeat(10_000)])]) {
      const sandbox = scriptedSandbox(async () => ({ type: 'success', valueJson, ...output }));
      const result = await runCode({ sandbox, code: '' });
      expect(result.type).toBe('success');
      expect(() => JSON.stringify(result)).not.toThrow();
    }
  });

  it('refuses a tool input nested deeper than maxValueDepth before parsing or validating it', async () => {
    const execute = vi.fn((input: unknown) => input);
    const d = dispatcher([defineTool({ name: 'echo', input: z.object({}).passthrough(), execute })]);
    const result = await d.callTool({ name: 'echo', inputJson: nestedObjects(100_000) });
    expect(result).toMatchObject({ type: 'error', code: 'INVALID_INPUT' });
    expect(execute).not.toHaveBeenCalled();
    expect(() => JSON.stringify(d.records)).not.toThrow();
  });

  it(`keeps bounded previews (${toolCallPreviewBytes} bytes) of large inputs and outputs in the trace, and the full values on the bridge`, async () => {
    const d = dispatcher([echo, big]);
    const inputJson = JSON.stringify({ text: 'x'.repeat(1_000_000) });
    const echoed = await d.callTool({ name: 'echo', inputJson });
    expect(echoed).toEqual({ type: 'success', outputJson: inputJson });
    const large = await d.callTool({ name: 'big', inputJson: '{"size":2000000}' });
    expect(large.type === 'success' && large.outputJson?.length).toBe(2_000_002);
    const small = await d.callTool({ name: 'echo', inputJson: '{"a":[1,2,3]}' });
    expect(small.type).toBe('success');
    const [first, second, third] = d.records;
    expect(first).toMatchObject({ inputTruncated: true, outputTruncated: true });
    expect(typeof first?.input).toBe('string');
    expect(String(first?.input).startsWith('{"text":"xxx')).toBe(true);
    expect(second).toMatchObject({ input: { size: 2_000_000 }, outputTruncated: true });
    expect(second?.inputTruncated).toBeUndefined();
    expect(third).toMatchObject({ input: { a: [1, 2, 3] }, output: { a: [1, 2, 3] } });
    expect(third?.inputTruncated).toBeUndefined();
    for (const record of d.records) expect(Buffer.byteLength(JSON.stringify(record))).toBeLessThan(2 * toolCallPreviewBytes + 1_024);
  });

  it('bounds the name of an unknown tool in the trace and the error', async () => {
    const d = dispatcher([echo]);
    const result = await d.callTool({ name: 'n'.repeat(5_000_000), inputJson: '{}' });
    expect(result).toMatchObject({ type: 'error', code: 'UNKNOWN_TOOL' });
    expect(result.type === 'error' && result.message.length).toBeLessThan(1_000);
    expect(d.records[0]?.name.length).toBeLessThanOrEqual(200);
  });

  it('keeps no record per call refused past maxToolCalls: a flood of calls costs no memory', async () => {
    const onToolCall = vi.fn();
    const d = dispatcher([echo], { maxToolCalls: 3 }, { onToolCall });
    const results = [];
    for (let index = 0; index < 20_000; index++) results.push(await d.callTool({ name: 'echo', inputJson: '{}' }));
    expect(results.filter((result) => result.type === 'success')).toHaveLength(3);
    expect(results.slice(3).every((result) => result.type === 'error' && result.code === 'TOOL_CALL_LIMIT')).toBe(true);
    expect(d.records.length).toBeLessThanOrEqual(4);
    expect(onToolCall.mock.calls.length).toBeLessThanOrEqual(4);
  });

  it('answers malformed calls with an error result and never rejects', async () => {
    const d = dispatcher([echo]);
    const throwingName = { toString: () => { throw new Error('boom'); } };
    const calls: unknown[] = [
      null,
      undefined,
      42,
      { name: Symbol('x') },
      { name: throwingName },
      { name: 'echo', inputJson: 12 },
      { name: 'echo', inputJson: { toString: () => '{}' } },
      { name: 'echo', get inputJson() { throw new Error('getter'); } },
    ];
    for (const call of calls) {
      const result = await d.callTool(call as SandboxToolCallV1);
      expect(result.type).toBe('error');
    }
    expect(() => JSON.stringify(d.records)).not.toThrow();
  });
});

describe('no approval is decided by the guest', () => {
  const guarded = (execute: () => unknown) => defineTool({ name: 'delete_all', input: z.object({}).passthrough(), needsApproval: true, execute });

  it('denies unless onApproval answers exactly true, whatever the call carries', async () => {
    for (const answer of ['yes', 1, {}, 'true', Promise.resolve('approved')] as unknown[]) {
      const execute = vi.fn(() => 'deleted');
      const d = dispatcher([guarded(execute)], {}, { onApproval: () => answer as boolean });
      const result = await d.callTool({ name: 'delete_all', inputJson: '{"approved":true,"approval":"approved"}' });
      expect(result).toMatchObject({ type: 'error', code: 'DENIED' });
      expect(d.records[0]?.approval).toBe('denied');
      expect(execute).not.toHaveBeenCalled();
    }
    const execute = vi.fn(() => 'deleted');
    const d = dispatcher([guarded(execute)]);
    const forged = { name: 'delete_all', inputJson: '{}', approved: true, approval: 'approved', needsApproval: false } as SandboxToolCallV1;
    expect(await d.callTool(forged)).toMatchObject({ type: 'error', code: 'DENIED' });
    expect(execute).not.toHaveBeenCalled();
  });

  it('denies when needsApproval or onApproval throws', async () => {
    const execute = vi.fn(() => 'deleted');
    const throwingCheck = defineTool({ name: 'drop', input: z.object({}), needsApproval: () => { throw new Error('no'); }, execute });
    const d = dispatcher([throwingCheck, guarded(execute)], {}, { onApproval: () => { throw new Error('callback failed'); } });
    expect((await d.callTool({ name: 'drop', inputJson: '{}' })).type).toBe('error');
    expect((await d.callTool({ name: 'delete_all', inputJson: '{}' })).type).toBe('error');
    expect(execute).not.toHaveBeenCalled();
  });

  it('hands onApproval a copy: changing the input after approval does not change what the handler gets', async () => {
    const execute = vi.fn((input: unknown) => input);
    const tool = defineTool({ name: 'transfer', input: z.object({ amount: z.number() }), needsApproval: true, execute });
    const d = dispatcher([tool], {}, {
      onApproval: (request) => {
        const approved = (request.input as { amount: number }).amount < 10;
        (request.input as { amount: number }).amount = 1_000_000;
        return approved;
      },
    });
    expect(await d.callTool({ name: 'transfer', inputJson: '{"amount":5}' })).toEqual({ type: 'success', outputJson: '{"amount":5}' });
  });
});
