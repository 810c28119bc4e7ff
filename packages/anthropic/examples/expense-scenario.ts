/**
 * An example scenario in the documented policy format: a toolset, a task, a policy that plays the
 * model in every mode, and the expected answer. Use it with the CLI:
 *
 *   codecall agent "Who exceeded the Q3 travel budget?" --tools ./expense-scenario.js \
 *     --simulate ./expense-scenario.js --mode programmatic --sandbox isolated-vm
 *
 * The policy derives its final answer from the tool results it was given (never from the data
 * below), so a broken tool path produces a wrong answer.
 */
import { createToolset, defineTool } from '@codecall/core';
import { z } from 'zod';
import type { PolicyRequest, PolicyTurn, SimulatorPolicy } from '../src/simulator/index.js';

/** Travel budget per employee for the quarter. */
export const travelBudget = 1_000;

const team = ['e1', 'e2', 'e3', 'e4', 'e5'] as const;

// Deterministic data: 6 travel and 4 meal items per employee.
function expensesOf(employeeId: string): { amount: number; category: 'travel' | 'meals' }[] {
  const seed = Number(employeeId.slice(1));
  return Array.from({ length: 10 }, (_, index) => ({
    amount: ((seed * 37 + index * 53) % 97) * (index < 6 ? 4 : 1) + 10,
    category: index < 6 ? ('travel' as const) : ('meals' as const),
  }));
}

/** The scenario's tools. */
export const tools = createToolset([
  defineTool({
    name: 'get_team_members',
    description: 'Lists the ids of the members of the team.',
    input: z.object({}),
    output: z.array(z.string()),
    execute: () => [...team],
  }),
  defineTool({
    name: 'get_expenses',
    description: 'Expense line items of one employee for Q3.',
    input: z.object({ employeeId: z.string() }),
    output: z.array(z.object({ amount: z.number(), category: z.enum(['travel', 'meals']) })),
    execute: ({ employeeId }) => expensesOf(employeeId),
  }),
]);

/** The task given to the model. */
export const task = `Which team members spent more than ${travelBudget} on travel in Q3? Answer with their ids, comma-separated.`;

/** The expected answer, computed from the data. */
export const expected = team
  .filter((id) => expensesOf(id).filter((item) => item.category === 'travel').reduce((sum, item) => sum + item.amount, 0) > travelBudget)
  .join(', ');

// Hosted code execution hands tool results to the code as text (the code parses them); the local
// code tool passes JSON values. \`load\` takes either.
const javascriptProgram = `const load = (value) => (typeof value === 'string' ? JSON.parse(value) : value);
const ids = load(await get_team_members({}));
const all = (await Promise.all(ids.map((employeeId) => get_expenses({ employeeId })))).map(load);
const over = ids.filter((id, i) => all[i].filter((e) => e.category === 'travel').reduce((s, e) => s + e.amount, 0) > ${travelBudget});
console.log(over.join(', '));
return over;`;

const pythonProgram = `import asyncio, json

def load(value):
    return json.loads(value) if isinstance(value, str) else value

ids = load(await get_team_members({}))
all = [load(r) for r in await asyncio.gather(*[get_expenses({"employeeId": i}) for i in ids])]
over = [i for i, items in zip(ids, all) if sum(e["amount"] for e in items if e["category"] == "travel") > ${travelBudget}]
print(", ".join(over))`;

function answer(ids: readonly string[]): PolicyTurn {
  return `Over the travel budget: ${ids.join(', ')}`;
}

function overBudget(request: PolicyRequest): string[] | undefined {
  const members = request.toolResults.find((result) => result.toolName === 'get_team_members')?.value;
  if (!Array.isArray(members)) return undefined;
  const over: string[] = [];
  for (const id of members as string[]) {
    const result = request.toolResults.find((candidate) => candidate.toolName === 'get_expenses' && (candidate.input as { employeeId?: string }).employeeId === id);
    if (result === undefined) return undefined;
    const items = result.value as { amount: number; category: string }[];
    if (items.filter((item) => item.category === 'travel').reduce((sum, item) => sum + item.amount, 0) > travelBudget) over.push(id);
  }
  return over;
}

/** Plays the model in every mode. */
export const policy: SimulatorPolicy = (request) => {
  if (request.mode === 'native') {
    const result = request.codeExecutionResults.at(-1);
    if (result === undefined) return [{ type: 'text', text: 'Let me compute that in code.' }, { type: 'code', code: request.codeExecution?.language === 'python' ? pythonProgram : javascriptProgram }];
    return answer(result.stdout.trim() === '' ? [] : result.stdout.trim().split(', '));
  }
  if (request.mode === 'programmatic' || request.mode === 'hybrid') {
    const run = request.toolResults.find((result) => result.kind === 'code_tool');
    // The local code tool takes a top-level `return` in Python too; hosted code execution reports stdout only.
    if (run === undefined) return [{ type: 'code', code: request.codeTool?.language === 'python' ? `${pythonProgram}\nreturn over` : javascriptProgram }];
    if (run.isError) return `The code failed: ${run.content}`;
    return answer(run.value as string[]);
  }
  // Direct tool use: list the team, then fetch every member's expenses (one per turn in sequential mode).
  const members = request.toolResults.find((result) => result.toolName === 'get_team_members');
  if (members === undefined) return [{ type: 'tool_use', name: 'get_team_members', input: {} }];
  const over = overBudget(request);
  if (over !== undefined) return answer(over);
  const fetched = new Set(request.toolResults.filter((result) => result.toolName === 'get_expenses').map((result) => (result.input as { employeeId: string }).employeeId));
  return (members.value as string[]).filter((id) => !fetched.has(id)).map((employeeId) => ({ type: 'tool_use' as const, name: 'get_expenses', input: { employeeId } }));
};
