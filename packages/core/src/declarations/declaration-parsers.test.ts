// Real-parser checks for generated declarations, shared by the declaration tests: the TypeScript
// compiler API (syntax, and a full type check against the ES2023 lib) and CPython's `ast.parse`
// plus executing the module (so every type name must resolve). The file is a `.test.ts` so that
// it stays out of the published build; its own tests run only when it is the file under test.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/** What the TypeScript compiler saw in one declarations text. */
export interface TypescriptCheck {
  /** Parse errors (`parseDiagnostics`), as `line: message`. */
  readonly syntaxErrors: readonly string[];
  /** Type errors of a strict program over the text (empty when `semantic` was off). */
  readonly semanticErrors: readonly string[];
  /** Names of `declare function` statements, in order. */
  readonly functions: readonly string[];
  /** Names of `type` aliases, in order. */
  readonly typeAliases: readonly string[];
  /** Kinds of any other top-level statement (there should be none). */
  readonly otherStatements: readonly string[];
  /** Names of every JSDoc tag anywhere in the text. */
  readonly jsDocTags: readonly string[];
  /**
   * Per function, the properties of its input type as the type checker sees them, each with its
   * literal values when its type is a union of string/number literals (else `null`).
   */
  readonly inputProperties: Readonly<Record<string, Readonly<Record<string, readonly unknown[] | null>>>>;
}

const compilerOptions: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2023,
  lib: ['lib.es2023.d.ts'],
  types: [],
  skipLibCheck: true,
};

function diagnosticText(diagnostic: ts.Diagnostic): string {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  if (diagnostic.file === undefined || diagnostic.start === undefined) return message;
  const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  return `${diagnostic.file.fileName}:${line + 1}: ${message}`;
}

/**
 * Parses each text as a TypeScript module (an `export {}` is appended so that texts do not see
 * each other's globals) and, with `semantic`, type-checks all of them in one program.
 */
export function checkTypescript(texts: readonly string[], { semantic = true }: { semantic?: boolean } = {}): TypescriptCheck[] {
  const files = new Map<string, ts.SourceFile>();
  texts.forEach((text, index) => {
    const fileName = `/declarations/batch-${index}.ts`;
    files.set(fileName, ts.createSourceFile(fileName, `${text}\nexport {};\n`, ts.ScriptTarget.ES2023, true, ts.ScriptKind.TS));
  });
  const semanticErrors = new Map<string, string[]>();
  let checker: ts.TypeChecker | undefined;
  if (semantic) {
    const host = ts.createCompilerHost(compilerOptions, true);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) =>
      files.get(fileName) ?? getSourceFile(fileName, languageVersion, onError, shouldCreate);
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (fileName) => files.has(fileName) || fileExists(fileName);
    const program = ts.createProgram([...files.keys()], compilerOptions, host);
    for (const diagnostic of [...program.getGlobalDiagnostics(), ...program.getSemanticDiagnostics()]) {
      const key = diagnostic.file?.fileName ?? '';
      semanticErrors.set(key, [...(semanticErrors.get(key) ?? []), diagnosticText(diagnostic)]);
    }
    checker = program.getTypeChecker();
    const global = semanticErrors.get('');
    if (global !== undefined) throw new Error(`TypeScript program errors: ${global.join('; ')}`);
  }
  return [...files.values()].map((file) => {
    const parseDiagnostics = (file as unknown as { parseDiagnostics: readonly ts.Diagnostic[] }).parseDiagnostics;
    const functions: string[] = [];
    const typeAliases: string[] = [];
    const otherStatements: string[] = [];
    for (const statement of file.statements) {
      if (ts.isFunctionDeclaration(statement)) functions.push(statement.name?.text ?? '<anonymous>');
      else if (ts.isTypeAliasDeclaration(statement)) typeAliases.push(statement.name.text);
      else if (!ts.isExportDeclaration(statement)) otherStatements.push(ts.SyntaxKind[statement.kind]);
    }
    const tags = new Set<ts.JSDocTag>();
    const visit = (node: ts.Node): void => {
      for (const tag of ts.getJSDocTags(node)) tags.add(tag);
      ts.forEachChild(node, visit);
    };
    visit(file);
    const jsDocTags = [...tags].map((tag) => tag.tagName.text);
    const inputProperties: Record<string, Record<string, unknown[] | null>> = {};
    for (const statement of file.statements) {
      if (!ts.isFunctionDeclaration(statement) || checker === undefined || statement.name === undefined) continue;
      const parameter = statement.parameters[0];
      if (parameter === undefined) continue;
      const inputType = checker.getNonNullableType(checker.getTypeAtLocation(parameter));
      // Entries, not assignments: a key may be `__proto__`.
      const properties = checker.getPropertiesOfType(inputType).map((property) => {
        const propertyType = checker.getNonNullableType(checker.getTypeOfSymbol(property));
        const members = propertyType.isUnion() ? propertyType.types : [propertyType];
        return [property.getName(), members.every((member) => member.isLiteral()) ? members.map((member) => (member.isLiteral() ? member.value : undefined)) : null] as const;
      });
      inputProperties[statement.name.text] = Object.fromEntries(properties);
    }
    return {
      syntaxErrors: parseDiagnostics.map(diagnosticText),
      semanticErrors: semanticErrors.get(file.fileName) ?? [],
      functions,
      typeAliases,
      otherStatements,
      jsDocTags,
      inputProperties,
    };
  });
}

