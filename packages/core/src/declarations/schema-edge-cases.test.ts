// Schemas a hostile-schema corpus found wanting: boolean and empty input schemas, names in other
// scripts, keys named like `Object.prototype` members, properties next to `additionalProperties`,
// `deprecated`, control characters in descriptions and `prefixItems` tuples. Each is checked in
// both languages with the real parsers: the TypeScript checker also type-checks calls a guest
// would write, and CPython executes the module.
import { describe, expect, it } from 'vitest';
import type { JsonSchemaObject } from '../json.js';
import { jsonSchemaTool } from '../tool.js';
import type { JsonSchemaToolDefinition } from '../tool.js';
import { createToolset } from '../toolset.js';
import { checkPython, checkTypescript } from './declaration-parsers.test.js';
import { generateDeclarations } from './generate-declarations.js';

function tool(name: string, inputSchema: JsonSchemaObject | true, extra: Partial<JsonSchemaToolDefinition> = {}): JsonSchemaToolDefinition {
  return { name, description: `${name}.`, inputSchema, execute: () => null, ...extra };
}

/** Type errors of the TypeScript declarations followed by `calls` (statements using them). */
function typescriptErrors(tools: readonly JsonSchemaToolDefinition[], calls: string): readonly string[] {
  const text = generateDeclarations(tools, { language: 'typescript' });
  const [check] = checkTypescript([`${text}\n${calls}\n`]);
  return [...(check?.syntaxErrors ?? []), ...(check?.semanticErrors ?? [])];
}

