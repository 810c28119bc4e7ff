import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool, jsonSchemaTool } from '../tool.js';
import { generateDeclarations } from './generate-declarations.js';

const tool = (name: string, input: z.ZodObject) => defineTool({ name, description: `${name}.`, input, execute: () => null });

describe('Python signatures', () => {
  it('makes required properties positional-or-keyword in declaration order and optional ones keyword-only', () => {
    const text = generateDeclarations(
      [
        tool('assign_task', z.object({ agent_id: z.string(), dependencies: z.array(z.string()).optional(), task_id: z.string(), description: z.string() })),
        tool('list_tasks', z.object({ status: z.enum(['pending', 'done']).optional() })),
        tool('ping', z.object({})),
        tool('nullable', z.object({ note: z.string().nullable().optional() })),
      ],
      { language: 'python' },
    );
    expect(text).toContain('def assign_task(agent_id: str, task_id: str, description: str, *, dependencies: list[str] | None = None) -> Any:');
    expect(text).toContain('def list_tasks(*, status: Literal["pending", "done"] | None = None) -> Any:');
    expect(text).toContain('def ping() -> Any:');
    expect(text).toContain('def nullable(*, note: str | None = None) -> Any:');
  });

  it('keeps the one-dict form when a property is not an identifier or is a keyword', () => {
    const text = generateDeclarations(
      [
        tool('odd', z.object({ 'first-name': z.string() })),
        tool('keyword', z.object({ class: z.string() })),
        jsonSchemaTool({ name: 'referenced', inputSchema: { $ref: '#/$defs/In', $defs: { In: { type: 'object', properties: { a: { type: 'string' } } } } }, execute: () => null }),
      ],
      { language: 'python' },
    );
    expect(text).toMatch(/def odd\(input: OddInput, \/\)/);
    expect(text).toMatch(/def keyword\(input: KeywordInput, \/\)/);
    expect(text).toMatch(/def referenced\(input: In = \{\}, \/\)/);
  });
});
