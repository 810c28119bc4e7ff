#!/usr/bin/env node
import { createInterface } from 'node:readline';
import type { Interface } from 'node:readline';
import { agentUsage, runAgentCommand } from './agent-command.js';
import type { CommandIo } from './agent-command.js';

const [command, ...rest] = process.argv.slice(2);
let terminal: Interface | undefined;
let inputEnded = false;
let answer: ((line: string) => void) | undefined;
// Questions go to stderr, beside the progress; only a terminal on stdin is asked (see CommandIo.ask).
const ask = (question: string): Promise<string> =>
  new Promise((resolve) => {
    if (inputEnded) {
      resolve('');
      return;
    }
    if (terminal === undefined) {
      terminal = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
      terminal.on('close', () => {
        inputEnded = true;
        answer?.('');
      });
      // The terminal is in raw mode while the interface is open: Ctrl-C must still end the run.
      terminal.on('SIGINT', () => {
        terminal?.close();
        process.kill(process.pid, 'SIGINT');
      });
    }
    answer = (line) => {
      answer = undefined;
      resolve(line);
    };
    terminal.question(question, (line) => answer?.(line));
  });
const io: CommandIo = {
  stdout: (text: string) => process.stdout.write(`${text}\n`),
  stderr: (text: string) => process.stderr.write(`${text}\n`),
  ...(process.stdin.isTTY === true ? { ask } : {}),
};

if (command === 'agent') {
  try {
    process.exitCode = await runAgentCommand(rest, io);
  } finally {
    terminal?.close();
  }
} else {
  const help = command === undefined || command === '--help' || command === '-h';
  io.stderr(help ? agentUsage : `Unknown command ${JSON.stringify(command)}.\n\n${agentUsage}`);
  process.exitCode = help ? 0 : 2;
}
