import type { BreakEvenMap, BreakEvenPoint } from './break-even.ts';
import type { BenchReport } from './bench-report.ts';
import { cellLabel, formatBytes, formatCount, formatInteger, formatMs, formatRatio, formatSeconds, formatUsd, markdownSections, referenceSandbox, reportLabels, summaryPreset } from './markdown-report.ts';
import type { MatrixCell, MetricName } from './run-matrix.ts';
import { isTimedRow } from '@codecall/benchmarks/micro';

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// Fixed colours for the modes, so a series has the same colour in every chart of every report.
const fixedColours: Readonly<Record<string, string>> = {
  sequential: '#6b7280',
  parallel: '#d97706',
  'programmatic · isolated-vm': '#2563eb',
  'programmatic · subprocess-node': '#059669',
  'programmatic · subprocess-python': '#7c3aed',
  'programmatic · e2b': '#0891b2',
  'native · hosted': '#dc2626',
};
const spareColours = ['#db2777', '#65a30d', '#ea580c', '#0d9488', '#4f46e5', '#a16207', '#be123c', '#15803d', '#6d28d9', '#0369a1', '#b45309', '#374151'];

/** One colour per series name across all charts of a report: the modes have fixed colours, other series get the next spare colour on first use. */
export class SeriesColours {
  readonly #assigned = new Map<string, string>();

