import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SandboxError } from './errors.js';
import { runCode } from './run-code.js';
import type { SandboxExecuteRequestV1 } from './spec/sandbox-execute-request-v1.js';
import type { SandboxExecuteResultV1 } from './spec/sandbox-execute-result-v1.js';
import type { SandboxV1 } from './spec/sandbox-v1.js';
import { defineTool } from './tool.js';

// A test double that plays the adapter's side of the spec with a host function instead of guest
// code: it lets these tests pin down what core does with whatever an adapter reports. Real
// adapters are tested against the conformance suite.
function scriptedSandbox(script: (request: SandboxExecuteRequestV1) => Promise<SandboxExecuteResultV1>): SandboxV1 & { requests: SandboxExecuteRequestV1[] } {
  const requests: SandboxExecuteRequestV1[] = [];
  return {
    specificationVersion: 'v1',
    sandboxId: 'scripted',
    capabilities: { languages: ['javascript'], isolation: 'isolate', network: false, filesystem: false, processApi: false, memoryLimit: false },
    requests,
    execute: (request) => {
      requests.push(request);
      return script(request);
    },
    dispose: async () => undefined,
    [Symbol.asyncDispose]: async () => undefined,
  };
}

const output = { stdout: '', stderr: '', outputTruncated: false };
const double = defineTool({ name: 'double', input: z.object({ n: z.number() }), execute: ({ n }) => n * 2 });

