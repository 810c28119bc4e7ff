import { SandboxConnectionError, SandboxDisposedError, SandboxStartError } from '@codecall/core';
import {
  AuthenticationError,
  InvalidArgumentError,
  NotFoundError,
  RateLimitError,
  SandboxError as E2BSdkError,
  SandboxNotFoundError,
  ServiceBusyError,
  TemplateError,
  TimeoutError,
} from '@e2b/code-interpreter';
import { describe, expect, it } from 'vitest';
import { SandboxAuthenticationError, SandboxExpiredError, SandboxRateLimitedError, isProcessNotFound, toSandboxError } from './e2b-errors.js';
import type { E2BErrorContext } from './e2b-errors.js';

const run: E2BErrorContext = { operation: 'run', sandboxId: 'e2b:1:test', owned: true };
const create: E2BErrorContext = { ...run, operation: 'create' };

// The SDK's own error classes, with the messages its transport produces.
describe('toSandboxError', () => {
  it('maps authentication, rate limits and busy refusals', () => {
    expect(toSandboxError(new AuthenticationError('401: Invalid API key'), create)).toBeInstanceOf(SandboxAuthenticationError);
    expect(toSandboxError(new AuthenticationError('401: Invalid API key'), create)).toMatchObject({ code: 'AUTHENTICATION_FAILED', retryable: false, sandboxId: 'e2b:1:test' });
    expect(toSandboxError(new RateLimitError('429: too many'), run)).toBeInstanceOf(SandboxRateLimitedError);
    expect(toSandboxError(new RateLimitError('429: too many'), run)).toMatchObject({ code: 'RATE_LIMITED', retryable: true });
    expect(toSandboxError(new ServiceBusyError('503: busy'), create)).toMatchObject({ code: 'SANDBOX_START_FAILED', retryable: true });
    expect(toSandboxError(new ServiceBusyError('503: busy'), run)).toBeInstanceOf(SandboxConnectionError);
  });

  it('maps a sandbox that is gone to SandboxExpiredError, retryable only when the adapter owns it', () => {
    const timeout = new TimeoutError("[unavailable] sandbox gone: This error is likely due to sandbox timeout. You can modify the sandbox timeout by passing 'timeoutMs'");
    expect(toSandboxError(timeout, run)).toBeInstanceOf(SandboxExpiredError);
    expect(toSandboxError(timeout, run)).toMatchObject({ code: 'SANDBOX_EXPIRED', retryable: true });
    expect(toSandboxError(timeout, { ...run, owned: false })).toMatchObject({ retryable: false });
    expect(toSandboxError(new TimeoutError('x: The sandbox was killed or reached its end of life while the request was in flight.'), run)).toBeInstanceOf(SandboxExpiredError);
    expect(toSandboxError(new SandboxNotFoundError('Sandbox is probably not running anymore'), run)).toBeInstanceOf(SandboxExpiredError);
    expect(toSandboxError(new NotFoundError('sandbox abc not found'), { ...run, operation: 'connect', owned: false })).toBeInstanceOf(SandboxExpiredError);
  });

  it('maps request timeouts and broken streams to a retryable SandboxConnectionError', () => {
    const requestTimeout = new TimeoutError("[canceled] x: This error is likely due to exceeding 'requestTimeoutMs'.");
    expect(toSandboxError(requestTimeout, run)).toBeInstanceOf(SandboxConnectionError);
    expect(toSandboxError(new E2BSdkError('2: [unknown] terminated'), run)).toMatchObject({ code: 'CONNECTION_LOST', retryable: true });
    expect(toSandboxError(new TypeError('fetch failed'), run)).toBeInstanceOf(SandboxConnectionError);
  });

  it('maps creation failures to SandboxStartError, not retryable for an invalid template', () => {
    expect(toSandboxError(new TemplateError('template too old'), create)).toMatchObject({ code: 'SANDBOX_START_FAILED', retryable: false });
    expect(toSandboxError(new InvalidArgumentError('bad template name'), create)).toMatchObject({ retryable: false });
    expect(toSandboxError(new NotFoundError('template not found'), create)).toMatchObject({ retryable: false });
    expect(toSandboxError(new TypeError('fetch failed'), create)).toBeInstanceOf(SandboxStartError);
    expect(toSandboxError(new TypeError('fetch failed'), create)).toMatchObject({ retryable: true });
  });

  it('passes codecall SandboxErrors through and keeps the cause', () => {
    const disposed = new SandboxDisposedError('e2b:1:test');
    expect(toSandboxError(disposed, run)).toBe(disposed);
    const cause = new RateLimitError('429');
    expect(toSandboxError(cause, run).cause).toBe(cause);
  });

  it('tells a process that is gone from a sandbox that is gone', () => {
    expect(isProcessNotFound(new NotFoundError('process with pid 12 not found'))).toBe(true);
    expect(isProcessNotFound(new SandboxNotFoundError('Sandbox abc not found'))).toBe(false);
  });
});
