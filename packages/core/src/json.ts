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
