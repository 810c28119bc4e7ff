// Removes build output whose source is gone (a renamed or deleted `src/x.ts` leaves `dist/x.js`
// behind, since tsc never deletes), so that a package never publishes stale modules. Runs after
// `tsc` in a package's `build`; deleting only what has no source keeps `dist` usable throughout.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';

const outputPattern = /^(.*?)(?:\.d\.ts|\.js)(?:\.map)?$/;

function prune(directory) {
  if (!existsSync(directory)) return;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const file = path.join(directory, entry.name);
    if (entry.isDirectory()) {
      prune(file);
      if (readdirSync(file).length === 0) rmSync(file, { recursive: true });
      continue;
    }
    const match = outputPattern.exec(path.relative('dist', file));
    if (match === null) continue;
    const source = path.join('src', match[1]);
    if (!['.ts', '.mts', '.tsx'].some((extension) => existsSync(source + extension))) {
      rmSync(file);
      process.stdout.write(`prune-dist: removed ${file} (no ${source}.ts)\n`);
    }
  }
}

prune('dist');
