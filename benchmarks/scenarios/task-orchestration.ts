// The task-orchestration toolset: list, unblock, assign, execute (with one transient failure to
// retry), aggregate. Stateful tools; `reset` restores the initial state before every run.
import { defineScenario, id, integer, seededRandom } from '@codecall/bench-scenarios';

interface Task {
  id: string;
  title: string;
  status: 'pending' | 'blocked' | 'done' | 'failed';
  assignee: string | null;
  blockerId: string | null;
  records: number | null;
  attempts: number;
}

function initialTasks(): Task[] {
  const random = seededRandom(77);
  return Array.from({ length: 16 }, (_, index) => {
    const blocked = index % 5 === 1;
    return {
      id: id('T-', index + 1, 3),
      title: `ETL batch ${index + 1}`,
      status: index % 8 === 7 ? 'done' : blocked ? 'blocked' : 'pending',
      assignee: index % 3 === 0 ? null : `worker-${(index % 4) + 1}`,
      blockerId: blocked ? id('B-', index + 1, 3) : null,
      records: index % 8 === 7 ? integer(random, 100, 999) : null,
      attempts: 0,
    };
  });
}

let tasks = initialTasks();
const recordsOf = (taskId: string): number => (Number(taskId.slice(2)) * 7_919) % 900 + 100;
const flaky = 'T-004'; // fails on its first attempt (worker timeout), succeeds when retried

function get(taskId: string): Task {
  const task = tasks.find((candidate) => candidate.id === taskId);
  if (task === undefined) throw new Error(`Unknown task ${taskId}.`);
  return task;
}

function execute(taskId: string): { taskId: string; status: string; records?: number; error?: string } {
  const task = get(taskId);
  if (task.status === 'blocked') return { taskId, status: 'failed', error: `blocked by ${task.blockerId}` };
  if (task.assignee === null) return { taskId, status: 'failed', error: 'no assignee' };
  if (task.status === 'done') return { taskId, status: 'done', records: task.records ?? 0 };
  task.attempts++;
  if (taskId === flaky && task.attempts === 1) {
    task.status = 'failed';
    return { taskId, status: 'failed', error: 'worker timeout (transient, retry)' };
  }
  task.status = 'done';
  task.records = recordsOf(taskId);
  return { taskId, status: 'done', records: task.records };
}

const expectedTotal = initialTasks().reduce((sum, task) => sum + (task.status === 'done' ? (task.records ?? 0) : recordsOf(task.id)), 0);

const javascript = `const tasks = await get_all_tasks({ project: 'atlas' });
const open = tasks.filter((t) => t.status !== 'done');
await Promise.all(open.filter((t) => t.status === 'blocked').map((t) => resolve_blocker({ taskId: t.id, blockerId: t.blockerId })));
await Promise.all(open.filter((t) => t.assignee === null).map((t) => assign_task({ taskId: t.id, assignee: 'worker-pool' })));
const run = await parallel_execute({ taskIds: open.map((t) => t.id) });
for (const r of run.results) if (r.status !== 'done') await execute_task({ taskId: r.taskId });
const summary = await aggregate_results({ taskIds: tasks.map((t) => t.id) });
console.log(JSON.stringify(summary));`;

const python = `import asyncio, json
tasks = await get_all_tasks({"project": "atlas"})
open_tasks = [t for t in tasks if t["status"] != "done"]
await asyncio.gather(*[resolve_blocker({"taskId": t["id"], "blockerId": t["blockerId"]}) for t in open_tasks if t["status"] == "blocked"])
await asyncio.gather(*[assign_task({"taskId": t["id"], "assignee": "worker-pool"}) for t in open_tasks if t["assignee"] is None])
run = await parallel_execute({"taskIds": [t["id"] for t in open_tasks]})
for r in run["results"]:
    if r["status"] != "done":
        await execute_task({"taskId": r["taskId"]})
summary = await aggregate_results({"taskIds": [t["id"] for t in tasks]})
print(json.dumps(summary))`;

const answer = (summary: { done: number; totalRecords: number }): string => `All ${summary.done} tasks of project atlas are done; ${summary.totalRecords} records processed in total.`;
const taskId = { type: 'object', properties: { taskId: { type: 'string' } }, required: ['taskId'] } as const;

