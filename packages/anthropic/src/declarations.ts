import * as core from '@codecall/core';
import type { JsonSchemaObject, SandboxLanguage, Toolset } from '@codecall/core';

type GenerateDeclarations = (tools: Toolset, options: { language: SandboxLanguage }) => string;

/**
 * The declarations of `tools` for guest code in `language`: `generateDeclarations` from
 * `@codecall/core` when the installed core has it, else a plain rendering of each tool's JSON
 * Schema (same information, less polish).
 */
export function declarationsFor(tools: Toolset, language: SandboxLanguage): string {
  const generate = (core as unknown as { generateDeclarations?: GenerateDeclarations }).generateDeclarations;
  if (typeof generate === 'function') return generate(tools, { language });
  return fallbackDeclarations(tools, language);
}

function fallbackDeclarations(tools: Toolset, language: SandboxLanguage): string {
  const blocks = tools.entries.map(({ tool, name, identifier }) => {
    const schema = JSON.stringify(stripSchema(tool.inputSchema));
    const output = tool.outputSchema === undefined ? undefined : JSON.stringify(tool.outputSchema);
    const renamed = identifier === name ? '' : ` (tool "${name}")`;
    if (language === 'python') {
      const doc = [tool.description, `input (JSON Schema): ${schema}`, ...(output === undefined ? [] : [`returns (JSON Schema): ${output}`])]
        .filter((line) => line !== '')
        .map((line) => `    ${line}`)
        .join('\n');
      return `async def ${identifier}(input: dict) -> Any:${renamed === '' ? '' : `  #${renamed}`}\n    """\n${doc}\n    """`;
    }
    const doc = [tool.description, `@param input JSON Schema: ${schema}`, ...(output === undefined ? [] : [`@returns JSON Schema: ${output}`])]
      .filter((line) => line !== '')
      .map((line) => ` * ${line}`)
      .join('\n');
    return `/**\n${doc}\n */\ndeclare function ${identifier}(input: object): Promise<unknown>;${renamed === '' ? '' : ` //${renamed}`}`;
  });
  return blocks.join('\n\n');
}

function stripSchema(schema: JsonSchemaObject): JsonSchemaObject {
  const { $schema: _schema, ...rest } = schema;
  return rest;
}
