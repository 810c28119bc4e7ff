// Calibration replica of the task in Anthropic's cookbook "Programmatic tool calling" (see
// ../shared/calibration/README.md): which engineers exceeded their Q3 travel budget, with the same
// tool shapes (team of a department, rich pretty-printed expense items per employee and quarter,
// custom budget per person) and data of the same size (8 engineers, 20-50 items each). Text and data
// are our own, generated deterministically. Not part of the suite: `calibrationReport` runs it and
// compares the simulated figures with the published ones.
import { defineScenario, integer, pick, seededRandom, seedOf } from '@codecall/bench-scenarios';
import type { CodeState, DirectState, DirectTurn, ScenarioProgram } from '@codecall/bench-scenarios';

interface Member {
  readonly employee_id: string;
  readonly name: string;
  readonly role: string;
  readonly level: string;
  readonly email: string;
  readonly location: string;
  readonly manager: string;
  readonly start_date: string;
}

interface Expense {
  readonly expense_id: string;
  readonly date: string;
  readonly category: string;
  readonly subcategory: string;
  readonly description: string;
  readonly amount: number;
  readonly status: 'approved' | 'pending' | 'rejected';
  readonly merchant: { readonly name: string; readonly location: string };
  readonly payment_method: string;
  readonly receipt_url: string;
  readonly approval_chain: readonly { readonly approver: string; readonly decision: string }[];
  readonly project_code: string;
}

/** Standard quarterly travel budget in USD. */
export const standardBudgetUsd = 5_000;

const firstNames = ['Amara', 'Bjorn', 'Chiara', 'Dmitri', 'Esther', 'Farid', 'Greta', 'Hiroshi'];
const lastNames = ['Okafor', 'Lindqvist', 'Rossi', 'Volkov', 'Mensah', 'Haddad', 'Novak', 'Tanaka'];
const roles = ['Backend Engineer', 'Frontend Engineer', 'Site Reliability Engineer', 'Data Engineer', 'Staff Engineer', 'Engineering Manager', 'Security Engineer', 'Mobile Engineer'];
const cities = [
  ['Berlin', 'DE'],
  ['Austin', 'US'],
  ['Toronto', 'CA'],
  ['Lisbon', 'PT'],
  ['Singapore', 'SG'],
  ['Denver', 'US'],
  ['Dublin', 'IE'],
  ['Osaka', 'JP'],
] as const;
const travelKinds = [
  ['airfare', ['Skyline Air', 'Northwind Airways', 'Meridian Jet'], 'Flight to the customer workshop'],
  ['lodging', ['Harbor Suites', 'The Linden Hotel', 'Parkside Inn'], 'Hotel nights for the on-site integration'],
  ['ground_transport', ['MetroCab', 'RideShare Co', 'Rail Express'], 'Transfer between airport and client office'],
  ['travel_meals', ['Corner Bistro', 'Station Deli', 'Noodle Bar'], 'Meal while travelling for the quarterly planning'],
] as const;
const otherKinds = [
  ['software', ['CloudIDE', 'DiagramPro', 'TestGrid'], 'Monthly licence for development tooling'],
  ['office_supplies', ['PaperHouse', 'DeskWorks'], 'Supplies for the team area'],
  ['training', ['LearnHub', 'ConfTickets'], 'Course registration for professional development'],
  ['team_meals', ['Corner Bistro', 'Green Table'], 'Team lunch after the release'],
] as const;
const approvers = [['Priya Raman'], ['Finance Operations']] as const;

const members: Member[] = firstNames.map((first, index) => {
  const last = lastNames[index]!;
  const [city] = cities[index]!;
  return {
    employee_id: `ENG${String(index + 1).padStart(3, '0')}`,
    name: `${first} ${last}`,
    role: roles[index]!,
    level: `L${3 + (index % 4)}`,
    email: `${first.toLowerCase()}.${last.toLowerCase()}@example.com`,
    location: city,
    manager: 'Priya Raman',
    start_date: `20${String(16 + (index % 8)).padStart(2, '0')}-0${1 + (index % 9)}-15`,
  };
});

function day(random: () => number): string {
  return `2025-0${integer(random, 7, 9)}-${String(integer(random, 1, 28)).padStart(2, '0')}`;
}

