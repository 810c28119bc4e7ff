import { fileURLToPath } from 'node:url';
import { createToolset } from '@codecall/core';
import { describe, expect, it } from 'vitest';
import { checkAnswer, directStepOf } from '../src/scenario.ts';
import type { Scenario, ScenarioToolResult } from '../src/scenario.ts';
import { loadScenarios } from '../src/load-scenarios.ts';
import { parseProgramOutput } from '../src/scenario-policy.ts';

const scenarioDirectory = fileURLToPath(new URL('../../../benchmarks/scenarios', import.meta.url));
const scenarios = await loadScenarios([scenarioDirectory]);

/** Plays a scenario's direct policy against its real tools, without the simulator (bounded). */
async function playDirect(scenario: Scenario, parallel: boolean): Promise<{ answer: string; calls: number }> {
  await scenario.reset?.();
  const toolset = createToolset(scenario.tools);
  const results: ScenarioToolResult[] = [];
  const matches = (input: Readonly<Record<string, unknown>>, wanted?: Readonly<Record<string, unknown>>): boolean =>
    wanted === undefined || Object.entries(wanted).every(([key, value]) => input[key] === value);
  for (let turn = 0; turn < 200; turn++) {
    const next = scenario.direct({
      task: scenario.task,
      turn,
      parallel,
      results,
      find: (tool, input) => results.find((result) => result.tool === tool && !result.isError && matches(result.input, input))?.value,
      has: (tool, input) => results.some((result) => result.tool === tool && matches(result.input, input)),
    });
    if (typeof next === 'string') return { answer: next, calls: results.length };
    const calls = directStepOf(next)!.calls;
    for (const call of parallel ? calls : calls.slice(0, 1)) {
      const tool = toolset.entries.find((candidate) => candidate.name === call.tool)?.tool;
      if (tool === undefined) throw new Error(`unknown tool ${call.tool}`);
      const input = call.input ?? {};
      try {
        // A JSON round trip, as the model would see the value.
        const value = JSON.parse(JSON.stringify(await tool.execute(input, {} as never))) as unknown;
        results.push({ tool: call.tool, input, value, isError: false });
      } catch (error) {
        results.push({ tool: call.tool, input, value: (error as Error).message, isError: true });
      }
    }
  }
  throw new Error('no answer after 200 turns');
}

describe('the scenario suite', () => {
  it('has the nine shipped scenarios, with unique ids', () => {
    expect(scenarios.map((scenario) => scenario.id).sort()).toEqual([
      'budget-compliance',
      'container-inspection',
      'filter-large-result',
      'fix-failing-test',
      'independent-lookups',
      'paginated-loop',
      'search-then-fetch',
      'sequential-chain',
      'task-orchestration',
    ]);
  });

  it('includes the orchestration and container toolsets with the tools the issue names', () => {
    const names = (id: string): string[] => scenarios.find((scenario) => scenario.id === id)!.tools.map((tool) => tool.name).sort();
    expect(names('task-orchestration')).toEqual(['aggregate_results', 'assign_task', 'execute_task', 'get_all_tasks', 'get_task_status', 'parallel_execute', 'resolve_blocker']);
    expect(names('container-inspection')).toEqual(['container_logs', 'container_stats', 'inspect_container', 'list_containers']);
  });

  for (const scenario of scenarios) {
    describe(scenario.id, () => {
      it('its direct policy, played against its real tools, reaches an answer the checker accepts (sequential and parallel)', async () => {
        const sequential = await playDirect(scenario, false);
        expect(checkAnswer(scenario, sequential.answer), sequential.answer).toBe(true);
        const parallel = await playDirect(scenario, true);
        expect(checkAnswer(scenario, parallel.answer), parallel.answer).toBe(true);
        expect(parallel.calls).toBe(sequential.calls);
      });

      it('its checker rejects wrong answers', () => {
        expect(checkAnswer(scenario, '')).toBe(false);
        expect(checkAnswer(scenario, 'I could not find out.')).toBe(false);
        // The expected answer with every number changed is wrong.
        const tampered = scenario.expected.replace(/\d+/g, (digits) => String(Number(digits) + 1));
        if (tampered !== scenario.expected) expect(checkAnswer(scenario, tampered)).toBe(false);
      });

      it('provides a program in both languages', () => {
        const program = scenario.code({ task: scenario.task, mode: 'programmatic', language: 'javascript', outputs: [], failure: undefined });
        expect(typeof program).toBe('object');
        if (typeof program === 'object') {
          expect(program.javascript).toMatch(/console\.log\(JSON\.stringify/);
          expect(program.python).toMatch(/print\(json\.dumps/);
        }
      });
    });
  }
});

describe('parseProgramOutput', () => {
  it('parses the last non-empty stdout line as JSON, else returns the text', () => {
    expect(parseProgramOutput('debug\n{"a":1}\n\n')).toEqual({ a: 1 });
    expect(parseProgramOutput('just text\n')).toBe('just text');
    expect(parseProgramOutput('')).toBeUndefined();
  });
});
