import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runAgentCommand } from '../src/cli/agent-command.js';

const scenario = fileURLToPath(new URL('./fixtures/live-output-scenario.ts', import.meta.url));

describe('codecall agent: live output', () => {
  it.each(['isolated-vm', 'subprocess'])('prints the code\'s output as it is written, between its tool calls (%s)', async (sandbox) => {
    const lines: string[] = [];
    const io = { stdout: () => undefined, stderr: (text: string) => lines.push(...text.split('\n')) };
    const code = await runAgentCommand(['What is the total?', '--tools', scenario, '--simulate', scenario, '--mode', 'programmatic', '--sandbox', sandbox], io);
    expect(code, lines.join('\n')).toBe(0);
    const at = (pattern: RegExp): number => {
      const index = lines.findIndex((line) => pattern.test(line));
      if (index === -1) throw new Error(`no line matches ${String(pattern)} in:\n${lines.join('\n')}`);
      return index;
    };
    // Ordering only: each printed line comes before the call the code made after writing it, and
    // all of it before the code result (which the CLI prints when the run has ended).
    const order = [
      at(/^ {4}│ starting$/),
      at(/↳ fetch_total\(\{"id":"a"\}\)/),
      at(/^ {4}│ a is 40$/),
      at(/^ {4}! warning: b next$/),
      at(/↳ fetch_total\(\{"id":"b"\}\)/),
      at(/↳ audit_log\(/),
      at(/^ {4}! audit failed: TOOL_FAILED$/),
      at(/^ {4}│ total 290$/),
      at(/◀ code result/),
    ];
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });
});