function expensesOf(member: Member): Expense[] {
  const random = seededRandom(seedOf(`cookbook-replica:${member.employee_id}`));
  const count = integer(random, 20, 50);
  const heavyTraveller = random() < 0.6;
  const travelShare = heavyTraveller ? 0.6 : 0.35;
  const items: Expense[] = [];
  for (let index = 0; index < count; index++) {
    const travel = random() < travelShare;
    const [subcategory, merchants, description] = travel ? pick(random, travelKinds) : pick(random, otherKinds);
    const amount = travel
      ? subcategory === 'airfare'
        ? integer(random, 32_000, 110_000) / 100
        : subcategory === 'lodging'
          ? integer(random, 20_000, 85_000) / 100
          : integer(random, 1_500, 14_000) / 100
      : integer(random, 1_200, 60_000) / 100;
    const roll = random();
    const status = roll < 0.82 ? 'approved' : roll < 0.93 ? 'pending' : 'rejected';
    const [city, country] = pick(random, cities);
    const expenseId = `EXP-${member.employee_id}-${String(index + 1).padStart(3, '0')}`;
    const chain = approvers.slice(0, status === 'pending' ? 1 : 2).map(([approver], step) => ({
      approver,
      decision: status === 'rejected' && step === 1 ? 'rejected' : status === 'pending' ? 'pending' : 'approved',
    }));
    items.push({
      expense_id: expenseId,
      date: day(random),
      category: travel ? 'travel' : subcategory === 'software' ? 'software' : 'operations',
      subcategory,
      description,
      amount,
      status,
      merchant: { name: pick(random, merchants), location: `${city}, ${country}` },
      payment_method: random() < 0.8 ? 'corporate_card' : 'reimbursement',
      receipt_url: `https://receipts.example.com/q3/${expenseId}.pdf`,
      approval_chain: chain,
      project_code: `PRJ-${pick(random, ['PLATFORM', 'CHECKOUT', 'SEARCH', 'INFRA'])}-${integer(random, 100, 999)}`,
    });
  }
  return items;
}

const expenses = new Map(members.map((member) => [member.employee_id, expensesOf(member)]));
const approvedTravel = (items: readonly Expense[]): number =>
  Math.round(items.filter((item) => item.category === 'travel' && item.status === 'approved').reduce((sum, item) => sum + item.amount, 0) * 100) / 100;

// Custom budgets for some people (a role that travels, a temporary project).
const customBudgets = new Map<string, { travel_budget: number; reason: string; approved_by: string; effective: string }>();
{
  const random = seededRandom(seedOf('cookbook-replica:budgets'));
  for (const member of members) {
    if (random() < 0.4) {
      customBudgets.set(member.employee_id, {
        travel_budget: integer(random, 55, 90) * 100,
        reason: pick(random, ['Customer-facing role with regular on-site visits', 'Temporary assignment to the data-centre migration', 'Conference speaker programme']),
        approved_by: 'Owen Gallagher',
        effective: '2025-07-01',
      });
    }
  }
}

const budgetOf = (employeeId: string): number => customBudgets.get(employeeId)?.travel_budget ?? standardBudgetUsd;
const expected = members.filter((member) => approvedTravel(expenses.get(member.employee_id)!) > budgetOf(member.employee_id)).map((member) => member.employee_id);

const pretty = (value: unknown): string => JSON.stringify(value, null, 2);

const answer = (rows: readonly { id: string; total: number; budget: number }[]): string =>
  rows.length === 0
    ? 'Nobody on the engineering team exceeded their Q3 travel budget.'
    : `These engineers exceeded their Q3 travel budget: ${rows.map((row) => `${row.id} ($${row.total.toFixed(2)} against $${row.budget.toFixed(2)})`).join(', ')}.`;

function direct(state: DirectState): DirectTurn {
  const team = state.find('get_team_members', { department: 'engineering' }) as Member[] | undefined;
  if (team === undefined) return [{ tool: 'get_team_members', input: { department: 'engineering' } }];
  const missing = team.filter((member) => !state.has('get_expenses', { employee_id: member.employee_id }));
  if (missing.length > 0) return missing.map((member) => ({ tool: 'get_expenses', input: { employee_id: member.employee_id, quarter: 'Q3' } }));
  const totals = team.map((member) => ({ id: member.employee_id, total: approvedTravel((state.find('get_expenses', { employee_id: member.employee_id }) as Expense[] | undefined) ?? []) }));
  const over = totals.filter((row) => row.total > standardBudgetUsd);
  const unknown = over.filter((row) => !state.has('get_custom_budget', { user_id: row.id }));
  // Which budgets to look up depends on the totals just computed from the raw items.
  if (unknown.length > 0) return { calls: unknown.map((row) => ({ tool: 'get_custom_budget', input: { user_id: row.id } })), dataDependent: true };
  const rows = over.map((row) => {
    const budget = state.find('get_custom_budget', { user_id: row.id }) as { travel_budget?: number } | undefined;
    return { ...row, budget: budget?.travel_budget ?? standardBudgetUsd };
  });
  return answer(rows.filter((row) => row.total > row.budget));
}