/** What CPython saw in one declarations text. */
export interface PythonCheck {
  /** The `SyntaxError` of `ast.parse`, if any. */
  readonly syntaxError: string | null;
  /** The exception raised by executing the module (e.g. a `NameError`), if any. */
  readonly runtimeError: string | null;
  /** Names of `def` / `async def` statements anywhere, in order. */
  readonly functions: readonly string[];
  /** Docstring of each function, decoded, with the 4-space continuation indent removed. */
  readonly docstrings: Readonly<Record<string, string | null>>;
  /** Names of classes and assignment targets (the generated types). */
  readonly types: readonly string[];
  /** Kinds of top-level statements other than imports, classes, assignments and function defs. */
  readonly otherStatements: readonly string[];
  /**
   * Per function, the keys of its input as Python sees them (the keys of its `input` TypedDict, or
   * its parameters), each with its `Literal` values when it is one (else `null`; an optional
   * parameter's added `| None` is looked through); missing when the input is neither.
   */
  readonly inputKeys: Readonly<Record<string, Readonly<Record<string, readonly unknown[] | null>>>>;
  /** Per function, its input's required keys. */
  readonly requiredKeys: Readonly<Record<string, readonly string[]>>;
}

const pythonScript = String.raw`
import ast, inspect, json, sys, types, typing
def literal_values(annotation):
    origin = typing.get_origin(annotation)
    if origin in (typing.NotRequired, typing.Required):
        return literal_values(typing.get_args(annotation)[0])
    if origin is typing.Literal:
        return [value for value in typing.get_args(annotation)]
    return None
texts = json.loads(sys.stdin.read())
results = []
for text in texts:
    result = {"syntaxError": None, "runtimeError": None, "functions": [], "docstrings": {}, "types": [], "otherStatements": [], "inputKeys": {}, "requiredKeys": {}}
    results.append(result)
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError) as error:
        result["syntaxError"] = f"{type(error).__name__}: {error}"
        continue
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            result["functions"].append(node.name)
            doc = ast.get_docstring(node, clean=False)
            result["docstrings"][node.name] = None if doc is None else doc.replace("\n    ", "\n")
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            result["types"].append(node.name)
        elif isinstance(node, ast.Assign):
            result["types"].extend(target.id for target in node.targets if isinstance(target, ast.Name))
        elif not isinstance(node, (ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef)):
            result["otherStatements"].append(type(node).__name__)
    namespace = {"__name__": "declarations"}
    try:
        exec(compile(tree, "<declarations>", "exec"), namespace)
    except Exception as error:
        result["runtimeError"] = f"{type(error).__name__}: {error}"
        continue
    for name in result["functions"]:
        function = namespace.get(name)
        signature = inspect.signature(function)
        # The one-dict form is exactly one positional-only parameter called input.
        one_dict = [p.kind for p in signature.parameters.values()] == [inspect.Parameter.POSITIONAL_ONLY]
        annotation = getattr(function, "__annotations__", {}).get("input") if one_dict else None
        if hasattr(annotation, "__required_keys__"):
            result["inputKeys"][name] = {key: literal_values(value) for key, value in annotation.__annotations__.items()}
            result["requiredKeys"][name] = sorted(annotation.__required_keys__)
        elif not one_dict:
            parameters = signature.parameters.values()
            keys = {}
            for parameter in parameters:
                value = parameter.annotation
                if parameter.default is None and typing.get_origin(value) in (typing.Union, types.UnionType):
                    rest = [arg for arg in typing.get_args(value) if arg is not type(None)]
                    value = rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]
                keys[parameter.name] = literal_values(value)
            result["inputKeys"][name] = keys
            result["requiredKeys"][name] = sorted(p.name for p in parameters if p.default is inspect.Parameter.empty)
json.dump(results, sys.stdout)
`;

