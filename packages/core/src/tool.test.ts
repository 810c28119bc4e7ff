import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool, jsonSchemaTool } from './tool.js';
import { createToolset, isToolset, toToolset } from './toolset.js';

describe('defineTool', () => {
  const getExpenses = defineTool({
    name: 'get_expenses',
    description: 'Expense line items of one employee for a quarter.',
    input: z.object({ employeeId: z.string(), quarter: z.enum(['Q1', 'Q2', 'Q3', 'Q4']), limit: z.number().default(10) }),
    output: z.array(z.object({ amount: z.number(), category: z.string() })),
    execute: () => [{ amount: 1, category: 'travel' }],
  });

  it('exports the input schema as the model should produce it', () => {
    expect(getExpenses.inputSchema).toEqual({
      type: 'object',
      properties: {
        employeeId: { type: 'string' },
        quarter: { type: 'string', enum: ['Q1', 'Q2', 'Q3', 'Q4'] },
        limit: { type: 'number', default: 10 },
      },
      required: ['employeeId', 'quarter'],
    });
    expect(getExpenses.outputSchema).toMatchObject({ type: 'array', items: { type: 'object' } });
  });

  it('parses input with defaults and reports readable errors', () => {
    expect(getExpenses.parseInput({ employeeId: 'e1', quarter: 'Q1' })).toEqual({ success: true, data: { employeeId: 'e1', quarter: 'Q1', limit: 10 } });
    const failed = getExpenses.parseInput({ employeeId: 1, quarter: 'Q9' });
    expect(failed.success).toBe(false);
    expect(!failed.success && failed.message).toMatch(/employeeId/);
  });

  it('refuses input schemas that are not objects', () => {
    expect(() => defineTool({ name: 'bad', input: z.string(), execute: () => 1 })).toThrow(/object schema/);
    expect(() => defineTool({ name: '', input: z.object({}), execute: () => 1 })).toThrow(/non-empty/);
  });
});

describe('jsonSchemaTool', () => {
  it('validates with the JSON Schema it was given', () => {
    const tool = jsonSchemaTool({
      name: 'requests.get',
      description: 'HTTP GET',
      inputSchema: { type: 'object', properties: { url: { type: 'string' } }, required: ['url'] },
      execute: (input) => input,
    });
    expect(tool.parseInput({ url: 'https://example.com' }).success).toBe(true);
    expect(tool.parseInput({ url: 3 }).success).toBe(false);
    expect(tool.parseOutput({ anything: true }).success).toBe(true);
  });
});

describe('createToolset', () => {
  const plain = { name: 'github.list-issues', inputSchema: { type: 'object' }, execute: () => [] };

  it('accepts zod and plain JSON Schema tools and maps names to identifiers', () => {
    const echo = defineTool({ name: 'echo', input: z.object({}), execute: (input) => input });
    const tools = createToolset([echo, plain]);
    expect(isToolset(tools)).toBe(true);
    expect(tools.sandboxTools).toEqual([
      { name: 'echo', identifier: 'echo', parameters: [] },
      { name: 'github.list-issues', identifier: 'github_list_issues' },
    ]);
    expect(tools.getByIdentifier('github_list_issues')?.name).toBe('github.list-issues');
    expect(toToolset(tools)).toBe(tools);
    expect(toToolset(undefined).entries).toEqual([]);
  });

  it('refuses duplicate names', () => {
    expect(() => createToolset([plain, plain])).toThrow(/Duplicate tool name "github.list-issues"/);
  });
});
