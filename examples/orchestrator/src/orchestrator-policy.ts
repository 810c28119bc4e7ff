// Plays the lead on the Messages API simulator: for "Implement <feature>" it writes one Python
// program in the style orchestration code is usually written in (plain calls without `await`,
// positional arguments, a top-level `result`), then reports what the program returned.
import type { PolicyRequest, PolicyTurn, SimulatorPolicy } from '@codecall/anthropic/simulator';

/** The lead's plan: one task per role, with the order between them. */
export const plan = [
  ['architect', 'AUTH-1', 'Design the user model, password policy and session strategy', []],
  ['backend-dev', 'AUTH-2', 'Store users with salted password hashes', ['AUTH-1']],
  ['frontend-dev', 'AUTH-3', 'Build the sign-up and sign-in forms', ['AUTH-1']],
  ['backend-dev', 'AUTH-4', 'Add sign-in with OAuth next to email and password', ['AUTH-2']],
  ['qa-engineer', 'AUTH-5', 'Test sign-up, sign-in and sign-out end to end', ['AUTH-3', 'AUTH-4']],
] as const;

const program = (feature: string): string => `# ${feature}: plan the work, run it, unblock it, report.
plan = [
${plan.map(([agent, id, description, dependencies]) => `    ("${agent}", "${id}", "${description}", [${dependencies.map((dependency) => `"${dependency}"`).join(', ')}]),`).join('\n')}
]
for agent, task_id, description, dependencies in plan:
    assign_task(agent, task_id, description, dependencies=dependencies)

execute_task("AUTH-1")
first_wave = execute_parallel(["AUTH-2", "AUTH-3"])
print("first wave:", ", ".join(t["task_id"] + " " + t["status"] for t in first_wave))

attempt = execute_task("AUTH-4")
if attempt["status"] == "blocked":
    print("AUTH-4 blocked:", attempt["blocker"])
    resolve_blocker("AUTH-4", "Registered an OAuth client for staging and stored its secret in the vault")
    execute_task("AUTH-4")
execute_task("AUTH-5")

ids = [task_id for _, task_id, _, _ in plan]
all_completed = all(get_task_status(t)["status"] == "completed" for t in ids)
summary = aggregate_results(ids)
result = {
    "all_completed": all_completed,
    "completed": summary["completed"],
    "by_agent": summary["by_agent"],
    "reports": summary["reports"],
    "open": [t["task_id"] for t in list_tasks() if t["status"] != "completed"],
}
`;

function feature(request: PolicyRequest): string {
  return request.task.replace(/^implement\s+/i, '').trim() || 'the feature';
}

/** The simulator policy: turn 0 writes the program, turn 1 reports its result. */
export const policy: SimulatorPolicy = (request): PolicyTurn => {
  if (request.codeTool === undefined || request.codeTool.language !== 'python') {
    throw new Error('This policy writes Python for the code tool: run codecall agent with --mode programmatic and a Python sandbox (--sandbox subprocess --language python).');
  }
  if (request.turn === 0) {
    return [
      { type: 'text', text: `I will split ${feature(request)} into tasks for the team and run them.` },
      { type: 'code', code: program(feature(request)) },
    ];
  }
  const last = request.lastToolResults[0];
  const value = last?.value as { all_completed?: boolean; completed?: number; by_agent?: Record<string, string[]>; reports?: string[] } | undefined;
  if (last === undefined || last.isError || value === undefined) return `The orchestration program failed:\n${last?.content ?? '(no result)'}`;
  const agents = Object.entries(value.by_agent ?? {})
    .map(([agent, ids]) => `${agent} (${ids.join(', ')})`)
    .join('; ');
  return `${value.all_completed === true ? 'Done' : 'Not done'}: ${String(value.completed)} of ${plan.length} tasks completed for ${feature(request)} by ${agents}. Reports: ${(value.reports ?? []).join(', ')}.`;
};
