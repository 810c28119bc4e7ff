import type { SandboxCapabilitiesV1, SandboxLanguage } from '@codecall/core';
import type { ConformanceCase, ConformanceRequirements } from './conformance-case.js';

/** How one planned test runs. */
export type PlannedTestMode = 'run' | 'fails' | 'skip';

/** One vitest test of the suite, before it is registered. */
export interface PlannedTest {
  /** `<id>:<language>` (or `<id>` for language-independent cases), plus a note when skipped or known to fail. */
  readonly title: string;
  /** `<id>:<language>` or `<id>`: the name knownFailures keys refer to. */
  readonly name: string;
  /** The case. */
  readonly conformanceCase: ConformanceCase;
  /** The language it runs in. */
  readonly language: SandboxLanguage;
  /** `run` normally, `fails` for a known failure (the test fails when the case passes), `skip` when gated out. */
  readonly mode: PlannedTestMode;
}

/** The tests to register and the problems with the options (each one fails the suite). */
export interface ConformancePlan {
  /** Every test, skipped ones included. */
  readonly tests: readonly PlannedTest[];
  /** Problems with the options, e.g. a knownFailures key that names no test that runs. */
  readonly problems: readonly string[];
}

/** What the plan depends on besides the cases and capabilities. */
export interface ConformancePlanOptions {
  /** Languages to test; default: all declared. */
  readonly languages?: readonly SandboxLanguage[] | undefined;
  /** Known failures, keyed `<id>` or `<id>:<language>`, with the reason. */
  readonly knownFailures?: Readonly<Record<string, string>> | undefined;
}

function unmetRequirement(requires: ConformanceRequirements, capabilities: SandboxCapabilitiesV1): string | undefined {
  for (const key of ['network', 'filesystem', 'processApi', 'memoryLimit', 'liveOutput'] as const) {
    const wanted = requires[key];
    const declared = capabilities[key] ?? false;
    if (wanted !== undefined && declared !== wanted) {
      return `needs capabilities.${key} = ${String(wanted)}, the sandbox declares ${String(declared)}`;
    }
  }
  return undefined;
}

/**
 * Decides which tests run, which are skipped (and why) and which are known failures, and checks
 * the options: languages the sandbox does not declare and knownFailures keys that name no test
 * that runs here are problems, so a typo cannot hide a failure.
 */
export function planConformanceTests(
  cases: readonly ConformanceCase[],
  capabilities: SandboxCapabilitiesV1,
  options: ConformancePlanOptions = {},
): ConformancePlan {
  const problems: string[] = [];
  const declared = capabilities.languages;
  for (const language of options.languages ?? []) {
    if (!declared.includes(language)) problems.push(`options.languages lists ${language}, which the sandbox does not declare (capabilities.languages: ${declared.join(', ')}).`);
  }
  const tested = (options.languages ?? declared).filter((language) => declared.includes(language));
  const knownFailures = options.knownFailures ?? {};
  const tests: PlannedTest[] = [];

  for (const conformanceCase of cases) {
    const unmet = unmetRequirement(conformanceCase.requires, capabilities);
    const runs: { language: SandboxLanguage; name: string; skipReason: string | undefined }[] = [];
    if (conformanceCase.languages.length === 0) {
      const language = tested[0];
      runs.push({
        language: language ?? 'javascript',
        name: conformanceCase.id,
        skipReason: language === undefined ? 'no language is tested' : unmet,
      });
    } else {
      for (const language of conformanceCase.languages) {
        const skipReason = !declared.includes(language)
          ? `the sandbox does not run ${language}`
          : !tested.includes(language)
            ? `${language} is not in options.languages`
            : unmet;
        runs.push({ language, name: `${conformanceCase.id}:${language}`, skipReason });
      }
    }
    for (const { language, name, skipReason } of runs) {
      const knownFailure = knownFailures[name] ?? knownFailures[conformanceCase.id];
      if (skipReason !== undefined) {
        tests.push({ title: `${name} [skipped: ${skipReason}]`, name, conformanceCase, language, mode: 'skip' });
      } else if (knownFailure !== undefined) {
        tests.push({ title: `${name} [known failure: ${knownFailure}]`, name, conformanceCase, language, mode: 'fails' });
      } else {
        tests.push({ title: name, name, conformanceCase, language, mode: 'run' });
      }
    }
  }

  const ids = new Set(cases.map((conformanceCase) => conformanceCase.id));
  for (const key of Object.keys(knownFailures)) {
    const covered = tests.filter((test) => test.name === key || test.conformanceCase.id === key);
    if (covered.length === 0) {
      const id = key.includes(':') ? key.slice(0, key.lastIndexOf(':')) : key;
      problems.push(
        ids.has(id)
          ? `knownFailures["${key}"]: case ${id} has no test named ${key} (its tests: ${tests.filter((test) => test.conformanceCase.id === id).map((test) => test.name).join(', ')}).`
          : `knownFailures["${key}"] names no conformance case (ids look like "values.input-json-semantics", keys like "<id>" or "<id>:<language>").`,
      );
    } else if (covered.every((test) => test.mode === 'skip')) {
      problems.push(`knownFailures["${key}"] names only tests that are skipped here (${covered.map((test) => test.title).join('; ')}); remove the entry.`);
    }
  }
  return { tests, problems };
}
