import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runAgentCommand } from '../src/cli/agent-command.js';

const run = promisify(execFile);
const scenario = fileURLToPath(new URL('./fixtures/approval-scenario.mjs', import.meta.url));
const driver = fileURLToPath(new URL('./fixtures/pty-drive.py', import.meta.url));
const bin = fileURLToPath(new URL('../bin/codecall.js', import.meta.url));

function capture(): { io: { stdout: (text: string) => void; stderr: (text: string) => void }; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (text) => out.push(text), stderr: (text) => err.push(text) }, out, err };
}

const agentArgs = (task: string, ...extra: string[]) => ['agent', task, '--tools', scenario, '--simulate', scenario, '--mode', 'programmatic', '--sandbox', 'isolated-vm', ...extra];

// The real CLI in a real pseudo-terminal (python3's pty module), answering its questions as a user would.
async function inTerminal(task: string, answers: readonly string[]): Promise<{ output: string; code: number; answered: number; timedOut: boolean }> {
  const command = [process.execPath, '--no-node-snapshot', bin, ...agentArgs(task)];
  const { stdout } = await run('python3', [driver, JSON.stringify(command), JSON.stringify(answers)], { timeout: 180_000, maxBuffer: 16 << 20 });
  return JSON.parse(stdout) as { output: string; code: number; answered: number; timedOut: boolean };
}

describe('codecall agent asks before calls that need approval', () => {
  it('on a terminal: y approves the call', async () => {
    const result = await inTerminal('Pay the open invoices.', ['y']);
    expect(result.timedOut).toBe(false);
    expect(result.answered).toBe(1);
    expect(result.output).toContain('? Approve send_payment({"id":"inv2","amount":250}) (from code)? [y]es / [n]o / [a]ll: ');
    expect(result.output).toContain('Result: ["paid 40 on inv1","paid 250 on inv2","paid 75 on inv3"]');
    expect(result.code).toBe(0);
  });

  it('on a terminal: n denies it, and the code sees DENIED', async () => {
    const result = await inTerminal('Pay the open invoices.', ['n']);
    expect(result.answered).toBe(1);
    expect(result.output).toContain('Result: ["paid 40 on inv1","inv2: DENIED","paid 75 on inv3"]');
    expect(result.code).toBe(0);
  });

  it('on a terminal: a approves this call and every later one without asking again', async () => {
    const result = await inTerminal('Pay twice.', ['a', 'n']);
    expect(result.answered).toBe(1);
    expect(result.output.split('[a]ll: ')).toHaveLength(2);
    expect(result.output).toContain('Result: ["paid 250 on inv2","paid 300 on inv2"]');
  });

  it('without a terminal: denies, and says which flags change that', async () => {
    const { io, out, err } = capture();
    expect(await runAgentCommand(agentArgs('Pay the open invoices.').slice(1), io)).toBe(0);
    expect(err.join('\n')).toMatch(/send_payment needs approval and there is no terminal to ask on, so it is denied\. Pass --approve-all .* or --deny-all/);
    expect(out.join('\n')).toContain('Result: ["paid 40 on inv1","inv2: DENIED","paid 75 on inv3"]');
  });

  it('--approve-all approves and --deny-all denies without asking; both together is a usage error', async () => {
    const approving = capture();
    expect(await runAgentCommand([...agentArgs('Pay twice.').slice(1), '--approve-all'], approving.io)).toBe(0);
    expect(approving.out.join('\n')).toContain('Result: ["paid 250 on inv2","paid 300 on inv2"]');
    expect(approving.err.join('\n')).not.toContain('no terminal');
    const denying = capture();
    expect(await runAgentCommand([...agentArgs('Pay the open invoices.').slice(1), '--deny-all'], denying.io)).toBe(0);
    expect(denying.out.join('\n')).toContain('"inv2: DENIED"');
    expect(denying.err.join('\n')).not.toContain('no terminal');
    const both = capture();
    expect(await runAgentCommand([...agentArgs('Pay.').slice(1), '--approve-all', '--deny-all'], both.io)).toBe(2);
    expect(both.err.join('\n')).toMatch(/--approve-all and --deny-all exclude each other/);
  });
});
