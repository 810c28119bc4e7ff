import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { BenchReport } from '../src/bench-report.ts';
import { headlineCells, referenceSandbox, summaryPreset } from '../src/markdown-report.ts';
import { readmeMarkers, renderReadmeSection, replaceReadmeSection } from '../src/readme-section.ts';
import { checkLayout } from './html-layout.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('the README benchmark section', () => {
  it('is exactly what the committed run it links to renders (regenerate with readme-section.ts)', async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const start = readme.indexOf(readmeMarkers.start);
    const end = readme.indexOf(readmeMarkers.end);
    expect(start, 'README.md has the benchmark markers').toBeGreaterThan(-1);
    const section = readme.slice(start, end + readmeMarkers.end.length);
    const directory = /Committed run: \[`([^`]+)`\]/.exec(section)?.[1];
    expect(directory).toBeDefined();
    const reportPath = join(root, directory!, 'report.json');
    expect(existsSync(reportPath), reportPath).toBe(true);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as BenchReport;
    expect(section).toBe(renderReadmeSection(report, directory!));
    // The cases where code loses come before the table and before the wins.
    expect(section.indexOf('**Where code loses:**')).toBeLessThan(section.indexOf('**Where code pays:**'));
    expect(section.indexOf('**Where code loses:**')).toBeLessThan(section.indexOf('| scenario |'));
    expect(section).toMatch(/parallel \(baseline\)/);
  });

  it("links a committed HTML report that reads well in headless Chromium (verdict above the charts, nothing overflows)", async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const directory = /Committed run: \[`([^`]+)`\]/.exec(readme)?.[1];
    expect(directory).toBeDefined();
    const screenshot = join(tmpdir(), `codecall-readme-layout-${process.pid}.png`);
    const findings = await checkLayout(join(root, directory!, 'report.html'), screenshot);
    await rm(screenshot, { force: true });
    expect(findings.verdictBottom!).toBeLessThanOrEqual(findings.firstChartTop!);
    expect(findings.overflowing).toEqual([]);
    expect(findings.pageOverflowPx).toBe(0);
    expect(findings.inconsistentSeries).toEqual([]);
  });

  it('names the scenarios whose programmatic runs include a failed program, as the report has them', async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const directory = /Committed run: \[`([^`]+)`\]/.exec(readme)?.[1];
    const report = JSON.parse(await readFile(join(root, directory!, 'report.json'), 'utf8')) as BenchReport;
    const failedLine = (from: BenchReport): string => renderReadmeSection(from, directory!).split('\n').find((line) => line.startsWith('Failed programs')) ?? '';
    const preset = summaryPreset(report);
    const sandbox = referenceSandbox(report);
    const programmatic = (scenario: string) => headlineCells(report, scenario, preset, sandbox).programmatic;
    const failing = report.scenarios.filter((scenario) => (programmatic(scenario.id)?.stats.failedPrograms?.median ?? 0) > 0).map((scenario) => scenario.id);
    const line = failedLine(report);
    for (const scenario of report.scenarios) expect(line.includes(`${scenario.id} (`), scenario.id).toBe(failing.includes(scenario.id));
    // It follows the data: with no failed program anywhere, it names none.
    for (const scenario of failing) {
      const stats = programmatic(scenario)!.stats.failedPrograms!;
      (stats as { median: number }).median = 0;
    }
    expect(failedLine(report)).toMatch(/include no failed program;/);
  });

  it('replaces only the text between the markers', () => {
    const readme = `before\n${readmeMarkers.start}\nold\n${readmeMarkers.end}\nafter\n`;
    expect(replaceReadmeSection(readme, `${readmeMarkers.start}\nnew\n${readmeMarkers.end}`)).toBe(`before\n${readmeMarkers.start}\nnew\n${readmeMarkers.end}\nafter\n`);
    expect(() => replaceReadmeSection('no markers', 'x')).toThrow(/markers/);
  });
});
