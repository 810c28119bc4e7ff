import { countTokens } from '@codecall/anthropic/simulator';
import type { PolicyBlock, PolicyRequest, PolicyTurn, SimulatorPolicy } from '@codecall/anthropic/simulator';
import { uniformOf } from '@codecall/bench-scenarios';
import { defaultBehaviour, fillerComments, fillerText } from './behaviour-model.ts';
import type { BehaviourSettings } from './behaviour-model.ts';
import { directStepOf, isOutputDeclared } from './scenario.ts';
import type { CodeState, DirectState, Scenario, ScenarioToolCall, ScenarioToolResult } from './scenario.ts';

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

/** One program run found in the conversation: the code as written, its stdout, and its failure. */
export interface ProgramRun {
  /** The code the model wrote. */
  readonly code: string;
  /** What it printed. */
  readonly stdout: string;
  /** The error text when it failed, else `undefined`. */
  readonly failure: string | undefined;
}

function codeOf(input: unknown): string {
  const code = asRecord(input)['code'];
  return typeof code === 'string' ? code : '';
}

/** Every program run of the conversation, in order (local code tool runs or hosted runs). */
export function programRunsOf(request: PolicyRequest): ProgramRun[] {
  if (request.mode === 'native') {
    const codes = new Map<string, string>();
    for (const message of request.messages) {
      if (message.role !== 'assistant' || typeof message.content === 'string') continue;
      for (const block of message.content) if (block.type === 'server_tool_use') codes.set(block.id, codeOf(block.input));
    }
    return request.codeExecutionResults.map((run) => ({
      code: codes.get(run.toolUseId) ?? '',
      stdout: run.stdout,
      failure: run.returnCode !== 0 ? `return code ${run.returnCode}: ${run.stderr}` : undefined,
    }));
  }
  return request.toolResults
    .filter((result) => result.kind === 'code_tool')
    .map((result) => ({ code: codeOf(result.input), stdout: stdoutOfCodeToolResult(result.content), failure: result.isError ? result.content : undefined }));
}

/** Builds the view a code-mode policy sees from a simulator request (every program run counted as the scenario's). */
export function codeStateOf(request: PolicyRequest): CodeState {
  const runs = programRunsOf(request);
  const language = request.mode === 'native' ? request.codeExecution?.language : request.codeTool?.language;
  return {
    task: request.task,
    mode: request.mode === 'native' ? 'native' : 'programmatic',
    language: language === 'python' ? 'python' : 'javascript',
    outputs: runs.map((run) => parseProgramOutput(run.stdout)),
    failure: runs.at(-1)?.failure,
  };
}

// First lines that mark the programs the behaviour layer adds, so that a stateless policy can tell
// them from the scenario's own programs when it reads the conversation back.
const explorationMarker = { python: '# First look at what the tools return.', javascript: '// First look at what the tools return.' } as const;
const brokenLine = { python: 'print(len(summary_rows))', javascript: 'console.log(summaryRows.length);' } as const;

function padTo(text: string, tokens: number, salt: string): string {
  const missing = tokens - countTokens(text);
  if (missing <= 1) return text;
  const filler = fillerText(missing - 1, salt);
  return text === '' ? filler : `${text} ${filler}`;
}

/** What the behaviour layer plans in code modes before the scenario's first program. */
interface CodePlan {
  /** Calls of the exploration program (empty: no exploration). */
  readonly exploration: readonly ScenarioToolCall[];
}

function codePlanOf(scenario: Scenario, behaviour: BehaviourSettings): CodePlan {
  if (behaviour.explorationMaxCalls === 0) return { exploration: [] };
  // A first program that only prints what its calls return is itself the look at the results.
  if (firstProgramShowsResults(scenario)) return { exploration: [] };
  // The calls the model would start with (the direct policy's first step, which needs no results).
  let first: readonly ScenarioToolCall[] = [];
  try {
    const turn = scenario.direct({ task: scenario.task, turn: 0, parallel: true, results: [], find: () => undefined, has: () => false });
    first = directStepOf(turn)?.calls ?? [];
  } catch {
    first = [];
  }
  const seen = new Set<string>();
  const exploration: ScenarioToolCall[] = [];
  for (const call of first) {
    if (seen.has(call.tool) || isOutputDeclared(scenario, call.tool) || scenario.sideEffectTools?.includes(call.tool) === true) continue;
    seen.add(call.tool);
    exploration.push(call);
    if (exploration.length >= behaviour.explorationMaxCalls) break;
  }
  return { exploration };
}

function firstProgramShowsResults(scenario: Scenario): boolean {
  try {
    const first = scenario.code({ task: scenario.task, mode: 'programmatic', language: 'javascript', outputs: [], failure: undefined });
    return typeof first !== 'string' && first.showsResults === true;
  } catch {
    return false;
  }
}

