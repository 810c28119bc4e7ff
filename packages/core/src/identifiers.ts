// Names guest code must not get as tool identifiers: keywords of either language, and globals the
// runners or typical guest code rely on (shadowing `print` or `JSON` would break the program).
const javascriptReserved = [
  'arguments', 'await', 'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do',
  'else', 'enum', 'eval', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'implements', 'import', 'in',
  'instanceof', 'interface', 'let', 'new', 'null', 'package', 'private', 'protected', 'public', 'return', 'static',
  'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield', 'async', 'of',
  'undefined', 'NaN', 'Infinity', 'globalThis', 'console', 'JSON', 'Promise', 'Object', 'Array', 'String', 'Number',
  'Boolean', 'Symbol', 'BigInt', 'Math', 'Date', 'RegExp', 'Error', 'TypeError', 'RangeError', 'SyntaxError',
  'ReferenceError', 'Map', 'Set', 'WeakMap', 'WeakSet', 'Reflect', 'Proxy', 'Intl', 'setTimeout', 'clearTimeout',
  'setInterval', 'clearInterval', 'queueMicrotask', 'structuredClone', 'ToolError', 'parseInt', 'parseFloat',
  'isNaN', 'isFinite', 'encodeURIComponent', 'decodeURIComponent', 'type', 'declare', 'namespace', 'module',
];
const pythonReserved = [
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif',
  'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or',
  'pass', 'raise', 'return', 'try', 'while', 'with', 'yield', 'match', 'case', 'type', '_',
  'print', 'len', 'dict', 'list', 'str', 'int', 'float', 'bool', 'bytes', 'range', 'id', 'input', 'open', 'sum', 'min',
  'max', 'abs', 'any', 'all', 'map', 'filter', 'sorted', 'reversed', 'set', 'frozenset', 'tuple', 'zip', 'enumerate',
  'isinstance', 'issubclass', 'getattr', 'setattr', 'hasattr', 'repr', 'round', 'format', 'hash', 'iter', 'next',
  'object', 'super', 'vars', 'locals', 'globals', 'exec', 'compile', 'divmod', 'pow', 'chr', 'ord', 'callable',
  'Exception', 'BaseException', 'ValueError', 'KeyError', 'IndexError', 'RuntimeError', 'StopIteration',
  'json', 'asyncio', 'math', 're', 'sys', 'os', 'time', 'datetime', 'typing', 'collections', 'itertools', 'functools',
  'random', 'statistics', 'TypedDict', 'Literal', 'Any', 'Optional', 'Union', 'NotRequired', 'Required',
];

const reserved: ReadonlySet<string> = new Set([...javascriptReserved, ...pythonReserved]);
const identifierPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Whether `name` can be used as-is as a tool's function name in guest code: an ASCII identifier
 * in both JavaScript and Python that is no keyword and shadows no global the guest relies on.
 */
export function isSafeIdentifier(name: string): boolean {
  return identifierPattern.test(name) && !reserved.has(name) && !name.startsWith('__');
}

function baseIdentifier(name: string): string {
  let identifier = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(identifier)) identifier = `_${identifier}`;
  if (identifier.startsWith('__')) identifier = `t${identifier}`;
  return reserved.has(identifier) ? `${identifier}_` : identifier;
}

/**
 * Maps tool names to the identifiers guest code calls them by. Deterministic and collision-free:
 * names that are already safe identifiers keep them; every other character becomes `_`, a
 * reserved word gets a trailing `_`, and a clash with an earlier identifier appends `_2`, `_3`….
 * So `github.list-issues` → `github_list_issues`, `requests.get` → `requests_get`,
 * `print` → `print_`.
 */
export function assignIdentifiers(names: readonly string[]): Map<string, string> {
  const result = new Map<string, string>();
  const taken = new Set<string>();
  for (const name of names) {
    if (isSafeIdentifier(name)) {
      result.set(name, name);
      taken.add(name);
    }
  }
  for (const name of names) {
    if (result.has(name)) continue;
    const base = baseIdentifier(name);
    let identifier = base;
    for (let suffix = 2; taken.has(identifier); suffix++) identifier = `${base}_${suffix}`;
    result.set(name, identifier);
    taken.add(identifier);
  }
  return result;
}
