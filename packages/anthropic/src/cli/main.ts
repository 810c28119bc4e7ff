#!/usr/bin/env node
import { agentUsage, runAgentCommand } from './agent-command.js';

const [command, ...rest] = process.argv.slice(2);
const io = { stdout: (text: string) => process.stdout.write(`${text}\n`), stderr: (text: string) => process.stderr.write(`${text}\n`) };

if (command === 'agent') {
  process.exitCode = await runAgentCommand(rest, io);
} else {
  const help = command === undefined || command === '--help' || command === '-h';
  io.stderr(help ? agentUsage : `Unknown command ${JSON.stringify(command)}.\n\n${agentUsage}`);
  process.exitCode = help ? 0 : 2;
}
