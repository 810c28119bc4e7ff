import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineTool, runCode } from '@codecall/core';
import type { SandboxV1 } from '@codecall/core';
import { expect } from 'vitest';
import { z } from 'zod';
import { addTool, constantTool, expectSuccess, failingTool, uniqueToken } from '../case-helpers.js';
import { defineCase, lines } from '../conformance-case.js';
import type { ConformanceCase, ConformanceCaseContext } from '../conformance-case.js';

// Every run here has validation: false: these programs deliberately do what the validator refuses
// (require, process, constructor chains…) to test the sandbox boundary itself, which must hold
// without the validator in front of it.

// JavaScript guest code that finds the guest's own `fs` module by any means the runtime offers,
// or leaves `fs` null.
const findFs = [
  'let fs = null;',
  'try { if (typeof process !== "undefined" && typeof process.getBuiltinModule === "function") fs = process.getBuiltinModule("node:fs"); } catch {}',
  'try { if (!fs && typeof require === "function") fs = require("node:fs"); } catch {}',
  'try { if (!fs) fs = await import("node:fs"); } catch {}',
];

const noHostGlobals = defineCase<string>({
  id: 'isolation.no-host-globals',
  description:
    'Without processApi the runtime’s process globals are absent: typeof process, require, module and Buffer are "undefined", and so is fetch unless capabilities.network.',
  requires: { processApi: false },
  code: {
    javascript: lines(
      'return {',
      '  process: typeof process, require: typeof require, module: typeof module, Buffer: typeof Buffer, fetch: typeof fetch,',
      '  globalProcess: typeof globalThis.process,',
      '};',
    ),
  },
  run: async (context, code) => {
    const result = expectSuccess(await context.run({ validation: false, code }));
    expect(result.value).toMatchObject({
      process: 'undefined',
      require: 'undefined',
      module: 'undefined',
      Buffer: 'undefined',
      globalProcess: 'undefined',
    });
    if (!context.capabilities.network) expect((result.value as { fetch: string }).fetch).toBe('undefined');
  },
});

const noNetwork = defineCase<(port: number) => string>({
  id: 'isolation.no-network',
  description:
    'Without capabilities.network the guest cannot reach a server on the host’s loopback interface by any means its runtime offers (fetch, node:net, socket, urllib); the server sees no connection.',
  requires: { network: false },
  code: {
    javascript: (port) =>
      lines(
        'const attempts = [];',
        `const url = "http://127.0.0.1:${port}/probe";`,
        'if (typeof fetch === "function") {',
        '  try { const r = await fetch(url); attempts.push("fetch:" + r.status); } catch (e) { attempts.push("fetch:failed"); }',
        '}',
        'let net = null;',
        'try { if (typeof process !== "undefined" && typeof process.getBuiltinModule === "function") net = process.getBuiltinModule("node:net"); } catch {}',
        'try { if (!net && typeof require === "function") net = require("node:net"); } catch {}',
        'if (net) {',
        '  attempts.push(await new Promise((resolve) => {',
        `    const socket = net.connect(${port}, "127.0.0.1");`,
        '    socket.setTimeout(2000);',
        '    socket.on("connect", () => { socket.destroy(); resolve("net:connected"); });',
        '    socket.on("error", () => resolve("net:failed"));',
        '    socket.on("timeout", () => { socket.destroy(); resolve("net:timeout"); });',
        '  }));',
        '}',
        'return attempts;',
      ),
    python: (port) =>
      lines(
        'attempts = []',
        'try:',
        '    import socket',
        `    s = socket.create_connection(("127.0.0.1", ${port}), timeout=2)`,
        '    s.close()',
        '    attempts.append("socket:connected")',
        'except Exception:',
        '    attempts.append("socket:failed")',
        'try:',
        '    import urllib.request',
        `    r = urllib.request.urlopen("http://127.0.0.1:${port}/probe", timeout=2)`,
        '    attempts.append("urllib:" + str(r.status))',
        'except Exception:',
        '    attempts.append("urllib:failed")',
        'return attempts',
      ),
  },
  run: async (context, program) => {
    let connections = 0;
    const server = createServer((_request, response) => response.end('reached'));
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const result = expectSuccess(await context.run({ validation: false, code: program(port), limits: { timeoutMs: 15_000 } }));
      const attempts = result.value as string[];
      for (const attempt of attempts) expect(attempt).toMatch(/:(failed|timeout)$/);
      expect(connections).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  },
});

