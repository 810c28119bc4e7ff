import nodeModule from 'node:module';
import { parse } from 'acorn';
import type { RunError } from '../run-error.js';
import type { SandboxValidationPolicyV1 } from '../spec/sandbox-validation-policy-v1.js';
import { validationError } from './validation-error.js';
import type { CodeValidationResult } from './validation-error.js';

type JavaScriptRules = SandboxValidationPolicyV1['javascript'];

/** An ESTree node as acorn produces it, read generically. */
interface AnyNode {
  readonly type: string;
  readonly loc?: { readonly start: { readonly line: number } } | null;
  readonly [key: string]: unknown;
}

interface Scope {
  readonly names: Set<string>;
  readonly parent: Scope | undefined;
  readonly isFunction: boolean;
}

type StripTypeScriptTypes = (code: string, options: { mode: 'strip' }) => string;

// Type stripping needs a function around the code: the TypeScript parser refuses a top-level return.
const typeScriptPrefix = 'async function __codecall_validation__() {\n';
const typeScriptSuffix = '\n}';

function isNode(value: unknown): value is AnyNode {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

function children(node: AnyNode): { key: string; child: AnyNode }[] {
  const result: { key: string; child: AnyNode }[] = [];
  for (const key of Object.keys(node)) {
    if (key === 'loc' || key === 'type') continue;
    const value = node[key];
    if (isNode(value)) result.push({ key, child: value });
    else if (Array.isArray(value)) for (const item of value) if (isNode(item)) result.push({ key, child: item });
  }
  return result;
}

function lineOf(node: AnyNode): number {
  return node.loc?.start.line ?? 1;
}

/** The property name a member expression or pattern key names statically, if any. */
function staticName(node: AnyNode, computed: boolean): string | undefined {
  if (!computed && node.type === 'Identifier') return node['name'] as string;
  if (!computed && node.type === 'PrivateIdentifier') return undefined;
  if (node.type === 'Literal' && (typeof node['value'] === 'string' || typeof node['value'] === 'number')) return String(node['value']);
  if (node.type === 'TemplateLiteral' && (node['expressions'] as unknown[]).length === 0) {
    const quasi = (node['quasis'] as AnyNode[])[0];
    const cooked = (quasi?.['value'] as { cooked?: string } | undefined)?.cooked;
    return typeof cooked === 'string' ? cooked : undefined;
  }
  return undefined;
}

/** Names bound by a pattern (`a`, `{ a, b: [c] }`, `...rest`, `a = 1`). */
function bindingNames(pattern: AnyNode | null | undefined, into: Set<string>): void {
  if (pattern === null || pattern === undefined) return;
  switch (pattern.type) {
    case 'Identifier':
      into.add(pattern['name'] as string);
      return;
    case 'ObjectPattern':
      for (const property of pattern['properties'] as AnyNode[]) {
        bindingNames(property.type === 'RestElement' ? (property['argument'] as AnyNode) : (property['value'] as AnyNode), into);
      }
      return;
    case 'ArrayPattern':
      for (const element of pattern['elements'] as (AnyNode | null)[]) bindingNames(element, into);
      return;
    case 'RestElement':
      bindingNames(pattern['argument'] as AnyNode, into);
      return;
    case 'AssignmentPattern':
      bindingNames(pattern['left'] as AnyNode, into);
      return;
    default:
  }
}

/** Builds the scopes of the program: which names the guest declares where (hoisting included). */
function collectScopes(program: AnyNode): Map<AnyNode, Scope> {
  const scopes = new Map<AnyNode, Scope>();
  const root: Scope = { names: new Set(), parent: undefined, isFunction: true };
  scopes.set(program, root);
  const functionScope = (scope: Scope): Scope => {
    let current = scope;
    while (!current.isFunction && current.parent !== undefined) current = current.parent;
    return current;
  };
  const visit = (node: AnyNode, scope: Scope, parent: AnyNode | undefined): void => {
    let inner = scope;
    switch (node.type) {
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression': {
        const id = node['id'] as AnyNode | null;
        if (node.type === 'FunctionDeclaration' && id !== null) scope.names.add(id['name'] as string);
        inner = { names: new Set(), parent: scope, isFunction: true };
        if (node.type === 'FunctionExpression' && id !== null) inner.names.add(id['name'] as string);
        for (const parameter of node['params'] as AnyNode[]) bindingNames(parameter, inner.names);
        scopes.set(node, inner);
        break;
      }
      case 'ClassDeclaration':
      case 'ClassExpression': {
        const id = node['id'] as AnyNode | null;
        if (node.type === 'ClassDeclaration' && id !== null) scope.names.add(id['name'] as string);
        inner = { names: new Set(), parent: scope, isFunction: false };
        if (node.type === 'ClassExpression' && id !== null) inner.names.add(id['name'] as string);
        scopes.set(node, inner);
        break;
      }
      case 'VariableDeclaration': {
        const target = node['kind'] === 'var' ? functionScope(scope) : scope;
        for (const declarator of node['declarations'] as AnyNode[]) bindingNames(declarator['id'] as AnyNode, target.names);
        break;
      }
      case 'CatchClause':
        inner = { names: new Set(), parent: scope, isFunction: false };
        bindingNames(node['param'] as AnyNode | null, inner.names);
        scopes.set(node, inner);
        break;
      case 'BlockStatement':
        // A function's body shares the function's scope (its parameters are visible there).
        if (parent !== undefined && /Function/.test(parent.type)) break;
        inner = { names: new Set(), parent: scope, isFunction: false };
        scopes.set(node, inner);
        break;
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement':
      case 'SwitchStatement':
      case 'StaticBlock':
        inner = { names: new Set(), parent: scope, isFunction: false };
        scopes.set(node, inner);
        break;
      default:
    }
    for (const { child } of children(node)) visit(child, inner, node);
  };
  visit(program, root, undefined);
  return scopes;
}

