import { defineTool, runCode, SandboxConfigurationError, SandboxDisposedError, SandboxStartError } from '@codecall/core';
import type { RunResult } from '@codecall/core';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createE2BSandbox, E2BSandbox } from '../src/index.js';
import type { E2BRunUsage } from '../src/index.js';
import { LocalE2BCloud, localE2BSupport } from '../src/testing/index.js';
import type { LocalE2BSandbox } from '../src/testing/index.js';

const support = localE2BSupport();
const local = new LocalE2BCloud();
const apiKey = 'e2b_local_test';

afterAll(async () => {
  await local.shutdown();
});

function expectSuccess(result: RunResult): Extract<RunResult, { type: 'success' }> {
  if (result.type !== 'success') throw new Error(`Expected success, got ${JSON.stringify(result.error)} (stderr: ${result.stderr})`);
  return result;
}

/**
 * Polls `condition` every 50 ms, at most 400 times (20 s or more: generous on a busy machine), and
 * returns whether it held at the poll that ended the wait (without evaluating it again).
 */
async function eventually(condition: () => boolean): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    if (condition()) return true;
    if (attempt >= 400) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('settings', () => {
  it('capabilities are honest: microvm, network unless disabled, no per-run memory limit', () => {
    const sandbox = createE2BSandbox();
    expect(sandbox).toBeInstanceOf(E2BSandbox);
    expect(sandbox.capabilities).toStrictEqual({ languages: ['javascript', 'python'], isolation: 'microvm', network: true, filesystem: true, processApi: true, memoryLimit: false, liveOutput: true });
    expect(createE2BSandbox({ sandboxOptions: { allowInternetAccess: false } }).capabilities.network).toBe(false);
    expect(sandbox.sandboxId).toMatch(/^e2b:\d+:[0-9a-f]{8}$/);
  });

  it('rejects contradictory or invalid settings with SandboxConfigurationError', () => {
    expect(() => createE2BSandbox({ sandboxId: 'x', sandbox: {} as never })).toThrow(SandboxConfigurationError);
    expect(() => createE2BSandbox({ languages: [] })).toThrow(SandboxConfigurationError);
    expect(() => createE2BSandbox({ startTimeoutMs: 0 })).toThrow(/startTimeoutMs/);
    expect(() => createE2BSandbox({ remoteDirectory: 'relative' })).toThrow(/remoteDirectory/);
  });

  it('an unsupported language is a SandboxConfigurationError', async () => {
    const sandbox = createE2BSandbox({ languages: ['python'], sandboxClass: local.Sandbox });
    await expect(runCode({ sandbox, language: 'javascript', code: 'return 1;' })).rejects.toMatchObject({ code: 'UNSUPPORTED_LANGUAGE' });
    await sandbox.dispose();
  });
});

