import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineTool, runCode } from '@codecall/core';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createIsolatedVmSandbox } from '../src/index.js';
import { fortyCalls, spinBehindTheEnd } from './long-runs.js';

// These tests start real Node processes that import the built package (dist/, built by `build`).
const distIndex = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const coreIndex = fileURLToPath(import.meta.resolve('@codecall/core'));
const supervisedEngine = fileURLToPath(new URL('../dist/supervised-engine.js', import.meta.url));

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

function runNode(script: string, execArgv: readonly string[], limitMs: number): Promise<Exit> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...execArgv, '--input-type=module', '-e', script], {
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // A hung process is the failure being tested for: kill it so the test reports instead of hanging.
    const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, wallMs: performance.now() - started });
    });
  });
}

const preamble = `
import { runCode } from ${JSON.stringify(coreIndex)};
import { createIsolatedVmSandbox } from ${JSON.stringify(distIndex)};
`;

describe('the host process', () => {
  it('exits by itself after a spinning guest timed out (process.exit does not hang)', async () => {
    const exit = await runNode(
      `${preamble}
      const sandbox = createIsolatedVmSandbox({ mode: 'in-process' });
      const result = await runCode({ sandbox, code: 'let i = 0; while (true) { i++; if (i % 1000 === 0) console.log(i); }', limits: { timeoutMs: 300, maxOutputBytes: 100 } });
      console.log(result.type, result.type === 'error' ? result.error.code : '');
      process.exit(0);`,
      ['--no-node-snapshot'],
      15_000,
    );
    expect(exit.stdout).toContain('error TIMEOUT');
    expect([exit.code, exit.signal]).toEqual([0, null]);
  });

  it('exits by itself after an abort and a dispose that hit spinning guests, without dispose or exit calls left', async () => {
    const exit = await runNode(
      `${preamble}
      const sandbox = createIsolatedVmSandbox({ mode: 'in-process' });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      const aborted = await runCode({ sandbox, code: 'while (true) {}', abortSignal: controller.signal, limits: { timeoutMs: 60000 } });
      const inFlight = runCode({ sandbox, code: 'while (true) {}', limits: { timeoutMs: 60000 } });
      await new Promise((resolve) => setTimeout(resolve, 200));
      await sandbox.dispose();
      const disposed = await inFlight;
      const second = createIsolatedVmSandbox({ mode: 'in-process' });
      await runCode({ sandbox: second, code: 'return 1' });
      console.log(aborted.error.code, disposed.error.code);
      // No dispose of 'second' and no process.exit: pooled isolates must not keep the process alive.`,
      ['--no-node-snapshot'],
      15_000,
    );
    expect(exit.stdout).toContain('ABORTED ABORTED');
    expect([exit.code, exit.signal]).toEqual([0, null]);
  });

  it('refuses in-process mode without --no-node-snapshot and says what to do; the default (supervised) mode works without it', async () => {
    const exit = await runNode(
      `${preamble}
      try { createIsolatedVmSandbox({ mode: 'in-process' }); console.log('created'); } catch (error) { console.log(error.name, error.code, error.message); }
      const sandbox = createIsolatedVmSandbox();
      const result = await runCode({ sandbox, code: 'return 6 * 7' });
      console.log('supervised', result.value);
      await sandbox.dispose();`,
      [],
      30_000,
    );
    expect(exit.stdout).toContain('SandboxStartError SANDBOX_START_FAILED');
    expect(exit.stdout).toContain('--no-node-snapshot');
    expect(exit.stdout).toContain("mode: 'supervised'");
    expect(exit.stdout).toContain('supervised 42');
    expect([exit.code, exit.signal]).toEqual([0, null]);
  });

  // A run past its answered tool results (see unanswered-deliveries.test.ts) ends with its
  // promise, before the isolate has run what the guest queued behind it; the result must still
  // wait until the isolate stopped. Without that wait this process died with SIGSEGV.
  it('exits cleanly on the result of a run that queued spinning work behind its end', async () => {
    const exit = await runNode(
      `${preamble}
      import { defineTool } from ${JSON.stringify(coreIndex)};
      import { z } from ${JSON.stringify(fileURLToPath(import.meta.resolve('zod')))};
      const ping = defineTool({ name: 'ping', description: 'p', input: z.object({ i: z.number() }), execute: async ({ i }) => i });
      const sandbox = createIsolatedVmSandbox({ mode: 'in-process' });
      const code = ${JSON.stringify(`${fortyCalls}\n${spinBehindTheEnd}\nreturn sum;`)};
      const result = await runCode({ sandbox, code, tools: [ping], limits: { timeoutMs: 60000 } });
      console.log(result.type, result.type === 'success' ? result.value : result.error.code);
      process.exit(0);`,
      ['--no-node-snapshot'],
      20_000,
    );
    expect(exit.stdout).toContain('success 780');
    expect([exit.code, exit.signal]).toEqual([0, null]);
  });
});