export const scenario = defineScenario({
  id: 'task-orchestration',
  title: 'Task orchestration',
  description: 'assign_task, execute_task, parallel_execute, get_task_status, resolve_blocker, aggregate_results, get_all_tasks: unblock 3 tasks, assign 5, run 14 with one transient failure to retry, aggregate.',
  expectation: 'wins',
  reset: () => {
    tasks = initialTasks();
  },
  tools: [
    {
      name: 'get_all_tasks',
      description: 'Every task of a project: id, title, status (pending, blocked, done, failed), assignee (null when unassigned), blockerId, records processed, attempts.',
      inputSchema: { type: 'object', properties: { project: { type: 'string' } }, required: ['project'] },
      execute: (input) => ((input as { project: string }).project === 'atlas' ? tasks.map((task) => ({ ...task })) : []),
    },
    {
      name: 'assign_task',
      description: 'Assigns a task to a worker or pool.',
      inputSchema: { type: 'object', properties: { taskId: { type: 'string' }, assignee: { type: 'string' } }, required: ['taskId', 'assignee'] },
      execute: (input) => {
        const { taskId: which, assignee } = input as { taskId: string; assignee: string };
        get(which).assignee = assignee;
        return { taskId: which, assignee };
      },
    },
    {
      name: 'resolve_blocker',
      description: 'Resolves the blocker of a blocked task; the task becomes pending.',
      inputSchema: { type: 'object', properties: { taskId: { type: 'string' }, blockerId: { type: 'string' } }, required: ['taskId', 'blockerId'] },
      execute: (input) => {
        const { taskId: which, blockerId } = input as { taskId: string; blockerId: string };
        const task = get(which);
        if (task.blockerId !== blockerId) throw new Error(`Task ${which} is not blocked by ${blockerId}.`);
        task.status = 'pending';
        task.blockerId = null;
        return { taskId: which, status: task.status };
      },
    },
    {
      name: 'execute_task',
      description: 'Runs one task now and waits for it. Returns its status and records processed, or the error.',
      inputSchema: taskId,
      execute: (input) => execute((input as { taskId: string }).taskId),
    },
    {
      name: 'parallel_execute',
      description: 'Runs several tasks concurrently and waits for all of them. Returns one result per task (status, records or error).',
      inputSchema: { type: 'object', properties: { taskIds: { type: 'array', items: { type: 'string' } } }, required: ['taskIds'] },
      execute: (input) => ({ results: (input as { taskIds: string[] }).taskIds.map(execute) }),
    },
    {
      name: 'get_task_status',
      description: 'Status of one task: status, assignee, blockerId, records, attempts.',
      inputSchema: taskId,
      execute: (input) => ({ ...get((input as { taskId: string }).taskId) }),
    },
    {
      name: 'aggregate_results',
      description: 'Aggregates finished tasks: how many are done, how many are not, and the total records processed.',
      inputSchema: { type: 'object', properties: { taskIds: { type: 'array', items: { type: 'string' } } }, required: ['taskIds'] },
      execute: (input) => {
        const selected = (input as { taskIds: string[] }).taskIds.map(get);
        const done = selected.filter((task) => task.status === 'done');
        return { done: done.length, notDone: selected.length - done.length, totalRecords: done.reduce((sum, task) => sum + (task.records ?? 0), 0) };
      },
    },
  ],
  task: 'Project "atlas" has open tasks. Resolve every blocker, assign unassigned tasks to "worker-pool", run every task that is not done (retry any that fail), and tell me the total number of records processed across all tasks.',
  expected: `${expectedTotal} records`,
  check: (text) => (text.replace(/,/g, '').match(/\d+/g) ?? []).map(Number).includes(expectedTotal) && !/not done|failed/i.test(text),
  sideEffectTools: ['assign_task', 'resolve_blocker', 'execute_task', 'parallel_execute'],
  direct: (state) => {
    const all = state.find('get_all_tasks', { project: 'atlas' }) as Task[] | undefined;
    if (all === undefined) return [{ tool: 'get_all_tasks', input: { project: 'atlas' } }];
    const open = all.filter((task) => task.status !== 'done');
    const prepare = [
      ...open.filter((task) => task.status === 'blocked' && !state.has('resolve_blocker', { taskId: task.id })).map((task) => ({ tool: 'resolve_blocker', input: { taskId: task.id, blockerId: task.blockerId } })),
      ...open.filter((task) => task.assignee === null && !state.has('assign_task', { taskId: task.id })).map((task) => ({ tool: 'assign_task', input: { taskId: task.id, assignee: 'worker-pool' } })),
    ];
    if (prepare.length > 0) return prepare;
    const run = state.find('parallel_execute') as { results: { taskId: string; status: string }[] } | undefined;
    if (run === undefined) return [{ tool: 'parallel_execute', input: { taskIds: open.map((task) => task.id) } }];
    const retry = run.results.filter((result) => result.status !== 'done' && !state.has('execute_task', { taskId: result.taskId }));
    if (retry.length > 0) return retry.map((result) => ({ tool: 'execute_task', input: { taskId: result.taskId } }));
    const summary = state.find('aggregate_results') as { done: number; totalRecords: number } | undefined;
    if (summary === undefined) return [{ tool: 'aggregate_results', input: { taskIds: all.map((task) => task.id) } }];
    return answer(summary);
  },
  code: (state) => (state.outputs.length === 0 ? { javascript, python } : answer(state.outputs[0] as { done: number; totalRecords: number })),
});
