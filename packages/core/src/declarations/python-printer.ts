import { pythonComment, pythonDocstring, pythonDocumented, pythonString } from './text-escaping.js';
import { isOptionalInput, toolNameLine } from './tool-model.js';
import type { ToolModel } from './tool-model.js';
import { nameFromHint, TypeNameRegistry } from './type-names.js';
import { mergeObjects } from './type-node.js';
import type { Definition, DocLines, ObjectNode, PropertyNode, TypeNode } from './type-node.js';

const pythonKeywords: ReadonlySet<string> = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif',
  'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or',
  'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
]);

/**
 * Whether a key can be a field of a class-syntax TypedDict: an ASCII identifier (non-ASCII ones
 * are NFKC-normalized by Python, which could change the key), no keyword, and no leading `__`
 * (class bodies mangle those names).
 */
function isFieldName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !pythonKeywords.has(name) && !name.startsWith('__');
}

const indent = '    ';

/** Doc lines with a leading `Deprecated.` when the schema says `deprecated: true`. */
function withDeprecation(doc: DocLines, deprecated: boolean | undefined): DocLines {
  if (deprecated !== true) return doc;
  const [first, ...rest] = doc;
  return [first === undefined ? 'Deprecated.' : `Deprecated. ${first}`, ...rest];
}

/**
 * Prints Python declarations: `TypedDict` classes for objects, `def` stubs for tools (callable
 * directly or with `await`; see generate-declarations.ts for the shape).
 */
