import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDispatcher } from './dispatcher.js';
import { ToolError } from './errors.js';
import { resolveLimits } from './limits.js';
import { defineTool } from './tool.js';
import { recordToolResults, replayToolResults } from './tool-recording.js';
import type { ToolCassette } from './tool-recording.js';
import type { Toolset } from './toolset.js';
import { createToolset } from './toolset.js';

function countedTools() {
  const host = { calls: 0 };
  const tools = createToolset([
    defineTool({
      name: 'lookup',
      description: 'Finds a record.',
      input: z.object({ id: z.string(), options: z.object({ deep: z.boolean(), depth: z.number() }).optional() }),
      output: z.object({ id: z.string(), found: z.boolean() }),
      execute: ({ id }) => {
        host.calls++;
        if (id === 'bad') throw new ToolError('TOOL_FAILED', 'backend down');
        return { id, found: id.startsWith('k') };
      },
    }),
    defineTool({
      name: 'counter',
      input: z.object({}),
      execute: () => ++host.calls,
    }),
  ]);
  return { host, tools };
}

function call(tools: Toolset, name: string, input: unknown) {
  const dispatcher = createDispatcher({ tools, limits: resolveLimits({}), executionId: 'run' });
  return dispatcher.callTool({ name, inputJson: JSON.stringify(input) });
}

describe('recordToolResults / replayToolResults', () => {
  it('a replay answers as the recording did, from JSON, and makes no host calls', async () => {
    const { host, tools } = countedTools();
    const recording = recordToolResults(tools);
    const inputs: [string, unknown][] = [
      ['lookup', { id: 'k1', options: { deep: true, depth: 2 } }],
      ['lookup', { id: 'x2' }],
      ['lookup', { id: 'bad' }],
      ['counter', {}],
      ['counter', {}],
    ];
    const recorded = [];
    for (const [name, input] of inputs) recorded.push(await call(recording.tools, name, input));
    expect(host.calls).toBe(5);
    expect(recorded[2]).toEqual({ type: 'error', code: 'TOOL_FAILED', message: 'backend down' });

    const cassette = JSON.parse(JSON.stringify(recording.cassette)) as ToolCassette;
    expect(cassette.calls).toHaveLength(5);
    const replayed = replayToolResults(cassette);
    const answers = [];
    // Keys in another order are the same input; a repeated input gets its results in order.
    answers.push(await call(replayed, 'lookup', { options: { depth: 2, deep: true }, id: 'k1' }));
    for (const [name, input] of inputs.slice(1)) answers.push(await call(replayed, name, input));
    expect(answers).toEqual(recorded);
    expect(host.calls).toBe(5);
    // The declarations' schemas survive the cassette.
    expect(replayed.get('lookup')?.tool.inputSchema).toEqual(tools.get('lookup')?.tool.inputSchema);
    // With the original tools, their zod validation applies, and still nothing runs.
    const withTools = replayToolResults(cassette, { tools });
    expect(await call(withTools, 'lookup', { id: 'x2' })).toEqual(recorded[1]);
    expect(await call(withTools, 'lookup', { id: 7 })).toMatchObject({ type: 'error', code: 'INVALID_INPUT' });
    expect(host.calls).toBe(5);
  });

  it('a call the cassette has not seen fails clearly', async () => {
    const { host, tools } = countedTools();
    const recording = recordToolResults(tools);
    await call(recording.tools, 'lookup', { id: 'k1' });
    const replayed = replayToolResults(recording.cassette);
    const miss = await call(replayed, 'lookup', { id: 'k2' });
    expect(miss).toMatchObject({ type: 'error', code: 'TOOL_FAILED' });
    expect(miss.type === 'error' && miss.message).toBe('replayToolResults: the cassette has no call of lookup with input {"id":"k2"} (it holds 1 call(s) of lookup); record the run again.');
    expect(host.calls).toBe(1);
  });

  it('rejects what is not a cassette', () => {
    expect(() => replayToolResults({ version: 2, tools: [], calls: [] } as unknown as ToolCassette)).toThrow(/version 1/);
  });
});
