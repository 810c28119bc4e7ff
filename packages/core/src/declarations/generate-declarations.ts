// Declarations: the text a model reads (in a code tool's description) to know what it can call.
//
// TypeScript — one `declare function` per tool, taking one object and returning a Promise:
//
//   /** Expense line items of one employee for a quarter. */
//   declare function get_expenses(input: { employeeId: string; quarter: "Q1" | "Q2" | "Q3" | "Q4" }): Promise<{ amount: number; category: string }[]>;
//
// Objects print inline, or one property per line with a JSDoc comment when a property has a
// description. `$ref` targets become `type` aliases (recursive ones too), `allOf` an intersection,
// maps `Record<string, T>`, tuples `[A, B]`; integers use a leading `type integer = number;`. Hints (format, default, bounds) follow the
// description in parentheses: `/** Start day (format: date, default: "today") */`.
//
// Python — `TypedDict` classes for objects, then one `def` stub per tool whose parameters are the
// input's properties: required ones positional-or-keyword in declaration order, optional ones
// keyword-only with a `None` default (the runner accepts exactly that, plus one dict, and `await`):
//
//   from typing import Literal, TypedDict
//   class GetExpensesOutputItem(TypedDict):
//       amount: float
//       category: str
//   def get_expenses(employeeId: str, quarter: Literal["Q1", "Q2", "Q3", "Q4"], *, note: str | None = None) -> list[GetExpensesOutputItem]:
//       """Expense line items of one employee for a quarter."""
//
// An input whose properties are not all identifiers (or that has no listed properties) keeps the
// one-dict form `def f(input: FInput, /)` with a `TypedDict`.
//
// A one-line property description is a trailing `# comment`, a longer one `#` lines above the
// field; optional keys are `NotRequired[...]`; keys that are not identifiers, or are keywords, use
// `TypedDict("X", {"class": str})`. `allOf` of objects: named ones become base classes, inline
// ones merge into the class (best effort otherwise: the first member). Values are `str`, `int`,
// `float`, `bool`, `None`, `list[T]`, `dict[str, T]`, `tuple[...]`, `Literal[...]`, `Any`,
// `Never`; a recursive reference is a string forward reference (`list["Node"]`).
//
// Generated names start from the last dotted segment of the tool name (`github.list-issues` →
// `ListIssuesInput`, `ListIssuesOutputIssuesItem`); `$defs` keep their own names.
//
// Both: a tool whose identifier differs from its name (`requests.get` → `requests_get`) has
// `Tool name: "requests.get".` as the first doc line. Output is `unknown`/`Any` without an output
// schema. An input with no required key may be omitted (`input?:` / `= {}`). Enums win over a
// contradicting `type`. `deprecated: true` is a `@deprecated` tag (TypeScript) or a leading
// `Deprecated.` (Python). Generated type names are ASCII identifiers, unique, and never a keyword,
// builtin or tool identifier (`Item`, `Item_2`). Same input, same text.
//
// Escaping (schema text is untrusted): text is split at every line break (CRLF, CR, LF, NEL,
// U+2028, U+2029); other control characters, format characters (bidi controls U+202A–U+202E and
// U+2066–U+2069, LRM/RLM/ALM, zero-width characters, BOM, soft hyphen, tag characters) and lone
// surrogates become visible `\uXXXX` text in comments and real escapes in strings and docstrings
// (a lone surrogate stays visible text in a docstring), so no declarations text holds a character
// that hides or reorders what a reader sees. JSDoc: `*/` is written `*\/`, and an `@`
// not right after a letter or digit is written `\@` (TypeScript starts a tag at an `@` after any
// whitespace, mid-line too). Python `#` comments: `coding:` is written `coding :` (PEP 263).
// Docstrings: backslashes doubled, a `"` escaped when followed by `"` or last, so decoding gives
// the exact text back. Names and enum values are JSON-escaped string literals (plus every character
// above as an escape).
import { docOf, isDeprecated, TypeNodeBuilder } from './schema-to-type-node.js';
import { descriptionLines } from './text-escaping.js';
import { printPython } from './python-printer.js';
import type { ToolModel } from './tool-model.js';
import { pascalCase } from './type-names.js';
import { printTypescript } from './typescript-printer.js';
import { toolParameters } from '../tool-parameters.js';
import { toToolset } from '../toolset.js';
import type { Toolset } from '../toolset.js';
import type { AnyTool, JsonSchemaToolDefinition } from '../tool.js';

/** What `generateDeclarations` takes besides the tools. */
export interface GenerateDeclarationsOptions {
  /**
   * The language the model writes code in: `'typescript'` gives `declare function` signatures
   * (also what to show for `'javascript'` code), `'python'` gives `TypedDict`s and `def` stubs.
   */
  readonly language: 'typescript' | 'python';
}

/**
 * The declarations of a toolset's tools in TypeScript or Python: the text a model reads to know
 * what it can call from code (it goes into a code tool's description). Every tool appears under
 * its guest identifier, with input and output types and all descriptions. Schema text is escaped
 * so that it cannot end a comment or docstring or change the syntax. Deterministic.
 *
 * @example
 * ```ts
 * generateDeclarations(tools, { language: 'typescript' });
 * // /** Expense line items of one employee for a quarter. *\/
 * // declare function get_expenses(input: { employeeId: string; quarter: "Q1" | "Q2" | "Q3" | "Q4" }): Promise<{ amount: number; category: string }[]>;
 * ```
 */
export function generateDeclarations(
  tools: Toolset | readonly (AnyTool | JsonSchemaToolDefinition)[],
  options: GenerateDeclarationsOptions,
): string {
  const language: unknown = (options as Partial<GenerateDeclarationsOptions> | undefined)?.language;
  if (language !== 'typescript' && language !== 'python') {
    throw new TypeError(`generateDeclarations: options.language must be 'typescript' or 'python', got ${JSON.stringify(language)}.`);
  }
  const toolset = toToolset(tools);
  const builder = new TypeNodeBuilder();
  const models: ToolModel[] = toolset.entries.map(({ tool, name, identifier }) => {
    // Type names start from the last dotted segment of the name (`WebsiteApi.create_site` →
    // `CreateSiteInput`): shorter, and still unique because the registry suffixes clashes.
    const typeNameStem = pascalCase(name.slice(name.lastIndexOf('.') + 1)) || pascalCase(identifier) || 'Tool';
    return {
      identifier,
      name,
      description: descriptionLines(tool.description),
      input: builder.root(tool.inputSchema, [typeNameStem, 'Input']),
      inputDoc: docOf(tool.inputSchema),
      deprecated: isDeprecated(tool.inputSchema),
      output: tool.outputSchema === undefined ? undefined : builder.root(tool.outputSchema, [typeNameStem, 'Output']),
      outputDoc: tool.outputSchema === undefined ? [] : docOf(tool.outputSchema),
      parameters: toolParameters(tool.inputSchema),
    };
  });
  return language === 'typescript' ? printTypescript(models) : printPython(models);
}
