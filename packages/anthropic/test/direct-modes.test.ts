import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgent } from '../src/index.js';
import type { AgentEvent } from '../src/index.js';
import { createMessagesSimulator } from '../src/simulator/index.js';
import type { MessagesSimulator } from '../src/simulator/index.js';
import { expected, policy, task, tools } from '../examples/expense-scenario.js';

let simulator: MessagesSimulator;

beforeAll(async () => {
  simulator = await createMessagesSimulator({ policy, cache: { minCacheableTokens: 0 } });
});
afterAll(async () => {
  await simulator.close();
});

function totalInput(usage: { input_tokens: number; cache_creation_input_tokens: number | null; cache_read_input_tokens: number | null }): number {
  return usage.input_tokens + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
}

describe.each([false, true])('direct tool use (stream: %s)', (stream) => {
  it.each([
    ['sequential', 7, 1],
    ['parallel', 3, 5],
  ] as const)('%s mode answers in %i round trips, at most %i calls per turn', async (mode, roundTrips, maxCallsPerTurn) => {
    simulator.reset();
    const events: AgentEvent[] = [];
    const result = await runAgent({
      client: simulator.createClient(),
      model: 'claude-sonnet-4-6',
      tools,
      mode,
      prompt: task,
      system: 'You are a careful finance assistant.',
      stream,
      onEvent: (event) => events.push(event),
    });
    expect(expected).not.toBe('');
    expect(result.status).toBe('completed');
    expect(result.text).toBe(`Over the travel budget: ${expected}`);
    expect(result.metrics.modelRoundTrips).toBe(roundTrips);
    expect(simulator.exchanges).toHaveLength(roundTrips);
    expect(simulator.exchanges.every((exchange) => exchange.stream === stream && exchange.status === 200)).toBe(true);
    expect(result.metrics.toolCalls).toMatchObject({ direct: 6, nested: 0, codeRuns: 0, failed: 0 });
    const perTurn = simulator.exchanges.map((exchange) => exchange.message!.content.filter((block) => block.type === 'tool_use').length);
    expect(Math.max(...perTurn)).toBe(maxCallsPerTurn);
    if (mode === 'sequential') {
      expect(simulator.exchanges.every((exchange) => (exchange.body.tool_choice as { disable_parallel_tool_use?: boolean }).disable_parallel_tool_use === true)).toBe(true);
    }

    // The metrics are the sums of the usage the API reported.
    const usages = simulator.exchanges.map((exchange) => exchange.message!.usage);
    expect(result.metrics.inputTokens).toBe(usages.reduce((sum, usage) => sum + usage.input_tokens, 0));
    expect(result.metrics.outputTokens).toBe(usages.reduce((sum, usage) => sum + usage.output_tokens, 0));
    expect(result.metrics.cacheReadInputTokens).toBe(usages.reduce((sum, usage) => sum + (usage.cache_read_input_tokens ?? 0), 0));
    expect(result.metrics.cacheCreationInputTokens).toBe(usages.reduce((sum, usage) => sum + (usage.cache_creation_input_tokens ?? 0), 0));
    // Each turn reads the whole previous prompt from the cache (breakpoint on the last block) and writes only what is new.
    for (let index = 1; index < usages.length; index++) {
      expect(usages[index]!.cache_read_input_tokens).toBe(totalInput(usages[index - 1]!));
      expect(usages[index]!.input_tokens).toBe(0);
    }
    expect(usages[0]!.cache_read_input_tokens).toBe(0);
    // count_tokens agrees with the usage of the same prompt.
    const firstBody = simulator.exchanges[0]!.body;
    const counted = await simulator.createClient().messages.countTokens({
      model: 'claude-sonnet-4-6',
      messages: firstBody.messages as never,
      tools: firstBody.tools as never,
      system: firstBody.system as never,
    });
    expect(counted.input_tokens).toBe(totalInput(usages[0]!));
    // Tool results entered the context: 1 list + 5 expense lists.
    expect(result.metrics.toolResultBytes).toBeGreaterThan(5 * 100);
    expect(result.metrics.toolResultTokens).toBeGreaterThan(0);
    expect(result.toolCalls.map((call) => call.caller)).toEqual(Array(6).fill('direct'));
    expect(events.filter((event) => event.type === 'model-request')).toHaveLength(roundTrips);
    expect(events.at(-1)).toMatchObject({ type: 'finish', status: 'completed' });
    if (stream) expect(events.some((event) => event.type === 'text-delta')).toBe(true);
  });
});

describe('limits and errors', () => {
  it('reports maxTurns reached as such', async () => {
    simulator.reset();
    const result = await runAgent({ client: simulator.createClient(), model: 'm', tools, mode: 'sequential', prompt: task, maxTurns: 2 });
    expect(result.status).toBe('max_turns');
    expect(result.metrics.modelRoundTrips).toBe(2);
  });
});
