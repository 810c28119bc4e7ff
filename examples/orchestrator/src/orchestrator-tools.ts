// A task-orchestration toolset over one project folder. A lead (the model) plans a feature as tasks
// for agent roles, runs them, unblocks them and reads the outcome. Everything is kept in
// `<project>/tasks.json`, and each finished task leaves a short report in `<project>/reports/`.
// The "agents" are deterministic stand-ins: executing a task writes what that role would deliver.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createToolset, defineTool, ToolError } from '@codecall/core';
import type { Toolset } from '@codecall/core';
import { z } from 'zod';

/** Where a task is in its life. */
export type TaskStatus = 'assigned' | 'blocked' | 'completed';

/** One task as stored in `tasks.json`. */
export interface Task {
  task_id: string;
  agent_id: string;
  description: string;
  dependencies: string[];
  status: TaskStatus;
  /** Why the task cannot go on, while it is blocked. */
  blocker?: string;
  /** How past blockers were resolved. */
  resolutions: string[];
  /** What the agent delivered, once completed. */
  output?: string;
  /** Project-relative path of the task's report, once completed. */
  report?: string;
}

/** A task as the tools return it. */
export interface TaskView {
  task_id: string;
  agent_id: string;
  status: TaskStatus;
  blocker?: string;
  output?: string;
}

interface State {
  tasks: Task[];
}

/** Settings of `createTools`. */
export interface OrchestratorSettings {
  /** The project folder; state and reports are written there. Default: the current directory. */
  projectDir?: string;
}

/** What each role hands in when it finishes a task. */
const deliverables: Record<string, string> = {
  architect: 'design notes',
  'backend-dev': 'server code and migrations',
  'frontend-dev': 'UI components',
  'qa-engineer': 'a test suite',
  'devops-engineer': 'deployment configuration',
};

// Work that needs something from outside the team stops at a blocker the first time it runs.
const externalNeeds: [RegExp, string][] = [
  [/\boauth\b/i, 'Waiting for OAuth client credentials from the identity provider.'],
  [/\bpayment/i, 'Waiting for a sandbox account with the payment provider.'],
];

// One writer per project folder at a time, so concurrent tool calls never lose an update.
const queues = new Map<string, Promise<unknown>>();

function serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.then(work, work);
  queues.set(key, next.catch(() => undefined));
  return next;
}

/**
 * The orchestration tools for one project folder.
 *
 * @example
 * ```ts
 * const tools = createTools({ projectDir: '/tmp/project' });
 * await runCode({ sandbox, tools, language: 'python', code: 'assign_task("architect", "T-1", "Design the schema")' });
 * ```
 */
