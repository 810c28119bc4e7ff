// The SDK's own tool helpers and tool runner, for real: betaZodTool, betaTool and mcpTool become
// codecall tools that code calls in an isolate, and the code tool runs inside
// client.beta.messages.toolRunner against the loopback Messages API simulator.
import { betaTool } from '@anthropic-ai/sdk/helpers/beta/json-schema';
import { mcpTool } from '@anthropic-ai/sdk/helpers/beta/mcp';
import type { MCPCallToolResultLike, MCPClientLike } from '@anthropic-ai/sdk/helpers/beta/mcp';
import { betaZodTool } from '@anthropic-ai/sdk/helpers/beta/zod';
import type { BetaToolRunContext } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import type { BetaToolResultBlockParam } from '@anthropic-ai/sdk/resources/beta';
import { createToolset, runCode } from '@codecall/core';
import type { SandboxV1 } from '@codecall/core';
import { createIsolatedVmSandbox } from '@codecall/sandbox-isolated-vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCodeTool, fromAnthropicTools, toRunnableCodeTool } from '../src/index.js';
import type { CodeToolRunResult } from '../src/index.js';
import { createMessagesSimulator, scriptedPolicy } from '../src/simulator/index.js';
import type { MessagesSimulator } from '../src/simulator/index.js';

const model = 'claude-sonnet-4-6';
let sandbox: SandboxV1;
let simulator: MessagesSimulator;
const contexts: BetaToolRunContext[] = [];

const forecast = betaZodTool({
  name: 'get_forecast',
  description: 'Forecast of a city for the next days.',
  inputSchema: z.object({ city: z.string().min(1), days: z.number().int().min(1).max(7).default(3) }),
  run: ({ city, days }, context) => {
    if (context !== undefined) contexts.push(context);
    return JSON.stringify({ city, days, highs: Array.from({ length: days }, (_unused, index) => 20 + index) });
  },
});

const convert = betaTool({
  name: 'convert.temperature',
  description: 'Celsius to Fahrenheit.',
  inputSchema: { type: 'object', properties: { celsius: { type: 'number' } }, required: ['celsius'], additionalProperties: false },
  run: ({ celsius }) => String((celsius * 9) / 5 + 32),
});

// An MCP client as @modelcontextprotocol/sdk's Client answers callTool (the helper is typed
// structurally against that surface; the MCP SDK itself is exercised by @codecall/mcp's tests).
const mcpClient: MCPClientLike = {
  callTool: ({ name, arguments: input }): Promise<MCPCallToolResultLike> => {
    const city = String((input as { city?: unknown }).city);
    if (city === 'Atlantis') return Promise.resolve({ content: [{ type: 'text', text: `No station in ${city}.` }], isError: true });
    return Promise.resolve({ content: [{ type: 'text', text: JSON.stringify({ tool: name, city, alerts: [] }) }] });
  },
};
const alerts = mcpTool({ name: 'weather-alerts', description: 'Active alerts.', inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }, mcpClient);

beforeAll(async () => {
  sandbox = createIsolatedVmSandbox();
  simulator = await createMessagesSimulator({ policy: scriptedPolicy(['unused']) });
});
afterAll(async () => {
  await simulator.close();
  await sandbox.dispose();
});

describe('fromAnthropicTools', () => {
  it('turns betaZodTool, betaTool and mcpTool tools into tools that code calls', async () => {
    const tools = createToolset(fromAnthropicTools([forecast, convert, alerts]));
    expect(tools.entries.map((entry) => entry.identifier)).toEqual(['get_forecast', 'convert_temperature', 'weather_alerts']);
    contexts.length = 0;
    const result = await runCode({
      sandbox,
      tools,
      code: `
        const week = await get_forecast({ city: 'Paris' });
        const fahrenheit = await convert_temperature({ celsius: week.highs[0] });
        const listed = await weather_alerts({ city: 'Paris' });
        const failures = [];
        for (const call of [() => get_forecast({ city: '' }), () => convert_temperature({ celsius: 1, unit: 'K' }), () => weather_alerts({ city: 'Atlantis' })]) {
          try { await call(); } catch (error) { failures.push(error.code + ': ' + error.message); }
        }
        return { week, fahrenheit, listed, failures };
      `,
    });
    expect(result.type, JSON.stringify(result)).toBe('success');
    if (result.type !== 'success') return;
    expect(result.value).toEqual({
      // The zod default (days: 3) was applied by the tool's own parse.
      week: { city: 'Paris', days: 3, highs: [20, 21, 22] },
      fahrenheit: 68,
      listed: { tool: 'weather-alerts', city: 'Paris', alerts: [] },
      failures: [
        'INVALID_INPUT: Invalid input for get_forecast: input.city must NOT have fewer than 1 characters',
        'INVALID_INPUT: Invalid input for convert.temperature: input must NOT have additional properties: "unit"',
        'TOOL_FAILED: No station in Atlantis.',
      ],
    });
    // run() got the SDK's context: the call id as the tool_use id, and the call's abort signal.
    expect(contexts).toHaveLength(1);
    expect(contexts[0]?.toolUse).toMatchObject({ type: 'tool_use', name: 'get_forecast', id: result.toolCalls[0]?.id, input: { city: 'Paris' } });
    expect(contexts[0]?.signal).toBeInstanceOf(AbortSignal);
    expect(createCodeTool({ sandbox, tools }).declarations).toContain('declare function get_forecast(input: {');
  });

  it('refuses what is not a client tool with a schema, naming the tool', () => {
    const memoryLike = { type: 'memory_20250818', name: 'memory', run: () => '', parse: (value: unknown) => value };
    expect(() => fromAnthropicTools([memoryLike as unknown as typeof convert])).toThrow(/fromAnthropicTool\(memory\) has no input_schema \(an Anthropic-defined tool of type "memory_20250818"\)/);
    const broken = betaTool({ name: 'broken', description: '', inputSchema: { type: 'object', properties: { a: { type: 'strnig' as 'string' } } }, run: () => '' });
    expect(() => fromAnthropicTools([broken])).toThrow(/"type" at \/properties\/a\/type must be equal to one of the allowed values/);
    expect(fromAnthropicTools([broken], { invalidSchema: 'fail-calls' })[0]?.parseInput({}).success).toBe(false);
  });
});

