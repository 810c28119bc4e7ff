import { createToolset, defineTool } from '@codecall/core';
import type { SandboxV1 } from '@codecall/core';
import { createIsolatedVmSandbox } from '@codecall/sandbox-isolated-vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runAgent } from '../src/index.js';
import type { AgentEvent } from '../src/index.js';
import { countTokens, createMessagesSimulator, scriptedPolicy } from '../src/simulator/index.js';
import type { MessagesSimulator } from '../src/simulator/index.js';
import { expected, policy, task, tools } from '../examples/expense-scenario.js';

const model = 'claude-sonnet-4-6';
let sandbox: SandboxV1;
let simulator: MessagesSimulator;

beforeAll(async () => {
  sandbox = createIsolatedVmSandbox();
  // JavaScript stands in for hosted Python here; test/native-python.test.ts runs the Python path.
  simulator = await createMessagesSimulator({ policy, sandbox, nativeLanguage: 'javascript', cache: { minCacheableTokens: 0 } });
});
afterAll(async () => {
  await simulator.close();
  await sandbox.dispose();
});

describe.each([false, true])('code modes on isolated-vm (stream: %s)', (stream) => {
  it('programmatic: one code run replaces six direct calls, and less tool output enters the context', async () => {
    simulator.setPolicy(policy);
    simulator.reset();
    const parallel = await runAgent({ client: simulator.createClient(), model, tools, mode: 'parallel', prompt: task, stream });
    simulator.reset();
    const events: AgentEvent[] = [];
    const result = await runAgent({ client: simulator.createClient(), model, tools, mode: 'programmatic', sandbox, prompt: task, stream, onEvent: (event) => events.push(event) });
    expect(result.text).toBe(`Over the travel budget: ${expected}`);
    expect(result.metrics.modelRoundTrips).toBe(2);
    expect(result.metrics.toolCalls).toMatchObject({ direct: 0, nested: 6, codeRuns: 1, failed: 0 });
    expect(result.toolCalls.every((call) => call.caller === 'code')).toBe(true);
    expect(result.metrics.sandboxTimeMs).toBeGreaterThan(0);
    expect(result.metrics.toolResultBytes).toBeLessThan(parallel.metrics.toolResultBytes / 5);
    // The model was offered only the code tool, with the declarations in its description.
    const offered = simulator.exchanges[0]!.body.tools as { name: string; description: string; cache_control?: unknown }[];
    expect(offered.map((tool) => tool.name)).toEqual(['run_code']);
    expect(offered[0]!.description).toContain('declare function get_expenses');
    expect(offered[0]!.cache_control).toEqual({ type: 'ephemeral' });
    const usages = simulator.exchanges.map((exchange) => exchange.message!.usage);
    expect(result.metrics.inputTokens + result.metrics.cacheCreationInputTokens + result.metrics.cacheReadInputTokens).toBe(
      usages.reduce((sum, usage) => sum + usage.input_tokens + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0), 0),
    );
    expect(usages[1]!.cache_read_input_tokens).toBe(usages[0]!.input_tokens + (usages[0]!.cache_creation_input_tokens ?? 0));
    expect(events.map((event) => event.type)).toContain('code-result');
  });

  it('hybrid: direct tools and the code tool are offered together', async () => {
    simulator.setPolicy(policy);
    simulator.reset();
    const result = await runAgent({ client: simulator.createClient(), model, tools, mode: 'hybrid', sandbox, prompt: task, stream });
    expect(result.text).toBe(`Over the travel budget: ${expected}`);
    const offered = (simulator.exchanges[0]!.body.tools as { name: string }[]).map((tool) => tool.name);
    expect(offered).toEqual(['get_team_members', 'get_expenses', 'run_code']);
    expect(result.metrics.toolCalls).toMatchObject({ direct: 0, nested: 6, codeRuns: 1 });
  });

  it('native (emulated): hosted code calls the tools through tool_use blocks with a caller, in the container', async () => {
    simulator.setPolicy(policy);
    simulator.reset();
    const result = await runAgent({ client: simulator.createClient(), model, tools, mode: 'native', prompt: task, stream });
    expect(result.text).toBe(`Over the travel budget: ${expected}`);
    // get_team_members, then the 5 get_expenses of Promise.all in one batch, then the result.
    expect(result.metrics.modelRoundTrips).toBe(3);
    expect(result.metrics.toolCalls).toMatchObject({ direct: 0, nested: 6, codeRuns: 1 });
    expect(result.toolCalls.every((call) => call.caller === 'native')).toBe(true);
    const [first, second, third] = simulator.exchanges.map((exchange) => exchange.message!);
    const offered = simulator.exchanges[0]!.body.tools as { name?: string; type?: string; allowed_callers?: string[] }[];
    expect(offered.map((tool) => tool.type ?? tool.name)).toEqual(['get_team_members', 'get_expenses', 'code_execution_20260120']);
    expect(offered[0]!.allowed_callers).toEqual(['direct', 'code_execution_20260120']);
    const server = first!.content.find((block) => block.type === 'server_tool_use')!;
    expect(server).toMatchObject({ name: 'code_execution', caller: { type: 'direct' } });
    const nested = [...first!.content, ...second!.content].filter((block) => block.type === 'tool_use');
    expect(nested).toHaveLength(6);
    for (const block of nested) expect(block.caller).toEqual({ type: 'code_execution_20260120', tool_id: server.id });
    expect(second!.content.every((block) => block.type === 'tool_use')).toBe(true);
    // The container id is carried forward while calls are pending; replies hold only tool_result blocks.
    expect(first!.container?.id).toMatch(/^container_/);
    expect(simulator.exchanges[1]!.body.container).toBe(first!.container!.id);
    expect(simulator.exchanges[2]!.body.container).toBe(first!.container!.id);
    for (const exchange of simulator.exchanges.slice(1)) {
      const messages = exchange.body.messages as { role: string; content: { type: string; content?: unknown }[] }[];
      const reply = messages.at(-1)!;
      expect(reply.role).toBe('user');
      expect(reply.content.every((block) => block.type === 'tool_result' && typeof block.content === 'string')).toBe(true);
    }
    expect(third!.content.map((block) => block.type)).toEqual(['code_execution_tool_result', 'text']);
    // The middle response resumed the code without consulting the model: no tokens.
    expect(second!.usage).toMatchObject({ input_tokens: 0, output_tokens: 0 });
    expect(result.metrics.toolResultBytes).toBe(Buffer.byteLength(`${expected}\n`));
    expect(result.metrics.nestedToolResultBytes).toBeGreaterThan(500);
  });
});

