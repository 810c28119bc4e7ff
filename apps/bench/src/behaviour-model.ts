// The simulated model's behaviour around a scenario's scripted decisions: how much it writes, how it
// explores, how often its programs fail, what the hosted tool adds and how long things take. One
// generic, parameterized layer applied by the harness to every scenario (external files included);
// every parameter has a cited source or is labelled an assumption, and all are listed in
// `behaviourParameters` for the report's Methods table.
import { countTokens, defaultNestedCallBatchWindowMs, latencyPresets, messageOverheadTokens } from '@codecall/anthropic/simulator';

/** The behaviour layer's settings. Every field has a default in `defaultBehaviour` (see `behaviourParameters` for sources). */
export interface BehaviourSettings {
  /** Text the model writes before its tool calls or its program in a turn (one or two sentences), in tokens. */
  readonly textPerTurnTokens: number;
  /**
   * Tokens a `tool_use` block costs beyond its name and JSON input (the model's call syntax), in
   * output when written and in input when read back. Applied by the simulator.
   */
  readonly toolUseOverheadTokens: number;
  /** Extra text before a step marked data-dependent (the model reasons over the results it read), in tokens. */
  readonly dataDependentReasoningTokens: number;
  /** Tokens a program as written carries beyond its bare script: comments, descriptive names, progress prints, blank lines. */
  readonly programCommentaryTokens: number;
  /** Length of the final answer when the model reports a computed result (code modes), in tokens. */
  readonly finalAnswerTokens: number;
  /**
   * Extra final-answer tokens per tool result the model read directly (direct modes): with raw data
   * in context, the model restates the figures it aggregated.
   */
  readonly finalAnswerTokensPerDirectResult: number;
  /** Length of an exploration program (calls each undeclared tool once, prints a sample), in tokens as written. */
  readonly explorationProgramTokens: number;
  /** Characters of each result an exploration program prints. */
  readonly explorationSampleChars: number;
  /** Most tools one exploration program calls. */
  readonly explorationMaxCalls: number;
  /**
   * Probability that a program fails on its first attempt and is rewritten after reading the error
   * (0–1). The matrix and the break-even map report expected values at this rate (a run without
   * failures and one where every program fails once, mixed); `scenarioPolicy` on its own draws
   * failures per scenario program from `seed` when the rate is between 0 and 1.
   */
  readonly programFailureRate: number;
  /** Seed of the deterministic failure draws. */
  readonly seed: string;
  /** Input tokens the hosted code-execution tool adds to every request that offers it (definitions and instructions the API injects). Applied by the simulator. */
  readonly codeExecutionToolTokens: number;
  /** Time of a response that only carries nested calls of hosted code (no model output), in milliseconds. Applied by the simulator. */
  readonly continuationRoundTripMs: number;
  /** Time a hosted code-execution run adds beyond its tool calls (container and interpreter start, result upload), per program, in milliseconds. */
  readonly hostedProgramStartMs: number;
  /** Latency of one tool call (an HTTP or database request behind the tool), in milliseconds; concurrent calls pay it once per wave. */
  readonly toolLatencyMs: number;
  /** Tokens of the system prompt every run carries (0 with `bare`). */
  readonly systemPromptTokens: number;
  /** Tool definitions beside the scenario's, never called (an agent's other tools; 0 with `bare`). */
  readonly extraTools: number;
  /** Tokens of each extra tool definition (name, description, input schema). */
  readonly extraToolTokens: number;
  /**
   * Hybrid mode (direct tools and the code tool offered together): the model writes programs for a
   * task when they would return at most this share of the tool-result tokens it would otherwise
   * read (0.5: programs must at least halve what it reads), and calls the tools directly when it
   * must read the results itself. Decided once per task (see `hybridChoiceOf`).
   */
  readonly hybridCodeMaxOutputShare: number;
}

