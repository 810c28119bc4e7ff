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

  it('says how failed programs enter the code-mode figures: expected values, or (older reports) the scenarios whose draws failed', async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const directory = /Committed run: \[`([^`]+)`\]/.exec(readme)?.[1];
    const committed = JSON.parse(await readFile(join(root, directory!, 'report.json'), 'utf8')) as BenchReport;
    const failedLine = (from: BenchReport): string => renderReadmeSection(from, directory!).split('\n').find((line) => line.startsWith('Failed programs')) ?? '';
    const withModel = (failureModel: 'expected' | 'drawn'): BenchReport => structuredClone({ ...committed, parameters: { ...committed.parameters, failureModel } });
    expect(failedLine(withModel('expected'))).toMatch(/every code-mode figure above is an expected value at the behaviour layer's failure rate p = 0\.1/);

    const drawn = withModel('drawn');
    const preset = summaryPreset(drawn);
    const sandbox = referenceSandbox(drawn);
    const programmatic = (scenario: string) => headlineCells(drawn, scenario, preset, sandbox).programmatic;
    // A drawn report: as if two scenarios' draws had failed once and the others' not.
    const failing = drawn.scenarios.slice(0, 2).map((scenario) => scenario.id);
    for (const scenario of drawn.scenarios) {
      const stats = programmatic(scenario.id)?.stats.failedPrograms as { median: number } | undefined;
      if (stats !== undefined) stats.median = failing.includes(scenario.id) ? 1 : 0;
    }
    const line = failedLine(drawn);
    for (const scenario of drawn.scenarios) expect(line.includes(`${scenario.id} (1)`), scenario.id).toBe(failing.includes(scenario.id));
    for (const scenario of failing) (programmatic(scenario)!.stats.failedPrograms as { median: number }).median = 0;
    expect(failedLine(drawn)).toMatch(/include no failed program;/);
  });

  it('replaces only the text between the markers', () => {
    const readme = `before\n${readmeMarkers.start}\nold\n${readmeMarkers.end}\nafter\n`;
    expect(replaceReadmeSection(readme, `${readmeMarkers.start}\nnew\n${readmeMarkers.end}`)).toBe(`before\n${readmeMarkers.start}\nnew\n${readmeMarkers.end}\nafter\n`);
    expect(() => replaceReadmeSection('no markers', 'x')).toThrow(/markers/);
  });
});
