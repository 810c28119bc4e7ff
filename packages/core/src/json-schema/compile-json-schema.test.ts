import { describe, expect, it, vi } from 'vitest';
import { createDispatcher } from '../dispatcher.js';
import type { JsonSchemaObject } from '../json.js';
import { resolveLimits } from '../limits.js';
import { jsonSchemaTool } from '../tool.js';
import type { JsonSchemaToolDefinition } from '../tool.js';
import { createToolset } from '../toolset.js';
import { compileJsonSchema, JsonSchemaCompileError } from './compile-json-schema.js';

function tool(inputSchema: JsonSchemaObject, extra: Partial<JsonSchemaToolDefinition> = {}) {
  return jsonSchemaTool({ name: 'demo', inputSchema, execute: () => null, ...extra });
}

function compileError(inputSchema: JsonSchemaObject): JsonSchemaCompileError {
  try {
    tool(inputSchema);
  } catch (error) {
    if (error instanceof JsonSchemaCompileError) return error;
    throw error;
  }
  throw new Error('the schema compiled');
}

describe('jsonSchemaTool validation (Ajv)', () => {
  it('checks draft 2020-12 by default: types, required, enums, bounds, additionalProperties, $defs', () => {
    const search = tool({
      type: 'object',
      properties: {
        query: { type: 'string', minLength: 1 },
        unit: { enum: ['c', 'f'] },
        limit: { type: 'integer', minimum: 1, maximum: 50 },
        filter: { $ref: '#/$defs/Filter' },
      },
      required: ['query'],
      additionalProperties: false,
      $defs: { Filter: { type: 'object', properties: { tags: { type: 'array', items: { type: 'string' }, maxItems: 2 } } } },
    });
    expect(search.parseInput({ query: 'x', unit: 'c', limit: 3, filter: { tags: ['a'] } })).toEqual({
      success: true,
      data: { query: 'x', unit: 'c', limit: 3, filter: { tags: ['a'] } },
    });
    expect(search.parseInput({})).toEqual({ success: false, message: "input must have required property 'query'" });
    expect(search.parseInput({ query: '' })).toEqual({ success: false, message: 'input.query must NOT have fewer than 1 characters' });
    expect(search.parseInput({ query: 'x', unit: 'k' })).toEqual({ success: false, message: 'input.unit must be equal to one of the allowed values: "c", "f"' });
    expect(search.parseInput({ query: 'x', limit: 2.5 })).toEqual({ success: false, message: 'input.limit must be integer' });
    expect(search.parseInput({ query: 'x', extra: 1 })).toEqual({ success: false, message: 'input must NOT have additional properties: "extra"' });
    expect(search.parseInput({ query: 'x', filter: { tags: ['a', 'b', 'c'] } })).toEqual({ success: false, message: 'input.filter.tags must NOT have more than 2 items' });
    expect(search.parseInput({ query: 'x', filter: { tags: [1] } })).toEqual({ success: false, message: 'input.filter.tags[0] must be string' });
  });

  it('reads draft-07 when $schema says so: definitions, $ref, if/then, array-form items', () => {
    const booking = tool({
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      definitions: { Count: { type: 'integer', minimum: 1 } },
      properties: { guests: { $ref: '#/definitions/Count' }, kind: { type: 'string' }, pair: { type: 'array', items: [{ type: 'string' }, { type: 'number' }], additionalItems: false } },
      if: { properties: { kind: { const: 'group' } }, required: ['kind'] },
      then: { required: ['guests'] },
    });
    expect(booking.parseInput({ guests: 2, kind: 'group' }).success).toBe(true);
    expect(booking.parseInput({ guests: 0 })).toEqual({ success: false, message: 'input.guests must be >= 1' });
    expect(booking.parseInput({ kind: 'group' })).toEqual({ success: false, message: "input must have required property 'guests'" });
    expect(booking.parseInput({ pair: ['a', 1, 2] })).toEqual({ success: false, message: 'input.pair must NOT have more than 2 items' });
  });

  it('reads a schema without $schema that is valid only as draft-07 as draft-07', () => {
    const schema = { type: 'object', properties: { pair: { type: 'array', items: [{ type: 'string' }] } } };
    expect(compileJsonSchema(schema, { where: 'test' }).draft).toBe('draft-07');
    expect(compileJsonSchema({ type: 'object' }, { where: 'test' }).draft).toBe('2020-12');
    expect(tool(schema).parseInput({ pair: [1] })).toEqual({ success: false, message: 'input.pair[0] must be string' });
  });

  it('accepts draft 2019-09 and draft-06, and refuses draft-04 and unknown $schema naming the keyword', () => {
    expect(compileJsonSchema({ $schema: 'https://json-schema.org/draft/2019-09/schema', type: 'object' }, { where: 'test' }).draft).toBe('2019-09');
    const draft06 = compileJsonSchema({ $schema: 'http://json-schema.org/draft-06/schema#', type: 'object', properties: { n: { type: 'number', exclusiveMinimum: 0 } } }, { where: 'test' });
    expect(draft06.draft).toBe('draft-06');
    expect(draft06.check({ n: 0 })).toEqual({ success: false, message: 'input.n must be > 0' });
    const draft04 = compileError({ $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' });
    expect(draft04.keyword).toBe('$schema');
    expect(draft04.message).toMatch(/^jsonSchemaTool\(demo\)\.inputSchema: "\$schema" declares .*draft-04.*not supported/);
    expect(compileError({ $schema: 'https://example.com/my-meta', type: 'object' }).keyword).toBe('$schema');
  });

  it('checks formats with ajv-formats and takes unknown formats and keywords as annotations', () => {
    const contact = tool({
      type: 'object',
      properties: {
        email: { type: 'string', format: 'email' },
        day: { type: 'string', format: 'date' },
        id: { type: 'string', format: 'uuid' },
        site: { type: 'string', format: 'uri' },
        code: { type: 'string', format: 'x-vendor-code', 'x-internal': true },
      },
      nullable: true,
      example: { email: 'a@b.co' },
    });
    expect(contact.parseInput({ email: 'a@b.co', day: '2024-02-29', id: '123e4567-e89b-12d3-a456-426614174000', site: 'https://example.com/a', code: 'anything' }).success).toBe(true);
    expect(contact.parseInput({ email: 'not an email' })).toEqual({ success: false, message: 'input.email must match format "email"' });
    expect(contact.parseInput({ day: '2023-02-29' })).toEqual({ success: false, message: 'input.day must match format "date"' });
    expect(contact.parseInput({ id: 'x' }).success).toBe(false);
    expect(contact.parseInput({ site: 'no scheme' }).success).toBe(false);
  });

  it('fills in defaults of missing input properties, and never changes an output', () => {
    const paged = tool(
      { type: 'object', properties: { page: { type: 'integer', default: 1 }, tags: { type: 'array', default: [] } } },
      { outputSchema: { type: 'object', properties: { total: { type: 'integer', default: 0 } } } },
    );
    const first = paged.parseInput({});
    const second = paged.parseInput({});
    expect(first).toEqual({ success: true, data: { page: 1, tags: [] } });
    // Each call gets its own copy of a default object.
    expect(first.success && second.success && first.data !== second.data && (first.data as { tags: unknown[] }).tags !== (second.data as { tags: unknown[] }).tags).toBe(true);
    const output = {};
    expect(paged.parseOutput(output)).toEqual({ success: true, data: {} });
    expect(output).toEqual({});
  });

  it('validates outputs against outputSchema, boolean schemas included', () => {
    const listed = tool({ type: 'object' }, { outputSchema: { type: 'array', items: { type: 'string' } } });
    expect(listed.parseOutput(['a']).success).toBe(true);
    expect(listed.parseOutput(['a', 2])).toEqual({ success: false, message: 'output[1] must be string' });
    expect(tool({ type: 'object' }, { outputSchema: false }).parseOutput(1)).toEqual({ success: false, message: 'output boolean schema is false' });
    expect(tool({ type: 'object' }, { outputSchema: true }).parseOutput(1).success).toBe(true);
  });

  it('writes paths the way code would, and bounds messages in size', () => {
    const nested = tool({
      type: 'object',
      properties: { 'odd key': { type: 'object', properties: { list: { type: 'array', items: { type: 'integer', maximum: 3 } } } } },
    });
    expect(nested.parseInput({ 'odd key': { list: [1, 9] } })).toEqual({ success: false, message: 'input["odd key"].list[1] must be <= 3' });
    const huge = tool({ type: 'object', properties: { v: { enum: Array.from({ length: 500 }, (_unused, index) => `value-${index}`) } } });
    const result = huge.parseInput({ v: 'other' });
    expect(result.success).toBe(false);
    expect(!result.success && result.message.length).toBeLessThanOrEqual(301);
  });

  it('throws at definition time for schemas that are not valid JSON Schema, naming the tool and the keyword', () => {
    const cases: [JsonSchemaObject, string, RegExp][] = [
      [{ type: 'object', properties: { a: { type: 'strnig' } } }, 'type', /"type" at \/properties\/a\/type must be equal to one of the allowed values \("array", "boolean"/],
      [{ type: 'object', properties: { a: { type: 'string', minLength: -1 } } }, 'minLength', /"minLength" at \/properties\/a\/minLength must be >= 0/],
      [{ type: 'object', required: 'a' }, 'required', /"required" at \/required must be array/],
      [{ type: 'object', properties: { a: { type: 'string', pattern: '(' } } }, 'pattern', /"pattern" is not a valid regular expression/],
      [{ type: 'object', patternProperties: { '[': { type: 'string' } } }, 'pattern', /not a valid regular expression/],
      [{ type: 'object', properties: { a: { $ref: '#/$defs/Missing' } } }, '$ref', /"\$ref" "#\/\$defs\/Missing" does not resolve/],
      [{ type: 'object', properties: { a: { $ref: 'https://example.com/a.json' } } }, '$ref', /nothing is fetched/],
      [{ type: 'object', properties: { a: { const: 10n } } }, 'const', /a value JSON cannot express .* at \/properties\/a\/const/],
    ];
    for (const [schema, keyword, message] of cases) {
      const error = compileError(schema);
      expect(error).toBeInstanceOf(TypeError);
      expect(error.keyword, JSON.stringify(schema, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value))).toBe(keyword);
      expect(error.message).toMatch(/^jsonSchemaTool\(demo\)\.inputSchema /);
      expect(error.message).toMatch(message);
    }
    expect(() => tool({ type: 'object' }, { outputSchema: { type: 'array', items: { type: 7 } } })).toThrow(/^jsonSchemaTool\(demo\)\.outputSchema is not valid JSON Schema/);
    const cyclic: JsonSchemaObject = { type: 'object', properties: {} };
    (cyclic.properties as Record<string, unknown>).self = cyclic;
    expect(() => tool(cyclic)).toThrow(/a value JSON cannot express \(a bigint or a cycle\) at \/properties\/self/);
    expect(() => tool({ type: 'object' }, { invalidSchema: 'ignore' as 'throw' })).toThrow(/invalidSchema must be 'throw' or 'fail-calls', got "ignore"/);
  });

  it('lets two tools use the same $id, and refs resolve against it', () => {
    const schema = (type: string) => ({ $id: 'https://example.com/tool.json', type: 'object', properties: { a: { $ref: '#/$defs/A' } }, $defs: { A: { type } } });
    const first = tool(schema('string'));
    const second = tool(schema('number'));
    expect(first.parseInput({ a: 'x' }).success).toBe(true);
    expect(second.parseInput({ a: 1 }).success).toBe(true);
    expect(second.parseInput({ a: 'x' })).toEqual({ success: false, message: 'input.a must be number' });
  });

  it('in createToolset, keeps a plain definition with a broken schema declared but fails its calls with the reason', async () => {
    const execute = vi.fn(() => 'ran');
    const tools = createToolset([
      { name: 'broken', inputSchema: { type: 'object', properties: { a: { $ref: '#/$defs/Nope' } } }, execute },
      { name: 'fine', inputSchema: { type: 'object', properties: { a: { type: 'string' } } }, execute },
    ]);
    expect(tools.entries.map((entry) => entry.name)).toEqual(['broken', 'fine']);
    const dispatcher = createDispatcher({ tools, limits: resolveLimits({}), executionId: 'run-1' });
    const broken = await dispatcher.callTool({ name: 'broken', inputJson: '{}' });
    expect(broken).toMatchObject({ type: 'error', code: 'INVALID_INPUT' });
    expect(broken.type === 'error' && broken.message).toMatch(/^Invalid input for broken: the tool cannot be called: .*"\$ref" "#\/\$defs\/Nope" does not resolve/);
    expect(await dispatcher.callTool({ name: 'fine', inputJson: '{"a":1}' })).toMatchObject({ type: 'error', code: 'INVALID_INPUT', message: 'Invalid input for fine: input.a must be string' });
    expect(await dispatcher.callTool({ name: 'fine', inputJson: '{"a":"x"}' })).toEqual({ type: 'success', outputJson: '"ran"' });
    expect(execute).toHaveBeenCalledTimes(1);
    // An explicit choice in the definition wins.
    expect(() => createToolset([{ name: 'strict', invalidSchema: 'throw', inputSchema: { type: 'object', required: 'a' }, execute }])).toThrow(/"required" at \/required must be array/);
  });
});

describe('tool objects of other libraries', () => {
  it('are refused by createToolset with the adapter to use', () => {
    const runnable = { type: 'custom', name: 'get_weather', input_schema: { type: 'object' }, run: () => 'sunny', parse: (value: unknown) => value };
    expect(() => createToolset([runnable as unknown as JsonSchemaToolDefinition])).toThrow(/runnable tool of @anthropic-ai\/sdk .* fromAnthropicTools from @codecall\/anthropic/);
    const aiSdkSchema = { [Symbol.for('vercel.ai.schema')]: true, jsonSchema: { type: 'object' }, validate: undefined };
    expect(() => createToolset([{ name: 'x', inputSchema: aiSdkSchema, execute: () => null }])).toThrow(/fromAiSdkTools from @codecall\/ai-sdk/);
    expect(() => createToolset({ weather: { inputSchema: {}, execute: () => null } } as unknown as JsonSchemaToolDefinition[])).toThrow(
      /createToolset expects an array of tools, got object \(for an AI SDK tool set, an object of tools, use fromAiSdkTools from @codecall\/ai-sdk\)/,
    );
  });
});