describe('runCode', () => {
  it('hands the adapter resolved limits and tools, and decodes the value', async () => {
    const sandbox = scriptedSandbox(async (request) => {
      const first = await request.callTool({ name: 'double', inputJson: '{"n":21}' });
      return { type: 'success', valueJson: first.type === 'success' ? first.outputJson : undefined, ...output, stdout: 'hi\n' };
    });
    const result = await runCode({ sandbox, tools: [double], code: 'return 1', limits: { timeoutMs: 1_000 } });
    expect(result).toMatchObject({ type: 'success', value: 42, stdout: 'hi\n' });
    expect(result.toolCalls).toHaveLength(1);
    expect(result.toolCalls[0]).toMatchObject({ name: 'double', input: { n: 21 }, output: 42 });
    const request = sandbox.requests[0]!;
    expect(request.limits.timeoutMs).toBe(1_000);
    expect(request.limits.maxToolCalls).toBe(1_000);
    expect(request.tools).toEqual([{ name: 'double', identifier: 'double', parameters: [{ name: 'n', required: true }] }]);
    expect(request.language).toBe('javascript');
    expect(request.executionId).toBe(result.executionId);
  });

  it('sees a tools array changed between runs (the toolset is reused only while it holds the same tools)', async () => {
    const sandbox = scriptedSandbox(async (request) => {
      const answer = await request.callTool({ name: request.tools[0]?.name ?? '', inputJson: '{"n":2}' });
      return { type: 'success', valueJson: answer.type === 'success' ? answer.outputJson : undefined, ...output };
    });
    const triple = defineTool({ name: 'triple', input: z.object({ n: z.number() }), execute: ({ n }) => n * 3 });
    const tools: (typeof double | typeof triple)[] = [double];
    expect(await runCode({ sandbox, tools, code: '' })).toMatchObject({ value: 4 });
    expect(await runCode({ sandbox, tools, code: '' })).toMatchObject({ value: 4 });
    tools[0] = triple;
    expect(await runCode({ sandbox, tools, code: '' })).toMatchObject({ value: 6 });
    tools.push(double);
    expect(await runCode({ sandbox, tools, code: '' })).toMatchObject({ value: 6 });
    expect(sandbox.requests.at(-1)?.tools.map((tool) => tool.name)).toEqual(['triple', 'double']);
    // Plain JSON Schema definitions can be edited in place: they are read again on every run.
    const definition = { name: 'echo', inputSchema: { type: 'object', properties: { n: { type: 'number' } } }, execute: (input: unknown) => input };
    const plain = [definition];
    await runCode({ sandbox, tools: plain, code: '' });
    definition.inputSchema.properties = { m: { type: 'number' } } as never;
    await runCode({ sandbox, tools: plain, code: '' });
    expect(sandbox.requests.at(-1)?.tools[0]?.parameters?.map((parameter) => parameter.name)).toEqual(['m']);
  });

  it('throws host faults as SandboxError and returns guest failures', async () => {
    const failing = scriptedSandbox(async () => ({ type: 'error', error: { code: 'RUNTIME_ERROR', name: 'TypeError', message: 'x is not a function', line: 3 }, ...output }));
    await expect(runCode({ sandbox: failing, code: 'x()', language: 'python' })).rejects.toMatchObject({ code: 'UNSUPPORTED_LANGUAGE' });
    await expect(runCode({ sandbox: { ...failing, specificationVersion: 'v2' } as unknown as SandboxV1, code: '' })).rejects.toMatchObject({ code: 'UNSUPPORTED_SPECIFICATION' });
    await expect(runCode({ sandbox: failing, code: '', limits: { timeoutMs: -1 } })).rejects.toSatisfy((error) => SandboxError.isInstance(error));
    const result = await runCode({ sandbox: failing, code: 'x()' });
    expect(result).toMatchObject({ type: 'error', error: { code: 'RUNTIME_ERROR', name: 'TypeError', line: 3 } });

    const broken = scriptedSandbox(() => Promise.reject(new Error('native addon missing')));
    await expect(runCode({ sandbox: broken, code: '' })).rejects.toSatisfy((error) => SandboxError.isInstance(error));
  });

  it('sanitizes what the adapter reports and enforces output and value limits again', async () => {
    const sandbox = scriptedSandbox(async () => ({
      type: 'error',
      error: { code: 'FORGED' as never, name: 'E', message: 'm'.repeat(10_000), line: -4 },
      stdout: 'é'.repeat(100),
      stderr: 'err',
      outputTruncated: false,
    }));
    const result = await runCode({ sandbox, code: '', limits: { maxOutputBytes: 50 } });
    expect(result.type).toBe('error');
    if (result.type !== 'error') return;
    expect(result.error.code).toBe('RUNTIME_ERROR');
    expect(result.error.message.length).toBeLessThanOrEqual(4_000);
    expect(result.error.line).toBeUndefined();
    expect(Buffer.byteLength(result.stdout)).toBe(50);
    expect(result.stdout).toBe('é'.repeat(25));
    expect(result.stderr).toBe('');
    expect(result.outputTruncated).toBe(true);

    const huge = scriptedSandbox(async () => ({ type: 'success', valueJson: JSON.stringify('x'.repeat(100)), ...output }));
    expect(await runCode({ sandbox: huge, code: '', limits: { maxValueBytes: 50 } })).toMatchObject({ type: 'error', error: { code: 'OUTPUT_LIMIT' } });
    const garbage = scriptedSandbox(async () => ({ type: 'success', valueJson: '{oops', ...output }));
    expect(await runCode({ sandbox: garbage, code: '' })).toMatchObject({ type: 'error', error: { code: 'SANDBOX_CRASHED' } });
  });

  it('returns ABORTED without running when the signal has already fired', async () => {
    const sandbox = scriptedSandbox(async () => ({ type: 'success', valueJson: '1', ...output }));
    const result = await runCode({ sandbox, code: '', abortSignal: AbortSignal.abort() });
    expect(result).toMatchObject({ type: 'error', error: { code: 'ABORTED' } });
    expect(sandbox.requests).toHaveLength(0);
  });

  it('forwards a later abort to the adapter and to pending tool calls', async () => {
    const controller = new AbortController();
    const hang = defineTool({ name: 'hang', input: z.object({}), execute: () => new Promise(() => undefined) });
    const sandbox = scriptedSandbox(async (request) => {
      const call = request.callTool({ name: 'hang', inputJson: '{}' });
      setTimeout(() => controller.abort(), 10);
      const answer = await call;
      expect(request.abortSignal.aborted).toBe(true);
      return { type: 'error', error: { code: 'ABORTED', name: 'AbortError', message: answer.type === 'error' ? answer.code : 'no' }, ...output };
    });
    const result = await runCode({ sandbox, tools: [hang], code: '', abortSignal: controller.signal });
    expect(result).toMatchObject({ type: 'error', error: { code: 'ABORTED', message: 'ABORTED' } });
  });

  it('refuses tool calls an adapter makes after the run ended', async () => {
    let late: SandboxExecuteRequestV1['callTool'] | undefined;
    const sandbox = scriptedSandbox(async (request) => {
      late = request.callTool;
      return { type: 'success', valueJson: undefined, ...output };
    });
    expect(await runCode({ sandbox, tools: [double], code: '' })).toMatchObject({ type: 'success', value: undefined });
    expect(await late!({ name: 'double', inputJson: '{"n":1}' })).toMatchObject({ type: 'error', code: 'ABORTED' });
  });

  it('lists tool calls in the order they started, with approvals', async () => {
    const slowFirst = defineTool({
      name: 'wait',
      input: z.object({ ms: z.number() }),
      needsApproval: true,
      execute: ({ ms }) => new Promise((resolve) => setTimeout(() => resolve(ms), ms)),
    });
    const sandbox = scriptedSandbox(async (request) => {
      await Promise.all([request.callTool({ name: 'wait', inputJson: '{"ms":30}' }), request.callTool({ name: 'wait', inputJson: '{"ms":1}' })]);
      return { type: 'success', valueJson: undefined, ...output };
    });
    const seen: string[] = [];
    const result = await runCode({ sandbox, tools: [slowFirst], code: '', onApproval: () => true, onToolCall: (record) => seen.push(String(record.output)) });
    expect(result.toolCalls.map((call) => call.output)).toEqual([30, 1]);
    expect(result.toolCalls.every((call) => call.approval === 'approved')).toBe(true);
    expect(seen).toEqual(['1', '30']);
  });
});
