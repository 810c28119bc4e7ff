export { E2BSandbox, createE2BSandbox } from './e2b-sandbox.js';
export type { E2BSandboxSettings } from './e2b-sandbox.js';
export { SandboxAuthenticationError, SandboxExpiredError, SandboxRateLimitedError, toSandboxError } from './e2b-errors.js';
export type { E2BErrorContext, E2BOperation } from './e2b-errors.js';
export type { E2BRunUsage, E2BSandboxUsage } from './e2b-usage.js';
export type { E2BCommandHandle, E2BCommands, E2BFiles, E2BSandboxClass, E2BSandboxInstance } from './e2b-sdk-surface.js';
