// Fan-out: list a team, fetch every member's expenses, decide who exceeded the travel budget.
import { defineScenario, id, integer, pick, seededRandom } from '@codecall/bench-scenarios';

interface Member {
  id: string;
  name: string;
  level: string;
}
interface Expense {
  date: string;
  amount: number;
  category: 'travel' | 'meals' | 'software' | 'office';
  merchant: string;
  description: string;
}

const limit = 4_000;
const names = ['Ada', 'Bo', 'Cai', 'Dana', 'Eli', 'Fay', 'Gus', 'Hana', 'Ivo', 'Jun', 'Kim', 'Lea', 'Max', 'Nia', 'Oto', 'Pia', 'Quin', 'Rui', 'Sol', 'Tess'];
const members: Member[] = names.map((name, index) => ({ id: id('e', index + 1, 2), name, level: `L${(index % 4) + 2}` }));
const merchants = { travel: ['SkyAir', 'RailCo', 'Hotel Nord', 'CityCab'], meals: ['Bistro 9', 'Cafe Uno'], software: ['CloudIDE', 'DiagramPro'], office: ['PaperHouse'] } as const;

function expensesOf(employeeId: string): Expense[] {
  const random = seededRandom(Number(employeeId.slice(1)) * 7919);
  const travelItems = integer(random, 3, 9);
  const items: Expense[] = [];
  for (let index = 0; index < 16; index++) {
    const category = index < travelItems ? 'travel' : pick(random, ['meals', 'software', 'office'] as const);
    const amount = category === 'travel' ? integer(random, 120, 900) : integer(random, 8, 160);
    items.push({
      date: `2025-${String(7 + (index % 3)).padStart(2, '0')}-${String(integer(random, 1, 28)).padStart(2, '0')}`,
      amount,
      category,
      merchant: pick(random, merchants[category]),
      description: `${category} expense #${index + 1} for ${employeeId}`,
    });
  }
  return items;
}

const travelTotal = (items: readonly Expense[]): number => items.filter((item) => item.category === 'travel').reduce((sum, item) => sum + item.amount, 0);
const expected = members.filter((member) => travelTotal(expensesOf(member.id)) > limit).map((member) => member.id);

const javascript = `const team = await get_team_members({ team: 'platform' });
const all = await Promise.all(team.map((m) => get_expenses({ employeeId: m.id, quarter: 'Q3' })));
const over = team.filter((m, i) => all[i].filter((e) => e.category === 'travel').reduce((s, e) => s + e.amount, 0) > ${limit}).map((m) => m.id);
console.log(JSON.stringify(over));`;

const python = `import asyncio, json
team = await get_team_members({"team": "platform"})
all_items = await asyncio.gather(*[get_expenses({"employeeId": m["id"], "quarter": "Q3"}) for m in team])
over = [m["id"] for m, items in zip(team, all_items) if sum(e["amount"] for e in items if e["category"] == "travel") > ${limit}]
print(json.dumps(over))`;

const answer = (ids: readonly string[]): string => `Over the Q3 travel budget: ${ids.length === 0 ? 'nobody' : ids.join(', ')}`;

export const scenario = defineScenario({
  id: 'budget-compliance',
  title: 'Budget compliance over 20 employees',
  description: 'Team -> expenses per person (20 independent calls, 16 line items each) -> who exceeded the travel limit. Fan-out: code keeps the line items out of the context.',
  expectation: 'wins',
  workload: 'analysis',
  tools: [
    {
      name: 'get_team_members',
      description: 'Lists the members of a team: id, name and level.',
      inputSchema: { type: 'object', properties: { team: { type: 'string', description: 'Team name, e.g. "platform".' } }, required: ['team'] },
      execute: (input) => ((input as { team: string }).team === 'platform' ? members : []),
    },
    {
      name: 'get_expenses',
      description: 'Expense line items of one employee for a quarter: date, amount (USD), category (travel, meals, software, office), merchant, description.',
      inputSchema: {
        type: 'object',
        properties: { employeeId: { type: 'string' }, quarter: { type: 'string', enum: ['Q1', 'Q2', 'Q3', 'Q4'] } },
        required: ['employeeId', 'quarter'],
      },
      execute: (input) => {
        const { employeeId, quarter } = input as { employeeId: string; quarter: string };
        return quarter === 'Q3' && members.some((member) => member.id === employeeId) ? expensesOf(employeeId) : [];
      },
    },
  ],
  task: `Our travel budget is $${limit} per person for Q3. Which members of the "platform" team spent more than that on travel in Q3? Answer with their employee ids.`,
  expected: expected.join(', '),
  check: (text) => {
    const found = [...new Set(text.match(/\be\d{2}\b/g) ?? [])].sort();
    return found.join(',') === [...expected].sort().join(',');
  },
  direct: (state) => {
    const team = state.find('get_team_members', { team: 'platform' }) as Member[] | undefined;
    if (team === undefined) return [{ tool: 'get_team_members', input: { team: 'platform' } }];
    const missing = team.filter((member) => !state.has('get_expenses', { employeeId: member.id }));
    if (missing.length > 0) return missing.map((member) => ({ tool: 'get_expenses', input: { employeeId: member.id, quarter: 'Q3' } }));
    return answer(team.filter((member) => travelTotal((state.find('get_expenses', { employeeId: member.id }) as Expense[] | undefined) ?? []) > limit).map((member) => member.id));
  },
  code: (state) => (state.outputs.length === 0 ? { javascript, python } : answer(Array.isArray(state.outputs[0]) ? (state.outputs[0] as string[]) : [String(state.outputs[0])])),
});
