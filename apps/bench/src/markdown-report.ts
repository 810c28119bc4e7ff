import type { BreakEvenMap } from './break-even.ts';
import type { BenchReport, FigureLabel, ModeComparison, TokenSplit } from './bench-report.ts';
import type { BehaviourParameter } from './behaviour-model.ts';
import type { MatrixCell, MetricName } from './run-matrix.ts';
import { changeText, headlineCaveat, publishedFiguresText, simulatedContext } from './published-figures.ts';
import { spreadOf } from './stats.ts';
import { formatIdlePenalty, isTimedRow } from '@codecall/benchmarks/micro';
import type { IdlePenalty, PeerSubject } from '@codecall/benchmarks/micro';

/** `1234567` → `1,234,567`. */
export function formatInteger(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '–';
}

/** A count that may be an expected value (a code-mode cell's round trips at a failure rate): whole, or to one decimal. */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
}

/** Milliseconds, human scale. */
export function formatMs(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  if (value >= 10) return `${value.toFixed(0)} ms`;
  if (value >= 0.1 || value === 0) return `${value.toFixed(2)} ms`;
  return `${(value * 1000).toFixed(1)} µs`;
}

/** Seconds with one decimal (headline latency): `12345` → `12.3 s`. */
export function formatSeconds(value: number): string {
  return Number.isFinite(value) ? `${(value / 1000).toFixed(1)} s` : '–';
}

/** US dollars with enough digits for fractions of a cent. */
export function formatUsd(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (value === 0) return '$0';
  if (value >= 1) return `$${value.toFixed(2)}`;
  if (value >= 0.01) return `$${value.toFixed(4)}`;
  if (value >= 0.0001) return `$${value.toFixed(5)}`;
  return `$${value.toFixed(Math.min(12, 1 - Math.floor(Math.log10(value))))}`;
}

