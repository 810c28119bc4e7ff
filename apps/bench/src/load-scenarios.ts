import { readdir, stat } from 'node:fs/promises';
import module from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { assertScenario } from './scenario.ts';
import type { Scenario } from './scenario.ts';

const scenarioFile = /^[^_.].*\.(ts|mts|mjs|js)$/;
let hooksRegistered = false;

/**
 * Lets scenario files anywhere on disk import `@codecall/bench-scenarios`, `@codecall/core`, `zod`…: a bare
 * specifier that does not resolve from the scenario's own location is resolved from this app.
 */
function registerFallbackResolution(): void {
  if (hooksRegistered) return;
  hooksRegistered = true;
  // `registerHooks` is synchronous and in-thread (Node >= 22.15); without it, scenarios must
  // resolve their imports on their own.
  const register = (module as { registerHooks?: typeof module.registerHooks }).registerHooks;
  if (register === undefined) return;
  const fallbackParent = import.meta.url;
  register({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context);
      } catch (error) {
        const bare = !specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.includes(':');
        if (!bare || (error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
        return nextResolve(specifier, { ...context, parentURL: fallbackParent });
      }
    },
  });
}

/** Scenario files of a directory: `*.ts`, `*.mts`, `*.mjs`, `*.js`, not starting with `_` or `.`, no tests or declarations. */
export async function scenarioFilesIn(directory: string): Promise<string[]> {
  const entries = await readdir(directory);
  const files: string[] = [];
  for (const name of entries.sort()) {
    if (!scenarioFile.test(name) || name.endsWith('.d.ts') || name.includes('.test.')) continue;
    const path = join(directory, name);
    if ((await stat(path)).isFile()) files.push(path);
  }
  return files;
}

/**
 * Loads every scenario of the given directories (or files). A module exports `scenario` (one),
 * `scenarios` (an array) or a default export. Throws with the file and the problem when a module
 * exports none, an export is malformed, or two scenarios share an id.
 */
export async function loadScenarios(paths: readonly string[]): Promise<Scenario[]> {
  registerFallbackResolution();
  const scenarios: Scenario[] = [];
  const seen = new Map<string, string>();
  for (const path of paths) {
    const absolute = resolve(path);
    const files = (await stat(absolute)).isDirectory() ? await scenarioFilesIn(absolute) : [absolute];
    if (files.length === 0) throw new Error(`No scenario files in ${absolute} (expected *.ts or *.mjs files not starting with "_").`);
    for (const file of files) {
      const exports = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      const found: unknown[] = [];
      if (exports['scenario'] !== undefined) found.push(exports['scenario']);
      if (Array.isArray(exports['scenarios'])) found.push(...(exports['scenarios'] as unknown[]));
      if (exports['default'] !== undefined) found.push(exports['default']);
      if (found.length === 0) throw new TypeError(`${file}: exports no \`scenario\`, \`scenarios\` or default export (see benchmarks/scenarios/README.md)`);
      for (const candidate of found) {
        assertScenario(candidate, file);
        const previous = seen.get(candidate.id);
        if (previous !== undefined && candidate !== scenarios.find((scenario) => scenario.id === candidate.id)) {
          throw new TypeError(`${file}: scenario id "${candidate.id}" is already used by ${previous}`);
        }
        if (previous !== undefined) continue;
        seen.set(candidate.id, file);
        scenarios.push(candidate);
      }
    }
  }
  return scenarios;
}