/** Parses (and executes) each text with python3, in one process. */
export function checkPython(texts: readonly string[]): PythonCheck[] {
  const run = spawnSync('python3', ['-c', pythonScript], {
    input: JSON.stringify(texts),
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
    timeout: 120_000,
  });
  if (run.error !== undefined) throw new Error(`python3 could not run: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`python3 exited with ${String(run.status)}: ${run.stderr}`);
  return JSON.parse(run.stdout) as PythonCheck[];
}

if (expect.getState().testPath === fileURLToPath(import.meta.url)) {
  describe('checkTypescript', { timeout: 60_000 }, () => {
    it('lists declarations and tags, and reports syntax and type errors', () => {
      const [valid, injected, broken, illTyped] = checkTypescript([
        '/** @returns x */\ndeclare function a(input: { b: string }): Promise<unknown>;\ntype T = { c: T[] };',
        '/** a */ declare function a(): void;\n/** b */ declare function evil(): void;',
        'declare function a(input: { b: string ): Promise<unknown>;',
        'type A = A;\ndeclare function f(input: { [key: string]: number; b: string }): Promise<Missing>;',
      ]);
      expect(valid).toEqual({
        syntaxErrors: [],
        semanticErrors: [],
        functions: ['a'],
        typeAliases: ['T'],
        otherStatements: [],
        jsDocTags: ['returns'],
        inputProperties: { a: { b: null } },
      });
      expect(injected?.functions).toEqual(['a', 'evil']);
      expect(broken?.syntaxErrors.length).toBeGreaterThan(0);
      expect(illTyped?.syntaxErrors).toEqual([]);
      expect(illTyped?.semanticErrors.length).toBe(3);
    });
  });

  describe('checkPython', { timeout: 60_000 }, () => {
    it('lists async defs with decoded docstrings, and reports syntax and name errors', () => {
      const [valid, broken, unresolved] = checkPython([
        'from typing import Literal, NotRequired, TypedDict\nclass X(TypedDict):\n    a: int\n    b: NotRequired[Literal["x", 1]]\nasync def f(input: X, /) -> list[X]:\n    """one\n    two \\"\\"\\" \\\\ end"""',
        'async def f(input: X, /) -> Any:\n    """a""" """\n',
        'async def f(input: Missing, /) -> None: ...',
      ]);
      expect(valid).toEqual({
        syntaxError: null,
        runtimeError: null,
        functions: ['f'],
        docstrings: { f: 'one\ntwo """ \\ end' },
        types: ['X'],
        otherStatements: [],
        inputKeys: { f: { a: null, b: ['x', 1] } },
        requiredKeys: { f: ['a'] },
      });
      expect(broken?.syntaxError).toMatch(/SyntaxError/);
      expect(unresolved?.runtimeError).toMatch(/NameError: name 'Missing'/);
    });
  });
}
