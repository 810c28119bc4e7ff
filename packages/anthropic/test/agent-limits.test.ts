import { createToolset, defineTool, recordToolResults, replayToolResults } from '@codecall/core';
import type { SandboxV1, ToolCassette } from '@codecall/core';
import { createIsolatedVmSandbox } from '@codecall/sandbox-isolated-vm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runAgent } from '../src/index.js';
import type { AgentMode } from '../src/index.js';
import { createMessagesSimulator, scriptedPolicy } from '../src/simulator/index.js';
import type { MessagesSimulator, PolicyRequest } from '../src/simulator/index.js';

const model = 'claude-sonnet-4-6';
const limits = { maxToolCalls: 3, maxConcurrentToolCalls: 2 };
let sandbox: SandboxV1;
let simulator: MessagesSimulator;

// Counts what the host really ran: handler invocations, and how many ran at the same moment.
// `overlap`: a test that expects two handlers at once makes each handler wait (bounded) until a
// second one has started, so the overlap never depends on how fast the machine delivers calls.
const host = { calls: 0, active: 0, maxActive: 0, overlap: false };
let secondStarted: () => void = () => undefined;
let overlapped = Promise.resolve();
async function untilOverlap(): Promise<void> {
  // After the bound the latch opens for good: a serialising limit costs one wait, not one per call.
  const timer = setTimeout(() => secondStarted(), 10_000);
  await overlapped;
  clearTimeout(timer);
}
const tools = createToolset([
  defineTool({
    name: 'get_item',
    description: 'One item by id.',
    input: z.object({ id: z.string() }),
    execute: async ({ id }) => {
      host.calls++;
      host.active++;
      host.maxActive = Math.max(host.maxActive, host.active);
      if (host.maxActive >= 2) secondStarted();
      try {
        // Gives calls started together the chance to overlap (and a broken limit the chance to let
        // more than two run at once); nothing asserts on time.
        await new Promise((resolve) => setTimeout(resolve, 30));
        // Never passes without a second handler unless the limit serialised the calls; then the
        // test's toBe(2) fails after this bound instead of hanging.
        if (host.overlap) await untilOverlap();
        return `item ${id}`;
      } finally {
        host.active--;
      }
    },
  }),
]);

const ids = Array.from({ length: 10 }, (_, index) => `i${index}`);
const fanOut = ids.map((id) => ({ type: 'tool_use' as const, name: 'get_item', input: { id } }));
// Code that starts ten calls together and prints what each one got (value or error code).
const fanOutCode = `const results = await Promise.all(${JSON.stringify(ids)}.map((id) => get_item({ id }).then((value) => 'ok', (error) => error.code)));
console.log(results.join(','));`;

// What the model saw: every tool result text of the conversation, and the hosted code's output.
function seen(request: PolicyRequest): string {
  return [...request.toolResults.map((result) => `${result.isError ? 'error' : 'ok'}: ${result.content}`), ...request.codeExecutionResults.map((result) => result.stdout.trim())].join('\n');
}

beforeAll(async () => {
  sandbox = createIsolatedVmSandbox();
  simulator = await createMessagesSimulator({ policy: () => 'unused', sandbox, nativeLanguage: 'javascript' });
});
afterAll(async () => {
  await simulator.close();
  await sandbox.dispose();
});
beforeEach(() => {
  host.calls = 0;
  host.active = 0;
  host.maxActive = 0;
  host.overlap = false;
  overlapped = new Promise((resolve) => {
    secondStarted = resolve;
  });
  simulator.reset();
});

