// Adversarial schema text must never leave its comment, docstring or string literal, nor break
// the syntax: checked with the real parsers, by counting the declared functions (an escaped
// comment that injects a declaration changes the count) and by reading names, keys, enum values
// and docstrings back exactly.
import { describe, expect, it } from 'vitest';
import type { JsonSchemaObject } from '../json.js';
import type { AnyTool, JsonSchemaToolDefinition } from '../tool.js';
import { createToolset } from '../toolset.js';
import { checkPython, checkTypescript } from './declaration-parsers.test.js';
import { generateDeclarations } from './generate-declarations.js';

const hostileTexts = [
  '*/ declare function injected_ts(input: {}): Promise<unknown>; /*',
  '"""\nasync def injected_py(input, /): ...\n"""',
  "'''\nasync def injected_py2(input, /): ...\n'''",
  '\\',
  'ends with a backslash \\',
  'ends with a quote "',
  '"',
  '""',
  '\\"""',
  '""""""',
  '@returns injected\n@param x y\n  @deprecated\tand @see mid-line, \u00a0@internal, \u200b@ignore, \ufeff@hidden',
  '* @type {string}\n * * @example',
  'CRLF\r\nCR\rLF\nLS\u2028PS\u2029NEL\u0085end',
  'controls: NUL\u0000 BEL\u0007 BS\b VT\u000b FF\u000c ESC\u001b DEL\u007f CSI\u009b',
  'lone surrogates \ud800 and \udc00, a pair 😀',
  '# -*- coding: latin-1 -*-',
  '# vim: set fileencoding=utf-16 :',
  '\n\n  leading and trailing blank lines  \n\n',
  '${injected} `template` </script> <!-- -->',
  '\\u0000 \\x00 \\N{BULLET} \\',
  '*/\n/** @returns */ declare function injected_ts2(): void;\n/*',
  '\ndef injected_py3(): pass\nclass Injected: pass\n',
  'x'.repeat(100_000),
];

const hostileNames = [
  '*/', '"""', "'''", 'class', 'def', 'None', 'True', 'constructor', '__proto__', '__dunder', '__init__', 'a-b', 'a b', '',
  ' ', '0', '1e3', 'with\nnewline', 'with\r\nCRLF', 'with\u2028LS', 'nul\u0000', 'Literal', 'TypedDict', 'Promise', 'toString',
  'x'.repeat(5_000), 'é', 'ﬁ', '𝒳',
];

function tool(name: string, inputSchema: JsonSchemaObject, extra: Partial<JsonSchemaToolDefinition> = {}): JsonSchemaToolDefinition {
  return { name, description: '', inputSchema, execute: () => null, ...extra };
}

// A docstring holds a lone surrogate as visible `\uXXXX` text (a class docstring must encode as UTF-8).
function descriptionText(description: string): string {
  return description.replace(/\p{Cs}/gu, (unit) => `\\u${unit.charCodeAt(0).toString(16)}`).trim().split(/\r\n|[\n\r\u0085\u2028\u2029]/).map((line) => line.trimEnd()).join('\n');
}

