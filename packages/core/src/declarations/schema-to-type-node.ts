import { descriptionLines, splitLines } from './text-escaping.js';
import { intersectionOf, neverNode, nullNode, unionOf, unknownNode } from './type-node.js';
import type { Definition, PropertyNode, TypeNode } from './type-node.js';

// Schemas come from anywhere (zod, MCP servers, hand-written JSON, hostile input). Every read goes
// through these helpers so that inherited keys (`constructor`, `__proto__`) and wrong JSON types
// are ignored instead of trusted.
type SchemaRecord = Readonly<Record<string, unknown>>;

function isRecord(value: unknown): value is SchemaRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function own(record: SchemaRecord, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Deeper than this, a schema is shown as `unknown` rather than risking the stack. */
const maxDepth = 64;



/** JSON text of a schema value for a doc hint; never throws. */
export function jsonText(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'bigint') return value.toString();
  try {
    return JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'bigint' ? inner.toString() : inner)) ?? String(value);
  } catch {
    return String(value);
  }
}

const hintKeywords = [
  'format', 'default', 'minimum', 'exclusiveMinimum', 'maximum', 'exclusiveMaximum', 'multipleOf', 'minLength', 'maxLength',
  'pattern', 'minItems', 'maxItems', 'uniqueItems', 'minProperties', 'maxProperties',
] as const;

/** Whether a schema says `deprecated: true` (printed as a tag or note, not a hint). */
export function isDeprecated(schema: unknown): boolean {
  return isRecord(schema) && own(schema, 'deprecated') === true;
}

/** Hints that say nothing the type does not: zod's safe-integer bounds, its format regexes, tuple lengths. */
function isNoiseHint(schema: SchemaRecord, keyword: string, value: unknown): boolean {
  if (keyword === 'minimum') return value === Number.MIN_SAFE_INTEGER;
  if (keyword === 'maximum') return value === Number.MAX_SAFE_INTEGER;
  if (keyword === 'pattern') return typeof own(schema, 'format') === 'string';
  if (keyword === 'minItems' || keyword === 'maxItems') {
    const prefixItems = own(schema, 'prefixItems');
    return Array.isArray(prefixItems) && prefixItems.length === value;
  }
  return false;
}

function hintsOf(schema: SchemaRecord): string[] {
  const hints: string[] = [];
  for (const keyword of hintKeywords) {
    if (!Object.hasOwn(schema, keyword)) continue;
    const value = schema[keyword];
    if (value === undefined || isNoiseHint(schema, keyword, value)) continue;
    if (keyword === 'uniqueItems') {
      if (value === true) hints.push(keyword);
    } else if ((keyword === 'format' || keyword === 'pattern') && typeof value === 'string') {
      hints.push(`${keyword}: ${value}`);
    } else {
      hints.push(`${keyword}: ${jsonText(value)}`);
    }
  }
  return hints;
}

const combinators = ['anyOf', 'oneOf'] as const;

/**
 * The documentation of a schema in a property (or parameter, or named type) position: its
 * description, then its hints (format, default, bounds) in parentheses, then the documentation
 * of what would otherwise have no place to show it (array items, map values, the non-null
 * member of a nullable union).
 */
export function docOf(schema: unknown, depth = 0): string[] {
  if (!isRecord(schema) || depth > 4) return [];
  const description = own(schema, 'description');
  const lines = typeof description === 'string' ? descriptionLines(description) : [];
  const hints = hintsOf(schema);
  if (hints.length > 0) {
    const hint = hints.join(', ');
    if (lines.length === 0) lines.push(hint);
    else lines[lines.length - 1] = `${lines[lines.length - 1] ?? ''} (${hint})`;
  }
  const wrapped = (label: string, inner: unknown): void => {
    if (!isRecord(inner) || typeof own(inner, '$ref') === 'string') return;
    const innerDoc = docOf(inner, depth + 1);
    if (innerDoc.length > 0) lines.push(`${label}: ${innerDoc[0] ?? ''}`, ...innerDoc.slice(1));
  };
  wrapped('Items', own(schema, 'items'));
  wrapped('Values', own(schema, 'additionalProperties'));
  if (lines.length === 0) {
    for (const combinator of combinators) {
      const members = own(schema, combinator);
      if (!Array.isArray(members)) continue;
      const nonNull = members.filter((member) => !(isRecord(member) && own(member, 'type') === 'null'));
      if (nonNull.length === 1 && nonNull.length < members.length) return docOf(nonNull[0], depth + 1);
    }
  }
  // Hint values (a format, a pattern, a default) may hold line breaks of their own.
  return lines.flatMap(splitLines);
}

