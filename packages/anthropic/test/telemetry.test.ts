import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { SandboxV1 } from '@codecall/core';
import { createIsolatedVmSandbox } from '@codecall/sandbox-isolated-vm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runAgent } from '../src/index.js';
import type { AgentEvent } from '../src/index.js';
import { createMessagesSimulator } from '../src/simulator/index.js';
import type { MessagesSimulator } from '../src/simulator/index.js';
import * as scenario from './fixtures/live-output-scenario.js';
import * as expenses from '../examples/expense-scenario.js';

const model = 'claude-sonnet-4-6';
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let sandbox: SandboxV1;
let simulator: MessagesSimulator;

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  sandbox = createIsolatedVmSandbox();
  simulator = await createMessagesSimulator({ policy: scenario.policy });
});
afterAll(async () => {
  trace.disable();
  context.disable();
  await provider.shutdown();
  await simulator.close();
  await sandbox.dispose();
});
beforeEach(() => {
  exporter.reset();
  simulator.reset();
});

const named = (spans: readonly ReadableSpan[], name: string): ReadableSpan[] => spans.filter((span) => span.name === name);
const one = (spans: readonly ReadableSpan[], name: string): ReadableSpan => {
  const found = named(spans, name);
  if (found.length !== 1) throw new Error(`expected one ${name} span, got ${found.length} among ${spans.map((span) => span.name).join(', ')}`);
  return found[0]!;
};
const idOf = (span: ReadableSpan): string => span.spanContext().spanId;
const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

describe('OpenTelemetry spans of runAgent (real SDK, in-memory exporter)', () => {
  it('nest agent run → model request → code run → tool call → handler, with GenAI and codecall attributes', async () => {
    simulator.setPolicy(scenario.policy);
    const result = await runAgent({ client: simulator.createClient(), model, tools: scenario.tools, mode: 'programmatic', sandbox, prompt: 'What is the total?' });
    expect(result.text).toBe('The total is 290.');
    const spans = exporter.getFinishedSpans();

    const agent = one(spans, 'invoke_agent codecall');
    expect(parentOf(agent)).toBeUndefined();
    expect(agent.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': model,
      'codecall.agent.mode': 'programmatic',
      'codecall.agent.status': 'completed',
      'gen_ai.usage.input_tokens': result.metrics.totalInputTokens,
      'gen_ai.usage.output_tokens': result.metrics.outputTokens,
    });

    const requests = named(spans, `chat ${model}`);
    expect(requests).toHaveLength(2);
    for (const request of requests) expect(parentOf(request)).toBe(idOf(agent));
    const usages = simulator.exchanges.map((exchange) => exchange.message!.usage);
    expect(requests.map((request) => request.attributes['gen_ai.usage.input_tokens'])).toEqual(usages.map((usage) => usage.input_tokens));
    expect(requests.map((request) => request.attributes['gen_ai.usage.output_tokens'])).toEqual(usages.map((usage) => usage.output_tokens));
    expect(requests.map((request) => request.attributes['gen_ai.response.finish_reasons'])).toEqual([['tool_use'], ['end_turn']]);
    expect(requests[0]!.attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': model, 'gen_ai.response.model': model });
    expect(typeof requests[0]!.attributes['gen_ai.response.id']).toBe('string');
    // Spans the Anthropic client makes itself (recent SDK versions do) nest under the request's span.
    for (const own of named(spans, 'anthropic.messages.create')) expect(requests.map(idOf)).toContain(parentOf(own));

    const run = one(spans, 'run_code javascript');
    expect(parentOf(run)).toBe(idOf(requests[0]!));
    expect(run.attributes).toMatchObject({ 'codecall.sandbox.id': sandbox.sandboxId, 'codecall.code.language': 'javascript', 'codecall.run.tool_calls': 3 });
    expect(run.attributes['error.type']).toBeUndefined();

    const calls = [...named(spans, 'execute_tool fetch_total'), ...named(spans, 'execute_tool audit_log')];
    expect(calls).toHaveLength(3);
    for (const call of calls) expect(parentOf(call)).toBe(idOf(run));
    const audit = one(spans, 'execute_tool audit_log');
    expect(audit.attributes).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'audit_log', 'error.type': 'TOOL_FAILED' });
    expect(audit.status.code).toBe(2);
    const handlers = [...named(spans, 'tool_handler fetch_total'), ...named(spans, 'tool_handler audit_log')];
    expect(handlers.map(parentOf).sort()).toEqual(calls.map(idOf).sort());
  });

  it('puts direct calls under the model request that asked for them', async () => {
    simulator.setPolicy(expenses.policy);
    const result = await runAgent({ client: simulator.createClient(), model, tools: expenses.tools, mode: 'parallel', prompt: expenses.task });
    expect(result.text).toBe(`Over the travel budget: ${expenses.expected}`);
    const spans = exporter.getFinishedSpans();
    const requests = named(spans, `chat ${model}`);
    expect(requests).toHaveLength(result.metrics.modelRoundTrips);
    const members = one(spans, 'execute_tool get_team_members');
    expect(parentOf(members)).toBe(idOf(requests[0]!));
    const expenseCalls = named(spans, 'execute_tool get_expenses');
    expect(expenseCalls).toHaveLength(5);
    for (const call of expenseCalls) expect(parentOf(call)).toBe(idOf(requests[1]!));
  });

  it('marks a failed model request and the agent run with the error', async () => {
    simulator.setPolicy(() => {
      throw new Error('policy failure');
    });
    await expect(runAgent({ client: simulator.createClient({ maxRetries: 0 }), model, tools: scenario.tools, mode: 'parallel', prompt: 'x' })).rejects.toThrow();
    const spans = exporter.getFinishedSpans();
    const request = one(spans, `chat ${model}`);
    const agent = one(spans, 'invoke_agent codecall');
    expect(request.status.code).toBe(2);
    expect(typeof request.attributes['error.type']).toBe('string');
    expect(agent.status.code).toBe(2);
  });
});

describe('live output through runAgent events', () => {
  it('forwards code output and nested tool calls as they happen, before the code result', async () => {
    simulator.setPolicy(scenario.policy);
    const events: AgentEvent[] = [];
    await runAgent({ client: simulator.createClient(), model, tools: scenario.tools, mode: 'programmatic', sandbox, prompt: 'What is the total?', onEvent: (event) => events.push(event) });
    const order = events.flatMap((event): string[] => {
      if (event.type === 'code-event') return ['text' in event.event ? `${event.event.type} ${event.event.text.trim()}` : `${event.event.type} ${event.event.toolName}`];
      if (event.type === 'tool-result') return [`tool-result ${event.call.name}`];
      if (event.type === 'code-result') return ['code-result'];
      return [];
    });
    expect(order).toEqual([
      'stdout starting',
      'tool-call-start fetch_total',
      'tool-call-end fetch_total',
      'tool-result fetch_total',
      'stdout a is 40',
      'stderr warning: b next',
      'tool-call-start fetch_total',
      'tool-call-end fetch_total',
      'tool-result fetch_total',
      'tool-call-start audit_log',
      'tool-call-end audit_log',
      'tool-result audit_log',
      'stderr audit failed: TOOL_FAILED',
      'stdout total 290',
      'code-result',
    ]);
    const codeEvents = events.filter((event) => event.type === 'code-event');
    const code = events.find((event) => event.type === 'code');
    for (const event of codeEvents) expect(event.id).toBe(code?.type === 'code' ? code.id : undefined);
  });
});
