import { describe, expect, it } from 'vitest';
import { SandboxError } from './errors.js';
import { defaultLimits, resolveLimits } from './limits.js';

describe('resolveLimits', () => {
  it('applies the documented defaults', () => {
    expect(resolveLimits()).toEqual(defaultLimits);
    expect(defaultLimits).toMatchObject({ timeoutMs: 30_000, maxToolCalls: 1_000, maxOutputBytes: 64_000 });
  });

  it('overrides given fields and caps the per-call timeout at the run timeout', () => {
    const limits = resolveLimits({ timeoutMs: 500, maxToolCalls: 3 });
    expect(limits.timeoutMs).toBe(500);
    expect(limits.maxToolCalls).toBe(3);
    expect(limits.toolTimeoutMs).toBe(500);
    expect(Object.isFrozen(limits)).toBe(true);
  });

  it.each([
    [{ timeoutMs: 0 }, 'limits.timeoutMs'],
    [{ timeoutMs: Number.NaN }, 'limits.timeoutMs'],
    [{ memoryLimitBytes: 1024 }, 'limits.memoryLimitBytes'],
    [{ maxConcurrentToolCalls: 0 }, 'limits.maxConcurrentToolCalls'],
    [{ maxOutputBytes: 1.5 }, 'limits.maxOutputBytes'],
    [{ timeout: 5 }, 'limits.timeout'],
  ])('rejects %j naming the option', (limits, option) => {
    let thrown: unknown;
    try {
      resolveLimits(limits as never);
    } catch (error) {
      thrown = error;
    }
    expect(SandboxError.isInstance(thrown)).toBe(true);
    expect((thrown as SandboxError).code).toBe('INVALID_SETTINGS');
    expect((thrown as Error).message).toContain(option);
  });
});