/** Sorted-key JSON of a schema, or a per-object token when it cannot be serialized (cycles). */
function canonical(value: unknown, fallback: () => string): string {
  try {
    return JSON.stringify(value, (_key, inner: unknown) => {
      if (typeof inner === 'bigint') return inner.toString();
      if (!isRecord(inner)) return inner;
      return Object.fromEntries(Object.keys(inner).sort().map((key) => [key, inner[key]]));
    }) ?? 'undefined';
  } catch {
    return fallback();
  }
}

function containsRef(value: unknown, depth = 0): boolean {
  if (depth > maxDepth) return true;
  if (Array.isArray(value)) return value.some((item) => containsRef(item, depth + 1));
  if (!isRecord(value)) return false;
  if (typeof own(value, '$ref') === 'string') return true;
  return Object.keys(value).some((key) => containsRef(value[key], depth + 1));
}

function decodePointer(reference: string): string[] | undefined {
  if (!reference.startsWith('#')) return undefined;
  let pointer: string;
  try {
    pointer = decodeURIComponent(reference.slice(1));
  } catch {
    return undefined;
  }
  if (pointer === '' || pointer === '/') return [];
  if (!pointer.startsWith('/')) return undefined;
  return pointer.slice(1).split('/').map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function resolvePointer(root: unknown, segments: readonly string[]): { value: unknown } | undefined {
  let current = root;
  for (const segment of segments) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9][0-9]*)$/.test(segment) || Number(segment) >= current.length) return undefined;
      current = current[Number(segment)];
    } else if (isRecord(current) && Object.hasOwn(current, segment)) {
      current = current[segment];
    } else {
      return undefined;
    }
  }
  return { value: current };
}

// Non-standard type names seen in the wild (BFCL, Python-flavoured tool specs).
const typeAliases: ReadonlyMap<string, string> = new Map([
  ['dict', 'object'], ['float', 'number'], ['int', 'integer'], ['str', 'string'], ['bool', 'boolean'],
  ['list', 'array'], ['tuple', 'array'], ['any', 'any'],
]);
const objectKeywords = ['properties', 'additionalProperties', 'patternProperties', 'required'];
const arrayKeywords = ['items', 'prefixItems'];

interface Document {
  readonly root: unknown;
  /** Name hint of the document root, used when something refers to `#`. */
  readonly rootHint: string;
  rootReferenced: boolean;
}

/**
 * Lowers JSON Schema to the type model. One builder serves a whole `generateDeclarations` call,
 * so that identical `$defs` of different tools become one named type.
 */
export class TypeNodeBuilder {
  private readonly definitions = new Map<string, Definition>();
  private readonly active = new Set<object>();
  private readonly tokens = new WeakMap<object, string>();
  private tokenCount = 0;

  /** Builds the type of a tool's input or output schema. */
  root(schema: unknown, nameHint: readonly string[]): TypeNode {
    const document: Document = { root: schema, rootHint: nameHint.join(''), rootReferenced: false };
    const node = this.build(schema, document, nameHint, 0);
    // A schema that refers to itself as `#` needs a name for its root.
    return document.rootReferenced ? { kind: 'ref', definition: this.definition(document, []) } : node;
  }

  private token(value: object): string {
    let token = this.tokens.get(value);
    if (token === undefined) {
      token = `#object${++this.tokenCount}`;
      this.tokens.set(value, token);
    }
    return token;
  }

