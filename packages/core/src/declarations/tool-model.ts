import type { SandboxToolParameterV1 } from '../spec/sandbox-tool-v1.js';
import { typescriptString } from './text-escaping.js';
import type { DocLines, TypeNode } from './type-node.js';

/** One tool, lowered to the type model, as the printers receive it. */
export interface ToolModel {
  /** The function name in guest code. */
  readonly identifier: string;
  /** The tool's name (shown when it differs from `identifier`). */
  readonly name: string;
  /** The tool's description, as lines. */
  readonly description: DocLines;
  /** Type of the one input argument. */
  readonly input: TypeNode;
  /** Documentation of the input schema itself (its description, default…). */
  readonly inputDoc: DocLines;
  /** Type of the result; `undefined` when the tool has no output schema. */
  readonly output: TypeNode | undefined;
  /** Documentation of the output schema itself. */
  readonly outputDoc: DocLines;
  /** Whether the input schema is marked `deprecated: true` (the tool is). */
  readonly deprecated?: boolean;
  /** The input's named parameters in declaration order (see `toolParameters`), when it has them. */
  readonly parameters?: readonly SandboxToolParameterV1[] | undefined;
}

/** The line that maps a guest identifier back to the tool's real name. */
export function toolNameLine(model: ToolModel): string | undefined {
  // JSON text, with U+2028/U+2029 and C1 escaped too so that no line break hides in it.
  return model.identifier === model.name ? undefined : `Tool name: ${typescriptString(model.name)}.`;
}

/** Whether the input may be left out: an object none of whose keys is required. */
export function isOptionalInput(node: TypeNode): boolean {
  let current = node;
  for (let step = 0; current.kind === 'ref' && step < 32; step++) current = current.definition.body();
  if (current.kind === 'unknown') return true;
  return current.kind === 'object' && current.properties.every((property) => !property.required);
}
