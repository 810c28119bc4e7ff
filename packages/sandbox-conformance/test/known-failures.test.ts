import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

interface JsonAssertion {
  fullName: string;
  title: string;
  status: 'passed' | 'failed' | 'skipped' | 'pending' | 'todo';
  failureMessages: string[];
}

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const vitestBin = join(createRequire(import.meta.url).resolve('vitest/package.json'), '..', 'vitest.mjs');

// Runs the suite on a fixture in a child vitest and reads its JSON report: the only way to see a
// test fail without failing this run.
async function runFixtureSuite(testNamePattern: string): Promise<JsonAssertion[]> {
  const directory = mkdtempSync(join(tmpdir(), 'conformance-self-'));
  const outputFile = join(directory, 'report.json');
  try {
    await new Promise<void>((resolve) => {
      execFile(
        process.execPath,
        [vitestBin, 'run', '--config', 'test/fixtures/known-failures/vitest.config.ts', '--reporter=json', `--outputFile=${outputFile}`, '-t', testNamePattern],
        { cwd: packageDir, timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } },
        // The child run is expected to fail (exit code 1); the report says how.
        () => resolve(),
      );
    });
    const report = JSON.parse(readFileSync(outputFile, 'utf8')) as { testResults: { assertionResults: JsonAssertion[] }[] };
    return report.testResults.flatMap((file) => file.assertionResults);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

it('a known failure that passes, and knownFailures keys that name no running test, turn the suite red', { timeout: 150_000 }, async () => {
  const results = await runFixtureSuite('output.return-value|limits.memory-external|options:');
  const byTitle = (prefix: string): JsonAssertion => {
    const found = results.find((result) => result.title.startsWith(prefix));
    if (found === undefined) throw new Error(`No test titled ${prefix}…; got ${results.map((result) => result.title).join(', ')}`);
    return found;
  };
  expect(byTitle('output.return-value:javascript [known failure').status).toBe('failed');
  expect(byTitle('output.return-value:typescript').status).toBe('passed');
  expect(byTitle('limits.memory-external:javascript [known failure').status).toBe('passed');
  const options = byTitle('options:');
  expect(options.status).toBe('failed');
  const message = options.failureMessages.join('\n');
  expect(message).toContain('knownFailures["output.return-valeu"] names no conformance case');
  expect(message).toContain('knownFailures["tools.keyword-arguments:javascript"]: case tools.keyword-arguments has no test named');
  expect(message).toContain('knownFailures["limits.memory:python"] names only tests that are skipped here');
  expect(message).not.toContain('limits.memory-external');
});