/**
 * Where a parameter's value comes from: a cited measurement or document independent of the
 * calibration run (`measured-source`); a decomposition of that run's per-request figures into the
 * generic layer's parts (`decomposed`: taken from the very run the calibration compares against, so
 * in sample for it); a fit of a total of that run (`calibrated`: the residual the other parameters
 * leave, a match by construction); or a stated assumption. For the `decomposed` and `calibrated`
 * ones the calibration is partly circular, and the published figures of other runs are the
 * out-of-sample check.
 */
export type BehaviourParameterKind = 'measured-source' | 'decomposed' | 'calibrated' | 'assumption';

/** One parameter of the behaviour layer as the report's Methods table lists it. */
export interface BehaviourParameter {
  /** Parameter name (a `BehaviourSettings` field, or `latency.<preset>.<field>`, `cache.<preset>.minCacheableTokens`). */
  readonly name: string;
  /** Value as applied by default. */
  readonly value: number | string;
  /** Unit of the value. */
  readonly unit: string;
  /** Where the value comes from (document, calibration figure and the arithmetic), or why it is assumed. */
  readonly source: string;
  /** `measured-source`: from a cited measurement/document other than the calibration run; `decomposed`: split out of the calibration run's per-request figures, arithmetic in `source`; `calibrated`: fitted to a total of that run, arithmetic in `source`; `assumption`: chosen, stated as such. */
  readonly kind: BehaviourParameterKind;
}

const cookbook = 'Anthropic cookbook "Programmatic tool calling", claude-sonnet-4-5 (../shared/calibration/README.md)';

/**
 * The defaults. Token parameters derived from the cookbook run are decompositions of its
 * per-request figures (arithmetic in `behaviourParameters`), not fits of its totals.
 */
export const defaultBehaviour: BehaviourSettings = {
  textPerTurnTokens: 34,
  toolUseOverheadTokens: 43,
  dataDependentReasoningTokens: 40,
  programCommentaryTokens: 110,
  finalAnswerTokens: 205,
  finalAnswerTokensPerDirectResult: 60,
  explorationProgramTokens: 150,
  explorationSampleChars: 1_200,
  explorationMaxCalls: 2,
  programFailureRate: 0.1,
  seed: 'codecall-bench-v1',
  codeExecutionToolTokens: 2_275,
  continuationRoundTripMs: 1_000,
  hostedProgramStartMs: 5_150,
  toolLatencyMs: 100,
  systemPromptTokens: 2_000,
  extraTools: 20,
  extraToolTokens: 150,
  hybridCodeMaxOutputShare: 0.5,
};

/**
 * Quiet time that closes a wave of tool calls in the matrix, in milliseconds: calls started within
 * it of each other are one wave (concurrent), and pay `toolLatencyMs` once.
 */
export const toolWaveWindowMs = 20;

/** Settings with `bare` context: no system prompt, no extra tools (as in the cookbook run). */
export function bareBehaviour(settings: BehaviourSettings): BehaviourSettings {
  return { ...settings, systemPromptTokens: 0, extraTools: 0 };
}

/** Resolves partial settings over the defaults, checking ranges. */
export function resolveBehaviour(overrides: Partial<BehaviourSettings> = {}): BehaviourSettings {
  const settings = { ...defaultBehaviour, ...overrides };
  for (const [name, value] of Object.entries(settings)) {
    if (typeof value === 'number' && (!Number.isFinite(value) || value < 0)) throw new RangeError(`behaviour.${name} must be a finite number >= 0, got ${String(value)}`);
  }
  if (settings.programFailureRate > 1) throw new RangeError(`behaviour.programFailureRate must be between 0 and 1, got ${settings.programFailureRate}`);
  return settings;
}

function row(name: keyof BehaviourSettings, unit: string, kind: BehaviourParameterKind, source: string): BehaviourParameter {
  return { name, value: defaultBehaviour[name], unit, source, kind };
}