const ownProcess = defineCase<string>({
  id: 'isolation.own-process',
  description:
    'With processApi the process APIs the guest sees belong to its own process, never the host’s: the pid it sees is not the host’s.',
  requires: { processApi: true },
  code: {
    javascript: lines('return { pid: process.pid, ppid: process.ppid };'),
    python: lines('import os', 'return {"pid": os.getpid(), "ppid": os.getppid()}'),
  },
  run: async (context, code) => {
    const result = expectSuccess(await context.run({ validation: false, code }));
    const { pid } = result.value as { pid: number; ppid: number };
    expect(typeof pid).toBe('number');
    expect(pid).not.toBe(process.pid);
  },
});

const secretName = 'CODECALL_CONFORMANCE_SECRET';

const hostEnvironment = defineCase<(hostPid: number) => string>({
  id: 'isolation.host-environment',
  description:
    'The host’s environment never reaches the guest: a secret set in the host’s process.env (before the run, and before a sandbox is created) is not in the guest’s process.env / os.environ nor /proc/self/environ nor its parent’s, and the host process’s own /proc/<pid>/environ cannot be read.',
  code: {
    javascript: (hostPid) =>
      lines(
        ...findFs,
        'const found = {};',
        'try { if (typeof process !== "undefined" && process.env) found.env = JSON.stringify(process.env); } catch {}',
        'const read = (p) => { try { return fs.readFileSync(p, "latin1"); } catch { return null; } };',
        'if (fs) {',
        '  found.self = read("/proc/self/environ");',
        '  try { if (typeof process !== "undefined" && process.ppid) found.parent = read("/proc/" + process.ppid + "/environ"); } catch {}',
        `  found.host = read("/proc/${hostPid}/environ");`,
        '}',
        'return found;',
      ),
    python: (hostPid) =>
      lines(
        'found = {}',
        'def read(path):',
        '    try:',
        '        with open(path, "rb") as f:',
        '            return f.read().decode("latin-1")',
        '    except Exception:',
        '        return None',
        'try:',
        '    import os',
        '    found["env"] = repr(dict(os.environ))',
        '    found["parent"] = read("/proc/" + str(os.getppid()) + "/environ")',
        'except Exception:',
        '    pass',
        'found["self"] = read("/proc/self/environ")',
        `found["host"] = read("/proc/${hostPid}/environ")`,
        'return found',
      ),
  },
  run: async (context, program) => {
    let hostEnviron: string | undefined;
    try {
      hostEnviron = readFileSync('/proc/self/environ', 'latin1');
    } catch {
      // No procfs on this host (e.g. macOS): the guest cannot read it either.
    }
    const secret = uniqueToken('host_env_secret');
    const check = async (sandbox: SandboxV1): Promise<void> => {
      const result = expectSuccess(await runCode({ validation: false, sandbox, language: context.language, code: program(process.pid) }));
      const found = result.value as Record<string, string | null>;
      expect(JSON.stringify(result)).not.toContain(secret);
      const readHostEnviron = hostEnviron !== undefined && typeof found.host === 'string' && found.host === hostEnviron;
      expect(readHostEnviron, 'the guest read the host process’s /proc/<pid>/environ').toBe(false);
    };
    const previous = process.env[secretName];
    process.env[secretName] = secret;
    try {
      await check(context.sandbox);
      const fresh = await context.createSandbox();
      try {
        await check(fresh);
      } finally {
        await fresh.dispose();
      }
    } finally {
      if (previous === undefined) delete process.env[secretName];
      else process.env[secretName] = previous;
    }
  },
});

