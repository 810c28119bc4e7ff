import { ROOT_CONTEXT, context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ToolError } from './errors.js';
import { runCode } from './run-code.js';
import type { SandboxExecuteRequestV1 } from './spec/sandbox-execute-request-v1.js';
import type { SandboxExecuteResultV1 } from './spec/sandbox-execute-result-v1.js';
import type { SandboxV1 } from './spec/sandbox-v1.js';
import { defineTool } from './tool.js';

function scriptedSandbox(script: (request: SandboxExecuteRequestV1) => Promise<SandboxExecuteResultV1>): SandboxV1 {
  return {
    specificationVersion: 'v1',
    sandboxId: 'scripted:1',
    capabilities: { languages: ['javascript'], isolation: 'isolate', network: false, filesystem: false, processApi: false, memoryLimit: false },
    // Calls arrive from the adapter's own callbacks, outside the caller's async context.
    execute: (request) => new Promise((resolve) => setImmediate(() => context.with(ROOT_CONTEXT, () => resolve(script(request))))),
    dispose: async () => undefined,
    [Symbol.asyncDispose]: async () => undefined,
  };
}

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const handlerTracer = provider.getTracer('tool-author');
const lookup = defineTool({
  name: 'lookup',
  input: z.object({ key: z.string() }),
  execute: async ({ key }) => {
    // A span the tool's own code makes nests under the handler's span.
    await handlerTracer.startActiveSpan('db.query', async (span) => {
      await new Promise((resolve) => setImmediate(resolve));
      span.end();
    });
    if (key === 'missing') throw new ToolError('TOOL_FAILED', 'No such key.');
    return key.length;
  },
});

const byName = (spans: ReadableSpan[], name: string): ReadableSpan => {
  const span = spans.find((candidate) => candidate.name === name);
  if (span === undefined) throw new Error(`no span ${name} in ${spans.map((candidate) => candidate.name).join(', ')}`);
  return span;
};
const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

describe('OpenTelemetry spans', () => {
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(async () => {
    trace.disable();
    context.disable();
    await provider.shutdown();
  });
  beforeEach(() => exporter.reset());

  it('nests code run → tool call → handler → the handler\'s own spans, with attributes to filter on', async () => {
    const sandbox = scriptedSandbox(async (request) => {
      await request.callTool({ name: 'lookup', inputJson: '{"key":"abc"}' });
      const failed = await request.callTool({ name: 'lookup', inputJson: '{"key":"missing"}' });
      return { type: 'error', error: { code: 'TOOL_ERROR', name: 'ToolError', message: failed.type === 'error' ? failed.message : '' }, stdout: '', stderr: '', outputTruncated: false };
    });
    const outer = provider.getTracer('app');
    await outer.startActiveSpan('request', async (span) => {
      await runCode({ sandbox, tools: [lookup], code: 'x', executionId: 'run-1' });
      span.end();
    });
    const spans = exporter.getFinishedSpans();
    const run = byName(spans, 'run_code javascript');
    expect(parentOf(run)).toBe(byName(spans, 'request').spanContext().spanId);
    expect(run.attributes).toMatchObject({ 'codecall.execution.id': 'run-1', 'codecall.sandbox.id': 'scripted:1', 'codecall.code.language': 'javascript', 'codecall.run.tool_calls': 2, 'error.type': 'TOOL_ERROR' });
    expect(run.status.code).toBe(2);
    const calls = spans.filter((span) => span.name === 'execute_tool lookup');
    expect(calls).toHaveLength(2);
    for (const call of calls) expect(parentOf(call)).toBe(run.spanContext().spanId);
    expect(calls[0]?.attributes).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup', 'gen_ai.tool.call.id': 'call_1' });
    expect(calls[0]?.attributes['error.type']).toBeUndefined();
    expect(calls[1]?.attributes).toMatchObject({ 'gen_ai.tool.call.id': 'call_2', 'error.type': 'TOOL_FAILED', 'codecall.error.code': 'TOOL_FAILED' });
    const handlers = spans.filter((span) => span.name === 'tool_handler lookup');
    expect(handlers.map(parentOf).sort()).toEqual(calls.map((call) => call.spanContext().spanId).sort());
    const queries = spans.filter((span) => span.name === 'db.query');
    expect(queries.map(parentOf).sort()).toEqual(handlers.map((handler) => handler.spanContext().spanId).sort());
  });

  it('makes no call spans when the run\'s span does not record (a sampled-out or absent trace)', async () => {
    const sandbox = scriptedSandbox(async (request) => {
      await request.callTool({ name: 'lookup', inputJson: '{"key":"abc"}' });
      return { type: 'success', valueJson: undefined, stdout: '', stderr: '', outputTruncated: false };
    });
    trace.disable();
    try {
      await runCode({ sandbox, tools: [lookup], code: 'x' });
    } finally {
      trace.setGlobalTracerProvider(provider);
    }
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['db.query']);
  });
});