describe('toRunnableCodeTool in client.beta.messages.toolRunner', () => {
  it('runs the model’s code with the tools and sends the result back, in a real tool runner loop', async () => {
    const runs: CodeToolRunResult[] = [];
    const runCodeTool = toRunnableCodeTool({ sandbox, tools: fromAnthropicTools([forecast, convert]) }, { onRun: (run) => runs.push(run) });
    expect(runCodeTool.codeTool.definition.description).toContain('declare function convert_temperature');
    expect(Object.keys(runCodeTool)).toEqual(['type', 'name', 'description', 'input_schema', 'parse', 'run']);
    simulator.setPolicy(
      scriptedPolicy([
        [{ type: 'code', code: 'const week = await get_forecast({ city: "Oslo", days: 2 }); return Promise.all(week.highs.map((celsius) => convert_temperature({ celsius })));' }],
        (request) => `Highs in °F: ${JSON.stringify(request.lastToolResults[0]?.value)}`,
      ]),
    );
    simulator.reset();
    const client = simulator.createClient();
    const finalMessage = await client.beta.messages.toolRunner({
      model,
      max_tokens: 1024,
      tools: [runCodeTool],
      messages: [{ role: 'user', content: 'What are the highs in Oslo in Fahrenheit?' }],
      max_iterations: 4,
      // The runner's default keeps the conversation on the server (message threads), which the
      // simulator does not implement; `thread: false` sends the whole conversation each turn.
      thread: false,
    });
    expect(finalMessage.content).toEqual([expect.objectContaining({ type: 'text', text: 'Highs in °F: [68,69.8]' })]);
    expect(simulator.exchanges).toHaveLength(2);
    expect(runs).toHaveLength(1);
    expect(runs[0]?.result).toMatchObject({ type: 'success', value: [68, 69.8] });
    // The code ran under the tool_use id of the model's call.
    const toolUse = simulator.exchanges[0]?.message?.content.find((block) => block.type === 'tool_use');
    expect(runs[0]?.result?.executionId).toBe(toolUse?.id);
  });

  it('sends a failed run as an is_error tool_result the model can read', async () => {
    const runCodeTool = toRunnableCodeTool(createCodeTool({ sandbox, tools: fromAnthropicTools([convert]) }));
    simulator.setPolicy(
      scriptedPolicy([
        [{ type: 'code', code: 'await convert_temperature({ celsius: "warm" });' }],
        (request) => `error seen: ${String(request.lastToolResults[0]?.isError)}`,
      ]),
    );
    simulator.reset();
    const finalMessage = await simulator.createClient().beta.messages.toolRunner({
      model,
      max_tokens: 1024,
      tools: [runCodeTool],
      messages: [{ role: 'user', content: 'Convert.' }],
      max_iterations: 4,
      // The runner's default keeps the conversation on the server (message threads), which the
      // simulator does not implement; `thread: false` sends the whole conversation each turn.
      thread: false,
    });
    expect(finalMessage.content).toEqual([expect.objectContaining({ type: 'text', text: 'error seen: true' })]);
    const sent = (simulator.exchanges[1]?.body.messages as { role: string; content: unknown }[]).at(-1)?.content as BetaToolResultBlockParam[];
    expect(sent[0]).toMatchObject({ type: 'tool_result', is_error: true });
    expect(JSON.stringify(sent[0]?.content)).toContain('INVALID_INPUT');
    expect(JSON.stringify(sent[0]?.content)).toContain('input.celsius must be number');
  });
});
