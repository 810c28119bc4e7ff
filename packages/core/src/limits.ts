import { SandboxConfigurationError } from './errors.js';
import type { ResolvedLimitsV1 } from './spec/resolved-limits-v1.js';

/**
 * Limits of one run; every field is optional and falls back to `defaultLimits`. See
 * `ResolvedLimitsV1` for the meaning of each field.
 */
export type Limits = { readonly [K in keyof ResolvedLimitsV1]?: ResolvedLimitsV1[K] | undefined };

/**
 * Default limits: 30 s per run, 128 MiB of memory, 1,000 tool calls (16 at once, 30 s each),
 * 64,000 bytes of stdout+stderr, 8 MiB per value crossing the bridge.
 */
export const defaultLimits: ResolvedLimitsV1 = Object.freeze({
  timeoutMs: 30_000,
  memoryLimitBytes: 128 * 1024 * 1024,
  maxToolCalls: 1_000,
  maxConcurrentToolCalls: 16,
  toolTimeoutMs: 30_000,
  maxOutputBytes: 64_000,
  maxValueBytes: 8 * 1024 * 1024,
});

const lowerBounds: ResolvedLimitsV1 = {
  timeoutMs: 1,
  memoryLimitBytes: 8 * 1024 * 1024,
  maxToolCalls: 0,
  maxConcurrentToolCalls: 1,
  toolTimeoutMs: 1,
  maxOutputBytes: 0,
  maxValueBytes: 16,
};

/**
 * Applies defaults and validates. Each limit must be a finite integer at or above its lower bound
 * (`memoryLimitBytes` at least 8 MiB, `maxConcurrentToolCalls` at least 1); `toolTimeoutMs` is
 * capped at `timeoutMs`. Throws `SandboxConfigurationError` naming the offending option.
 */
export function resolveLimits(limits: Limits = {}): ResolvedLimitsV1 {
  const resolved = { ...defaultLimits };
  for (const key of Object.keys(defaultLimits) as (keyof ResolvedLimitsV1)[]) {
    const value = limits[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < lowerBounds[key]) {
      throw new SandboxConfigurationError(
        `limits.${key} must be an integer >= ${lowerBounds[key]}, got ${String(value)}.`,
      );
    }
    resolved[key] = value;
  }
  for (const key of Object.keys(limits)) {
    if (!(key in defaultLimits)) {
      throw new SandboxConfigurationError(
        `Unknown limit "limits.${key}"; known limits: ${Object.keys(defaultLimits).join(', ')}.`,
      );
    }
  }
  resolved.toolTimeoutMs = Math.min(resolved.toolTimeoutMs, resolved.timeoutMs);
  return Object.freeze(resolved);
}

/**
 * How deep a value crossing the bridge may nest (arrays and objects), checked on the host before it
 * is parsed: a tool input nested deeper fails with `INVALID_INPUT`, a return value with
 * `OUTPUT_LIMIT`. A deeper value would overflow the stack of whatever walks it recursively later
 * (`JSON.stringify`, a schema validator, a formatter) and take the host down with it.
 */
export const maxValueDepth = 256;

/**
 * Size in UTF-8 bytes of the JSON text up to which a trace record (`ToolCallRecord`) keeps a tool
 * call's input and output as values. Past it, the record keeps a string preview: the first
 * `toolCallPreviewBytes` bytes of the JSON text followed by `…`, and sets `inputTruncated` or
 * `outputTruncated`. The guest and the tool still get the whole values; only the trace is bounded.
 */
export const toolCallPreviewBytes = 4_096;