describe('dispose', () => {
  // Found by the benchmark (about one run in 1,500): dispose() killed a pool child that was still
  // starting, then read the "ready" line the child had written just before the kill, and marked
  // the killed child idle (unref). With nothing else alive the host then exited before the child's
  // exit was seen, with dispose() still pending ("unsettled top-level await", exit code 13).
  it('keeps the host alive until a killed child has exited, even when the child said ready just before the kill', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'codecall-late-ready-'));
    try {
      const marker = join(directory, 'ready-written');
      const child = join(directory, 'late-ready-child.mjs');
      // A child with a few hundred MB touched (its exit takes the kernel a while, like a child
      // killed while it prepares isolates) that says ready and then waits.
      writeFileSync(
        child,
        `import { writeFileSync, writeSync } from 'node:fs';
const ballast = Buffer.alloc(400 * 1024 * 1024, 1);
writeSync(3, JSON.stringify({ type: 'ready' }) + '\\n');
writeFileSync(${JSON.stringify(marker)}, String(ballast.length));
setInterval(() => undefined, 60_000);
`,
      );
      const exit = await runNode(
        `import { existsSync } from 'node:fs';
        import { SupervisedEngine } from ${JSON.stringify(supervisedEngine)};
        const engine = new SupervisedEngine({ poolSize: 1, idleTimeoutMs: 10_000, sandboxId: 'late-ready', nodeExecutable: process.execPath, childScript: ${JSON.stringify(child)} });
        // Hold the event loop until the child has written its ready line, so the host reads it only after the kill.
        const pause = new Int32Array(new SharedArrayBuffer(4));
        for (let waited = 0; !existsSync(${JSON.stringify(marker)}) && waited < 20_000; waited += 5) Atomics.wait(pause, 0, 0, 5);
        console.log('ready written', existsSync(${JSON.stringify(marker)}));
        await engine.dispose();
        console.log('disposed');`,
        [],
        60_000,
      );
      expect(exit.stdout).toContain('ready written true');
      expect(exit.stdout).toContain('disposed');
      expect(exit.stderr).not.toContain('unsettled top-level await');
      expect([exit.code, exit.signal]).toEqual([0, null]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('a host that dies', () => {
  it('leaves no supervised child behind, even one whose guest spins', async () => {
    const exit = await runNode(
      `${preamble}
      import { readFileSync } from 'node:fs';
      const sandbox = createIsolatedVmSandbox({ poolSize: 2 });
      void runCode({ sandbox, code: 'while (true) {}', limits: { timeoutMs: 60_000 }, validation: false });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const children = readFileSync('/proc/self/task/' + process.pid + '/children', 'utf8').trim();
      console.log('children ' + children);
      process.kill(process.pid, 'SIGKILL');`,
      [],
      30_000,
    );
    expect(exit.signal).toBe('SIGKILL');
    const pids = (/children ([\d ]+)/.exec(exit.stdout)?.[1] ?? '').split(' ').filter(Boolean).map(Number);
    expect(pids.length).toBeGreaterThan(0);
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
      } catch {
        return false;
      }
    };
    // An effect with generous slack, not a time budget: every child ends on its own.
    for (let attempt = 0; attempt < 300 && pids.some(alive); attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(pids.filter(alive)).toEqual([]);
  });
});

describe('supervised mode', () => {
  const sandbox = createIsolatedVmSandbox({ poolSize: 1 }); // the default mode must survive a fatal OOM
  afterAll(() => sandbox.dispose());
  const add = defineTool({ name: 'add', description: 'Adds.', input: z.object({ a: z.number(), b: z.number() }), execute: async ({ a, b }) => a + b });

  it('turns a fatal V8 out-of-memory of the child into MEMORY_LIMIT and replaces the child', async () => {
    const crashed = await runCode({
      sandbox,
      code: 'const set = new Set(); for (let i = 0; i < 1e8; i++) set.add(i * 1.5); return set.size;',
      limits: { memoryLimitBytes: 64 << 20, timeoutMs: 20_000 },
    });
    expect(crashed.type === 'error' && crashed.error.code).toBe('MEMORY_LIMIT');
    const next = await runCode({ sandbox, tools: [add], code: 'return await add({ a: 2, b: 3 });' });
    expect(next.type === 'success' && next.value).toBe(5);
  });

  it('bridges parallel tool calls and output through the child', async () => {
    const result = await runCode({
      sandbox,
      tools: [add],
      code: 'const sums = await Promise.all([1, 2, 3].map((a) => add({ a, b: 10 }))); console.log(sums); console.error("done"); return sums;',
    });
    expect(result).toMatchObject({ type: 'success', value: [11, 12, 13], stdout: '[11,12,13]\n', stderr: 'done\n' });
    expect(result.toolCalls).toHaveLength(3);
  });
});