export function printPython(tools: readonly ToolModel[]): string {
  const names = new TypeNameRegistry('python', tools.map((tool) => tool.identifier));
  const imports = new Set<string>();
  const blocks: string[] = [];
  const definitions = new Map<Definition, { name: string; done: boolean; isClass: boolean }>();
  const objectNames = new WeakMap<ObjectNode, string>();

  const typing = (name: string): string => {
    imports.add(name);
    return name;
  };

  /** Follows refs to what they stand for (bounded: alias chains cannot loop forever). */
  const resolve = (node: TypeNode): TypeNode => {
    let current = node;
    for (let step = 0; current.kind === 'ref' && step < 32; step++) current = current.definition.body();
    return current;
  };

  const literal = (value: unknown): string | undefined => {
    switch (typeof value) {
      case 'string':
        return pythonString(value);
      case 'boolean':
        return value ? 'True' : 'False';
      case 'number':
        return Number.isFinite(value) ? String(value) : undefined;
      case 'bigint':
        return value.toString();
      default:
        return undefined;
    }
  };

  /** The type of a literal Python's `Literal[...]` cannot hold. */
  const literalFallback = (value: unknown): string => {
    if (value === null) return 'None';
    if (Array.isArray(value)) return `list[${typing('Any')}]`;
    if (typeof value === 'object') return `dict[str, ${typing('Any')}]`;
    if (typeof value === 'number') return 'float';
    return typing('Any');
  };

  const typedDict = (node: ObjectNode, name: string, classDoc: DocLines, bases: readonly string[] = []): void => {
    const fields = node.properties.map((property) => {
      const fieldType = type(property.type);
      return { property, text: property.required ? fieldType : `${typing('NotRequired')}[${fieldType}]` };
    });
    // A TypedDict cannot declare the type of other keys (before PEP 728): say it in words.
    const additional = node.additional;
    const doc = additional === undefined || additional.kind === 'never' ? classDoc : [...classDoc, `Other keys: ${type(additional)}`];
    typing('TypedDict');
    if (bases.length > 0 || node.properties.every((property) => isFieldName(property.name))) {
      let block = `class ${name}(${bases.length > 0 ? bases.join(', ') : 'TypedDict'}):\n`;
      if (doc.length > 0) block += pythonDocstring(doc, indent);
      for (const { property, text } of fields) block += pythonDocumented(withDeprecation(property.doc, property.deprecated), indent, `${property.name}: ${text}`);
      if (fields.length === 0 && doc.length === 0) block += `${indent}pass\n`;
      blocks.push(block);
      return;
    }
    // Keys that are not identifiers (or are keywords) need the functional form.
    const multiline = fields.some(({ property }) => property.doc.length > 0 || property.deprecated === true);
    const entries = fields.map(({ property, text }) => `${pythonString(property.name)}: ${text}`);
    const body = multiline
      ? `{\n${fields.map(({ property }, index) => pythonDocumented(withDeprecation(property.doc, property.deprecated), indent, `${entries[index] ?? ''},`)).join('')}}`
      : `{${entries.join(', ')}}`;
    blocks.push(`${pythonComment(doc, '')}${name} = TypedDict(${pythonString(name)}, ${body})\n`);
  };

  /** The type of an object; one with properties becomes a named TypedDict. */
  const object = (node: ObjectNode, name: string | undefined, doc: DocLines): string => {
    if (node.properties.length === 0) {
      const additional = node.additional;
      const valueType = additional === undefined || additional.kind === 'unknown' || additional.kind === 'never' ? typing('Any') : type(additional);
      return `dict[str, ${valueType}]`;
    }
    let className = objectNames.get(node);
    if (className === undefined) {
      className = name ?? names.claim(nameFromHint(node.nameHint));
      objectNames.set(node, className);
      typedDict(node, className, doc);
    }
    return className;
  };

  /**
   * `allOf` in Python: when every member is an object, named ones (printed as TypedDict classes)
   * become base classes and inline ones merge into the class body; keys that need the functional
   * form, or a base still being printed, merge everything into one TypedDict instead. Anything
   * else is best effort: the first member.
   */
  const intersection = (members: readonly TypeNode[], name: string | undefined, doc: DocLines): string => {
    const resolved = members.map(resolve);
    if (!resolved.every((member) => member.kind === 'object')) return members[0] === undefined ? typing('Any') : type(members[0]);
    const inline = members.filter((member): member is ObjectNode => member.kind === 'object');
    const merged = inline.length > 0 ? mergeObjects(inline) : undefined;
    const references = members.flatMap((member) => (member.kind === 'ref' ? [member.definition] : []));
    if (references.length > 0 && (merged === undefined || merged.properties.every((property) => isFieldName(property.name)))) {
      const bases = references.map(definition);
      if (references.every((reference) => definitions.get(reference)?.done === true && definitions.get(reference)?.isClass === true)) {
        const className = name ?? names.claim(merged === undefined ? bases.join('And') : nameFromHint(merged.nameHint));
        typedDict(merged ?? { kind: 'object', properties: [], additional: undefined, nameHint: [] }, className, doc, bases);
        return className;
      }
    }
    return object(mergeObjects(resolved), name, doc);
  };

  const definition = (target: Definition): string => {
    const state = definitions.get(target);
    // A definition still being printed is referred to by a forward reference (a string).
    if (state !== undefined) return state.done ? state.name : pythonString(state.name);
    const name = names.claim(target.nameHint);
    const entry = { name, done: false, isClass: false };
    definitions.set(target, entry);
    const body = target.body();
    const targetDoc = withDeprecation(target.doc, target.deprecated);
    if (body.kind === 'object' && body.properties.length > 0) {
      object(body, name, targetDoc);
      entry.isClass = true;
    } else if (body.kind === 'intersection' && body.members.map(resolve).every((member) => member.kind === 'object')) {
      intersection(body.members, name, targetDoc);
      entry.isClass = true;
    } else {
      const text = type(body);
      blocks.push(`${pythonComment(targetDoc, '')}${name} = ${text}\n`);
    }
    entry.done = true;
    return name;
  };

  const union = (members: readonly TypeNode[]): string => {
    const parts: string[] = [];
    const literals: string[] = [];
    let literalIndex = -1;
    for (const member of members) {
      if (member.kind === 'literal') {
        const text = literal(member.value);
        if (text !== undefined) {
          if (literalIndex === -1) {
            literalIndex = parts.length;
            parts.push('');
          }
          literals.push(text);
          continue;
        }
      }
      const text = type(member);
      if (!parts.includes(text)) parts.push(text);
    }
    if (literalIndex !== -1) parts[literalIndex] = `${typing('Literal')}[${literals.join(', ')}]`;
    // `"Node" | None` would fail when evaluated (a str has no `|`); `Union` takes forward references.
    return parts.some((part) => part.startsWith('"')) ? `${typing('Union')}[${parts.join(', ')}]` : parts.join(' | ');
  };

  const type = (node: TypeNode): string => {
    switch (node.kind) {
      case 'unknown':
        return typing('Any');
      case 'never':
        return typing('Never');
      case 'string':
        return 'str';
      case 'number':
        return 'float';
      case 'integer':
        return 'int';
      case 'boolean':
        return 'bool';
      case 'null':
        return 'None';
      case 'literal': {
        const text = literal(node.value);
        return text === undefined ? literalFallback(node.value) : `${typing('Literal')}[${text}]`;
      }
      case 'array':
        return `list[${type(node.items)}]`;
      case 'tuple': {
        const items = node.items.map(type);
        if (node.rest !== undefined) {
          if (items.length === 0) return `list[${type(node.rest)}]`;
          items.push(`*tuple[${type(node.rest)}, ...]`);
        }
        return items.length === 0 ? 'tuple[()]' : `tuple[${items.join(', ')}]`;
      }
      case 'object':
        return object(node, undefined, []);
      case 'union':
        return union(node.members);
      case 'intersection':
        return intersection(node.members, undefined, []);
      case 'ref':
        return definition(node.definition);
    }
  };

  /**
   * The signature of a tool whose input lists its properties, all identifiers: required ones
   * positional-or-keyword in declaration order, optional ones keyword-only with a `None` default.
   * `undefined` when the input needs the one-dict form.
   */
  const keywordSignature = (tool: ToolModel): { text: string; doc: string[] } | undefined => {
    const parameters = tool.parameters;
    const input = resolve(tool.input);
    if (parameters === undefined || input.kind !== 'object') return undefined;
    const byName = new Map(input.properties.map((property) => [property.name, property]));
    if (!parameters.every((parameter) => isFieldName(parameter.name) && byName.has(parameter.name))) return undefined;
    const required: string[] = [];
    const optional: string[] = [];
    const doc: string[] = [];
    for (const parameter of parameters) {
      const property = byName.get(parameter.name) as PropertyNode;
      const text = type(property.type);
      if (parameter.required) required.push(`${parameter.name}: ${text}`);
      else optional.push(`${parameter.name}: ${text === 'None' || text.endsWith(' | None') ? text : `${text} | None`} = None`);
      const propertyDoc = withDeprecation(property.doc, property.deprecated);
      if (propertyDoc.length > 0) doc.push(`    ${parameter.name}: ${propertyDoc[0] ?? ''}`, ...propertyDoc.slice(1).map((line) => `        ${line}`));
    }
    const text = [...required, ...(optional.length > 0 ? ['*', ...optional] : [])].join(', ');
    return { text, doc: doc.length > 0 ? ['Args:', ...doc] : [] };
  };

  for (const tool of tools) {
    const keyword = keywordSignature(tool);
    const resultType = tool.output === undefined ? typing('Any') : type(tool.output);
    const nameLine = toolNameLine(tool);
    const doc = [...(nameLine === undefined ? [] : [nameLine]), ...tool.description, ...(tool.deprecated === true ? ['Deprecated.'] : [])];
    if (tool.inputDoc.length > 0) doc.push(`Input: ${tool.inputDoc[0] ?? ''}`, ...tool.inputDoc.slice(1));
    if (tool.outputDoc.length > 0) doc.push(`Returns: ${tool.outputDoc[0] ?? ''}`, ...tool.outputDoc.slice(1));
    let parameters: string;
    if (keyword === undefined) {
      const inputType = tool.input.kind === 'object' ? object(tool.input, undefined, []) : type(tool.input);
      parameters = `input: ${inputType}${isOptionalInput(tool.input) ? ' = {}' : ''}, /`;
    } else {
      parameters = keyword.text;
      if (keyword.doc.length > 0) doc.push(...(doc.length > 0 ? [''] : []), ...keyword.doc);
    }
    const signature = `def ${tool.identifier}(${parameters}) -> ${resultType}:`;
    blocks.push(doc.length === 0 ? `${signature} ...\n` : `${signature}\n${pythonDocstring(doc, indent)}`);
  }
  const header = imports.size === 0 ? '' : `from typing import ${[...imports].sort().join(', ')}\n`;
  return header + blocks.join('');
}
