import { BadRequestError } from '@anthropic-ai/sdk';
import { createToolset, defineTool } from '@codecall/core';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AgentError, runAgent } from '../src/index.js';
import { countTokens, createMessagesSimulator, latencyPresets, PromptCache, responseLatencyMs, scriptedPolicy } from '../src/simulator/index.js';
import type { MessagesSimulator } from '../src/simulator/index.js';

const model = 'claude-sonnet-4-6';
const echo = defineTool({ name: 'echo', description: 'Echoes its input.', input: z.object({ text: z.string() }), execute: ({ text }) => text });

let simulator: MessagesSimulator | undefined;
afterEach(async () => {
  await simulator?.close();
  simulator = undefined;
});

async function postStream(url: string, body: unknown): Promise<{ contentType: string | null; events: { event: string; data: Record<string, unknown> }[] }> {
  const response = await fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const events = text
    .split('\n\n')
    .filter((chunk) => chunk.trim() !== '')
    .map((chunk) => {
      const event = /^event: (.*)$/m.exec(chunk)?.[1] ?? '';
      const data = JSON.parse(/^data: (.*)$/m.exec(chunk)?.[1] ?? 'null') as Record<string, unknown>;
      return { event, data };
    });
  return { contentType: response.headers.get('content-type'), events };
}