function declared(name: string, scope: Scope | undefined): boolean {
  for (let current = scope; current !== undefined; current = current.parent) if (current.names.has(name)) return true;
  return false;
}

function check(program: AnyNode, rules: JavaScriptRules): RunError | undefined {
  const scopes = collectScopes(program);
  const forbiddenNames = new Set(rules.forbiddenNames);
  const forbiddenProperties = new Set(rules.forbiddenProperties);
  const protectedGlobals = new Set(rules.protectedGlobals);

  const isProtectedGlobal = (node: AnyNode, scope: Scope): boolean =>
    node.type === 'Identifier' && protectedGlobals.has(node['name'] as string) && !declared(node['name'] as string, scope);
  const globalTarget = (target: AnyNode, scope: Scope): string | undefined => {
    if (target.type !== 'MemberExpression') return undefined;
    const object = target['object'] as AnyNode;
    if (!isProtectedGlobal(object, scope)) return undefined;
    const property = staticName(target['property'] as AnyNode, target['computed'] === true);
    return `${object['name'] as string}.${property ?? '[…]'}`;
  };

  // Iterative walk (a deeply nested program must not overflow the host's stack).
  const stack: { node: AnyNode; scope: Scope; parent: AnyNode | undefined; key: string }[] = [
    { node: program, scope: scopes.get(program) as Scope, parent: undefined, key: '' },
  ];
  let steps = 0;
  while (stack.length > 0) {
    if (++steps > 5_000_000) return undefined;
    const { node, scope: outer, parent, key } = stack.pop() as (typeof stack)[number];
    const scope = scopes.get(node) ?? outer;
    const line = lineOf(node);
    switch (node.type) {
      case 'Identifier': {
        const name = node['name'] as string;
        const isPropertyKey =
          (parent?.type === 'MemberExpression' && key === 'property' && parent['computed'] !== true) ||
          ((parent?.type === 'Property' || parent?.type === 'MethodDefinition' || parent?.type === 'PropertyDefinition') &&
            key === 'key' && parent['computed'] !== true) ||
          ((parent?.type === 'LabeledStatement' || parent?.type === 'BreakStatement' || parent?.type === 'ContinueStatement') && key === 'label') ||
          parent?.type === 'MetaProperty';
        if (!isPropertyKey && forbiddenNames.has(name) && !declared(name, scope)) return validationError('forbidden-name', name, line);
        break;
      }
      case 'MemberExpression': {
        const name = staticName(node['property'] as AnyNode, node['computed'] === true);
        if (name !== undefined && forbiddenProperties.has(name)) return validationError('forbidden-attribute', name, line);
        break;
      }
      case 'Property': {
        // Destructuring reads the property: `const { constructor } = value`.
        if (parent?.type === 'ObjectPattern') {
          const name = staticName(node['key'] as AnyNode, node['computed'] === true);
          if (name !== undefined && forbiddenProperties.has(name)) return validationError('forbidden-attribute', name, line);
        }
        break;
      }
      case 'ImportExpression':
        return validationError('forbidden-import', 'import()', line);
      case 'ImportDeclaration':
        return validationError('forbidden-import', String((node['source'] as AnyNode)['value']), line);
      case 'MetaProperty':
        if ((node['meta'] as AnyNode)['name'] === 'import') return validationError('forbidden-import', 'import.meta', line);
        break;
      case 'WithStatement':
        return validationError('forbidden-statement', 'with', line);
      case 'AssignmentExpression': {
        const target = globalTarget(node['left'] as AnyNode, scope);
        if (target !== undefined) return validationError('global-write', target, line);
        break;
      }
      case 'UpdateExpression': {
        const target = globalTarget(node['argument'] as AnyNode, scope);
        if (target !== undefined) return validationError('global-write', target, line);
        break;
      }
      case 'UnaryExpression': {
        const target = node['operator'] === 'delete' ? globalTarget(node['argument'] as AnyNode, scope) : undefined;
        if (target !== undefined) return validationError('global-write', target, line);
        break;
      }
      case 'CallExpression': {
        // Object.assign(globalThis, …), Object.defineProperty(globalThis, …).
        const callee = node['callee'] as AnyNode;
        const first = (node['arguments'] as AnyNode[])[0];
        if (callee.type === 'MemberExpression' && first !== undefined && isProtectedGlobal(first, scope)) {
          const method = staticName(callee['property'] as AnyNode, callee['computed'] === true);
          if (method === 'assign' || method === 'defineProperty' || method === 'defineProperties') {
            return validationError('global-write', `${method}(${first['name'] as string}, …)`, line);
          }
        }
        break;
      }
      default:
    }
    const next = children(node);
    for (let index = next.length - 1; index >= 0; index--) {
      const entry = next[index] as { key: string; child: AnyNode };
      stack.push({ node: entry.child, scope, parent: node, key: entry.key });
    }
  }
  return undefined;
}