describe.skipIf(!support.supported)(`the adapter on the local stand-in${support.supported ? '' : ` (skipped: ${support.reason})`}`, () => {
  it('creates the sandbox lazily, uploads the runners once, reuses the sandbox across runs and kills it on dispose', async () => {
    const usages: E2BRunUsage[] = [];
    const createdBefore = local.created;
    const sandbox = createE2BSandbox({ sandboxClass: local.Sandbox, sandboxOptions: { apiKey, metadata: { team: 'a' } }, onRunUsage: (usage) => usages.push(usage) });
    expect(local.created).toBe(createdBefore);
    let remote: LocalE2BSandbox | undefined;
    // Seconds really are seconds: what the adapter bills fits inside the time this test saw pass
    // (an upper bound from the same clock, not a budget: load makes both longer).
    const observedFrom = performance.now();
    try {
      const first = expectSuccess(await runCode({ sandbox, language: 'javascript', code: 'return 1;' }));
      expect(first.value).toBe(1);
      remote = local.running.find((candidate) => candidate.sandboxId === sandbox.remoteSandboxId);
      expect(remote).toBeDefined();
      const write = vi.spyOn(remote!.files, 'write');
      for (let index = 0; index < 3; index++) {
        expect(expectSuccess(await runCode({ sandbox, language: index % 2 === 0 ? 'python' : 'javascript', code: 'return 2' })).value).toBe(2);
      }
      expect(write).not.toHaveBeenCalled();
      expect(local.created).toBe(createdBefore + 1);
      expect(usages).toHaveLength(4);
      expect(usages[0]).toMatchObject({ coldStart: true, outcome: 'success', remoteSandboxId: remote!.sandboxId, language: 'javascript' });
      expect(usages[0]!.sandboxStartMs).toBeGreaterThan(0);
      for (const usage of usages) {
        expect(usage.sandboxSeconds).toBeGreaterThan(0);
        expect(usage.commandStartMs).toBeGreaterThan(0);
      }
      expect(usages.slice(1).every((usage) => !usage.coldStart && usage.sandboxStartMs === 0)).toBe(true);
      const totals = sandbox.usage();
      expect(totals).toMatchObject({ runs: 4, sandboxesCreated: 1 });
      expect(totals.runSandboxSeconds).toBeCloseTo(usages.reduce((sum, usage) => sum + usage.sandboxSeconds, 0), 6);
      expect(totals.sandboxLifetimeSeconds).toBeGreaterThanOrEqual(totals.runSandboxSeconds);
      expect(totals.sandboxLifetimeSeconds).toBeLessThanOrEqual((performance.now() - observedFrom) / 1_000 + 0.001);
    } finally {
      await sandbox.dispose();
    }
    expect(remote!.isAlive).toBe(false);
    await expect(runCode({ sandbox, language: 'javascript', code: 'return 1;' })).rejects.toBeInstanceOf(SandboxDisposedError);
  });

  it('the run timeout kills the runner command', async () => {
    const sandbox = createE2BSandbox({ sandboxClass: local.Sandbox, sandboxOptions: { apiKey } });
    try {
      await sandbox.warmUp();
      const remote = local.running.find((candidate) => candidate.sandboxId === sandbox.remoteSandboxId)!;
      const result = await runCode({ sandbox, language: 'python', code: 'while True:\n    pass', limits: { timeoutMs: 500 } });
      expect(result.type === 'error' && result.error.code).toBe('TIMEOUT');
      expect(await eventually(() => remote.commands.handles.size === 0)).toBe(true);
    } finally {
      await sandbox.dispose();
    }
  });

  it('a supplied sandbox is not killed on dispose, only the runners the adapter started', async () => {
    const remote = (await local.Sandbox.create({ apiKey }));
    const sandbox = createE2BSandbox({ sandbox: remote });
    let signalStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      signalStarted = resolve;
    });
    const go = defineTool({ name: 'go', input: z.object({}), execute: () => signalStarted() });
    const run = runCode({ sandbox, language: 'javascript', code: 'await go(); while (true) {}', tools: [go], limits: { timeoutMs: 20_000 } });
    await started;
    // A command of the caller's own, which the adapter must leave alone.
    const own = await remote.commands.run('sleep 30', { background: true });
    await sandbox.dispose();
    const result = await run;
    expect(result.type === 'error' && result.error.code).toBe('ABORTED');
    expect(remote.isAlive).toBe(true);
    expect(await eventually(() => remote.commands.handles.size === 1)).toBe(true);
    expect([...remote.commands.handles][0]?.pid).toBe(own.pid);
    expect(timeoutRefreshesOf(remote)).toBe(0);
    await remote.kill();
  });

  it('connects to a running sandbox by id and leaves it running', async () => {
    const remote = (await local.Sandbox.create({ apiKey }));
    const sandbox = createE2BSandbox({ sandboxClass: local.Sandbox, sandboxId: remote.sandboxId, sandboxOptions: { apiKey } });
    try {
      expect(expectSuccess(await runCode({ validation: false, sandbox, language: 'python', code: 'import os\nos.environ.get("E2B_SANDBOX_ID")' })).value).toBe(remote.sandboxId);
    } finally {
      await sandbox.dispose();
    }
    expect(remote.isAlive).toBe(true);
    await remote.kill();
  });

  it('many concurrent runs share one sandbox, each with its own runner', async () => {
    const sandbox = createE2BSandbox({ sandboxClass: local.Sandbox, sandboxOptions: { apiKey } });
    const createdBefore = local.created;
    try {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, index) =>
          runCode({ validation: false, sandbox, language: index % 2 === 0 ? 'javascript' : 'python', code: index % 2 === 0 ? `return process.pid * 0 + ${index};` : `import os\nos.getpid() * 0 + ${index}` }),
        ),
      );
      expect(results.map((result) => expectSuccess(result).value)).toStrictEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(local.created).toBe(createdBefore + 1);
    } finally {
      await sandbox.dispose();
    }
  });

  it('a missing interpreter is a SandboxStartError naming the setting', async () => {
    const sandbox = createE2BSandbox({ sandboxClass: local.Sandbox, sandboxOptions: { apiKey }, nodeCommand: 'codecall-no-such-node' });
    try {
      const error = await runCode({ sandbox, language: 'javascript', code: 'return 1;' }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(SandboxStartError);
      expect((error as Error).message).toMatch(/nodeCommand[\s\S]*codecall-no-such-node/);
    } finally {
      await sandbox.dispose();
    }
  });

  it('a runner file deleted by a guest is uploaded again for the next run', async () => {
    const sandbox = createE2BSandbox({ sandboxClass: local.Sandbox, sandboxOptions: { apiKey } });
    try {
      const removed = await runCode({
        validation: false,
        sandbox,
        language: 'python',
        code: 'import glob, os\nfor path in glob.glob("/tmp/codecall/runner-*/*"):\n    os.remove(path)\n"removed"',
      });
      expect(expectSuccess(removed).value).toBe('removed');
      const broken = await runCode({ sandbox, language: 'python', code: '1' }).catch((caught: unknown) => caught);
      expect(broken).toBeInstanceOf(SandboxStartError);
      expect(broken).toMatchObject({ retryable: true });
      expect(expectSuccess(await runCode({ sandbox, language: 'python', code: '3' })).value).toBe(3);
    } finally {
      await sandbox.dispose();
    }
  });

  it('memory: a runaway JavaScript heap ends with MEMORY_LIMIT; with addressSpaceLimit, a runaway Python run too', async () => {
    const sandbox = createE2BSandbox({ sandboxClass: local.Sandbox, sandboxOptions: { apiKey }, addressSpaceLimit: true });
    try {
      const limits = { memoryLimitBytes: 64 * 1024 * 1024, timeoutMs: 20_000 };
      const javascript = await runCode({ sandbox, language: 'javascript', limits, code: 'const hold = [];\nfor (let i = 0; i < 1e8; i++) hold.push({ i, text: "x".repeat(64) + i });\nreturn hold.length;' });
      expect(javascript.type === 'error' && javascript.error.code).toBe('MEMORY_LIMIT');
      const python = await runCode({ sandbox, language: 'python', limits, code: 'hold = []\nfor i in range(100000):\n    hold.append(b"x" * (1 << 20))\nlen(hold)' });
      expect(python.type === 'error' && python.error.code).toBe('MEMORY_LIMIT');
      expect(expectSuccess(await runCode({ sandbox, language: 'python', code: 'hold = [b"x" * (1 << 20) for _ in range(8)]\nlen(hold)' })).value).toBe(8);
    } finally {
      await sandbox.dispose();
    }
  });

  it('guest environment: only settings.envs and TMPDIR (the run’s private directory, removed afterwards)', async () => {
    const sandbox = createE2BSandbox({ sandboxClass: local.Sandbox, sandboxOptions: { apiKey }, envs: { GREETING: 'hi' } });
    try {
      const first = expectSuccess(
        await runCode({ validation: false, sandbox, language: 'javascript', code: 'const fs = process.getBuiltinModule("node:fs"); fs.writeFileSync("here.txt", "x"); return { greeting: process.env.GREETING, tmp: process.env.TMPDIR, cwd: process.cwd() };' }),
      );
      const { greeting, tmp, cwd } = first.value as { greeting: string; tmp: string; cwd: string };
      expect(greeting).toBe('hi');
      expect(tmp).toBe(cwd);
      expect(cwd).toMatch(/^\/tmp\/codecall\/runs\//);
      const second = expectSuccess(await runCode({ validation: false, sandbox, language: 'javascript', code: `return process.getBuiltinModule("node:fs").existsSync(${JSON.stringify(`${cwd}/here.txt`)});` }));
      expect(second.value).toBe(false);
    } finally {
      await sandbox.dispose();
    }
  });
});

function timeoutRefreshesOf(remote: LocalE2BSandbox): number {
  return remote.timeoutRefreshes;
}
