import { defineTool, runCode, SandboxConnectionError, SandboxError, SandboxStartError } from '@codecall/core';
import type { RunResult } from '@codecall/core';
import { RateLimitError, TimeoutError } from '@e2b/code-interpreter';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createE2BSandbox, SandboxAuthenticationError, SandboxExpiredError, SandboxRateLimitedError } from '../src/index.js';
import type { E2BSandboxSettings } from '../src/index.js';
import { LocalE2BCloud, localE2BSupport } from '../src/testing/index.js';
import type { LocalE2BCloudSettings } from '../src/testing/index.js';

// Remote faults through the local stand-in: each ends as a typed SandboxError or an error result,
// never a hang. No clock: where a fault must end a run before its limit would, the run's limit is
// far past the test's timeout, so the run settling at all (with the fault's error) is the proof.
const support = localE2BSupport();
const clouds: LocalE2BCloud[] = [];
const apiKey = 'e2b_local_test';

function cloud(settings: LocalE2BCloudSettings = {}): LocalE2BCloud {
  const created = new LocalE2BCloud(settings);
  clouds.push(created);
  return created;
}

function adapter(local: LocalE2BCloud, settings: E2BSandboxSettings = {}): ReturnType<typeof createE2BSandbox> {
  return createE2BSandbox({ sandboxClass: local.Sandbox, ...settings, sandboxOptions: { apiKey, ...settings.sandboxOptions } });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('Expected a rejection, the promise resolved.');
}

function expectSuccess(result: RunResult): Extract<RunResult, { type: 'success' }> {
  if (result.type !== 'success') throw new Error(`Expected success, got ${JSON.stringify(result.error)} (stderr: ${result.stderr})`);
  return result;
}

const echo = defineTool({ name: 'echo', input: z.object({ text: z.string() }), execute: ({ text }) => text });

afterAll(async () => {
  await Promise.all(clouds.map((local) => local.shutdown()));
});

