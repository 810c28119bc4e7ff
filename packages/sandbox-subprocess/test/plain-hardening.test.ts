import { runCode } from '@codecall/core';
import type { RunResult, SandboxLanguage } from '@codecall/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createSubprocessSandbox } from '../src/index.js';
import type { SubprocessSandbox } from '../src/index.js';

// A plain (jail: false) runner is not a boundary, but on a root host it must not be able to undo
// its own limits: raise its rlimits, write its cgroup's limits, or move itself out of its cgroup.

const run = (sandbox: SubprocessSandbox, language: SandboxLanguage, code: string): Promise<RunResult> =>
  runCode({ sandbox, language, code, tools: [], limits: { timeoutMs: 60_000 }, validation: false });

const programs = {
  javascript: `
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
const writable = [];
const walk = (dir, depth) => {
  let entries; try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const entry of entries) {
    const full = dir + '/' + entry.name;
    if (entry.isDirectory() && depth < 12) walk(full, depth + 1);
    else if (entry.isFile()) { try { fs.closeSync(fs.openSync(full, fs.constants.O_WRONLY)); writable.push(full); } catch {} }
  }
};
walk('/sys/fs/cgroup', 0);
walk('/proc/sys', 0);
const raise = spawnSync('/usr/bin/prlimit', ['--pid', String(process.pid), '--as=unlimited'], { encoding: 'utf8' });
return { writable, raised: raise.status === 0, raiseOutput: raise.stderr, capEff: fs.readFileSync('/proc/self/status', 'utf8').match(/CapEff:\\s*(\\w+)/)[1] };`,
  python: `
import os, resource
writable = []
for top in ("/sys/fs/cgroup", "/proc/sys"):
    for root, dirs, names in os.walk(top):
        for name in names:
            full = os.path.join(root, name)
            try:
                os.close(os.open(full, os.O_WRONLY))
                writable.append(full)
            except OSError:
                pass
soft, hard = resource.getrlimit(resource.RLIMIT_AS)
try:
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    raised = True
except (ValueError, OSError):
    raised = False
cap = [line.split()[1] for line in open("/proc/self/status") if line.startswith("CapEff")][0]
return {"writable": writable, "raised": raised, "capEff": cap, "limited": hard != resource.RLIM_INFINITY}`,
};

describe.runIf(process.getuid?.() === 0).each(['javascript', 'python'] as const)('plain %s runner of a root host', (language) => {
  let sandbox: SubprocessSandbox;
  beforeAll(() => {
    sandbox = createSubprocessSandbox({ jail: false, languages: [language], pool: false });
  });
  afterAll(() => sandbox.dispose());

  test('has no capabilities, cannot raise its rlimits, write a cgroup file or a kernel tunable', async () => {
    const result = await run(sandbox, language, programs[language]);
    expect(result.type).toBe('success');
    const value = (result as { value: { writable: string[]; raised: boolean; capEff: string; limited?: boolean } }).value;
    expect(value.capEff).toBe('0000000000000000');
    expect(value.raised).toBe(false);
    expect(value.writable).toEqual([]);
    if (language === 'python') expect(value.limited).toBe(true);
  });
});
