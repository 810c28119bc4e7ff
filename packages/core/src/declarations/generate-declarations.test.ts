import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { JsonSchema, JsonSchemaObject } from '../json.js';
import { defineTool } from '../tool.js';
import type { JsonSchemaToolDefinition } from '../tool.js';
import { createToolset } from '../toolset.js';
import { checkPython, checkTypescript } from './declaration-parsers.test.js';
import { generateDeclarations } from './generate-declarations.js';

/** Every text a test below generated, checked with the real parsers at the end. */
const generated: { language: 'typescript' | 'python'; text: string; functions: string[] }[] = [];

function declarations(tools: JsonSchemaToolDefinition[], language: 'typescript' | 'python'): string {
  const text = generateDeclarations(tools, { language });
  generated.push({ language, text, functions: createToolset(tools).entries.map((entry) => entry.identifier) });
  return text;
}

function tool(inputSchema: JsonSchemaObject, extra: Partial<JsonSchemaToolDefinition> = {}): JsonSchemaToolDefinition {
  return { name: 'f', description: '', inputSchema, execute: () => null, ...extra };
}

/** Declarations of one tool `f` with this input (and optionally output) schema, in both languages. */
function both(inputSchema: JsonSchemaObject, outputSchema?: JsonSchema): { ts: string; py: string } {
  const tools = [tool(inputSchema, outputSchema === undefined ? {} : { outputSchema })];
  return { ts: declarations(tools, 'typescript'), py: declarations(tools, 'python') };
}

const object = (properties: Record<string, JsonSchema>, required: string[] = Object.keys(properties)): JsonSchemaObject => ({
  type: 'object',
  properties,
  required,
});

