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
// Identifier characters of both languages: Python's XID_Start/XID_Continue (a subset of what
// JavaScript allows, and closed under NFKC), so `météo` and `天气查询` stay as they are.
// Default-ignorable characters (ZWJ, ZWNJ, Hangul fillers) are left out: valid, but invisible.
const identifierPattern = /^(?!\p{Default_Ignorable_Code_Point})[\p{XID_Start}_](?:(?!\p{Default_Ignorable_Code_Point})\p{XID_Continue})*$/u;
const continueCharacter = /^(?!\p{Default_Ignorable_Code_Point})\p{XID_Continue}$/u;

/**
 * Whether `name` can be used as-is as a tool's function name in guest code: an identifier in both
 * JavaScript and Python (Unicode letters included) that Python's NFKC normalization leaves
 * unchanged, is no keyword and shadows no global the guest relies on.
 */
export function isSafeIdentifier(name: string): boolean {
  return identifierPattern.test(name) && name.normalize('NFKC') === name && !reserved.has(name) && !name.startsWith('__');
}

function baseIdentifier(name: string): string {
  // Python reads identifiers NFKC-normalized (`ﬁle` is `file`): normalize first so that the name
  // the declarations show is the name both languages bind.
  let identifier = '';
  for (const character of name.normalize('NFKC')) {
    identifier += continueCharacter.test(character) ? character : '_';
  }
  if (!/^[\p{XID_Start}_]/u.test(identifier)) identifier = `_${identifier}`;
  if (identifier.startsWith('__')) identifier = `t${identifier}`;
  return reserved.has(identifier) ? `${identifier}_` : identifier;
}

/**
 * Maps tool names to the identifiers guest code calls them by. Deterministic and collision-free:
 * names that are already safe identifiers keep them; others are NFKC-normalized, every character
 * that cannot continue an identifier becomes `_`, a reserved word gets a trailing `_`, and a clash
 * with an earlier identifier appends `_2`, `_3`…. Letters of any script stay. So
 * `github.list-issues` → `github_list_issues`, `météo.prévision` → `météo_prévision`,
 * `天气查询` → `天气查询`, `ﬁle_read` → `file_read`, `print` → `print_`.
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
