// Breakout battery: hostile text in every place a tool definition puts text (tool name, tool
// description, property keys and descriptions, enum values, defaults, formats, examples, `$defs`
// names and docs) must stay inside its comment, docstring or string literal. Checked with the real
// tokenizers: the code tokens of a declarations text built from hostile text must be those of the
// same text built from harmless text (identifiers may differ, only in name), and the text must hold
// no character that is invisible or reorders what a reader sees (Trojan Source).
import { spawnSync } from 'node:child_process';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import type { JsonSchemaObject } from '../json.js';
import type { JsonSchemaToolDefinition } from '../tool.js';
import { checkPython, checkTypescript } from './declaration-parsers.test.js';
import { generateDeclarations } from './generate-declarations.js';

// Each contains a character that is not an identifier character, so as a property key it takes
// the same (quoted / functional TypedDict) form as the harmless key it is compared with.
const hostile: readonly string[] = [
  '*/ declare function pwn_ts(): void; /*',
  '"""; import os; os.system("id"); """',
  "'''; import os; os.system('id'); '''",
  'trailing backslash \\',
  '\\"""\\',
  'escaped \\u002a/ \\u2028 \\N{LINE SEPARATOR} \\x2a\\x2f \\',
  'line separator\u2028declare function pwn_ls(): void;',
  'paragraph separator\u2029async def pwn_ps(input, /): ...',
  'next line\u0085def pwn_nel(): ...',
  'bidi \u202Aa\u202Bb\u202Cc\u202Dd\u202Ee\u2066f\u2067g\u2068h\u2069 marks \u200E\u200F\u061C',
  'access = "user\u202E \u2066// admin\u2069 \u2066"',
  'zero width \u200B\u200C\u200D\u2060\uFEFF soft\u00ADhyphen \u180E',
  'controls \u0000\u0001\u0007\b\t\u000b\u000c\u001b\u007f\u0080\u009b end',
  'cr\rlf\ncrlf\r\n""" after',
  'lone \ud800 high, \udfff low, reversed \udc00\ud800 pair 😀',
  'tag characters \u{E0041}\u{E0042}\u{E007F} smuggled',
  '*/\n"""\n\'\'\'\n\\',
  'end quote "',
  "end apostrophe '",
  '# -*- coding: utf-7 -*- +AGEAYgBj-',
  '@returns {evil} */ /** @param x',
  '\u2028*/\u2029"""\u0085\'\'\'',
  '${x} `t` </script> <!-- --> %s {0}',
];
const harmless = 'plain words';

function toolOf(text: string): JsonSchemaToolDefinition {
  const enumValues = [text, `${text}2`];
  const inputSchema: JsonSchemaObject = {
    type: 'object',
    description: text,
    properties: {
      [text]: { type: 'string', description: text, default: text, format: text, examples: [text], title: text },
      choice: { enum: enumValues, description: text },
      fixed: { const: text },
      nested: { $ref: '#/$defs/Doc' },
    },
    required: [text, 'choice'],
    $defs: { Doc: { type: 'object', description: text, properties: { inner: { type: 'string', description: text } } } },
  };
  return {
    name: text,
    description: text,
    inputSchema,
    outputSchema: { type: 'array', description: text, items: { type: 'string', description: text } },
    execute: () => null,
  };
}

// Characters no generated text may contain: control characters other than line feed and tab,
// format characters (bidi controls, zero-width, soft hyphen, tags), line and paragraph separators.
// eslint-disable-next-line no-control-regex -- finding control characters is the point.
const invisible = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/u;

function invisibleIn(text: string): string[] {
  const found: string[] = [];
  for (const character of text) {
    if (invisible.test(character)) found.push(`U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`);
  }
  if (/\p{Cs}/u.test(text)) found.push('lone surrogate');
  return found;
}

/** Code tokens of a TypeScript text: comments and whitespace dropped, literal and identifier texts abstracted. */
function typescriptTokens(text: string): string[] {
  const scanner = ts.createScanner(ts.ScriptTarget.ES2023, true, ts.LanguageVariant.Standard, text);
  const tokens: string[] = [];
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind === ts.SyntaxKind.Identifier) {
      expect(scanner.getTokenText()).toMatch(/^[A-Za-z_$][A-Za-z0-9_$]*$/);
      tokens.push('identifier');
    } else if (kind === ts.SyntaxKind.StringLiteral) {
      tokens.push('string');
    } else {
      tokens.push(scanner.getTokenText());
    }
  }
  return tokens;
}

const pythonTokenizer = String.raw`
import io, json, sys, tokenize, keyword
results = []
for text in json.loads(sys.stdin.read()):
    tokens = []
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type in (tokenize.COMMENT, tokenize.NL, tokenize.ENCODING):
            continue
        if token.type == tokenize.STRING:
            tokens.append("string")
        elif token.type == tokenize.NAME and not keyword.iskeyword(token.string):
            tokens.append("name" if token.string.isascii() and token.string.isidentifier() else "bad name " + token.string)
        else:
            tokens.append(tokenize.tok_name[token.type] + " " + token.string)
    results.append(tokens)
json.dump(results, sys.stdout)
`;

