import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createToolset, defineTool } from '@codecall/core';
import type { SandboxV1, Toolset } from '@codecall/core';
import { createIsolatedVmSandbox } from '@codecall/sandbox-isolated-vm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AgentError, resumeAgent, runAgent } from '../src/index.js';
import type { AgentCheckpoint, AgentEvent, AgentResult, RunAgentOptions } from '../src/index.js';
import { createMessagesSimulator, scriptedPolicy } from '../src/simulator/index.js';
import type { MessagesSimulator } from '../src/simulator/index.js';
// @ts-expect-error -- a plain JavaScript fixture (a fresh node process loads it too), without declarations.
import * as scenario from './fixtures/approval-scenario.mjs';

const { calls, program, tools } = scenario as {
  calls: Record<string, number>;
  program: string;
  tools: Toolset;
};
const run = promisify(execFile);
const model = 'claude-sonnet-4-6';
const resumeScript = fileURLToPath(new URL('./fixtures/resume-checkpoint.mjs', import.meta.url));
let sandbox: SandboxV1;
let simulator: MessagesSimulator;

// The model runs the program, then answers with what the code returned.
const programmaticPolicy = scriptedPolicy([[{ type: 'code', code: program }], (request) => JSON.stringify(request.lastToolResults[0]!.value)]);

beforeAll(async () => {
  sandbox = createIsolatedVmSandbox();
  simulator = await createMessagesSimulator({ policy: programmaticPolicy, sandbox, nativeLanguage: 'javascript' });
});
afterAll(async () => {
  await simulator.close();
  await sandbox.dispose();
});
beforeEach(() => {
  for (const key of Object.keys(calls)) delete calls[key];
});

function agent(extra: Partial<RunAgentOptions> & Pick<RunAgentOptions, 'mode'>): Promise<AgentResult> {
  return runAgent({ client: simulator.createClient(), model, tools, prompt: 'Pay the open invoices.', sandbox, ...extra });
}

function roundTrip(checkpoint: AgentCheckpoint | undefined): AgentCheckpoint {
  expect(checkpoint).toBeDefined();
  const copy = JSON.parse(JSON.stringify(checkpoint)) as AgentCheckpoint;
  // Plain JSON: nothing is lost on the way through a file.
  expect(copy).toEqual(checkpoint);
  return copy;
}

const callSummary = (result: AgentResult) => result.toolCalls.map((call) => [call.name, call.approval ?? null, call.error?.code ?? null].join(' ')).sort();