const hostileTools: JsonSchemaToolDefinition[] = [
  ...hostileTexts.map((text, index) =>
    tool(
      `description_${index}`,
      {
        type: 'object',
        description: text,
        properties: {
          value: { type: 'string', description: text, default: text, format: text, pattern: text, examples: [text] },
          choice: { enum: [text, `${text}2`] },
          fixed: { const: text },
        },
        required: ['value', 'choice'],
      },
      { description: text, outputSchema: { type: 'array', description: text, items: { type: 'string', description: text } } },
    ),
  ),
  tool('property_names', {
    type: 'object',
    properties: Object.fromEntries(hostileNames.map((name, index) => [name, { type: 'integer', description: `name ${index}` }])),
    required: hostileNames.filter((_name, index) => index % 2 === 0),
  }),
  tool('enum_values', {
    type: 'object',
    properties: {
      strings: { type: 'string', enum: hostileTexts.slice(0, 22) },
      numbers: { type: 'number', enum: [0, -0, -1, 1.5, 1e21, -1e-7, Number.MAX_SAFE_INTEGER + 2, 1e308, 5e-324] },
      nonFinite: { enum: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1] },
      mixed: { enum: ['a', 1, true, null, { '*/': 'x' }, ['"""']] },
      contradicting: { type: 'boolean', enum: ['True', 'False', 'dontcare'] },
      big: { const: 12345678901234567890n },
    },
    required: ['strings', 'numbers', 'mixed'],
  }),
  // Tool names that are not identifiers: the declaration must state them exactly.
  ...['requests.get', 'github.list-issues', 'print', '*/', '"""\nasync def x(): pass', 'a\u2028b', 'ToolError', 'Promise'].map((name) =>
    tool(name, { type: 'object', properties: { q: { type: 'string' } } }),
  ),
  // Type names that clash: the same `$defs` name with different shapes, keywords, builtins, a tool identifier.
  tool('defs_one', {
    type: 'object',
    properties: { a: { $ref: '#/$defs/Item' }, b: { $ref: '#/$defs/class' }, c: { $ref: '#/$defs/Promise' }, d: { $ref: '#/$defs/defs_two' } },
    $defs: {
      Item: { type: 'object', properties: { x: { type: 'string' } } },
      class: { type: 'string', description: '*/ """' },
      Promise: { type: 'number' },
      defs_two: { type: 'boolean' },
    },
  }),
  tool('defs_two', {
    type: 'object',
    properties: {
      a: { $ref: '#/$defs/Item' },
      b: { $ref: '#/definitions/a~1b~0c' },
      c: { $ref: '#/$defs/%2A%2F' },
      d: { $ref: '#/$defs/' },
      e: { $ref: 'https://example.com/schema.json' },
      f: { $ref: '#/$defs/constructor' },
      g: { $ref: '#/$defs/__proto__' },
    },
    $defs: { Item: { type: 'object', properties: { y: { type: 'number' } }, required: ['y'] }, '*/': { type: 'null' } },
    definitions: { 'a/b~c': { type: 'string' } },
  }),
  // Hostile descriptions on named types: class docstrings, `#` comments above functional
  // TypedDicts and aliases, JSDoc above `type` aliases.
  tool('definition_docs', {
    type: 'object',
    properties: Object.fromEntries(hostileTexts.map((_text, index) => [`p${index}`, { $ref: `#/$defs/D${index}` }])),
    $defs: Object.fromEntries(
      hostileTexts.map((text, index) => [
        `D${index}`,
        index % 3 === 0
          ? { type: 'object', description: text, properties: { a: { type: 'string', description: text } } }
          : index % 3 === 1
            ? { type: 'object', description: text, properties: { class: { type: 'string', description: text } } }
            : { type: 'string', description: text },
      ]),
    ),
  }),
  // Generated Python class names that would coincide (`AbInputCInput`).
  tool('ab', { type: 'object', properties: { c_input: { type: 'object', properties: { z: { type: 'string' } } } } }),
  tool('ab_input_c', { type: 'object', properties: { z: { type: 'number' } } }),
  tool('deep', (() => {
    let schema: JsonSchemaObject = { type: 'string' };
    for (let level = 0; level < 200; level++) schema = { type: 'object', properties: { next: schema } };
    return schema;
  })()),
];

// A schema object graph with a cycle is not JSON, but a programmatic schema can be one. Built as
// a `Tool` directly: zod's JSON Schema import is not what is under test here.
const cyclic: JsonSchemaObject = { type: 'object', properties: {} };
(cyclic.properties as Record<string, unknown>).self = cyclic;
const cyclicTool: AnyTool = {
  name: 'cyclic',
  description: 'A schema object graph with a cycle.',
  inputSchema: cyclic,
  outputSchema: undefined,
  needsApproval: false,
  parseInput: (value) => ({ success: true, data: value }),
  parseOutput: (value) => ({ success: true, data: value }),
  execute: () => null,
};