/** A ratio as `0.12x`. */
export function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value >= 10 ? value.toFixed(0) : value.toFixed(2)}x` : '–';
}

/** Bytes, human scale: `25600` → `25.6 kB`. */
export function formatBytes(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return value >= 1000 ? `${(value / 1000).toFixed(value >= 10_000 ? 0 : 1)} kB` : `${Math.round(value)} B`;
}

const median = (cell: MatrixCell | undefined, metric: MetricName): number => cell?.stats[metric]?.median ?? Number.NaN;

function spreadText(cell: MatrixCell, metric: MetricName, format: (value: number) => string): string {
  const spread = cell.stats[metric];
  if (spread === undefined) return '–';
  if (spread.min === spread.max) return format(spread.median);
  return `${format(spread.median)} (${format(spread.min)}–${format(spread.max)})`;
}

/** Label of a cell's mode and sandbox, e.g. `programmatic · isolated-vm`. */
export function cellLabel(cell: Pick<MatrixCell, 'mode' | 'sandbox'>): string {
  return cell.sandbox === 'none' ? cell.mode : `${cell.mode} · ${cell.sandbox}`;
}

/** The preset the summary speaks about: sonnet when measured, else the first. */
export function summaryPreset(report: BenchReport): string {
  const presets = report.parameters.presets.map((preset) => preset.id as string);
  return presets.includes('sonnet') ? 'sonnet' : (presets[0] ?? 'sonnet');
}

/** The sandbox the headline speaks about for programmatic mode: isolated-vm when measured, else the first measured one. */
export function referenceSandbox(report: BenchReport): string | undefined {
  const measured = report.cells.filter((cell) => cell.mode === 'programmatic' && cell.status === 'measured').map((cell) => cell.sandbox as string);
  return measured.includes('isolated-vm') ? 'isolated-vm' : measured[0];
}

/** How a report's figures are labelled: tokens and costs, model-side figures, correctness. */
export function reportLabels(report: Pick<BenchReport, 'parameters' | 'methods'>): { tokens: FigureLabel; model: FigureLabel; correct: FigureLabel; sandboxCost: FigureLabel } {
  const live = report.parameters.live;
  return { tokens: live ? 'measured' : 'token-proxy', model: live ? 'measured' : 'simulated', correct: live ? 'measured' : 'scripted', sandboxCost: report.methods.metrics.sandboxCostUsd.label };
}

function table(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const separator = header.map((_, index) => ((align?.[index] ?? 'l') === 'r' ? '---:' : '---'));
  return [header, separator, ...rows].map((row) => `| ${row.join(' | ')} |`).join('\n');
}

function ratioRange(values: readonly number[]): string {
  const sorted = [...values].filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return '–';
  return sorted.length === 1 || sorted[0] === sorted.at(-1) ? formatRatio(sorted[0]!) : `${formatRatio(sorted[0]!)}–${formatRatio(sorted.at(-1)!)}`;
}

function headlineComparisons(report: BenchReport, preset: string): ModeComparison[] {
  const sandbox = referenceSandbox(report);
  return report.comparisons.filter((comparison) => comparison.preset === preset && comparison.mode === 'programmatic' && comparison.sandbox === sandbox);
}

function comparisonText(comparison: ModeComparison): string {
  return `${formatUsd(comparison.codeCostUsd)} vs ${formatUsd(comparison.baselineCostUsd)} (${formatRatio(comparison.costRatio)}), ${formatSeconds(comparison.codeLatencyMs)} vs ${formatSeconds(comparison.baselineLatencyMs)} (${formatRatio(comparison.latencyRatio)})`;
}

function fromCallsText(map: BreakEvenMap, from: number | null): string {
  if (from === null) return `not up to ${map.axes.calls.at(-1) ?? '?'} calls`;
  return from === map.axes.calls[0] ? `from ${from} call${from === 1 ? '' : 's'} (the whole grid)` : `from ${from} calls`;
}

/** "cheaper from 8 calls at 1.6 kB per result; …", read off the break-even map at its headline failure rate. */
export function breakEvenAnswer(map: BreakEvenMap): string[] {
  const thresholds = map.thresholds.filter((threshold) => threshold.failureRate === map.headlineFailureRate);
  const describe = (pick: (threshold: BreakEvenMap['thresholds'][number]) => number | null): string =>
    thresholds.map((threshold) => `${formatBytes(threshold.resultBytes)} per result ${fromCallsText(map, pick(threshold))}`).join('; ');
  return [
    `- **Cheaper than parallel:** ${describe((threshold) => threshold.cheaperFromCalls)}.`,
    `- **Faster than parallel:** ${describe((threshold) => threshold.fasterFromCalls)}.`,
    `- (Program failure rate ${map.headlineFailureRate}; at ${map.axes.failureRates.filter((rate) => rate !== map.headlineFailureRate).join(' and ')} see the break-even map.)`,
  ];
}

function verdictLines(report: BenchReport, preset: string): string[] {
  const labels = reportLabels(report);
  const live = report.parameters.live;
  const lines: string[] = [];
  const headline = headlineComparisons(report, preset);
  const sandbox = referenceSandbox(report) ?? 'no sandbox';
  const loses = headline.filter((comparison) => !comparison.cheaper || !comparison.faster);
  const wins = headline.filter((comparison) => comparison.cheaper && comparison.faster);
  lines.push(
    `Programmatic calling on ${sandbox} against **parallel tool use** (Claude's default), ${preset} preset. Cost in US dollars [${labels.tokens}], latency in seconds [${labels.model}]; the sequential column is an ablation (forced serial tool use), not a baseline.`,
    '',
  );
  if (loses.length === 0) lines.push('- **Where code loses:** no scenario of this suite; see the break-even map for the small tasks where it would.');
  const published = report.publishedFigures ?? [];
  const disputed = (comparison: ModeComparison): string => {
    const text = headlineCaveat(comparison, published);
    return text === undefined ? '' : ` Real runs of this kind of work disagree with ${comparison.scenario}'s figures (${text}; see Published figures).`;
  };
  for (const comparison of loses) {
    const what = !comparison.cheaper && !comparison.faster ? 'costs more and is slower' : !comparison.cheaper ? 'costs more' : 'is slower';
    lines.push(`- **Code loses — ${comparison.scenario}:** programmatic ${what}: ${comparisonText(comparison)}.${disputed(comparison)}`);
  }
  if (wins.length > 0) {
    lines.push(
      `- **Code pays — ${wins.map((comparison) => comparison.scenario).join(', ')}:** cheaper (${ratioRange(wins.map((comparison) => comparison.costRatio))} of parallel's cost) and faster (${ratioRange(wins.map((comparison) => comparison.latencyRatio))} of its latency).${wins.map((comparison) => disputed(comparison)).join('')}`,
    );
  }
  if (report.breakEven.status === 'measured') {
    lines.push(`- **Break-even** (read off the map below, ${report.breakEven.preset}, one synthetic fan-out task per point, ${report.breakEven.headlineFailureRate} program failure rate):`);
    for (const line of breakEvenAnswer(report.breakEven)) lines.push(`  ${line}`);
  }
  if (report.calibration !== null && report.calibration.status === 'measured') {
    const failed = report.calibration.checks.filter((check) => !check.pass);
    lines.push(`- **Calibration against a published real run** (${report.calibration.preset}): ${report.calibration.pass ? `every target met (${report.calibration.checks.map((check) => check.value.split(' ')[0]).slice(0, 4).join(', ')} on tokens and latency, parallel then native${report.calibration.notes.some((note) => /by construction/.test(note)) ? '; the latency match is by construction, since two latency parameters were fitted to this run' : ''})` : `${failed.length} of ${report.calibration.checks.length} targets missed (${failed.map((check) => `${check.name}: ${check.value}`).join('; ')})`} — see Calibration.`);
  } else {
    lines.push(`- **Calibration:** not run${report.calibration?.reason === undefined ? '' : ` (${report.calibration.reason})`}: these figures are not checked against a published real run.`);
  }
  const compared = (report.publishedFigures ?? []).filter((comparison) => comparison.verdict !== 'no-scenario');
  if (compared.length > 0) {
    const outside = compared.filter((comparison) => comparison.verdict === 'outside');
    const inSample = compared.filter((comparison) => comparison.figure.inSample === true);
    lines.push(`- **Published figures the model was not fitted to** (${compared[0]!.preset}): ${compared.length - outside.length} of ${compared.length} consistent${inSample.length === 0 ? '' : `, ${compared.filter((comparison) => comparison.verdict !== 'outside' && comparison.figure.inSample !== true).length} of them out of sample (${inSample.map((comparison) => comparison.figure.id).join(', ')} in sample: a part of the model was designed after ${inSample.length === 1 ? 'it was' : 'each was'} missed)`}${outside.length === 0 ? '' : `; outside: ${outside.map((comparison) => `${comparison.figure.id} (simulated ${changeText(comparison.median)}, published ${comparison.figure.published})`).join(', ')}`} — see Published figures.`);
  }
  const unexpected = report.comparisons.filter((comparison) => comparison.preset === preset && comparison.asExpected === false);
  if (unexpected.length > 0) lines.push(`- **Not as the scenario expected** (relative to parallel): ${unexpected.map((comparison) => `${comparison.scenario} on ${comparison.sandbox} (${comparison.expectation})`).join(', ')}.`);
  const native = report.comparisons.filter((comparison) => comparison.preset === preset && comparison.mode === 'native');
  if (native.length > 0) {
    lines.push(`- **Native (hosted code execution)** against parallel: cost ${ratioRange(native.map((comparison) => comparison.costRatio))}, latency ${ratioRange(native.map((comparison) => comparison.latencyRatio))}; it needs one API round trip per batch of nested calls (${native.map((comparison) => `${comparison.scenario} ${comparison.codeRoundTrips}`).join(', ')}).`);
  }
  const hybrid = report.comparisons.filter((comparison) => comparison.preset === preset && comparison.mode === 'hybrid');
  if (hybrid.length > 0) {
    // Simulated: the recorded choice; live: whether the real model's first run wrote any program.
    const coded = hybrid.filter((comparison) => {
      const cell = hybridCell(report, comparison.scenario, preset);
      return cell?.hybrid === undefined ? (cell?.runs[0]?.codeRuns ?? 0) > 0 : cell.hybrid.choice === 'code';
    });
    lines.push(
      `- **Hybrid (direct tools and the code tool together; ${live ? 'the model chose' : 'the simulated model chooses once per task'})** against parallel: programs in ${coded.length} of ${hybrid.length} scenarios${coded.length === 0 ? '' : ` (${coded.map((comparison) => comparison.scenario).join(', ')})`}, ${live ? 'none in' : 'direct calls in'} the others; cost ${ratioRange(hybrid.map((comparison) => comparison.costRatio))}, latency ${ratioRange(hybrid.map((comparison) => comparison.latencyRatio))} — see Hybrid mode.`,
    );
  }
  const ablation = report.ablation.filter((comparison) => comparison.preset === preset && comparison.mode === 'programmatic' && comparison.sandbox === referenceSandbox(report));
  if (ablation.length > 0) {
    lines.push(`- **Ablation, against forced-serial tool use:** cost ${ratioRange(ablation.map((comparison) => comparison.costRatio))}, latency ${ratioRange(ablation.map((comparison) => comparison.latencyRatio))}. This is the comparison that flatters code most; it is not how Claude calls tools by default.`);
  }
  return lines;
}