const noHostObjects = defineCase<string>({
  id: 'isolation.no-host-objects',
  description:
    'Tool results and tool errors are objects of the guest’s own realm: their constructors lead to the guest’s own Function (`r.constructor.constructor("return typeof process")()` sees the guest’s globals, not the host’s), and in Python they are exact builtin types.',
  code: {
    javascript: lines(
      'const checks = {};',
      'const probe = (label, f) => { try { checks[label] = f(); } catch (e) { checks[label] = "threw " + e.name; } };',
      'const r = await produce();',
      'probe("object realm", () => Object.getPrototypeOf(r) === Object.prototype);',
      'probe("array realm", () => Object.getPrototypeOf(r.list) === Array.prototype);',
      'probe("function realm", () => r.constructor.constructor === Function);',
      'probe("array function realm", () => r.list.constructor.constructor === Function);',
      'probe("process via result", () => r.constructor.constructor("return typeof process")());',
      'probe("process via array", () => r.list.constructor.constructor("return typeof process")());',
      'try { await fail_tool(); } catch (e) {',
      '  probe("error is guest ToolError", () => e instanceof ToolError && e instanceof Error);',
      '  probe("error function realm", () => e.constructor.constructor === Function);',
      '  probe("process via error", () => e.constructor.constructor("return typeof process")());',
      '  probe("error proto chain", () => Object.getPrototypeOf(Object.getPrototypeOf(e)) === Error.prototype || Object.getPrototypeOf(Object.getPrototypeOf(Object.getPrototypeOf(e))) === Error.prototype);',
      '}',
      'return { checks, guestProcess: typeof process };',
    ),
    python: lines(
      'r = await produce()',
      'checks = {}',
      'checks["dict"] = type(r) is dict',
      'checks["list"] = type(r["list"]) is list',
      'checks["types"] = [type(r["text"]) is str, type(r["count"]) is int, type(r["ratio"]) is float, type(r["flag"]) is bool, r["none"] is None]',
      'checks["mro"] = [c.__name__ for c in type(r).__mro__]',
      'try:',
      '    await fail_tool()',
      'except ToolError as e:',
      '    checks["error"] = [isinstance(e, Exception), type(e).__name__]',
      '    checks["error mro ends"] = [c.__name__ for c in type(e).__mro__][-3:]',
      'return {"checks": checks}',
    ),
  },
  run: async (context, code) => {
    const secret = uniqueToken('HOST_SECRET');
    const produce = constantTool('produce', () => ({ list: [1, { nested: true }], text: 'x', count: 1, ratio: 0.5, flag: true, none: null }));
    const result = expectSuccess(await context.run({ validation: false, code, tools: [produce, failingTool('fail_tool', 'nope', secret).tool] }));
    const { checks, guestProcess } = result.value as { checks: Record<string, unknown>; guestProcess?: string };
    if (context.language === 'python') {
      expect(checks).toStrictEqual({
        dict: true,
        list: true,
        types: [true, true, true, true, true],
        mro: ['dict', 'object'],
        error: [true, 'ToolError'],
        'error mro ends': ['Exception', 'BaseException', 'object'],
      });
    } else {
      expect(checks).toStrictEqual({
        'object realm': true,
        'array realm': true,
        'function realm': true,
        'array function realm': true,
        'process via result': guestProcess,
        'process via array': guestProcess,
        'error is guest ToolError': true,
        'error function realm': true,
        'process via error': guestProcess,
        'error proto chain': true,
      });
      if (!context.capabilities.processApi) expect(guestProcess).toBe('undefined');
    }
    expect(JSON.stringify(result)).not.toContain(secret);
  },
});

interface StatePrograms {
  readonly write: (token: string) => string;
  readonly hostile: string;
  readonly read: (token: string) => string;
  readonly expected: unknown;
}