describe('hostile schemas', { timeout: 60_000 }, () => {
  const toolset = createToolset([...hostileTools, cyclicTool]);
  const identifiers = toolset.entries.map((entry) => entry.identifier);

  it('give TypeScript that parses and type-checks, with exactly the tools declared and only generated tags', () => {
    const whole = generateDeclarations(toolset, { language: 'typescript' });
    const single = toolset.entries.map((entry) => generateDeclarations([entry.tool], { language: 'typescript' }));
    const [check, ...singles] = checkTypescript([whole, ...single]);
    expect(check?.syntaxErrors).toEqual([]);
    expect(check?.semanticErrors).toEqual([]);
    expect(check?.otherStatements).toEqual([]);
    expect(check?.functions).toEqual(identifiers);
    expect(new Set(check?.jsDocTags)).toEqual(new Set(['param', 'returns']));
    singles.forEach((one, index) => {
      const alone = createToolset([toolset.entries[index]?.tool as AnyTool]);
      expect(one.syntaxErrors).toEqual([]);
      expect(one.semanticErrors).toEqual([]);
      expect(one.functions).toEqual([alone.entries[0]?.identifier]);
    });
    // Keys and enum values read back exactly through the type checker.
    expect(Object.keys(check?.inputProperties.property_names ?? {}).sort()).toEqual([...hostileNames].sort());
    const enums = check?.inputProperties.enum_values ?? {};
    expect(enums.strings).toEqual(hostileTexts.slice(0, 22));
    expect(enums.numbers).toEqual([0, -1, 1.5, 1e21, -1e-7, Number.MAX_SAFE_INTEGER + 2, 1e308, 5e-324]);
    expect(enums.contradicting).toEqual(['True', 'False', 'dontcare']);
  });

  it('give Python that parses and executes, with exactly the tools declared and docstrings read back exactly (lone surrogates as visible text)', () => {
    const whole = generateDeclarations(toolset, { language: 'python' });
    const [check] = checkPython([whole]);
    expect(check?.syntaxError).toBeNull();
    expect(check?.runtimeError).toBeNull();
    expect(check?.otherStatements).toEqual([]);
    expect(check?.functions).toEqual(identifiers);
    expect(new Set(check?.types).size).toBe(check?.types.length);
    hostileTexts.forEach((text, index) => {
      const docstring = check?.docstrings[`description_${index}`];
      expect(docstring).toContain(descriptionText(text));
    });
    // A tool name is stated exactly: the docstring's first line holds its JSON text.
    for (const { name, identifier } of toolset.entries) {
      if (name === identifier) continue;
      const firstLine = check?.docstrings[identifier]?.split('\n')[0] ?? '';
      expect(firstLine).toMatch(/^Tool name: ".*"\.$/);
      expect(JSON.parse(firstLine.slice('Tool name: '.length, -1))).toBe(name);
    }
    expect(Object.keys(check?.inputKeys.property_names ?? {}).sort()).toEqual([...hostileNames].sort());
    expect(check?.requiredKeys.property_names).toEqual(hostileNames.filter((_name, index) => index % 2 === 0).sort());
    const enums = check?.inputKeys.enum_values ?? {};
    expect(enums.strings).toEqual(hostileTexts.slice(0, 22));
    expect(enums.numbers).toEqual([0, -1, 1.5, 1e21, -1e-7, Number.MAX_SAFE_INTEGER + 2, 1e308, 5e-324]);
    expect(enums.contradicting).toEqual(['True', 'False', 'dontcare']);
  });

  it('keep every description whole, however long', () => {
    const longText = hostileTexts[hostileTexts.length - 1] ?? '';
    for (const language of ['typescript', 'python'] as const) {
      const text = generateDeclarations([hostileTools[hostileTexts.length - 1] as JsonSchemaToolDefinition], { language });
      expect(text.split(longText).length - 1).toBeGreaterThanOrEqual(4);
    }
  });
});
