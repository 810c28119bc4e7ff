import type { RunCodeOptions, RunResult, SandboxCapabilitiesV1, SandboxLanguage, SandboxV1 } from '@codecall/core';

/** The areas of the guest contract the cases cover; the first part of every case id. */
export type ConformanceArea = 'values' | 'output' | 'tools' | 'errors' | 'limits' | 'isolation' | 'lifecycle' | 'typescript' | 'events';

/**
 * Capabilities a case needs, compared with the adapter's declared `capabilities`. A case whose
 * requirement the adapter does not meet is reported as skipped, with the reason in its title.
 */
export interface ConformanceRequirements {
  /** Runs only when `capabilities.network` has this value. */
  readonly network?: boolean;
  /** Runs only when `capabilities.filesystem` has this value. */
  readonly filesystem?: boolean;
  /** Runs only when `capabilities.processApi` has this value. */
  readonly processApi?: boolean;
  /** Runs only when `capabilities.memoryLimit` has this value. */
  readonly memoryLimit?: boolean;
  /** Runs only when `capabilities.liveOutput` has this value (absent counts as `false`). */
  readonly liveOutput?: boolean;
}

/** Options of one run inside a case: `runCode`'s options without the sandbox and language. */
export type ConformanceRunOptions = Omit<RunCodeOptions, 'sandbox' | 'language'>;

/** What a case gets when it runs. */
export interface ConformanceCaseContext {
  /** The sandbox shared by the cases of one `describeSandboxConformance` block. */
  readonly sandbox: SandboxV1;
  /** The sandbox's declared capabilities. */
  readonly capabilities: SandboxCapabilitiesV1;
  /** The language under test; for language-independent cases, the first language tested. */
  readonly language: SandboxLanguage;
  /** Creates a sandbox of its own (the case must dispose it), e.g. to test `dispose`. */
  createSandbox(): Promise<SandboxV1>;
  /** `runCode` on the shared sandbox in `language`. */
  run(options: ConformanceRunOptions): Promise<RunResult>;
}

/** One case of the conformance suite. */
export interface ConformanceCase {
  /** Stable id, `area.case`, e.g. `tools.parallel-concurrent`. Test names are `<id>:<language>`. */
  readonly id: string;
  /** The area of the guest contract the case checks (the part of `id` before the dot). */
  readonly area: ConformanceArea;
  /** What the case checks, in one or two sentences. */
  readonly description: string;
  /**
   * Languages the case has code for. `typescript` is listed when the case runs its JavaScript code
   * as TypeScript too, or has TypeScript-only code. Empty for language-independent cases, whose
   * test name is the bare `id`.
   */
  readonly languages: readonly SandboxLanguage[];
  /** Capabilities the case needs; empty when it applies to every adapter. */
  readonly requires: ConformanceRequirements;
  /** Runs the case; throws (an assertion error) when the sandbox does not conform. */
  run(context: ConformanceCaseContext): Promise<void>;
}

/** Guest programs of one case, by language; TypeScript falls back to the JavaScript program. */
export type CasePrograms<PROGRAM> = { readonly [L in SandboxLanguage]?: PROGRAM };

/** How a case is written: its programs per language and one body that runs any of them. */
export interface CaseDefinition<PROGRAM> {
  readonly id: `${ConformanceArea}.${string}`;
  readonly description: string;
  readonly requires?: ConformanceRequirements;
  /** Programs per language; omit for a language-independent case. */
  readonly code?: CasePrograms<PROGRAM>;
  readonly run: (context: ConformanceCaseContext, program: PROGRAM) => Promise<void>;
}

/** Turns a case definition into a `ConformanceCase` (picks the program of the language under test). */
export function defineCase<PROGRAM>(definition: CaseDefinition<PROGRAM>): ConformanceCase {
  const code = definition.code;
  const languages: SandboxLanguage[] = [];
  if (code !== undefined) {
    if (code.javascript !== undefined) languages.push('javascript');
    if (code.javascript !== undefined || code.typescript !== undefined) languages.push('typescript');
    if (code.python !== undefined) languages.push('python');
  }
  const area = definition.id.slice(0, definition.id.indexOf('.')) as ConformanceArea;
  return Object.freeze({
    id: definition.id,
    area,
    description: definition.description,
    languages: Object.freeze(languages),
    requires: Object.freeze({ ...definition.requires }),
    run: async (context: ConformanceCaseContext): Promise<void> => {
      if (code === undefined) return definition.run(context, undefined as PROGRAM);
      const program = context.language === 'typescript' ? (code.typescript ?? code.javascript) : code[context.language];
      if (program === undefined) throw new Error(`${definition.id} has no ${context.language} program.`);
      return definition.run(context, program);
    },
  });
}

/**
 * Joins lines of guest code. Used instead of indented template literals so that line numbers in
 * the cases are exactly what the reader sees.
 */
export function lines(...source: string[]): string {
  return source.join('\n');
}
