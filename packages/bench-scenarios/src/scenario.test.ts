import { describe, expect, it } from 'vitest';
import { assertScenario, checkAnswer, defineScenario, directStepOf, isOutputDeclared } from './scenario.js';
import { id, integer, pick, seededRandom, seedOf, uniformOf } from './random.js';

const scenario = defineScenario({
  id: 'tiny',
  title: 'Tiny',
  tools: [
    { name: 'get_a', description: 'A.', inputSchema: { type: 'object', properties: {} }, execute: () => 1 },
    { name: 'get_b', description: 'B.', inputSchema: { type: 'object', properties: {} }, outputSchema: { type: 'number' }, execute: () => 2 },
    { name: 'get_c', description: 'C, returns a number.', inputSchema: { type: 'object', properties: {} }, execute: () => 3 },
  ],
  declaredOutputs: ['get_c'],
  task: 'Add them.',
  expected: '6',
  direct: () => 'The sum is 6.',
  code: () => 'The sum is 6.',
});

describe('random helpers', () => {
  it('give the same sequence for the same seed and differ across seeds', () => {
    const first = seededRandom(7);
    const second = seededRandom(7);
    const a = Array.from({ length: 5 }, () => first());
    expect(a).toEqual(Array.from({ length: 5 }, () => second()));
    expect(a).not.toEqual(Array.from({ length: 5 }, seededRandom(8)));
    expect(a.every((value) => value >= 0 && value < 1)).toBe(true);
  });

  it('draw integers in range, pick elements, pad ids, hash texts', () => {
    const random = seededRandom(1);
    for (let index = 0; index < 100; index++) {
      const value = integer(random, 3, 5);
      expect(value).toBeGreaterThanOrEqual(3);
      expect(value).toBeLessThanOrEqual(5);
    }
    expect(['x', 'y']).toContain(pick(random, ['x', 'y']));
    expect(id('e', 7, 2)).toBe('e07');
    expect(seedOf('a')).toBe(seedOf('a'));
    expect(seedOf('a')).not.toBe(seedOf('b'));
    expect(uniformOf('coin')).toBe(uniformOf('coin'));
  });
});

describe('scenario helpers', () => {
  it('checks answers with the default checker, ignoring case and whitespace', () => {
    expect(checkAnswer(scenario, 'the SUM is\n 6')).toBe(true);
    expect(checkAnswer(scenario, 'the sum is 7')).toBe(false);
    expect(checkAnswer({ ...scenario, check: () => { throw new Error('broken'); } }, '6')).toBe(false);
  });

  it('knows which outputs are declared (outputSchema or declaredOutputs)', () => {
    expect(isOutputDeclared(scenario, 'get_a')).toBe(false);
    expect(isOutputDeclared(scenario, 'get_b')).toBe(true);
    expect(isOutputDeclared(scenario, 'get_c')).toBe(true);
  });

  it('normalizes direct turns', () => {
    expect(directStepOf('done')).toBeUndefined();
    expect(directStepOf([{ tool: 'get_a' }])).toEqual({ calls: [{ tool: 'get_a' }] });
    expect(directStepOf({ calls: [{ tool: 'get_a' }], text: 'First A.', dataDependent: true })).toEqual({ calls: [{ tool: 'get_a' }], text: 'First A.', dataDependent: true });
  });

  it('rejects malformed scenarios with the place and the problem', () => {
    expect(() => assertScenario(scenario, 'x.ts')).not.toThrow();
    expect(() => assertScenario({ ...scenario, id: 'Bad Id' }, 'x.ts')).toThrow(/x\.ts: `id` must be a kebab-case string/);
    expect(() => assertScenario({ ...scenario, declaredOutputs: 'get_a' }, 'x.ts')).toThrow(/declaredOutputs/);
    expect(() => assertScenario({ ...scenario, direct: undefined }, 'x.ts')).toThrow(/`direct` must be a function/);
    expect(() => assertScenario({ ...scenario, workload: 'research' }, 'x.ts')).toThrow(/`workload` must be 'analysis', 'sequential' or 'code-writing'/);
    expect(() => assertScenario({ ...scenario, workload: 'sequential' }, 'x.ts')).not.toThrow();
  });
});
