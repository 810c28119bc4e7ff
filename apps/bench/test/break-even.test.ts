import { describe, expect, it } from 'vitest';
import { breakEvenScenario, computeBreakEven, thresholdsOf } from '../src/break-even.ts';
import type { BreakEvenMap, BreakEvenPoint } from '../src/break-even.ts';
import { modelPresets } from '../src/model-presets.ts';
import { checkAnswer } from '../src/scenario.ts';
import { detectSandboxes } from '../src/sandbox-targets.ts';

const point = (calls: number, resultBytes: number, costRatio: number, latencyRatio: number): BreakEvenPoint =>
  ({ calls, resultBytes, failureRate: 0, costRatio, latencyRatio }) as BreakEvenPoint;

describe('thresholdsOf', () => {
  it('finds, per result size, the fewest calls from which a ratio stays below 1', () => {
    const axes = { calls: [1, 2, 4, 8], resultBytes: [100, 10_000], failureRates: [0] };
    const points = [
      point(1, 100, 1.5, 1.2), point(2, 100, 1.1, 1.1), point(4, 100, 0.9, 1.05), point(8, 100, 0.6, 0.9),
      // Dips below 1 and back: the threshold is where it stays below.
      point(1, 10_000, 0.8, 1.4), point(2, 10_000, 1.1, 1.3), point(4, 10_000, 0.5, 1.2), point(8, 10_000, 0.3, 1.1),
    ];
    expect(thresholdsOf(points, axes)).toEqual([
      { resultBytes: 100, failureRate: 0, cheaperFromCalls: 4, fasterFromCalls: 8 },
      { resultBytes: 10_000, failureRate: 0, cheaperFromCalls: 4, fasterFromCalls: null },
    ]);
  });
});

describe('breakEvenScenario', () => {
  it('has results of about the requested size and policies that reach the checked answer', async () => {
    const scenario = breakEvenScenario(3, 2_000);
    const tool = scenario.tools[0]!;
    const results = await Promise.all(['r1', 'r2', 'r3'].map(async (id) => JSON.parse(JSON.stringify(await tool.execute({ id }, {} as never))) as { value: number }));
    for (const result of results) {
      const bytes = JSON.stringify(result).length;
      expect(bytes).toBeGreaterThanOrEqual(2_000);
      expect(bytes).toBeLessThan(2_100);
    }
    const total = results.reduce((sum, result) => sum + result.value, 0);
    const state = {
      task: scenario.task,
      turn: 1,
      parallel: true,
      results: results.map((value, index) => ({ tool: 'get_record', input: { id: `r${index + 1}` }, value, isError: false })),
      find: (_tool: string, input?: Readonly<Record<string, unknown>>) => results[Number(String(input?.['id']).slice(1)) - 1],
      has: () => true,
    };
    const answer = scenario.direct(state);
    expect(answer).toBe(`Total: ${total}`);
    expect(checkAnswer(scenario, answer as string)).toBe(true);
    expect(checkAnswer(scenario, `Total: ${total + 1}`)).toBe(false);
  });
});

describe('computeBreakEven', () => {
  it('runs a small grid through the simulator: larger results make code relatively cheaper, failed programs dearer', async () => {
    const sandboxes = await detectSandboxes(['isolated-vm']);
    const map = (await computeBreakEven({ preset: modelPresets.find((preset) => preset.id === 'sonnet')!, sandboxes, axes: { calls: [2, 8], resultBytes: [100, 8_000], failureRates: [0, 0.5] } })) as BreakEvenMap;
    expect(map.status).toBe('measured');
    // The behaviour layer's default rate is always on the map (the verdict reads it).
    expect(map.axes.failureRates).toEqual([0, 0.1, 0.5]);
    expect(map.headlineFailureRate).toBe(0.1);
    expect(map.points).toHaveLength(4 * 3);
    for (const entry of map.points) {
      expect(entry.correct, `${entry.calls} × ${entry.resultBytes}`).toBe(true);
      expect(entry.costRatio).toBeCloseTo(entry.programmaticCostUsd / entry.parallelCostUsd, 10);
      // Parallel carries every result into the context; code keeps them in the sandbox.
      expect(entry.parallelTokens.uncachedInput + entry.parallelTokens.cacheWrite + entry.parallelTokens.cacheRead).toBeGreaterThan(0);
    }
    const at = (calls: number, bytes: number, rate = 0): BreakEvenPoint => map.points.find((entry) => entry.calls === calls && entry.resultBytes === bytes && entry.failureRate === rate)!;
    for (const calls of [2, 8]) expect(at(calls, 8_000).costRatio).toBeLessThan(at(calls, 100).costRatio);
    expect(at(8, 8_000).costRatio).toBeLessThan(1);
    expect(map.thresholds.find((threshold) => threshold.resultBytes === 8_000 && threshold.failureRate === 0)?.cheaperFromCalls).not.toBeNull();
    // A failed first attempt costs tokens and time; the expected value grows linearly with the rate.
    for (const calls of [2, 8]) {
      for (const bytes of [100, 8_000]) {
        expect(at(calls, bytes, 0.5).programmaticCostUsd).toBeGreaterThan(at(calls, bytes, 0).programmaticCostUsd);
        expect(at(calls, bytes, 0.5).programmaticLatencyMs).toBeGreaterThan(at(calls, bytes, 0).programmaticLatencyMs);
        expect(at(calls, bytes, 0.5).parallelCostUsd).toBe(at(calls, bytes, 0).parallelCostUsd);
        const step = at(calls, bytes, 0.1).programmaticCostUsd - at(calls, bytes, 0).programmaticCostUsd;
        expect(at(calls, bytes, 0.5).programmaticCostUsd - at(calls, bytes, 0).programmaticCostUsd).toBeCloseTo(step * 5, 10);
      }
    }
  });
});
