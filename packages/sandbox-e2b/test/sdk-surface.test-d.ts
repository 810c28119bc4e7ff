import type { Commands, Sandbox } from '@e2b/code-interpreter';
import { expectTypeOf, test } from 'vitest';
import type { E2BSandboxClass, E2BSandboxInstance } from '../src/index.js';
import type { LocalE2BCloud, LocalE2BSandbox } from '../src/testing/index.js';

test('the real SDK satisfies the surface the adapter uses', () => {
  expectTypeOf<Sandbox>().toExtend<E2BSandboxInstance>();
  expectTypeOf<typeof Sandbox>().toExtend<E2BSandboxClass>();
});

test('the local stand-in satisfies the same surface', () => {
  expectTypeOf<LocalE2BSandbox>().toExtend<E2BSandboxInstance>();
  expectTypeOf<LocalE2BCloud['Sandbox']>().toExtend<E2BSandboxClass>();
  expectTypeOf<LocalE2BSandbox['commands']['sendStdin']>().toEqualTypeOf<Commands['sendStdin']>();
  expectTypeOf<LocalE2BSandbox['commands']['kill']>().toEqualTypeOf<Commands['kill']>();
  expectTypeOf<LocalE2BSandbox['setTimeout']>().toEqualTypeOf<Sandbox['setTimeout']>();
  expectTypeOf<LocalE2BSandbox['kill']>().toEqualTypeOf<Sandbox['kill']>();
});