describe('generateDeclarations', () => {
  it('shows primitives, required and optional keys, and unknown output', () => {
    const { ts, py } = both(object({ s: { type: 'string' }, n: { type: 'number' }, i: { type: 'integer' }, b: { type: 'boolean' }, z: { type: 'null' } }, ['s', 'n']));
    expect(ts).toMatchInlineSnapshot(`
      "type integer = number;
      declare function f(input: { s: string; n: number; i?: integer; b?: boolean; z?: null }): Promise<unknown>;
      "
    `);
    expect(py).toMatchInlineSnapshot(`
      "from typing import Any
      def f(s: str, n: float, *, i: int | None = None, b: bool | None = None, z: None = None) -> Any: ...
      "
    `);
  });

  it('keeps tool, property and output descriptions, with format, default and bounds as hints', () => {
    const tools = [
      tool(
        object(
          {
            day: { type: 'string', format: 'date', description: 'The day.' },
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 10, description: 'Page size.\nSecond line.' },
            tags: { type: 'array', items: { type: 'string', description: 'A tag.' } },
          },
          ['day'],
        ),
        { description: 'Lists things.', outputSchema: { type: 'array', description: 'The things.', items: { type: 'string' } } },
      ),
    ];
    expect(declarations(tools, 'typescript')).toMatchInlineSnapshot(`
      "type integer = number;
      /**
       * Lists things.
       * @returns The things.
       */
      declare function f(input: {
        /** The day. (format: date) */
        day: string;
        /**
         * Page size.
         * Second line. (default: 10, minimum: 1, maximum: 100)
         */
        limit?: integer;
        /** Items: A tag. */
        tags?: string[];
      }): Promise<string[]>;
      "
    `);
    expect(declarations(tools, 'python')).toMatchInlineSnapshot(`
      "def f(day: str, *, limit: int | None = None, tags: list[str] | None = None) -> list[str]:
          """Lists things.
          Returns: The things.
          
          Args:
              day: The day. (format: date)
              limit: Page size.
                  Second line. (default: 10, minimum: 1, maximum: 100)
              tags: Items: A tag."""
      "
    `);
  });

  it('tolerates defaults that contradict the type', () => {
    const { ts, py } = both(object({ n: { type: 'integer', default: '5 years' }, a: { type: 'array', items: { type: 'string' }, default: 'None' } }, []));
    expect(ts).toMatchInlineSnapshot(`
      "type integer = number;
      declare function f(input?: {
        /** default: "5 years" */
        n?: integer;
        /** default: "None" */
        a?: string[];
      }): Promise<unknown>;
      "
    `);
    expect(py).toMatchInlineSnapshot(`
      "from typing import Any
      def f(*, n: int | None = None, a: list[str] | None = None) -> Any:
          """Args:
              n: default: "5 years"
              a: default: "None\\""""
      "
    `);
  });

  it('shows enums (string, numeric, boolean, mixed) and const as literals; an enum wins over `type`', () => {
    const { ts, py } = both(
      object({
        s: { type: 'string', enum: ['a', 'b c', 'd"e'] },
        n: { type: 'number', enum: [1, -2.5, 1e21] },
        b: { enum: [true, false] },
        m: { enum: ['x', 1, true, null] },
        contradicting: { type: 'boolean', enum: ['True', 'False', 'dontcare'] },
        c: { const: 'fixed' },
      }),
    );
    expect(ts).toMatchInlineSnapshot(`
      "declare function f(input: { s: "a" | "b c" | "d\\"e"; n: 1 | -2.5 | 1e+21; b: true | false; m: "x" | 1 | true | null; contradicting: "True" | "False" | "dontcare"; c: "fixed" }): Promise<unknown>;
      "
    `);
    expect(py).toMatchInlineSnapshot(`
      "from typing import Any, Literal
      def f(s: Literal["a", "b c", "d\\"e"], n: Literal[1, -2.5, 1e+21], b: Literal[True, False], m: Literal["x", 1, True] | None, contradicting: Literal["True", "False", "dontcare"], c: Literal["fixed"]) -> Any: ...
      "
    `);
  });

  it('shows nullable types: type arrays, `nullable: true`, anyOf with null', () => {
    const { ts, py } = both(
      object({
        a: { type: ['string', 'null'] },
        b: { type: 'integer', nullable: true },
        c: { anyOf: [{ type: 'string', format: 'date', description: 'A date.' }, { type: 'null' }] },
        d: { type: ['string', 'number'] },
      }),
    );
    expect(ts).toMatchInlineSnapshot(`
      "type integer = number;
      declare function f(input: {
        a: string | null;
        b: integer | null;
        /** A date. (format: date) */
        c: string | null;
        d: string | number;
      }): Promise<unknown>;
      "
    `);
    expect(py).toMatchInlineSnapshot(`
      "from typing import Any
      def f(a: str | None, b: int | None, c: str | None, d: str | float) -> Any:
          """Args:
              c: A date. (format: date)"""
      "
    `);
  });

  it('shows anyOf/oneOf as unions, with object members named in Python', () => {
    const { ts, py } = both(
      object({
        target: { oneOf: [object({ kind: { const: 'user' }, id: { type: 'string' } }), object({ kind: { const: 'team' }, slug: { type: 'string' } })] },
        value: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
      }),
    );
    expect(ts).toMatchInlineSnapshot(`
      "declare function f(input: { target: { kind: "user"; id: string } | { kind: "team"; slug: string }; value: string | string[] }): Promise<unknown>;
      "
    `);
    expect(py).toMatchInlineSnapshot(`
      "from typing import Any, Literal, TypedDict
      class FInputTargetOption1(TypedDict):
          kind: Literal["user"]
          id: str
      class FInputTargetOption2(TypedDict):
          kind: Literal["team"]
          slug: str
      def f(target: FInputTargetOption1 | FInputTargetOption2, value: str | list[str]) -> Any: ...
      "
    `);
  });

  it('shows allOf as an intersection in TypeScript; in Python named objects become base classes and inline ones merge', () => {
    const { ts, py } = both({
      type: 'object',
      properties: {
        inline: { allOf: [object({ a: { type: 'string' } }), object({ b: { type: 'number' } }, [])] },
        withRef: { allOf: [{ $ref: '#/$defs/Base' }, object({ extra: { type: 'boolean' } })] },
      },
      required: ['inline', 'withRef'],
      $defs: { Base: object({ id: { type: 'string', description: 'Identifier.' } }) },
    });
    expect(ts).toMatchInlineSnapshot(`
      "type Base = {
        /** Identifier. */
        id: string;
      };
      declare function f(input: { inline: { a: string; b?: number }; withRef: Base & { extra: boolean } }): Promise<unknown>;
      "
    `);
    expect(py).toMatchInlineSnapshot(`
      "from typing import Any, NotRequired, TypedDict
      class FInputInline(TypedDict):
          a: str
          b: NotRequired[float]
      class Base(TypedDict):
          id: str  # Identifier.
      class FInputWithRef(Base):
          extra: bool
      def f(inline: FInputInline, withRef: FInputWithRef) -> Any: ...
      "
    `);
  });

  it('names $defs/definitions targets, including recursive ones and the root (`#`)', () => {
    const { ts, py } = both({
      type: 'object',
      description: 'A tree query.',
      properties: {
        root: { $ref: '#/$defs/Node' },
        color: { $ref: '#/definitions/Color' },
        parent: { $ref: '#' },
      },
      required: ['root'],
      $defs: {
        Node: {
          type: 'object',
          description: 'A node of the tree.',
          properties: { value: { type: 'number' }, children: { type: 'array', items: { $ref: '#/$defs/Node' } } },
          required: ['value'],
        },
      },
      definitions: { Color: { enum: ['red', 'green'], description: 'A color.' } },
    });
    expect(ts).toMatchInlineSnapshot(`
      "/** A tree query. */
      type FInput = { root: Node; color?: Color; parent?: FInput };
      /** A node of the tree. */
      type Node = { value: number; children?: Node[] };
      /** A color. */
      type Color = "red" | "green";
      /** @param input A tree query. */
      declare function f(input: FInput): Promise<unknown>;
      "
    `);
    expect(py).toMatchInlineSnapshot(`
      "from typing import Any, Literal, NotRequired, TypedDict
      class Node(TypedDict):
          """A node of the tree."""
          value: float
          children: NotRequired[list["Node"]]
      # A color.
      Color = Literal["red", "green"]
      class FInput(TypedDict):
          """A tree query."""
          root: Node
          color: NotRequired[Color]
          parent: NotRequired["FInput"]
      def f(root: Node, *, color: Color | None = None, parent: FInput | None = None) -> Any:
          """Input: A tree query."""
      "
    `);
  });

  it('makes clashing type names unique across tools', () => {
    const item = (properties: Record<string, JsonSchema>): JsonSchemaObject => ({ type: 'object', properties: { item: { $ref: '#/$defs/Item' } }, $defs: { Item: object(properties) } });
    const tools = [
      tool(item({ a: { type: 'string' } }), { name: 'one' }),
      tool(item({ b: { type: 'number' } }), { name: 'two' }),
      tool(item({ a: { type: 'string' } }), { name: 'three' }),
      tool({ type: 'object', properties: { p: { $ref: '#/$defs/Promise' } }, $defs: { Promise: { type: 'string' } } }, { name: 'four' }),
    ];
    expect(declarations(tools, 'typescript')).toMatchInlineSnapshot(`
      "type Item = { a: string };
      declare function one(input?: { item?: Item }): Promise<unknown>;
      type Item_2 = { b: number };
      declare function two(input?: { item?: Item_2 }): Promise<unknown>;
      declare function three(input?: { item?: Item }): Promise<unknown>;
      type Promise_2 = string;
      declare function four(input?: { p?: Promise_2 }): Promise<unknown>;
      "
    `);
    expect(declarations(tools, 'python')).toMatchInlineSnapshot(`
      "from typing import Any, TypedDict
      class Item(TypedDict):
          a: str
      def one(*, item: Item | None = None) -> Any: ...
      class Item_2(TypedDict):
          b: float
      def two(*, item: Item_2 | None = None) -> Any: ...
      def three(*, item: Item | None = None) -> Any: ...
      Promise = str
      def four(*, p: Promise | None = None) -> Any: ...
      "
    `);
  });

  it('shows maps: additionalProperties (schema and true), patternProperties, and properties with extra keys', () => {
    const { ts, py } = both(
      object({
        counts: { type: 'object', additionalProperties: { type: 'integer' } },
        anything: { type: 'object', additionalProperties: true },
        open: { type: 'object' },
        closed: { type: 'object', properties: {}, additionalProperties: false },
        patterned: { type: 'object', patternProperties: { '^x-': { type: 'string' } } },
        mixed: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: { type: 'number' } },
      }),
    );
    expect(ts).toMatchInlineSnapshot(`
      "type integer = number;
      declare function f(input: { counts: Record<string, integer>; anything: Record<string, unknown>; open: Record<string, unknown>; closed: {}; patterned: Record<string, string>; mixed: { name: string; [key: string]: number | string } }): Promise<unknown>;
      "
    `);
    expect(py).toMatchInlineSnapshot(`
      "from typing import Any, TypedDict
      class FInputMixed(TypedDict):
          """Other keys: float"""
          name: str
      def f(counts: dict[str, int], anything: dict[str, Any], open: dict[str, Any], closed: dict[str, Any], patterned: dict[str, str], mixed: FInputMixed) -> Any: ...
      "
    `);
  });

  it('shows arrays and tuples (prefixItems, with a rest, and draft-07 array-form items)', () => {
    const { ts, py } = both(
      object({
        list: { type: 'array', items: { type: 'number' } },
        untyped: { type: 'array' },
        pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }], items: false },
        rest: { type: 'array', prefixItems: [{ type: 'string' }], items: { type: 'boolean' } },
        draft7: { type: 'array', items: [{ type: 'integer' }, { type: 'string' }], additionalItems: false },
        unions: { type: 'array', items: { type: ['string', 'null'] } },
      }),
    );
    expect(ts).toMatchInlineSnapshot(`
      "type integer = number;
      declare function f(input: { list: number[]; untyped: unknown[]; pair: [string, number]; rest: [string, ...boolean[]]; draft7: [integer, string]; unions: (string | null)[] }): Promise<unknown>;
      "
    `);
    expect(py).toMatchInlineSnapshot(`
      "from typing import Any
      def f(list: list[float], untyped: list[Any], pair: tuple[str, float], rest: tuple[str, *tuple[bool, ...]], draft7: tuple[int, str], unions: list[str | None]) -> Any: ...
      "
    `);
  });

  it('shows empty and boolean schemas as unknown/Any and never/Never', () => {
    const { ts, py } = both({ type: 'object', properties: { any: {}, yes: true, no: false }, required: ['any'] }, false);
    expect(ts).toMatchInlineSnapshot(`
      "declare function f(input: { any: unknown; yes?: unknown; no?: never }): Promise<never>;
      "
    `);
    expect(py).toMatchInlineSnapshot(`
      "from typing import Any, Never
      def f(any: Any, *, yes: Any | None = None, no: Never | None = None) -> Never: ...
      "
    `);
  });

  it('lets an input without required keys be omitted, and shows `required` keys that have no property', () => {
    const empty = both({ type: 'object', properties: {} });
    expect(empty.ts).toMatchInlineSnapshot(`
      "declare function f(input?: Record<string, unknown>): Promise<unknown>;
      "
    `);
    expect(empty.py).toMatchInlineSnapshot(`
      "from typing import Any
      def f() -> Any: ...
      "
    `);
    const missing = both({ type: 'object', properties: { a: { type: 'string' } }, required: ['a', 'population'] });
    expect(missing.ts).toMatchInlineSnapshot(`
      "declare function f(input: { a: string; population: unknown }): Promise<unknown>;
      "
    `);
    expect(missing.py).toMatchInlineSnapshot(`
      "from typing import Any
      def f(a: str) -> Any: ...
      "
    `);
  });

  it('uses the functional TypedDict form for keys that are keywords or not identifiers, and quotes them in TypeScript', () => {
    const { ts, py } = both(object({ class: { type: 'string', description: 'A keyword.' }, 'a-b': { type: 'integer' }, __x: { type: 'boolean' }, ok: { type: 'string' } }, ['class']));
    expect(ts).toMatchInlineSnapshot(`
      "type integer = number;
      declare function f(input: {
        /** A keyword. */
        class: string;
        "a-b"?: integer;
        __x?: boolean;
        ok?: string;
      }): Promise<unknown>;
      "
    `);
    expect(py).toMatchInlineSnapshot(`
      "from typing import Any, NotRequired, TypedDict
      FInput = TypedDict("FInput", {
          "class": str,  # A keyword.
          "a-b": NotRequired[int],
          "__x": NotRequired[bool],
          "ok": NotRequired[str],
      })
      def f(input: FInput, /) -> Any: ...
      "
    `);
  });

  it('shows each tool by its identifier and states the original name when they differ', () => {
    const tools = ['requests.get', 'github.list-issues', 'print', 'get_expenses'].map((name) =>
      tool({ type: 'object', properties: { q: { type: 'string' } }, required: ['q'] }, { name, description: `Calls ${name}.` }),
    );
    expect(declarations(tools, 'typescript')).toMatchInlineSnapshot(`
      "/**
       * Tool name: "requests.get".
       * Calls requests.get.
       */
      declare function requests_get(input: { q: string }): Promise<unknown>;
      /**
       * Tool name: "github.list-issues".
       * Calls github.list-issues.
       */
      declare function github_list_issues(input: { q: string }): Promise<unknown>;
      /**
       * Tool name: "print".
       * Calls print.
       */
      declare function print_(input: { q: string }): Promise<unknown>;
      /** Calls get_expenses. */
      declare function get_expenses(input: { q: string }): Promise<unknown>;
      "
    `);
    expect(declarations(tools, 'python')).toMatchInlineSnapshot(`
      "from typing import Any
      def requests_get(q: str) -> Any:
          """Tool name: "requests.get".
          Calls requests.get."""
      def github_list_issues(q: str) -> Any:
          """Tool name: "github.list-issues".
          Calls github.list-issues."""
      def print_(q: str) -> Any:
          """Tool name: "print".
          Calls print."""
      def get_expenses(q: str) -> Any:
          """Calls get_expenses."""
      "
    `);
  });

  it('survives odd schemas: wrong keyword types, empty enums and combinators, unknown types, pointers into properties', () => {
    const { ts, py } = both({
      type: 'object',
      properties: {
        weirdProperties: { type: 'object', properties: ['not', 'a', 'map'], required: true },
        emptyEnum: { enum: [] },
        emptyAnyOf: { anyOf: [], type: 'string' },
        unknownType: { type: 'foo', description: 42 },
        pythonish: { type: 'dict', properties: { x: { type: 'float' }, y: { type: 'tuple', items: { type: 'int' } } } },
        pointer: { $ref: '#/properties/emptyAnyOf' },
        dangling: { $ref: '#/$defs/Missing' },
        conflicting: { allOf: [{ type: 'string' }, { type: 'number' }] },
        constrainedUnion: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, anyOf: [{ required: ['a'] }, { required: ['b'] }] },
      },
      required: ['pythonish'],
    });
    expect(ts).toMatchInlineSnapshot(`
      "type integer = number;
      type emptyAnyOf = string;
      declare function f(input: { weirdProperties?: Record<string, unknown>; emptyEnum?: never; emptyAnyOf?: string; unknownType?: unknown; pythonish: { x?: number; y?: integer[] }; pointer?: emptyAnyOf; dangling?: unknown; conflicting?: string & number; constrainedUnion?: { a?: string; b?: string } & ({ a: unknown } | { b: unknown }) }): Promise<unknown>;
      "
    `);
    expect(py).toMatchInlineSnapshot(`
      "from typing import Any, Never, NotRequired, TypedDict
      class FInputPythonish(TypedDict):
          x: NotRequired[float]
          y: NotRequired[list[int]]
      emptyAnyOf = str
      class FInputConstrainedUnion(TypedDict):
          a: NotRequired[str]
          b: NotRequired[str]
      def f(pythonish: FInputPythonish, *, weirdProperties: dict[str, Any] | None = None, emptyEnum: Never | None = None, emptyAnyOf: str | None = None, unknownType: Any | None = None, pointer: emptyAnyOf | None = None, dangling: Any | None = None, conflicting: str | None = None, constrainedUnion: FInputConstrainedUnion | None = None) -> Any: ...
      "
    `);
  });

  it('rejects an unknown language', () => {
    expect(() => generateDeclarations([], { language: 'ruby' as 'python' })).toThrow(/options.language must be 'typescript' or 'python'/);
  });

  it('is deterministic', () => {
    const tools = [tool(object({ a: { $ref: '#/$defs/A' } }), { outputSchema: { $ref: '#/$defs/A', $defs: { A: object({ b: { type: 'string' } }) } } })];
    ((tools[0] as JsonSchemaToolDefinition).inputSchema as JsonSchemaObject).$defs = { A: object({ b: { type: 'string' } }) };
    for (const language of ['typescript', 'python'] as const) expect(declarations(tools, language)).toBe(declarations(tools, language));
  });
});