function explorationProgram(calls: readonly ScenarioToolCall[], language: 'javascript' | 'python', behaviour: BehaviourSettings, salt: string): string {
  const limit = behaviour.explorationSampleChars;
  const lines =
    language === 'python'
      ? [
          explorationMarker.python,
          'import json',
          ...calls.flatMap((call, index) => [
            `sample_${index} = await ${call.tool}(${JSON.stringify(call.input ?? {})})`,
            `print(${JSON.stringify(`${call.tool}:`)}, (sample_${index} if isinstance(sample_${index}, str) else json.dumps(sample_${index}))[:${limit}])`,
          ]),
        ]
      : [
          explorationMarker.javascript,
          ...calls.flatMap((call, index) => [
            `const sample${index} = await ${call.tool}(${JSON.stringify(call.input ?? {})});`,
            `console.log(${JSON.stringify(`${call.tool}:`)}, (typeof sample${index} === 'string' ? sample${index} : JSON.stringify(sample${index})).slice(0, ${limit}));`,
          ]),
        ];
  const body = lines.join('\n');
  const comments = fillerComments(behaviour.explorationProgramTokens - countTokens(body), salt, language);
  return comments === '' ? body : `${lines[0]!}\n${comments}\n${lines.slice(1).join('\n')}`;
}

/**
 * In native mode the API hands nested results to the code as text. A model writes `json.loads` at
 * its calls; the layer writes it once, as wrappers, so the scenario's script stays the same in
 * every mode (its tokens count like any other line the model writes).
 */
function nativeJsonPrelude(callable: readonly string[], language: 'javascript' | 'python'): string {
  if (callable.length === 0) return '';
  if (language === 'javascript') {
    // The JavaScript stand-in for hosted Python (when no Python sandbox is available).
    return [
      'const _parsed = (tool) => async (...args) => {',
      '  const text = await tool(...args);',
      '  try { return typeof text === \'string\' ? JSON.parse(text) : text; } catch { return text; }',
      '};',
      ...callable.map((name) => `const ${name} = _parsed(globalThis.${name});`),
    ].join('\n');
  }
  return [
    'import json as _json',
    'def _parsed(tool):',
    '    async def call(*args, **kwargs):',
    '        text = await tool(*args, **kwargs)',
    '        try:',
    '            return _json.loads(text) if isinstance(text, str) else text',
    '        except ValueError:',
    '            return text',
    '    return call',
    ...callable.map((name) => `${name} = _parsed(${name})`),
  ].join('\n');
}

function writtenProgram(script: string, options: { language: 'javascript' | 'python'; native: boolean; callable: readonly string[]; behaviour: BehaviourSettings; salt: string; broken: boolean }): string {
  const { language } = options;
  const prelude = options.native ? nativeJsonPrelude(options.callable, language) : '';
  const comments = fillerComments(options.behaviour.programCommentaryTokens, options.salt, language);
  return [prelude, comments, options.broken ? brokenLine[language] : '', script].filter((part) => part !== '').join('\n');
}

/** What the simulated model does with a task in hybrid mode, and the figures it decided on. */
export interface HybridChoice {
  /** `code`: it writes the scenario's programs (as in programmatic mode); `direct`: it calls the tools (as in parallel mode). */
  readonly choice: 'code' | 'direct';
  /** Tool-result tokens the scenario's programs return to the model (their output). */
  readonly programOutputTokens: number;
  /** Tool-result tokens the model reads when it calls the tools directly. */
  readonly directResultTokens: number;
  /** `programOutputTokens / directResultTokens` (`Infinity` when the direct results are empty). */
  readonly outputShare: number;
}

/**
 * The hybrid-mode choice for a task: programs when their output is at most
 * `behaviour.hybridCodeMaxOutputShare` of the results the model would read by calling the tools
 * directly (a program pays by keeping results out of the context), direct calls otherwise.
 *
 * @example
 * ```ts
 * hybridChoiceOf(320, 10_800, defaultBehaviour).choice; // 'code': the program returns 3% of the results
 * hybridChoiceOf(2_570, 2_280, defaultBehaviour).choice; // 'direct': the model reads the files either way
 * ```
 */
export function hybridChoiceOf(programOutputTokens: number, directResultTokens: number, behaviour: Pick<BehaviourSettings, 'hybridCodeMaxOutputShare'>): HybridChoice {
  const outputShare = directResultTokens > 0 ? programOutputTokens / directResultTokens : Number.POSITIVE_INFINITY;
  return { choice: outputShare <= behaviour.hybridCodeMaxOutputShare ? 'code' : 'direct', programOutputTokens, directResultTokens, outputShare };
}

/** Options of `scenarioPolicy`. */
export interface ScenarioPolicyOptions {
  /**
   * How the model plays hybrid requests (direct tools and the code tool together): `code` writes
   * the scenario's programs, `direct` calls the tools. Default `code`.
   */
  readonly hybrid?: 'code' | 'direct';
}

/**
 * Turns a scenario into a simulator policy for every mode, applying the behaviour layer (see
 * `behaviour-model.ts`): text before calls and programs, programs as a model writes them (comments,
 * prints), an exploration program when the first tools' result shapes are not declared, failed
 * first attempts at `programFailureRate` (seeded per scenario and program), reasoning text before
 * data-dependent steps, and final answers of the modelled length. `direct` plays sequential and
 * parallel mode, `code` plays programmatic and native mode, and hybrid requests follow
 * `options.hybrid`. A scenario program that fails on its
 * own ends the run with an answer that says so (the checker then marks it wrong).
 */
