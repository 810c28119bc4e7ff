// Every message from a supervised child is hostile: a child whose isolate was escaped can write
// anything to its channel. These tests replace the child program by hostile ones that speak the
// channel (JSON lines: requests on the child's stdin, messages on its fd 3) and check what the host
// lets them do: bounded message sizes, no calls past maxToolCalls, no call id twice, no message for
// another run or after the result, budgets checked on the host, and a misbehaving child retired.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDispatcher, createToolset, defineTool, resolveLimits } from '@codecall/core';
import type { Limits, SandboxExecuteResultV1 } from '@codecall/core';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SupervisedEngine } from '../src/supervised-engine.js';

const directory = mkdtempSync(join(tmpdir(), 'codecall-hostile-child-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

// A child program: `onRun(message, send, writeRaw)` runs for each run request.
function hostileChild(name: string, onRun: string): string {
  const file = join(directory, `${name}.mjs`);
  writeFileSync(
    file,
    `import { createInterface } from 'node:readline';
import { writeSync } from 'node:fs';
const send = (message) => writeSync(3, JSON.stringify(message) + '\\n');
const writeRaw = (text) => writeSync(3, text);
const ok = (runId, extra = {}) => ({ type: 'result', runId, result: { type: 'success', valueJson: JSON.stringify(process.pid), stdout: '', stderr: '', outputTruncated: false, ...extra } });
const answers = [];
createInterface({ input: process.stdin }).on('line', async (line) => {
  const message = JSON.parse(line);
  if (message.type === 'tool-result') { answers.push(message); return; }
  if (message.type !== 'run') return;
  ${onRun}
});
process.stdin.on('end', () => process.exit(0));
send({ type: 'ready' });
`,
  );
  return file;
}

const counted = { calls: 0 };
const count = defineTool({ name: 'count', input: z.object({}), execute: () => ++counted.calls });

async function runWith(engine: SupervisedEngine, limits: Limits = {}): Promise<SandboxExecuteResultV1> {
  const resolved = resolveLimits({ timeoutMs: 10_000, ...limits });
  const tools = createToolset([count]);
  const dispatcher = createDispatcher({ tools, limits: resolved, executionId: 'hostile' });
  try {
    return await engine.execute(
      { executionId: 'hostile', language: 'javascript', code: '', tools: tools.sandboxTools, limits: resolved, abortSignal: new AbortController().signal, callTool: dispatcher.callTool },
      'return 1;',
    );
  } finally {
    dispatcher.close();
  }
}

function engineFor(childScript: string): SupervisedEngine {
  return new SupervisedEngine({ poolSize: 1, idleTimeoutMs: 10_000, sandboxId: 'hostile', nodeExecutable: process.execPath, childScript });
}

function expectProtocolError(result: SandboxExecuteResultV1): void {
  expect(result.type === 'error' && [result.error.code, result.error.name]).toEqual(['SANDBOX_CRASHED', 'ProtocolError']);
}

describe('a hostile supervised child', { timeout: 60_000 }, () => {
  it('cannot make the host buffer an endless message: the line is cut off at its bound and the child killed', async () => {
    const engine = engineFor(hostileChild('endless-line', `writeRaw('{"type":"result","runId":' + message.runId + ',"junk":"'); const chunk = 'x'.repeat(1 << 20); for (let i = 0; i < 400; i++) writeRaw(chunk);`));
    try {
      const result = await runWith(engine, { maxValueBytes: 1 << 20, maxOutputBytes: 10_000 });
      expectProtocolError(result);
    } finally {
      await engine.dispose();
    }
  });

  it('cannot report output or a value over the run budgets', async () => {
    const engine = engineFor(hostileChild('over-budget', `send(ok(message.runId, { stdout: 'y'.repeat(50_000) }));`));
    const value = engineFor(hostileChild('over-budget-value', `send(ok(message.runId, { valueJson: JSON.stringify('v'.repeat(5_000)) }));`));
    try {
      const result = await runWith(engine, { maxOutputBytes: 1_000 });
      expectProtocolError(result);
      expect(result.stdout.length).toBeLessThanOrEqual(1_000);
      expectProtocolError(await runWith(value, { maxValueBytes: 1_000 }));
    } finally {
      await Promise.all([engine.dispose(), value.dispose()]);
    }
  });

  it('cannot make more calls than maxToolCalls allows, however it numbers them', async () => {
    counted.calls = 0;
    const engine = engineFor(hostileChild('call-flood', `for (let i = 1; i <= 500; i++) send({ type: 'tool-call', runId: message.runId, callId: i, call: { name: 'count', inputJson: '{}' } });`));
    try {
      expectProtocolError(await runWith(engine, { maxToolCalls: 5 }));
      expect(counted.calls).toBeLessThanOrEqual(5);
    } finally {
      await engine.dispose();
    }
  });

  it('cannot have one call id answered twice, nor use a call id that is not a positive integer', async () => {
    for (const [name, ids] of [['duplicate-id', '[1, 1]'], ['zero-id', '[0]'], ['string-id', '["1"]'], ['fraction-id', '[1.5]']] as const) {
      counted.calls = 0;
      const engine = engineFor(hostileChild(name, `for (const callId of ${ids}) send({ type: 'tool-call', runId: message.runId, callId, call: { name: 'count', inputJson: '{}' } }); setTimeout(() => send(ok(message.runId)), 300);`));
      try {
        expectProtocolError(await runWith(engine));
        expect(counted.calls).toBeLessThanOrEqual(1);
      } finally {
        await engine.dispose();
      }
    }
  });

  it('cannot speak for another run, or send anything but JSON messages', async () => {
    for (const [name, onRun] of [
      ['other-run', `send({ type: 'tool-call', runId: message.runId + 7, callId: 1, call: { name: 'count', inputJson: '{}' } }); send(ok(message.runId + 7));`],
      ['not-json', `writeRaw('this is not json\\n');`],
      ['unknown-type', `send({ type: 'approve', runId: message.runId, callId: 1 });`],
      ['ready-again', `send({ type: 'ready' });`],
    ] as const) {
      const engine = engineFor(hostileChild(name, onRun));
      try {
        expectProtocolError(await runWith(engine));
      } finally {
        await engine.dispose();
      }
    }
  });

  it('is retired when it speaks after its result: the next run gets a new process', async () => {
    const engine = engineFor(hostileChild('after-result', `send(ok(message.runId)); setTimeout(() => send({ type: 'tool-call', runId: message.runId, callId: 1, call: { name: 'count', inputJson: '{}' } }), 50);`));
    try {
      const first = await runWith(engine);
      expect(first.type).toBe('success');
      await new Promise((resolve) => setTimeout(resolve, 500));
      const second = await runWith(engine);
      expect(second.type).toBe('success');
      expect(second.type === 'success' && second.valueJson).not.toBe(first.type === 'success' && first.valueJson);
    } finally {
      await engine.dispose();
    }
  });

  it('that stops reading its requests is killed once the host holds too much unsent data for it', async () => {
    const big = defineTool({ name: 'count', input: z.object({}), execute: () => 'z'.repeat(1 << 20) });
    const engine = engineFor(hostileChild('no-reader', `process.stdin.pause(); for (let i = 1; i <= 200; i++) send({ type: 'tool-call', runId: message.runId, callId: i, call: { name: 'count', inputJson: '{}' } });`));
    const resolved = resolveLimits({ timeoutMs: 20_000, maxToolCalls: 200, maxValueBytes: 2 << 20 });
    const tools = createToolset([big]);
    const dispatcher = createDispatcher({ tools, limits: resolved, executionId: 'hostile' });
    try {
      const result = await engine.execute(
        { executionId: 'hostile', language: 'javascript', code: '', tools: tools.sandboxTools, limits: resolved, abortSignal: new AbortController().signal, callTool: dispatcher.callTool },
        'return 1;',
      );
      expectProtocolError(result);
    } finally {
      dispatcher.close();
      await engine.dispose();
    }
  });
});