describe('Messages API simulator', () => {
  it('streams with the API’s content type, event names and order', async () => {
    simulator = await createMessagesSimulator({ policy: () => [{ type: 'text', text: 'Calling echo now, with a longer text to split.' }, { type: 'tool_use', name: 'echo', input: { text: 'hi' } }] });
    const { contentType, events } = await postStream(simulator.url, {
      model,
      max_tokens: 100,
      stream: true,
      tools: [{ name: 'echo', input_schema: { type: 'object', properties: { text: { type: 'string' } } } }],
      messages: [{ role: 'user', content: 'say hi' }],
    });
    expect(contentType).toBe('text/event-stream; charset=utf-8');
    const names = events.map((event) => event.event);
    expect(names.slice(0, 3)).toEqual(['message_start', 'ping', 'content_block_start']);
    expect(names.slice(-2)).toEqual(['message_delta', 'message_stop']);
    // Every event's data names its own type; blocks open and close in order.
    for (const { event, data } of events) expect(data.type).toBe(event);
    const starts = events.filter((event) => event.event === 'content_block_start').map((event) => event.data.index);
    const stops = events.filter((event) => event.event === 'content_block_stop').map((event) => event.data.index);
    expect(starts).toEqual([0, 1]);
    expect(stops).toEqual([0, 1]);
    const deltas = events.filter((event) => event.event === 'content_block_delta');
    expect(deltas.filter((event) => (event.data.delta as { type: string }).type === 'text_delta').length).toBeGreaterThan(1);
    const json = deltas
      .filter((event) => (event.data.delta as { type: string }).type === 'input_json_delta')
      .map((event) => (event.data.delta as { partial_json: string }).partial_json)
      .join('');
    expect(JSON.parse(json)).toEqual({ text: 'hi' });
    const delta = events.find((event) => event.event === 'message_delta')!.data;
    expect(delta).toMatchObject({ delta: { stop_reason: 'tool_use' }, usage: { output_tokens: expect.any(Number) } });
  });

  it('the official client parses streamed and JSON messages to the same content and usage', async () => {
    simulator = await createMessagesSimulator({ policy: () => 'Hello there, this is the simulated model speaking.' });
    const client = simulator.createClient();
    const params = { model, max_tokens: 100, messages: [{ role: 'user' as const, content: 'hello' }] };
    const json = await client.messages.create(params);
    const streamed = await client.messages.stream(params).finalMessage();
    expect(streamed.content).toEqual(json.content);
    expect(streamed.usage.output_tokens).toBe(json.usage.output_tokens);
    expect(streamed.usage.input_tokens).toBe(json.usage.input_tokens);
    expect(json.usage.output_tokens).toBe(countTokens('Hello there, this is the simulated model speaking.'));
    expect(json.usage.input_tokens).toBe(countTokens('hello') + 3);
  });

  it('rejects a conversation whose tool_use has no tool_result, as the API does', async () => {
    simulator = await createMessagesSimulator({ policy: () => 'unused' });
    const client = simulator.createClient();
    await expect(
      client.messages.create({
        model,
        max_tokens: 10,
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'echo', input: {} }] },
          { role: 'user', content: 'no result' },
        ],
      }),
    ).rejects.toBeInstanceOf(BadRequestError);
  });

  it('injected overloaded errors are retried by the client; past its retries runAgent throws a typed error', async () => {
    simulator = await createMessagesSimulator({ policy: () => 'done', faults: [{ request: 1, status: 529 }, { request: 3, status: 529 }, { request: 4, status: 529 }] });
    const retried = await runAgent({ client: simulator.createClient({ maxRetries: 2 }), model, tools: [echo], mode: 'parallel', prompt: 'x' });
    expect(retried.text).toBe('done');
    expect(retried.metrics.modelRoundTrips).toBe(1);
    expect(simulator.exchanges.map((exchange) => exchange.status)).toEqual([529, 200]);
    const failure = await runAgent({ client: simulator.createClient({ maxRetries: 1 }), model, tools: [echo], mode: 'parallel', prompt: 'x' }).catch((error: unknown) => error);
    expect(AgentError.isInstance(failure)).toBe(true);
    expect(failure).toMatchObject({ code: 'API_ERROR', status: 529, errorType: 'overloaded_error', retryable: true });
  });

  it('a throwing policy fails fast with a 500 that names the policy', async () => {
    simulator = await createMessagesSimulator({
      policy: () => {
        throw new Error('no rule for this turn');
      },
    });
    const failure = await runAgent({ client: simulator.createClient(), model, tools: [echo], mode: 'parallel', prompt: 'x' }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'API_ERROR', status: 500 });
    expect(String((failure as Error).message)).toContain('no rule for this turn');
    expect(simulator.exchanges).toHaveLength(1);
  });

  it('reports the modelled latency of every response, and waits for it', async () => {
    const latency = { ...latencyPresets.sonnet, timeToFirstTokenMs: 40 };
    simulator = await createMessagesSimulator({ policy: scriptedPolicy([[{ type: 'tool_use', name: 'echo', input: { text: 'a' } }], 'ok']), latency, timeScale: 1 });
    const result = await runAgent({ client: simulator.createClient(), model, tools: [echo], mode: 'sequential', prompt: 'x', stream: true });
    expect(result.metrics.modelRoundTrips).toBe(2);
    let expected = 0;
    for (const exchange of simulator.exchanges) {
      const usage = exchange.message!.usage;
      const ms = responseLatencyMs(latency, {
        uncachedInputTokens: usage.input_tokens + (usage.cache_creation_input_tokens ?? 0),
        cachedInputTokens: usage.cache_read_input_tokens ?? 0,
        outputTokens: usage.output_tokens,
      });
      expect(exchange.simulatedMs).toBeCloseTo(ms, 6);
      expected += ms;
    }
    expect(result.metrics.simulatedModelTimeMs).toBeCloseTo(expected, 2);
    // A lower bound only: the simulator must actually wait (the upper bound depends on the machine).
    expect(result.metrics.modelTimeMs).toBeGreaterThanOrEqual(expected - 5);
  });
});

