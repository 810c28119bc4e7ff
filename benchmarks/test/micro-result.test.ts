// The micro-benchmark's text table: a memory or leftover-count target has no time, and its row
// must not print one (it printed `0.0µs` as its median before).
import { describe, expect, it } from 'vitest';
import { formatRowsTable, isTimedRow, withTarget } from '../micro/micro-result.ts';

describe('formatRowsTable', () => {
  it('prints times for timed rows and "-" for memory and count targets', () => {
    const timed = withTarget({ name: 'per sequential call', subject: 'in-process', medianMs: 0.0262, p75Ms: 0.0272, samples: 0, ratio: 1.22, baseline: 'raw/per sequential call' }, '<= 1.2x raw', 'ratio', 1.22, 1.2, 0.03);
    const memory = withTarget({ name: 'host RSS growth after 10000 runs (gc)', subject: 'in-process', medianMs: 0, p75Ms: 0, samples: 10_000 }, '<= 50 MB', 'bytes', 18_400_000, 50_000_000, 0);
    const leftovers = withTarget({ name: 'processes left after 200 sandboxes', subject: 'supervised', medianMs: 0, p75Ms: 0, samples: 200 }, '0', 'count', 0, 0, 0);
    expect([timed, memory, leftovers].map(isTimedRow)).toEqual([true, false, false]);
    const lines = formatRowsTable('title', [timed, memory, leftovers]).split('\n');
    expect(lines[2]).toMatch(/per sequential call\s+26\.2µs\s+27\.2µs\s+-\s+1\.22x/);
    expect(lines[3]).toMatch(/host RSS growth after 10000 runs \(gc\)\s+-\s+-\s+10000\s+<= 50 MB\s+18\.4 MB\s+yes/);
    expect(lines[4]).toMatch(/processes left after 200 sandboxes\s+-\s+-\s+200\s+0\s+0\s+yes/);
  });
});
