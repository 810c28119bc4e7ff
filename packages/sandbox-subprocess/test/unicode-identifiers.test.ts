// Tool names in other scripts keep their letters in the identifiers the declarations show, and
// guest code calls the tools by exactly those identifiers, in Python (which NFKC-normalizes
// identifiers) and JavaScript, in the jailed runner.
import { createToolset, generateDeclarations, runCode } from '@codecall/core';
import type { JsonSchemaToolDefinition } from '@codecall/core';
import { afterAll, expect, test } from 'vitest';
import { createSubprocessSandbox } from '../src/index.js';

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

const sandbox = createSubprocessSandbox({ languages: ['python', 'javascript'], launcher: 'jail' });
afterAll(() => sandbox.dispose());

test('the identifiers the declarations show are what guest code calls, in Python and JavaScript', async () => {
  const identifiers = tools.entries.map((entry) => entry.identifier);
  expect(identifiers).toEqual(['météo_prévision', '天气查询', 'file_read']);
  for (const language of ['python', 'typescript'] as const) {
    const declarations = generateDeclarations(tools, { language });
    for (const identifier of identifiers) expect(declarations).toContain(`${language === 'python' ? 'def' : 'declare function'} ${identifier}(`);
  }
  const python = await runCode({ sandbox, tools, language: 'python', code: 'return [météo_prévision("Paris"), 天气查询(), file_read()]' });
  expect(python).toMatchObject({ type: 'success', value: ['soleil à Paris', '晴', 'contents'] });
  const javascript = await runCode({ sandbox, tools, language: 'javascript', code: 'return [await météo_prévision({ ville: "Lyon" }), await 天气查询(), await file_read()];' });
  expect(javascript).toMatchObject({ type: 'success', value: ['soleil à Lyon', '晴', 'contents'] });
});