describe('durable approvals, programmatic mode', () => {
  it('suspends at the call that needs approval and resumes, replaying the calls made before it', async () => {
    simulator.setPolicy(programmaticPolicy);
    const uninterrupted = await agent({ mode: 'programmatic', onApproval: () => true });
    expect(JSON.parse(uninterrupted.text)).toEqual(['paid 40 on inv1', 'paid 250 on inv2', 'paid 75 on inv3']);
    for (const key of Object.keys(calls)) delete calls[key];

    const suspended = await agent({ mode: 'programmatic', onApproval: () => 'suspend' });
    expect(suspended.status).toBe('awaiting_approval');
    const checkpoint = roundTrip(suspended.checkpoint);
    expect(checkpoint.version).toBe(1);
    expect(checkpoint.pendingApprovals).toEqual([
      { id: expect.any(String), toolName: 'send_payment', input: { id: 'inv2', amount: 250 }, caller: 'code', toolUseId: expect.any(String) },
    ]);
    expect(JSON.stringify(checkpoint)).not.toContain('simulator-key');
    // Before the approval point: the list, three reads and the payment that needed no approval.
    expect(calls).toEqual({ list_invoices: 1, get_invoice: 3, send_payment: 1 });

    const events: AgentEvent[] = [];
    const resumed = await resumeAgent({
      checkpoint,
      decisions: { [checkpoint.pendingApprovals[0]!.id]: true },
      client: simulator.createClient(),
      tools,
      sandbox,
      onEvent: (event) => events.push(event),
    });
    expect(resumed.status).toBe('completed');
    expect(resumed.text).toBe(uninterrupted.text);
    // Replayed, not called again: only the approved payment and the one after it ran.
    expect(calls).toEqual({ list_invoices: 1, get_invoice: 3, send_payment: 3 });
    expect(callSummary(resumed)).toEqual(callSummary(uninterrupted));
    expect(resumed.metrics.toolCalls).toEqual(uninterrupted.metrics.toolCalls);
    expect(resumed.metrics.modelRoundTrips).toBe(uninterrupted.metrics.modelRoundTrips);
    expect(events.filter((event) => event.type === 'approval')).toEqual([expect.objectContaining({ toolName: 'send_payment', approved: true })]);
  });

  it('a denial reaches the code as ToolError DENIED', async () => {
    simulator.setPolicy(programmaticPolicy);
    const suspended = await agent({ mode: 'programmatic', onApproval: () => 'suspend' });
    const checkpoint = roundTrip(suspended.checkpoint);
    const resumed = await resumeAgent({ checkpoint, decisions: { [checkpoint.pendingApprovals[0]!.id]: false }, client: simulator.createClient(), tools, sandbox });
    expect(JSON.parse(resumed.text)).toEqual(['paid 40 on inv1', 'inv2: DENIED', 'paid 75 on inv3']);
    expect(resumed.metrics.toolCalls.denied).toBe(1);
  });

  it('is resumed from its serialized checkpoint in a fresh node process with the same answer', async () => {
    simulator.setPolicy(programmaticPolicy);
    const uninterrupted = await agent({ mode: 'programmatic', onApproval: () => true });
    for (const key of Object.keys(calls)) delete calls[key];
    const suspended = await agent({ mode: 'programmatic', onApproval: () => 'suspend' });
    expect(suspended.status).toBe('awaiting_approval');
    const directory = await mkdtemp(join(tmpdir(), 'codecall-checkpoint-'));
    try {
      const file = join(directory, 'checkpoint.json');
      await writeFile(file, JSON.stringify(suspended.checkpoint));
      const { stdout } = await run(process.execPath, ['--no-node-snapshot', resumeScript, file, simulator.url, 'approve'], { timeout: 120_000 });
      const child = JSON.parse(stdout) as { status: string; text: string; calls: Record<string, number> };
      expect(child.status).toBe('completed');
      expect(child.text).toBe(uninterrupted.text);
      // The fresh process ran only what came after the approval point.
      expect(child.calls).toEqual({ send_payment: 2 });
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('a human who takes 3 s against a 2 s timeoutMs does not turn the run into TIMEOUT', async () => {
    simulator.setPolicy(programmaticPolicy);
    const events: AgentEvent[] = [];
    const result = await agent({
      mode: 'programmatic',
      limits: { timeoutMs: 2_000 },
      onApproval: () => new Promise((resolve) => setTimeout(() => resolve(true), 3_000)),
      onEvent: (event) => events.push(event),
    });
    expect(result.status).toBe('completed');
    expect(JSON.parse(result.text)).toEqual(['paid 40 on inv1', 'paid 250 on inv2', 'paid 75 on inv3']);
    const codeResults = events.filter((event) => event.type === 'code-result');
    expect(codeResults).toHaveLength(1);
    expect(codeResults[0]).toMatchObject({ isError: false });
    // The calls before the approval point ran once; the code was re-run with their results replayed.
    expect(calls).toEqual({ list_invoices: 1, get_invoice: 3, send_payment: 3 });
    expect(result.toolCalls).toHaveLength(7);
  });

  it('a decision there at once (sync, or a promise that settles at once) applies without re-running the code; a late one re-runs it once', async () => {
    simulator.setPolicy(programmaticPolicy);
    let executions = 0;
    // The real sandbox, with its executions counted.
    const counting: SandboxV1 = {
      specificationVersion: 'v1',
      sandboxId: sandbox.sandboxId,
      capabilities: sandbox.capabilities,
      execute: (request) => {
        executions++;
        return sandbox.execute(request);
      },
      dispose: () => Promise.resolve(),
      [Symbol.asyncDispose]: () => Promise.resolve(),
    };
    for (const onApproval of [() => true, async () => true]) {
      executions = 0;
      const result = await agent({ mode: 'programmatic', sandbox: counting, onApproval });
      expect(JSON.parse(result.text)).toEqual(['paid 40 on inv1', 'paid 250 on inv2', 'paid 75 on inv3']);
      expect(executions).toBe(1);
    }
    executions = 0;
    const late = await agent({ mode: 'programmatic', sandbox: counting, onApproval: () => new Promise((resolve) => setTimeout(() => resolve(true), 50)) });
    expect(late.text).toBe(JSON.stringify(['paid 40 on inv1', 'paid 250 on inv2', 'paid 75 on inv3']));
    expect(executions).toBe(2);
  });

  it('live output of a code run re-run after a late decision is reported once, not again for the replayed part', async () => {
    const code = `console.log('before');
const invoice = await get_invoice({ id: 'inv2' });
const paid = await send_payment(invoice);
console.log('after');
return paid;`;
    simulator.setPolicy(scriptedPolicy([[{ type: 'code', code }], (request) => JSON.stringify(request.lastToolResults[0]!.value)]));
    const events: AgentEvent[] = [];
    const result = await agent({
      mode: 'programmatic',
      onApproval: () => new Promise((resolve) => setTimeout(() => resolve(true), 50)),
      onEvent: (event) => events.push(event),
    });
    expect(result.text).toBe('"paid 250 on inv2"');
    const live = events.flatMap((event) => (event.type === 'code-event' ? [event.event] : []));
    expect(live.flatMap((event) => (event.type === 'stdout' ? [event.text] : [])).join('')).toBe('before\nafter\n');
    const starts = live.flatMap((event) => (event.type === 'tool-call-start' ? [event.toolName] : []));
    const ends = live.flatMap((event) => (event.type === 'tool-call-end' ? [event.toolName] : []));
    expect(starts).toEqual(['get_invoice', 'send_payment']);
    expect(ends).toEqual(['get_invoice', 'send_payment']);
  });

  it('a handler that ignores its abort signal past toolTimeoutMs does not keep a suspending run from stopping', async () => {
    const stuck = createToolset([
      ...tools.entries.map((entry) => entry.tool),
      defineTool({ name: 'hang', input: z.object({}), execute: () => new Promise<never>(() => undefined) }),
    ]);
    const code = `const results = await Promise.allSettled([hang({}), send_payment({ id: 'inv2', amount: 250 })]);
return results.map((item) => item.status === 'fulfilled' ? item.value : item.reason.code);`;
    simulator.setPolicy(scriptedPolicy([[{ type: 'code', code }], (request) => JSON.stringify(request.lastToolResults[0]!.value)]));
    const suspended = await runAgent({ client: simulator.createClient(), model, tools: stuck, mode: 'programmatic', sandbox, prompt: 'Pay.', limits: { toolTimeoutMs: 300, timeoutMs: 60_000 }, onApproval: () => 'suspend' });
    expect(suspended.status).toBe('awaiting_approval');
    const checkpoint = roundTrip(suspended.checkpoint);
    const resumed = await resumeAgent({ checkpoint, decisions: { [checkpoint.pendingApprovals[0]!.id]: true }, client: simulator.createClient(), tools: stuck, sandbox });
    // The timed-out call is replayed as the code saw it: TOOL_TIMEOUT.
    expect(JSON.parse(resumed.text)).toEqual(['TOOL_TIMEOUT', 'paid 250 on inv2']);
  });

  it('a replay that makes another call than the first run is a REPLAY_DIVERGED error', async () => {
    simulator.setPolicy(programmaticPolicy);
    const suspended = await agent({ mode: 'programmatic', onApproval: () => 'suspend' });
    const checkpoint = roundTrip(suspended.checkpoint) as unknown as { pending: { codeRun: { journal: { tool: string; input: unknown }[] } }[] };
    // As if the first run had read another invoice: the replayed program asks for inv1.
    const entry = checkpoint.pending[0]!.codeRun.journal.find((item) => item.tool === 'get_invoice')!;
    entry.input = { id: 'inv9' };
    const tampered = checkpoint as unknown as AgentCheckpoint;
    const error = await resumeAgent({ checkpoint: tampered, decisions: { [tampered.pendingApprovals[0]!.id]: true }, client: simulator.createClient(), tools, sandbox }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(AgentError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'REPLAY_DIVERGED' });
    expect((error as Error).message).toMatch(/get_invoice\(\{"id":"inv9"\}\).*get_invoice\(\{"id":"inv\d"\}\)/);
  });
});

describe('several calls waiting at once', () => {
  const approveAll = (checkpoint: AgentCheckpoint) => Object.fromEntries(checkpoint.pendingApprovals.map((pending) => [pending.id, true]));

  // Resumes (through JSON) until the run completes, approving everything; returns the result and the number of suspensions.
  async function resumeUntilDone(first: AgentResult): Promise<{ result: AgentResult; suspensions: number }> {
    let result = first;
    let suspensions = 0;
    while (result.status === 'awaiting_approval' && suspensions < 5) {
      suspensions++;
      const checkpoint = roundTrip(result.checkpoint);
      result = await resumeAgent({ checkpoint, decisions: approveAll(checkpoint), client: simulator.createClient(), tools, sandbox, onApproval: () => 'suspend' });
    }
    return { result, suspensions };
  }

  it('programmatic: concurrent calls that need approval are each decided once, and each handler runs once', async () => {
    const code = `const paid = await Promise.all([send_payment({ id: 'inv2', amount: 250 }), send_payment({ id: 'inv2', amount: 300 }), get_invoice({ id: 'inv1' })]);
return paid;`;
    simulator.setPolicy(scriptedPolicy([[{ type: 'code', code }], (request) => JSON.stringify(request.lastToolResults[0]!.value)]));
    const uninterrupted = await agent({ mode: 'programmatic', onApproval: () => true });
    for (const key of Object.keys(calls)) delete calls[key];
    const { result, suspensions } = await resumeUntilDone(await agent({ mode: 'programmatic', onApproval: () => 'suspend' }));
    expect(result.status).toBe('completed');
    expect(result.text).toBe(uninterrupted.text);
    expect(JSON.parse(result.text)).toEqual(['paid 250 on inv2', 'paid 300 on inv2', { id: 'inv1', amount: 40 }]);
    // Both waits are usually in one checkpoint; a call that reached the host after the run began to stop is asked on resume.
    expect(suspensions).toBeGreaterThanOrEqual(1);
    expect(suspensions).toBeLessThanOrEqual(2);
    expect(calls).toEqual({ send_payment: 2, get_invoice: 1 });
    expect(result.toolCalls.filter((call) => call.approval === 'approved')).toHaveLength(2);
  });

  it('hybrid: a direct call and a code run of the same turn wait together and resume together', async () => {
    simulator.setPolicy(
      scriptedPolicy([
        [
          { type: 'tool_use', name: 'send_payment', input: { id: 'inv2', amount: 500 } },
          { type: 'code', code: program },
        ],
        (request) => JSON.stringify(request.lastToolResults.map((item) => item.content)),
      ]),
    );
    const uninterrupted = await agent({ mode: 'hybrid', onApproval: () => true });
    for (const key of Object.keys(calls)) delete calls[key];
    const suspended = await agent({ mode: 'hybrid', onApproval: () => 'suspend' });
    expect(suspended.checkpoint?.pendingApprovals.map((pending) => pending.caller).sort()).toEqual(['code', 'direct']);
    const { result, suspensions } = await resumeUntilDone(suspended);
    expect(suspensions).toBe(1);
    expect(result.text).toBe(uninterrupted.text);
    expect(calls).toEqual({ list_invoices: 1, get_invoice: 3, send_payment: 4 });
  });
});

describe('durable approvals, direct and native modes', () => {
  const directPolicy = scriptedPolicy([
    [
      { type: 'tool_use', name: 'get_invoice', input: { id: 'inv2' } },
      { type: 'tool_use', name: 'send_payment', input: { id: 'inv2', amount: 250 } },
    ],
    (request) => JSON.stringify(request.lastToolResults.map((result) => [result.toolName, result.isError, result.content])),
  ]);

  it('parallel: answers the calls it can, suspends on the one that needs approval, and resumes', async () => {
    simulator.setPolicy(directPolicy);
    const uninterrupted = await agent({ mode: 'parallel', onApproval: () => true });
    for (const key of Object.keys(calls)) delete calls[key];
    const suspended = await agent({ mode: 'parallel', onApproval: () => 'suspend' });
    expect(suspended.status).toBe('awaiting_approval');
    const checkpoint = roundTrip(suspended.checkpoint);
    expect(checkpoint.answered).toHaveLength(1);
    expect(checkpoint.pendingApprovals).toEqual([expect.objectContaining({ toolName: 'send_payment', caller: 'direct', input: { id: 'inv2', amount: 250 } })]);
    expect(calls).toEqual({ get_invoice: 1 });
    const resumed = await resumeAgent({ checkpoint, decisions: { [checkpoint.pendingApprovals[0]!.id]: true }, client: simulator.createClient(), tools });
    expect(resumed.text).toBe(uninterrupted.text);
    expect(JSON.parse(resumed.text)).toEqual([
      ['get_invoice', false, '{"id":"inv2","amount":250}'],
      ['send_payment', false, 'paid 250 on inv2'],
    ]);
    expect(calls).toEqual({ get_invoice: 1, send_payment: 1 });
    expect(callSummary(resumed)).toEqual(callSummary(uninterrupted));
  });

  it('native: a nested call of hosted code waits in its container across the suspension', async () => {
    const code = `const paid = await send_payment({ id: 'inv2', amount: 250 }); console.log(paid);`;
    simulator.setPolicy(scriptedPolicy([[{ type: 'code', code }], (request) => request.codeExecutionResults[0]!.stdout.trim()]));
    const uninterrupted = await agent({ mode: 'native', onApproval: () => true });
    expect(uninterrupted.text).toBe('paid 250 on inv2');
    const suspended = await agent({ mode: 'native', onApproval: () => 'suspend' });
    const checkpoint = roundTrip(suspended.checkpoint);
    expect(checkpoint.container).toEqual(expect.any(String));
    expect(checkpoint.pendingApprovals).toEqual([expect.objectContaining({ caller: 'native', toolName: 'send_payment' })]);
    const resumed = await resumeAgent({ checkpoint, decisions: { [checkpoint.pendingApprovals[0]!.id]: true }, client: simulator.createClient(), tools });
    expect(resumed.status).toBe('completed');
    expect(resumed.text).toBe(uninterrupted.text);
  });
});

describe('simulator: nested calls that arrive after their batch was returned', () => {
  it('go out in the next batch instead of failing the reply to the first one', async () => {
    // The second call starts after the batch window (50 ms) closed on the first: two batches.
    const code = `const first = get_invoice({ id: 'inv1' });
const start = Date.now();
while (Date.now() - start < 300) {}
const second = get_invoice({ id: 'inv3' });
const both = await Promise.all([first, second]);
console.log(both.map((text) => JSON.parse(text).amount).join(','));`;
    simulator.setPolicy(scriptedPolicy([[{ type: 'code', code }], (request) => request.codeExecutionResults[0]!.stdout.trim()]));
    const result = await agent({ mode: 'native' });
    expect(result.status).toBe('completed');
    expect(result.text).toBe('40,75');
    expect(result.metrics.toolCalls.nested).toBe(2);
  });
});

describe('resumeAgent refuses what it cannot continue', () => {
  it('another version, other tools, or decisions that do not match', async () => {
    simulator.setPolicy(programmaticPolicy);
    const suspended = await agent({ mode: 'programmatic', onApproval: () => 'suspend' });
    const checkpoint = roundTrip(suspended.checkpoint);
    const id = checkpoint.pendingApprovals[0]!.id;
    const attempt = (patch: Record<string, unknown>) =>
      resumeAgent({ checkpoint, decisions: { [id]: true }, client: simulator.createClient(), tools, sandbox, ...patch }).then(
        () => undefined,
        (error: unknown) => error as AgentError,
      );
    await expect(attempt({ checkpoint: { ...checkpoint, version: 2 } })).resolves.toMatchObject({ code: 'INVALID_CHECKPOINT', message: expect.stringMatching(/version 2 is not supported/) });
    const fewer = createToolset(tools.entries.filter((entry) => entry.name !== 'send_payment').map((entry) => entry.tool));
    await expect(attempt({ tools: fewer })).resolves.toMatchObject({ code: 'INVALID_CHECKPOINT', message: expect.stringMatching(/missing send_payment/) });
    await expect(attempt({ decisions: {} })).resolves.toMatchObject({ code: 'INVALID_CHECKPOINT', message: expect.stringContaining(id) });
    await expect(attempt({ decisions: { [id]: true, other: false } })).resolves.toMatchObject({ code: 'INVALID_CHECKPOINT', message: expect.stringMatching(/other/) });
    await expect(attempt({ sandbox: undefined })).resolves.toMatchObject({ code: 'INVALID_OPTIONS', message: expect.stringMatching(/options\.sandbox/) });
    await expect(agent({ mode: 'programmatic', onApproval: 'suspend' as never })).rejects.toMatchObject({ code: 'INVALID_OPTIONS', message: expect.stringMatching(/onApproval must be a function/) });
  });
});