// The screen of a rule set, built once per rule set whose lists are frozen (as
// `defaultValidationPolicy` and `resolveValidationPolicy` make them); a mutable one gets a fresh
// screen at each call, so a word added later is never missed.
const screens = new WeakMap<JavaScriptRules, RegExp | null>();
const plainWord = /^[A-Za-z_$][\w$]*$/;

/**
 * A test that approves, without parsing, code that cannot break any of the rules: every rule fires
 * on a token whose text is one of the policy's words (a name, a property, a protected global) or
 * `import` / `with`. Without a backslash in the code no token differs from its source text
 * (escapes in identifiers, strings and templates all start with one), so such a token shows in
 * the source as that word between characters that cannot continue an ASCII identifier; non-ASCII
 * neighbours count as boundaries, which can only make the screen match more. `null` when a word is
 * not a plain identifier (a numeric property such as "16" may be written `0x10`): no screen.
 */
function screenOf(rules: JavaScriptRules): RegExp | null {
  let screen = screens.get(rules);
  if (screen !== undefined) return screen;
  const lists = [rules.forbiddenNames, rules.forbiddenProperties, rules.protectedGlobals];
  const words = [...lists.flat(), 'import', 'with'];
  screen = words.every((word) => plainWord.test(word)) ? new RegExp(`\\\\|(?<![\\w$])(?:${words.map((word) => word.replaceAll('$', '\\$')).join('|')})(?![\\w$])`) : null;
  if (Object.isFrozen(rules) && lists.every((list) => Object.isFrozen(list))) screens.set(rules, screen);
  return screen;
}

