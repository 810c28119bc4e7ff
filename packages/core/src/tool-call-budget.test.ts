import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDispatcher } from './dispatcher.js';
import { SandboxConfigurationError } from './errors.js';
import { resolveLimits } from './limits.js';
import { defineTool } from './tool.js';
import { createToolCallBudget } from './tool-call-budget.js';
import { createToolset } from './toolset.js';

function gatedTool() {
  const state = { calls: 0, active: 0, maxActive: 0, release: [] as (() => void)[] };
  const tool = defineTool({
    name: 'slow',
    input: z.object({}),
    execute: async () => {
      state.calls++;
      state.active++;
      state.maxActive = Math.max(state.maxActive, state.active);
      await new Promise<void>((resolve) => state.release.push(resolve));
      state.active--;
      return 'done';
    },
  });
  return { state, tools: createToolset([tool]) };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('createToolCallBudget', () => {
  it('two dispatchers sharing a budget make at most maxToolCalls calls and run at most maxConcurrentToolCalls at once', async () => {
    const { state, tools } = gatedTool();
    const budget = createToolCallBudget({ maxToolCalls: 3, maxConcurrentToolCalls: 2 });
    // Their own limits would allow far more: the budget decides.
    const limits = resolveLimits({ maxToolCalls: 100, maxConcurrentToolCalls: 100 });
    const first = createDispatcher({ tools, limits, executionId: 'a', budget });
    const second = createDispatcher({ tools, limits, executionId: 'b', budget });
    const answers = [first, second, first, second, first, second].map((dispatcher) => dispatcher.callTool({ name: 'slow', inputJson: '{}' }));
    await tick();
    expect(state.active).toBe(2);
    while (state.calls < 3 || state.active > 0) {
      state.release.shift()?.();
      await tick();
    }
    const results = await Promise.all(answers);
    expect(state.calls).toBe(3);
    expect(state.maxActive).toBe(2);
    expect(results.filter((result) => result.type === 'success')).toHaveLength(3);
    expect(results.filter((result) => result.type === 'error' && result.code === 'TOOL_CALL_LIMIT')).toHaveLength(3);
    expect(budget.callCount).toBe(6);
    expect(budget.activeCalls).toBe(0);
  });

  it('closing a dispatcher ends its waiting calls with ABORTED and leaves the places to the others', async () => {
    const { state, tools } = gatedTool();
    const budget = createToolCallBudget({ maxToolCalls: 10, maxConcurrentToolCalls: 1 });
    const limits = resolveLimits({});
    const holder = createDispatcher({ tools, limits, executionId: 'a', budget });
    const closed = createDispatcher({ tools, limits, executionId: 'b', budget });
    const held = holder.callTool({ name: 'slow', inputJson: '{}' });
    const waiting = closed.callTool({ name: 'slow', inputJson: '{}' });
    const later = holder.callTool({ name: 'slow', inputJson: '{}' });
    await tick();
    closed.close();
    expect(await waiting).toMatchObject({ type: 'error', code: 'ABORTED' });
    state.release.shift()?.();
    await held;
    await tick();
    // The place the closed dispatcher's call was queued for went on to the next call.
    expect(state.calls).toBe(2);
    state.release.shift()?.();
    expect(await later).toEqual({ type: 'success', outputJson: '"done"' });
    expect(budget.activeCalls).toBe(0);
  });

  it('rejects caps out of range', () => {
    expect(() => createToolCallBudget({ maxToolCalls: -1, maxConcurrentToolCalls: 1 })).toThrow(SandboxConfigurationError);
    expect(() => createToolCallBudget({ maxToolCalls: 1, maxConcurrentToolCalls: 0 })).toThrow(/maxConcurrentToolCalls/);
  });
});
