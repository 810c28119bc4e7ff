// Lays out an HTML report in headless Chromium and measures it: what a reader would see go wrong.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What the layout check found. */
export interface LayoutFindings {
  /** Bottom of the verdict section and top of the first chart, in CSS pixels (null when missing). */
  readonly verdictBottom: number | null;
  readonly firstChartTop: number | null;
  /** Text that spills out of its box: SVG text outside its chart, HTML text wider than its element. */
  readonly overflowing: readonly string[];
  /** The page is wider than the window (something forces horizontal scrolling). */
  readonly pageOverflowPx: number;
  /** Series drawn in more than one colour across the charts. */
  readonly inconsistentSeries: readonly string[];
  /** Titles of the headline charts (cost, latency, tokens). */
  readonly headlineTitles: readonly string[];
  /** Number of break-even lines drawn. */
  readonly breakEvenLines: number;
  /** Number of `svg.chart` elements. */
  readonly charts: number;
}

// Runs in the page after layout; writes its findings into <pre id="layout-findings">.
const probe = `
<script>
window.addEventListener('load', () => {
  const rect = (element) => element.getBoundingClientRect();
  const findings = { overflowing: [], inconsistentSeries: [], headlineTitles: [] };
  const verdict = document.querySelector('#verdict');
  const firstChart = document.querySelector('svg.chart');
  findings.verdictBottom = verdict ? rect(verdict).bottom + window.scrollY : null;
  findings.firstChartTop = firstChart ? rect(firstChart).top + window.scrollY : null;
  for (const svg of document.querySelectorAll('svg.chart')) {
    const box = rect(svg);
    for (const text of svg.querySelectorAll('text')) {
      const r = rect(text);
      if (r.width === 0) continue;
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1) {
        findings.overflowing.push(svg.dataset.chart + ': ' + text.textContent);
      }
    }
  }
  for (const element of document.querySelectorAll('h1, h2, h3, p, li, th, td')) {
    if (element.scrollWidth > element.clientWidth + 1) findings.overflowing.push(element.tagName + ': ' + element.textContent.slice(0, 80));
  }
  findings.pageOverflowPx = Math.max(0, document.documentElement.scrollWidth - window.innerWidth);
  const colours = new Map();
  for (const bar of document.querySelectorAll('svg.chart rect.bar[data-series]')) {
    const name = bar.dataset.series;
    if (!colours.has(name)) colours.set(name, new Set());
    colours.get(name).add(bar.getAttribute('fill'));
  }
  for (const [name, set] of colours) if (set.size > 1) findings.inconsistentSeries.push(name + ': ' + [...set].join(', '));
  for (const id of ['cost', 'latency', 'tokens']) {
    const title = document.querySelector('svg.chart[data-chart="' + id + '"] .title');
    findings.headlineTitles.push(title ? title.textContent : id + ': missing');
  }
  findings.breakEvenLines = document.querySelectorAll('svg.chart path.break-even-line').length;
  findings.charts = document.querySelectorAll('svg.chart').length;
  const out = document.createElement('pre');
  out.id = 'layout-findings';
  out.textContent = JSON.stringify(findings);
  document.body.appendChild(out);
});
</script>`;

/** Chromium flags for a headless run that reaches no network and keeps no state. */
export function chromiumFlags(profile: string): string[] {
  return ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`];
}

/** The Chromium binary, or an error saying how to get it. */
export function chromiumPath(): string {
  const found = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
  if (found === undefined) throw new Error('Chromium is missing: install the Debian package (apt-get install -y chromium); ./dev test installs it when run as root.');
  return found;
}

/**
 * Lays out `htmlPath` in headless Chromium at `width` CSS pixels, measures it, and takes a
 * screenshot to `screenshotPath`.
 */
export async function checkLayout(htmlPath: string, screenshotPath: string, width = 1200): Promise<LayoutFindings> {
  const chromium = chromiumPath();
  const profile = await mkdtemp(join(tmpdir(), 'codecall-chromium-'));
  try {
    const probed = join(profile, 'probed.html');
    const html = await readFile(htmlPath, 'utf8');
    await writeFile(probed, html.replace('</body>', `${probe}\n</body>`));
    const dom = execFileSync(chromium, [...chromiumFlags(profile), `--window-size=${width},1600`, '--virtual-time-budget=5000', '--dump-dom', `file://${probed}`], { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
    const json = /<pre id="layout-findings">([\s\S]*?)<\/pre>/.exec(dom)?.[1];
    if (json === undefined) throw new Error('the layout probe did not run');
    const decoded = json.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    execFileSync(chromium, [...chromiumFlags(profile), `--window-size=${width},2400`, `--screenshot=${screenshotPath}`, `file://${htmlPath}`], { timeout: 90_000, stdio: 'ignore' });
    return JSON.parse(decoded) as LayoutFindings;
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}
