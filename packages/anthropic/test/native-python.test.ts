import type { SandboxV1 } from '@codecall/core';
import { afterAll, describe, expect, it } from 'vitest';
import { runAgent } from '../src/index.js';
import { createMessagesSimulator } from '../src/simulator/index.js';
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

describe.skipIf(typeof sandbox === 'string')(`native mode, hosted Python emulated in a subprocess${typeof sandbox === 'string' ? ` — skipped: ${sandbox}` : ''}`, () => {
  it.each([false, true])('runs the policy’s Python and bridges its calls (stream: %s)', async (stream) => {
    await using simulator = await createMessagesSimulator({ policy, sandbox: sandbox as SandboxV1 });
    const result = await runAgent({ client: simulator.createClient(), model: 'claude-sonnet-4-6', tools, mode: 'native', prompt: task, stream });
    const code = simulator.exchanges[0]!.message!.content.find((block) => block.type === 'server_tool_use');
    expect((code?.input as { code: string }).code).toContain('asyncio.gather');
    expect(result.text).toBe(`Over the travel budget: ${expected}`);
    expect(result.metrics.modelRoundTrips).toBe(3);
    expect(result.metrics.toolCalls).toMatchObject({ direct: 0, nested: 6, codeRuns: 1 });
  });
});
