import { runCode } from '@codecall/core';
import type { SandboxLanguage, SandboxV1 } from '@codecall/core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { ConformanceCaseContext } from './conformance-case.js';
import { conformanceCases } from './conformance-cases.js';
import { planConformanceTests } from './plan-conformance-tests.js';

/** Options of `describeSandboxConformance`. */
export interface SandboxConformanceOptions {
  /** Title of the `describe` block, e.g. `'isolated-vm'` or `'subprocess (jailed)'`. */
  readonly name: string;
  /**
   * Creates the sandbox under test; may be async. Called once while the suite is collected (to
   * read `capabilities`, then disposed at once), once in `beforeAll` for the sandbox the cases
   * share (disposed in `afterAll`), and once more by each `lifecycle` case, which disposes its own.
   */
  readonly createSandbox: () => SandboxV1 | Promise<SandboxV1>;
  /** Languages to test, a subset of `capabilities.languages`. Default: every declared language. */
  readonly languages?: readonly SandboxLanguage[];
  /**
   * Cases the adapter is known to fail, keyed `<id>` (every language) or `<id>:<language>`, with
   * the reason. They run with vitest's `it.fails`: the suite turns red when one starts passing
   * (remove the entry then), and also when a key names no test that runs here.
   */
  readonly knownFailures?: Readonly<Record<string, string>>;
  /** Timeout of each test in milliseconds. Default `30_000`. */
  readonly timeoutMs?: number;
}

/**
 * Registers the conformance suite for one sandbox adapter as a vitest `describe` block: every case
 * of `conformanceCases` in every language the case and the sandbox have in common, gated by the
 * sandbox's declared capabilities. Call it at the top level of a test file.
 *
 * @example
 * ```ts
 * import { describeSandboxConformance } from '@codecall/sandbox-conformance';
 * describeSandboxConformance({ name: 'isolated-vm', createSandbox: () => createIsolatedVmSandbox() });
 * ```
 */
// Runs whose case sets no time limit get this one: a hung run fails its case with a TIMEOUT result
// well before the test's own timeout, which would hide what happened.
const defaultRunTimeoutMs = 10_000;

export function describeSandboxConformance(options: SandboxConformanceOptions): void {
  const timeoutMs = options.timeoutMs ?? 30_000;
  describe(options.name, async () => {
    const probe = await options.createSandbox();
    const capabilities = structuredClone(probe.capabilities);
    await probe.dispose();
    const plan = planConformanceTests(conformanceCases, capabilities, {
      languages: options.languages,
      knownFailures: options.knownFailures,
    });

    let shared: SandboxV1 | undefined;
    beforeAll(async () => {
      shared = await options.createSandbox();
    }, timeoutMs);
    afterAll(async () => {
      await shared?.dispose();
    }, timeoutMs);

    it('options: knownFailures and languages name tests that run here', () => {
      if (plan.problems.length > 0) throw new Error(plan.problems.join('\n'));
    });

    for (const test of plan.tests) {
      if (test.mode === 'skip') {
        it.skip(test.title, () => undefined);
        continue;
      }
      it(test.title, { timeout: timeoutMs, fails: test.mode === 'fails' }, async () => {
        const sandbox = shared;
        if (sandbox === undefined) throw new Error('createSandbox() failed in beforeAll; see the error above.');
        const context: ConformanceCaseContext = {
          sandbox,
          capabilities,
          language: test.language,
          createSandbox: async () => options.createSandbox(),
          run: (runOptions) =>
            runCode({ ...runOptions, limits: { timeoutMs: defaultRunTimeoutMs, ...runOptions.limits }, sandbox, language: test.language }),
        };
        await test.conformanceCase.run(context);
      });
    }
  });
}
