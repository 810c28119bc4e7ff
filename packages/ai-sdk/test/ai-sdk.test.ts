// The real AI SDK: tool() sets with zod and jsonSchema() schemas become codecall tools that code
// calls in an isolate, and the code tool runs inside generateText, with the AI SDK's own mock
// language model (from `ai/test`) playing the model.
import { createToolset, generateDeclarations, runCode } from '@codecall/core';
import type { SandboxV1 } from '@codecall/core';
import { createIsolatedVmSandbox } from '@codecall/sandbox-isolated-vm';
import { generateText, jsonSchema, stepCountIs, tool } from 'ai';
import type { ToolExecutionOptions, ToolSet } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fromAiSdkTools, toAiSdkCodeTool } from '../src/index.js';

let sandbox: SandboxV1;
const seen: ToolExecutionOptions<unknown>[] = [];

const tools = {
  weather: tool({
    description: 'Weather of a city.',
    inputSchema: z.object({ city: z.string().min(1).transform((city) => city.toUpperCase()), unit: z.enum(['c', 'f']).default('c') }),
    outputSchema: z.object({ city: z.string(), unit: z.string(), temperature: z.number() }),
    execute: ({ city, unit }, options) => {
      seen.push(options);
      return { city, unit, temperature: unit === 'c' ? 21 : 70 };
    },
  }),
  'stock.price': tool({
    description: 'Price of a ticker.',
    inputSchema: jsonSchema<{ ticker: string }>({ type: 'object', properties: { ticker: { type: 'string', pattern: '^[A-Z]{1,5}$' } }, required: ['ticker'], additionalProperties: false }),
    execute: ({ ticker }) => Promise.resolve({ ticker, price: ticker.length * 10 }),
  }),
  even: tool({
    description: 'Checks an even number.',
    inputSchema: z.object({ n: z.number().refine((n) => n % 2 === 0, 'n must be even') }),
    execute: ({ n }) => n / 2,
  }),
  progress: tool({
    description: 'A streaming tool: yields preliminary results.',
    inputSchema: z.object({}),
    async *execute() {
      yield { done: 1 };
      await Promise.resolve();
      yield { done: 2 };
    },
  }),
  transfer: tool({
    description: 'Moves money.',
    inputSchema: z.object({ amount: z.number() }),
    needsApproval: (input: { amount: number }) => input.amount > 100,
    execute: ({ amount }) => `moved ${amount}`,
  }),
} satisfies ToolSet;

beforeAll(() => {
  sandbox = createIsolatedVmSandbox();
});
afterAll(async () => {
  await sandbox.dispose();
});

describe('fromAiSdkTools', () => {
  it('turns tool() with zod and jsonSchema() schemas into tools that code calls, with both validators', async () => {
    const toolset = createToolset(await fromAiSdkTools(tools, { context: { userId: 'u1' } }));
    expect(toolset.entries.map((entry) => entry.identifier)).toEqual(['weather', 'stock_price', 'even', 'progress', 'transfer']);
    // outputSchema types the declaration.
    expect(generateDeclarations(toolset, { language: 'typescript' })).toContain('}): Promise<{ city: string; unit: string; temperature: number }>;');
    seen.length = 0;
    const result = await runCode({
      sandbox,
      tools: toolset,
      code: `
        const failures = [];
        const attempt = async (call) => { try { return await call(); } catch (error) { failures.push(error.code + ': ' + error.message); } };
        const paris = await weather({ city: 'paris' });
        const price = await stock_price({ ticker: 'ACME' });
        const half = await even({ n: 8 });
        const streamed = await progress({});
        const small = await transfer({ amount: 5 });
        await attempt(() => weather({ city: '' }));
        await attempt(() => stock_price({ ticker: 'lower' }));
        await attempt(() => even({ n: 3 }));
        await attempt(() => transfer({ amount: 500 }));
        return { paris, price, half, streamed, small, failures };
      `,
    });
    expect(result.type, JSON.stringify(result)).toBe('success');
    if (result.type !== 'success') return;
    expect(result.value).toEqual({
      // zod's transform and default ran (the tool's own validator, after Ajv).
      paris: { city: 'PARIS', unit: 'c', temperature: 21 },
      price: { ticker: 'ACME', price: 40 },
      half: 4,
      streamed: { done: 2 },
      small: 'moved 5',
      failures: [
        'INVALID_INPUT: Invalid input for weather: input.city must NOT have fewer than 1 characters',
        'INVALID_INPUT: Invalid input for stock.price: input.ticker must match pattern "^[A-Z]{1,5}$"',
        'INVALID_INPUT: Invalid input for even: input.n n must be even',
        'DENIED: The call to transfer was denied (it needs approval and no onApproval callback is set).',
      ],
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ toolCallId: result.toolCalls[0]?.id, messages: [], context: { userId: 'u1' } });
    expect(seen[0]?.abortSignal).toBeInstanceOf(AbortSignal);
  });

  it('refuses what code cannot call, naming the tool', async () => {
    const clientSide = { ask: tool({ description: 'Asks the user.', inputSchema: z.object({ question: z.string() }) }) };
    await expect(fromAiSdkTools(clientSide as unknown as ToolSet)).rejects.toThrow(/tool "ask" has no execute function/);
    const provider = { search: { type: 'provider', id: 'anthropic.web_search_20250305', args: {}, inputSchema: jsonSchema({ type: 'object' }), isProviderExecuted: true } };
    await expect(fromAiSdkTools(provider as unknown as ToolSet)).rejects.toThrow(/tool "search" is a provider tool \(anthropic.web_search_20250305\)/);
    await expect(fromAiSdkTools([tools.weather] as unknown as ToolSet)).rejects.toThrow(/expects an AI SDK tool set .* got an array/);
    const broken = { broken: tool({ inputSchema: jsonSchema({ type: 'object', properties: { a: { type: 'strnig' as 'string' } } }), execute: () => 1 }) };
    await expect(fromAiSdkTools(broken)).rejects.toThrow(/"type" at \/properties\/a\/type must be equal to one of the allowed values/);
  });
});

