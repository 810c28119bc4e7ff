import { describe, expect, it } from 'vitest';
import { SandboxConnectionError, SandboxDisposedError, SandboxError, ToolError } from './errors.js';

describe('errors', () => {
  it('carries name, code, cause and context fields', () => {
    const cause = new Error('socket hang up');
    const error = new SandboxConnectionError('lost the sandbox', { cause, sandboxId: 'e2b:1' });
    expect(error.name).toBe('SandboxConnectionError');
    expect(error.code).toBe('CONNECTION_LOST');
    expect(error.retryable).toBe(true);
    expect(error.sandboxId).toBe('e2b:1');
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(SandboxError);
    expect(new SandboxDisposedError('ivm:2').message).toContain('ivm:2');
  });

  it('isInstance recognizes errors from another copy of the package', () => {
    // A duplicate install has its own classes; the registered symbol marker is shared.
    const foreign = Object.assign(new Error('x'), { code: 'INTERNAL' });
    Object.defineProperty(foreign, Symbol.for('codecall.error.SandboxError'), { value: true });
    expect(SandboxError.isInstance(foreign)).toBe(true);
    expect(SandboxError.isInstance(new Error('plain'))).toBe(false);
    expect(SandboxError.isInstance(new ToolError('DENIED', 'no'))).toBe(false);
    expect(ToolError.isInstance(new ToolError('DENIED', 'no'))).toBe(true);
    expect(ToolError.isInstance(null)).toBe(false);
  });
});