describe('code tool behaviour', () => {
  it('reports a runtime error with its line, and the model can act on it', async () => {
    simulator.setPolicy(
      scriptedPolicy([[{ type: 'code', code: 'const ids = await get_team_members({});\nnull.boom;\nreturn ids;' }], (request) => `saw: ${request.lastToolResults[0]!.content}`]),
    );
    simulator.reset();
    const result = await runAgent({ client: simulator.createClient(), model, tools, mode: 'programmatic', sandbox, prompt: task });
    expect(result.text).toMatch(/^saw: Error: RUNTIME_ERROR at line 2: TypeError: /);
    expect(result.metrics.toolCalls).toMatchObject({ nested: 1, codeRuns: 1 });
    const sent = simulator.exchanges[1]!.body.messages as { content: { is_error?: boolean }[] }[];
    expect(sent.at(-1)!.content[0]!.is_error).toBe(true);
  });

  it('caps a large result with a visible truncation marker', async () => {
    simulator.setPolicy(scriptedPolicy([[{ type: 'code', code: 'console.log("x".repeat(100000)); return 42;' }], (request) => request.lastToolResults[0]!.content]));
    simulator.reset();
    const result = await runAgent({ client: simulator.createClient(), model, tools, mode: 'programmatic', sandbox, prompt: task, codeTool: { maxResultBytes: 2_000 } });
    expect(Buffer.byteLength(result.text)).toBeLessThanOrEqual(2_000);
    expect(result.text).toMatch(/…\[truncated \d+ of \d+ bytes\]/);
    expect(result.text).toContain('Return value:\n42');
  });

  it('a denied call reaches the code as a catchable ToolError DENIED, and the approval is traced', async () => {
    const guarded = createToolset([
      ...tools.entries.map((entry) => entry.tool),
      defineTool({ name: 'wire_money', input: z.object({ amount: z.number() }), needsApproval: ({ amount }) => amount > 100, execute: ({ amount }) => `sent ${amount}` }),
    ]);
    const code = `const small = await wire_money({ amount: 5 });
try { await wire_money({ amount: 500 }); return [small, 'not denied']; }
catch (error) { return [small, error instanceof ToolError ? error.code : 'other']; }`;
    simulator.setPolicy(scriptedPolicy([[{ type: 'code', code }], (request) => JSON.stringify(request.lastToolResults[0]!.value)]));
    simulator.reset();
    const events: AgentEvent[] = [];
    const result = await runAgent({
      client: simulator.createClient(),
      model,
      tools: guarded,
      mode: 'programmatic',
      sandbox,
      prompt: 'pay',
      onApproval: () => false,
      onEvent: (event) => events.push(event),
    });
    expect(JSON.parse(result.text)).toEqual(['sent 5', 'DENIED']);
    expect(result.toolCalls.map((call) => call.approval)).toEqual([undefined, 'denied']);
    expect(events.filter((event) => event.type === 'approval')).toEqual([expect.objectContaining({ toolName: 'wire_money', approved: false, input: { amount: 500 } })]);
    expect(result.metrics.toolCalls).toMatchObject({ nested: 2, denied: 1, failed: 1 });
  });

  it('native: a denied nested call reaches hosted code as ToolError DENIED', async () => {
    const guarded = createToolset([defineTool({ name: 'wire_money', input: z.object({ amount: z.number() }), needsApproval: true, execute: () => 'sent' })]);
    const code = `try { await wire_money({ amount: 500 }); console.log('sent'); } catch (error) { console.log(error.code); }`;
    simulator.setPolicy(scriptedPolicy([[{ type: 'code', code }], (request) => request.codeExecutionResults[0]!.stdout.trim()]));
    simulator.reset();
    const result = await runAgent({ client: simulator.createClient(), model, tools: guarded, mode: 'native', prompt: 'pay', onApproval: () => false });
    expect(result.text).toBe('DENIED');
    expect(result.toolCalls).toEqual([expect.objectContaining({ caller: 'native', approval: 'denied', error: expect.objectContaining({ code: 'DENIED' }) })]);
  });
});

