import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countTokens } from '@codecall/anthropic/simulator';
import { afterAll, describe, expect, it } from 'vitest';
import { behaviourParameters, defaultBehaviour, fillerComments, fillerText, resolveBehaviour } from './behaviour-model.ts';
import { loadScenarios } from './load-scenarios.ts';
import { modelPresets } from './model-presets.ts';
import { runMatrix } from './run-matrix.ts';
import { hybridChoiceOf } from './scenario-policy.ts';
import type { MatrixCell, RunMetrics } from './run-matrix.ts';
import type { Scenario } from './scenario.ts';
import { detectSandboxes } from './sandbox-targets.ts';

// A scenario file nobody here wrote, outside the repository: the layer must apply to it as well.
const external = `
const rates = { EUR: 1.1, GBP: 1.3, JPY: 0.007 };
export const scenario = {
  id: 'fx-total',
  title: 'Convert three balances',
  tools: [
    { name: 'list_balances', description: 'Balances of the account.', inputSchema: { type: 'object', properties: {} },
      execute: () => [{ currency: 'EUR', amount: 100 }, { currency: 'GBP', amount: 50 }, { currency: 'JPY', amount: 10000 }] },
    { name: 'get_rate', description: 'USD per unit of a currency.', inputSchema: { type: 'object', properties: { currency: { type: 'string' } }, required: ['currency'] },
      outputSchema: { type: 'number' }, execute: (input) => rates[input.currency] },
  ],
  task: 'What are my balances worth in USD, in total?',
  expected: '245',
  direct: (state) => {
    const list = state.find('list_balances');
    if (list === undefined) return [{ tool: 'list_balances' }];
    const missing = list.filter((b) => !state.has('get_rate', { currency: b.currency }));
    if (missing.length > 0) return missing.map((b) => ({ tool: 'get_rate', input: { currency: b.currency } }));
    return 'Total: ' + Math.round(list.reduce((s, b) => s + b.amount * state.find('get_rate', { currency: b.currency }), 0)) + ' USD';
  },
  code: (state) => state.outputs.length === 0
    ? { javascript: 'const l = await list_balances({}); const r = await Promise.all(l.map((b) => get_rate({ currency: b.currency }))); console.log(JSON.stringify(Math.round(l.reduce((s, b, i) => s + b.amount * r[i], 0))));',
        python: 'import asyncio, json\\nl = await list_balances({})\\nr = await asyncio.gather(*[get_rate({"currency": b["currency"]}) for b in l])\\nprint(json.dumps(round(sum(b["amount"] * x for b, x in zip(l, r)))))' }
    : 'Total: ' + String(state.outputs[0]) + ' USD',
};
`;

const directory = await mkdtemp(join(tmpdir(), 'codecall-behaviour-'));
await writeFile(join(directory, 'fx-total.mjs'), external);
const scenarios = await loadScenarios([directory]);
const sandboxes = await detectSandboxes(['isolated-vm', 'subprocess-python']);
const sonnet = modelPresets.find((preset) => preset.id === 'sonnet')!;
const javascript = sandboxes.available.filter((target) => target.id === 'isolated-vm');
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

function run(cells: readonly MatrixCell[], mode: string): RunMetrics {
  const cell = cells.find((candidate) => candidate.mode === mode && candidate.status === 'measured');
  if (cell === undefined) throw new Error(`no measured ${mode} cell: ${JSON.stringify(cells.map((candidate) => [candidate.mode, candidate.status, candidate.reason]))}`);
  return cell.runs[0]!;
}

