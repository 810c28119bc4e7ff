// A scenario program's `showsResults` decides whether the behaviour layer writes an exploration
// program before it, so the claim is checked by running the programs, not trusted: every program
// that makes it prints its calls' results unprocessed, and every program that prints them so makes
// it (a scenario cannot leave it out to keep an exploration program).
import { fileURLToPath } from 'node:url';
import { runCode } from '@codecall/core';
import type { JsonSchemaToolDefinition } from '@codecall/core';
import { createIsolatedVmSandbox } from '@codecall/sandbox-isolated-vm';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenarios } from './load-scenarios.ts';
import { parseProgramOutput } from './scenario-policy.ts';
import type { Scenario } from './scenario.ts';

const scenarios = await loadScenarios([fileURLToPath(new URL('../../../benchmarks/scenarios', import.meta.url))]);
const sandbox = createIsolatedVmSandbox();
afterAll(() => sandbox.dispose());

interface ProgramRun {
  readonly index: number;
  readonly claims: boolean;
  /** Whether the printed last line is the one call's result, or the list of the calls' results in order. */
  readonly shows: boolean;
}

const asJson = (value: unknown): string => JSON.stringify(value ?? null);

// Runs the scenario's programs in JavaScript (each Python program is the same program), in order,
// as its code policy gives them.
async function programRuns(scenario: Scenario): Promise<ProgramRun[]> {
  await scenario.reset?.();
  const outputs: unknown[] = [];
  const runs: ProgramRun[] = [];
  for (let index = 0; index < 20; index++) {
    const next = scenario.code({ task: scenario.task, mode: 'programmatic', language: 'javascript', outputs: [...outputs], failure: undefined });
    if (typeof next === 'string') return runs;
    const results: unknown[] = [];
    const tools: JsonSchemaToolDefinition[] = scenario.tools.map((tool) => ({
      ...tool,
      execute: async (input, context) => {
        const result: unknown = await tool.execute(input, context);
        results.push(JSON.parse(asJson(result)));
        return result;
      },
    }));
    const run = await runCode({ sandbox, tools, code: next.javascript, language: 'javascript', limits: { timeoutMs: 60_000, maxOutputBytes: 4_000_000, maxValueBytes: 4_000_000 } });
    if (run.type !== 'success') throw new Error(`${scenario.id} program ${String(index)} failed: ${run.error.message}`);
    const printed = parseProgramOutput(run.stdout);
    const shows = results.length > 0 && (asJson(printed) === asJson(results.length === 1 ? results[0] : results) || asJson(printed) === asJson(results));
    runs.push({ index, claims: next.showsResults === true, shows });
    outputs.push(printed);
  }
  throw new Error(`${scenario.id}: more than 20 programs`);
}

describe('scenario programs that show their results', () => {
  it('claim it exactly when they print their calls’ results unprocessed', async () => {
    const checked: string[] = [];
    for (const scenario of scenarios) {
      const runs = await programRuns(scenario);
      expect(runs.length, scenario.id).toBeGreaterThan(0);
      for (const run of runs) {
        expect({ scenario: scenario.id, program: run.index, showsResults: run.claims }).toEqual({ scenario: scenario.id, program: run.index, showsResults: run.shows });
        if (run.claims) checked.push(`${scenario.id}#${String(run.index)}`);
      }
    }
    // The suite has such a program (sequential-chain reads the customer's message and prints it),
    // so the check above is not vacuous.
    expect(checked).toContain('sequential-chain#0');
  });
});