describe('scripted native policy', () => {
  it('turn counts model turns, not the responses that only carried nested calls', async () => {
    const code = `const ids = JSON.parse(await get_team_members({}));
for (const employeeId of ids) await get_expenses({ employeeId });
console.log(ids.length);`;
    simulator.setPolicy(scriptedPolicy([[{ type: 'code', code }], (request) => `turn ${request.turn}: ${request.codeExecutionResults[0]!.stdout.trim()} members`]));
    simulator.reset();
    const result = await runAgent({ client: simulator.createClient(), model, tools, mode: 'native', prompt: task });
    expect(result.text).toBe('turn 1: 5 members');
    // One response per sequential nested call, then the result.
    expect(result.metrics.modelRoundTrips).toBe(7);
    expect(simulator.exchanges.map((exchange) => exchange.policyCalls)).toEqual([1, 0, 0, 0, 0, 0, 1]);
  });

  it('maxTurns counts model turns: six continuations and two turns fit in maxTurns 2', async () => {
    const code = `const ids = JSON.parse(await get_team_members({}));
for (const employeeId of ids) await get_expenses({ employeeId });
console.log(ids.length);`;
    simulator.setPolicy(scriptedPolicy([[{ type: 'code', code }], 'done']));
    simulator.reset();
    const result = await runAgent({ client: simulator.createClient(), model, tools, mode: 'native', prompt: task, maxTurns: 2 });
    expect(result.status).toBe('completed');
    expect(result.text).toBe('done');
    expect(result.metrics.modelRoundTrips).toBe(7);
    // One model turn is one turn, whatever the hosted code does.
    simulator.reset();
    const short = await runAgent({ client: simulator.createClient(), model, tools, mode: 'native', prompt: task, maxTurns: 1 });
    expect(short.status).toBe('max_turns');
  });

  it('nested results reach hosted code as the text the client sent (the code parses JSON itself)', async () => {
    const code = `const raw = await get_team_members({});
console.log(typeof raw, Array.isArray(raw), JSON.parse(raw).length);`;
    simulator.setPolicy(scriptedPolicy([[{ type: 'code', code }], (request) => request.codeExecutionResults[0]!.stdout.trim()]));
    simulator.reset();
    const result = await runAgent({ client: simulator.createClient(), model, tools, mode: 'native', prompt: task });
    expect(result.text).toBe('string false 5');
  });

  it('a continuation without the container id gets the API\'s 400', async () => {
    simulator.setPolicy(scriptedPolicy([[{ type: 'code', code: 'const ids = await get_team_members({}); console.log(ids);' }], 'done']));
    simulator.reset();
    const client = simulator.createClient({ maxRetries: 0 });
    const first = await client.messages.create({
      model,
      max_tokens: 1_000,
      messages: [{ role: 'user', content: task }],
      tools: [{ name: 'get_team_members', description: 'Team.', input_schema: { type: 'object', properties: {} }, allowed_callers: ['code_execution_20260120'] }, { type: 'code_execution_20260120', name: 'code_execution' }],
    });
    const nested = first.content.find((block) => block.type === 'tool_use')!;
    expect(first.container?.id).toMatch(/^container_/);
    const reply = {
      model,
      max_tokens: 1_000,
      messages: [
        { role: 'user' as const, content: task },
        { role: 'assistant' as const, content: first.content },
        { role: 'user' as const, content: [{ type: 'tool_result' as const, tool_use_id: nested.id, content: '["e1"]' }] },
      ],
      tools: [{ name: 'get_team_members', description: 'Team.', input_schema: { type: 'object' as const, properties: {} }, allowed_callers: ['code_execution_20260120' as const] }, { type: 'code_execution_20260120' as const, name: 'code_execution' as const }],
    };
    await expect(client.messages.create(reply)).rejects.toMatchObject({ status: 400, error: { error: { type: 'invalid_request_error', message: expect.stringContaining('container') } } });
    const resumed = await client.messages.create({ ...reply, container: first.container!.id });
    expect(resumed.content.some((block) => block.type === 'code_execution_tool_result')).toBe(true);
  });
});