export function createTools(settings: OrchestratorSettings = {}): Toolset {
  const projectDir = resolve(settings.projectDir ?? process.cwd());
  const statePath = join(projectDir, 'tasks.json');

  async function load(): Promise<State> {
    try {
      return JSON.parse(await readFile(statePath, 'utf8')) as State;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { tasks: [] };
      throw error;
    }
  }

  async function save(state: State): Promise<void> {
    await mkdir(projectDir, { recursive: true });
    const temporary = `${statePath}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`);
    await rename(temporary, statePath);
  }

  const update = <T>(change: (state: State) => Promise<T> | T): Promise<T> =>
    serialized(projectDir, async () => {
      const state = await load();
      const outcome = await change(state);
      await save(state);
      return outcome;
    });

  function find(state: State, taskId: string): Task {
    const task = state.tasks.find((candidate) => candidate.task_id === taskId);
    if (task === undefined) throw new ToolError('INVALID_INPUT', `No task ${taskId}; assign it first (list_tasks shows the known ones).`);
    return task;
  }

  function view(task: Task): TaskView {
    return {
      task_id: task.task_id,
      agent_id: task.agent_id,
      status: task.status,
      ...(task.blocker === undefined ? {} : { blocker: task.blocker }),
      ...(task.output === undefined ? {} : { output: task.output }),
    };
  }

  async function execute(state: State, taskId: string): Promise<TaskView> {
    const task = find(state, taskId);
    if (task.status === 'completed') return view(task);
    const waiting = task.dependencies.filter((id) => state.tasks.find((other) => other.task_id === id)?.status !== 'completed');
    if (waiting.length > 0) {
      task.status = 'blocked';
      task.blocker = `Waiting for ${waiting.join(', ')} to be completed.`;
      return view(task);
    }
    const need = externalNeeds.find(([pattern]) => pattern.test(task.description));
    if (need !== undefined && task.resolutions.length === 0) {
      task.status = 'blocked';
      task.blocker = need[1];
      return view(task);
    }
    const deliverable = deliverables[task.agent_id] ?? 'its deliverable';
    task.status = 'completed';
    delete task.blocker;
    task.output = `${task.agent_id} delivered ${deliverable} for: ${task.description}`;
    task.report = join('reports', `${task.task_id}.md`);
    const notes = task.resolutions.map((resolution) => `- Unblocked: ${resolution}`).join('\n');
    await mkdir(join(projectDir, 'reports'), { recursive: true });
    await writeFile(join(projectDir, task.report), `# ${task.task_id}: ${task.description}\n\nAgent: ${task.agent_id}\n\n${task.output}\n${notes === '' ? '' : `\n${notes}\n`}`);
    return view(task);
  }

  const taskView = z.object({
    task_id: z.string(),
    agent_id: z.string(),
    status: z.enum(['assigned', 'blocked', 'completed']),
    blocker: z.string().optional().describe('Why the task cannot go on.'),
    output: z.string().optional().describe('What the agent delivered.'),
  });

  return createToolset([
    defineTool({
      name: 'assign_task',
      description: 'Assign a new task to an agent role (architect, backend-dev, frontend-dev, qa-engineer, devops-engineer).',
      input: z.object({
        agent_id: z.string().describe('The agent role, e.g. backend-dev.'),
        task_id: z.string().describe('A unique id, e.g. AUTH-1.'),
        description: z.string().describe('What the agent should do.'),
        dependencies: z.array(z.string()).optional().describe('Ids of tasks that must be completed first.'),
      }),
      output: taskView,
      execute: ({ agent_id, task_id, description, dependencies }) =>
        update((state) => {
          if (state.tasks.some((task) => task.task_id === task_id)) throw new ToolError('INVALID_INPUT', `Task ${task_id} exists already.`);
          const task: Task = { task_id, agent_id, description, dependencies: dependencies ?? [], status: 'assigned', resolutions: [] };
          state.tasks.push(task);
          return view(task);
        }),
    }),
    defineTool({
      name: 'execute_task',
      description: 'Have the assigned agent work on a task. It completes, or stops at a blocker (unfinished dependencies, something needed from outside).',
      input: z.object({ task_id: z.string() }),
      output: taskView,
      execute: ({ task_id }) => update((state) => execute(state, task_id)),
    }),
    defineTool({
      name: 'execute_parallel',
      description: 'Have several agents work at once, one task each; returns each task in the order given.',
      input: z.object({ task_ids: z.array(z.string()).min(1) }),
      output: z.array(taskView),
      execute: ({ task_ids }) =>
        update(async (state) => {
          const results: TaskView[] = [];
          for (const id of task_ids) results.push(await execute(state, id));
          return results;
        }),
    }),
    defineTool({
      name: 'get_task_status',
      description: 'The status of one task.',
      input: z.object({ task_id: z.string() }),
      output: taskView,
      execute: ({ task_id }) => serialized(projectDir, async () => view(find(await load(), task_id))),
    }),
    defineTool({
      name: 'resolve_blocker',
      description: 'Record how a blocked task was unblocked; the task can then be executed again.',
      input: z.object({ task_id: z.string(), resolution: z.string().describe('What was done about the blocker.') }),
      output: taskView,
      execute: ({ task_id, resolution }) =>
        update((state) => {
          const task = find(state, task_id);
          if (task.status !== 'blocked') throw new ToolError('INVALID_INPUT', `Task ${task_id} is ${task.status}, not blocked.`);
          task.resolutions.push(resolution);
          task.status = 'assigned';
          delete task.blocker;
          return view(task);
        }),
    }),
    defineTool({
      name: 'aggregate_results',
      description: 'Sum up tasks (all of them when task_ids is omitted): counts by status, deliverables by agent, report files.',
      input: z.object({ task_ids: z.array(z.string()).optional() }),
      output: z.object({
        completed: z.number(),
        blocked: z.number(),
        assigned: z.number(),
        by_agent: z.record(z.string(), z.array(z.string())),
        reports: z.array(z.string()),
      }),
      execute: ({ task_ids }) =>
        serialized(projectDir, async () => {
          const state = await load();
          const tasks = task_ids === undefined ? state.tasks : task_ids.map((id) => find(state, id));
          const byAgent: Record<string, string[]> = {};
          for (const task of tasks) if (task.output !== undefined) (byAgent[task.agent_id] ??= []).push(task.task_id);
          const count = (status: TaskStatus): number => tasks.filter((task) => task.status === status).length;
          return {
            completed: count('completed'),
            blocked: count('blocked'),
            assigned: count('assigned'),
            by_agent: byAgent,
            reports: tasks.flatMap((task) => (task.report === undefined ? [] : [task.report])),
          };
        }),
    }),
    defineTool({
      name: 'list_tasks',
      description: 'Every task of the project, optionally only those with one status.',
      input: z.object({ status: z.enum(['assigned', 'blocked', 'completed']).optional() }),
      output: z.array(taskView),
      execute: ({ status }) =>
        serialized(projectDir, async () => (await load()).tasks.filter((task) => status === undefined || task.status === status).map(view)),
    }),
  ]);
}

/** The tools over the current directory, for `codecall agent --tools` without `--project-dir`. */
export const tools: Toolset = createTools();

/**
 * What `codecall agent` uses unless told otherwise: the program is Python, run in a (jailed)
 * subprocess; without ANTHROPIC_API_KEY the simulator plays the model with the example's policy.
 */
export const agentDefaults = { sandbox: 'subprocess', language: 'python', simulate: './orchestrator-policy.ts' } as const;