describe('the parameter list', () => {
  it('gives every parameter a value, a unit or a name, a source, and labels assumptions', () => {
    const names = behaviourParameters.map((parameter) => parameter.name);
    for (const key of Object.keys(defaultBehaviour)) expect(names).toContain(key);
    for (const parameter of behaviourParameters) {
      expect(parameter.source.length, parameter.name).toBeGreaterThan(20);
      expect(['measured-source', 'decomposed', 'calibrated', 'assumption']).toContain(parameter.kind);
      if (parameter.kind === 'assumption') expect(parameter.source, parameter.name).toMatch(/ASSUMPTION|Seed/);
      if (parameter.kind === 'calibrated') expect(parameter.source, parameter.name).toMatch(/CALIBRATED/);
    }
  });

  it('never labels a parameter taken from the calibration run as an independent source', () => {
    // The calibration compares against the cookbook run; what was split out of it or fitted to it
    // is in sample there, and the report must say so (decomposed or calibrated), not "cited".
    // (The sonnet latency row cites the run for its output speed, and is labelled on that row.)
    for (const parameter of behaviourParameters.filter((candidate) => /^(CALIBRATED to )?Anthropic cookbook "Programmatic tool calling"/.test(candidate.source))) {
      expect(['decomposed', 'calibrated'], parameter.name).toContain(parameter.kind);
    }
    // An assumption may mention the run for context, never as the arithmetic its value comes from.
    for (const parameter of behaviourParameters.filter((candidate) => candidate.kind === 'assumption')) {
      expect(parameter.source, parameter.name).not.toMatch(/\d+ - \d+|residual|request \d+ of|leaves/);
    }
    expect(behaviourParameters.filter((parameter) => parameter.kind === 'decomposed').map((parameter) => parameter.name)).toEqual([
      'textPerTurnTokens',
      'toolUseOverheadTokens',
      'dataDependentReasoningTokens',
      'programCommentaryTokens',
      'finalAnswerTokens',
      'finalAnswerTokensPerDirectResult',
      'codeExecutionToolTokens',
    ]);
  });

  it('rejects out-of-range settings', () => {
    expect(() => resolveBehaviour({ programFailureRate: 1.5 })).toThrow(RangeError);
    expect(() => resolveBehaviour({ textPerTurnTokens: -1 })).toThrow(RangeError);
  });

  it('chooses programs for a task by the share of results they return', () => {
    expect(hybridChoiceOf(50, 100, { hybridCodeMaxOutputShare: 0.5 }).choice).toBe('code');
    expect(hybridChoiceOf(51, 100, { hybridCodeMaxOutputShare: 0.5 }).choice).toBe('direct');
    // No direct results to keep out of the context: nothing for a program to save.
    expect(hybridChoiceOf(0, 0, { hybridCodeMaxOutputShare: 0.5 })).toMatchObject({ choice: 'direct', outputShare: Number.POSITIVE_INFINITY });
  });

  it('writes filler of the stated size, without digits', () => {
    for (const tokens of [5, 34, 110, 2_000]) {
      const text = fillerText(tokens, `salt-${tokens}`);
      expect(countTokens(text)).toBeLessThanOrEqual(tokens);
      expect(countTokens(text)).toBeGreaterThanOrEqual(tokens * 0.9 - 2);
      expect(text).not.toMatch(/\d/);
      expect(countTokens(fillerComments(tokens, 'c', 'python'))).toBeLessThanOrEqual(tokens);
    }
  });
});

