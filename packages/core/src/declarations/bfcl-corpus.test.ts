// Declarations for all 2,840 real tools of the BFCL corpus (see /work/shared/corpora/README.md)
// must parse, type-check (TypeScript) and execute (Python), with one function per tool.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createToolset } from '../toolset.js';
import type { Toolset } from '../toolset.js';
import type { JsonSchemaObject } from '../json.js';
import { checkPython, checkTypescript } from './declaration-parsers.test.js';
import { generateDeclarations } from './generate-declarations.js';

const corpusPath = fileURLToPath(new URL('../../../../../shared/corpora/bfcl-tools.json', import.meta.url));
const batchSize = 20;

interface CorpusTool {
  name: string;
  description: string;
  inputSchema: JsonSchemaObject;
  outputSchema?: JsonSchemaObject;
}

/** Batches of at most `batchSize` tools with unique names (names repeat across variants). */
function batches(tools: readonly CorpusTool[]): CorpusTool[][] {
  const result: { tools: CorpusTool[]; names: Set<string> }[] = [];
  for (const tool of tools) {
    let batch = result.find((candidate) => candidate.tools.length < batchSize && !candidate.names.has(tool.name));
    if (batch === undefined) {
      batch = { tools: [], names: new Set() };
      result.push(batch);
    }
    batch.tools.push(tool);
    batch.names.add(tool.name);
  }
  return result.map((batch) => batch.tools);
}

/** The input keys a declaration must show: every property, then `required` keys without one. */
function inputKeys(schema: JsonSchemaObject): string[] {
  const properties = typeof schema.properties === 'object' && schema.properties !== null ? Object.keys(schema.properties) : [];
  const required = Array.isArray(schema.required) ? schema.required.filter((key): key is string => typeof key === 'string') : [];
  return [...properties, ...required.filter((key) => !properties.includes(key))];
}

function descriptionText(description: string): string {
  return description.trim().split(/\r\n|[\n\r\u0085\u2028\u2029]/).map((line) => line.trimEnd()).join('\n');
}

// Generous: the machine running CI may be shared; the work itself takes a few seconds.
describe('BFCL corpus', { timeout: 60_000 }, () => {
  let corpus: CorpusTool[];
  let toolsets: Toolset[];

  beforeAll(() => {
    if (!existsSync(corpusPath)) {
      throw new Error(`The BFCL corpus is missing at ${corpusPath} (expected next to the repository, in ../shared/corpora/bfcl-tools.json).`);
    }
    corpus = JSON.parse(readFileSync(corpusPath, 'utf8')) as CorpusTool[];
    toolsets = batches(corpus).map((batch) => createToolset(batch.map((tool) => ({ ...tool, execute: () => null }))));
  });

  it('has the 2,840 tools its README describes, in batches with unique names', () => {
    expect(corpus).toHaveLength(2840);
    expect(toolsets.reduce((count, toolset) => count + toolset.entries.length, 0)).toBe(2840);
  });

  it('gives TypeScript declarations that parse and type-check, one function per tool', () => {
    const texts = toolsets.map((toolset) => generateDeclarations(toolset, { language: 'typescript' }));
    const checks = checkTypescript(texts);
    checks.forEach((check, index) => {
      const toolset = toolsets[index] as Toolset;
      const context = `batch ${index}:\n${texts[index] ?? ''}`;
      expect(check.syntaxErrors, context).toEqual([]);
      expect(check.semanticErrors, context).toEqual([]);
      expect(check.otherStatements, context).toEqual([]);
      expect(check.functions, context).toEqual(toolset.entries.map((entry) => entry.identifier));
      for (const tag of check.jsDocTags) expect(['param', 'returns'], context).toContain(tag);
      for (const { tool, identifier } of toolset.entries) {
        expect(Object.keys(check.inputProperties[identifier] ?? {}).sort(), context).toEqual(inputKeys(tool.inputSchema).sort());
      }
    });
  });

  it('gives Python declarations that parse and execute, one def per tool, with every description', () => {
    const texts = toolsets.map((toolset) => generateDeclarations(toolset, { language: 'python' }));
    const checks = checkPython(texts);
    expect(checks).toHaveLength(texts.length);
    checks.forEach((check, index) => {
      const toolset = toolsets[index] as Toolset;
      const context = `batch ${index}:\n${texts[index] ?? ''}`;
      expect(check.syntaxError, context).toBeNull();
      expect(check.runtimeError, context).toBeNull();
      expect(check.otherStatements, context).toEqual([]);
      expect(check.functions, context).toEqual(toolset.entries.map((entry) => entry.identifier));
      for (const { tool, identifier } of toolset.entries) {
        const description = descriptionText(tool.description);
        if (description !== '') expect(check.docstrings[identifier], context).toContain(description);
        const keys = inputKeys(tool.inputSchema);
        // An input without properties is a plain `dict[str, Any]`, not a TypedDict.
        if (keys.length > 0) expect(Object.keys(check.inputKeys[identifier] ?? {}).sort(), context).toEqual(keys.sort());
      }
    });
  });

  it('is deterministic', () => {
    const sample = toolsets.slice(0, 10);
    for (const language of ['typescript', 'python'] as const) {
      expect(sample.map((toolset) => generateDeclarations(toolset, { language }))).toEqual(
        sample.map((toolset) => generateDeclarations(toolset, { language })),
      );
    }
  });
});