describe('abort', () => {
  it('abortSignal stops a run waiting on the model with an ABORTED AgentError', async () => {
    simulator = await createMessagesSimulator({ policy: () => 'late', latency: { ...latencyPresets.instant, timeToFirstTokenMs: 600_000 } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    // The effect, not a time: the first token would come after 10 minutes, far past this test's
    // timeout, so the run settling at all (with ABORTED) means the abort interrupted the wait.
    const failure = await runAgent({ client: simulator.createClient(), model, tools: [echo], mode: 'parallel', prompt: 'x', abortSignal: controller.signal }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'AgentError', code: 'ABORTED' });
  });
});

describe('PromptCache', () => {
  const segment = (key: string, tokens: number, breakpoint = false) => ({ key, tokens, breakpoint, ttlMs: 5 * 60_000 });

  it('writes prefixes at breakpoints from the minimum length on, and reads them later', () => {
    let now = 0;
    const cache = new PromptCache({ minCacheableTokens: 1_024, now: () => now });
    const short = [segment('tools', 500, true), segment('m1', 100)];
    expect(cache.account(short)).toMatchObject({ inputTokens: 600, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 });
    const first = [segment('tools', 1_500, true), segment('m1', 100, true)];
    expect(cache.account(first)).toMatchObject({ inputTokens: 0, cacheCreationInputTokens: 1_600, cacheReadInputTokens: 0 });
    const second = [segment('tools', 1_500, true), segment('m1', 100), segment('m2', 50, true)];
    expect(cache.account(second)).toMatchObject({ inputTokens: 0, cacheCreationInputTokens: 50, cacheReadInputTokens: 1_600 });
    // A changed tool invalidates everything after it.
    expect(cache.account([segment('tools2', 1_500, true), segment('m1', 100, true)])).toMatchObject({ cacheReadInputTokens: 0, cacheCreationInputTokens: 1_600 });
    // Entries expire after their TTL.
    now += 6 * 60_000;
    expect(cache.account(second)).toMatchObject({ cacheReadInputTokens: 0, cacheCreationInputTokens: 1_650 });
  });
});

describe('tool errors and approval in direct modes', () => {
  it('sends failed and denied calls back as is_error results and records the approval', async () => {
    const tools = createToolset([
      defineTool({ name: 'explode', input: z.object({}), execute: () => {
        throw new Error('kaboom');
      } }),
      defineTool({ name: 'delete_all', input: z.object({ confirm: z.boolean() }), needsApproval: ({ confirm }) => confirm, execute: () => 'deleted' }),
    ]);
    simulator = await createMessagesSimulator({
      policy: scriptedPolicy([
        [
          { type: 'tool_use', name: 'explode', input: {} },
          { type: 'tool_use', name: 'delete_all', input: { confirm: true } },
          { type: 'tool_use', name: 'delete_all', input: { confirm: 'yes' } },
        ],
        (request) => request.lastToolResults.map((result) => `${result.toolName}:${result.isError ? result.content : 'ok'}`).join('\n---\n'),
      ]),
    });
    const approvals: unknown[] = [];
    const result = await runAgent({
      client: simulator.createClient(),
      model,
      tools,
      mode: 'parallel',
      prompt: 'clean up',
      onApproval: (request) => {
        approvals.push(request.input);
        return false;
      },
    });
    expect(result.text.split('\n---\n')).toEqual([
      'explode:Error (TOOL_FAILED): kaboom',
      'delete_all:Error (DENIED): The call to delete_all was denied.',
      expect.stringMatching(/^delete_all:Error \(INVALID_INPUT\): Invalid input for delete_all/),
    ]);
    expect(approvals).toEqual([{ confirm: true }]);
    expect(result.toolCalls.find((call) => call.approval !== undefined)).toMatchObject({ name: 'delete_all', approval: 'denied', caller: 'direct', error: { code: 'DENIED' } });
    expect(result.metrics.toolCalls).toMatchObject({ direct: 3, failed: 3, denied: 1 });
    const sent = simulator.exchanges[1]!.body.messages as { content: { is_error?: boolean }[] }[];
    expect(sent.at(-1)!.content.every((block) => block.is_error === true)).toBe(true);
  });
});