const firstProgram: ScenarioProgram = {
  javascript: `const load = (value) => (typeof value === 'string' ? JSON.parse(value) : value);
const team = load(await get_team_members({ department: 'engineering' }));
const lists = await Promise.all(team.map((m) => get_expenses({ employee_id: m.employee_id, quarter: 'Q3' })));
const totals = team.map((m, i) => ({
  id: m.employee_id,
  name: m.name,
  total: Math.round(load(lists[i]).filter((e) => e.category === 'travel' && e.status === 'approved').reduce((s, e) => s + e.amount, 0) * 100) / 100,
}));
const over = totals.filter((t) => t.total > ${standardBudgetUsd});
console.log(\`\${over.length} of \${team.length} engineers are over the standard budget\`);
console.log(JSON.stringify(over));`,
  python: `import asyncio, json

def load(value):
    return json.loads(value) if isinstance(value, str) else value

team = load(await get_team_members({"department": "engineering"}))
lists = await asyncio.gather(*[get_expenses({"employee_id": m["employee_id"], "quarter": "Q3"}) for m in team])
totals = []
for member, raw in zip(team, lists):
    items = load(raw)
    total = sum(e["amount"] for e in items if e["category"] == "travel" and e["status"] == "approved")
    totals.append({"id": member["employee_id"], "name": member["name"], "total": round(total, 2)})
over = [t for t in totals if t["total"] > ${standardBudgetUsd}]
print(f"{len(over)} of {len(team)} engineers are over the standard budget")
print(json.dumps(over))`,
  dataDependent: true,
};

function secondProgram(over: readonly { id: string; name: string; total: number }[]): ScenarioProgram {
  const list = JSON.stringify(over);
  return {
    javascript: `const load = (value) => (typeof value === 'string' ? JSON.parse(value) : value);
const over = ${list};
const budgets = await Promise.all(over.map((p) => get_custom_budget({ user_id: p.id })));
const result = over.map((p, i) => {
  const custom = load(budgets[i]);
  const budget = custom.has_custom_budget ? custom.travel_budget : ${standardBudgetUsd};
  return { id: p.id, name: p.name, total: p.total, budget, exceeded: p.total > budget };
});
for (const r of result) console.log(\`\${r.name}: $\${r.total} of $\${r.budget}\${r.exceeded ? ' (over)' : ''}\`);
console.log(JSON.stringify(result.filter((r) => r.exceeded)));`,
    python: `import asyncio, json

def load(value):
    return json.loads(value) if isinstance(value, str) else value

over = json.loads(${JSON.stringify(list)})
budgets = await asyncio.gather(*[get_custom_budget({"user_id": p["id"]}) for p in over])
result = []
for person, raw in zip(over, budgets):
    custom = load(raw)
    budget = custom["travel_budget"] if custom["has_custom_budget"] else ${standardBudgetUsd}
    result.append({"id": person["id"], "name": person["name"], "total": person["total"], "budget": budget, "exceeded": person["total"] > budget})
for r in result:
    print(f"{r['name']}: \${r['total']} of \${r['budget']}{' (over)' if r['exceeded'] else ''}")
print(json.dumps([r for r in result if r["exceeded"]]))`,
  };
}

function code(state: CodeState): ScenarioProgram | string {
  if (state.outputs.length === 0) return firstProgram;
  const over = Array.isArray(state.outputs[0]) ? (state.outputs[0] as { id: string; name: string; total: number }[]) : [];
  if (state.outputs.length === 1) {
    if (over.length === 0) return answer([]);
    return secondProgram(over);
  }
  const rows = Array.isArray(state.outputs[1]) ? (state.outputs[1] as { id: string; total: number; budget: number }[]) : [];
  return answer(rows);
}

