import { describe, expect, it } from 'vitest';
import { validateJavaScript } from './validate-javascript.js';
import { defaultValidationPolicy, resolveValidationPolicy } from './validation-policy.js';

const refused = (code: string, language: 'javascript' | 'typescript' = 'javascript') => {
  const outcome = validateJavaScript(code, language, defaultValidationPolicy);
  if (outcome.type !== 'error') throw new Error(`accepted: ${code}`);
  return outcome.error;
};
const accepted = (code: string, language: 'javascript' | 'typescript' = 'javascript'): void => {
  const outcome = validateJavaScript(code, language, defaultValidationPolicy);
  expect(outcome.type === 'error' ? outcome.error.message : 'ok').toBe('ok');
};

describe('validateJavaScript', () => {
  it.each([
    ['const fs = require("fs");', 'forbidden-name', 'require', 1],
    ['\n\nprocess.exit(1);', 'forbidden-name', 'process', 3],
    ['const f = new Function("return this")();', 'forbidden-name', 'Function', 1],
    ['eval("1 + 1");', 'forbidden-name', 'eval', 1],
    ['const g = (0, eval);', 'forbidden-name', 'eval', 1],
    ['Reflect.get(x, "y");', 'forbidden-name', 'Reflect', 1],
    ['const m = await import("node:fs");', 'forbidden-import', 'import()', 1],
    ['const F = (async () => {}).constructor;', 'forbidden-attribute', 'constructor', 1],
    ['const F = ToolError["constructor"];', 'forbidden-attribute', 'constructor', 1],
    ['const F = ToolError[`constructor`];', 'forbidden-attribute', 'constructor', 1],
    ['const { constructor: C } = ToolError;', 'forbidden-attribute', 'constructor', 1],
    ['const p = ({}).__proto__;', 'forbidden-attribute', '__proto__', 1],
    ['const p = Object.getPrototypeOf(async function () {});', 'forbidden-attribute', 'getPrototypeOf', 1],
    ['function f() { return arguments.callee; }', 'forbidden-attribute', 'callee', 1],
    ['globalThis.fetch = () => 1;', 'global-write', 'globalThis.fetch', 1],
    ['delete globalThis.ToolError;', 'global-write', 'globalThis.ToolError', 1],
    ['Object.assign(globalThis, { x: 1 });', 'global-write', 'assign(globalThis, …)', 1],
    ['with (Math) { max(1, 2); }', 'forbidden-statement', 'with', 1],
    // A binding in one block does not make the name the guest's elsewhere.
    ['{ let process = 1; }\nprocess.env;', 'forbidden-name', 'process', 2],
  ])('refuses %s', (code, rule, name, line) => {
    const error = refused(code);
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR', line, validation: { rule, name } });
    expect(error.message.startsWith(`${error.message.split(':')[0] ?? ''}: ${name} at line ${line}`)).toBe(true);
  });

  it('says the rule, the name and the line in the message', () => {
    expect(refused('const a = 1;\n\nconst b = require("child_process");').message).toMatch(/^Forbidden name: require at line 3\./);
  });

  it('refuses forbidden constructs in TypeScript at the caller line', () => {
    const error = refused('interface A { x: number }\nconst a: A = { x: 1 };\nconst F: unknown = (a as any).constructor;', 'typescript');
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR', line: 3, validation: { name: 'constructor' } });
  });

  it('reports code that mentions a policy word and does not parse as SYNTAX_ERROR with its line', () => {
    expect(refused('const a = 1;\nconst = process;')).toMatchObject({ code: 'SYNTAX_ERROR', line: 2 });
    expect(refused('const a: number = globalThis.x;\nconst b: = 2;', 'typescript')).toMatchObject({ code: 'SYNTAX_ERROR', line: 2 });
  });

  it('approves without parsing code that mentions no policy word (the sandbox reports its syntax errors)', () => {
    accepted('const a = 1;\nconst = ;');
    accepted('const a: number = 1;\nconst b: = 2;', 'typescript');
  });

  it.each([
    ['an escaped identifier', 'const r = \\u0072equire("fs");', 'forbidden-name', 'require'],
    ['an escaped property name', 'const F = ToolError["\\x63onstructor"];', 'forbidden-attribute', 'constructor'],
    ['a word after a non-ASCII space', 'const env = 1 +\u00a0process.env;', 'forbidden-name', 'process'],
  ])('checks %s in full', (_, code, rule, name) => {
    expect(refused(code)).toMatchObject({ code: 'VALIDATION_ERROR', validation: { rule, name } });
  });

  it('sees a word added to a mutable policy after an earlier call', () => {
    const forbiddenNames = ['require'];
    const policy = { ...defaultValidationPolicy, javascript: { ...defaultValidationPolicy.javascript, forbiddenNames } };
    expect(validateJavaScript('await fetch("x")', 'javascript', policy).type).toBe('ok');
    forbiddenNames.push('fetch');
    expect(validateJavaScript('await fetch("x")', 'javascript', policy)).toMatchObject({ type: 'error', error: { validation: { rule: 'forbidden-name', name: 'fetch' } } });
  });

  it('parses every program when a policy word could be written differently (a numeric property)', () => {
    const policy = resolveValidationPolicy({ javascript: { forbiddenProperties: ['16'] } }) ?? defaultValidationPolicy;
    expect(validateJavaScript('return [][0x10];', 'javascript', policy)).toMatchObject({ type: 'error', error: { validation: { rule: 'forbidden-attribute', name: '16' } } });
    expect(validateJavaScript('const a = 1;\nconst = ;', 'javascript', policy)).toMatchObject({ type: 'error', error: { code: 'SYNTAX_ERROR', line: 2 } });
  });

  it('accepts ordinary programs', () => {
    accepted(`
      const team = await get_team_members({ department: 'engineering' });
      const results = await Promise.all(team.map((m) => get_expenses({ employeeId: m.id, quarter: 'Q3' })));
      const totals = {};
      for (const [index, items] of results.entries()) totals[team[index].id] = items.reduce((s, i) => s + i.amount, 0);
      class Report { constructor(rows) { this.rows = rows; } get size() { return this.rows.length; } }
      const process = (value) => value * 2; // a local called process is the guest's own
      label: for (const x of [1]) { break label; }
      console.log(JSON.stringify(totals), new Report([1]).size, process(2), Object.keys(totals)[0]);
      return Object.entries(totals).filter(([, total]) => total > 1000).map(([id]) => id);
    `);
    accepted('const x: number[] = [1, 2];\nfunction f<T>(value: T): T { return value; }\nreturn f(x).length as number;', 'typescript');
    accepted('function eval2() {}\nconst require = () => 1;\nreturn require();');
  });

  it('follows a custom policy', () => {
    const policy = resolveValidationPolicy({ javascript: { forbiddenNames: ['fetch'] } });
    expect(policy).toBeDefined();
    expect(validateJavaScript('require("fs")', 'javascript', policy ?? defaultValidationPolicy).type).toBe('ok');
    expect(validateJavaScript('await fetch("x")', 'javascript', policy ?? defaultValidationPolicy).type).toBe('error');
    expect(resolveValidationPolicy(false)).toBeUndefined();
    expect(() => resolveValidationPolicy({ python: { allowedModule: [] } as never })).toThrow(/Unknown validation list/);
  });
});