describe.skipIf(javascript.length === 0)('the layer on an external scenario file', () => {
  it('adds text per turn, the final-answer length, the realistic context, and the per-call tool latency', async () => {
    const bare = await runMatrix({ scenarios, modes: ['sequential', 'parallel'], presets: [sonnet], sandboxes: { available: [], skipped: [] }, repetitions: 1, bare: true, behaviour: { programFailureRate: 0 } });
    const plain = await runMatrix({ scenarios, modes: ['parallel'], presets: [sonnet], sandboxes: { available: [], skipped: [] }, repetitions: 1, behaviour: { programFailureRate: 0 } });
    const parallel = run(bare.cells, 'parallel');
    const sequential = run(bare.cells, 'sequential');
    expect(parallel.correct).toBe(1);
    // 2 turns with calls and a final answer: text per turn and call syntax on each call, the answer padded.
    const minimum = 2 * defaultBehaviour.textPerTurnTokens + 4 * defaultBehaviour.toolUseOverheadTokens + defaultBehaviour.finalAnswerTokens;
    expect(parallel.outputTokens).toBeGreaterThanOrEqual(minimum);
    // The realistic context: a system prompt and 20 extra tools in every request.
    const extraPerRequest = (run(plain.cells, 'parallel').totalInputTokens - parallel.totalInputTokens) / parallel.roundTrips;
    expect(extraPerRequest).toBeGreaterThan(0.8 * (defaultBehaviour.systemPromptTokens + defaultBehaviour.extraTools * defaultBehaviour.extraToolTokens));
    // Tool latency: parallel turns pay it once per wave, sequential calls each.
    expect(parallel.toolWaves).toBe(2);
    expect(sequential.toolWaves).toBe(4);
    expect(sequential.toolLatencyMs).toBe(4 * defaultBehaviour.toolLatencyMs);
    expect(bare.cells.every((cell) => cell.correctness === 'scripted')).toBe(true);
  });

  it('writes programs as a model does, explores an undeclared result shape first, and retries failed programs', async () => {
    const settings = { scenarios, modes: ['programmatic'] as const, presets: [sonnet], sandboxes: { available: javascript, skipped: [] }, repetitions: 1, bare: true };
    const clean = run((await runMatrix({ ...settings, modes: [...settings.modes], behaviour: { programFailureRate: 0 } })).cells, 'programmatic');
    // list_balances declares no output: an exploration program first, then the scenario's program.
    expect(clean.correct).toBe(1);
    expect(clean.codeRuns).toBe(2);
    expect(clean.roundTrips).toBe(3);
    expect(clean.outputTokens).toBeGreaterThanOrEqual(defaultBehaviour.programCommentaryTokens + defaultBehaviour.explorationProgramTokens * 0.8);
    const declared = run((await runMatrix({ ...settings, modes: [...settings.modes], behaviour: { programFailureRate: 0, explorationMaxCalls: 0 } })).cells, 'programmatic');
    expect(declared.codeRuns).toBe(1);
    // A first program that only prints what its call returns is itself the look at the result: no
    // exploration before it. The same program without the claim gets one.
    const show = { javascript: 'console.log(JSON.stringify(await list_balances({})));', python: 'import json\nprint(json.dumps(await list_balances({})))', dataDependent: true };
    const showing = (showsResults: boolean): Scenario => ({ ...scenarios[0]!, id: `fx-shown-${String(showsResults)}`, code: (state) => (state.outputs.length === 0 ? { ...show, showsResults } : 'Total: 245 USD') });
    const shown = await runMatrix({ ...settings, scenarios: [showing(true), showing(false)], modes: [...settings.modes], behaviour: { programFailureRate: 0 } });
    expect(shown.cells.map((cell) => [cell.scenario, cell.runs[0]?.codeRuns, cell.runs[0]?.roundTrips, cell.runs[0]?.correct])).toEqual([
      ['fx-shown-true', 1, 2, 1],
      ['fx-shown-false', 2, 3, 1],
    ]);
    // Every program fails once, then the corrected one runs: one more run and round trip per program.
    const failing = run((await runMatrix({ ...settings, modes: [...settings.modes], behaviour: { programFailureRate: 1 } })).cells, 'programmatic');
    expect(failing.correct).toBe(1);
    expect(failing.failedPrograms).toBe(1);
    expect(failing.codeRuns).toBe(3);
    expect(failing.roundTrips).toBe(4);
    // Between the two, a code mode's figures are the expected values at the rate, not a draw.
    const rate = 0.25;
    const expected = run((await runMatrix({ ...settings, modes: [...settings.modes], behaviour: { programFailureRate: rate } })).cells, 'programmatic');
    expect(expected.failedPrograms).toBeCloseTo(rate * failing.failedPrograms, 9);
    expect(expected.codeRuns).toBeCloseTo((1 - rate) * clean.codeRuns + rate * failing.codeRuns, 9);
    expect(expected.roundTrips).toBeCloseTo((1 - rate) * clean.roundTrips + rate * failing.roundTrips, 9);
    expect(expected.outputTokens).toBeCloseTo((1 - rate) * clean.outputTokens + rate * failing.outputTokens, 6);
    expect(expected.simulatedLatencyMs).toBeCloseTo((1 - rate) * clean.simulatedLatencyMs + rate * failing.simulatedLatencyMs, 3);
    expect(expected.correct).toBe(1);
  });

  it('in hybrid mode writes programs when they cut what the model reads, and calls the tools directly otherwise', async () => {
    const settings = { scenarios, presets: [sonnet], sandboxes: { available: javascript, skipped: [] }, repetitions: 1 };
    // Without the exploration program (whose sample is as long as these small results), the
    // program prints one total where direct calls read three balances and three rates.
    // Two presets: the choice is made once and holds for both.
    const haiku = modelPresets.find((preset) => preset.id === 'haiku')!;
    const chosen = await runMatrix({ ...settings, presets: [sonnet, haiku], modes: ['parallel', 'programmatic', 'hybrid'], bare: true, behaviour: { programFailureRate: 0, explorationMaxCalls: 0 } });
    const cells = chosen.cells.filter((candidate) => candidate.mode === 'hybrid');
    expect(cells.map((candidate) => candidate.preset)).toEqual(['sonnet', 'haiku']);
    expect(cells[1]!.hybrid).toEqual(cells[0]!.hybrid);
    const cell = cells[0]!;
    // What the deciding runs measured is what the reported parallel and programmatic cells read.
    expect(cell.hybrid?.directResultTokens).toBe(run(chosen.cells, 'parallel').toolResultTokens);
    expect(cell.hybrid?.programOutputTokens).toBe(run(chosen.cells, 'programmatic').toolResultTokens);
    expect(cell.hybrid?.outputShare).toBeLessThan(defaultBehaviour.hybridCodeMaxOutputShare);
    expect(cell.hybrid?.choice).toBe('code');
    const coded = run(chosen.cells, 'hybrid');
    expect([coded.correct, coded.directCalls, coded.nestedCalls > 0]).toEqual([1, 0, true]);
    // Running hybrid cells (and their deciding runs) leaves every other cell as it was.
    const without = await runMatrix({ ...settings, presets: [sonnet, haiku], modes: ['parallel', 'programmatic'], bare: true, behaviour: { programFailureRate: 0, explorationMaxCalls: 0 } });
    const simulated = (cells: readonly MatrixCell[]): unknown[] => cells.filter((candidate) => candidate.mode !== 'hybrid').map((candidate) => [candidate.preset, candidate.mode, candidate.runs[0]!.totalInputTokens, candidate.runs[0]!.outputTokens, candidate.runs[0]!.simulatedLatencyMs]);
    expect(simulated(chosen.cells)).toEqual(simulated(without.cells));
    // At a failure rate between 0 and 1, a hybrid cell that writes programs is an expected value too.
    const mixed = run((await runMatrix({ ...settings, modes: ['hybrid'], bare: true, behaviour: { programFailureRate: 0.25, explorationMaxCalls: 0 } })).cells, 'hybrid');
    expect(mixed.failedPrograms).toBeCloseTo(0.25, 9);
    // A threshold no program meets: the same requests (the code tool offered), direct calls only.
    // The agent's other tools (default context) must not make the programmatic cell play direct.
    const strict = await runMatrix({ ...settings, modes: ['parallel', 'programmatic', 'hybrid'], behaviour: { programFailureRate: 0, hybridCodeMaxOutputShare: 0 } });
    expect(strict.cells.find((candidate) => candidate.mode === 'hybrid')?.hybrid?.choice).toBe('direct');
    const direct = run(strict.cells, 'hybrid');
    const baseline = run(strict.cells, 'parallel');
    expect([direct.correct, direct.codeRuns, direct.nestedCalls, direct.directCalls, direct.roundTrips]).toEqual([1, 0, 0, baseline.directCalls, baseline.roundTrips]);
    expect(direct.totalInputTokens).toBeGreaterThan(baseline.totalInputTokens);
    expect(run(strict.cells, 'programmatic').codeRuns).toBeGreaterThan(0);
  });

  it('is deterministic: two reruns give identical tokens, cost (tokens and sandbox) and simulated latency', async () => {
    const modes = sandboxes.available.some((target) => target.language === 'python') ? (['parallel', 'programmatic', 'native'] as const) : (['parallel', 'programmatic'] as const);
    const settings = { scenarios, modes: [...modes], presets: [sonnet], sandboxes: { available: javascript.concat(sandboxes.available.filter((target) => target.id === 'subprocess-python')), skipped: [] }, repetitions: 2 };
    const first = await runMatrix(settings);
    const second = await runMatrix(settings);
    const fingerprint = (cells: readonly MatrixCell[]): unknown[] =>
      cells.flatMap((cell) => cell.runs.map((metrics) => [cell.mode, cell.sandbox, metrics.inputTokens, metrics.outputTokens, metrics.cacheCreationInputTokens, metrics.cacheReadInputTokens, metrics.tokenCostUsd, metrics.totalCostUsd, metrics.simulatedLatencyMs, metrics.correct]));
    expect(fingerprint(second.cells)).toEqual(fingerprint(first.cells));
    // Repetitions agree too (nothing random, nothing timed in the simulated part).
    for (const cell of first.cells) expect(new Set(cell.runs.map((metrics) => metrics.simulatedLatencyMs)).size).toBe(1);
  });
});
