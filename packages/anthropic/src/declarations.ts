import { generateDeclarations } from '@codecall/core';
import type { SandboxLanguage, Toolset } from '@codecall/core';

/**
 * The declarations of `tools` for guest code in `language` (core's `generateDeclarations`):
 * Python stubs for Python, TypeScript `declare function`s for TypeScript and JavaScript.
 */
export function declarationsFor(tools: Toolset, language: SandboxLanguage): string {
  return generateDeclarations(tools, { language: language === 'python' ? 'python' : 'typescript' });
}
