import type { SandboxCapabilitiesV1 } from '@codecall/core';
import { describe, expect, it } from 'vitest';
import { conformanceCases } from './conformance-cases.js';
import { planConformanceTests } from './plan-conformance-tests.js';

const isolate: SandboxCapabilitiesV1 = {
  languages: ['javascript', 'typescript'],
  isolation: 'isolate',
  network: false,
  filesystem: false,
  processApi: false,
  memoryLimit: true,
};
const subprocess: SandboxCapabilitiesV1 = { ...isolate, languages: ['javascript', 'python'], isolation: 'process', processApi: true, memoryLimit: false, network: true };

describe('conformanceCases', () => {
  it('have unique area.case ids whose area matches', () => {
    const ids = conformanceCases.map((conformanceCase) => conformanceCase.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const conformanceCase of conformanceCases) {
      expect(conformanceCase.id).toMatch(/^[a-z]+\.[a-z0-9-]+$/);
      expect(conformanceCase.id.startsWith(`${conformanceCase.area}.`)).toBe(true);
      expect(conformanceCase.description.length).toBeGreaterThan(20);
    }
  });

  it('give every case that has JavaScript code a TypeScript run too', () => {
    for (const conformanceCase of conformanceCases) {
      if (conformanceCase.languages.includes('javascript')) expect(conformanceCase.languages).toContain('typescript');
    }
  });
});

describe('planConformanceTests', () => {
  it('names tests <id>:<language>, skips undeclared languages and unmet requirements with the reason', () => {
    const { tests, problems } = planConformanceTests(conformanceCases, subprocess);
    expect(problems).toStrictEqual([]);
    const byName = new Map(tests.map((test) => [test.name, test]));
    expect(byName.get('tools.sequential:python')).toMatchObject({ mode: 'run', title: 'tools.sequential:python', language: 'python' });
    expect(byName.get('tools.sequential:typescript')?.title).toBe('tools.sequential:typescript [skipped: the sandbox does not run typescript]');
    expect(byName.get('limits.memory:python')?.title).toBe('limits.memory:python [skipped: needs capabilities.memoryLimit = true, the sandbox declares false]');
    expect(byName.get('isolation.no-network:javascript')?.mode).toBe('skip');
    expect(byName.get('isolation.no-host-globals:javascript')?.mode).toBe('skip');
    expect(byName.get('lifecycle.dispose-idempotent')).toMatchObject({ mode: 'run', language: 'javascript' });
  });

  it('applies <id> and <id>:<language> known failures and reports keys that name no running test', () => {
    const { tests, problems } = planConformanceTests(conformanceCases, isolate, {
      languages: ['typescript', 'python'],
      knownFailures: { 'limits.memory': 'all', 'tools.trace:typescript': 'one', 'tools.trace:javascript': 'not selected', nope: 'typo' },
    });
    const modes = Object.fromEntries(tests.map((test) => [test.name, test.mode]));
    expect(modes['limits.memory:typescript']).toBe('fails');
    expect(modes['limits.memory:javascript']).toBe('skip');
    expect(modes['tools.trace:typescript']).toBe('fails');
    expect(modes['lifecycle.specification']).toBe('run');
    expect(tests.find((test) => test.name === 'lifecycle.specification')?.language).toBe('typescript');
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain('options.languages lists python');
    expect(problems[1]).toContain('knownFailures["tools.trace:javascript"] names only tests that are skipped here');
    expect(problems[2]).toContain('knownFailures["nope"] names no conformance case');
  });
});
