import { expect } from 'vitest';
import { addTool, expectFailure, expectSuccess } from '../case-helpers.js';
import { defineCase, lines } from '../conformance-case.js';
import type { ConformanceCase } from '../conformance-case.js';

const annotationsStripped = defineCase<string>({
  id: 'typescript.annotations-stripped',
  description:
    'TypeScript code runs with its types stripped, not checked: interfaces, type aliases, generics, annotations, `as`, `satisfies` and non-null assertions.',
  code: {
    typescript: lines(
      'interface Item { id: number; name?: string }',
      'type Pair<T> = [T, T];',
      'const items: Item[] = [{ id: 1 }, { id: 2, name: "b" }];',
      'function first<T>(xs: readonly T[]): T | undefined { return xs[0]; }',
      'const pair = [1, 2] as Pair<number>;',
      'const total: number = items.reduce((s: number, i: Item): number => s + i.id, 0);',
      'const sure = first(items)!;',
      'const cfg = { a: 1 } satisfies Record<string, number>;',
      'const sum: number = await add({ a: total, b: pair[1] } as { a: number; b: number });',
      'let later: string;',
      'later = "set";',
      'const unchecked: number = "not checked" as unknown as number;',
      'return { total, pair, first: sure.id, cfg, sum, later, unchecked };',
    ),
  },
  run: async (context, code) => {
    const result = expectSuccess(await context.run({ code, tools: [addTool().tool] }));
    expect(result.value).toStrictEqual({ total: 3, pair: [1, 2], first: 1, cfg: { a: 1 }, sum: 5, later: 'set', unchecked: 'not checked' });
  },
});

const lineNumbers = defineCase<{ runtime: string; syntax: string }>({
  id: 'typescript.line-numbers',
  description: 'Lines of errors count the TypeScript source as written: stripping multi-line types does not shift them.',
  code: {
    typescript: {
      runtime: lines(
        'interface A {',
        '  x: number;',
        '  y: string;',
        '}',
        'type B = A & {',
        '  z: boolean;',
        '};',
        'const a: A = { x: 1, y: "y" };',
        'const b: B = { ...a, z: true };',
        'throw new TypeError(`line ten ${b.x}`);',
      ),
      syntax: lines('type T = {', '  a: number;', '};', 'const x: T = { a: 1 };', 'const y: number = ;', 'return x;'),
    },
  },
  run: async (context, { runtime, syntax }) => {
    const error = expectFailure(await context.run({ code: runtime }), 'RUNTIME_ERROR');
    expect(error).toMatchObject({ name: 'TypeError', line: 10 });
    expect(error.message).toContain('line ten 1');
    expect(expectFailure(await context.run({ code: syntax }), 'SYNTAX_ERROR').line).toBe(5);
  },
});

/** TypeScript-only cases; TypeScript also runs every JavaScript case. */
export const typescriptCases: readonly ConformanceCase[] = [annotationsStripped, lineNumbers];
