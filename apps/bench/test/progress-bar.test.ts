import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatDuration, ProgressBar } from '../src/progress-bar.ts';

function capture(): { stream: Writable & { isTTY?: boolean }; lines: () => string[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { stream, lines: () => text.split('\n').filter((line) => line !== '') };
}

describe('ProgressBar', () => {
  it('estimates the time left from the current phase pace plus the planned estimates of later phases', () => {
    let now = 0;
    const { stream } = capture();
    const bar = new ProgressBar(
      [
        { name: 'matrix', steps: 10, estimatedSeconds: 100 },
        { name: 'micro', steps: 1, estimatedSeconds: 20 },
      ],
      stream,
      () => now,
    );
    bar.startPhase('matrix');
    // Before any step is done the plan holds: 100 s + 20 s.
    expect(bar.secondsLeft()).toBe(120);
    now = 5_000;
    for (let index = 0; index < 5; index++) bar.tick('run');
    // Five steps in 5 s: the five left take 5 s more, then the 20 s planned for micro.
    expect(bar.secondsLeft()).toBeCloseTo(25, 5);
    bar.startPhase('micro');
    now = 15_000;
    expect(bar.secondsLeft()).toBeCloseTo(10, 5);
    expect(bar.fraction()).toBeGreaterThan(0.8);
  });

  it('writes a line for every phase, with its position and the time left', () => {
    let now = 0;
    const { stream, lines } = capture();
    const bar = new ProgressBar(
      [
        { name: 'matrix', steps: 2, estimatedSeconds: 2 },
        { name: 'break-even', steps: 2, estimatedSeconds: 2 },
        { name: 'compactness', steps: 1, estimatedSeconds: 1 },
      ],
      stream,
      () => now,
    );
    for (const phase of ['matrix', 'break-even', 'compactness']) {
      bar.startPhase(phase);
      now += 1_000;
      bar.tick(`${phase} step`);
    }
    bar.finish('done');
    const output = lines();
    expect(output.some((line) => line.includes('[1/3 matrix 0/2]') && line.includes('left'))).toBe(true);
    expect(output.some((line) => line.includes('[2/3 break-even 0/2]'))).toBe(true);
    expect(output.some((line) => line.includes('[3/3 compactness 0/1]'))).toBe(true);
    expect(output.at(-1)).toMatch(/^bench: 100% .*done/);
  });

  it('rejects an unknown phase', () => {
    const bar = new ProgressBar([{ name: 'matrix', steps: 1, estimatedSeconds: 1 }], capture().stream);
    expect(() => bar.startPhase('nope')).toThrow(/unknown progress phase/);
  });
});

describe('formatDuration', () => {
  it('formats seconds and minutes', () => {
    expect(formatDuration(8.4)).toBe('8s');
    expect(formatDuration(75)).toBe('1m15s');
    expect(formatDuration(Number.NaN)).toBe('?');
  });
});