describe('hosted overheads and call syntax', () => {
  it('counts the code-execution tool as its stated tokens, the call syntax per tool_use, and a continuation as a round trip', async () => {
    await using counted = await createMessagesSimulator({
      policy: scriptedPolicy([[{ type: 'code', code: 'const ids = JSON.parse(await get_team_members({})); for (const id of ids) await get_expenses({ employeeId: id }); console.log(ids.length);' }], 'done']),
      sandbox,
      nativeLanguage: 'javascript',
      latency: 'sonnet',
      timeScale: 0,
      codeExecutionToolTokens: 2_275,
      toolUseOverheadTokens: 44,
      continuationLatencyMs: 700,
    });
    const base = await createMessagesSimulator({ policy: () => 'x', codeExecutionToolTokens: 0 });
    const client = counted.createClient();
    const result = await runAgent({ client, model, tools, mode: 'native', prompt: task, promptCaching: false });
    expect(result.text).toBe('done');
    const baseline = await base.createClient().messages.countTokens({ model, messages: [{ role: 'user', content: task }], tools: counted.exchanges[0]!.body.tools as never });
    const withTool = await client.messages.countTokens({ model, messages: [{ role: 'user', content: task }], tools: counted.exchanges[0]!.body.tools as never });
    await base.close();
    expect(withTool.input_tokens - baseline.input_tokens).toBe(2_275);
    const continuations = counted.exchanges.filter((exchange) => exchange.policyCalls === 0);
    expect(continuations.length).toBe(5);
    for (const exchange of continuations) {
      expect(exchange.message!.usage).toMatchObject({ input_tokens: 0, output_tokens: 0 });
      expect(exchange.simulatedMs).toBe(700);
    }
    const first = counted.exchanges[0]!;
    const code = (first.message!.content.find((block) => block.type === 'server_tool_use')!.input as { code: string }).code;
    expect(first.message!.usage.output_tokens).toBe(countTokens(`code_execution ${JSON.stringify({ code })}`) + 44);
  });
});

describe('hybrid mode with both kinds of calls', () => {
  it('a direct call, then code that uses its result, counted apart', async () => {
    simulator.setPolicy(
      scriptedPolicy([
        [{ type: 'tool_use', name: 'get_team_members', input: {} }],
        (request) => {
          const ids = request.lastToolResults[0]!.value as string[];
          return [{ type: 'code', code: `const all = await Promise.all(${JSON.stringify(ids)}.map((employeeId) => get_expenses({ employeeId })));\nreturn all.map((items) => items.length);` }];
        },
        (request) => `counts: ${JSON.stringify(request.lastToolResults[0]!.value)}`,
      ]),
    );
    simulator.reset();
    const result = await runAgent({ client: simulator.createClient(), model, tools, mode: 'hybrid', sandbox, prompt: task });
    expect(result.text).toBe('counts: [10,10,10,10,10]');
    expect(result.metrics.modelRoundTrips).toBe(3);
    expect(result.metrics.toolCalls).toMatchObject({ direct: 1, nested: 5, codeRuns: 1 });
    expect(result.toolCalls.map((call) => call.caller)).toEqual(['direct', 'code', 'code', 'code', 'code', 'code']);
  });
});

describe('options', () => {
  it('rejects a language the sandbox does not run, and a missing sandbox, as INVALID_OPTIONS', async () => {
    const client = simulator.createClient();
    await expect(runAgent({ client, model, tools, mode: 'programmatic', sandbox, language: 'python', prompt: task })).rejects.toMatchObject({ name: 'AgentError', code: 'INVALID_OPTIONS' });
    await expect(runAgent({ client, model, tools, mode: 'hybrid', prompt: task })).rejects.toMatchObject({ name: 'AgentError', code: 'INVALID_OPTIONS' });
  });
});
