import { readFile } from 'node:fs/promises';
import { countTokens } from '@codecall/anthropic/simulator';
import { createToolset, generateDeclarations } from '@codecall/core';
import type { JsonSchemaObject } from '@codecall/core';

interface CorpusTool {
  readonly name: string;
  readonly description?: string;
  readonly inputSchema: JsonSchemaObject;
}

/** Token counts of one batch of tools. */
export interface CompactnessBatch {
  /** Tools in the batch. */
  readonly tools: number;
  /** o200k tokens of compact Anthropic-style JSON (`[{name, description, input_schema}]`). */
  readonly jsonTokens: number;
  /** o200k tokens of the generated TypeScript declarations. */
  readonly typescriptTokens: number;
  /** o200k tokens of the generated Python declarations. */
  readonly pythonTokens: number;
}

/** Declaration compactness over a tool corpus. */
export interface CompactnessResult {
  /** Corpus file. */
  readonly corpus: string;
  /** Tokenizer used for every count. */
  readonly tokenizer: string;
  /** How the corpus was cut and compared. */
  readonly method: string;
  /** Tools measured and batches. */
  readonly tools: number;
  readonly batchSize: number;
  readonly batches: readonly CompactnessBatch[];
  /** Sums over all batches. */
  readonly totals: { readonly jsonTokens: number; readonly typescriptTokens: number; readonly pythonTokens: number };
  /** `typescriptTokens / jsonTokens` and `pythonTokens / jsonTokens` of the totals. */
  readonly typescriptRatio: number;
  readonly pythonRatio: number;
  /** Median of the per-batch ratios. */
  readonly typescriptMedianBatchRatio: number;
  readonly pythonMedianBatchRatio: number;
  /** Tools whose description text (whitespace-normalized) is found in both declarations, of all tools with a description. */
  readonly descriptionsKept: { readonly typescript: number; readonly python: number; readonly of: number };
  /** Tools the declaration generator refused (name, problem). */
  readonly rejected: readonly { readonly name: string; readonly problem: string }[];
}

/** Splits the corpus into batches of at most `size` tools with unique names, in corpus order. */
export function batchesWithUniqueNames<T extends { readonly name: string }>(tools: readonly T[], size: number): T[][] {
  const batches: { names: Set<string>; tools: T[] }[] = [];
  for (const tool of tools) {
    let batch = batches.find((candidate) => candidate.tools.length < size && !candidate.names.has(tool.name));
    if (batch === undefined) {
      batch = { names: new Set(), tools: [] };
      batches.push(batch);
    }
    batch.names.add(tool.name);
    batch.tools.push(tool);
  }
  return batches.map((batch) => batch.tools);
}

const squash = (text: string): string => text.replace(/[\s*#/"'\\]+/g, '');

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/**
 * Tokens of the generated TypeScript and Python declarations against compact JSON tool
 * definitions, batch by batch (tools with unique names per batch), output schemas left out on
 * both sides, every description kept.
 */
export async function measureCompactness(corpusPath: string, options: { batchSize?: number; limit?: number } = {}): Promise<CompactnessResult> {
  const batchSize = options.batchSize ?? 20;
  const all = JSON.parse(await readFile(corpusPath, 'utf8')) as CorpusTool[];
  const tools = options.limit === undefined ? all : all.slice(0, options.limit);
  const batches: CompactnessBatch[] = [];
  const rejected: { name: string; problem: string }[] = [];
  let keptTypescript = 0;
  let keptPython = 0;
  let withDescription = 0;
  for (const batch of batchesWithUniqueNames(tools, batchSize)) {
    const accepted: CorpusTool[] = [];
    for (const tool of batch) {
      try {
        createToolset([{ name: tool.name, description: tool.description ?? '', inputSchema: tool.inputSchema, execute: () => null }]);
        accepted.push(tool);
      } catch (error) {
        rejected.push({ name: tool.name, problem: (error as Error).message });
      }
    }
    if (accepted.length === 0) continue;
    const toolset = createToolset(accepted.map((tool) => ({ name: tool.name, description: tool.description ?? '', inputSchema: tool.inputSchema, execute: () => null })));
    const json = JSON.stringify(accepted.map((tool) => ({ name: tool.name, description: tool.description ?? '', input_schema: tool.inputSchema })));
    const typescript = generateDeclarations(toolset, { language: 'typescript' });
    const python = generateDeclarations(toolset, { language: 'python' });
    const squashedTypescript = squash(typescript);
    const squashedPython = squash(python);
    for (const tool of accepted) {
      if (tool.description === undefined || tool.description.trim() === '') continue;
      withDescription++;
      const needle = squash(tool.description).slice(0, 60);
      if (squashedTypescript.includes(needle)) keptTypescript++;
      if (squashedPython.includes(needle)) keptPython++;
    }
    batches.push({ tools: accepted.length, jsonTokens: countTokens(json), typescriptTokens: countTokens(typescript), pythonTokens: countTokens(python) });
  }
  const totals = batches.reduce(
    (sum, batch) => ({ jsonTokens: sum.jsonTokens + batch.jsonTokens, typescriptTokens: sum.typescriptTokens + batch.typescriptTokens, pythonTokens: sum.pythonTokens + batch.pythonTokens }),
    { jsonTokens: 0, typescriptTokens: 0, pythonTokens: 0 },
  );
  return {
    corpus: corpusPath,
    tokenizer: 'o200k_base (gpt-tokenizer), a proxy for Claude\'s tokenizer, which is not public',
    method: `batches of up to ${batchSize} tools with unique names in corpus order; JSON side: compact JSON.stringify of [{name, description, input_schema}]; declaration side: generateDeclarations(toolset, { language }) from @codecall/core; output schemas left out on both sides; descriptions kept on both sides`,
    tools: batches.reduce((sum, batch) => sum + batch.tools, 0),
    batchSize,
    batches,
    totals,
    typescriptRatio: totals.typescriptTokens / totals.jsonTokens,
    pythonRatio: totals.pythonTokens / totals.jsonTokens,
    typescriptMedianBatchRatio: median(batches.map((batch) => batch.typescriptTokens / batch.jsonTokens)),
    pythonMedianBatchRatio: median(batches.map((batch) => batch.pythonTokens / batch.jsonTokens)),
    descriptionsKept: { typescript: keptTypescript, python: keptPython, of: withDescription },
    rejected,
  };
}
