import { Anthropic } from '@anthropic-ai/sdk';
import { createIsolatedVmSandbox } from '@codecall/sandbox-isolated-vm';
import { describe, expect, it } from 'vitest';
import { runAgent } from '../src/index.js';
import type { AgentMode } from '../src/index.js';
import { expected, task, tools } from '../examples/expense-scenario.js';

const apiKey = process.env.ANTHROPIC_API_KEY;
const model = process.env.CODECALL_LIVE_MODEL ?? 'claude-sonnet-4-6';
const reason = 'ANTHROPIC_API_KEY is not set: the live test against the real Messages API is skipped';

describe.skipIf(apiKey === undefined || apiKey === '')(`live Messages API (${apiKey ? model : reason})`, () => {
  it.each(['sequential', 'parallel', 'programmatic', 'hybrid', 'native'] as const)(
    '%s mode answers the scenario with the real model',
    async (mode: AgentMode) => {
      await using sandbox = createIsolatedVmSandbox({ mode: 'supervised' });
      const result = await runAgent({
        client: new Anthropic({ apiKey }),
        model,
        tools,
        mode,
        sandbox,
        prompt: task,
        system: 'Answer with the ids only, comma-separated, after using the tools.',
        maxTurns: 12,
      });
      expect(result.status).toBe('completed');
      for (const id of expected.split(', ')) expect(result.text).toContain(id);
      expect(result.metrics.modelRoundTrips).toBeGreaterThanOrEqual(mode === 'native' ? 1 : 2);
      expect(result.metrics.inputTokens + result.metrics.cacheReadInputTokens + result.metrics.cacheCreationInputTokens).toBeGreaterThan(0);
      expect(result.metrics.toolCalls.direct + result.metrics.toolCalls.nested).toBeGreaterThanOrEqual(6);
    },
    180_000,
  );
});