function toolResultsOf(prompt: unknown): unknown[] {
  const messages = prompt as { role: string; content: { type: string; output?: unknown }[] }[];
  return messages.filter((message) => message.role === 'tool').flatMap((message) => message.content.filter((part) => part.type === 'tool-result').map((part) => part.output));
}

const usage = { inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 5, text: 5, reasoning: 0 } };

describe('toAiSdkCodeTool in generateText', () => {
  it('runs the model’s code with the tools and gives the model the result', async () => {
    const codeTool = toAiSdkCodeTool({ sandbox, tools: await fromAiSdkTools(tools) });
    const model = new MockLanguageModelV4({
      doGenerate: (options) => {
        const results = toolResultsOf(options.prompt);
        if (results.length === 0) {
          const code = 'const [a, b] = await Promise.all([weather({ city: "oslo" }), stock_price({ ticker: "NOK" })]); console.log("fetched"); return { a: a.temperature, b: b.price };';
          return Promise.resolve({ content: [{ type: 'tool-call', toolCallId: 'call-1', toolName: 'run_code', input: JSON.stringify({ code }) }], finishReason: { unified: 'tool-calls', raw: 'tool_use' }, usage, warnings: [] });
        }
        return Promise.resolve({ content: [{ type: 'text', text: `saw: ${JSON.stringify(results[0])}` }], finishReason: { unified: 'stop', raw: 'end_turn' }, usage, warnings: [] });
      },
    });
    const result = await generateText({ model, tools: { run_code: codeTool }, stopWhen: stepCountIs(4), prompt: 'Weather and price?' });
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0]?.toolResults[0]).toMatchObject({ toolName: 'run_code', toolCallId: 'call-1', output: 'Output:\nfetched\nReturn value:\n{\n  "a": 21,\n  "b": 30\n}' });
    expect(result.text).toBe(`saw: ${JSON.stringify({ type: 'text', value: 'Output:\nfetched\nReturn value:\n{\n  "a": 21,\n  "b": 30\n}' })}`);
    // The model was offered the code tool with the declarations in its description.
    const offered = model.doGenerateCalls[0]?.tools?.find((candidate) => candidate.name === 'run_code') as { description?: string; inputSchema?: unknown } | undefined;
    expect(offered?.description).toContain('declare function stock_price');
    expect(offered?.inputSchema).toMatchObject({ type: 'object', required: ['code'] });
  });

  it('reports a failed run to the model as a tool error, with the run id the tool call id', async () => {
    const runs: string[] = [];
    const codeTool = toAiSdkCodeTool({ sandbox, tools: await fromAiSdkTools(tools), onRun: (run) => runs.push(`${run.executionId} ${run.type}`) });
    const model = new MockLanguageModelV4({
      doGenerate: (options) => {
        const results = toolResultsOf(options.prompt);
        if (results.length === 0) {
          return Promise.resolve({ content: [{ type: 'tool-call', toolCallId: 'call-9', toolName: 'run_code', input: JSON.stringify({ code: 'await even({ n: 1 });' }) }], finishReason: { unified: 'tool-calls', raw: 'tool_use' }, usage, warnings: [] });
        }
        return Promise.resolve({ content: [{ type: 'text', text: JSON.stringify(results[0]) }], finishReason: { unified: 'stop', raw: 'end_turn' }, usage, warnings: [] });
      },
    });
    const result = await generateText({ model, tools: { run_code: codeTool }, stopWhen: stepCountIs(4), prompt: 'Halve 1.' });
    expect(runs).toEqual(['call-9 error']);
    const output = JSON.parse(result.text) as { type: string; value: string };
    expect(output.type).toBe('error-text');
    expect(output.value).toBe('Error: TOOL_ERROR (INVALID_INPUT) at line 1: Invalid input for even: input.n n must be even');
  });
});