/** Every parameter of the simulated model, with value, unit, source and kind: the Methods table. */
export const behaviourParameters: readonly BehaviourParameter[] = [
  row('textPerTurnTokens', 'tokens/turn', 'decomposed', `${cookbook}: request 1 wrote 85 output tokens for a sentence and one call, request 2 497 for a sentence and 8 calls. With the replica's calls (8 and 15 o200k tokens of name and JSON input) the two equations give 43 tokens of call syntax per call and 85 - 8 - 43 = 34 tokens of text per turn.`),
  row('toolUseOverheadTokens', 'tokens/call', 'decomposed', `${cookbook}: requests 1 and 2: (497 - 85 - 8 x 15 + 8) / 7 = 43 tokens per tool_use block beyond its name and JSON input. Request 3 is consistent with it (34 + 40 + 4 x (10 + 43) = 286 against 290 published), but not an independent check: its 40 tokens of data-dependent reasoning and its 4 calls are split out of that same request.`),
  row('dataDependentReasoningTokens', 'tokens/step', 'decomposed', `${cookbook}: request 3 wrote 290 output tokens for its text, its reasoning over the expense lists and the custom-budget calls. With 34 tokens of text per turn and 4 calls at 10 + 43 tokens each, 290 - 34 - 4 x 53 = 44 remain; the layer uses 40 (two sentences naming what the model found) before every step that needs reasoning over results read so far. The 4 calls are not published: they are inferred from this same request with this same figure (see finalAnswerTokensPerDirectResult), so the two are circular and request 3 checks neither.`),
  row('programCommentaryTokens', 'tokens/program', 'decomposed', `${cookbook}: the two programs were 539 and 679 output tokens. Minus the text per turn (34), the call syntax (43), the reasoning before the second (40) and the replica's scripts as sent with their json.loads wrappers (333 and 471 o200k tokens), 129 and 91 tokens remain: about 110 tokens of comments, names and prints per program.`),
  row('finalAnswerTokens', 'tokens', 'decomposed', `${cookbook}: the PTC run's final answer was 205 output tokens.`),
  row('finalAnswerTokensPerDirectResult', 'tokens/result', 'decomposed', `${cookbook}: the classic run's final answer was 992 tokens after reading 13 tool results (1 team, 8 expense lists, 4 budgets: request 3 had (290 - 34 - 40) / 53 = 4 calls): (992 - 205) / 13 = 60 per result. The linear form is an assumption.`),
  row('explorationProgramTokens', 'tokens/program', 'assumption', 'ASSUMPTION: a short program that calls each undeclared tool once and prints a slice of the result, with a comment or two.'),
  row('explorationSampleChars', 'characters', 'assumption', 'ASSUMPTION: the model prints about a screenful of each result (json.dumps(result)[:1200]).'),
  row('explorationMaxCalls', 'calls', 'assumption', 'ASSUMPTION: the model explores the tools of its first step (at most two), never tools with side effects, and not before a first program that only prints what its calls return (that program is the look at the results; scenarios mark such programs showsResults, and a test runs every program to check the mark).'),
  row('programFailureRate', 'probability', 'assumption', 'ASSUMPTION: one program in ten fails on the first attempt (wrong shape, a name error) and is rewritten after the error; no public per-program failure rate exists. The cookbook run had none. The matrix reports code-mode cells as expected values at this rate (a run without and a run with failures, mixed), as the break-even map does.'),
  row('seed', '', 'assumption', 'Seed of the failure draws of scenarioPolicy at a rate between 0 and 1 (per scenario and program index). The matrix does not draw: its code-mode cells are expected values at the rate.'),
  row('codeExecutionToolTokens', 'tokens/request', 'decomposed', `${cookbook}: the first request was 4,134 input tokens with the code-execution tool and 1,859 without, same message and tools: about 2,275 tokens per request.`),
  row('continuationRoundTripMs', 'ms/round trip', 'assumption', `ASSUMPTION: a response that only carries nested calls of hosted code (0 input and 0 output tokens in ${cookbook}) still costs a round trip: about 1 s of request handling, container resume and network.`),
  row('hostedProgramStartMs', 'ms/program', 'calibrated', `CALIBRATED to ${cookbook}: the PTC run took 34.88 s. Less 3 model turns at 1.80 s to first token, 14,496 tokens of prefill at 20,000 tokens/s (0.72 s), 1,423 output tokens at 83 tokens/s (17.14 s), one continuation round trip (1.00 s) and 3 waves of tool calls at 100 ms, 10.31 s remain for its 2 hosted programs: 5.15 s each (container and interpreter start, program run, result upload). Anthropic publishes no per-program figure; this is the residual of one run.`),
  row('toolLatencyMs', 'ms/call', 'assumption', 'ASSUMPTION: each tool is an internal HTTP or database request of about 100 ms; concurrent calls (one parallel turn, one asyncio.gather) pay it once, serial calls each time.'),
  row('systemPromptTokens', 'tokens', 'assumption', 'ASSUMPTION: a production agent carries about 2,000 tokens of system prompt (role, policies, formatting rules); 0 with --bare (the cookbook run had none).'),
  row('extraTools', 'tools', 'assumption', 'ASSUMPTION: a production agent offers about 20 other tools beside the task\'s (never called here); 0 with --bare.'),
  row('extraToolTokens', 'tokens/tool', 'assumption', 'ASSUMPTION: about 150 tokens per tool definition (name, two-sentence description, small input schema).'),
  row('hybridCodeMaxOutputShare', 'share of result tokens', 'assumption', 'ASSUMPTION (the measure and the threshold are ours): in hybrid mode the model writes programs for a task only when their output would be at most half the tool-result tokens it would read by calling the tools directly, and otherwise calls them directly, deciding once per task. Claude\'s documentation (../shared/calibration/README.md, section 2) gives qualitative criteria only: fan-out, large results to filter and agentic search fit; strictly sequential calls with reasoning in between, and a few small calls, do not. This measure approximates them by whether a program keeps results out of the model\'s context; it was chosen after forced code mode was seen to miss the code-writing figure. Real sessions chose programs rarely (replacing several reads by one program in 5% of uses). The matrix measures the share per scenario (a programmatic run and a parallel run before its hybrid cells) and the report lists each share with the choice it gave.'),
  ...(['haiku', 'sonnet', 'opus'] as const).flatMap((preset): BehaviourParameter[] => {
    const model = latencyPresets[preset];
    return [
      { name: `latency.${preset}.timeToFirstTokenMs`, value: model.timeToFirstTokenMs, unit: 'ms/request', source: model.source, kind: 'measured-source' },
      { name: `latency.${preset}.outputTokensPerSecond`, value: model.outputTokensPerSecond, unit: 'tokens/s', source: model.source, kind: preset === 'sonnet' ? 'calibrated' : 'measured-source' },
      { name: `latency.${preset}.inputTokensPerSecond`, value: model.inputTokensPerSecond, unit: 'tokens/s', source: 'ASSUMPTION (no public source): prefill rate of uncached input.', kind: 'assumption' },
      { name: `latency.${preset}.cachedInputTokensPerSecond`, value: model.cachedInputTokensPerSecond, unit: 'tokens/s', source: 'ASSUMPTION: cached input 10x faster than uncached (cache reads are priced at 0.1x).', kind: 'assumption' },
    ];
  }),
  { name: 'cache.haiku.minCacheableTokens', value: 4_096, unit: 'tokens', source: 'Anthropic docs, "Prompt caching": 4,096 tokens for Claude Haiku 4.5.', kind: 'measured-source' },
  { name: 'cache.sonnet.minCacheableTokens', value: 1_024, unit: 'tokens', source: 'Anthropic docs, "Prompt caching": 1,024 tokens for Claude Sonnet 4.5 and 4.6.', kind: 'measured-source' },
  { name: 'cache.opus.minCacheableTokens', value: 4_096, unit: 'tokens', source: 'Anthropic docs, "Prompt caching": 4,096 tokens for Claude Opus 4.5.', kind: 'measured-source' },
  { name: 'toolUseSystemPromptTokens', value: 346, unit: 'tokens/request', source: 'Anthropic docs, tool-use pricing: 346 tokens of tool-use system prompt for Claude 4-class models with tool_choice auto.', kind: 'measured-source' },
  { name: 'messageOverheadTokens', value: messageOverheadTokens, unit: 'tokens/message', source: 'ASSUMPTION: role markers around each message; Anthropic does not publish its framing, so the simulator takes the 3 tokens per message that OpenAI documents for its chat format (OpenAI cookbook, "How to count tokens with tiktoken"), with the o200k tokenizer below.', kind: 'assumption' },
  { name: 'nestedCallBatchWindowMs', value: defaultNestedCallBatchWindowMs, unit: 'ms', source: 'ASSUMPTION (emulation of hosted code execution): nested calls a program starts within this quiet time of each other go back to the client in one response, a call started later in the next; how the API batches them is not published. Decides native mode\'s continuation round trips when a program starts calls at different moments; not part of the modelled latency.', kind: 'assumption' },
  { name: 'toolWaveWindowMs', value: toolWaveWindowMs, unit: 'ms', source: 'ASSUMPTION (benchmark device): tool calls that start within this quiet time of each other count as one wave of concurrent calls, which pays toolLatencyMs once; the matrix holds each call until the wave is complete, and that holding is taken out of the measured times. Decides toolWaves and so the modelled tool latency.', kind: 'assumption' },
  { name: 'tokenizer', value: 'o200k_base', unit: '', source: 'ASSUMPTION: o200k (gpt-tokenizer) stands in for Claude\'s tokenizer, which is not public; absolute counts differ, ratios between modes hold.', kind: 'assumption' },
];