export const scenario = defineScenario({
  id: 'cookbook-replica',
  title: 'Calibration: Q3 travel budgets of 8 engineers (replica of the PTC cookbook task)',
  description:
    'Team -> rich, pretty-printed expense items per engineer (8 calls, 20-50 items each) -> custom budgets only for those over the standard $5,000 (data-dependent) -> who exceeded. Same shapes and sizes as the published cookbook run.',
  expectation: 'wins',
  workload: 'analysis',
  tools: [
    {
      name: 'get_team_members',
      description: `Returns the members of a department.

Use this first to find out who belongs to a team before looking up anything per person.

Args:
    department: Name of the department, for example "engineering", "sales" or "marketing".

Returns:
    A JSON string holding an array of member objects. Parse it (json.loads / JSON.parse) before
    use. Each member object has:
      - employee_id (string): unique id such as "ENG004"; pass it to the per-person tools
      - name (string): full name
      - role (string): job title
      - level (string): career level, "L3" to "L7"
      - email (string): work address
      - location (string): office city
      - manager (string): name of the direct manager
      - start_date (string): first working day, YYYY-MM-DD
    An unknown department gives an empty array.`,
      inputSchema: { type: 'object', properties: { department: { type: 'string', description: 'Department name, e.g. "engineering".' } }, required: ['department'] },
      execute: (input) => pretty((input as { department: string }).department.toLowerCase() === 'engineering' ? members : []),
    },
    {
      name: 'get_expenses',
      description: `Returns every expense line item one employee submitted in a quarter.

The list includes items in every state (approved, pending, rejected) and every category; filter
them yourself. Only items with status "approved" count towards budgets. Travel spending is the
category "travel" (subcategories airfare, lodging, ground_transport, travel_meals).

Args:
    employee_id: The employee's id as returned by get_team_members (e.g. "ENG002").
    quarter: "Q1", "Q2", "Q3" or "Q4" of the current year.

Returns:
    A JSON string holding an array of expense objects (pretty-printed; parse it before use). Each
    expense object has:
      - expense_id (string)
      - date (string, YYYY-MM-DD)
      - category (string): "travel", "software" or "operations"; subcategory (string)
      - description (string)
      - amount (number, USD)
      - status (string): "approved", "pending" or "rejected"
      - merchant (object): name, location ("City, country code")
      - payment_method (string): "corporate_card" or "reimbursement"
      - receipt_url (string): link to the scanned receipt
      - approval_chain (array): one object per approval step with approver and decision
      - project_code (string): the project the expense is booked to
    An employee can have between 20 and 50 items per quarter.`,
      inputSchema: {
        type: 'object',
        properties: {
          employee_id: { type: 'string', description: 'Employee id, e.g. "ENG002".' },
          quarter: { type: 'string', enum: ['Q1', 'Q2', 'Q3', 'Q4'], description: 'Quarter of the current year.' },
        },
        required: ['employee_id', 'quarter'],
      },
      execute: (input) => {
        const { employee_id: employeeId, quarter } = input as { employee_id: string; quarter: string };
        const member = members.find((candidate) => candidate.employee_id === employeeId);
        return pretty(member === undefined || quarter !== 'Q3' ? [] : expenses.get(employeeId));
      },
    },
    {
      name: 'get_custom_budget',
      description: `Returns the quarterly travel budget that applies to one employee.

Most employees have the company standard of $5,000 per quarter. Some have a custom limit (a
customer-facing role, a temporary assignment, a speaker programme). Look the budget up only for
people whose approved travel spending is above the standard: below it they cannot be over budget.

Args:
    user_id: The employee's id as returned by get_team_members (e.g. "ENG005").

Returns:
    A JSON string holding one object (parse it before use) with:
      - user_id (string)
      - has_custom_budget (boolean)
      - travel_budget (number, USD per quarter): the custom limit, or 5000 when there is none
      - reason (string or null): why the custom limit was granted
      - approved_by (string or null) and effective_date (string or null, YYYY-MM-DD)`,
      inputSchema: { type: 'object', properties: { user_id: { type: 'string', description: 'Employee id, e.g. "ENG005".' } }, required: ['user_id'] },
      execute: (input) => {
        const userId = (input as { user_id: string }).user_id;
        const custom = customBudgets.get(userId);
        return pretty({
          user_id: userId,
          has_custom_budget: custom !== undefined,
          travel_budget: custom?.travel_budget ?? standardBudgetUsd,
          reason: custom?.reason ?? null,
          approved_by: custom?.approved_by ?? null,
          effective_date: custom?.effective ?? null,
        });
      },
    },
  ],
  // The descriptions state every result's shape, as in the cookbook: no exploration program.
  declaredOutputs: ['get_team_members', 'get_expenses', 'get_custom_budget'],
  task: `Which members of the engineering team went over their travel budget in Q3? The standard travel budget is $${standardBudgetUsd} per person per quarter, but some people have a custom limit; only approved expenses count. List each person who went over, with their approved travel total and the budget that applies to them.`,
  expected: expected.join(', '),
  check: (text) => {
    const found = [...new Set(text.match(/\bENG\d{3}\b/g) ?? [])].sort();
    return found.join(',') === [...expected].sort().join(',');
  },
  direct,
  code,
});
