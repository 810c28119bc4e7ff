import type { BenchReport, ModeComparison } from './bench-report.ts';
import { tokensOf } from './bench-report.ts';
import type { MatrixCell, MetricName } from './run-matrix.ts';

/** `1234567` → `1,234,567`. */
export function formatInteger(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '–';
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

/** US dollars with enough digits for fractions of a cent. */
export function formatUsd(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (value >= 1) return `$${value.toFixed(2)}`;
  if (value >= 0.01) return `$${value.toFixed(4)}`;
  return `$${value.toFixed(5)}`;
}

/** A ratio as `0.12x`. */
export function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value >= 10 ? value.toFixed(0) : value.toFixed(2)}x` : '–';
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

function table(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const separator = header.map((_, index) => ((align?.[index] ?? 'l') === 'r' ? '---:' : '---'));
  return [header, separator, ...rows].map((row) => `| ${row.join(' | ')} |`).join('\n');
}

function pct(from: number, to: number): string {
  if (!Number.isFinite(from) || !Number.isFinite(to) || from === 0) return '–';
  const change = (to / from - 1) * 100;
  return `${change > 0 ? '+' : ''}${change.toFixed(0)}%`;
}

function findingsText(report: BenchReport, preset: string): string[] {
  const lines: string[] = [];
  const programmatic = report.comparisons.filter((comparison) => comparison.preset === preset && comparison.mode === 'programmatic');
  const reference = programmatic.filter((comparison) => comparison.sandbox === 'isolated-vm');
  const pool = reference.length > 0 ? reference : programmatic;
  const wins = pool.filter((comparison) => comparison.expectation === 'wins');
  const beat = wins.filter((comparison) => comparison.beatsOnTokensAndRoundTrips);
  if (wins.length > 0) {
    const ratios = beat.map((comparison) => comparison.codeTokens / comparison.sequentialTokens).sort((a, b) => a - b);
    lines.push(
      `- **Fan-out, filtering, loops (${wins.length} scenarios): programmatic beat sequential on both tokens and round trips in ${beat.length} of ${wins.length}.** ` +
        (ratios.length > 0 ? `Tokens fell to ${formatRatio(ratios[0]!)}–${formatRatio(ratios.at(-1)!)} of sequential [token-proxy]; ` : '') +
        `round trips from ${wins.map((comparison) => comparison.sequentialRoundTrips).join('/')} to ${wins.map((comparison) => comparison.codeRoundTrips).join('/')} [simulated].`,
    );
  }
  for (const comparison of pool.filter((candidate) => candidate.expectation === 'fewer-tokens')) {
    lines.push(
      `- **One large result — ${comparison.scenario}:** the same ${comparison.codeRoundTrips} round trips in both modes, but ${formatInteger(comparison.codeTokens)} tokens against ${formatInteger(comparison.sequentialTokens)} (${formatRatio(comparison.codeTokens / comparison.sequentialTokens)}) [token-proxy]: the filtering happens in code, so the large result never enters the context.`,
    );
  }
  for (const comparison of pool.filter((candidate) => candidate.expectation === 'loses')) {
    lines.push(
      `- **Where code loses — ${comparison.scenario}:** programmatic used ${formatInteger(comparison.codeTokens)} tokens against ${formatInteger(comparison.sequentialTokens)} for sequential (${pct(comparison.sequentialTokens, comparison.codeTokens)}) [token-proxy], ` +
        `${comparison.codeRoundTrips} round trips against ${comparison.sequentialRoundTrips}, cost ${formatUsd(comparison.codeCostUsd)} vs ${formatUsd(comparison.sequentialCostUsd)}, latency ${formatMs(comparison.codeLatencyMs)} vs ${formatMs(comparison.sequentialLatencyMs)} [simulated]. ` +
        'When each step needs the model to read the previous result, code adds the code tool description and the program tokens and saves nothing.',
    );
  }
  const unexpected = programmatic.filter((comparison) => comparison.asExpected === false);
  if (unexpected.length > 0) {
    lines.push(`- **Not as expected:** ${unexpected.map((comparison) => `${comparison.scenario} on ${comparison.sandbox} (${comparison.expectation})`).join(', ')}.`);
  }
  // Against parallel tool use, the fairer baseline for independent calls.
  const parallelLines: string[] = [];
  for (const scenario of report.scenarios) {
    const parallel = report.cells.find((cell) => cell.scenario === scenario.id && cell.preset === preset && cell.mode === 'parallel' && cell.status === 'measured');
    const code = report.cells.find((cell) => cell.scenario === scenario.id && cell.preset === preset && cell.mode === 'programmatic' && cell.sandbox === 'isolated-vm' && cell.status === 'measured');
    if (parallel === undefined || code === undefined) continue;
    parallelLines.push(`${scenario.id} ${formatRatio(tokensOf(code) / tokensOf(parallel))} tokens, ${median(code, 'roundTrips')} vs ${median(parallel, 'roundTrips')} round trips, latency ${formatMs(median(code, 'latencyMs'))} vs ${formatMs(median(parallel, 'latencyMs'))}`);
  }
  if (parallelLines.length > 0) {
    lines.push(`- **Against parallel tool use** (the fair baseline for independent calls), programmatic on isolated-vm: ${parallelLines.join('; ')}. Parallel already collapses independent calls into one turn; what code still saves there is the tool results that never enter the context, and where there are few, small results (independent-lookups) writing the program costs more output time than it saves, so parallel is as fast or faster.`);
  }
  const native = report.comparisons.filter((comparison) => comparison.preset === preset && comparison.mode === 'native');
  const nativeMoreTrips = native.filter((comparison) => comparison.codeRoundTrips > 2);
  if (nativeMoreTrips.length > 0) {
    lines.push(
      `- **Native (hosted) mode** needs one API round trip per batch of nested calls: ${nativeMoreTrips.map((comparison) => `${comparison.scenario} ${comparison.codeRoundTrips}`).join(', ')} round trips. Those responses carry no model tokens, but each is a network round trip; dependent loops (paginated-loop) pay it per iteration, which local programmatic calling does not.`,
    );
  }
  return lines;
}

function sandboxText(report: BenchReport, preset: string): string[] {
  const lines: string[] = [];
  const rows: string[][] = [];
  for (const sandbox of report.sandboxes.available) {
    const cells = report.cells.filter((cell) => cell.preset === preset && cell.mode === 'programmatic' && cell.sandbox === sandbox.id && cell.status === 'measured');
    if (cells.length === 0) continue;
    const times = cells.map((cell) => median(cell, 'sandboxTimeMs')).sort((a, b) => a - b);
    const correct = cells.filter((cell) => median(cell, 'correct') === 1).length;
    rows.push([sandbox.id, sandbox.language, formatMs(times[Math.floor(times.length / 2)] ?? Number.NaN), `${formatMs(times[0] ?? Number.NaN)}–${formatMs(times.at(-1) ?? Number.NaN)}`, `${correct}/${cells.length}`, sandbox.description]);
  }
  const native = report.cells.filter((cell) => cell.preset === preset && cell.mode === 'native' && cell.status === 'measured');
  if (native.length > 0) {
    const times = native.map((cell) => median(cell, 'sandboxTimeMs')).sort((a, b) => a - b);
    rows.push(['hosted (native)', native[0]?.language ?? 'python', formatMs(times[Math.floor(times.length / 2)] ?? Number.NaN), `${formatMs(times[0] ?? Number.NaN)}–${formatMs(times.at(-1) ?? Number.NaN)}`, `${native.filter((cell) => median(cell, 'correct') === 1).length}/${native.length}`, report.methods.nativeEmulation]);
  }
  for (const skipped of report.sandboxes.skipped) rows.push([skipped.id, '–', '–', '–', '–', `**skipped:** ${skipped.reason}`]);
  lines.push(table(['sandbox', 'language', 'median sandbox time per task [measured]', 'range over scenarios', 'correct', 'configuration'], rows, ['l', 'l', 'r', 'r', 'r', 'l']));
  lines.push('');
  lines.push(
    '- Sandbox time is milliseconds against seconds of model time: in every scenario the simulated model time dominates the end-to-end latency, so the sandbox choice is about isolation, language and operations more than speed.',
    '- **isolated-vm**: the fastest (no process per run, warm isolates); JavaScript only; the guest shares the host process (a fatal V8 OOM takes the host down unless you use its supervised mode).',
    '- **subprocess (node / python)**: an OS process per run from a warm pool; the only local choice for Python; jailed with bubblewrap it adds namespaces and no network. Pick it when the model writes Python, or when you want a process boundary.',
    '- **E2B**: a microVM per sandbox in E2B\'s cloud, for when one host is not enough; adds a network round trip per run.',
    '- **native (hosted)**: no sandbox to run yourself, but one API round trip per batch of nested calls and hosted container pricing.',
  );
  return lines;
}

function matrixTables(report: BenchReport): string[] {
  const lines: string[] = [];
  for (const preset of report.parameters.presets) {
    lines.push(`### ${preset.id} (${preset.model}, latency preset \`${preset.latency}\`)`, '');
    for (const scenario of report.scenarios) {
      const cells = report.cells.filter((cell) => cell.scenario === scenario.id && cell.preset === preset.id);
      lines.push(`**${scenario.title}** (\`${scenario.id}\`, expected: ${scenario.expected})`, '');
      const rows = cells.map((cell) =>
        cell.status !== 'measured'
          ? [cellLabel(cell), `**${cell.status}**: ${cell.reason ?? ''}`, '', '', '', '', '', '', '', '', '']
          : [
              cellLabel(cell),
              spreadText(cell, 'roundTrips', formatInteger),
              formatInteger(median(cell, 'inputTokens')),
              formatInteger(median(cell, 'outputTokens')),
              `${formatInteger(median(cell, 'cacheCreationInputTokens'))} / ${formatInteger(median(cell, 'cacheReadInputTokens'))}`,
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
          ['mode · sandbox', 'round trips', 'input tok', 'output tok', 'cache write / read tok', 'tool-result tok', 'token cost', 'sandbox time / cost', 'model time [sim]', 'execution time [meas]', 'correct'],
          rows,
          ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
        ),
        '',
      );
    }
  }
  return lines;
}

