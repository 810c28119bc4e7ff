// Runs on a pooled isolate (in-process) or a pooled child (supervised) are independent: nothing a
// run leaves behind (globals, pending callbacks, finalizers, memory held by isolate-wide tables)
// reaches the next run on the same isolate. Code validation is off: the sandbox boundary is under test.
import { defineTool, runCode } from '@codecall/core';
import type { Limits, RunResult } from '@codecall/core';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createIsolatedVmSandbox } from '../src/index.js';

const slow = defineTool({
  name: 'slow',
  description: 'Answers after a while.',
  input: z.object({ ms: z.number(), value: z.string() }),
  execute: async ({ ms, value }) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return value;
  },
});

function valueOf(result: RunResult): unknown {
  if (result.type !== 'success') throw new Error(`expected success, got ${JSON.stringify(result.error)}`);
  return result.value;
}

for (const mode of ['in-process', 'supervised'] as const) {
  describe(`runs on a pooled isolate are independent (${mode})`, { timeout: 60_000 }, () => {
    const sandbox = createIsolatedVmSandbox({ mode, poolSize: 1 });
    afterAll(() => sandbox.dispose());
    const run = (code: string, limits: Limits = {}): Promise<RunResult> => runCode({ sandbox, code, tools: [slow], validation: false, limits: { memoryLimitBytes: 64 << 20, timeoutMs: 10_000, ...limits } });

    it('a finalizer registered by one run never runs in a later one', async () => {
      expect(
        valueOf(
          await run(
            'if (typeof FinalizationRegistry === "function") {\n' +
              '  const registry = new FinalizationRegistry(() => { console.log("finalizer ran"); while (true) {} });\n' +
              '  globalThis.keep = registry;\n' +
              '  for (let i = 0; i < 200000; i++) registry.register({ pad: [i, i, i] }, i);\n' +
              '}\n' +
              'return typeof FinalizationRegistry;',
          ),
        ),
      ).toSatisfy((value) => value === 'function' || value === 'undefined');
      for (let index = 0; index < 3; index++) {
        const next = await run('const junk = []; for (let i = 0; i < 300000; i++) junk.push({ i }); return junk.length;', { timeoutMs: 5_000 });
        expect(next.type === 'success' ? next.value : next.error.code).toBe(300_000);
        expect(next.stdout).toBe('');
      }
    });

    it('a tool answer for an earlier run never reaches a later one', async () => {
      const first = await run('slow({ ms: 150, value: "late" }).then((value) => { globalThis.late = value; console.log("leaked", value); });\nreturn 1;');
      expect(valueOf(first)).toBe(1);
      const second = await run('const mine = await slow({ ms: 600, value: "mine" });\nreturn [mine, typeof late];');
      expect(valueOf(second)).toEqual(['mine', 'undefined']);
      expect(second.stdout).toBe('');
    });

    it('memory a run parks in isolate-wide tables (the Symbol registry) is not charged to the next run', async () => {
      const first = await run('for (let i = 0; i < 36; i++) Symbol.for(String(i).padEnd(1 << 20, "x"));\nreturn 1;');
      expect(valueOf(first)).toBe(1);
      const second = await run('const keep = [];\nfor (let i = 0; i < 36; i++) keep.push(String(i).padEnd(1 << 20, "y"));\nreturn keep.length;');
      expect(valueOf(second)).toBe(36);
    });

    it('ArrayBuffers of one run are freed for the next', async () => {
      for (let index = 0; index < 3; index++) {
        const result = await run('globalThis.buffers = [];\nfor (let i = 0; i < 5; i++) buffers.push(new ArrayBuffer(8 << 20));\nreturn buffers.length;');
        expect(valueOf(result)).toBe(5);
      }
    });
  });
}