/** The measured hybrid cell of a scenario and preset. */
export function hybridCell(report: BenchReport, scenarioId: string, preset: string): MatrixCell | undefined {
  return report.cells.find((cell) => cell.scenario === scenarioId && cell.preset === preset && cell.mode === 'hybrid' && cell.status === 'measured');
}

function hybridText(report: BenchReport, preset: string): string[] {
  const labels = reportLabels(report);
  const comparisons = report.comparisons.filter((comparison) => comparison.preset === preset && comparison.mode === 'hybrid');
  if (comparisons.length === 0) return ['Not in this report (no hybrid cell was measured beside a parallel one).'];
  const tokens = (split: TokenSplit): number => split.uncachedInput + split.cacheWrite + split.cacheRead + split.output;
  const rows = comparisons.map((comparison) => {
    const choice = hybridCell(report, comparison.scenario, preset)?.hybrid;
    return [
      comparison.scenario,
      choice === undefined ? '– (live: the model chose)' : choice.choice === 'code' ? 'programs' : 'direct calls',
      choice === undefined ? '–' : `${formatInteger(choice.programOutputTokens)} / ${formatInteger(choice.directResultTokens)} = ${Number.isFinite(choice.outputShare) ? choice.outputShare.toFixed(2) : '∞'}`,
      formatRatio(tokens(comparison.codeTokens) / tokens(comparison.baselineTokens)),
      formatRatio(comparison.costRatio),
      formatRatio(comparison.latencyRatio),
      `${formatCount(comparison.codeRoundTrips)} vs ${formatCount(comparison.baselineRoundTrips)}`,
    ];
  });
  const share = report.behaviour.find((parameter) => parameter.name === 'hybridCodeMaxOutputShare')?.value ?? 'the threshold';
  const shares = comparisons.flatMap((comparison) => {
    const choice = hybridCell(report, comparison.scenario, preset)?.hybrid;
    return choice === undefined ? [] : [choice.outputShare];
  });
  const below = shares.filter((value) => typeof share === 'number' && value <= share);
  const above = shares.filter((value) => typeof share === 'number' && value > share);
  const shareText = (value: number): string => (Number.isFinite(value) ? value.toFixed(2) : '∞');
  const robustness =
    shares.length === 0 || typeof share !== 'number'
      ? ''
      : ` Any threshold from ${below.length === 0 ? '0' : shareText(Math.max(...below))} up to (not including) ${above.length === 0 ? '∞' : shareText(Math.min(...above))} gives the same choices.`;
  return [
    `Hybrid mode offers the direct tools and the code tool in every request (so each request carries both). ${report.parameters.live ? 'The real model chose per step.' : `The simulated model decides once per task: it writes the scenario's programs when their output is at most ${share} of the tool-result tokens it would read by calling the tools directly, and calls the tools directly otherwise (hybridCodeMaxOutputShare: the measure and the threshold are assumptions, chosen after forced code mode missed the code-writing figure; Claude's documentation gives only qualitative criteria, which the measure approximates: programs fit fan-out and large results to filter, not strictly sequential calls with reasoning in between or a few small calls). Both figures come from a parallel and a programmatic run of the scenario made before its hybrid cells, not reported. A real model decides per step, and may call tools directly before it writes a program; this model does not.${robustness}`}`,
    '',
    table(
      ['scenario', 'chose', 'program output / direct results [token-proxy]', `tokens vs parallel [${labels.tokens}]`, `cost vs parallel [${labels.tokens}]`, `latency vs parallel [${labels.model}]`, `round trips vs parallel [${labels.model}]`],
      rows,
      ['l', 'l', 'r', 'r', 'r', 'r', 'r'],
    ),
  ];
}

