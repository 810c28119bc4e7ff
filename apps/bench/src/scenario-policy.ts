import type { PolicyRequest, PolicyTurn, SimulatorPolicy } from '@codecall/anthropic/simulator';
import { directStepOf } from './scenario.ts';
import type { CodeState, DirectState, Scenario, ScenarioToolResult } from './scenario.ts';

function matches(input: Readonly<Record<string, unknown>>, wanted: Readonly<Record<string, unknown>> | undefined): boolean {
  if (wanted === undefined) return true;
  return Object.entries(wanted).every(([key, value]) => input[key] === value);
}

function asRecord(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Builds the view a direct-mode policy sees from a simulator request. */
export function directStateOf(request: PolicyRequest): DirectState {
  const results: ScenarioToolResult[] = request.toolResults
    .filter((result) => result.kind === 'direct')
    .map((result) => ({ tool: result.toolName, input: asRecord(result.input), value: result.value, isError: result.isError }));
  return {
    task: request.task,
    turn: request.turn,
    parallel: request.parallelToolUse,
    results,
    find: (tool, input) => results.find((result) => result.tool === tool && !result.isError && matches(result.input, input))?.value,
    has: (tool, input) => results.some((result) => result.tool === tool && matches(result.input, input)),
  };
}

/**
 * The program's output by the scenario convention: the last non-empty stdout line, JSON-parsed
 * (the text itself when it is not JSON); `undefined` when nothing was printed.
 */
export function parseProgramOutput(stdout: string): unknown {
  const lines = stdout.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  const last = lines.at(-1);
  if (last === undefined) return undefined;
  try {
    return JSON.parse(last) as unknown;
  } catch {
    return last;
  }
}

// The code tool's result text (`formatRunResult`): `Output:` (stdout), `Stderr:`, then
// `Return value:` or `Error: …`. Stdout is the part of the Output section before the others.
function stdoutOfCodeToolResult(content: string): string {
  if (!content.startsWith('Output:\n')) return '';
  const body = content.slice('Output:\n'.length);
  const lines = body.split('\n');
  const end = lines.findIndex((line) => line === 'Stderr:' || line === 'Return value:' || line.startsWith('Error: ') || line.startsWith('(output past the sandbox limit'));
  return (end === -1 ? lines : lines.slice(0, end)).join('\n');
}

/** Builds the view a code-mode policy sees from a simulator request. */
export function codeStateOf(request: PolicyRequest): CodeState {
  if (request.mode === 'native') {
    const runs = request.codeExecutionResults;
    const last = runs.at(-1);
    return {
      task: request.task,
      mode: 'native',
      language: request.codeExecution?.language === 'python' ? 'python' : 'javascript',
      outputs: runs.map((run) => parseProgramOutput(run.stdout)),
      failure: last !== undefined && last.returnCode !== 0 ? `return code ${last.returnCode}: ${last.stderr}` : undefined,
    };
  }
  const runs = request.toolResults.filter((result) => result.kind === 'code_tool');
  const last = runs.at(-1);
  return {
    task: request.task,
    mode: 'programmatic',
    language: request.codeTool?.language === 'python' ? 'python' : 'javascript',
    outputs: runs.map((run) => parseProgramOutput(stdoutOfCodeToolResult(run.content))),
    failure: last?.isError === true ? last.content : undefined,
  };
}

/**
 * Turns a scenario into a simulator policy for every mode: `direct` plays sequential and parallel
 * mode, `code` plays programmatic and native mode. A failed program ends the run with an answer
 * that says so (the checker then marks it wrong): the benchmark measures competent behaviour, not
 * recovery.
 */
export function scenarioPolicy(scenario: Scenario): SimulatorPolicy {
  return (request): PolicyTurn => {
    if (request.mode === 'programmatic' || request.mode === 'native' || request.mode === 'hybrid') {
      const state = codeStateOf(request);
      if (state.failure !== undefined) return `The program failed: ${state.failure}`;
      const next = scenario.code(state);
      if (typeof next === 'string') return next;
      return [{ type: 'code', code: state.language === 'python' ? next.python : next.javascript }];
    }
    const next = scenario.direct(directStateOf(request));
    if (typeof next === 'string') return next;
    const step = directStepOf(next)!;
    if (step.calls.length === 0) throw new Error(`scenario ${scenario.id}: the direct policy asked for no call and gave no answer`);
    return step.calls.map((call) => ({ type: 'tool_use' as const, name: call.tool, input: call.input ?? {} }));
  };
}