describe.skipIf(!support.supported)(`remote faults through the local stand-in${support.supported ? '' : ` (skipped: ${support.reason})`}`, () => {
  for (const language of ['javascript', 'python'] as const) {
    it(`a connection dropped during a tool call rejects with a retryable SandboxConnectionError, and the next run works (${language})`, async () => {
      const local = cloud();
      const sandbox = adapter(local);
      try {
        const trigger = defineTool({ name: 'trigger', input: z.object({}), execute: () => {
          for (const remote of local.running) remote.dropConnections();
          return 'dropped';
        } });
        const program = language === 'python' ? 'await trigger()\nreturn await echo({"text": "after"})' : 'await trigger();\nreturn await echo({ text: "after" });';
        const error = await rejection(runCode({ sandbox, language, code: program, tools: [trigger, echo], limits: { timeoutMs: 600_000 } }));
        expect(SandboxError.isInstance(error)).toBe(true);
        expect(error).toBeInstanceOf(SandboxConnectionError);
        expect(error).toMatchObject({ code: 'CONNECTION_LOST', retryable: true, sandboxId: sandbox.sandboxId });
        // The sandbox itself is fine: the next run uses it.
        const next = expectSuccess(await runCode({ sandbox, language, code: language === 'python' ? 'return 7' : 'return 7;' }));
        expect(next.value).toBe(7);
        expect(local.created).toBe(1);
      } finally {
        await sandbox.dispose();
      }
    });

    it(`a sandbox that expires mid-run rejects with SandboxExpiredError (retryable, owned), and the next run gets a new sandbox (${language})`, async () => {
      const local = cloud();
      const sandbox = adapter(local);
      try {
        const trigger = defineTool({ name: 'trigger', input: z.object({}), execute: () => {
          for (const remote of local.running) remote.expire();
          return 'expired';
        } });
        const program = language === 'python' ? 'await trigger()\nwhile True:\n    pass' : 'await trigger();\nwhile (true) {}';
        const error = await rejection(runCode({ sandbox, language, code: program, tools: [trigger], limits: { timeoutMs: 20_000 } }));
        expect(error).toBeInstanceOf(SandboxExpiredError);
        expect(error).toMatchObject({ code: 'SANDBOX_EXPIRED', retryable: true });
        const next = expectSuccess(await runCode({ sandbox, language, code: language === 'python' ? 'return 8' : 'return 8;' }));
        expect(next.value).toBe(8);
        expect(local.created).toBe(2);
      } finally {
        await sandbox.dispose();
      }
    });
  }

  it('a sandbox whose own timeout elapses mid-run (no keep-alive) rejects with SandboxExpiredError', async () => {
    const local = cloud();
    // 5 s: creating the sandbox and uploading the runners must end before it expires, even on a
    // busy machine (an expiry during the upload is a different error, not what this test is about).
    const sandbox = adapter(local, { keepAlive: false, sandboxOptions: { timeoutMs: 5_000 } });
    try {
      const error = await rejection(runCode({ sandbox, language: 'javascript', code: 'while (true) {}', limits: { timeoutMs: 600_000 } }));
      expect(error).toBeInstanceOf(SandboxExpiredError);
    } finally {
      await sandbox.dispose();
    }
  });

  it('keep-alive refreshes the sandbox timeout so runs outlive a short sandbox timeout', async () => {
    const local = cloud();
    // The run lasts twice the sandbox timeout; the 3 s before the first refresh leave room for a busy machine.
    const sandbox = adapter(local, { sandboxOptions: { timeoutMs: 3_000 } });
    try {
      const result = await runCode({
        sandbox,
        language: 'javascript',
        code: 'await new Promise((resolve) => setTimeout(resolve, 6_000)); return "alive";',
        limits: { timeoutMs: 20_000 },
      });
      expect(expectSuccess(result).value).toBe('alive');
      expect(local.running[0]?.timeoutRefreshes).toBeGreaterThanOrEqual(1);
    } finally {
      await sandbox.dispose();
    }
  });

  it('a supplied sandbox that expired is not replaced: SandboxExpiredError, not retryable, and the caller keeps it', async () => {
    const local = cloud();
    const remote = (await local.Sandbox.create({ apiKey }));
    const sandbox = createE2BSandbox({ sandbox: remote });
    try {
      expect(expectSuccess(await runCode({ sandbox, language: 'python', code: '1 + 1' })).value).toBe(2);
      remote.expire();
      const error = await rejection(runCode({ sandbox, language: 'python', code: '1 + 1' }));
      expect(error).toBeInstanceOf(SandboxExpiredError);
      expect(error).toMatchObject({ retryable: false });
      const again = await rejection(runCode({ sandbox, language: 'python', code: '1 + 1' }));
      expect(again).toBeInstanceOf(SandboxExpiredError);
      expect(local.created).toBe(1);
    } finally {
      await sandbox.dispose();
    }
  });

  it('a refused API key is a SandboxAuthenticationError (not retryable, key not in the message); a missing one too', async () => {
    const local = cloud({ apiKeys: ['e2b_the_right_key'] });
    const wrong = createE2BSandbox({ sandboxClass: local.Sandbox, sandboxOptions: { apiKey: 'e2b_wrong_key_secret' } });
    const error = await rejection(runCode({ sandbox: wrong, language: 'javascript', code: 'return 1;' }));
    expect(error).toBeInstanceOf(SandboxAuthenticationError);
    expect(error).toMatchObject({ code: 'AUTHENTICATION_FAILED', retryable: false });
    expect((error as Error).message).not.toContain('e2b_wrong_key_secret');
    await wrong.dispose();

    const previous = process.env['E2B_API_KEY'];
    delete process.env['E2B_API_KEY'];
    try {
      const missing = createE2BSandbox({ sandboxClass: local.Sandbox });
      const missingError = await rejection(runCode({ sandbox: missing, language: 'javascript', code: 'return 1;' }));
      expect(missingError).toBeInstanceOf(SandboxAuthenticationError);
      await missing.dispose();
    } finally {
      if (previous !== undefined) process.env['E2B_API_KEY'] = previous;
    }

    const right = createE2BSandbox({ sandboxClass: local.Sandbox, sandboxOptions: { apiKey: 'e2b_the_right_key' } });
    try {
      expect(expectSuccess(await runCode({ sandbox: right, language: 'javascript', code: 'return 1;' })).value).toBe(1);
    } finally {
      await right.dispose();
    }
  });

  it('E2B_API_KEY is the default API key', async () => {
    const local = cloud({ apiKeys: ['e2b_from_environment'] });
    const previous = process.env['E2B_API_KEY'];
    process.env['E2B_API_KEY'] = 'e2b_from_environment';
    const sandbox = createE2BSandbox({ sandboxClass: local.Sandbox });
    try {
      expect(expectSuccess(await runCode({ validation: false, sandbox, language: 'javascript', code: 'return typeof process.env.E2B_API_KEY;' })).value).toBe('undefined');
    } finally {
      await sandbox.dispose();
      if (previous === undefined) delete process.env['E2B_API_KEY'];
      else process.env['E2B_API_KEY'] = previous;
    }
  });

  it('rate limits are a retryable SandboxRateLimitedError, whether from the account limit or an injected 429', async () => {
    const local = cloud({ maxSandboxes: 1 });
    const first = adapter(local);
    const second = adapter(local);
    try {
      await first.warmUp();
      const error = await rejection(runCode({ sandbox: second, language: 'javascript', code: 'return 1;' }));
      expect(error).toBeInstanceOf(SandboxRateLimitedError);
      expect(error).toMatchObject({ code: 'RATE_LIMITED', retryable: true });
      await first.dispose();
      expect(expectSuccess(await runCode({ sandbox: second, language: 'javascript', code: 'return 2;' })).value).toBe(2);

      local.failNext('run', new RateLimitError('429: Rate limit exceeded, please try again later.'));
      const injected = await rejection(runCode({ sandbox: second, language: 'javascript', code: 'return 3;' }));
      expect(injected).toBeInstanceOf(SandboxRateLimitedError);
      expect(expectSuccess(await runCode({ sandbox: second, language: 'javascript', code: 'return 4;' })).value).toBe(4);
    } finally {
      await Promise.all([first.dispose(), second.dispose()]);
    }
  });

  it('a failing sendStdin (request timeout) mid-run is a retryable SandboxConnectionError', async () => {
    const local = cloud();
    const sandbox = adapter(local);
    try {
      await sandbox.warmUp();
      const trigger = defineTool({ name: 'trigger', input: z.object({}), execute: () => {
        local.failNext('sendStdin', new TimeoutError("deadline: This error is likely due to exceeding 'requestTimeoutMs'."));
        return 'armed';
      } });
      const error = await rejection(runCode({ sandbox, language: 'javascript', code: 'await trigger(); return "unreachable";', tools: [trigger] }));
      expect(error).toBeInstanceOf(SandboxConnectionError);
      expect(error).toMatchObject({ retryable: true });
    } finally {
      await sandbox.dispose();
    }
  });

  // The bounds are short for a test, yet long enough that the honest requests around the hung ones
  // (starting a runner on a busy machine) finish inside them.
  it('requests that never answer are bounded: create, starting the runner, sendStdin', { timeout: 90_000 }, async () => {
    const local = cloud();
    const sandbox = adapter(local, { startTimeoutMs: 5_000, requestTimeoutMs: 2_000 });
    try {
      // A hung request never answers: each step below settling at all shows its bound ended it.
      local.hangNext('create');
      const createError = await rejection(runCode({ sandbox, language: 'javascript', code: 'return 1;', limits: { timeoutMs: 600_000 } }));
      expect(createError).toBeInstanceOf(SandboxStartError);
      expect(createError).toMatchObject({ retryable: true });

      local.hangNext('run');
      const runError = await rejection(runCode({ sandbox, language: 'javascript', code: 'return 1;', limits: { timeoutMs: 600_000 } }));
      expect(runError).toBeInstanceOf(SandboxConnectionError);

      const trigger = defineTool({ name: 'trigger', input: z.object({}), execute: () => {
        local.hangNext('sendStdin');
        return 'armed';
      } });
      const stdinError = await rejection(runCode({ sandbox, language: 'javascript', code: 'await trigger(); return 1;', tools: [trigger], limits: { timeoutMs: 600_000 } }));
      expect(stdinError).toBeInstanceOf(SandboxConnectionError);

      expect(expectSuccess(await runCode({ sandbox, language: 'javascript', code: 'return "recovered";' })).value).toBe('recovered');
    } finally {
      await sandbox.dispose();
    }
  });

  it('SDK methods that throw synchronously neither hang a run nor escape as untyped errors', async () => {
    const local = cloud();
    const remote = await local.Sandbox.create({ apiKey });
    const sandbox = createE2BSandbox({ sandbox: remote });
    try {
      const kill = vi.spyOn(remote.commands, 'kill').mockImplementation(() => {
        throw new Error('kill exploded synchronously');
      });
      const timedOut = await runCode({ sandbox, language: 'javascript', code: 'while (true) {}', limits: { timeoutMs: 300 } });
      expect(timedOut.type === 'error' && timedOut.error.code).toBe('TIMEOUT');
      expect(kill).toHaveBeenCalled();
      kill.mockRestore();
      const run = vi.spyOn(remote.commands, 'run').mockImplementation(() => {
        throw new TypeError('run exploded synchronously');
      });
      const error = await rejection(runCode({ sandbox, language: 'javascript', code: 'return 1;' }));
      expect(error).toBeInstanceOf(SandboxConnectionError);
      run.mockRestore();
      expect(expectSuccess(await runCode({ sandbox, language: 'javascript', code: 'return 1;' })).value).toBe(1);
    } finally {
      await sandbox.dispose();
      await remote.kill();
    }
  });

  it('stdout split into 1..7-byte pieces (inside UTF-8 sequences) and stdin delayed at random: large values and output arrive intact', async () => {
    const local = cloud({ faults: { splitOutput: { seed: 3, maxPieceBytes: 7 }, stdinDelay: { seed: 5, minMs: 0, maxMs: 25 } } });
    const sandbox = adapter(local, { languages: ['javascript', 'python'] });
    // Larger than one sendStdin chunk (256 KiB), so the answer travels in several delayed writes.
    const big = 'é€😀x'.repeat(60_000);
    const produce = defineTool({ name: 'produce', input: z.object({}), execute: () => ({ big }) });
    try {
      for (const language of ['javascript', 'python'] as const) {
        const code =
          language === 'python'
            ? 'r = await produce()\nparts = await asyncio.gather(*[echo({"text": "ü" + str(i)}) for i in range(20)])\nprint("héllo 😀")\nreturn {"length": len(r["big"]), "same": r["big"] == "é€😀x" * 60000, "parts": parts}'
            : 'const r = await produce();\nconst parts = await Promise.all(Array.from({ length: 20 }, (_, i) => echo({ text: "ü" + i })));\nconsole.log("héllo 😀");\nreturn { length: [...r.big].length, same: r.big === "é€😀x".repeat(60000), parts };';
        const result = expectSuccess(
          await runCode({ sandbox, language, code: language === 'python' ? `import asyncio\n${code}` : code, tools: [produce, echo], limits: { timeoutMs: 30_000, maxValueBytes: 4 * 1024 * 1024 } }),
        );
        expect(result.value).toStrictEqual({ length: 240_000, same: true, parts: Array.from({ length: 20 }, (_, i) => `ü${i}`) });
        expect(result.stdout).toBe('héllo 😀\n');
      }
    } finally {
      await sandbox.dispose();
    }
  });
});
