import { spawn } from 'node:child_process';
import { defaultLimits } from '@codecall/core';
import type { SandboxExecuteRequestV1, SandboxExecuteResultV1 } from '@codecall/core';
import { afterEach, describe, expect, test } from 'vitest';
import { RunnerSession, nodeRunnerPath } from '../src/index.js';

// `start.trusted` (protocol §4.1) against a real node runner over its stdin and stdout: several
// runs on one process, each a session of its own.

interface Runner {
  run(code: string, options: { reuse: boolean; trusted?: boolean }): Promise<SandboxExecuteResultV1>;
}

const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

function startRunner(): Runner {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', nodeRunnerPath], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  let current: RunnerSession | undefined;
  child.stdout.on('data', (chunk: Buffer) => current?.receive(chunk));
  // A one-shot run's outcome waits for the runner to exit (protocol §2.5).
  child.on('exit', (code, signal) => current?.end({ code, signal, stderrTail: '' }));
  let first = true;
  return {
    async run(code, { reuse, trusted }) {
      const request: SandboxExecuteRequestV1 = {
        executionId: 'trusted-test',
        language: 'javascript',
        code,
        tools: [],
        limits: defaultLimits,
        abortSignal: new AbortController().signal,
        callTool: () => Promise.resolve({ type: 'error', code: 'UNKNOWN_TOOL', message: 'no tools' }),
      };
      const session = new RunnerSession({ request, write: (text) => child.stdin.write(text), reuse, trusted: trusted === true, expectReady: first });
      first = false;
      current = session;
      session.start();
      const outcome = await session.outcome;
      expect(outcome.clean).toBe(true);
      return outcome.result;
    },
  };
}

function valueOf(result: SandboxExecuteResultV1): unknown {
  if (result.type !== 'success' || result.valueJson === undefined) throw new Error(`the run did not return a value: ${JSON.stringify(result)}`);
  return JSON.parse(result.valueJson);
}

// Node loads undici (fetch, FormData…) on the first read of one of those globals' descriptors.
const undiciLoaded = 'return process.moduleLoadList.some((name) => name.includes("undici"));';

describe('node runner: trusted runs (start.trusted)', () => {
  test('a trusted run is not undone, and the first untrusted reused run takes the baseline the runs after it are put back to', async () => {
    const runner = startRunner();
    expect(await runner.run('globalThis.leftover = 1;', { reuse: true, trusted: true })).toMatchObject({ type: 'success' });
    expect(valueOf(await runner.run('globalThis.mine = 2; return typeof leftover;', { reuse: true }))).toBe('number');
    expect(valueOf(await runner.run('return [typeof leftover, typeof mine];', { reuse: true }))).toEqual(['number', 'undefined']);
  });

  test('an untrusted reused run is undone', async () => {
    const runner = startRunner();
    await runner.run('globalThis.leftover = 1;', { reuse: true });
    expect(valueOf(await runner.run('return typeof leftover;', { reuse: true }))).toBe('undefined');
  });

  test('a trusted run leaves Node\'s lazy globals unloaded; an untrusted reused run loads them for its baseline', async () => {
    const trusted = startRunner();
    await trusted.run('', { reuse: true, trusted: true });
    expect(valueOf(await trusted.run(undiciLoaded, { reuse: false }))).toBe(false);
    const untrusted = startRunner();
    await untrusted.run('', { reuse: true });
    expect(valueOf(await untrusted.run(undiciLoaded, { reuse: false }))).toBe(true);
  });

  test('between runs the runner collects its young generation, and no guest context gets the gc function it uses', async () => {
    const runner = startRunner();
    // The trusted run is not undone: its observer of garbage collections stays for the next run.
    // Node reports a collection from an immediate callback, so the next run may start before the
    // entry reaches the observer: it waits a few turns and takes what is still queued.
    await runner.run(
      'const { PerformanceObserver } = require("node:perf_hooks"); globalThis.collections = []; globalThis.observer = new PerformanceObserver((list) => { for (const entry of list.getEntries()) collections.push([entry.startTime, entry.detail.kind]); }); observer.observe({ entryTypes: ["gc"] }); globalThis.ended = performance.now();',
      { reuse: true, trusted: true },
    );
    const [between, minor, gcTypes] = valueOf(await runner.run(
      'const { constants } = require("node:perf_hooks"); for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve)); for (const entry of observer.takeRecords()) collections.push([entry.startTime, entry.detail.kind]); return [collections.filter(([time]) => time > ended).map(([, kind]) => kind), constants.NODE_PERFORMANCE_GC_MINOR, [typeof gc, require("node:vm").runInNewContext("typeof gc")]];',
      { reuse: false },
    )) as [number[], number, string[]];
    expect(between).toContain(minor);
    expect(gcTypes).toEqual(['undefined', 'undefined']);
  });
});
