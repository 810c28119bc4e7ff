import { createToolset, defineTool } from '@codecall/core';
import { z } from 'zod';

// A tiny, deterministic expense database: 8 employees, a few line items each.
const employees = ['ana', 'ben', 'chloe', 'dev', 'emil', 'fatima', 'goran', 'hana'].map((name, index) => ({
  id: `e${index + 1}`,
  name,
  team: index < 5 ? 'platform' : 'data',
}));

function expensesOf(employeeId: string, quarter: string): { amount: number; category: string }[] {
  const seed = [...`${employeeId}:${quarter}`].reduce((sum, char) => (sum * 31 + char.charCodeAt(0)) % 9_973, 7);
  return Array.from({ length: 3 + (seed % 4) }, (_, index) => ({
    amount: ((seed * (index + 3)) % 900) + 50,
    category: ['travel', 'meals', 'software', 'hardware'][(seed + index) % 4] ?? 'other',
  }));
}

export const tools = createToolset([
  defineTool({
    name: 'get_team_members',
    description: 'Members of a team.',
    input: z.object({ team: z.enum(['platform', 'data']) }),
    output: z.array(z.object({ id: z.string(), name: z.string() })),
    execute: ({ team }) => employees.filter((employee) => employee.team === team).map(({ id, name }) => ({ id, name })),
  }),
  defineTool({
    name: 'get_expenses',
    description: 'Expense line items of one employee for a quarter.',
    input: z.object({ employeeId: z.string(), quarter: z.enum(['Q1', 'Q2', 'Q3', 'Q4']) }),
    output: z.array(z.object({ amount: z.number(), category: z.string() })),
    execute: async ({ employeeId, quarter }, { abortSignal }) => {
      // Stands in for a database round trip.
      await new Promise((resolve) => setTimeout(resolve, 2));
      abortSignal.throwIfAborted();
      return expensesOf(employeeId, quarter);
    },
  }),
  defineTool({
    name: 'budget.get-limit',
    description: 'Quarterly expense limit per person of a team, in dollars.',
    input: z.object({ team: z.string() }),
    output: z.object({ limit: z.number() }),
    execute: ({ team }) => ({ limit: team === 'platform' ? 2_000 : 1_500 }),
  }),
]);

/** The answer the model-style program below must find, computed directly. */
export function expectedOverBudget(team: 'platform' | 'data', quarter: 'Q1' | 'Q2' | 'Q3' | 'Q4'): string[] {
  const limit = team === 'platform' ? 2_000 : 1_500;
  return employees
    .filter((employee) => employee.team === team)
    .filter((employee) => expensesOf(employee.id, quarter).reduce((sum, item) => sum + item.amount, 0) > limit)
    .map((employee) => employee.name);
}
