// Tool names in other scripts keep their letters in the identifiers the declarations show, and
// guest JavaScript and TypeScript call the tools by exactly those identifiers.
import { createToolset, generateDeclarations, runCode } from '@codecall/core';
import type { JsonSchemaToolDefinition } from '@codecall/core';
import { afterAll, expect, it } from 'vitest';
import { createIsolatedVmSandbox } from '../src/index.js';

const definitions: JsonSchemaToolDefinition[] = [
  {
    name: 'météo.prévision',
    description: 'Forecast of a city.',
    inputSchema: { type: 'object', properties: { ville: { type: 'string' } }, required: ['ville'] },
    execute: (input) => `soleil à ${(input as { ville: string }).ville}`,
  },
  { name: '天气查询', description: 'Weather.', inputSchema: true, execute: () => '晴' },
  { name: '\ufb01le_read', description: 'Reads a file.', inputSchema: {}, execute: () => 'contents' },
];
const tools = createToolset(definitions);

const sandbox = createIsolatedVmSandbox();
afterAll(() => sandbox.dispose());

it('calls tools by the identifiers the declarations show', async () => {
  const declarations = generateDeclarations(tools, { language: 'typescript' });
  for (const identifier of ['météo_prévision', '天气查询', 'file_read']) expect(declarations).toContain(`declare function ${identifier}(`);
  for (const language of ['javascript', 'typescript'] as const) {
    const result = await runCode({ sandbox, tools, language, code: 'return [await météo_prévision({ ville: "Nice" }), await 天气查询(), await file_read({})];' });
    expect(result).toMatchObject({ type: 'success', value: ['soleil à Nice', '晴', 'contents'] });
  }
});
