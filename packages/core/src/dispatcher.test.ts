import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createDispatcher } from './dispatcher.js';
import type { DispatcherSettings } from './dispatcher.js';
import { ToolError } from './errors.js';
import { resolveLimits } from './limits.js';
import type { Limits } from './limits.js';
import { defineTool } from './tool.js';
import { createToolset } from './toolset.js';

const add = defineTool({
  name: 'math.add',
  description: 'Adds two numbers.',
  input: z.object({ a: z.number(), b: z.number() }),
  output: z.number(),
  execute: ({ a, b }) => a + b,
});

function dispatcher(tools: Parameters<typeof createToolset>[0], limits: Limits = {}, extra: Partial<DispatcherSettings> = {}) {
  return createDispatcher({ tools: createToolset(tools), limits: resolveLimits(limits), executionId: 'run-1', ...extra });
}

describe('createDispatcher', () => {
  it('validates input, runs the handler, serializes the output and traces the call', async () => {
    const d = dispatcher([add]);
    const result = await d.callTool({ name: 'math.add', inputJson: '{"a":2,"b":3}' });
    expect(result).toEqual({ type: 'success', outputJson: '5' });
    expect(d.records).toHaveLength(1);
    expect(d.records[0]).toMatchObject({ id: 'call_1', name: 'math.add', input: { a: 2, b: 3 }, output: 5 });
    expect(d.records[0]?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('traces calls in the order they finished, plain successes and others alike, with the same record objects on every read', async () => {
    const d = dispatcher([add], { maxToolCalls: 41 });
    for (let i = 0; i < 40; i++) await d.callTool({ name: i % 3 === 2 ? 'nope' : 'math.add', inputJson: `{"a":${i},"b":1}` });
    const early = d.records;
    expect(early).toHaveLength(40);
    expect(early.map((record) => record.id)).toEqual(Array.from({ length: 40 }, (_, i) => `call_${i + 1}`));
    expect(early.map((record) => record.output ?? record.error?.code)).toEqual(Array.from({ length: 40 }, (_, i) => (i % 3 === 2 ? 'UNKNOWN_TOOL' : i + 1)));
    expect(Object.keys(early[0] ?? {})).toEqual(['id', 'name', 'input', 'startedAt', 'offsetMs', 'durationMs', 'output']);
    expect(early[0]?.startedAt).toBeGreaterThan(1.7e12);
    expect(early[39]?.offsetMs).toBeGreaterThanOrEqual(early[0]?.offsetMs ?? Infinity);
    await d.callTool({ name: 'math.add', inputJson: '{"a":1,"b":1}' });
    const later = d.records;
    expect(later).toHaveLength(41);
    expect(later[0]).toBe(early[0]);
    expect(later[40]).toMatchObject({ id: 'call_41', output: 2 });
    expect(later[40]).toBe(d.records[40]);
  });

  it('rejects invalid input with INVALID_INPUT without calling the handler', async () => {
    const execute = vi.fn(() => 1);
    const tool = defineTool({ name: 't', input: z.object({ a: z.number() }), execute });
    const d = dispatcher([tool]);
    const result = await d.callTool({ name: 't', inputJson: '{"a":"x"}' });
    expect(result).toMatchObject({ type: 'error', code: 'INVALID_INPUT' });
    expect(result.type === 'error' && result.message).toContain('Invalid input for t');
    expect(await d.callTool({ name: 't', inputJson: '{not json' })).toMatchObject({ code: 'INVALID_INPUT' });
    expect(execute).not.toHaveBeenCalled();
  });

  it('treats a missing argument as an empty object', async () => {
    const tool = defineTool({ name: 'list', input: z.object({ limit: z.number().optional() }), execute: (input) => input });
    expect(await dispatcher([tool]).callTool({ name: 'list', inputJson: undefined })).toEqual({ type: 'success', outputJson: '{}' });
  });

  it('reports unknown tools with the available identifiers', async () => {
    const result = await dispatcher([add]).callTool({ name: 'nope', inputJson: '{}' });
    expect(result).toMatchObject({ type: 'error', code: 'UNKNOWN_TOOL' });
    expect(result.type === 'error' && result.message).toContain('math_add');
  });

  it('keeps a handler error message but nothing else of it', async () => {
    const tool = defineTool({
      name: 'leaky',
      input: z.object({}),
      execute: () => {
        const error = new Error('database unavailable', { cause: new Error('password=hunter2') });
        error.stack = 'Error: database unavailable\n    at /srv/secret-path/handler.js:1:1';
        throw error;
      },
    });
    const result = await dispatcher([tool]).callTool({ name: 'leaky', inputJson: '{}' });
    expect(result).toEqual({ type: 'error', code: 'TOOL_FAILED', message: 'database unavailable' });
  });

  it('lets a handler choose the code with ToolError', async () => {
    const tool = defineTool({ name: 'guarded', input: z.object({}), execute: () => { throw new ToolError('DENIED', 'not for you'); } });
    expect(await dispatcher([tool]).callTool({ name: 'guarded', inputJson: '{}' })).toEqual({ type: 'error', code: 'DENIED', message: 'not for you' });
  });

  it('validates output against the output schema', async () => {
    const tool = defineTool({ name: 'bad', input: z.object({}), output: z.string(), execute: () => 42 as unknown as string });
    expect(await dispatcher([tool]).callTool({ name: 'bad', inputJson: '{}' })).toMatchObject({ code: 'INVALID_OUTPUT' });
  });

  it('refuses outputs JSON cannot express and outputs over maxValueBytes', async () => {
    const cyclic = defineTool({ name: 'cyclic', input: z.object({}), execute: () => { const a: Record<string, unknown> = {}; a.self = a; return a; } });
    const big = defineTool({ name: 'big', input: z.object({}), execute: () => 'x'.repeat(2_000) });
    const d = dispatcher([cyclic, big], { maxValueBytes: 1_000 });
    expect(await d.callTool({ name: 'cyclic', inputJson: '{}' })).toMatchObject({ code: 'INVALID_OUTPUT' });
    expect(await d.callTool({ name: 'big', inputJson: '{}' })).toMatchObject({ code: 'VALUE_TOO_LARGE' });
    expect(await d.callTool({ name: 'big', inputJson: JSON.stringify({ pad: 'é'.repeat(600) }) })).toMatchObject({ code: 'VALUE_TOO_LARGE' });
  });

  it('enforces maxToolCalls and keeps refusing after the limit', async () => {
    const d = dispatcher([add], { maxToolCalls: 2 });
    const input = '{"a":1,"b":1}';
    expect((await d.callTool({ name: 'math.add', inputJson: input })).type).toBe('success');
    expect((await d.callTool({ name: 'math.add', inputJson: input })).type).toBe('success');
    expect(await d.callTool({ name: 'math.add', inputJson: input })).toMatchObject({ code: 'TOOL_CALL_LIMIT' });
    expect(await d.callTool({ name: 'math.add', inputJson: input })).toMatchObject({ code: 'TOOL_CALL_LIMIT' });
    // The first refusal is recorded; later ones are not (a flood of refused calls keeps no memory).
    expect(d.records.map((record) => record.error?.code)).toEqual([undefined, undefined, 'TOOL_CALL_LIMIT']);
  });

  it('runs at most maxConcurrentToolCalls handlers at once', async () => {
    let active = 0;
    let peak = 0;
    const slow = defineTool({
      name: 'slow',
      input: z.object({}),
      execute: async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((resolve) => setTimeout(resolve, 5));
        active--;
        return peak;
      },
    });
    const d = dispatcher([slow], { maxConcurrentToolCalls: 3 });
    const results = await Promise.all(Array.from({ length: 10 }, () => d.callTool({ name: 'slow', inputJson: '{}' })));
    expect(results.every((result) => result.type === 'success')).toBe(true);
    expect(peak).toBe(3);
  });

  it('times a call out with TOOL_TIMEOUT and signals the handler', async () => {
    let signalled = false;
    const hang = defineTool({
      name: 'hang',
      input: z.object({}),
      execute: (_input, context) =>
        new Promise((resolve) => {
          context.abortSignal.addEventListener('abort', () => {
            signalled = true;
            resolve('late');
          });
        }),
    });
    const result = await dispatcher([hang], { toolTimeoutMs: 20 }).callTool({ name: 'hang', inputJson: '{}' });
    expect(result).toMatchObject({ type: 'error', code: 'TOOL_TIMEOUT' });
    expect(signalled).toBe(true);
  });

  it('fails pending calls with ABORTED on close and refuses later calls', async () => {
    let started!: () => void;
    const startedPromise = new Promise<void>((resolve) => (started = resolve));
    const hang = defineTool({ name: 'hang', input: z.object({}), execute: () => { started(); return new Promise(() => undefined); } });
    const d = dispatcher([hang]);
    const pending = d.callTool({ name: 'hang', inputJson: '{}' });
    await startedPromise;
    d.close();
    expect(await pending).toMatchObject({ type: 'error', code: 'ABORTED' });
    expect(await d.callTool({ name: 'hang', inputJson: '{}' })).toMatchObject({ code: 'ABORTED' });
  });

  describe('large values', () => {
    // 256 Ki UTF-16 units is the threshold (largeValueUnits); these inputs and outputs cross it.
    const big = 'x'.repeat(300_000);
    const echo = defineTool({ name: 'echo', input: z.object({ s: z.string() }), execute: ({ s }) => s });
    const steps: string[] = [];
    // Records when the host's timers got to run, relative to the call's own steps.
    const timerTick = (label: string): void => void setTimeout(() => steps.push(label), 0);

    it('lets the event loop run between receiving a large call, running its handler and handing on its output', async () => {
      steps.length = 0;
      const traced = defineTool({ name: 'echo', input: z.object({ s: z.string() }), execute: ({ s }) => (steps.push('handler'), timerTick('timer after the handler'), s) });
      const d = dispatcher([traced]);
      const pending = d.callTool({ name: 'echo', inputJson: JSON.stringify({ s: big }) }).then((result) => (steps.push('result'), result));
      timerTick('timer after the call');
      const result = await pending;
      expect(result).toEqual({ type: 'success', outputJson: JSON.stringify(big) });
      // Synchronous end to end before: handler and result came before any timer.
      expect(steps).toEqual(['timer after the call', 'handler', 'timer after the handler', 'result']);
      expect(d.records[0]).toMatchObject({ name: 'echo', inputTruncated: true, outputTruncated: true });
    });

    it('keeps small values on the synchronous path', async () => {
      steps.length = 0;
      const traced = defineTool({ name: 'echo', input: z.object({ s: z.string() }), execute: ({ s }) => (steps.push('handler'), s) });
      const d = dispatcher([traced]);
      const pending = d.callTool({ name: 'echo', inputJson: JSON.stringify({ s: 'x'.repeat(1_000) }) }).then(() => steps.push('result'));
      timerTick('timer');
      expect(steps).toEqual(['handler']);
      await pending;
      expect(steps).toEqual(['handler', 'result']);
    });

    it('refuses a large call whose run ends before its input is parsed, recorded by the time close returns', async () => {
      const execute = vi.fn(({ s }: { s: string }) => s);
      const d = dispatcher([defineTool({ name: 'echo', input: z.object({ s: z.string() }), execute })]);
      const pending = d.callTool({ name: 'echo', inputJson: JSON.stringify({ s: big }) });
      d.close();
      // runCode reads the trace right after close: the call must be in it already.
      expect(d.records).toMatchObject([{ name: 'echo', error: { code: 'ABORTED', message: 'The run ended before the call started.' } }]);
      expect(await pending).toMatchObject({ type: 'error', code: 'ABORTED' });
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(execute).not.toHaveBeenCalled();
      expect(d.records).toHaveLength(1);
    });

    it('records a large output whose run ends before it is handed on, as the success it was', async () => {
      let handled!: () => void;
      const ran = new Promise<void>((resolve) => (handled = resolve));
      const traced = defineTool({ name: 'echo', input: z.object({ s: z.string() }), execute: ({ s }) => (handled(), s) });
      const d = dispatcher([traced]);
      const pending = d.callTool({ name: 'echo', inputJson: JSON.stringify({ s: big }) });
      await ran;
      await Promise.resolve();
      d.close();
      expect(d.records).toMatchObject([{ name: 'echo', outputTruncated: true }]);
      expect(await pending).toEqual({ type: 'success', outputJson: JSON.stringify(big) });
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(d.records).toHaveLength(1);
    });

    it('still refuses large inputs that are invalid, too deep or over maxValueBytes', async () => {
      const d = dispatcher([echo], { maxValueBytes: 400_000 });
      expect(await d.callTool({ name: 'echo', inputJson: JSON.stringify({ s: 1, pad: big }) })).toMatchObject({ code: 'INVALID_INPUT' });
      expect(await d.callTool({ name: 'echo', inputJson: `{"s":"${big}"` })).toMatchObject({ code: 'INVALID_INPUT' });
      expect(await d.callTool({ name: 'echo', inputJson: `${'['.repeat(200)}${' '.repeat(300_000)}${']'.repeat(200)}` })).toMatchObject({ code: 'INVALID_INPUT' });
      expect(await d.callTool({ name: 'echo', inputJson: JSON.stringify({ s: big + big }) })).toMatchObject({ code: 'VALUE_TOO_LARGE' });
    });
  });

  it('asks for approval and records the answer; no callback means denied', async () => {
    const transfer = defineTool({
      name: 'transfer',
      input: z.object({ amount: z.number() }),
      needsApproval: ({ amount }) => amount > 100,
      execute: ({ amount }) => `sent ${amount}`,
    });
    const onApproval = vi.fn(({ input }: { input: unknown }) => (input as { amount: number }).amount < 1_000);
    const d = dispatcher([transfer], {}, { onApproval });
    expect(await d.callTool({ name: 'transfer', inputJson: '{"amount":5}' })).toEqual({ type: 'success', outputJson: '"sent 5"' });
    expect(await d.callTool({ name: 'transfer', inputJson: '{"amount":500}' })).toEqual({ type: 'success', outputJson: '"sent 500"' });
    expect(await d.callTool({ name: 'transfer', inputJson: '{"amount":5000}' })).toMatchObject({ code: 'DENIED' });
    expect(onApproval).toHaveBeenCalledTimes(2);
    expect(d.records.map((record) => record.approval)).toEqual([undefined, 'approved', 'denied']);
    expect(await dispatcher([transfer]).callTool({ name: 'transfer', inputJson: '{"amount":500}' })).toMatchObject({ code: 'DENIED' });
  });
});