function stripTypes(code: string): { code: string } | { error: RunError } {
  const strip = (nodeModule as { stripTypeScriptTypes?: StripTypeScriptTypes }).stripTypeScriptTypes;
  if (typeof strip !== 'function') return { code };
  let stripped: string;
  try {
    stripped = strip(typeScriptPrefix + code + typeScriptSuffix, { mode: 'strip' });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Node starts the stack with ":<line>" of the offending line of the wrapped code.
    const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : '';
    const match = /^[^\n]*:(\d+)\n/.exec(stack);
    const line = match?.[1] === undefined ? undefined : Number(match[1]) - 1;
    return { error: { code: 'SYNTAX_ERROR', name: 'SyntaxError', message, ...(line !== undefined && line >= 1 ? { line } : {}) } };
  }
  if (!stripped.startsWith(typeScriptPrefix) || !stripped.endsWith(typeScriptSuffix)) {
    return { error: { code: 'SYNTAX_ERROR', name: 'SyntaxError', message: 'The TypeScript code closes the function it runs in.' } };
  }
  return { code: stripped.slice(typeScriptPrefix.length, stripped.length - typeScriptSuffix.length) };
}

/**
 * Checks JavaScript or TypeScript guest code against a validation policy before it runs, on the
 * host, with the `acorn` parser. TypeScript is first stripped of its types with Node's own
 * `module.stripTypeScriptTypes` (positions are kept, so lines are the caller's). Code that does not
 * parse is refused with `SYNTAX_ERROR` (a checker must understand what it approves); a violation
 * with `VALIDATION_ERROR`, its rule, the name and the line.
 *
 * Code without a backslash that never mentions one of the policy's words (nor `import` or `with`)
 * as a whole word cannot break a rule, and is approved without being parsed; should it not parse,
 * the sandbox reports its `SYNTAX_ERROR`.
 *
 * @example
 * ```ts
 * const outcome = validateJavaScript('const fs = require("fs");', 'javascript', defaultValidationPolicy);
 * // { type: 'error', error: { code: 'VALIDATION_ERROR', message: 'Forbidden name: require at line 1…', … } }
 * ```
 */
export function validateJavaScript(
  code: string,
  language: 'javascript' | 'typescript',
  policy: SandboxValidationPolicyV1,
): CodeValidationResult {
  // Tool-calling code often mentions none of the words: approving it without a parse saves most of
  // the validation's cost (the parse is the bulk of it).
  const screen = screenOf(policy.javascript);
  if (screen !== null && !screen.test(code)) return { type: 'ok' };
  let source = code;
  if (language === 'typescript') {
    const stripped = stripTypes(code);
    if ('error' in stripped) return { type: 'error', error: stripped.error };
    source = stripped.code;
  }
  let program: AnyNode;
  try {
    program = parse(source, {
      ecmaVersion: 'latest',
      sourceType: 'script',
      allowReturnOutsideFunction: true,
      allowAwaitOutsideFunction: true,
      allowHashBang: false,
      locations: true,
    }) as unknown as AnyNode;
  } catch (error) {
    const loc = (error as { loc?: { line?: unknown } }).loc;
    const message = error instanceof Error ? error.message.replace(/ \(\d+:\d+\)$/, '') : String(error);
    return {
      type: 'error',
      error: { code: 'SYNTAX_ERROR', name: 'SyntaxError', message, ...(typeof loc?.line === 'number' ? { line: loc.line } : {}) },
    };
  }
  const violation = check(program, policy.javascript);
  return violation === undefined ? { type: 'ok' } : { type: 'error', error: violation };
}
