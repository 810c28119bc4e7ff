// Package checks publint does not make. Source maps resolve inside the tarball: every file named
// by a `sourceMappingURL` comment and every `sources` entry of a packed `.map` file is packed too.
// Every export with a `default` condition loads with `require()` (require(esm), Node >= 22.12).
// Run from a package directory (its `check:package` script) after `build`.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';

const output = execFileSync('pnpm', ['pack', '--dry-run', '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const report = JSON.parse(output.slice(output.indexOf('{')));
const packed = new Set(report.files.map((file) => path.posix.normalize(file.path)));
const problems = [];

const resolveFrom = (file, reference) => path.posix.normalize(path.posix.join(path.posix.dirname(file), reference));

for (const file of packed) {
  if (/\.(?:[cm]?js|d\.[cm]?ts)$/.test(file)) {
    const match = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(file, 'utf8'));
    if (match !== null && !match[1].startsWith('data:') && !packed.has(resolveFrom(file, match[1]))) {
      problems.push(`${file}: sourceMappingURL ${match[1]} is not in the package`);
    }
  }
  if (file.endsWith('.map')) {
    const map = JSON.parse(readFileSync(file, 'utf8'));
    for (const source of map.sources ?? []) {
      const target = resolveFrom(file, path.posix.join(map.sourceRoot ?? '', source));
      if (!packed.has(target)) problems.push(`${file}: source ${source} is not in the package`);
    }
  }
}

const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
const require = createRequire(path.resolve('package.json'));
for (const [subpath, conditions] of Object.entries(manifest.exports ?? {})) {
  if (typeof conditions !== 'object' || conditions === null) continue;
  if (typeof conditions.import === 'string' && conditions.default !== conditions.import) {
    problems.push(`exports["${subpath}"]: no "default" condition equal to "import", so require() cannot load it`);
    continue;
  }
  try {
    require(path.posix.join(manifest.name, subpath));
  } catch (error) {
    problems.push(`exports["${subpath}"]: require() fails: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
}

if (problems.length > 0) {
  process.stderr.write(`${report.name}: ${problems.length} problem(s) with the packed files:\n${problems.slice(0, 20).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`${report.name}: every source map reference of ${packed.size} packed files resolves; every export loads with require().\n`);