const noSharedState = defineCase<StatePrograms>({
  id: 'isolation.no-shared-state',
  description:
    'Nothing survives from one run to the next: globals, patched prototypes and builtins, replaced tool functions, patched modules, files written to the working directory or the temp directory.',
  code: {
    javascript: {
      write: (token) =>
        lines(
          ...findFs,
          'globalThis.leakedGlobal = 42;',
          'var leakedVar = 1;',
          'Object.prototype.polluted = "yes";',
          'Array.prototype.extra = function () { return "extra"; };',
          'try { globalThis.add = async () => 999; } catch {}',
          'let wrote = "no fs";',
          'if (fs) {',
          `  try { fs.writeFileSync("${token}.txt", "x"); wrote = "cwd"; } catch {}`,
          `  try { fs.writeFileSync("/tmp/${token}.txt", "x"); wrote += " tmp"; } catch {}`,
          '}',
          'return wrote;',
        ),
      hostile: lines('JSON.stringify = () => "hacked";', 'JSON.parse = () => ({ hacked: true });', 'console.log = () => {};', 'return { fine: true };'),
      read: (token) =>
        lines(
          ...findFs,
          'const exists = (p) => { try { fs.statSync(p); return true; } catch { return false; } };',
          'console.log("printing works");',
          'return {',
          '  leakedGlobal: typeof globalThis.leakedGlobal,',
          '  leakedVar: typeof leakedVar,',
          '  polluted: ({}).polluted === undefined,',
          '  extra: typeof [].extra,',
          '  add: await add({ a: 1, b: 2 }),',
          '  json: JSON.stringify(JSON.parse("[1]")),',
          `  files: fs ? [exists("${token}.txt"), exists("/tmp/${token}.txt")] : [false, false],`,
          '};',
        ),
      expected: { leakedGlobal: 'undefined', leakedVar: 'undefined', polluted: true, extra: 'undefined', add: 3, json: '[1]', files: [false, false] },
    },
    python: {
      write: (token) =>
        lines(
          'import builtins, sys, math',
          'builtins.leaked_builtin = 42',
          'globals()["leaked_global"] = 1',
          'sys.modules["codecall_fake_module"] = type(sys)("codecall_fake_module")',
          'math.pi = 3',
          'wrote = []',
          'for path in ["' + token + '.txt", "/tmp/' + token + '.txt"]:',
          '    try:',
          '        with open(path, "w") as f:',
          '            f.write("x")',
          '        wrote.append(path)',
          '    except Exception:',
          '        pass',
          'return wrote',
        ),
      hostile: lines(
        'import json, builtins',
        'json.dumps = lambda *a, **k: "hacked"',
        'json.loads = lambda *a, **k: {"hacked": True}',
        'builtins.print = lambda *a, **k: None',
        'return {"fine": True}',
      ),
      read: (token) =>
        lines(
          'import builtins, sys, math, json, os',
          'print("printing works")',
          'return {',
          '    "leakedBuiltin": hasattr(builtins, "leaked_builtin"),',
          '    "leakedGlobal": "leaked_global" in globals(),',
          '    "fakeModule": "codecall_fake_module" in sys.modules,',
          '    "pi": math.pi > 3.14,',
          '    "add": await add({"a": 1, "b": 2}),',
          '    "json": json.dumps(json.loads("[1]")),',
          `    "files": [os.path.exists("${token}.txt"), os.path.exists("/tmp/${token}.txt")],`,
          '}',
        ),
      expected: { leakedBuiltin: false, leakedGlobal: false, fakeModule: false, pi: true, add: 3, json: '[1]', files: [false, false] },
    },
  },
  run: async (context, { write, hostile, read, expected }) => {
    const token = uniqueToken('codecall-conformance');
    try {
      const first = await context.run({ validation: false, code: write(token), tools: [addTool().tool] });
      expectSuccess(first);
      // A guest that breaks its own serializer may break its own run; only the next run matters.
      await context.run({ validation: false, code: hostile, tools: [addTool().tool], limits: { timeoutMs: 10_000 } });
      const second = expectSuccess(await context.run({ validation: false, code: read(token), tools: [addTool().tool] }));
      expect(second.value).toStrictEqual(expected);
      expect(second.stdout).toBe('printing works\n');
    } finally {
      // A leaking adapter may have written these on the host.
      rmSync(join(tmpdir(), `${token}.txt`), { force: true });
      rmSync(join('/tmp', `${token}.txt`), { force: true });
      rmSync(`${token}.txt`, { force: true });
    }
  },
});

const concurrentRuns = defineCase<(id: number) => string>({
  id: 'isolation.concurrent-runs',
  description:
    'Four runs in flight at once on one sandbox stay independent: each sees its own tools (same name, different handlers), its own globals across awaits, its own output and its own trace.',
  code: {
    javascript: (id) =>
      lines(
        `globalThis.slot = ${id};`,
        `console.log("run ${id}");`,
        'const me = await whoami();',
        'await nap({ ms: 100 });',
        `return { id: ${id}, me, slot: globalThis.slot };`,
      ),
    python: (id) =>
      lines(
        'import builtins',
        `builtins.slot = ${id}`,
        `print("run ${id}")`,
        'me = await whoami()',
        'await nap({"ms": 100})',
        `return {"id": ${id}, "me": me, "slot": builtins.slot}`,
      ),
  },
  run: async (context: ConformanceCaseContext, program) => {
    const ids = [1, 2, 3, 4];
    const results = await Promise.all(
      ids.map((id) => {
        const whoami = constantTool('whoami', () => id);
        const nap = defineTool({
          name: 'nap',
          input: z.object({ ms: z.number() }),
          execute: async ({ ms }) => {
            await new Promise((resolve) => setTimeout(resolve, ms));
            return null;
          },
        });
        return context.run({ validation: false, code: program(id), tools: [whoami, nap], limits: { timeoutMs: 20_000 } });
      }),
    );
    results.forEach((result, index) => {
      const id = ids[index]!;
      expect(expectSuccess(result).value).toStrictEqual({ id, me: id, slot: id });
      expect(result.stdout).toBe(`run ${id}\n`);
      expect(result.toolCalls.map((call) => [call.name, call.output])).toStrictEqual([
        ['whoami', id],
        ['nap', null],
      ]);
    });
  },
});

/** Cases of the `isolation` area: what guest code cannot reach. */
export const isolationCases: readonly ConformanceCase[] = [
  noHostGlobals,
  ownProcess,
  noNetwork,
  hostEnvironment,
  noHostObjects,
  noSharedState,
  concurrentRuns,
];