function microText(report: BenchReport): string[] {
  if (report.micro.status === 'skipped') return [`Skipped: ${report.micro.reason ?? ''}`];
  const lines: string[] = [];
  for (const section of report.micro.sections) {
    if (section.status !== 'measured') {
      lines.push(`- **${section.suite}**: ${section.status} — ${section.reason ?? ''}`);
      continue;
    }
    lines.push(`**${section.suite}** [measured, medians of tinybench samples; ratio = codecall / raw baseline of the same run]`, '');
    lines.push(
      table(
        ['subject', 'workload', 'median', 'p75', 'samples', 'ratio to baseline', 'target'],
        section.rows.map((row) => [row.subject, row.name, formatMs(row.medianMs), formatMs(row.p75Ms), row.samples === 0 ? 'derived' : String(row.samples), row.ratio === undefined ? 'baseline' : `${formatRatio(row.ratio)} of ${row.baseline ?? ''}`, row.target === undefined ? '' : `${row.target} ${row.pass === true ? '✔' : row.pass === false ? '✘' : ''}`]),
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
      ['form', 'tokens', 'vs JSON (total)', 'vs JSON (median batch)', 'descriptions kept'],
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

/** The Markdown summary: when does it pay, which sandbox, then every figure. */
export function renderMarkdownReport(report: BenchReport): string {
  const preset = summaryPreset(report);
  const live = report.parameters.live;
  const lines: string[] = [
    '# codecall benchmark',
    '',
    `${report.date} · ${String(report.machine['cpu'])} × ${String(report.machine['cores'])} cores · Node ${report.versions['node'] ?? ''} · ${live ? '**live Anthropic API**' : 'Messages API simulator (scripted competent-model policies)'} · ${report.parameters.repetitions} repetition(s) per cell · ${formatMs(report.durationMs)} total`,
    '',
    `Labels: **[measured]** timed or counted on this machine; **[simulated]** produced by the simulator's latency model or scripted policy; **[token-proxy]** counted with ${live ? "the API's usage" : 'the o200k tokenizer as a proxy for Claude\'s'}. Figures are medians over repetitions; ranges are min–max.`,
    '',
    `## When does programmatic calling pay? (${preset})`,
    '',
    ...findingsText(report, preset),
    '',
  ];
  const summaryRows: string[][] = [];
  for (const scenario of report.scenarios) {
    const cells = report.cells.filter((cell) => cell.scenario === scenario.id && cell.preset === preset && cell.status === 'measured');
    const pick = (mode: string, sandbox?: string): MatrixCell | undefined => cells.find((cell) => cell.mode === mode && (sandbox === undefined || cell.sandbox === sandbox));
    const sequential = pick('sequential');
    const parallel = pick('parallel');
    const programmatic = pick('programmatic', 'isolated-vm') ?? pick('programmatic');
    const native = pick('native');
    const cellText = (cell: MatrixCell | undefined): string => (cell === undefined ? '–' : `${formatInteger(tokensOf(cell))} · ${median(cell, 'roundTrips')} · ${formatUsd(median(cell, 'totalCostUsd'))} · ${formatMs(median(cell, 'latencyMs'))}${median(cell, 'correct') === 1 ? '' : ' ✘'}`);
    summaryRows.push([`${scenario.id} (${scenario.expectation})`, cellText(sequential), cellText(parallel), cellText(programmatic), cellText(native)]);
  }
  lines.push(
    'Each cell: tokens (input + output) [token-proxy] · round trips [simulated] · cost [token-proxy + measured] · end-to-end latency (simulated model time + measured execution). ✘ marks a wrong answer.',
    '',
    table(['scenario (expectation)', 'sequential', 'parallel', `programmatic (${report.cells.some((cell) => cell.sandbox === 'isolated-vm') ? 'isolated-vm' : 'first sandbox'})`, 'native (hosted)'], summaryRows),
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
    'Every cell: scenario × mode × sandbox × model preset. Direct modes run no code (sandbox `none`); native runs hosted code (`hosted`). Round trips and execution time show median (min–max) when they varied.',
    '',
    ...matrixTables(report),
    '## Methods',
    '',
    `- **Tokens:** ${report.methods.tokenCounting}`,
    `- **Latency:** ${Object.entries(report.methods.latency).map(([name, value]) => `\`${name}\` ${JSON.stringify(value)}`).join('; ')}`,
    `- **Prices:** ${report.methods.prices}`,
    `- **Sandbox pricing:** ${report.methods.sandboxPricing}`,
    `- **Native mode:** ${report.methods.nativeEmulation}`,
    `- **Cells:** ${report.methods.cells}`,
    `- **Scenarios:** ${report.parameters.scenarioSources.join(', ')} (${report.scenarios.length}); format in \`benchmarks/scenarios/README.md\`.`,
    `- **Skipped sandboxes:** ${report.sandboxes.skipped.length === 0 ? 'none' : report.sandboxes.skipped.map((skipped) => `${skipped.id} — ${skipped.reason}`).join('; ')}`,
    `- **Command:** \`${report.parameters.command}\``,
    `- **Versions:** ${Object.entries(report.versions).map(([name, version]) => `${name} ${version}`).join(', ')}`,
    '',
  );
  return lines.join('\n');
}

/** Comparisons that did not match their scenario's expectation (programmatic only). */
export function unexpectedComparisons(report: BenchReport): ModeComparison[] {
  return report.comparisons.filter((comparison) => comparison.asExpected === false);
}
