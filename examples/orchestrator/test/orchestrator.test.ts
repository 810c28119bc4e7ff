import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCode } from '@codecall/core';
import { createSubprocessSandbox } from '@codecall/sandbox-subprocess';
import { afterEach, describe, expect, it } from 'vitest';
import { plan } from '../src/orchestrator-policy.ts';
import { createTools } from '../src/orchestrator-tools.ts';
import type { Task } from '../src/orchestrator-tools.ts';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));
const codecallBin = join(createRequire(import.meta.url).resolve('@codecall/anthropic/package.json'), '..', 'bin', 'codecall.js');

const projects: string[] = [];
function newProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'orchestrator-'));
  projects.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of projects.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('orchestrator example', () => {
  it('runs offline with the exact documented command: the tools module names its simulator policy', () => {
    const projectDir = newProject();
    const run = spawnSync(
      process.execPath,
      [codecallBin, 'agent', '--tools', 'src/orchestrator-tools.ts', '--project-dir', projectDir, '--prompt', 'Implement user auth', '--verbose'],
      { cwd: exampleDir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ANTHROPIC_API_KEY: '' } },
    );
    expect(run.stderr).not.toMatch(/Error:/);
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/simulator at http:\/\/127\.0\.0\.1:\d+ \(policy .*orchestrator-policy\.ts/);
    expect(run.stdout).toMatch(/^Done: 5 of 5 tasks completed/);
  });

  it('runs end to end through the codecall CLI, printing each nested call', () => {
    const projectDir = newProject();
    const run = spawnSync(
      process.execPath,
      [codecallBin, 'agent', '--tools', 'src/orchestrator-tools.ts', '--simulate', 'src/orchestrator-policy.ts', '--project-dir', projectDir, '--prompt', 'Implement user auth', '--verbose'],
      { cwd: exampleDir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ANTHROPIC_API_KEY: '' } },
    );
    expect(run.stderr).not.toMatch(/Error:/);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Done: 5 of 5 tasks completed for user auth by architect \(AUTH-1\); backend-dev \(AUTH-2, AUTH-4\)/);
    expect(run.stdout).toMatch(/tool calls \(direct \/ nested\)\s+0 \/ 18/);

    // The program is synchronous-style Python: no await, positional arguments, a top-level result.
    expect(run.stderr).toMatch(/▶ code \(python\):/);
    expect(run.stderr).toContain('assign_task(agent, task_id, description, dependencies=dependencies)');
    expect(run.stderr).not.toMatch(/┆ .*\bawait\b/);
    // --verbose: every nested call, in the order it happened, with its whole input and output.
    const nested = [...run.stderr.matchAll(/^ {4}↳ (\w+)\((.*)\) → (.*) \(\d+ ms\)$/gm)].map((match) => match[1]);
    expect(nested).toEqual([
      ...plan.map(() => 'assign_task'),
      'execute_task',
      'execute_parallel',
      'execute_task',
      'resolve_blocker',
      'execute_task',
      'execute_task',
      ...plan.map(() => 'get_task_status'),
      'aggregate_results',
      'list_tasks',
    ]);
    expect(run.stderr).toContain('"blocker":"Waiting for OAuth client credentials from the identity provider."');

    const state = JSON.parse(readFileSync(join(projectDir, 'tasks.json'), 'utf8')) as { tasks: Task[] };
    expect(state.tasks.map((task) => [task.task_id, task.status])).toEqual(plan.map(([, id]) => [id, 'completed']));
    expect(state.tasks.find((task) => task.task_id === 'AUTH-4')?.resolutions).toHaveLength(1);
    for (const [, id] of plan) expect(existsSync(join(projectDir, 'reports', `${id}.md`))).toBe(true);
  });

  it('runs orchestration Python unchanged through runCode on the jailed subprocess sandbox', async () => {
    const projectDir = newProject();
    await using sandbox = createSubprocessSandbox({ languages: ['python'] });
    expect(sandbox.capabilities.isolation).toBe('jail');
    const code = [
      'import asyncio',
      'assign_task("architect", "T-1", "Sketch the schema")',
      'assign_task("backend-dev", "T-2", "Write the migrations", dependencies=["T-1"])',
      'assign_task({"agent_id": "frontend-dev", "task_id": "T-3", "description": "Draw the forms"})',
      'first = await asyncio.gather(execute_task("T-1"), execute_task(task_id="T-3"))',
      'second = execute_task("T-2")',
      'ids = ["T-1", "T-2", "T-3"]',
      'result = {',
      '    "first": [t["status"] for t in first],',
      '    "second": second["status"],',
      '    "done": all(get_task_status(t)["status"] == "completed" for t in ids),',
      '}',
    ].join('\n');
    const result = await runCode({ sandbox, tools: createTools({ projectDir }), language: 'python', code });
    expect(result.type === 'error' ? result.error : undefined).toBeUndefined();
    expect(result).toMatchObject({ type: 'success', value: { first: ['completed', 'completed'], second: 'completed', done: true } });
    expect(result.toolCalls.map((call) => call.name)).toEqual([
      'assign_task', 'assign_task', 'assign_task', 'execute_task', 'execute_task', 'execute_task', 'get_task_status', 'get_task_status', 'get_task_status',
    ]);
    expect(result.toolCalls[1]?.input).toEqual({ agent_id: 'backend-dev', task_id: 'T-2', description: 'Write the migrations', dependencies: ['T-1'] });
  });
});
