import { describe, expect, it } from 'vitest';
import { calibrationReport, publishedRuns } from './calibration.ts';
import type { CalibrationReport } from './calibration.ts';
import { detectSandboxes } from './sandbox-targets.ts';

const sandboxes = await detectSandboxes(['subprocess-python']);
const hasPython = sandboxes.available.some((target) => target.language === 'python');

/**
 * Targets the default behaviour layer does not meet with its sourced and assumed parameters, stated
 * in the report rather than tuned away. An entry that starts passing turns this test red: remove it.
 */
const knownFailures = ['latency reduction (native vs parallel) within 10 points of published'];

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
  });

  it('is deterministic: a second run gives the same tokens and the same simulated latency', async () => {
    const again = await calibrationReport({ sandboxes });
    expect(again.rows).toEqual(report.rows);
  });
});
