import type { BenchReport } from './bench-report.ts';
import { tokensOf } from './bench-report.ts';
import { cellLabel, formatInteger, formatMs, formatRatio, formatUsd, renderMarkdownReport, summaryPreset } from './markdown-report.ts';
import type { MatrixCell, MetricName } from './run-matrix.ts';

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const palette = ['#6b7280', '#f59e0b', '#2563eb', '#059669', '#7c3aed', '#dc2626', '#0891b2', '#db2777'];

/** One group of bars (e.g. a scenario) with one bar per series. */
export interface ChartGroup {
  readonly label: string;
  readonly values: readonly (number | undefined)[];
}

/** A horizontal grouped bar chart as inline SVG. */
export interface BarChart {
  /** Stable id (`data-chart`). */
  readonly id: string;
  readonly title: string;
  /** `measured`, `simulated`, `token-proxy` or a mix, shown in the title. */
  readonly label: string;
  readonly series: readonly string[];
  readonly groups: readonly ChartGroup[];
  readonly format: (value: number) => string;
  /** Log scale for values spanning orders of magnitude. */
  readonly log?: boolean;
}

/** Renders a chart as an `<svg class="chart" data-chart="…">` element with a legend. */
export function renderBarChart(chart: BarChart): string {
  const width = 880;
  const labelWidth = 190;
  const valueWidth = 90;
  const barHeight = 12;
  const gap = 3;
  const groupGap = 12;
  const top = 34;
  const legendRows = Math.ceil(chart.series.length / 4);
  const groupHeight = chart.series.length * (barHeight + gap) + groupGap;
  const height = top + chart.groups.length * groupHeight + legendRows * 18 + 12;
  const values = chart.groups.flatMap((group) => group.values.filter((value): value is number => value !== undefined && Number.isFinite(value)));
  const max = Math.max(1e-9, ...values);
  const min = Math.max(1e-9, Math.min(...values.filter((value) => value > 0), max));
  const plotWidth = width - labelWidth - valueWidth;
  const scale = (value: number): number => {
    if (value <= 0) return 0;
    if (chart.log === true) {
      const low = Math.log10(min) - 0.3;
      const high = Math.log10(max);
      return Math.max(2, ((Math.log10(value) - low) / Math.max(1e-9, high - low)) * plotWidth);
    }
    return Math.max(1, (value / max) * plotWidth);
  };
  const parts: string[] = [
    `<svg class="chart" data-chart="${escapeHtml(chart.id)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(chart.title)}">`,
    `<text x="0" y="16" class="title">${escapeHtml(chart.title)} <tspan class="tag">[${escapeHtml(chart.label)}]${chart.log === true ? ' · log scale' : ''}</tspan></text>`,
  ];
  chart.groups.forEach((group, groupIndex) => {
    const y0 = top + groupIndex * groupHeight;
    parts.push(`<text x="${labelWidth - 8}" y="${y0 + (chart.series.length * (barHeight + gap)) / 2 + 4}" text-anchor="end" class="group">${escapeHtml(group.label)}</text>`);
    group.values.forEach((value, seriesIndex) => {
      const y = y0 + seriesIndex * (barHeight + gap);
      if (value === undefined || !Number.isFinite(value)) {
        parts.push(`<text x="${labelWidth + 4}" y="${y + barHeight - 2}" class="value muted">n/a</text>`);
        return;
      }
      const barWidth = scale(value);
      parts.push(
        `<rect class="bar" x="${labelWidth}" y="${y}" width="${barWidth.toFixed(1)}" height="${barHeight}" fill="${palette[seriesIndex % palette.length]}"><title>${escapeHtml(`${group.label} · ${chart.series[seriesIndex] ?? ''}: ${chart.format(value)}`)}</title></rect>`,
        `<text x="${(labelWidth + barWidth + 4).toFixed(1)}" y="${y + barHeight - 2}" class="value">${escapeHtml(chart.format(value))}</text>`,
      );
    });
  });
  const legendTop = top + chart.groups.length * groupHeight + 4;
  chart.series.forEach((series, index) => {
    const x = (index % 4) * (width / 4);
    const y = legendTop + Math.floor(index / 4) * 18;
    parts.push(`<rect x="${x}" y="${y}" width="12" height="12" fill="${palette[index % palette.length]}"/><text x="${x + 16}" y="${y + 10}" class="legend">${escapeHtml(series)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

const median = (cell: MatrixCell | undefined, metric: MetricName): number | undefined => cell?.stats[metric]?.median;

function scenarioCharts(report: BenchReport, preset: string): string[] {
  const cells = report.cells.filter((cell) => cell.preset === preset && cell.status === 'measured');
  const series = [...new Set(cells.map(cellLabel))];
  const groupsOf = (value: (cell: MatrixCell) => number | undefined): ChartGroup[] =>
    report.scenarios.map((scenario) => ({
      label: scenario.id,
      values: series.map((name) => {
        const cell = cells.find((candidate) => candidate.scenario === scenario.id && cellLabel(candidate) === name);
        return cell === undefined ? undefined : value(cell);
      }),
    }));
  const simulatedOrLive = report.parameters.live ? 'measured' : 'simulated';
  return [
    renderBarChart({ id: 'tokens', title: `Tokens read and written per task (${preset})`, label: report.parameters.live ? 'measured' : 'token-proxy', series, groups: groupsOf((cell) => tokensOf(cell)), format: formatInteger, log: true }),
    renderBarChart({ id: 'round-trips', title: `Model round trips per task (${preset})`, label: simulatedOrLive, series, groups: groupsOf((cell) => median(cell, 'roundTrips')), format: formatInteger }),
    renderBarChart({ id: 'latency', title: `End-to-end latency per task: model time + execution (${preset})`, label: `${simulatedOrLive} + measured`, series, groups: groupsOf((cell) => median(cell, 'latencyMs')), format: formatMs }),
    renderBarChart({ id: 'cost', title: `Cost per task: tokens + sandbox (${preset})`, label: `${report.parameters.live ? 'measured' : 'token-proxy'} + measured`, series, groups: groupsOf((cell) => median(cell, 'totalCostUsd')), format: formatUsd, log: true }),
  ];
}

function sandboxCharts(report: BenchReport, preset: string): string[] {
  const charts: string[] = [];
  const cells = report.cells.filter((cell) => cell.preset === preset && cell.status === 'measured' && (cell.mode === 'programmatic' || cell.mode === 'native'));
  const series = [...new Set(cells.map(cellLabel))];
  charts.push(
    renderBarChart({
      id: 'sandbox-time',
      title: `Sandbox time per task (${preset})`,
      label: 'measured',
      series,
      groups: report.scenarios.map((scenario) => ({
        label: scenario.id,
        values: series.map((name) => median(cells.find((cell) => cell.scenario === scenario.id && cellLabel(cell) === name), 'sandboxTimeMs')),
      })),
      format: formatMs,
      log: true,
    }),
  );
  for (const section of report.micro.sections) {
    if (section.status !== 'measured') continue;
    const subjects = [...new Set(section.rows.map((row) => row.subject))];
    const workloads = [...new Set(section.rows.map((row) => row.name))];
    charts.push(
      renderBarChart({
        id: `micro-${section.suite}`,
        title: `${section.suite} micro-benchmarks: median time per workload`,
        label: 'measured',
        series: subjects,
        groups: workloads.map((workload) => ({ label: workload, values: subjects.map((subject) => section.rows.find((row) => row.name === workload && row.subject === subject)?.medianMs) })),
        format: formatMs,
        log: true,
      }),
    );
  }
  return charts;
}

function compactnessChart(report: BenchReport): string[] {
  const result = report.compactness.result;
  if (result === undefined) return [];
  return [
    renderBarChart({
      id: 'compactness',
      title: `Tool definitions: tokens over ${formatInteger(result.tools)} tools`,
      label: 'token-proxy',
      series: ['compact JSON', 'TypeScript declarations', 'Python declarations'],
      groups: [{ label: 'all batches', values: [result.totals.jsonTokens, result.totals.typescriptTokens, result.totals.pythonTokens] }],
      format: formatInteger,
    }),
  ];
}

// A small Markdown-to-HTML conversion for the report's own Markdown (headings, tables, lists, code, bold).
function markdownToHtml(markdown: string): string {
  const inline = (text: string): string =>
    escapeHtml(text)
      .replace(/`([^`]+)`/g, '<code>$1</code>')
      .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
  const out: string[] = [];
  const lines = markdown.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.startsWith('|')) {
      const rows: string[][] = [];
      while (index < lines.length && lines[index]!.startsWith('|')) {
        rows.push(lines[index]!.slice(1, -1).split(' | ').map((cell) => cell.trim()));
        index++;
      }
      index--;
      const [header, , ...body] = rows;
      out.push(`<table><thead><tr>${(header ?? []).map((cell) => `<th>${inline(cell)}</th>`).join('')}</tr></thead><tbody>${body.map((row) => `<tr>${row.map((cell) => `<td>${inline(cell)}</td>`).join('')}</tr>`).join('')}</tbody></table>`);
    } else if (line.startsWith('### ')) out.push(`<h3>${inline(line.slice(4))}</h3>`);
    else if (line.startsWith('## ')) out.push(`<h2>${inline(line.slice(3))}</h2>`);
    else if (line.startsWith('# ')) out.push(`<h1>${inline(line.slice(2))}</h1>`);
    else if (line.startsWith('- ')) out.push(`<ul><li>${inline(line.slice(2))}</li></ul>`);
    else if (line.trim() !== '') out.push(`<p>${inline(line)}</p>`);
  }
  return out.join('\n').replace(/<\/ul>\n<ul>/g, '\n');
}

/**
 * The single-file HTML report: charts (tokens, round trips, latency, cost per scenario and mode;
 * sandbox time; micro-benchmarks; compactness) as inline SVG, then the Markdown report's text and
 * tables. No script, no external resource: it opens offline.
 */
export function renderHtmlReport(report: BenchReport): string {
  const preset = summaryPreset(report);
  const markdown = renderMarkdownReport(report);
  const charts = [...scenarioCharts(report, preset), ...sandboxCharts(report, preset), ...compactnessChart(report)];
  const skipped = report.sandboxes.skipped.map((entry) => `<li><strong>${escapeHtml(entry.id)}</strong> skipped: ${escapeHtml(entry.reason)}</li>`).join('');
  const compactnessNote = report.compactness.result === undefined ? '' : `<p>TypeScript declarations: ${formatRatio(report.compactness.result.typescriptRatio)} of JSON; Python: ${formatRatio(report.compactness.result.pythonRatio)} [token-proxy].</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>codecall benchmark — ${escapeHtml(report.date)}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1100px; color: #111827; padding: 0 16px; }
h1 { font-size: 24px; } h2 { font-size: 19px; margin-top: 32px; border-bottom: 1px solid #e5e7eb; } h3 { font-size: 16px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 12px; } th, td { border: 1px solid #e5e7eb; padding: 3px 6px; text-align: right; } th:first-child, td:first-child { text-align: left; }
code { background: #f3f4f6; padding: 0 3px; border-radius: 3px; }
.charts svg { display: block; margin: 12px 0 24px; max-width: 100%; height: auto; }
svg .title { font-weight: 600; font-size: 14px; } svg .tag { font-weight: 400; fill: #6b7280; font-size: 12px; }
svg .group { font-size: 12px; } svg .value { font-size: 10px; fill: #374151; } svg .muted { fill: #9ca3af; } svg .legend { font-size: 11px; }
.skipped { color: #92400e; }
</style>
</head>
<body>
<h1>codecall benchmark</h1>
<p>${escapeHtml(report.date)} · ${escapeHtml(String(report.machine['cpu']))} × ${escapeHtml(String(report.machine['cores']))} cores · ${report.parameters.live ? 'live Anthropic API' : 'Messages API simulator'} · ${report.parameters.repetitions} repetition(s) · ${report.cells.length} cells. Every chart says whether its figures are <strong>measured</strong>, <strong>simulated</strong> or a <strong>token-proxy</strong>.</p>
${skipped === '' ? '' : `<ul class="skipped">${skipped}</ul>`}
${compactnessNote}
<section class="charts">
${charts.join('\n')}
</section>
<section class="text">
${markdownToHtml(markdown)}
</section>
</body>
</html>
`;
}
