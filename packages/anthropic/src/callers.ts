import type { AnyTool } from '@codecall/core';

/**
 * Who may call a tool:
 * - `direct`: the model, with an ordinary `tool_use` block (sequential, parallel, hybrid modes);
 * - `code`: code the model writes (the code tool in programmatic/hybrid mode, Anthropic's hosted
 *   code execution in native mode).
 */
export type ToolCaller = 'direct' | 'code';

/** A tool's callers: direct use only, code only, or both. */
export type ToolCallers = readonly ToolCaller[];

const callersKey = Symbol.for('codecall.anthropic.callers');

/** Callers of a tool that has no setting: both. */
export const defaultCallers: ToolCallers = Object.freeze(['direct', 'code'] as const);

/**
 * Returns a copy of `tool` that only the given callers may use. A tool without the setting may be
 * called both directly and from code.
 *
 * @example
 * ```ts
 * const tools = createToolset([withCallers(getExpenses, ['code']), withCallers(sendEmail, ['direct'])]);
 * ```
 */
export function withCallers<T extends AnyTool>(tool: T, callers: ToolCallers): T {
  if (!Array.isArray(callers) || callers.length === 0 || callers.some((caller) => caller !== 'direct' && caller !== 'code')) {
    throw new TypeError(`withCallers(${tool.name}): callers must be a non-empty array of 'direct' and 'code', got ${JSON.stringify(callers)}.`);
  }
  const copy = Object.create(Object.getPrototypeOf(tool) as object | null, Object.getOwnPropertyDescriptors(tool)) as T;
  Object.defineProperty(copy, callersKey, { value: Object.freeze([...new Set(callers)]), enumerable: false });
  return Object.freeze(copy);
}

/**
 * The callers of a tool: an explicit `overrides[tool.name]` first, then the `withCallers` setting,
 * then both.
 */
export function callersOf(tool: AnyTool, overrides?: Readonly<Record<string, ToolCallers>>): ToolCallers {
  const override = overrides?.[tool.name];
  if (override !== undefined) return override;
  const own = (tool as unknown as Record<symbol, unknown>)[callersKey];
  return Array.isArray(own) ? (own as ToolCallers) : defaultCallers;
}