describe('a realistic toolset (snapshots)', () => {
  const getExpenses = defineTool({
    name: 'get_expenses',
    description: 'Expense line items of one employee for a quarter.',
    input: z.object({ employeeId: z.string(), quarter: z.enum(['Q1', 'Q2', 'Q3', 'Q4']) }),
    output: z.array(z.object({ amount: z.number(), category: z.string() })),
    execute: () => [],
  });
  const getTeamMembers = defineTool({
    name: 'get_team_members',
    description: 'Members of a team, with their travel budget.',
    input: z.object({ teamId: z.string().describe('Team identifier, e.g. "eng".').optional() }),
    output: z.array(
      z.object({
        id: z.string(),
        name: z.string().describe('Full name.'),
        budget: z.number().describe('Quarterly travel budget in USD.'),
        manager: z.string().nullable(),
      }),
    ),
    execute: () => [],
  });
  const listIssues = defineTool({
    name: 'github.list-issues',
    description: 'Open issues of a repository, newest first.',
    input: z.object({
      repo: z.string().describe('owner/name'),
      labels: z.array(z.string()).default([]),
      since: z.iso.datetime().optional().describe('Only issues updated after this time.'),
      state: z.enum(['open', 'closed', 'all']).default('open'),
    }),
    output: z.object({ issues: z.array(z.object({ number: z.int(), title: z.string(), labels: z.array(z.string()) })), nextCursor: z.string().nullable() }),
    execute: () => ({ issues: [], nextCursor: null }),
  });
  const toolset = createToolset([getExpenses, getTeamMembers, listIssues]);

  it('in TypeScript', () => {
    const text = generateDeclarations(toolset, { language: 'typescript' });
    generated.push({ language: 'typescript', text, functions: toolset.entries.map((entry) => entry.identifier) });
    expect(text).toMatchSnapshot();
  });

  it('in Python', () => {
    const text = generateDeclarations(toolset, { language: 'python' });
    generated.push({ language: 'python', text, functions: toolset.entries.map((entry) => entry.identifier) });
    expect(text).toMatchSnapshot();
  });
});

// Runs last (tests of a file run in order): every text above must parse and check.
describe('every generated text', { timeout: 60_000 }, () => {
  it('parses and type-checks in TypeScript, and parses and executes in Python, declaring exactly its tools', () => {
    const typescript = generated.filter((entry) => entry.language === 'typescript');
    const python = generated.filter((entry) => entry.language === 'python');
    expect(typescript.length).toBeGreaterThan(15);
    expect(python.length).toBe(typescript.length);
    checkTypescript(typescript.map((entry) => entry.text)).forEach((check, index) => {
      const entry = typescript[index];
      expect(check.syntaxErrors, entry?.text).toEqual([]);
      expect(check.semanticErrors, entry?.text).toEqual([]);
      expect(check.functions, entry?.text).toEqual(entry?.functions);
    });
    checkPython(python.map((entry) => entry.text)).forEach((check, index) => {
      const entry = python[index];
      expect(check.syntaxError, entry?.text).toBeNull();
      expect(check.runtimeError, entry?.text).toBeNull();
      expect(check.functions, entry?.text).toEqual(entry?.functions);
    });
  });
});
