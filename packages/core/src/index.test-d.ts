import { expectTypeOf, test } from 'vitest';
import { z } from 'zod';
import { defineTool, runCode } from './index.js';
import type { RunResult, SandboxV1, Tool } from './index.js';

test('defineTool infers input and output types from zod', () => {
  const tool = defineTool({
    name: 'get_expenses',
    input: z.object({ employeeId: z.string(), limit: z.number().default(5) }),
    output: z.array(z.object({ amount: z.number() })),
    execute: (input) => {
      expectTypeOf(input).toEqualTypeOf<{ employeeId: string; limit: number }>();
      return [{ amount: 1 }];
    },
  });
  expectTypeOf(tool).toEqualTypeOf<Tool<{ employeeId: string; limit: number }, { amount: number }[]>>();
  defineTool({
    name: 'wrong_output',
    input: z.object({}),
    output: z.number(),
    // @ts-expect-error -- the handler must return what the output schema accepts
    execute: () => 'text',
  });
});

test('runCode returns a discriminated union', () => {
  expectTypeOf(runCode).returns.resolves.toEqualTypeOf<RunResult>();
  const narrow = (result: RunResult) => (result.type === 'error' ? result.error.code : result.value);
  expectTypeOf(narrow).returns.toEqualTypeOf<unknown>();
  expectTypeOf<SandboxV1['specificationVersion']>().toEqualTypeOf<'v1'>();
});