describe('one budget per agent run (limits.maxToolCalls, limits.maxConcurrentToolCalls)', () => {
  it.each(['parallel', 'sequential'] as const)('%s: ten direct calls run at most 3 handlers, at most 2 at once; the rest are TOOL_CALL_LIMIT errors for the model', async (mode) => {
    // Sequential mode: one call per turn (the simulator keeps the first of a turn), ten turns.
    host.overlap = mode === 'parallel';
    simulator.setPolicy((request) => (request.turn < 10 ? (mode === 'parallel' && request.turn > 0 ? seen(request) : fanOut) : seen(request)));
    const result = await runAgent({ client: simulator.createClient(), model, tools, mode, prompt: 'items', limits });
    expect(host.calls).toBe(3);
    expect(host.maxActive).toBeLessThanOrEqual(2);
    expect(result.status).toBe('completed');
    const refused = result.toolCalls.filter((call) => call.error?.code === 'TOOL_CALL_LIMIT');
    expect(refused).toHaveLength(result.toolCalls.length - 3);
    expect(refused.length).toBeGreaterThan(0);
    expect(result.text).toContain('error: Error (TOOL_CALL_LIMIT): Tool call limit reached');
    expect(result.text).toContain('limits.maxToolCalls');
    if (mode === 'parallel') expect(host.maxActive).toBe(2);
  });

  it('programmatic: two code runs share the budget (3 calls in all), and the code catches TOOL_CALL_LIMIT', async () => {
    simulator.setPolicy(scriptedPolicy([[{ type: 'code', code: fanOutCode }], [{ type: 'code', code: fanOutCode }], seen]));
    host.overlap = true;
    const result = await runAgent({ client: simulator.createClient(), model, tools, mode: 'programmatic', sandbox, prompt: 'items', limits });
    expect(host.calls).toBe(3);
    expect(host.maxActive).toBe(2);
    expect(result.status).toBe('completed');
    const outputs = [...result.text.matchAll(/Output:\n(.*)/g)].map((match) => match[1]!.split(','));
    expect(outputs).toHaveLength(2);
    expect(outputs[0]!.filter((value) => value === 'ok')).toHaveLength(3);
    expect(outputs[0]!.filter((value) => value === 'TOOL_CALL_LIMIT')).toHaveLength(7);
    expect(outputs[1]).toEqual(Array(10).fill('TOOL_CALL_LIMIT'));
  });

  it('hybrid: direct calls and code runs draw on the same budget', async () => {
    simulator.setPolicy(scriptedPolicy([fanOut.slice(0, 2), [{ type: 'code', code: fanOutCode }], seen]));
    const result = await runAgent({ client: simulator.createClient(), model, tools, mode: 'hybrid', sandbox, prompt: 'items', limits });
    expect(host.calls).toBe(3);
    expect(host.maxActive).toBeLessThanOrEqual(2);
    expect(result.text).toContain(`Output:\nok,${Array(9).fill('TOOL_CALL_LIMIT').join(',')}`);
  });

  it('native: hosted code with ten nested calls runs at most 3, at most 2 at once; the code catches TOOL_CALL_LIMIT', async () => {
    const outputs = (request: PolicyRequest): string => request.codeExecutionResults.map((result) => result.stdout.trim()).join('\n');
    simulator.setPolicy(scriptedPolicy([[{ type: 'code', code: fanOutCode }], [{ type: 'code', code: fanOutCode }], outputs]));
    host.overlap = true;
    const result = await runAgent({ client: simulator.createClient(), model, tools, mode: 'native', prompt: 'items', limits });
    expect(host.calls).toBe(3);
    expect(host.maxActive).toBe(2);
    expect(result.status).toBe('completed');
    const lines = result.text.split('\n').map((line) => line.split(','));
    expect(lines).toHaveLength(2);
    expect(lines[0]!.filter((value) => value === 'ok')).toHaveLength(3);
    expect(lines[1]).toEqual(Array(10).fill('TOOL_CALL_LIMIT'));
  });
});

describe('maxNestedCallBatches', () => {
  const loopCode = `for (let index = 0; index < 25; index++) await get_item({ id: String(index) });
console.log('looped');`;

  it('a hosted loop of 25 sequential nested calls completes under the default', async () => {
    simulator.setPolicy(scriptedPolicy([[{ type: 'code', code: loopCode }], (request) => request.codeExecutionResults[0]!.stdout.trim()]));
    const result = await runAgent({ client: simulator.createClient(), model, tools, mode: 'native', prompt: 'loop' });
    expect(result.status).toBe('completed');
    expect(result.text).toBe('looped');
    expect(host.calls).toBe(25);
    expect(result.metrics.modelRoundTrips).toBe(26);
  });

  it('past maxNestedCallBatches the run ends with status max_nested_call_batches', async () => {
    simulator.setPolicy(scriptedPolicy([[{ type: 'code', code: loopCode }], (request) => request.codeExecutionResults[0]!.stdout.trim()]));
    const result = await runAgent({ client: simulator.createClient(), model, tools, mode: 'native', prompt: 'loop', maxNestedCallBatches: 10 });
    expect(result.status).toBe('max_nested_call_batches');
    // The first response and ten continuations; the eleventh batch is not answered.
    expect(result.metrics.modelRoundTrips).toBe(11);
    expect(host.calls).toBe(10);
  });

  it('rejects a maxNestedCallBatches that is not a positive integer', async () => {
    for (const value of [0, -1, 1.5]) {
      await expect(runAgent({ client: simulator.createClient(), model, tools, mode: 'native' satisfies AgentMode, prompt: 'x', maxNestedCallBatches: value })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    }
  });
});

describe('record and replay of tool results', () => {
  it('a programmatic run replayed from its JSON cassette gives the same answer and makes no host calls', async () => {
    const code = `const results = await Promise.all(["a", "b", "c"].map((id) => get_item({ id })));
console.log(results.join(';'));`;
    simulator.setPolicy(scriptedPolicy([[{ type: 'code', code }], (request) => `saw ${request.lastToolResults[0]!.content}`]));
    const recording = recordToolResults(tools);
    const recorded = await runAgent({ client: simulator.createClient(), model, tools: recording.tools, mode: 'programmatic', sandbox, prompt: 'items' });
    expect(recorded.text).toBe('saw Output:\nitem a;item b;item c');
    expect(host.calls).toBe(3);

    const cassette = JSON.parse(JSON.stringify(recording.cassette)) as ToolCassette;
    simulator.reset();
    const replayed = await runAgent({ client: simulator.createClient(), model, tools: replayToolResults(cassette), mode: 'programmatic', sandbox, prompt: 'items' });
    expect(replayed.text).toBe(recorded.text);
    expect(replayed.toolCalls.map((call) => call.output)).toEqual(recorded.toolCalls.map((call) => call.output));
    expect(host.calls).toBe(3);
  });
});
