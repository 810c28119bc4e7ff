/** A value JSON can express: what crosses the bridge between guest and host. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * A JSON Schema (draft 2020-12) as plain data: an object or a boolean schema. Kept loose on
 * purpose, since tool schemas come from many sources (zod, MCP servers, hand-written JSON).
 */
export type JsonSchema = boolean | JsonSchemaObject;

/** A JSON Schema object. */
export interface JsonSchemaObject {
  [keyword: string]: unknown;
}

/**
 * Whether JSON text nests arrays and objects deeper than `maxDepth`, found by one scan of the text
 * (brackets inside strings do not count) without parsing it. Cheap when the text is shorter than
 * the limit, since nesting needs at least one character per level.
 */
export function jsonNestsDeeperThan(text: string, maxDepth: number): boolean {
  if (text.length <= maxDepth) return false;
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c) index++;
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x5b || code === 0x7b) {
      if (++depth > maxDepth) return true;
    } else if (code === 0x5d || code === 0x7d) depth--;
  }
  return false;
}
