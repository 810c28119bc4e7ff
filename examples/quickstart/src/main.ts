// Runs the kind of program a model writes in code mode against a small toolset, inside an
// isolated-vm sandbox, and prints the result and its tool-call trace.
//
//   ./dev quickstart                             (from the repository root) build and print the run
//   node --no-node-snapshot src/main.ts          print the run (Node >= 22.18: runs .ts directly)
//   node --no-node-snapshot src/main.ts --check  also exit non-zero unless the answer is right
import { generateDeclarations, runCode } from '@codecall/core';
import { createIsolatedVmSandbox } from '@codecall/sandbox-isolated-vm';
import { expectedOverBudget, tools } from './tools.ts';

// What a model would write after reading the declarations: fan out, filter, return a summary.
const code = `
const { limit } = await budget_get_limit({ team: 'platform' });
const team = await get_team_members({ team: 'platform' });
const totals = await Promise.all(team.map(async (member) => {
  const items = await get_expenses({ employeeId: member.id, quarter: 'Q3' });
  return { name: member.name, total: items.reduce((sum, item) => sum + item.amount, 0) };
}));
const over = totals.filter((person) => person.total > limit);
console.log(\`\${over.length} of \${team.length} over the \${limit} limit\`);
return over.map((person) => person.name);
`;

await using sandbox = createIsolatedVmSandbox();

console.log('Declarations the model reads:\n');
console.log(generateDeclarations(tools, { language: 'typescript' }));
console.log('\nModel-written code:\n' + code);

// The run needs well under a second; the limit is generous so that `--check` holds on a busy machine.
const result = await runCode({ sandbox, tools, code, limits: { timeoutMs: 30_000 } });

console.log('Tool calls:');
for (const call of result.toolCalls) {
  const outcome = call.error ? `error ${call.error.code}` : `${JSON.stringify(call.output).length} bytes`;
  console.log(`  +${call.offsetMs.toFixed(1).padStart(6)} ms  ${call.name.padEnd(18)} ${JSON.stringify(call.input).padEnd(40)} ${outcome} in ${call.durationMs.toFixed(1)} ms`);
}
console.log(`\nstdout: ${result.stdout.trim()}`);
if (result.type === 'success') console.log(`value:  ${JSON.stringify(result.value)}`);
else console.log(`error:  ${result.error.code} ${result.error.name}: ${result.error.message}`);
console.log(`time:   ${result.durationMs.toFixed(1)} ms for ${result.toolCalls.length} tool calls in one sandbox run`);

if (process.argv.includes('--check')) {
  const expected = expectedOverBudget('platform', 'Q3');
  if (result.type !== 'success' || JSON.stringify(result.value) !== JSON.stringify(expected)) {
    console.error(`check failed: expected ${JSON.stringify(expected)}`);
    process.exit(1);
  }
  console.log('check passed');
}
