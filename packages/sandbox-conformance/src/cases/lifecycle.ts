import { resolveLimits, runCode, SandboxError } from '@codecall/core';
import type { SandboxToolResultV1, SandboxV1 } from '@codecall/core';
import { expect } from 'vitest';
import { constantTool, expectSuccess } from '../case-helpers.js';
import { defineCase, lines } from '../conformance-case.js';
import type { ConformanceCase } from '../conformance-case.js';

function expectDisposedError(error: unknown): void {
  expect(SandboxError.isInstance(error), `expected a SandboxError, got ${String(error)}`).toBe(true);
  expect(error).toMatchObject({ code: 'SANDBOX_DISPOSED', name: 'SandboxDisposedError' });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('Expected the promise to reject, it resolved.');
}

const specification = defineCase<undefined>({
  id: 'lifecycle.specification',
  description:
    'The sandbox implements specification v1: a sandboxId, well-formed capabilities, execute, dispose and Symbol.asyncDispose.',
  run: (context) => {
    const sandbox = context.sandbox;
    expect(sandbox.specificationVersion).toBe('v1');
    expect(typeof sandbox.sandboxId).toBe('string');
    expect(sandbox.sandboxId.length).toBeGreaterThan(0);
    expect(typeof sandbox.execute).toBe('function');
    expect(typeof sandbox.dispose).toBe('function');
    expect(typeof sandbox[Symbol.asyncDispose]).toBe('function');
    const { capabilities } = sandbox;
    expect(capabilities.languages.length).toBeGreaterThan(0);
    for (const language of capabilities.languages) expect(['javascript', 'typescript', 'python']).toContain(language);
    expect(['isolate', 'process', 'jail', 'microvm']).toContain(capabilities.isolation);
    for (const key of ['network', 'filesystem', 'processApi', 'memoryLimit'] as const) expect(typeof capabilities[key]).toBe('boolean');
    return Promise.resolve();
  },
});

const disposeIdempotent = defineCase<undefined>({
  id: 'lifecycle.dispose-idempotent',
  description:
    'dispose() (and Symbol.asyncDispose) may be called repeatedly; afterwards runCode and execute reject with SandboxDisposedError (SandboxError.isInstance, code SANDBOX_DISPOSED). Uses a sandbox of its own.',
  run: async (context) => {
    const sandbox: SandboxV1 = await context.createSandbox();
    let disposed = false;
    try {
      expect(expectSuccess(await runCode({ sandbox, language: context.language, code: 'return 1' })).value).toBe(1);
      await sandbox.dispose();
      disposed = true;
      await sandbox.dispose();
      await sandbox[Symbol.asyncDispose]();
      expectDisposedError(await rejection(runCode({ sandbox, language: context.language, code: 'return 1' })));
      const direct = sandbox.execute({
        executionId: 'after-dispose',
        language: context.language,
        code: 'return 1',
        tools: [],
        limits: resolveLimits(),
        abortSignal: new AbortController().signal,
        callTool: (): Promise<SandboxToolResultV1> => Promise.resolve({ type: 'error', code: 'ABORTED', message: 'not expected' }),
      });
      expectDisposedError(await rejection(direct));
    } finally {
      if (!disposed) await sandbox.dispose();
    }
  },
});

const disposeInFlight = defineCase<string>({
  id: 'lifecycle.dispose-in-flight',
  description:
    'Disposing a sandbox while guest code spins (after its first tool call arrived) ends that run with an error result other than TIMEOUT (not a rejection, not a wait for its 60 s time limit), and dispose itself settles. Uses a sandbox of its own.',
  code: {
    javascript: lines('await started();', 'while (true) {}'),
    python: lines('await started()', 'while True:', '    pass'),
  },
  run: async (context, code) => {
    const sandbox = await context.createSandbox();
    let signalStarted: () => void = () => undefined;
    const guestStarted = new Promise<void>((resolve) => {
      signalStarted = resolve;
    });
    const started = constantTool('started', () => {
      signalStarted();
      return 'go';
    });
    const run = runCode({ sandbox, language: context.language, code, tools: [started], limits: { timeoutMs: 60_000 } });
    const first = await Promise.race([guestStarted.then(() => 'started' as const), run]);
    if (first !== 'started') throw new Error(`The run ended before the guest called started(): ${JSON.stringify(first)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const disposal = sandbox.dispose();
    // Effects, not times: the run ends with an error that is not its time limit's, and dispose settles
    // (the case's own test timeout catches a hang).
    const result = await run;
    expect(result.type).toBe('error');
    if (result.type === 'error') expect(result.error.code).not.toBe('TIMEOUT');
    await disposal;
  },
});

/** Cases of the `lifecycle` area: the spec surface, dispose and use after dispose. */
export const lifecycleCases: readonly ConformanceCase[] = [specification, disposeIdempotent, disposeInFlight];
