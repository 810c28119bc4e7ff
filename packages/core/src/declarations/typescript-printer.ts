import { jsdoc, typescriptString } from './text-escaping.js';
import { isOptionalInput, toolNameLine } from './tool-model.js';
import type { ToolModel } from './tool-model.js';
import { TypeNameRegistry } from './type-names.js';
import { unionOf } from './type-node.js';
import type { Definition, ObjectNode, TypeNode } from './type-node.js';

type Position = 'top' | 'array' | 'intersection';

const bareKey = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

// Every object inherits these (lib `Object`): an optional property of another type would reject
// `{}` itself, since TypeScript checks the inherited member against it.
const inheritedMembers: ReadonlySet<string> = new Set([
  'constructor', 'toString', 'toLocaleString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable',
]);

function propertyKey(name: string): string {
  return bareKey.test(name) ? name : typescriptString(name);
}

/** Prints TypeScript declarations: `declare function` per tool, `type` aliases for `$ref` targets. */
export function printTypescript(tools: readonly ToolModel[]): string {
  const names = new TypeNameRegistry('typescript', tools.map((tool) => tool.identifier));
  const definitionNames = new Map<Definition, string>();
  let pending: Definition[] = [];
  let integerName: string | undefined;

  const definitionName = (definition: Definition): string => {
    let name = definitionNames.get(definition);
    if (name === undefined) {
      name = names.claim(definition.nameHint);
      definitionNames.set(definition, name);
      pending.push(definition);
    }
    return name;
  };

  const literal = (value: unknown, indent: string, position: Position): string => {
    if (value === null) return 'null';
    switch (typeof value) {
      case 'string':
        return typescriptString(value);
      case 'boolean':
        return String(value);
      case 'number': {
        if (!Number.isFinite(value)) return 'number';
        const text = String(value);
        return text.startsWith('-') && position === 'array' ? `(${text})` : text;
      }
      case 'bigint':
        return value < 0n && position === 'array' ? `(${value.toString()})` : value.toString();
      case 'object': {
        if (Array.isArray(value)) return `[${value.map((item: unknown) => literal(item, indent, 'top')).join(', ')}]`;
        const entries = Object.keys(value).map((key) => `${propertyKey(key)}: ${literal((value as Record<string, unknown>)[key], indent, 'top')}`);
        return entries.length === 0 ? '{}' : `{ ${entries.join('; ')} }`;
      }
      default:
        return 'unknown';
    }
  };

  const object = (node: ObjectNode, indent: string): string => {
    const additional = node.additional;
    if (node.properties.length === 0) {
      if (additional === undefined || additional.kind === 'unknown') return 'Record<string, unknown>';
      if (additional.kind === 'never') return '{}';
      return `Record<string, ${type(additional, indent, 'top')}>`;
    }
    const inner = `${indent}  `;
    const members = node.properties.map((property) => {
      let text = type(property.type, inner, 'top');
      if (!property.required && inheritedMembers.has(property.name)) text = `${type(property.type, inner, 'intersection')} | Object[${typescriptString(property.name)}]`;
      return {
        doc: jsdoc(property.doc, inner, property.deprecated === true ? [['deprecated', []]] : []),
        text: `${propertyKey(property.name)}${property.required ? '' : '?'}: ${text}`,
      };
    });
    // Other keys: an index signature whose type admits every named property's type too (an
    // intersection with `Record<string, T>` would demand that each property also be a `T`).
    if (additional !== undefined && additional.kind !== 'never') {
      let valueType = 'unknown';
      if (additional.kind !== 'unknown') {
        valueType = type(unionOf([additional, ...node.properties.map((property) => property.type)]), inner, 'top');
        // An optional property's type includes `undefined` (and an inherited member's, see above).
        for (const property of node.properties) {
          if (!property.required && inheritedMembers.has(property.name)) valueType += ` | Object[${typescriptString(property.name)}]`;
        }
        if (node.properties.some((property) => !property.required)) valueType += ' | undefined';
      }
      members.push({ doc: '', text: `[key: string]: ${valueType}` });
    }
    const multiline = members.some((member) => member.doc !== '' || member.text.includes('\n'));
    return multiline
      ? `{\n${members.map((member) => `${member.doc}${inner}${member.text};\n`).join('')}${indent}}`
      : `{ ${members.map((member) => member.text).join('; ')} }`;
  };

  const type = (node: TypeNode, indent: string, position: Position): string => {
    switch (node.kind) {
      case 'unknown':
      case 'never':
      case 'string':
      case 'boolean':
      case 'null':
        return node.kind;
      case 'number':
        return 'number';
      case 'integer':
        // TypeScript has no integer type; an alias keeps the fact at no cost in tokens.
        integerName ??= names.claim('integer');
        return integerName;
      case 'literal':
        return literal(node.value, indent, position);
      case 'array':
        return `${type(node.items, indent, 'array')}[]`;
      case 'tuple': {
        const items = node.items.map((item) => type(item, indent, 'top'));
        if (node.rest !== undefined) items.push(`...${type(node.rest, indent, 'array')}[]`);
        return `[${items.join(', ')}]`;
      }
      case 'object':
        return object(node, indent);
      case 'union': {
        const text = node.members.map((member) => type(member, indent, 'intersection')).join(' | ');
        return position === 'top' ? text : `(${text})`;
      }
      case 'intersection': {
        const text = node.members.map((member) => type(member, indent, 'intersection')).join(' & ');
        return position === 'array' ? `(${text})` : text;
      }
      case 'ref':
        return definitionName(node.definition);
    }
  };

  const flushDefinitions = (): string => {
    let text = '';
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      for (const definition of batch) {
        const name = definitionNames.get(definition) ?? definition.nameHint;
        text += `${jsdoc(definition.doc, '', definition.deprecated === true ? [['deprecated', []]] : [])}type ${name} = ${type(definition.body(), '', 'top')};\n`;
      }
    }
    return text;
  };

  let output = '';
  for (const tool of tools) {
    const input = type(tool.input, '', 'top');
    const result = tool.output === undefined ? 'unknown' : type(tool.output, '', 'top');
    const nameLine = toolNameLine(tool);
    const tagged: [string, readonly string[]][] = [];
    if (tool.inputDoc.length > 0) tagged.push(['param', [`input ${tool.inputDoc[0] ?? ''}`, ...tool.inputDoc.slice(1)]]);
    if (tool.outputDoc.length > 0) tagged.push(['returns', tool.outputDoc]);
    if (tool.deprecated === true) tagged.push(['deprecated', []]);
    output += flushDefinitions();
    output += jsdoc(nameLine === undefined ? tool.description : [nameLine, ...tool.description], '', tagged);
    output += `declare function ${tool.identifier}(input${isOptionalInput(tool.input) ? '?' : ''}: ${input}): Promise<${result}>;\n`;
  }
  return integerName === undefined ? output : `type ${integerName} = number;\n${output}`;
}
