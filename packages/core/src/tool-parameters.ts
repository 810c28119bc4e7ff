import type { JsonSchemaObject } from './json.js';
import type { SandboxToolParameterV1 } from './spec/sandbox-tool-v1.js';

/**
 * The named parameters of a tool: the properties of its input schema, in declaration order, with
 * whether each is required. `undefined` when the schema does not list its properties directly
 * (e.g. a `$ref` or `anyOf` at the root), in which case guest code passes one object (or, in
 * Python, keyword arguments) and nothing positional.
 */
export function toolParameters(inputSchema: JsonSchemaObject): readonly SandboxToolParameterV1[] | undefined {
  const properties = (inputSchema as { properties?: unknown }).properties;
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) return undefined;
  const requiredList = (inputSchema as { required?: unknown }).required;
  const required = new Set(Array.isArray(requiredList) ? requiredList.filter((name): name is string => typeof name === 'string') : []);
  return Object.freeze(Object.keys(properties).map((name) => Object.freeze({ name, required: required.has(name) })));
}
