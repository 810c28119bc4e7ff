// Regenerates the case table of README.md from conformanceCases: `pnpm run readme` (after a build).
import { readFileSync, writeFileSync } from 'node:fs';
import { conformanceCases } from '../dist/index.js';
import { withCaseTable } from './render-case-table.ts';

const path = new URL('../README.md', import.meta.url);
writeFileSync(path, withCaseTable(readFileSync(path, 'utf8'), conformanceCases));