  private definition(document: Document, segments: readonly string[]): Definition {
    const target = resolvePointer(document.root, segments)?.value;
    const fallback = (): string => (typeof target === 'object' && target !== null ? this.token(target) : String(target));
    const targetKey = canonical(target, fallback);
    const key = containsRef(target)
      ? `${canonical(document.root, () => this.token(document.root as object))}#${JSON.stringify(segments)}`
      : targetKey;
    const existing = this.definitions.get(key);
    if (existing !== undefined) return existing;
    const last = segments[segments.length - 1];
    const nameHint = last === undefined ? document.rootHint : last;
    let body: TypeNode | undefined;
    let building = false;
    const definition: Definition = {
      key,
      nameHint,
      doc: docOf(target),
      deprecated: isDeprecated(target),
      body: () => {
        if (body !== undefined) return body;
        if (building) return unknownNode;
        building = true;
        let built = this.build(target, document, [nameHint], 0);
        // `A = A` (directly or through other aliases) describes nothing.
        const seen = new Set<Definition>([definition]);
        for (let step = built; step.kind === 'ref'; ) {
          if (seen.has(step.definition)) {
            built = unknownNode;
            break;
          }
          seen.add(step.definition);
          step = step.definition.body();
        }
        body = built;
        building = false;
        return body;
      },
    };
    this.definitions.set(key, definition);
    return definition;
  }

  private reference(reference: string, document: Document): TypeNode {
    const segments = decodePointer(reference);
    if (segments === undefined || resolvePointer(document.root, segments) === undefined) return unknownNode;
    if (segments.length === 0) document.rootReferenced = true;
    return { kind: 'ref', definition: this.definition(document, segments) };
  }

  private build(schema: unknown, document: Document, nameHint: readonly string[], depth: number): TypeNode {
    if (schema === false) return neverNode;
    if (!isRecord(schema) || depth > maxDepth || this.active.has(schema)) return unknownNode;
    this.active.add(schema);
    try {
      return this.buildRecord(schema, document, nameHint, depth);
    } finally {
      this.active.delete(schema);
    }
  }

  private buildRecord(schema: SchemaRecord, document: Document, nameHint: readonly string[], depth: number): TypeNode {
    const parts: TypeNode[] = [];
    const reference = own(schema, '$ref');
    if (typeof reference === 'string') parts.push(this.reference(reference, document));

    let base: TypeNode | undefined;
    const enumValues = own(schema, 'enum');
    if (Object.hasOwn(schema, 'const')) {
      base = { kind: 'literal', value: schema.const };
    } else if (Array.isArray(enumValues)) {
      // The enum wins over a contradicting `type`: it is what the values actually are.
      base = unionOf(enumValues.map((value: unknown) => ({ kind: 'literal', value })));
    } else {
      base = this.typed(schema, document, nameHint, depth);
    }
    if (base !== undefined) {
      if (own(schema, 'nullable') === true) base = unionOf([base, nullNode]);
      parts.push(base);
    }

    for (const combinator of combinators) {
      const members = own(schema, combinator);
      if (Array.isArray(members) && members.length > 0) {
        parts.push(unionOf(members.map((member: unknown, index) => this.build(member, document, [...nameHint, `Option${index + 1}`], depth + 1))));
      }
    }
    const allOf = own(schema, 'allOf');
    if (Array.isArray(allOf)) {
      parts.push(intersectionOf(allOf.map((member: unknown) => this.build(member, document, nameHint, depth + 1))));
    }
    const not = own(schema, 'not');
    if (not === true || (isRecord(not) && Object.keys(not).length === 0)) return neverNode;
    return intersectionOf(parts);
  }