describe('schema edge cases', { timeout: 60_000 }, () => {
  it('takes `true` and `{}` as an input schema that means any object', async () => {
    const tools = [tool('anything', true), tool('empty', {})];
    const toolset = createToolset(tools);
    for (const name of ['anything', 'empty']) {
      const entry = toolset.get(name);
      expect(entry?.tool.inputSchema).toEqual({ type: 'object' });
      expect(entry?.tool.parseInput({ a: 1 })).toEqual({ success: true, data: { a: 1 } });
    }
    expect(jsonSchemaTool(tool('anything', true)).parseInput(5).success).toBe(false);
    expect(() => jsonSchemaTool(tool('never', false as unknown as true))).toThrow(/must be a JSON Schema object/);
    expect(typescriptErrors(tools, 'void anything(); void anything({ a: 1 }); void empty({ b: "x" });')).toEqual([]);
    const python = generateDeclarations(tools, { language: 'python' });
    expect(python).toContain('def anything(input: dict[str, Any] = {}, /) -> Any:');
    const [check] = checkPython([python]);
    expect(check).toMatchObject({ syntaxError: null, runtimeError: null, functions: ['anything', 'empty'] });
    await Promise.resolve();
  });

  it('keeps letters of other scripts in identifiers both languages bind as shown', () => {
    const tools = [tool('météo.prévision', { type: 'object', properties: { ville: { type: 'string' } }, required: ['ville'] }), tool('天气查询', {}), tool('\ufb01le_read', {})];
    const identifiers = createToolset(tools).entries.map((entry) => entry.identifier);
    expect(identifiers).toEqual(['météo_prévision', '天气查询', 'file_read']);
    expect(typescriptErrors(tools, 'void météo_prévision({ ville: "Paris" }); void 天气查询(); void file_read();')).toEqual([]);
    const [typescript] = checkTypescript([generateDeclarations(tools, { language: 'typescript' })]);
    expect(typescript?.functions).toEqual(identifiers);
    const [python] = checkPython([generateDeclarations(tools, { language: 'python' })]);
    // CPython reports names after its own NFKC normalization: equal means guest code calls them by these.
    expect(python).toMatchObject({ syntaxError: null, runtimeError: null, functions: identifiers });
  });

  it('keeps keys named like Object.prototype members assignable in TypeScript', () => {
    const names = ['constructor', 'toString', 'toLocaleString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', '__proto__'];
    const properties: Record<string, unknown> = {};
    for (const name of names) Object.defineProperty(properties, name, { value: { type: 'number' }, enumerable: true });
    const tools = [
      tool('optional_members', { type: 'object', properties }),
      tool('required_members', { type: 'object', properties, required: names }),
    ];
    const all = names.map((name) => `${JSON.stringify(name)}: 1`).join(', ');
    expect(
      typescriptErrors(tools, `void optional_members(); void optional_members({}); void optional_members({ toString: 1 }); void optional_members({ ${all} }); void required_members({ ${all} });`),
    ).toEqual([]);
    // Still a number where one is given.
    expect(typescriptErrors(tools, 'void optional_members({ toString: "x" });')).not.toEqual([]);
    const [python] = checkPython([generateDeclarations(tools, { language: 'python' })]);
    expect(python).toMatchObject({ syntaxError: null, runtimeError: null });
    expect(Object.keys(python?.inputKeys.optional_members ?? {}).sort()).toEqual([...names].sort());
  });

  it('types properties next to additionalProperties as one object with a wide enough index signature', () => {
    const tools = [
      tool('members', { type: 'object', properties: { toString: { type: 'string' } }, additionalProperties: { type: 'boolean' } }),
      tool('mixed', { type: 'object', properties: { name: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } }, required: ['name'], additionalProperties: { type: 'number' } }),
    ];
    const text = generateDeclarations(tools, { language: 'typescript' });
    expect(text).toContain('[key: string]: number | string | string[] | undefined');
    expect(text).not.toContain('& Record<');
    expect(typescriptErrors(tools, 'void members(); void members({ toString: "a", b: true }); void mixed({ name: "a" }); void mixed({ name: "a", tags: ["x"], extra: 1 });')).toEqual([]);
    expect(typescriptErrors(tools, 'void mixed({ name: 1 });')).not.toEqual([]);
    const [python] = checkPython([generateDeclarations(tools, { language: 'python' })]);
    expect(python).toMatchObject({ syntaxError: null, runtimeError: null });
  });

  it('marks deprecated tools, properties and named types', () => {
    const tools = [
      tool('old_tool', { type: 'object', deprecated: true, properties: { a: { type: 'string' } } }),
      tool('fields', {
        type: 'object',
        properties: { old: { type: 'string', deprecated: true, description: 'Use `new` instead.' }, bare: { type: 'integer', deprecated: true }, new: { $ref: '#/$defs/Thing' } },
        $defs: { Thing: { type: 'object', deprecated: true, properties: { x: { type: 'string' } } } },
      }),
    ];
    const typescript = generateDeclarations(tools, { language: 'typescript' });
    const [check] = checkTypescript([typescript]);
    expect(check?.syntaxErrors).toEqual([]);
    expect(check?.semanticErrors).toEqual([]);
    expect(check?.jsDocTags.filter((tag) => tag === 'deprecated')).toHaveLength(4);
    expect(typescript).not.toContain('(deprecated)');
    const python = generateDeclarations(tools, { language: 'python' });
    const [pythonCheck] = checkPython([python]);
    expect(pythonCheck).toMatchObject({ syntaxError: null, runtimeError: null });
    expect(pythonCheck?.docstrings.old_tool).toBe('old_tool.\nDeprecated.');
    expect(pythonCheck?.docstrings.fields).toContain('old: Deprecated. Use `new` instead.');
    expect(pythonCheck?.docstrings.fields).toContain('bare: Deprecated.');
    expect(python).toMatch(/class Thing\(TypedDict\):\n {4}"""Deprecated\."""/);
  });

  it('keeps control characters of descriptions, escaped, at either end too', () => {
    const text = '\u000bvertical tab, form feed\u000c, NUL\u0000 and BEL\u0007, BOM\ufeff';
    const tools = [tool('controls', { type: 'object', properties: { a: { type: 'string', description: text } } }, { description: text })];
    const typescript = generateDeclarations(tools, { language: 'typescript' });
    expect(typescript).toContain('\\u000bvertical tab, form feed\\u000c, NUL\\u0000 and BEL\\u0007, BOM\\ufeff');
    const [check] = checkTypescript([typescript]);
    expect(check?.syntaxErrors).toEqual([]);
    const [python] = checkPython([generateDeclarations(tools, { language: 'python' })]);
    expect(python).toMatchObject({ syntaxError: null, runtimeError: null });
    expect(python?.docstrings.controls?.split('\n')[0]).toBe(text);
  });

  it('annotates prefixItems tuples as tuple[...] with the right rest', () => {
    const tools = [
      tool('tuples', {
        type: 'object',
        properties: {
          closed: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false },
          bounded: { type: 'array', prefixItems: [{ type: 'string' }], maxItems: 1 },
          rest: { type: 'array', prefixItems: [{ type: 'string' }], items: { type: 'number' } },
          open: { type: 'array', prefixItems: [{ type: 'boolean' }] },
          draft07: { type: 'array', items: [{ type: 'string' }], additionalItems: false },
        },
        required: ['closed', 'bounded', 'rest', 'open', 'draft07'],
      }),
    ];
    const python = generateDeclarations(tools, { language: 'python' });
    expect(python).toContain('def tuples(closed: tuple[str, int], bounded: tuple[str], rest: tuple[str, *tuple[float, ...]], open: tuple[bool, *tuple[Any, ...]], draft07: tuple[str]) -> Any:');
    const [check] = checkPython([python]);
    expect(check).toMatchObject({ syntaxError: null, runtimeError: null });
    expect(
      typescriptErrors(tools, 'void tuples({ closed: ["a", 1], bounded: ["b"], rest: ["c", 1, 2], open: [true, "more", 3], draft07: ["d"] });'),
    ).toEqual([]);
    expect(typescriptErrors(tools, 'void tuples({ closed: ["a", 1, 2], bounded: ["b"], rest: ["c"], open: [true], draft07: ["d"] });')).not.toEqual([]);
  });
});
