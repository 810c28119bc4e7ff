import { createToolset, defineTool } from '@codecall/core';
import type { SandboxV1 } from '@codecall/core';
import { z } from 'zod';
import { afterAll, describe, expect, it } from 'vitest';
import { runAgent } from '../src/index.js';
import { createMessagesSimulator, scriptedPolicy } from '../src/simulator/index.js';
import { expected, policy, task, tools } from '../examples/expense-scenario.js';

// The subprocess adapter is an optional peer; it is imported by name so this file compiles without it.
const specifier = '@codecall/sandbox-subprocess';
async function pythonSandbox(): Promise<SandboxV1 | string> {
  try {
    const module = (await import(specifier)) as { createSubprocessSandbox?: (settings?: object) => SandboxV1 };
    if (typeof module.createSubprocessSandbox !== 'function') return `${specifier} exports no createSubprocessSandbox`;
    const sandbox = module.createSubprocessSandbox();
    if (!sandbox.capabilities.languages.includes('python')) {
      await sandbox.dispose();
      return `${specifier} runs no python here`;
    }
    return sandbox;
  } catch (error) {
    return `${specifier} is not available (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
  }
}

const sandbox = await pythonSandbox();
afterAll(async () => {
  if (typeof sandbox !== 'string') await sandbox.dispose();
});

describe.skipIf(typeof sandbox === 'string')(`Python in the subprocess sandbox${typeof sandbox === 'string' ? ` — skipped: ${sandbox}` : ''}`, () => {
  it.each([false, true])('runs the policy’s Python and bridges its calls (stream: %s)', async (stream) => {
    await using simulator = await createMessagesSimulator({ policy, sandbox: sandbox as SandboxV1 });
    const result = await runAgent({ client: simulator.createClient(), model: 'claude-sonnet-4-6', tools, mode: 'native', prompt: task, stream });
    const code = simulator.exchanges[0]!.message!.content.find((block) => block.type === 'server_tool_use');
    expect((code?.input as { code: string }).code).toContain('asyncio.gather');
    expect(result.text).toBe(`Over the travel budget: ${expected}`);
    expect(result.metrics.modelRoundTrips).toBe(3);
    expect(result.metrics.toolCalls).toMatchObject({ direct: 0, nested: 6, codeRuns: 1 });
  });

  it('native: a denied nested call is a ToolError DENIED in hosted Python', async () => {
    const guarded = createToolset([defineTool({ name: 'wire_money', input: z.object({ amount: z.number() }), needsApproval: true, execute: () => 'sent' })]);
    const code = `try:
    await wire_money({"amount": 500})
    print("sent")
except ToolError as error:
    print(error.code)`;
    await using simulator = await createMessagesSimulator({
      policy: scriptedPolicy([[{ type: 'code', code }], (request) => request.codeExecutionResults[0]!.stdout.trim()]),
      sandbox: sandbox as SandboxV1,
    });
    const result = await runAgent({ client: simulator.createClient(), model: 'claude-sonnet-4-6', tools: guarded, mode: 'native', prompt: 'pay', onApproval: () => false });
    expect(result.text).toBe('DENIED');
    expect(result.toolCalls[0]).toMatchObject({ caller: 'native', approval: 'denied' });
  });

  it('programmatic: the code tool runs Python, with Python declarations', async () => {
    await using simulator = await createMessagesSimulator({ policy });
    const result = await runAgent({ client: simulator.createClient(), model: 'claude-sonnet-4-6', tools, mode: 'programmatic', sandbox: sandbox as SandboxV1, language: 'python', prompt: task });
    const offered = simulator.exchanges[0]!.body.tools as { description: string }[];
    expect(offered[0]!.description).toMatch(/^Runs Python code/);
    expect(offered[0]!.description).toContain('def get_expenses(employeeId: str');
    expect(result.text).toBe(`Over the travel budget: ${expected}`);
    expect(result.metrics.toolCalls).toMatchObject({ nested: 6, codeRuns: 1, failed: 0 });
    const reply = (simulator.exchanges[1]!.body.messages as { content: { content: string }[] }[]).at(-1)!;
    expect(reply.content[0]!.content).toBe(`Output:\n${expected}\nReturn value:\n${JSON.stringify(expected.split(', '))}`);
  });
});
