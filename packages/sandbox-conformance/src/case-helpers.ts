import { defineTool } from '@codecall/core';
import type { AnyTool, RunError, RunResult, RunSuccess } from '@codecall/core';
import { expect } from 'vitest';
import { z } from 'zod';

function describeResult(result: RunResult): string {
  const head = result.type === 'success' ? `success with value ${safeJson(result.value)}` : `error ${safeJson(result.error)}`;
  return `${head}\n  stdout: ${safeJson(result.stdout.slice(0, 2_000))}\n  stderr: ${safeJson(result.stderr.slice(0, 2_000))}`;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Asserts that the run succeeded and returns it; the message shows the error and output otherwise. */
export function expectSuccess(result: RunResult): RunSuccess {
  if (result.type !== 'success') throw new Error(`Expected the run to succeed, got ${describeResult(result)}`);
  return result;
}

/** Asserts that the run failed with `code` and returns its error. */
export function expectFailure(result: RunResult, code: RunError['code']): RunError {
  if (result.type !== 'error' || result.error.code !== code) {
    throw new Error(`Expected the run to fail with ${code}, got ${describeResult(result)}`);
  }
  return result.error;
}

/** A tool that records every input its handler receives and answers `output(input)`. */
export function recordingTool(name: string, output: (input: Record<string, unknown>) => unknown = () => ({ ok: true })): { tool: AnyTool; inputs: unknown[] } {
  const inputs: unknown[] = [];
  const tool = defineTool({
    name,
    description: 'Records its input.',
    input: z.looseObject({}),
    execute: (input) => {
      inputs.push(input);
      return output(input);
    },
  });
  return { tool, inputs };
}

/** `add({ a, b })` → `a + b`, counting its calls. */
export function addTool(name = 'add'): { tool: AnyTool; calls: () => number } {
  let calls = 0;
  const tool = defineTool({
    name,
    description: 'Adds two numbers.',
    input: z.object({ a: z.number(), b: z.number() }),
    execute: ({ a, b }) => {
      calls++;
      return a + b;
    },
  });
  return { tool, calls: () => calls };
}

/** A tool whose handler returns `value` (a host object: it crosses the bridge as JSON). */
export function constantTool(name: string, value: () => unknown): AnyTool {
  return defineTool({ name, description: 'Returns a fixed value.', input: z.looseObject({}), execute: () => value() });
}

/**
 * A tool whose handler throws an `Error` with `message`, and hides `secret` everywhere a careless
 * bridge could leak it: in the stack, in the cause, in extra properties.
 */
export function failingTool(name: string, message: string, secret: string): { tool: AnyTool; calls: () => number } {
  let calls = 0;
  const tool = defineTool({
    name,
    description: 'Always fails.',
    input: z.looseObject({}),
    execute: () => {
      calls++;
      const error = new Error(message, { cause: new Error(`cause with ${secret}`) });
      error.stack = `Error: ${message}\n    at handler (/srv/${secret}/tools.js:1:1)`;
      Object.assign(error, { secret, config: { token: secret } });
      throw error;
    },
  });
  return { tool, calls: () => calls };
}

/**
 * A tool whose calls only return once `parties` calls are in flight at the same time: a call
 * fails after `waitMs` when the others never arrive. A run that passes through it has made its
 * calls concurrently.
 */
export function barrierTool(name: string, parties: number, waitMs: number): { tool: AnyTool; maxInFlight: () => number } {
  let inFlight = 0;
  let maxInFlight = 0;
  let arrived = 0;
  let release: () => void = () => undefined;
  const allArrived = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tool = defineTool({
    name,
    description: 'Waits until all parties have arrived.',
    input: z.object({ i: z.number(), delayMs: z.number().optional() }),
    execute: async ({ i, delayMs }, { abortSignal }) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      arrived++;
      if (arrived >= parties) release();
      try {
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), waitMs);
        });
        const aborted = new Promise<'timeout'>((resolve) => abortSignal.addEventListener('abort', () => resolve('timeout'), { once: true }));
        const outcome = await Promise.race([allArrived.then(() => 'ok' as const), timedOut, aborted]);
        clearTimeout(timer);
        if (outcome === 'timeout') throw new Error(`only ${arrived} of ${parties} calls arrived within ${waitMs} ms: calls are not concurrent`);
        // Finish in reverse order of arrival so that results must be matched to their calls.
        if (delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, delayMs));
        return i;
      } finally {
        inFlight--;
      }
    },
  });
  return { tool, maxInFlight: () => maxInFlight };
}

/** A tool that never answers until the run ends (its abort signal fires). */
export function hangingTool(name: string, onCall: () => void = () => undefined): AnyTool {
  return defineTool({
    name,
    description: 'Never answers.',
    input: z.looseObject({}),
    execute: (_input, { abortSignal }) => {
      onCall();
      return new Promise((_resolve, reject) => {
        abortSignal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      });
    },
  });
}

/** A unique marker for secrets and file names. */
export function uniqueToken(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * Checks that the adapter itself ended a run at its time limit: `runCode` abandons an adapter that
 * has not reported 5 s past the limit with a TIMEOUT whose message says so. An effect, not a time:
 * a loaded machine may be slow, but only an adapter that does not stop its guest is abandoned.
 */
export function expectStoppedByAdapter(result: RunResult): void {
  if (result.type === 'error') expect(result.error.message).not.toMatch(/abandoned/);
}

/** Milliseconds since `start` (from `performance.now()`). */
export function elapsedMs(start: number): number {
  return performance.now() - start;
}
