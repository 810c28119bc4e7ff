import { SandboxConfigurationError } from '../errors.js';
import type { SandboxValidationPolicyV1 } from '../spec/sandbox-validation-policy-v1.js';

/**
 * A custom code-validation policy for `runCode({ validation })`. Every list is optional and falls
 * back to the one in `defaultValidationPolicy`; a list you pass replaces the default list (spread
 * the default to extend it). See `SandboxValidationPolicyV1` for what each list means.
 *
 * @example
 * ```ts
 * const validation: ValidationPolicy = {
 *   python: { allowedModules: [...defaultValidationPolicy.python.allowedModules, 'numpy'] },
 * };
 * ```
 */
export interface ValidationPolicy {
  /** Rules for Python; missing lists keep their defaults. */
  readonly python?: { readonly [K in keyof SandboxValidationPolicyV1['python']]?: readonly string[] | undefined } | undefined;
  /** Rules for JavaScript and TypeScript; missing lists keep their defaults. */
  readonly javascript?: { readonly [K in keyof SandboxValidationPolicyV1['javascript']]?: readonly string[] | undefined } | undefined;
}

/**
 * The policy every run uses unless `runCode` gets `validation: false` or a custom policy.
 *
 * Python: an allow-list of pure standard-library modules (no `os`, `sys`, `subprocess`, `socket`,
 * `importlib`, `builtins`, `io`, `pathlib`, `inspect`, `types`, `ctypes`…); no `eval`, `exec`,
 * `compile`, `open`, `__import__`, `globals`, `locals`, `vars`, `breakpoint`, `input`; no dunder
 * attributes but `__name__`, `__qualname__`, `__doc__` and `__init__`; no frame, generator and
 * traceback internals (`f_globals`, `gi_frame`, `tb_frame`…); no attributes named after a module
 * that is not allowed (`typing.sys`, `random.os`…); no asyncio process and socket APIs.
 *
 * JavaScript/TypeScript: no `require`, `process`, `module`, `eval`, `Function`, `Reflect`,
 * `import()`, `import.meta`, `with`; no `constructor`, `__proto__`, `caller`, `callee`,
 * `getPrototypeOf`-style properties; no writes to `globalThis`, `global`, `self`, `window`.
 */
export const defaultValidationPolicy: SandboxValidationPolicyV1 = deepFreeze({
  python: {
    allowedModules: [
      'json', 'math', 'cmath', 're', 'datetime', 'time', 'calendar', 'zoneinfo', 'collections', 'itertools', 'functools',
      'statistics', 'asyncio', 'typing', 'dataclasses', 'decimal', 'fractions', 'numbers', 'random', 'string', 'textwrap',
      'operator', 'copy', 'enum', 'heapq', 'bisect', 'uuid', 'hashlib', 'hmac', 'base64', 'binascii', 'pprint', 'difflib',
      'unicodedata', 'contextlib', 'abc', 'array', 'csv', 'html', 'secrets', 'urllib.parse', 'ipaddress', 'graphlib',
    ],
    forbiddenNames: [
      'eval', 'exec', 'compile', 'open', '__import__', 'globals', 'locals', 'vars', 'breakpoint', 'input', 'help', 'exit',
      'quit', 'memoryview', '__builtins__', '__loader__', '__spec__', '__file__', '__cached__', '__class__',
    ],
    forbiddenAttributes: [
      // Frames, generators, coroutines, tracebacks and code objects lead to other scopes' globals.
      'f_globals', 'f_locals', 'f_builtins', 'f_back', 'f_code', 'gi_frame', 'gi_code', 'gi_yieldfrom', 'cr_frame',
      'cr_code', 'cr_await', 'ag_frame', 'ag_code', 'ag_await', 'tb_frame', 'tb_next', 'co_code', 'co_consts', 'mro',
      // Allowed modules import these; reaching them through an attribute (`typing.sys`) is an import.
      'os', 'sys', 'subprocess', 'posix', 'nt', 'builtins', 'importlib', 'inspect', 'types', 'io', 'socket', 'shutil',
      'pathlib', 'ctypes', 'threading', 'multiprocessing', 'signal', 'gc', 'marshal', 'pickle', 'modules', 'system',
      'popen', 'spawn', 'fork', 'execv', 'execve',
      // asyncio's process, socket and file-descriptor APIs.
      'create_subprocess_exec', 'create_subprocess_shell', 'subprocess_exec', 'subprocess_shell', 'open_connection',
      'open_unix_connection', 'start_server', 'start_unix_server', 'create_connection', 'create_unix_connection',
      'create_server', 'create_unix_server', 'create_datagram_endpoint', 'connect_read_pipe', 'connect_write_pipe',
      'add_reader', 'add_writer', 'sock_connect', 'sock_sendall', 'sock_recv', 'sendfile', 'to_thread', 'run_in_executor',
      'set_event_loop', 'new_event_loop', 'set_event_loop_policy',
    ],
    allowedDunderAttributes: ['__name__', '__qualname__', '__doc__', '__init__'],
  },
  javascript: {
    forbiddenNames: [
      'require', 'process', 'module', 'exports', '__dirname', '__filename', 'eval', 'Function', 'AsyncFunction',
      'GeneratorFunction', 'Reflect', 'Deno', 'Bun', 'importScripts', 'WebAssembly',
    ],
    forbiddenProperties: [
      'constructor', '__proto__', 'caller', 'callee', '__defineGetter__', '__defineSetter__', '__lookupGetter__',
      '__lookupSetter__', 'getPrototypeOf', 'setPrototypeOf', 'getOwnPropertyDescriptor', 'getOwnPropertyDescriptors',
      'mainModule', 'binding', 'dlopen',
    ],
    protectedGlobals: ['globalThis', 'global', 'self', 'window'],
  },
});

function deepFreeze<T extends object>(value: T): T {
  for (const item of Object.values(value)) if (typeof item === 'object' && item !== null) deepFreeze(item as object);
  return Object.freeze(value);
}

/**
 * Applies defaults to a custom policy: `undefined` or `true` gives `defaultValidationPolicy`,
 * `false` turns validation off (`undefined` result). Throws `SandboxConfigurationError` when a list
 * is not an array of strings.
 */
export function resolveValidationPolicy(policy: ValidationPolicy | boolean | undefined): SandboxValidationPolicyV1 | undefined {
  if (policy === false) return undefined;
  if (policy === undefined || policy === true) return defaultValidationPolicy;
  if (typeof policy !== 'object' || policy === null) {
    throw new SandboxConfigurationError('runCode: options.validation must be false, true or a ValidationPolicy object.');
  }
  const section = <K extends 'python' | 'javascript'>(language: K): SandboxValidationPolicyV1[K] => {
    const given = (policy[language] ?? {}) as Record<string, unknown>;
    const defaults = defaultValidationPolicy[language] as Record<string, readonly string[]>;
    const resolved: Record<string, readonly string[]> = {};
    for (const key of Object.keys(given)) {
      if (!(key in defaults)) {
        throw new SandboxConfigurationError(`Unknown validation list "validation.${language}.${key}"; known lists: ${Object.keys(defaults).join(', ')}.`);
      }
    }
    for (const [key, fallback] of Object.entries(defaults)) {
      const value = given[key];
      if (value === undefined) {
        resolved[key] = fallback;
        continue;
      }
      if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
        throw new SandboxConfigurationError(`validation.${language}.${key} must be an array of strings.`);
      }
      resolved[key] = Object.freeze([...(value)]);
    }
    return Object.freeze(resolved) as unknown as SandboxValidationPolicyV1[K];
  };
  return Object.freeze({ python: section('python'), javascript: section('javascript') });
}
