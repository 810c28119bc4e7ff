import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import type { AnySchema, AnySchemaObject, ErrorObject, Options, ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import * as ajvFormats from 'ajv-formats';
import type { FormatsPlugin } from 'ajv-formats';
import type { JsonSchema } from '../json.js';
import { guardedRegExp, PatternInputTooLongError } from './pattern-guard.js';

/** JSON Schema drafts a tool schema may declare with `$schema`. */
export type JsonSchemaDraft = '2020-12' | '2019-09' | 'draft-07' | 'draft-06';

/** Outcome of validating a value; `message` is short and meant for the model. */
export type JsonSchemaCheck = { readonly success: true } | { readonly success: false; readonly message: string };

/** A compiled schema. */
export interface CompiledJsonSchema {
  /** The draft the schema was compiled as. */
  readonly draft: JsonSchemaDraft;
  /** Validates a value (never throws for a value that came from JSON). */
  readonly check: (value: unknown) => JsonSchemaCheck;
}

/** Thrown by `compileJsonSchema` for a schema that is not valid JSON Schema or cannot be compiled. */
export class JsonSchemaCompileError extends TypeError {
  override readonly name = 'JsonSchemaCompileError';
  /** The keyword at fault, when one is known (`type`, `$ref`, `pattern`, `$schema`, …). */
  readonly keyword: string | undefined;
  /** JSON Pointer of the keyword inside the schema (`''` for the root). */
  readonly schemaPath: string;

  constructor(message: string, keyword: string | undefined, schemaPath: string, options?: ErrorOptions) {
    super(message, options);
    this.keyword = keyword;
    this.schemaPath = schemaPath;
  }
}

// `ajv-formats` is CommonJS: its plugin is the module itself, seen from ESM as the default export.
const addFormats = ((ajvFormats as unknown as { default?: FormatsPlugin }).default ?? (ajvFormats as unknown as FormatsPlugin));

const metaSchemaIds: Record<JsonSchemaDraft, string> = {
  '2020-12': 'https://json-schema.org/draft/2020-12/schema',
  '2019-09': 'https://json-schema.org/draft/2019-09/schema',
  'draft-07': 'http://json-schema.org/draft-07/schema',
  'draft-06': 'http://json-schema.org/draft-06/schema',
};

// Real tool schemas carry unknown keywords (`x-…`, OpenAPI's `example`, `nullable`) and formats:
// JSON Schema treats both as annotations, so they are accepted, not refused (no strict mode).
// Formats listed by `ajv-formats` are checked. `addUsedSchema: false` keeps a tool's `$id` out of the
// shared instance, so two tools may use the same one. Validation stops at the first error and the
// generated code is not optimized: compiling is then 3 to 4 times faster (about 1 ms a schema), which
// matters when a toolset has thousands of tools, and one error is what a model needs to fix a call.
const ajvOptions: Options = {
  strict: false,
  allErrors: false,
  logger: false,
  validateSchema: false,
  addUsedSchema: false,
  unicodeRegExp: true,
  code: { regExp: guardedRegExp, optimize: false },
};

const instances = new Map<string, Ajv>();

function createInstance(draft: JsonSchemaDraft, useDefaults: boolean): Ajv {
  const options = { ...ajvOptions, useDefaults };
  const ajv = draft === '2020-12' ? new Ajv2020(options) : draft === '2019-09' ? new Ajv2019(options) : new Ajv(options);
  if (draft === 'draft-06') {
    // Ajv ships the draft-06 meta-schema as JSON next to its code (a JSON import needs import attributes).
    const metaSchema = createRequire(import.meta.url)('ajv/dist/refs/json-schema-draft-06.json') as AnySchemaObject;
    ajv.addMetaSchema(metaSchema, metaSchemaIds['draft-06']);
  }
  addFormats(ajv);
  return ajv;
}

function sharedInstance(draft: JsonSchemaDraft, useDefaults: boolean): Ajv {
  const key = `${draft}:${useDefaults}`;
  let ajv = instances.get(key);
  if (ajv === undefined) {
    ajv = createInstance(draft, useDefaults);
    instances.set(key, ajv);
  }
  return ajv;
}

function draftOf(schema: JsonSchema, where: string): JsonSchemaDraft | undefined {
  if (typeof schema !== 'object' || schema.$schema === undefined) return undefined;
  const declared = schema.$schema;
  if (typeof declared === 'string') {
    const uri = declared.replace(/^https?:\/\//, '').replace(/#$/, '');
    if (uri === 'json-schema.org/draft/2020-12/schema') return '2020-12';
    if (uri === 'json-schema.org/draft/2019-09/schema') return '2019-09';
    if (uri === 'json-schema.org/draft-07/schema') return 'draft-07';
    if (uri === 'json-schema.org/draft-06/schema') return 'draft-06';
    if (uri === 'json-schema.org/draft-04/schema' || uri === 'json-schema.org/draft-03/schema' || uri === 'json-schema.org/schema') {
      throw new JsonSchemaCompileError(
        `${where}: "$schema" declares ${JSON.stringify(declared)}, which is not supported; declare draft 2020-12, 2019-09, draft-07 or draft-06 (draft-04's boolean exclusiveMinimum/exclusiveMaximum and "id" must be rewritten).`,
        '$schema',
        '/$schema',
      );
    }
  }
  throw new JsonSchemaCompileError(
    `${where}: "$schema" is ${shortJson(declared)}; allowed: the draft 2020-12, 2019-09, draft-07 or draft-06 meta-schema URI.`,
    '$schema',
    '/$schema',
  );
}

function shortJson(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

function pointerSegments(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The first meta-schema error, as "keyword at path: message". */
function metaSchemaProblem(errors: readonly ErrorObject[]): { keyword: string | undefined; path: string; text: string } {
  // The deepest location is the most specific one (`/properties/a/type` rather than `/properties/a`).
  const error = [...errors].sort((a, b) => pointerSegments(b.instancePath).length - pointerSegments(a.instancePath).length)[0] as ErrorObject;
  const segments = pointerSegments(error.instancePath);
  const keyword = segments[segments.length - 1];
  const allowed = Array.isArray((error.params as { allowedValues?: unknown }).allowedValues)
    ? ` (${((error.params as { allowedValues: unknown[] }).allowedValues).map((value) => shortJson(value)).join(', ')})`
    : '';
  const where = error.instancePath === '' ? 'the schema' : `"${keyword ?? ''}" at ${error.instancePath}`;
  return { keyword, path: error.instancePath, text: `${where} ${error.message ?? 'is invalid'}${allowed}` };
}

function compileProblem(error: unknown): { keyword: string | undefined; text: string } {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && 'missingRef' in error) {
    const reference = (error as Error & { missingRef: string }).missingRef;
    return { keyword: '$ref', text: `"$ref" ${JSON.stringify(reference)} does not resolve (only references inside the schema are followed; nothing is fetched)` };
  }
  if (error instanceof SyntaxError && /regular expression/i.test(message)) {
    return { keyword: 'pattern', text: `a "pattern" is not a valid regular expression: ${message}` };
  }
  const keyword = /\bkeyword "?([$\w-]+)"?/.exec(message)?.[1];
  return { keyword, text: message };
}

/** Settings of `compileJsonSchema`. */
export interface CompileJsonSchemaOptions {
  /** Names the schema in errors, e.g. `jsonSchemaTool(get_weather).inputSchema`. */
  readonly where: string;
  /** What validation messages call the value: `input` or `output`. Default `input`. */
  readonly subject?: 'input' | 'output';
  /** Fill in `default` values of missing properties (the value is modified). Default `false`. */
  readonly useDefaults?: boolean;
}

/**
 * Compiles a JSON Schema with Ajv: the draft comes from `$schema` (2020-12 when absent, or draft-07
 * when the schema is valid only as draft-07), the schema is checked against its meta-schema, and
 * formats are checked with `ajv-formats`. Throws `JsonSchemaCompileError` naming the keyword when
 * the schema is invalid or cannot be compiled.
 */
export function compileJsonSchema(schema: JsonSchema, options: CompileJsonSchemaOptions): CompiledJsonSchema {
  const { where, useDefaults = false, subject = 'input' } = options;
  if (typeof schema !== 'boolean' && (typeof schema !== 'object' || schema === null || Array.isArray(schema))) {
    throw new JsonSchemaCompileError(`${where} must be a JSON Schema (an object or a boolean), got ${shortJson(schema)}.`, undefined, '');
  }
  const declared = draftOf(schema, where);
  // `$schema` chose the instance; a copy without it keeps Ajv from looking the URI up itself.
  let target: AnySchema = schema;
  if (typeof schema === 'object' && '$schema' in schema) {
    const { $schema: _ignored, ...rest } = schema;
    target = rest;
  }
  const shape = schemaShape(target);
  if (shape.nonJsonAt !== undefined) {
    const segments = pointerSegments(shape.nonJsonAt);
    throw new JsonSchemaCompileError(
      `${where} holds a value JSON cannot express (a bigint or a cycle) at ${shape.nonJsonAt || 'the root'}.`,
      segments.findLast((segment) => !/^\d+$/.test(segment)),
      shape.nonJsonAt,
    );
  }
  let draft: JsonSchemaDraft = declared ?? '2020-12';
  let ajv = sharedInstance(draft, useDefaults);
  let metaValid: boolean;
  try {
    metaValid = ajv.validate<unknown>(metaSchemaIds[draft], target) === true;
  } catch (error) {
    throw new JsonSchemaCompileError(`${where} cannot be read as JSON Schema: ${error instanceof Error ? error.message : String(error)}`, undefined, '', { cause: error });
  }
  if (!metaValid && declared === undefined) {
    // No `$schema`: older tools write draft-07 (`definitions`, array-form `items`) without saying so.
    const errors = ajv.errors ?? [];
    const draft07 = sharedInstance('draft-07', useDefaults);
    if (draft07.validate(metaSchemaIds['draft-07'], target) === true) {
      draft = 'draft-07';
      ajv = draft07;
      metaValid = true;
    } else {
      ajv.errors = errors;
    }
  }
  if (!metaValid) {
    const problem = metaSchemaProblem(ajv.errors ?? []);
    throw new JsonSchemaCompileError(`${where} is not valid JSON Schema (draft ${draft}): ${problem.text}.`, problem.keyword, problem.path);
  }
  const compile = (): ValidateFunction => {
    // A schema with `$id`s gets its own instance: Ajv would register nested ids in a shared one.
    const compiler = shape.ids ? createInstance(draft, useDefaults) : ajv;
    try {
      return compiler.compile(target);
    } catch (error) {
      const problem = compileProblem(error);
      throw new JsonSchemaCompileError(`${where} cannot be compiled: ${problem.text}.`, problem.keyword, '', { cause: error });
    } finally {
      // Ajv caches every compiled schema object; a tool's validator is all that needs keeping.
      if (!shape.ids && typeof target === 'object') compiler.removeSchema(target);
    }
  };
  // Compiling takes about 1 ms. A schema that passed its meta-schema can only fail to compile
  // through references (`$ref`, anchors), regular expressions or values JSON cannot hold (refused
  // above), so only the first two compile here; the others compile at their first check, which keeps a toolset of thousands of tools
  // quick to build. Should one still fail then, every value fails with the reason.
  let validate: ValidateFunction | undefined = shape.compileNow ? compile() : undefined;
  let failure: string | undefined;
  return Object.freeze({
    draft,
    check: (value: unknown): JsonSchemaCheck => {
      if (validate === undefined) {
        if (failure !== undefined) return { success: false, message: failure };
        try {
          validate = compile();
        } catch (error) {
          failure = error instanceof Error ? error.message : String(error);
          return { success: false, message: failure };
        }
      }
      return check(validate, value, subject);
    },
  });
}

// Keywords whose compilation can fail after the meta-schema passed: references, and regular
// expressions (the meta-schemas do not check them).
const compileNowKeywords = new Set(['$ref', '$dynamicRef', '$recursiveRef', '$anchor', '$dynamicAnchor', '$recursiveAnchor', 'pattern', 'patternProperties']);

interface SchemaShape {
  /** Holds `$id` (or draft-06/07 `id`) somewhere. */
  ids: boolean;
  /** Holds a reference or anchor keyword, or a `pattern` / `patternProperties`, somewhere. */
  compileNow: boolean;
  /** JSON Pointer of the first value JSON cannot hold (a bigint or a cycle). */
  nonJsonAt: string | undefined;
}

/** One walk over the schema for what decides how it is compiled (keys anywhere count: cheap and conservative). */
function schemaShape(schema: unknown): SchemaShape {
  const shape: SchemaShape = { ids: false, compileNow: false, nonJsonAt: undefined };
  const ancestors = new Set<object>();
  const visit = (value: unknown, pointer: string): void => {
    if (shape.nonJsonAt !== undefined) return;
    // `undefined` and functions are left out by JSON.stringify, as by Ajv; a bigint or a cycle is not.
    if (typeof value === 'bigint' || (typeof value === 'object' && value !== null && ancestors.has(value))) {
      shape.nonJsonAt = pointer;
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    ancestors.add(value);
    if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, `${pointer}/${index}`));
    } else {
      for (const [key, child] of Object.entries(value)) {
        if (key === '$id' || key === 'id') shape.ids = true;
        else if (compileNowKeywords.has(key)) shape.compileNow = true;
        visit(child, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      }
    }
    ancestors.delete(value);
  };
  visit(schema, '');
  return shape;
}

const maxReportedErrors = 5;
const maxErrorLineLength = 300;

function check(validate: ValidateFunction, value: unknown, subject: string): JsonSchemaCheck {
  try {
    if (validate(value)) return { success: true };
  } catch (error) {
    if (error instanceof PatternInputTooLongError) return { success: false, message: error.message };
    throw error;
  }
  return { success: false, message: describeErrors(validate.errors ?? [], subject) };
}

const identifierSegment = /^[A-Za-z_$][\w$]*$/;

/** `/a/0/b c` → `input.a[0]["b c"]`, how a model would write the path in code. */
function valuePath(pointer: string, subject: string): string {
  let path = subject;
  for (const segment of pointerSegments(pointer)) {
    if (/^(0|[1-9]\d*)$/.test(segment)) path += `[${segment}]`;
    else if (identifierSegment.test(segment)) path += `.${segment}`;
    else path += `[${JSON.stringify(segment)}]`;
  }
  return path;
}

/** A few lines "path: problem", deduplicated and bounded, for the model to fix its call. */
export function describeErrors(errors: readonly ErrorObject[], subject = 'input'): string {
  const lines: string[] = [];
  for (const error of errors) {
    const params = error.params as Record<string, unknown>;
    let text = `${valuePath(error.instancePath, subject)} ${error.message ?? 'is invalid'}`;
    if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') text += `: ${JSON.stringify(params.additionalProperty)}`;
    if (error.keyword === 'unevaluatedProperties' && typeof params.unevaluatedProperty === 'string') text += `: ${JSON.stringify(params.unevaluatedProperty)}`;
    if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) text += `: ${params.allowedValues.map((allowed) => shortJson(allowed)).join(', ')}`;
    if (text.length > maxErrorLineLength) text = `${text.slice(0, maxErrorLineLength)}…`;
    if (!lines.includes(text)) lines.push(text);
  }
  const shown = lines.slice(0, maxReportedErrors);
  const more = lines.length - shown.length;
  return shown.join('; ') + (more > 0 ? `; and ${more} more` : '');
}
