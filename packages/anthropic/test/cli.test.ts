import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runAgentCommand } from '../src/cli/agent-command.js';
import { expected } from '../examples/expense-scenario.js';

const scenario = fileURLToPath(new URL('../examples/expense-scenario.ts', import.meta.url));

function capture(): { io: { stdout: (text: string) => void; stderr: (text: string) => void }; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (text) => out.push(text), stderr: (text) => err.push(text) }, out, err };
}

describe('codecall agent', () => {
  it('shows each event as it happens and ends with the metrics table', async () => {
    const { io, out, err } = capture();
    const code = await runAgentCommand(['Who is over budget?', '--tools', scenario, '--simulate', scenario, '--mode', 'programmatic', '--sandbox', 'isolated-vm'], io);
    expect(code).toBe(0);
    const progress = err.join('\n');
    expect(progress).toMatch(/→ model turn 1…/);
    expect(progress).toMatch(/▶ code \(javascript\):/);
    expect(progress).toMatch(/↳ get_expenses\(\{"employeeId":"e3"\}\)/);
    expect(progress).toMatch(/◀ code result/);
    const stdout = out.join('\n');
    expect(stdout).toContain(`Over the travel budget: ${expected}`);
    expect(stdout).toMatch(/model round trips\s+2\n/);
    expect(stdout).toMatch(/tool calls \(direct \/ nested\)\s+0 \/ 6/);
  });

  it('--json prints one document for machines', async () => {
    const { io, out, err } = capture();
    const code = await runAgentCommand(['Who is over budget?', '--tools', scenario, '--simulate', scenario, '--mode', 'sequential', '--json'], io);
    expect(code).toBe(0);
    expect(err).toEqual([]);
    const document = JSON.parse(out.join('\n')) as { status: string; text: string; metrics: { modelRoundTrips: number }; events: { type: string }[] };
    expect(document).toMatchObject({ status: 'completed', text: `Over the travel budget: ${expected}`, metrics: { modelRoundTrips: 7 } });
    expect(document.events.at(-1)?.type).toBe('finish');
  });

  it('explains usage errors', async () => {
    const { io, err } = capture();
    expect(await runAgentCommand(['task', '--tools', scenario, '--mode', 'bogus'], io)).toBe(2);
    expect(err.join('\n')).toMatch(/Unknown --mode bogus/);
    if (process.env.ANTHROPIC_API_KEY === undefined) {
      const second = capture();
      expect(await runAgentCommand(['task', '--tools', scenario, '--mode', 'parallel'], second.io)).toBe(2);
      expect(second.err.join('\n')).toMatch(/--simulate <policy module>/);
    }
  });
});