export function scenarioPolicy(scenario: Scenario, behaviour: BehaviourSettings = defaultBehaviour, options: ScenarioPolicyOptions = {}): SimulatorPolicy {
  const plan = codePlanOf(scenario, behaviour);
  const fails = (index: number): boolean => behaviour.programFailureRate > 0 && uniformOf(`${behaviour.seed}:${scenario.id}:program-${index}`) < behaviour.programFailureRate;

  return (request): PolicyTurn => {
    // The simulator calls a request with the code tool and any direct tool `hybrid`; a programmatic
    // run whose direct tools are only the agent's other tools is still programmatic for the scenario.
    if (request.mode === 'hybrid' && options.hybrid === 'direct' && offersScenarioToolsDirectly(request)) return directTurn(request);
    if (request.mode === 'programmatic' || request.mode === 'native' || request.mode === 'hybrid') return codeTurn(request);
    return directTurn(request);
  };

  function offersScenarioToolsDirectly(request: PolicyRequest): boolean {
    const direct = new Set(request.tools.filter((tool) => tool.type === 'custom' && tool.name !== request.codeTool?.name).map((tool) => tool.name));
    return scenario.tools.every((tool) => direct.has(tool.name));
  }

  function directTurn(request: PolicyRequest): PolicyTurn {
    const state = directStateOf(request);
    const next = scenario.direct(state);
    const salt = `${scenario.id}:direct:${request.turn}`;
    if (typeof next === 'string') {
      const target = behaviour.finalAnswerTokens + behaviour.finalAnswerTokensPerDirectResult * state.results.length;
      return padTo(next, target, salt);
    }
    const step = directStepOf(next)!;
    if (step.calls.length === 0) throw new Error(`scenario ${scenario.id}: the direct policy asked for no call and gave no answer`);
    const textTokens = behaviour.textPerTurnTokens + (step.dataDependent === true ? behaviour.dataDependentReasoningTokens : 0);
    const text = padTo(step.text ?? '', textTokens, salt);
    const blocks: PolicyBlock[] = text === '' ? [] : [{ type: 'text', text }];
    for (const call of step.calls) blocks.push({ type: 'tool_use', name: call.tool, input: call.input ?? {} });
    return blocks;
  }

  function codeTurn(request: PolicyRequest): PolicyTurn {
    const native = request.mode === 'native';
    const language: 'javascript' | 'python' = (native ? request.codeExecution?.language : request.codeTool?.language) === 'python' ? 'python' : 'javascript';
    const callable = native ? (request.codeExecution?.callableTools ?? []) : [];
    const runs = programRunsOf(request);
    const program = (script: string, text: string, salt: string, broken: boolean): PolicyTurn => [
      { type: 'text', text },
      { type: 'code', code: writtenProgram(script, { language, native, callable, behaviour, salt, broken }) },
    ];

    // Replay the plan against the runs so far: exploration, then per scenario program an optional
    // failed attempt and the program itself.
    let index = 0;
    let afterDataDependent = false;
    let afterFailure = false;
    if (plan.exploration.length > 0) {
      if (runs.length === 0) {
        const salt = `${scenario.id}:explore`;
        return [
          { type: 'text', text: padTo('The result formats are not documented, so I will look at a sample first.', behaviour.textPerTurnTokens, salt) },
          { type: 'code', code: explorationProgram(plan.exploration, language, behaviour, salt) },
        ];
      }
      if (runs[0]!.code.includes(explorationMarker[language])) index = 1;
    }
    const outputs: unknown[] = [];
    for (let programIndex = 0; ; programIndex++) {
      const state: CodeState = { task: request.task, mode: native ? 'native' : 'programmatic', language, outputs: [...outputs], failure: undefined };
      const next = scenario.code(state);
      const salt = `${scenario.id}:program-${programIndex}`;
      if (typeof next === 'string') return padTo(next, behaviour.finalAnswerTokens, salt);
      const script = language === 'python' ? next.python : next.javascript;
      const textTokens = behaviour.textPerTurnTokens + (afterDataDependent ? behaviour.dataDependentReasoningTokens : 0);
      if (fails(programIndex)) {
        const attempt = runs[index];
        if (attempt === undefined) return program(script, padTo(next.text ?? '', textTokens, salt), salt, true);
        index++;
        afterFailure = attempt.failure !== undefined;
      }
      const run = runs[index];
      if (run === undefined) {
        const lead = afterFailure ? `That failed; here is the corrected program.${next.text === undefined ? '' : ` ${next.text}`}` : (next.text ?? '');
        return program(script, padTo(lead, textTokens, `${salt}:final`), `${salt}:final`, false);
      }
      index++;
      if (run.failure !== undefined) return `The program failed: ${run.failure}`;
      outputs.push(parseProgramOutput(run.stdout));
      afterDataDependent = next.dataDependent === true;
      afterFailure = false;
    }
  }
}
