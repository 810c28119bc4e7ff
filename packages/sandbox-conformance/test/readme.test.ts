import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { conformanceCases } from '../src/index.js';
import { withCaseTable } from '../scripts/render-case-table.js';

it('README.md lists every case as conformanceCases has it (run `pnpm run readme` after a build to update)', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  expect(readme).toBe(withCaseTable(readme, conformanceCases));
});
