import { describe, expect, it } from 'vitest';
import { latencyPresets } from '@codecall/anthropic/simulator';
import { defaultBehaviour } from './behaviour-model.ts';
import { calibrationReport, publishedRuns } from './calibration.ts';
import type { CalibrationReport } from './calibration.ts';
import { detectSandboxes } from './sandbox-targets.ts';
import { uniformOf } from '@codecall/bench-scenarios';
import { scenario as cookbookReplica } from '@codecall/benchmarks/cookbook-replica';

const sandboxes = await detectSandboxes(['subprocess-python']);
const hasPython = sandboxes.available.some((target) => target.language === 'python');

/**
 * Targets the default behaviour layer does not meet with its sourced and assumed parameters, stated
 * in the report rather than tuned away. An entry that starts passing turns this test red: remove it.
 */
const knownFailures: string[] = [];

describe('the calibrated latency parameters', () => {
  // The two fitted values must be what the stated arithmetic gives from the published totals, so a
  // change to any other parameter (TTFT, prefill rate, tool latency, continuation) shows up here.
  const sonnet = latencyPresets.sonnet;
  const sum = (run: keyof typeof publishedRuns, pick: 'inputTokens' | 'outputTokens'): number => publishedRuns[run].requests.reduce((total, request) => total + request[pick], 0);
  const toolWaves = 3; // team, then 8 expense lists at once, then the budget lookups at once (both runs)

  it('sonnet output speed: the classic run less first tokens, prefill and tool waves', () => {
    const decodeMs = publishedRuns.parallel.latencyMs - 4 * sonnet.timeToFirstTokenMs - (sum('parallel', 'inputTokens') / sonnet.inputTokensPerSecond) * 1000 - toolWaves * defaultBehaviour.toolLatencyMs;
    expect(Math.round(sum('parallel', 'outputTokens') / (decodeMs / 1000))).toBe(sonnet.outputTokensPerSecond);
  });

  it('hosted program start: the PTC run less model time, the continuation and tool waves, per program', () => {
    const modelMs = 3 * sonnet.timeToFirstTokenMs + (sum('native', 'inputTokens') / sonnet.inputTokensPerSecond) * 1000 + (sum('native', 'outputTokens') / sonnet.outputTokensPerSecond) * 1000;
    const residualMs = publishedRuns.native.latencyMs - modelMs - defaultBehaviour.continuationRoundTripMs - toolWaves * defaultBehaviour.toolLatencyMs;
    expect(Math.abs(residualMs / 2 - defaultBehaviour.hostedProgramStartMs)).toBeLessThan(50);
  });
});

describe.skipIf(!hasPython)('calibration against the published cookbook runs (sonnet, bare)', () => {
  let report: CalibrationReport;

  it('runs the replica in both modes and compares every request and the totals', async () => {
    report = await calibrationReport({ sandboxes });
    expect(report.status).toBe('measured');
    expect(report.preset).toBe('sonnet');
    for (const run of ['parallel', 'native'] as const) {
      const requests = report.rows.filter((row) => row.run === run && row.request !== 'total' && row.metric === 'input tokens');
      expect(requests).toHaveLength(publishedRuns[run].requests.length);
    }
    // The published native run's second response carried nested calls only: 0 input, 0 output.
    const continuation = report.rows.filter((row) => row.run === 'native' && row.request === '2');
    expect(continuation.map((row) => row.simulated)).toEqual([0, 0]);
  });

  it('draws no failed program in the replica, whatever the seed (the published run had none)', async () => {
    // A seed under which the replica's first program would fail at the default failure rate.
    const seed = Array.from({ length: 200 }, (_, index) => `probe-${index}`).find((candidate) => uniformOf(`${candidate}:${cookbookReplica.id}:program-0`) < defaultBehaviour.programFailureRate);
    expect(seed).toBeDefined();
    const probed = await calibrationReport({ sandboxes, behaviour: { seed: seed! } });
    const requests = probed.rows.filter((row) => row.run === 'native' && row.request !== 'total' && row.metric === 'input tokens');
    expect(requests).toHaveLength(publishedRuns.native.requests.length);
    expect(probed.rows).toEqual(report.rows);
  });

  it('meets the token targets: totals within ±20% in parallel and native mode', () => {
    for (const run of ['parallel', 'native']) {
      const total = report.rows.find((row) => row.run === run && row.request === 'total' && row.metric === 'total tokens')!;
      expect(Math.abs(total.ratio - 1), `${run} ${total.simulated} vs ${total.published}`).toBeLessThanOrEqual(0.2);
    }
  });

  it('meets the latency targets: totals within ±25% in parallel and native mode (simulated time)', () => {
    for (const run of ['parallel', 'native']) {
      const latency = report.rows.find((row) => row.run === run && row.request === 'total' && row.metric === 'latency')!;
      expect(Math.abs(latency.ratio - 1), `${run} ${latency.simulated} ms vs ${latency.published} ms`).toBeLessThanOrEqual(0.25);
    }
  });

  it('passes every other check, and every known failure still fails and says by how much', () => {
    for (const check of report.checks) {
      if (knownFailures.includes(check.name)) {
        expect(check.pass, `${check.name} passes now: remove it from knownFailures`).toBe(false);
        expect(check.value).toMatch(/points/);
      } else {
        expect(check.pass, `${check.name}: ${check.value}`).toBe(true);
      }
    }
    expect(report.pass).toBe(knownFailures.length === 0);
    expect(report.notes.join(' ')).toMatch(/partly circular/);
    expect(report.notes.join(' ')).toMatch(/by construction/);
  });

  it('is deterministic: a second run gives the same tokens and the same simulated latency', async () => {
    const again = await calibrationReport({ sandboxes });
    expect(again.rows).toEqual(report.rows);
  });
});