/** The measured cells of one scenario's headline row: each mode, programmatic on `sandbox`. */
export function headlineCells(
  report: BenchReport,
  scenarioId: string,
  preset: string,
  sandbox: string | undefined,
): { parallel: MatrixCell | undefined; programmatic: MatrixCell | undefined; native: MatrixCell | undefined; sequential: MatrixCell | undefined } {
  const cells = report.cells.filter((cell) => cell.scenario === scenarioId && cell.preset === preset && cell.status === 'measured');
  const pick = (mode: string, wanted?: string): MatrixCell | undefined => cells.find((cell) => cell.mode === mode && (wanted === undefined || cell.sandbox === wanted));
  return { parallel: pick('parallel'), programmatic: sandbox === undefined ? undefined : pick('programmatic', sandbox), native: pick('native'), sequential: pick('sequential') };
}

function headlineTable(report: BenchReport, preset: string): string[] {
  const labels = reportLabels(report);
  const sandbox = referenceSandbox(report);
  const rows: string[][] = [];
  for (const scenario of report.scenarios) {
    const { parallel, programmatic, native, sequential } = headlineCells(report, scenario.id, preset, sandbox);
    const cost = (cell: MatrixCell | undefined): string => {
      if (cell === undefined) return '–';
      const sandboxCost = median(cell, 'sandboxCostUsd');
      return sandboxCost >= 0.01 * median(cell, 'totalCostUsd') ? `${formatUsd(median(cell, 'totalCostUsd'))} (sandbox ${formatUsd(sandboxCost)})` : formatUsd(median(cell, 'totalCostUsd'));
    };
    const latency = (cell: MatrixCell | undefined): string => (cell === undefined ? '–' : formatSeconds(median(cell, 'latencyMs')));
    const correct = [parallel, programmatic, native, sequential].filter((cell): cell is MatrixCell => cell !== undefined);
    rows.push([
      `${scenario.id} (${scenario.expectation})`,
      cost(parallel),
      latency(parallel),
      cost(programmatic),
      latency(programmatic),
      parallel === undefined || programmatic === undefined ? '–' : formatRatio(median(programmatic, 'totalCostUsd') / median(parallel, 'totalCostUsd')),
      parallel === undefined || programmatic === undefined ? '–' : formatRatio(median(programmatic, 'latencyMs') / median(parallel, 'latencyMs')),
      `${cost(native)} · ${latency(native)}`,
      `${cost(sequential)} · ${latency(sequential)}`,
      `${correct.filter((cell) => median(cell, 'correct') === 1).length}/${correct.length}`,
    ]);
  }
  return [
    table(
      [
        'scenario (expectation vs parallel)',
        `parallel: cost [${labels.tokens}]`,
        `parallel: latency [${labels.model}]`,
        `programmatic (${sandbox ?? '–'}): cost [${labels.tokens} + ${labels.sandboxCost}]`,
        `programmatic: latency [${labels.model}]`,
        `cost vs parallel [${labels.tokens}]`,
        `latency vs parallel [${labels.model}]`,
        `native (hosted): cost · latency [${labels.tokens} · ${labels.model}]`,
        `sequential, ablation: cost · latency [${labels.tokens} · ${labels.model}]`,
        `correct [${labels.correct}]`,
      ],
      rows,
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    `Cost: tokens at list prices (uncached input, cache writes 1.25x, cache reads 0.1x, output at the output price) plus sandbox billing (see Sandbox pricing in Methods), shown in brackets when it is at least 1% of the total. Latency: ${report.parameters.live ? 'measured' : 'simulated model time, tool latency (once per wave of calls) and hosted program start (native), plus measured execution'}. Correct: ${labels.correct === 'scripted' ? 'the scripted policy reached an answer the checker accepts (it shows the tool path works, not that a model would)' : 'the checker accepted the real model\'s answer'}.`,
  ];
}

const splitText = (split: TokenSplit): string[] => [formatInteger(split.uncachedInput), formatInteger(split.cacheWrite), formatInteger(split.cacheRead), formatInteger(split.output)];

function tokenTable(report: BenchReport, preset: string): string[] {
  const labels = reportLabels(report);
  const sandbox = referenceSandbox(report);
  const rows: string[][] = [];
  for (const scenario of report.scenarios) {
    for (const cell of report.cells.filter((candidate) => candidate.scenario === scenario.id && candidate.preset === preset && candidate.status === 'measured' && (candidate.mode !== 'programmatic' || candidate.sandbox === sandbox))) {
      rows.push([scenario.id, cellLabel(cell), ...splitText({ uncachedInput: median(cell, 'inputTokens'), cacheWrite: median(cell, 'cacheCreationInputTokens'), cacheRead: median(cell, 'cacheReadInputTokens'), output: median(cell, 'outputTokens') }), formatInteger(median(cell, 'toolResultTokens')), formatCount(median(cell, 'roundTrips'))]);
    }
  }
  return [
    table(
      ['scenario', 'mode', `uncached input [${labels.tokens}]`, `cache write [${labels.tokens}]`, `cache read [${labels.tokens}]`, `output [${labels.tokens}]`, 'tool-result tokens in context [token-proxy]', `round trips [${labels.model}]`],
      rows,
      ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  ];
}

function breakEvenText(report: BenchReport): string[] {
  const map = report.breakEven;
  if (map.status !== 'measured') return [`Skipped: ${map.reason}`];
  const labels = reportLabels(report);
  const grid = (label: string, value: (point: BreakEvenMap['points'][number]) => number): string =>
    table(
      [`${label}: result size \\ calls`, ...map.axes.calls.map(String)],
      map.axes.resultBytes.map((bytes) => [
        formatBytes(bytes),
        ...map.axes.calls.map((calls) => {
          const point = map.points.find((candidate) => candidate.calls === calls && candidate.resultBytes === bytes && candidate.failureRate === map.headlineFailureRate);
          if (point === undefined) return '–';
          const ratio = value(point);
          return ratio < 1 ? `**${formatRatio(ratio)}**` : formatRatio(ratio);
        }),
      ]),
      ['l', ...map.axes.calls.map(() => 'r' as const)],
    );
  const byRate = table(
    ['program failure rate', ...map.axes.resultBytes.map((bytes) => `${formatBytes(bytes)} per result: code cheaper / faster [${labels.tokens} / simulated]`)],
    map.axes.failureRates.map((rate) => [
      `${rate}${rate === map.headlineFailureRate ? ' (default)' : ''}`,
      ...map.axes.resultBytes.map((bytes) => {
        const threshold = map.thresholds.find((candidate) => candidate.failureRate === rate && candidate.resultBytes === bytes);
        return threshold === undefined ? '–' : `${fromCallsText(map, threshold.cheaperFromCalls)} / ${fromCallsText(map, threshold.fasterFromCalls)}`;
      }),
    ]),
  );
  return [
    `Programmatic (${map.sandbox}) against parallel tool use, ${map.preset} preset, program failure rate ${map.headlineFailureRate} (the behaviour layer's default). A ratio below 1 (bold) means code is cheaper or faster; the break-even line runs where the ratio crosses 1.`,
    '',
    `**Cost ratio, programmatic / parallel [${labels.tokens}]**`,
    '',
    grid(`cost ratio [${labels.tokens}]`, (point) => point.costRatio),
    '',
    `**Latency ratio, programmatic / parallel [simulated]**`,
    '',
    grid('latency ratio [simulated]', (point) => point.latencyRatio),
    '',
    ...breakEvenAnswer(map).slice(0, 2),
    '',
    '**Where the break-even line moves with the program failure rate** (a failed program is rewritten once, so failures cost output tokens, a round trip and time):',
    '',
    byRate,
    '',
    `Every point answered correctly [scripted]: ${map.points.every((point) => point.correct) ? 'yes' : `no (${[...new Set(map.points.filter((point) => !point.correct).map((point) => `${point.calls} calls × ${formatBytes(point.resultBytes)}`))].join(', ')})`}.`,
    '',
    `Method: ${map.method}`,
  ];
}

/** How the Methods table names a parameter's kind (reports before 'decomposed' existed call those 'measured-source'). */
function kindText(kind: BehaviourParameter['kind']): string {
  switch (kind) {
    case 'assumption':
      return '**assumption**';
    case 'calibrated':
      return '**calibrated** (fitted to a total of the calibration run)';
    case 'decomposed':
      return '**decomposed** from the calibration run (in sample for it)';
    case 'measured-source':
      return 'from a cited source';
  }
}

function calibrationText(report: BenchReport): string[] {
  const calibration = report.calibration;
  if (calibration === null) return ['Not run (`--live` or `--no-calibration`).'];
  if (calibration.status !== 'measured') return [`Skipped: ${calibration.reason ?? ''}`];
  const integer = (value: number): string => (Number.isNaN(value) ? '–' : formatInteger(value));
  return [
    `${calibration.source} Simulated with the ${calibration.preset} preset, ${calibration.context}, through the same matrix runner and behaviour layer as every scenario.`,
    '',
    table(
      ['run', 'request', 'metric', 'simulated [simulated]', 'published [measured, by the source]', 'simulated / published [simulated ÷ measured]'],
      calibration.rows.map((row) => [row.run, /^\d+$/.test(row.request) ? `request ${row.request}` : row.request, `${row.metric} (${row.unit})`, row.unit === 'ms' ? formatSeconds(row.simulated) : integer(row.simulated), row.unit === 'ms' ? formatSeconds(row.published) : integer(row.published), formatRatio(row.ratio)]),
      ['l', 'l', 'l', 'r', 'r', 'r'],
    ),
    '',
    table(['target', 'reached [simulated vs published]', 'met'], calibration.checks.map((check) => [check.name, check.value, check.pass ? 'yes' : '**no**'])),
    '',
    ...calibration.notes.map((note) => `- ${note}`),
  ];
}

function sandboxText(report: BenchReport, preset: string): string[] {
  const labels = reportLabels(report);
  const lines: string[] = [];
  const rows: string[][] = [];
  for (const sandbox of report.sandboxes.available) {
    const cells = report.cells.filter((cell) => cell.preset === preset && cell.mode === 'programmatic' && cell.sandbox === sandbox.id && cell.status === 'measured');
    if (cells.length === 0) continue;
    const times = spreadOf(cells.map((cell) => median(cell, 'sandboxTimeMs')));
    const correct = cells.filter((cell) => median(cell, 'correct') === 1).length;
    rows.push([sandbox.id, sandbox.language, formatMs(times.median), `${formatMs(times.min)}–${formatMs(times.max)}`, `${correct}/${cells.length}`, sandbox.description]);
  }
  const native = report.cells.filter((cell) => cell.preset === preset && cell.mode === 'native' && cell.status === 'measured');
  if (native.length > 0) {
    const times = spreadOf(native.map((cell) => median(cell, 'sandboxTimeMs')));
    const label = report.parameters.live ? '' : ' [simulated]';
    rows.push(['hosted (native)', native[0]?.language ?? 'python', `${formatMs(times.median)}${label}`, `${formatMs(times.min)}–${formatMs(times.max)}${label}`, `${native.filter((cell) => median(cell, 'correct') === 1).length}/${native.length}`, report.methods.nativeEmulation]);
  }
  for (const skipped of report.sandboxes.skipped) rows.push([skipped.id, '–', '–', '–', '–', `**skipped:** ${skipped.reason}`]);
  lines.push(table(['sandbox', 'language', 'median sandbox time per task [measured unless marked]', 'range over scenarios [measured unless marked]', `correct [${labels.correct}]`, 'configuration'], rows, ['l', 'l', 'r', 'r', 'r', 'l']));
  lines.push('');
  lines.push(
    `- Local sandbox time is milliseconds against seconds of model time: the choice between local sandboxes is about isolation, language and operations more than speed. ${report.parameters.live ? 'Hosted time (native) is not measured in a live run (0).' : 'Hosted time (native) is simulated, not measured: the behaviour layer\'s hosted program start per program (hostedProgramStartMs) plus the modelled tool latency of the waves of nested calls it waited on.'}`,
    '- **isolated-vm**: the fastest (warm isolates, no process per run); JavaScript only; supervised mode (the default) keeps a fatal V8 OOM out of the host.',
    '- **subprocess (node / python)**: an OS process per run from a warm pool; the only local choice for Python; jailed with bubblewrap it adds namespaces and no network.',
    "- **E2B**: a microVM per sandbox in E2B's cloud, for when one host is not enough; adds a network round trip per run.",
    '- **native (hosted)**: no sandbox to run yourself, but one API round trip per batch of nested calls and hosted container pricing.',
  );
  return lines;
}

function matrixTables(report: BenchReport): string[] {
  const labels = reportLabels(report);
  const lines: string[] = [];
  for (const preset of report.parameters.presets) {
    lines.push(`### ${preset.id} (${preset.model}, latency preset \`${preset.latency}\`)`, '');
    for (const scenario of report.scenarios) {
      const cells = report.cells.filter((cell) => cell.scenario === scenario.id && cell.preset === preset.id);
      lines.push(`**${scenario.title}** (\`${scenario.id}\`, expected: ${scenario.expected})`, '');
      const rows = cells.map((cell) =>
        cell.status !== 'measured'
          ? [cellLabel(cell), `**${cell.status}**: ${cell.reason ?? ''}`, '', '', '', '', '', '', '', '', '', '']
          : [
              cellLabel(cell),
              spreadText(cell, 'roundTrips', formatCount),
              formatInteger(median(cell, 'inputTokens')),
              formatInteger(median(cell, 'cacheCreationInputTokens')),
              formatInteger(median(cell, 'cacheReadInputTokens')),
              formatInteger(median(cell, 'outputTokens')),
              formatInteger(median(cell, 'toolResultTokens')),
              formatUsd(median(cell, 'tokenCostUsd')),
              `${spreadText(cell, 'sandboxTimeMs', formatMs)} / ${formatUsd(median(cell, 'sandboxCostUsd'))}`,
              formatMs(median(cell, 'modelTimeMs')),
              spreadText(cell, 'executionTimeMs', formatMs),
              `${formatInteger(cell.runs.reduce((sum, run) => sum + run.correct, 0))}/${cell.runs.length}`,
            ],
      );
      lines.push(
        table(
          [
            'mode · sandbox',
            `round trips [${labels.model}]`,
            `uncached input tok [${labels.tokens}]`,
            `cache write tok [${labels.tokens}]`,
            `cache read tok [${labels.tokens}]`,
            `output tok [${labels.tokens}]`,
            'tool-result tok [token-proxy]',
            `token cost [${labels.tokens}]`,
            `sandbox time [measured] / cost [${labels.sandboxCost}]`,
            `model time [${labels.model}]`,
            'execution time [measured]',
            `correct [${labels.correct}]`,
          ],
          rows,
          ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
        ),
        '',
      );
    }
  }
  return lines;
}

const humanKey = (key: string): string => key.replace(/([A-Z])/g, ' $1').toLowerCase();

function valueText(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? formatInteger(value) : String(Number(value.toPrecision(4)));
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.map(valueText).join(', ');
  if (typeof value === 'object' && value !== null) return Object.entries(value).map(([key, inner]) => `${humanKey(key)} ${valueText(inner)}`).join('; ');
  return '–';
}

function latencyTable(report: BenchReport): string[] {
  const entries = Object.entries(report.methods.latency);
  if (entries.every(([, value]) => typeof value !== 'object' || value === null)) return [`- **Latency:** ${entries.map(([name, value]) => `${name}: ${valueText(value)}`).join('; ')}`];
  const keys = [...new Set(entries.flatMap(([, value]) => Object.keys(value as object)))].filter((key) => key !== 'name' && key !== 'source');
  const sources = entries.map(([name, value]) => ({ name, source: (value as { source?: unknown }).source })).filter((entry) => typeof entry.source === 'string');
  return [
    '**Latency model per preset** (model time is modelled, not waited):',
    '',
    table(['preset', ...keys.map(humanKey)], entries.map(([name, value]) => [name, ...keys.map((key) => valueText((value as Record<string, unknown>)[key]))]), ['l', ...keys.map(() => 'r' as const)]),
    '',
    ...sources.map((entry) => `- Source, ${entry.name}: ${String(entry.source)}`),
  ];
}

function methodsText(report: BenchReport): string[] {
  const metrics = Object.entries(report.methods.metrics);
  return [
    '**Labels.** **[measured]**: timed or counted on this machine (or returned by the real API with `--live`). **[simulated]**: produced by the simulator\'s behaviour and latency models. **[token-proxy]**: counted with the o200k tokenizer as a proxy for Claude\'s, or priced from such counts. **[scripted]**: decided by the scenario\'s scripted policy and checker, not by a model.',
    '',
    `**Repetitions** (${report.parameters.repetitions} per cell) sample local timing only: ${report.parameters.live ? 'with --live each repetition is a real API run.' : 'the simulator is deterministic, so tokens, cost and modelled model time are the same in every repetition; only the measured execution and sandbox times vary.'}`,
    '',
    ...latencyTable(report),
    '',
    ...(report.behaviour.length === 0
      ? ['**Behaviour model:** none recorded in this report.', '']
      : ['**Behaviour model** (what the simulated model writes and does, applied to every scenario; values as this run applied them):', '', table(['parameter', 'value', 'unit', 'kind', 'source'], report.behaviour.map((row) => [row.name, valueText(row.value), row.unit, kindText(row.kind), row.source]), ['l', 'r', 'l', 'l', 'l']), '']),
    '**Metrics:**',
    '',
    table(['metric', 'unit', 'label', 'meaning'], metrics.map(([name, info]) => [name, info.unit, info.label, info.meaning])),
    '',
    `- **Tokens:** ${report.methods.tokenCounting}`,
    `- **Prices:** ${report.methods.prices}`,
    `- **Sandbox pricing:** ${report.methods.sandboxPricing}`,
    `- **Native mode:** ${report.methods.nativeEmulation}`,
    `- **Cells:** ${report.methods.cells}`,
    `- **Scenarios:** ${report.parameters.scenarioSources.join(', ')} (${report.scenarios.length}); format in \`benchmarks/scenarios/README.md\`.`,
    `- **Skipped sandboxes:** ${report.sandboxes.skipped.length === 0 ? 'none' : report.sandboxes.skipped.map((skipped) => `${skipped.id} — ${skipped.reason}`).join('; ')}`,
    `- **Command:** \`${report.parameters.command}\``,
    `- **Versions:** ${Object.entries(report.versions).map(([name, version]) => `${name} ${version}`).join(', ')}`,
  ];
}

function microText(report: BenchReport): string[] {
  if (report.micro.status === 'skipped') return [`Skipped: ${report.micro.reason ?? ''}`];
  const lines: string[] = [];
  for (const section of report.micro.sections) {
    if (section.status !== 'measured') {
      lines.push(`- **${section.suite}**: ${section.status} — ${section.reason ?? ''}`);
      continue;
    }
    const load = section.details?.['load'] as { start?: { loadAverage?: number[]; cores?: number } } | undefined;
    const loadText = load?.start?.loadAverage === undefined ? '' : `; machine load ${load.start.loadAverage.map((value) => value.toFixed(2)).join('/')} on ${String(load.start.cores)} cores at its start`;
    const idlePenalty = section.details?.['idlePenalty'] as IdlePenalty | undefined;
    const idleText = idlePenalty === undefined ? '' : `; ${formatIdlePenalty(idlePenalty)}`;
    const methodText = section.suite === 'peers' ? 'medians over interleaved rounds; ratio = subject / codecall in-process in the same rounds' : 'medians of tinybench samples; ratio = codecall / raw baseline of the same run';
    lines.push(`**${section.suite}** [measured, ${methodText}${loadText}${idleText}]`, '');
    // The peers suite names what each subject is, or why it was not measured.
    const subjects = section.details?.['subjects'] as readonly PeerSubject[] | undefined;
    if (Array.isArray(subjects)) {
      lines.push(...subjects.map((subject) => (subject.status === 'measured' ? `- **${subject.subject}**: ${subject.label}; ${subject.isolation}` : `- **${subject.subject}**: skipped, ${subject.reason ?? ''}`)), '');
    }
    lines.push(
      table(
        ['subject', 'workload', 'median [measured]', 'p75 [measured]', 'samples [measured]', 'ratio to baseline [measured]', 'target'],
        section.rows.map((row) => [row.subject, row.name, isTimedRow(row) ? formatMs(row.medianMs) : '-', isTimedRow(row) ? formatMs(row.p75Ms) : '-', row.samples === 0 ? 'derived' : String(row.samples), row.ratio === undefined ? 'baseline' : `${formatRatio(row.ratio)} of ${row.baseline ?? ''}`, row.target === undefined ? '' : `${row.target} ${row.pass === true ? '✔' : row.pass === false ? '✘' : ''}`]),
        ['l', 'l', 'r', 'r', 'r', 'l', 'l'],
      ),
      '',
    );
  }
  return lines;
}

function compactnessText(report: BenchReport): string[] {
  const { compactness } = report;
  if (compactness.status === 'skipped' || compactness.result === undefined) return [`Skipped: ${compactness.reason ?? ''}`];
  const result = compactness.result;
  return [
    `${formatInteger(result.tools)} tools of \`${result.corpus.split('/').slice(-3).join('/')}\` in ${result.batches.length} batches; tokenizer: ${result.tokenizer} [token-proxy]. Method: ${result.method}.`,
    '',
    table(
      ['form', 'tokens [token-proxy]', 'vs JSON, total [token-proxy]', 'vs JSON, median batch [token-proxy]', 'descriptions kept [measured]'],
      [
        ['compact JSON tool definitions', formatInteger(result.totals.jsonTokens), '1.00x', '1.00x', `${result.descriptionsKept.of}/${result.descriptionsKept.of}`],
        ['TypeScript declarations', formatInteger(result.totals.typescriptTokens), formatRatio(result.typescriptRatio), formatRatio(result.typescriptMedianBatchRatio), `${result.descriptionsKept.typescript}/${result.descriptionsKept.of}`],
        ['Python declarations', formatInteger(result.totals.pythonTokens), formatRatio(result.pythonRatio), formatRatio(result.pythonMedianBatchRatio), `${result.descriptionsKept.python}/${result.descriptionsKept.of}`],
      ],
      ['l', 'r', 'r', 'r', 'r'],
    ),
    ...(result.rejected.length > 0 ? ['', `${result.rejected.length} tools rejected by the toolset: ${result.rejected.slice(0, 5).map((entry) => entry.name).join(', ')}…`] : []),
  ];
}


/** The report's Markdown in three parts: title and meta, the verdict, everything else (the HTML report puts its charts between the verdict and the rest). */
export function markdownSections(report: BenchReport): { title: string[]; verdict: string[]; details: string[] } {
  const preset = summaryPreset(report);
  const live = report.parameters.live;
  const title = [
    '# codecall benchmark',
    '',
    `${report.date} · ${String(report.machine['cpu'])} × ${String(report.machine['cores'])} cores · Node ${report.versions['node'] ?? ''} · ${live ? '**live Anthropic API**' : 'Messages API simulator (scripted policies under a behaviour and latency model)'} · ${report.parameters.repetitions} repetition(s) per cell, sampling local timing only · ${formatMs(report.durationMs)} total`,
    '',
  ];
  const verdict = [`## Verdict: when does programmatic calling pay? (${preset}, against parallel tool use)`, '', ...verdictLines(report, preset), '', ...headlineTable(report, preset), ''];
  const details = [
    `## Tokens by class (${preset})`,
    '',
    'Each class has its own price, so they are never added up in a headline.',
    '',
    ...tokenTable(report, preset),
    '',
    `## Hybrid mode: the model chooses (${preset})`,
    '',
    ...hybridText(report, preset),
    '',
    '## Break-even map',
    '',
    ...breakEvenText(report),
    '',
    '## Calibration',
    '',
    ...calibrationText(report),
    '',
    '## Published figures (out of sample)',
    '',
    ...publishedFiguresText(report.publishedFigures ?? [], simulatedContext(report.parameters.bare), report.parameters.live),
    '',
    `## Which sandbox should I pick? (${preset})`,
    '',
    ...sandboxText(report, preset),
    '',
    '## Micro-benchmarks (per sandbox, beside a raw baseline of the same run)',
    '',
    ...microText(report),
    '',
    '## Declaration compactness',
    '',
    ...compactnessText(report),
    '',
    '## Full matrix',
    '',
    'Every cell: scenario × mode × sandbox × model preset. Direct modes run no code (sandbox `none`); native runs hosted code (`hosted`); hybrid offers direct tools and the code tool on the sandbox shown. Round trips and times show median (min–max) when they varied.',
    '',
    ...matrixTables(report),
    '## Methods',
    '',
    ...methodsText(report),
    '',
  ];
  return { title, verdict, details };
}

/** The Markdown report: the verdict against parallel first, then every figure, then the methods. */
export function renderMarkdownReport(report: BenchReport): string {
  const { title, verdict, details } = markdownSections(report);
  return [...title, ...verdict, ...details].join('\n');
}

/** Comparisons that did not match their scenario's expectation (programmatic against parallel). */
export function unexpectedComparisons(report: BenchReport): ModeComparison[] {
  return report.comparisons.filter((comparison) => comparison.asExpected === false);
}
