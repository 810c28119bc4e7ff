import { describe, expect, it } from 'vitest';
import { runCode } from '../run-code.js';
import type { SandboxExecuteRequestV1 } from '../spec/sandbox-execute-request-v1.js';
import type { SandboxV1 } from '../spec/sandbox-v1.js';
import { defaultValidationPolicy } from './validation-policy.js';

// Records what reaches the adapter; a refused program must never get there.
function recordingSandbox(): SandboxV1 & { requests: SandboxExecuteRequestV1[] } {
  const requests: SandboxExecuteRequestV1[] = [];
  return {
    specificationVersion: 'v1',
    sandboxId: 'recording',
    capabilities: { languages: ['javascript', 'typescript', 'python'], isolation: 'isolate', network: false, filesystem: false, processApi: false, memoryLimit: false },
    requests,
    execute: async (request) => {
      requests.push(request);
      if (request.validation !== undefined && request.code.includes('__import__')) {
        return { type: 'error', error: { code: 'VALIDATION_ERROR', name: 'ValidationError', message: 'Forbidden name: __import__ at line 1', line: 1, validation: { rule: 'forbidden-name', name: '__import__' } }, stdout: '', stderr: '', outputTruncated: false };
      }
      return { type: 'success', valueJson: '1', stdout: '', stderr: '', outputTruncated: false };
    },
    dispose: async () => undefined,
    [Symbol.asyncDispose]: async () => undefined,
  };
}

describe('runCode validation', () => {
  it('refuses forbidden JavaScript before the sandbox sees it', async () => {
    const sandbox = recordingSandbox();
    const result = await runCode({ sandbox, code: 'const x = 1;\nreturn require("fs");' });
    expect(result).toMatchObject({ type: 'error', error: { code: 'VALIDATION_ERROR', line: 2, validation: { rule: 'forbidden-name', name: 'require' } }, toolCalls: [], stdout: '' });
    expect(sandbox.requests).toHaveLength(0);
  });

  it('runs the same code with validation: false', async () => {
    const sandbox = recordingSandbox();
    const result = await runCode({ sandbox, code: 'return require("fs");', validation: false });
    expect(result.type).toBe('success');
    expect(sandbox.requests[0]?.validation).toBeUndefined();
  });

  it('hands the resolved policy to the adapter for Python and keeps the rule of its answer', async () => {
    const sandbox = recordingSandbox();
    const result = await runCode({ sandbox, language: 'python', code: '__import__("os")' });
    expect(sandbox.requests[0]?.validation).toEqual(defaultValidationPolicy);
    expect(result).toMatchObject({ type: 'error', error: { code: 'VALIDATION_ERROR', validation: { rule: 'forbidden-name', name: '__import__' } } });
  });

  it('applies a custom policy', async () => {
    const sandbox = recordingSandbox();
    await runCode({ sandbox, language: 'python', code: 'import numpy', validation: { python: { allowedModules: ['numpy'] } } });
    expect(sandbox.requests[0]?.validation?.python.allowedModules).toEqual(['numpy']);
    expect(sandbox.requests[0]?.validation?.python.forbiddenNames).toEqual(defaultValidationPolicy.python.forbiddenNames);
  });
});