// Plain words that are one o200k token each with a leading space, no digits (checkers look for
// numbers and ids in answers) and no negations (checkers may look for "none" or "not").
const vocabulary = [
  'the', 'results', 'show', 'that', 'each', 'item', 'was', 'checked', 'against', 'its', 'limit', 'and', 'summary', 'below', 'lists', 'what', 'matters', 'most',
  'for', 'this', 'request', 'based', 'on', 'data', 'from', 'tools', 'above', 'with', 'totals', 'per', 'person', 'where', 'relevant', 'overall', 'picture', 'is',
  'clear', 'here', 'details', 'follow', 'in', 'order', 'of', 'importance', 'as', 'found', 'during', 'review', 'then', 'we', 'can', 'see', 'which', 'entries',
];

/** Deterministic prose of about `tokens` o200k tokens (no digits), e.g. a model's sentence or the body of its comments. */
export function fillerText(tokens: number, salt: string): string {
  if (tokens <= 0) return '';
  let state = 0;
  for (const character of salt) state = (Math.imul(state, 31) + character.charCodeAt(0)) >>> 0;
  const words: string[] = [];
  for (let index = 0; index < tokens; index++) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    words.push(vocabulary[(state >>> 8) % vocabulary.length]!);
  }
  // Sentences of about twelve words.
  const sentences: string[] = [];
  for (let start = 0; start < words.length; start += 12) {
    const part = words.slice(start, start + 12).join(' ');
    sentences.push(`${part.charAt(0).toUpperCase()}${part.slice(1)}.`);
  }
  let text = sentences.join(' ');
  // Trim to the target (punctuation and capitals can add a token here and there).
  while (countTokens(text) > tokens && text.includes(' ')) text = `${text.slice(0, text.lastIndexOf(' '))}.`;
  return text;
}

/** `fillerText` as comment lines of a program (`#` or `//`), about `tokens` tokens in all. */
export function fillerComments(tokens: number, salt: string, language: 'javascript' | 'python'): string {
  if (tokens <= 0) return '';
  const prefix = language === 'python' ? '# ' : '// ';
  const words = fillerText(tokens, salt).split(' ');
  const lines: string[] = [];
  for (let start = 0; start < words.length; start += 14) lines.push(`${prefix}${words.slice(start, start + 14).join(' ')}`);
  // Each comment marker costs a token or so: drop words until the comments fit the budget.
  let text = lines.join('\n');
  while (countTokens(text) > tokens && text.includes(' ')) text = text.slice(0, text.lastIndexOf(' '));
  return text;
}
