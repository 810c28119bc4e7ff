import type { SandboxV1, Toolset } from '@codecall/core';
import { afterAll, describe, expect, it } from 'vitest';
import { resumeAgent, runAgent } from '../src/index.js';
import type { AgentCheckpoint } from '../src/index.js';
import { createMessagesSimulator, scriptedPolicy } from '../src/simulator/index.js';
// @ts-expect-error -- a plain JavaScript fixture (a fresh node process loads it too), without declarations.
import * as scenario from './fixtures/approval-scenario.mjs';

const { calls, tools } = scenario as { calls: Record<string, number>; tools: Toolset };

// The subprocess adapter is an optional peer; it is imported by name so this file compiles without it.
const specifier = '@codecall/sandbox-subprocess';
async function pythonSandbox(): Promise<SandboxV1 | string> {
  try {
    const module = (await import(specifier)) as { createSubprocessSandbox?: (settings?: object) => SandboxV1 };
    if (typeof module.createSubprocessSandbox !== 'function') return `${specifier} exports no createSubprocessSandbox`;
    const sandbox = module.createSubprocessSandbox();
    if (!sandbox.capabilities.languages.includes('python')) {
      await sandbox.dispose();
      return `${specifier} runs no python here`;
    }
    return sandbox;
  } catch (error) {
    return `${specifier} is not available (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
  }
}

const sandbox = await pythonSandbox();
afterAll(async () => {
  if (typeof sandbox !== 'string') await sandbox.dispose();
});

// Synchronous calls, positional arguments, a top-level result: the replay works on any program shape.
const program = `report = []
for invoice_id in list_invoices():
    invoice = get_invoice(invoice_id)
    try:
        report.append(send_payment(invoice["id"], invoice["amount"]))
    except ToolError as error:
        report.append(invoice["id"] + ": " + error.code)
print(len(report), "invoices")
result = report`;

describe.skipIf(typeof sandbox === 'string')(`durable approvals with Python in the subprocess sandbox${typeof sandbox === 'string' ? ` — skipped: ${sandbox}` : ''}`, () => {
  it('suspends a Python code run at the call that needs approval and resumes it with the earlier calls replayed', async () => {
    await using simulator = await createMessagesSimulator({
      policy: scriptedPolicy([[{ type: 'code', code: program }], (request) => JSON.stringify(request.lastToolResults[0]!.value)]),
    });
    const options = { client: simulator.createClient(), model: 'claude-sonnet-4-6', tools, mode: 'programmatic' as const, sandbox: sandbox as SandboxV1, language: 'python' as const, prompt: 'Pay.' };
    const uninterrupted = await runAgent({ ...options, onApproval: () => true });
    expect(JSON.parse(uninterrupted.text)).toEqual(['paid 40 on inv1', 'paid 250 on inv2', 'paid 75 on inv3']);
    for (const key of Object.keys(calls)) delete calls[key];

    const suspended = await runAgent({ ...options, onApproval: () => 'suspend' });
    expect(suspended.status).toBe('awaiting_approval');
    const checkpoint = JSON.parse(JSON.stringify(suspended.checkpoint)) as AgentCheckpoint;
    expect(checkpoint.pendingApprovals).toEqual([expect.objectContaining({ toolName: 'send_payment', input: { id: 'inv2', amount: 250 }, caller: 'code' })]);
    expect(calls).toEqual({ list_invoices: 1, get_invoice: 2, send_payment: 1 });

    const resumed = await resumeAgent({ checkpoint, decisions: { [checkpoint.pendingApprovals[0]!.id]: true }, client: simulator.createClient(), tools, sandbox: sandbox as SandboxV1 });
    expect(resumed.text).toBe(uninterrupted.text);
    expect(calls).toEqual({ list_invoices: 1, get_invoice: 3, send_payment: 3 });
  });
});
