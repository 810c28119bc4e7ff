// The language-neutral type model that JSON Schema is lowered to before it is printed as
// TypeScript or Python. Keeping one model means both languages interpret a schema the same way
// (enums win over `type`, nullable, combinators, refs) and only the spelling differs.

/** A documentation block: lines of plain (not yet escaped) text. Empty when there is nothing to say. */
export type DocLines = readonly string[];

/** One property of an object type. */
export interface PropertyNode {
  readonly name: string;
  readonly required: boolean;
  readonly type: TypeNode;
  readonly doc: DocLines;
  /** Whether the schema marks the property `deprecated: true`. */
  readonly deprecated?: boolean;
}

/** A named type: a `$ref` target, printed once and referred to by name. */
export interface Definition {
  /** Stable key; equal keys are the same definition. */
  readonly key: string;
  /** The name the schema suggests (last pointer segment, or the tool's name for a root). */
  readonly nameHint: string;
  /** The definition's own documentation. */
  readonly doc: DocLines;
  /** Whether the schema marks the definition `deprecated: true`. */
  readonly deprecated?: boolean;
  /** The body, built lazily (definitions may refer to themselves). */
  body(): TypeNode;
}

export type PrimitiveKind = 'string' | 'number' | 'integer' | 'boolean' | 'null';

export type TypeNode =
  | { readonly kind: 'unknown' }
  | { readonly kind: 'never' }
  | { readonly kind: PrimitiveKind }
  | { readonly kind: 'literal'; readonly value: unknown }
  | { readonly kind: 'array'; readonly items: TypeNode }
  | { readonly kind: 'tuple'; readonly items: readonly TypeNode[]; readonly rest: TypeNode | undefined }
  | {
      readonly kind: 'object';
      readonly properties: readonly PropertyNode[];
      /** Type of other keys: `undefined` when the schema says nothing, `never` when closed. */
      readonly additional: TypeNode | undefined;
      /** Path-derived name parts, for languages that must name every object type (Python). */
      readonly nameHint: readonly string[];
    }
  | { readonly kind: 'union'; readonly members: readonly TypeNode[] }
  | { readonly kind: 'intersection'; readonly members: readonly TypeNode[] }
  | { readonly kind: 'ref'; readonly definition: Definition };

export type ObjectNode = Extract<TypeNode, { kind: 'object' }>;

export const unknownNode: TypeNode = { kind: 'unknown' };
export const neverNode: TypeNode = { kind: 'never' };
export const nullNode: TypeNode = { kind: 'null' };

/** A structural key for de-duplicating union members. */
function nodeKey(node: TypeNode): string {
  switch (node.kind) {
    case 'literal':
      return `literal:${typeof node.value}:${literalKey(node.value)}`;
    case 'array':
      return `array(${nodeKey(node.items)})`;
    case 'tuple':
      return `tuple(${node.items.map(nodeKey).join(',')};${node.rest === undefined ? '' : nodeKey(node.rest)})`;
    case 'object':
      return `object(${node.properties.map((property) => `${JSON.stringify(property.name)}${property.required ? '' : '?'}:${nodeKey(property.type)}`).join(',')};${node.additional === undefined ? '' : nodeKey(node.additional)})`;
    case 'union':
    case 'intersection':
      return `${node.kind}(${node.members.map(nodeKey).join(',')})`;
    case 'ref':
      return `ref:${node.definition.key}`;
    default:
      return node.kind;
  }
}

function literalKey(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The JSON type a node's values all have, when there is exactly one. */
function jsonTypeOf(node: TypeNode): string | undefined {
  switch (node.kind) {
    case 'string':
    case 'boolean':
    case 'null':
      return node.kind;
    case 'number':
    case 'integer':
      return 'number';
    case 'literal':
      if (node.value === null) return 'null';
      return typeof node.value === 'bigint' ? 'number' : typeof node.value;
    case 'union': {
      const types = new Set(node.members.map(jsonTypeOf));
      return types.size === 1 ? [...types][0] : undefined;
    }
    default:
      return undefined;
  }
}

/** A union, flattened and de-duplicated: `unknown` absorbs everything, `never` members vanish. */
export function unionOf(members: readonly TypeNode[]): TypeNode {
  const flat: TypeNode[] = [];
  const seen = new Set<string>();
  const add = (member: TypeNode): void => {
    if (member.kind === 'union') {
      member.members.forEach(add);
      return;
    }
    if (member.kind === 'never') return;
    const key = nodeKey(member);
    if (seen.has(key)) return;
    seen.add(key);
    flat.push(member);
  };
  members.forEach(add);
  if (flat.some((member) => member.kind === 'unknown')) return unknownNode;
  if (flat.length === 0) return neverNode;
  if (flat.length === 1) return flat[0] as TypeNode;
  return { kind: 'union', members: flat };
}

/**
 * An intersection, simplified: `unknown` members vanish, `never` absorbs everything, inline
 * objects merge into one, and a primitive next to literals of its own JSON type is dropped
 * (`string & ("a" | "b")` is just `"a" | "b"`).
 */
export function intersectionOf(members: readonly TypeNode[]): TypeNode {
  let flat: TypeNode[] = [];
  const add = (member: TypeNode): void => {
    if (member.kind === 'intersection') member.members.forEach(add);
    else if (member.kind !== 'unknown') flat.push(member);
  };
  members.forEach(add);
  if (flat.some((member) => member.kind === 'never')) return neverNode;
  const objects = flat.filter((member): member is ObjectNode => member.kind === 'object');
  if (objects.length > 1) {
    const merged = mergeObjects(objects);
    const firstObject = flat.indexOf(objects[0] as TypeNode);
    flat = flat.filter((member, index) => member.kind !== 'object' || index === firstObject).map((member) => (member.kind === 'object' ? merged : member));
  }
  if (flat.length > 1) {
    const specific = flat.filter((member) => member.kind === 'literal' || member.kind === 'union');
    flat = flat.filter((member) => {
      if (member.kind !== 'string' && member.kind !== 'number' && member.kind !== 'integer' && member.kind !== 'boolean' && member.kind !== 'null') return true;
      const type = jsonTypeOf(member);
      return !specific.some((other) => jsonTypeOf(other) === type);
    });
  }
  const seen = new Set<string>();
  flat = flat.filter((member) => {
    const key = nodeKey(member);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (flat.length === 0) return unknownNode;
  if (flat.length === 1) return flat[0] as TypeNode;
  return { kind: 'intersection', members: flat };
}

/** Merges object types as `allOf` does: every property of each, required when any says so. */
export function mergeObjects(objects: readonly ObjectNode[]): ObjectNode {
  const properties = new Map<string, PropertyNode>();
  let additional: TypeNode | undefined;
  for (const object of objects) {
    for (const property of object.properties) {
      const existing = properties.get(property.name);
      properties.set(
        property.name,
        existing === undefined
          ? property
          : {
              name: property.name,
              required: existing.required || property.required,
              type: intersectionOf([existing.type, property.type]),
              doc: existing.doc.length > 0 ? existing.doc : property.doc,
              deprecated: existing.deprecated === true || property.deprecated === true,
            },
      );
    }
    if (object.additional !== undefined) additional = additional === undefined ? object.additional : intersectionOf([additional, object.additional]);
  }
  return { kind: 'object', properties: [...properties.values()], additional, nameHint: objects[0]?.nameHint ?? [] };
}