  /** The colour of `series`, the same on every call. */
  of(series: string): string {
    const fixed = fixedColours[series];
    if (fixed !== undefined) return fixed;
    let colour = this.#assigned.get(series);
    if (colour === undefined) {
      colour = spareColours[this.#assigned.size % spareColours.length]!;
      this.#assigned.set(series, colour);
    }
    return colour;
  }
}

/** A stacked part of a bar (token classes). */
export interface BarSegment {
  /** Name of the part (shown in the legend and the tooltip). */
  readonly part: string;
  /** Its value. */
  readonly value: number;
}

/** One group of bars (e.g. a scenario) with one bar per series. */
export interface ChartGroup {
  /** Group label, left of its bars. */
  readonly label: string;
  /** One value (or stacked parts) per series; `undefined` when the series has no figure here. */
  readonly values: readonly (number | readonly BarSegment[] | undefined)[];
}

/** A horizontal grouped bar chart as inline SVG. */
export interface BarChart {
  /** Stable id (`data-chart`). */
  readonly id: string;
  /** Title above the chart. */
  readonly title: string;
  /** `measured`, `simulated`, `token-proxy`, `scripted` or a mix, shown in the title. */
  readonly label: string;
  /** Series names, one bar each per group. */
  readonly series: readonly string[];
  readonly groups: readonly ChartGroup[];
  readonly format: (value: number) => string;
  /** Log scale, for secondary charts whose values span orders of magnitude (stated in the title). Headline charts are linear. */
  readonly log?: boolean;
}

// Rough text width for layout: the test in headless Chromium checks that nothing overflows.
const textWidth = (text: string, fontSize: number): number => text.length * fontSize * 0.62 + 4;

const partOpacity = [1, 0.7, 0.45, 0.25];
const maxLabelWidth = 420;

/** `text`, cut with an ellipsis to fit `width` pixels at `fontSize` (the full text goes in a tooltip). */
function fitText(text: string, width: number, fontSize: number): string {
  if (textWidth(text, fontSize) <= width) return text;
  const characters = Math.max(4, Math.floor((width - 4) / (fontSize * 0.62)) - 1);
  return `${text.slice(0, characters).trimEnd()}…`;
}

function totalOf(value: number | readonly BarSegment[] | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  return value.reduce((sum, segment) => sum + segment.value, 0);
}

/** Renders a chart as an `<svg class="chart" data-chart="…">` element with a legend. */
export function renderBarChart(chart: BarChart, colours: SeriesColours): string {
  const width = 960;
  const labelWidth = Math.min(maxLabelWidth, Math.max(80, ...chart.groups.map((group) => textWidth(group.label, 12))) + 8);
  const totals = chart.groups.flatMap((group) => group.values.map(totalOf).filter((value): value is number => value !== undefined));
  const valueWidth = Math.max(50, ...totals.map((value) => textWidth(chart.format(value), 10))) + 8;
  const barHeight = 12;
  const gap = 3;
  const groupGap = 12;
  const top = 34;
  const parts = [...new Set(chart.groups.flatMap((group) => group.values.flatMap((value) => (Array.isArray(value) ? (value as readonly BarSegment[]).map((segment) => segment.part) : []))))];
  const legendItems = [...chart.series.map((series) => ({ text: series, colour: colours.of(series), opacity: 1 })), ...parts.map((part, index) => ({ text: part, colour: '#4b5563', opacity: partOpacity[index % partOpacity.length]! }))];
  const legendColumns = Math.max(1, Math.floor(width / Math.max(160, ...legendItems.map((item) => textWidth(item.text, 11) + 24))));
  const legendRows = Math.ceil(legendItems.length / legendColumns);
  const groupHeight = chart.series.length * (barHeight + gap) + groupGap;
  const height = top + chart.groups.length * groupHeight + legendRows * 18 + 12;
  const max = Math.max(1e-12, ...totals);
  const min = Math.max(1e-12, Math.min(...totals.filter((value) => value > 0), max));
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
  const out: string[] = [
    `<svg class="chart" data-chart="${escapeHtml(chart.id)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(chart.title)}">`,
    `<text x="0" y="16" class="title">${escapeHtml(chart.title)} <tspan class="tag">[${escapeHtml(chart.label)}]${chart.log === true ? ' · log scale' : ' · linear scale'}</tspan></text>`,
  ];
  chart.groups.forEach((group, groupIndex) => {
    const y0 = top + groupIndex * groupHeight;
    const shown = fitText(group.label, labelWidth - 8, 12);
    out.push(`<text x="${labelWidth - 8}" y="${y0 + (chart.series.length * (barHeight + gap)) / 2 + 4}" text-anchor="end" class="group">${shown === group.label ? '' : `<title>${escapeHtml(group.label)}</title>`}${escapeHtml(shown)}</text>`);
    group.values.forEach((value, seriesIndex) => {
      const y = y0 + seriesIndex * (barHeight + gap);
      const series = chart.series[seriesIndex] ?? '';
      const colour = colours.of(series);
      const total = totalOf(value);
      if (value === undefined || total === undefined) {
        out.push(`<text x="${labelWidth + 4}" y="${y + barHeight - 2}" class="value muted">n/a</text>`);
        return;
      }
      const barWidth = scale(total);
      if (typeof value === 'number') {
        out.push(`<rect class="bar" data-series="${escapeHtml(series)}" x="${labelWidth}" y="${y}" width="${barWidth.toFixed(1)}" height="${barHeight}" fill="${colour}"><title>${escapeHtml(`${group.label} · ${series}: ${chart.format(value)}`)}</title></rect>`);
      } else {
        let x = labelWidth;
        for (const segment of value) {
          const segmentWidth = total === 0 ? 0 : (segment.value / total) * barWidth;
          const opacity = partOpacity[parts.indexOf(segment.part) % partOpacity.length] ?? 1;
          out.push(`<rect class="bar" data-series="${escapeHtml(series)}" x="${x.toFixed(1)}" y="${y}" width="${segmentWidth.toFixed(1)}" height="${barHeight}" fill="${colour}" fill-opacity="${opacity}"><title>${escapeHtml(`${group.label} · ${series} · ${segment.part}: ${chart.format(segment.value)}`)}</title></rect>`);
          x += segmentWidth;
        }
      }
      out.push(`<text x="${(labelWidth + barWidth + 4).toFixed(1)}" y="${y + barHeight - 2}" class="value">${escapeHtml(chart.format(total))}</text>`);
    });
  });
  const legendTop = top + chart.groups.length * groupHeight + 4;
  legendItems.forEach((item, index) => {
    const x = (index % legendColumns) * (width / legendColumns);
    const y = legendTop + Math.floor(index / legendColumns) * 18;
    out.push(`<rect x="${x.toFixed(1)}" y="${y}" width="12" height="12" fill="${item.colour}" fill-opacity="${item.opacity}"/><text x="${(x + 16).toFixed(1)}" y="${y + 10}" class="legend">${escapeHtml(item.text)}</text>`);
  });
  out.push('</svg>');
  return out.join('');
}

function ratioColour(ratio: number): string {
  if (!Number.isFinite(ratio)) return '#e5e7eb';
  // log2 of the ratio, clipped to ±3: green where code wins, red where parallel wins, white at break-even.
  const strength = Math.min(1, Math.abs(Math.log2(ratio)) / 3);
  const [r, g, b] = ratio < 1 ? [22, 163, 74] : [220, 38, 38];
  const mix = (channel: number): number => Math.round(255 + (channel - 255) * (0.15 + 0.75 * strength));
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
}

/**
 * A break-even heatmap: calls across, result size down, each cell the ratio programmatic /
 * parallel, and the break-even line (ratio 1) drawn through the grid.
 */
export function renderBreakEvenHeatmap(map: BreakEvenMap, id: string, title: string, label: string, ratioOf: (point: BreakEvenPoint) => number): string {
  const width = 960;
  const left = 90;
  const top = 60;
  const cellHeight = 34;
  const plotWidth = width - left - 20;
  const columns = map.axes.calls.length;
  const cellWidth = plotWidth / columns;
  const rows = map.axes.resultBytes.length;
  const height = top + rows * cellHeight + 82;
  const out: string[] = [
    `<svg class="chart heatmap" data-chart="${escapeHtml(id)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}">`,
    `<text x="0" y="16" class="title">${escapeHtml(title)} <tspan class="tag">[${escapeHtml(label)}]</tspan></text>`,
    `<text x="${left + plotWidth / 2}" y="36" text-anchor="middle" class="axis">independent tool calls per task</text>`,
  ];
  map.axes.calls.forEach((calls, column) => out.push(`<text x="${(left + column * cellWidth + cellWidth / 2).toFixed(1)}" y="${top - 4}" text-anchor="middle" class="axis">${calls}</text>`));
  const ratiosAt = (rate: number, bytes: number): number[] =>
    map.axes.calls.map((calls) => {
      const point = map.points.find((candidate) => candidate.calls === calls && candidate.resultBytes === bytes && candidate.failureRate === rate);
      return point === undefined ? Number.NaN : ratioOf(point);
    });
  // Where the ratio crosses 1 for good along the calls axis (log-interpolated between cell centres).
  const crossingX = (ratios: readonly number[]): number => {
    let from = columns;
    for (let column = columns - 1; column >= 0 && ratios[column]! < 1; column--) from = column;
    if (from === 0) return left;
    if (from === columns) return left + plotWidth;
    const before = Math.log(ratios[from - 1]!);
    const after = Math.log(ratios[from]!);
    const t = before === after ? 0.5 : before / (before - after);
    return left + (from - 1 + 0.5 + Math.min(1, Math.max(0, t))) * cellWidth;
  };
  map.axes.resultBytes.forEach((bytes, row) => {
    const y = top + row * cellHeight;
    out.push(`<text x="${left - 8}" y="${y + cellHeight / 2 + 4}" text-anchor="end" class="axis">${escapeHtml(formatBytes(bytes))}</text>`);
    ratiosAt(map.headlineFailureRate, bytes).forEach((ratio, column) => {
      const x = left + column * cellWidth;
      out.push(
        `<rect class="cell" x="${x.toFixed(1)}" y="${y}" width="${cellWidth.toFixed(1)}" height="${cellHeight}" fill="${ratioColour(ratio)}" stroke="#ffffff"><title>${escapeHtml(`${map.axes.calls[column]} calls × ${formatBytes(bytes)}: ${formatRatio(ratio)}`)}</title></rect>`,
        `<text x="${(x + cellWidth / 2).toFixed(1)}" y="${y + cellHeight / 2 + 4}" text-anchor="middle" class="cell-value">${escapeHtml(formatRatio(ratio))}</text>`,
      );
    });
  });
  const dashes = ['', '8 4', '3 3', '12 4 3 4'];
  const others = map.axes.failureRates.filter((rate) => rate !== map.headlineFailureRate);
  const lineStyles = [{ rate: map.headlineFailureRate, dash: '', width: 3 }, ...others.map((rate, index) => ({ rate, dash: dashes[(index + 1) % dashes.length]!, width: 2 }))];
  for (const style of lineStyles) {
    const path = map.axes.resultBytes
      .map((bytes, row) => {
        const x = crossingX(ratiosAt(style.rate, bytes)).toFixed(1);
        const y = top + row * cellHeight;
        return `${row === 0 ? 'M' : 'L'}${x},${y} L${x},${y + cellHeight}`;
      })
      .join(' ');
    out.push(`<path class="break-even-line" data-failure-rate="${style.rate}" d="${path}" fill="none" stroke="#111827" stroke-width="${style.width}"${style.dash === '' ? '' : ` stroke-dasharray="${style.dash}"`}/>`);
  }
  const legendY = top + rows * cellHeight + 24;
  out.push(
    `<rect x="0" y="${legendY - 10}" width="12" height="12" fill="${ratioColour(0.25)}"/><text x="16" y="${legendY}" class="legend">below 1: programmatic wins</text>`,
    `<rect x="200" y="${legendY - 10}" width="12" height="12" fill="${ratioColour(4)}"/><text x="216" y="${legendY}" class="legend">above 1: parallel wins</text>`,
  );
  lineStyles.forEach((style, index) => {
    const x = index * 230;
    const y = legendY + 20;
    out.push(`<line x1="${x}" y1="${y - 4}" x2="${x + 28}" y2="${y - 4}" stroke="#111827" stroke-width="${style.width}"${style.dash === '' ? '' : ` stroke-dasharray="${style.dash}"`}/><text x="${x + 34}" y="${y}" class="legend">break-even, failure rate ${style.rate}${style.rate === map.headlineFailureRate ? ' (cells)' : ''}</text>`);
  });
  out.push(
    `<text x="0" y="${legendY + 42}" class="legend muted">cells at program failure rate ${map.headlineFailureRate} (default) · rows: bytes of JSON per tool result · ${escapeHtml(map.preset)} preset · programmatic on ${escapeHtml(map.sandbox)}</text>`,
    '</svg>',
  );
  return out.join('');
}

const median = (cell: MatrixCell | undefined, metric: MetricName): number | undefined => cell?.stats[metric]?.median;

function headlineCharts(report: BenchReport, preset: string, colours: SeriesColours): string[] {
  const labels = reportLabels(report);
  const cells = report.cells.filter((cell) => cell.preset === preset && cell.status === 'measured');
  const order = ['parallel', 'programmatic', 'native', 'hybrid', 'sequential'];
  const series = [...new Set(cells.map(cellLabel))].sort((a, b) => order.indexOf(a.split(' · ')[0]!) - order.indexOf(b.split(' · ')[0]!));
  const groupsOf = (value: (cell: MatrixCell) => number | readonly BarSegment[] | undefined): ChartGroup[] =>
    report.scenarios.map((scenario) => ({
      label: scenario.id,
      values: series.map((name) => {
        const cell = cells.find((candidate) => candidate.scenario === scenario.id && cellLabel(candidate) === name);
        return cell === undefined ? undefined : value(cell);
      }),
    }));
  const reference = referenceSandbox(report);
  const headlineSeries = series.filter((name) => name === 'parallel' || name === `programmatic · ${reference ?? ''}` || name === 'native · hosted' || name.startsWith('hybrid') || name === 'sequential');
  const headlineGroups = (value: (cell: MatrixCell) => number | undefined): ChartGroup[] =>
    report.scenarios.map((scenario) => ({
      label: scenario.id,
      values: headlineSeries.map((name) => {
        const cell = cells.find((candidate) => candidate.scenario === scenario.id && cellLabel(candidate) === name);
        return cell === undefined ? undefined : value(cell);
      }),
    }));
  return [
    renderBarChart({ id: 'cost', title: `Cost per task, tokens + sandbox, US dollars (${preset})`, label: `${labels.tokens} + ${labels.sandboxCost}`, series: headlineSeries, groups: headlineGroups((cell) => median(cell, 'totalCostUsd')), format: formatUsd }, colours),
    renderBarChart({ id: 'latency', title: `End-to-end latency per task, seconds (${preset})`, label: report.parameters.live ? 'measured' : 'simulated model time, tool latency and hosted start + measured execution', series: headlineSeries, groups: headlineGroups((cell) => median(cell, 'latencyMs')), format: formatSeconds }, colours),
    renderBarChart(
      {
        id: 'tokens',
        title: `Tokens per task by class (${preset})`,
        label: labels.tokens,
        series: headlineSeries,
        groups: groupsOf((cell) => [
          { part: 'output', value: median(cell, 'outputTokens') ?? 0 },
          { part: 'uncached input', value: median(cell, 'inputTokens') ?? 0 },
          { part: 'cache write', value: median(cell, 'cacheCreationInputTokens') ?? 0 },
          { part: 'cache read', value: median(cell, 'cacheReadInputTokens') ?? 0 },
        ]).map((group) => ({ ...group, values: headlineSeries.map((name) => group.values[series.indexOf(name)]) })),
        format: formatInteger,
      },
      colours,
    ),
    renderBarChart({ id: 'round-trips', title: `Model round trips per task (${preset})`, label: labels.model, series, groups: groupsOf((cell) => median(cell, 'roundTrips')), format: formatCount }, colours),
  ];
}

function breakEvenCharts(report: BenchReport): string[] {
  const map = report.breakEven;
  if (map.status !== 'measured') return [];
  const labels = reportLabels(report);
  return [
    renderBreakEvenHeatmap(map, 'break-even-cost', 'Break-even map: cost, programmatic / parallel', labels.tokens, (point) => point.costRatio),
    renderBreakEvenHeatmap(map, 'break-even-latency', 'Break-even map: latency, programmatic / parallel', 'simulated', (point) => point.latencyRatio),
  ];
}

function sandboxCharts(report: BenchReport, preset: string, colours: SeriesColours): string[] {
  const charts: string[] = [];
  const cells = report.cells.filter((cell) => cell.preset === preset && cell.status === 'measured' && (cell.mode === 'programmatic' || cell.mode === 'native' || cell.mode === 'hybrid'));
  const series = [...new Set(cells.map(cellLabel))];
  charts.push(
    renderBarChart(
      {
        id: 'sandbox-time',
        title: `Sandbox time per task (${preset})`,
        label: report.parameters.live ? 'measured' : 'measured; native: simulated',
        series,
        groups: report.scenarios.map((scenario) => ({
          label: scenario.id,
          values: series.map((name) => median(cells.find((cell) => cell.scenario === scenario.id && cellLabel(cell) === name), 'sandboxTimeMs')),
        })),
        format: formatMs,
        log: true,
      },
      colours,
    ),
  );
  for (const section of report.micro.sections) {
    if (section.status !== 'measured') continue;
    // Times only: a memory or leftover-count row has no time to chart.
    const rows = section.rows.filter(isTimedRow);
    const subjects = [...new Set(rows.map((row) => row.subject))];
    const workloads = [...new Set(rows.map((row) => row.name))];
    charts.push(
      renderBarChart(
        {
          id: `micro-${section.suite}`,
          title: `${section.suite} micro-benchmarks: median time per workload`,
          label: 'measured',
          series: subjects,
          groups: workloads.map((workload) => ({ label: workload, values: subjects.map((subject) => rows.find((row) => row.name === workload && row.subject === subject)?.medianMs) })),
          format: formatMs,
          log: true,
        },
        colours,
      ),
    );
  }
  return charts;
}

function compactnessChart(report: BenchReport, colours: SeriesColours): string[] {
  const result = report.compactness.result;
  if (result === undefined) return [];
  return [
    renderBarChart(
      {
        id: 'compactness',
        title: `Tool definitions: tokens over ${formatInteger(result.tools)} tools`,
        label: 'token-proxy',
        series: ['compact JSON', 'TypeScript declarations', 'Python declarations'],
        groups: [{ label: 'all batches', values: [result.totals.jsonTokens, result.totals.typescriptTokens, result.totals.pythonTokens] }],
        format: formatInteger,
      },
      colours,
    ),
  ];
}

/** A small Markdown-to-HTML conversion for the report's own Markdown (headings, tables, lists with one nested level, code, bold). */
export function markdownToHtml(markdown: string): string {
  const inline = (text: string): string =>
    escapeHtml(text)
      .replace(/`([^`]+)`/g, '<code>$1</code>')
      .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
  const out: string[] = [];
  // Open list levels: 0 none, 1 a list with an open item, 2 a nested list inside that item.
  let depth = 0;
  const closeTo = (level: number): void => {
    while (depth > level) {
      out.push('</li></ul>');
      depth--;
    }
  };
  const lines = markdown.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.startsWith('- ')) {
      closeTo(1);
      if (depth === 1) out.push('</li>');
      else {
        out.push('<ul>');
        depth = 1;
      }
      out.push(`<li>${inline(line.slice(2))}`);
      continue;
    }
    if (line.startsWith('  - ') && depth >= 1) {
      if (depth === 2) out.push('</li>');
      else {
        out.push('<ul>');
        depth = 2;
      }
      out.push(`<li>${inline(line.slice(4))}`);
      continue;
    }
    closeTo(0);
    if (line.startsWith('|')) {
      const rows: string[][] = [];
      while (index < lines.length && lines[index]!.startsWith('|')) {
        rows.push(lines[index]!.slice(1, -1).split(' | ').map((cell) => cell.trim()));
        index++;
      }
      index--;
      const [header, separator, ...body] = rows;
      // Alignment from the separator row: `---:` right (figures), anything else left (text).
      const align = (column: number): string => ((separator?.[column] ?? '').endsWith(':') ? ' class="num"' : '');
      out.push(`<table><thead><tr>${(header ?? []).map((cell, column) => `<th${align(column)}>${inline(cell)}</th>`).join('')}</tr></thead><tbody>${body.map((row) => `<tr>${row.map((cell, column) => `<td${align(column)}>${inline(cell)}</td>`).join('')}</tr>`).join('')}</tbody></table>`);
    } else if (line.startsWith('### ')) out.push(`<h3>${inline(line.slice(4))}</h3>`);
    else if (line.startsWith('## ')) out.push(`<h2>${inline(line.slice(3))}</h2>`);
    else if (line.startsWith('# ')) out.push(`<h1>${inline(line.slice(2))}</h1>`);
    else if (line.trim() !== '') out.push(`<p>${inline(line)}</p>`);
  }
  closeTo(0);
  return out.join('\n');
}

/**
 * The single-file HTML report: the verdict against parallel first, then the charts (cost and
 * latency on linear axes, tokens by class, round trips, the break-even map, sandbox time,
 * micro-benchmarks, compactness) as inline SVG, then the rest of the Markdown report's text and
 * tables. Every series has one colour across all charts. No script, no external resource: it opens
 * offline.
 */
export function renderHtmlReport(report: BenchReport): string {
  const preset = summaryPreset(report);
  const { title, verdict, details } = markdownSections(report);
  const colours = new SeriesColours();
  const charts = [...headlineCharts(report, preset, colours), ...breakEvenCharts(report), ...sandboxCharts(report, preset, colours), ...compactnessChart(report, colours)];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>codecall benchmark — ${escapeHtml(report.date)}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1100px; color: #111827; padding: 0 16px; }
h1 { font-size: 24px; } h2 { font-size: 19px; margin-top: 32px; border-bottom: 1px solid #e5e7eb; } h3 { font-size: 16px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 12px; max-width: 100%; } th, td { border: 1px solid #e5e7eb; padding: 3px 6px; text-align: left; vertical-align: top; overflow-wrap: break-word; } th.num, td.num { text-align: right; }
th { background: #f9fafb; font-weight: 600; overflow-wrap: normal; }
code { background: #f3f4f6; padding: 0 3px; border-radius: 3px; overflow-wrap: anywhere; }
p, li { overflow-wrap: anywhere; }
#verdict { border: 2px solid #111827; border-radius: 6px; padding: 4px 16px 8px; }
#verdict h2 { margin-top: 8px; }
.charts svg { display: block; margin: 12px 0 24px; max-width: 100%; height: auto; }
svg .title { font-weight: 600; font-size: 14px; } svg .tag { font-weight: 400; fill: #6b7280; font-size: 12px; }
svg .group, svg .axis { font-size: 12px; } svg .value { font-size: 10px; fill: #374151; } svg .muted { fill: #6b7280; } svg .legend { font-size: 11px; } svg .cell-value { font-size: 12px; fill: #111827; }
</style>
</head>
<body>
<header>
${markdownToHtml(title.join('\n'))}
</header>
<section id="verdict">
${markdownToHtml(verdict.join('\n'))}
</section>
<section class="charts" id="charts">
<h2>Charts (${escapeHtml(preset)})</h2>
<p>One colour per series in every chart. Headline charts (cost, latency, tokens) use linear axes; the sandbox-time and micro-benchmark charts say when they are on a log scale.</p>
${charts.join('\n')}
</section>
<section class="text" id="details">
${markdownToHtml(details.join('\n'))}
</section>
</body>
</html>
`;
}