/** Code tokens of Python texts, from CPython's own tokenizer, abstracted like `typescriptTokens`. */
function pythonTokens(texts: readonly string[]): string[][] {
  const run = spawnSync('python3', ['-c', pythonTokenizer], { input: JSON.stringify(texts), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`python3 tokenize failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as string[][];
}

/** Lone surrogates as the visible `\uXXXX` text a docstring holds instead (a class docstring must encode as UTF-8). */
function visibleSurrogates(text: string): string {
  return text.replace(/\p{Cs}/gu, (unit) => `\\u${unit.charCodeAt(0).toString(16)}`);
}

describe('declarations cannot be broken out of', { timeout: 120_000 }, () => {
  for (const language of ['typescript', 'python'] as const) {
    it(`in ${language}: hostile text anywhere gives the code tokens of harmless text and no invisible character`, () => {
      const baseline = generateDeclarations([toolOf(harmless)], { language });
      const texts = hostile.map((text) => generateDeclarations([toolOf(text)], { language }));
      for (const [index, text] of texts.entries()) {
        expect({ index, invisible: invisibleIn(text) }).toEqual({ index, invisible: [] });
      }
      if (language === 'typescript') {
        const expected = typescriptTokens(baseline);
        for (const [index, text] of texts.entries()) expect({ index, tokens: typescriptTokens(text) }).toEqual({ index, tokens: expected });
        const checks = checkTypescript([baseline, ...texts], { semantic: false });
        for (const check of checks) {
          expect(check.syntaxErrors).toEqual([]);
          expect(check.otherStatements).toEqual([]);
          expect(check.functions).toHaveLength(1);
          expect(new Set(check.jsDocTags)).toEqual(new Set(['param', 'returns']));
        }
      } else {
        const [expected, ...actual] = pythonTokens([baseline, ...texts]);
        for (const [index, tokens] of actual.entries()) expect({ index, tokens }).toEqual({ index, tokens: expected });
        const checks = checkPython(texts);
        for (const [index, check] of checks.entries()) {
          expect(check.syntaxError).toBeNull();
          expect(check.runtimeError).toBeNull();
          expect(check.otherStatements).toEqual([]);
          expect(check.functions).toHaveLength(1);
          // The docstring decodes to the exact text: escapes are real escapes, nothing is lost.
          const name = check.functions[0] ?? '';
          const description = visibleSurrogates(hostile[index] ?? '').trim().split(/\r\n|[\n\r\u0085\u2028\u2029]/).map((line) => line.trimEnd()).join('\n');
          expect(check.docstrings[name]).toContain(description);
        }
      }
    });
  }

  it('reads enum values and keys back exactly through the escapes', () => {
    const typescript = checkTypescript(hostile.map((text) => generateDeclarations([toolOf(text)], { language: 'typescript' })));
    for (const [index, check] of typescript.entries()) {
      const text = hostile[index] ?? '';
      const properties = Object.values(check.inputProperties)[0] ?? {};
      expect({ index, choice: properties.choice }).toEqual({ index, choice: [text, `${text}2`] });
      expect({ index, keys: Object.keys(properties).sort() }).toEqual({ index, keys: [text, 'choice', 'fixed', 'nested'].sort() });
    }
    const python = checkPython(hostile.map((text) => generateDeclarations([toolOf(text)], { language: 'python' })));
    for (const [index, check] of python.entries()) {
      const text = hostile[index] ?? '';
      const keys = Object.values(check.inputKeys)[0] ?? {};
      expect({ index, choice: keys.choice }).toEqual({ index, choice: [text, `${text}2`] });
      expect({ index, keys: Object.keys(keys).sort() }).toEqual({ index, keys: [text, 'choice', 'fixed', 'nested'].sort() });
    }
  });

  it('keeps keys that are keywords, builtins or dunders from changing the code in either language', () => {
    const keys = ['class', 'print', '__import__', 'input', 'None', 'lambda', 'ﬁ', 'self', '_', '__class__', 'async', 'await', 'match', 'type', 'Any', 'TypedDict', 'Literal', 'ToolError', '__builtins__', 'def', 'constructor', '__proto__', 'Promise', 'declare'];
    const toolFor = (key: string): JsonSchemaToolDefinition => ({
      name: 't',
      description: 'd',
      inputSchema: { type: 'object', properties: { [key]: { type: 'string', description: '*/ """' }, other: { type: 'integer' } }, required: [key] },
      execute: () => null,
    });
    for (const [index, check] of checkPython(keys.map((key) => generateDeclarations([toolFor(key)], { language: 'python' }))).entries()) {
      expect({ key: keys[index], syntax: check.syntaxError, runtime: check.runtimeError, functions: check.functions, other: check.otherStatements }).toEqual({ key: keys[index], syntax: null, runtime: null, functions: ['t'], other: [] });
    }
    for (const [index, check] of checkTypescript(keys.map((key) => generateDeclarations([toolFor(key)], { language: 'typescript' }))).entries()) {
      expect({ key: keys[index], syntax: check.syntaxErrors, semantic: check.semanticErrors, functions: check.functions, keys: Object.keys(check.inputProperties.t ?? {}).sort() }).toEqual({ key: keys[index], syntax: [], semantic: [], functions: ['t'], keys: [keys[index] ?? '', 'other'].sort() });
    }
  });
});