  /** The type from `type` (or inferred from object/array keywords); `undefined` when unconstrained. */
  private typed(schema: SchemaRecord, document: Document, nameHint: readonly string[], depth: number): TypeNode | undefined {
    const type = own(schema, 'type');
    let types: string[];
    if (typeof type === 'string') types = [type];
    else if (Array.isArray(type)) types = type.filter((item): item is string => typeof item === 'string');
    else if (objectKeywords.some((keyword) => Object.hasOwn(schema, keyword))) types = ['object'];
    else if (arrayKeywords.some((keyword) => Object.hasOwn(schema, keyword))) types = ['array'];
    else return undefined;
    if (Array.isArray(type) && types.length === 0) return undefined;
    return unionOf(types.map((name) => this.single(typeAliases.get(name) ?? name, schema, document, nameHint, depth)));
  }

  private single(type: string, schema: SchemaRecord, document: Document, nameHint: readonly string[], depth: number): TypeNode {
    switch (type) {
      case 'string':
      case 'number':
      case 'integer':
      case 'boolean':
      case 'null':
        return { kind: type };
      case 'array':
        return this.array(schema, document, nameHint, depth);
      case 'object':
        return this.object(schema, document, nameHint, depth);
      default:
        return unknownNode;
    }
  }

  private array(schema: SchemaRecord, document: Document, nameHint: readonly string[], depth: number): TypeNode {
    const items = own(schema, 'items');
    const prefixItems = own(schema, 'prefixItems');
    // Draft 2020-12 tuples use `prefixItems` (+ `items` for the rest); draft-07 uses an `items` array (+ `additionalItems`).
    const tuple = Array.isArray(prefixItems) ? prefixItems : Array.isArray(items) ? items : undefined;
    if (tuple !== undefined) {
      const restSchema = Array.isArray(prefixItems) ? items : own(schema, 'additionalItems');
      const maxItems = own(schema, 'maxItems');
      // Without a rest schema, more items of any type are allowed, unless `maxItems` rules them out.
      const closed = restSchema === false || (restSchema === undefined && typeof maxItems === 'number' && maxItems <= tuple.length);
      const rest = closed ? undefined : restSchema === undefined ? unknownNode : this.build(restSchema, document, [...nameHint, 'Item'], depth + 1);
      return {
        kind: 'tuple',
        items: tuple.map((item: unknown, index) => this.build(item, document, [...nameHint, `Item${index + 1}`], depth + 1)),
        rest,
      };
    }
    return { kind: 'array', items: items === undefined ? unknownNode : this.build(items, document, [...nameHint, 'Item'], depth + 1) };
  }

  private object(schema: SchemaRecord, document: Document, nameHint: readonly string[], depth: number): TypeNode {
    const propertiesSchema = own(schema, 'properties');
    const requiredList = own(schema, 'required');
    const required = new Set(Array.isArray(requiredList) ? requiredList.filter((key): key is string => typeof key === 'string') : []);
    const properties: PropertyNode[] = [];
    const seen = new Set<string>();
    if (isRecord(propertiesSchema)) {
      for (const name of Object.keys(propertiesSchema)) {
        const propertySchema = propertiesSchema[name];
        seen.add(name);
        properties.push({
          name,
          required: required.has(name),
          type: this.build(propertySchema === undefined ? true : propertySchema, document, [...nameHint, name], depth + 1),
          doc: docOf(propertySchema),
          deprecated: isDeprecated(propertySchema),
        });
      }
    }
    // `required` may name keys without a `properties` entry: they must be present, with any value.
    for (const name of required) {
      if (!seen.has(name)) properties.push({ name, required: true, type: unknownNode, doc: [] });
    }
    const valueTypes: TypeNode[] = [];
    const patternProperties = own(schema, 'patternProperties');
    if (isRecord(patternProperties)) {
      for (const pattern of Object.keys(patternProperties)) {
        valueTypes.push(this.build(patternProperties[pattern], document, [...nameHint, 'Value'], depth + 1));
      }
    }
    const additionalProperties = own(schema, 'additionalProperties');
    let additional: TypeNode | undefined;
    if (additionalProperties !== undefined) valueTypes.push(this.build(additionalProperties, document, [...nameHint, 'Value'], depth + 1));
    if (valueTypes.length > 0) additional = unionOf(valueTypes);
    return { kind: 'object', properties, additional, nameHint };
  }
}

