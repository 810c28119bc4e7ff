// Names of generated types: valid ASCII identifiers, unique within one declarations text, and
// never a keyword, a built-in type or global of the language, or a tool's identifier.

const typescriptReserved = [
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum', 'export',
  'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null', 'return', 'super',
  'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'as', 'implements', 'interface',
  'let', 'package', 'private', 'protected', 'public', 'static', 'yield', 'any', 'boolean', 'constructor', 'declare',
  'get', 'module', 'require', 'number', 'set', 'string', 'symbol', 'type', 'from', 'of', 'async', 'await', 'namespace',
  'never', 'unknown', 'object', 'bigint', 'undefined', 'keyof', 'infer', 'is', 'asserts', 'readonly', 'unique', 'global',
  'satisfies', 'accessor', 'out', 'override', 'using', 'arguments', 'eval',
  'Array', 'ReadonlyArray', 'Promise', 'PromiseLike', 'Awaited', 'Record', 'Partial', 'Required', 'Readonly', 'Pick',
  'Omit', 'Exclude', 'Extract', 'NonNullable', 'Parameters', 'ReturnType', 'InstanceType', 'ThisType', 'Uppercase',
  'Lowercase', 'Capitalize', 'Uncapitalize', 'NoInfer', 'Object', 'String', 'Number', 'Boolean', 'Symbol', 'BigInt',
  'Function', 'Date', 'RegExp', 'Error', 'TypeError', 'RangeError', 'SyntaxError', 'Map', 'Set', 'WeakMap', 'WeakSet',
  'JSON', 'Math', 'Intl', 'Iterable', 'Iterator', 'ArrayLike', 'PropertyKey', 'ToolError', 'console', 'globalThis',
];

const pythonReserved = [
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif',
  'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or',
  'pass', 'raise', 'return', 'try', 'while', 'with', 'yield', 'match', 'case', 'type', '_',
  'str', 'int', 'float', 'bool', 'bytes', 'dict', 'list', 'tuple', 'set', 'frozenset', 'object', 'print', 'len', 'range',
  'input', 'id', 'any', 'all', 'map', 'filter', 'Exception', 'BaseException', 'ValueError', 'KeyError', 'TypeError',
  'ToolError', 'typing', 'json', 'asyncio',
  'Any', 'Literal', 'NotRequired', 'Required', 'TypedDict', 'Never', 'NoReturn', 'Optional', 'Union',
];

const identifierPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Hands out unique type names. */
export class TypeNameRegistry {
  private readonly taken: Set<string>;

  constructor(language: 'typescript' | 'python', toolIdentifiers: Iterable<string>) {
    this.taken = new Set([...(language === 'typescript' ? typescriptReserved : pythonReserved), ...toolIdentifiers]);
  }

  /** Claims `base` (made a valid identifier first), or `base_2`, `base_3`… when it is taken. */
  claim(base: string): string {
    let name = identifierPattern.test(base) && !base.startsWith('__') ? base : pascalCase(base);
    if (name === '') name = 'Type';
    if (/^[0-9]/.test(name)) name = `T${name}`;
    let candidate = name;
    for (let suffix = 2; this.taken.has(candidate); suffix++) candidate = `${name}_${suffix}`;
    this.taken.add(candidate);
    return candidate;
  }
}

/** `get_expenses` → `GetExpenses`, `a-b c` → `ABC`; non-ASCII letters are dropped. */
export function pascalCase(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/** A type name from path parts (`['GetExpenses', 'Input', 'filter']` → `GetExpensesInputFilter`). */
export function nameFromHint(parts: readonly string[]): string {
  return parts.map(pascalCase).join('');
}
