import { createHash } from 'node:crypto';
import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base';

/**
 * The simulator's tokenizer: o200k (OpenAI's `o200k_base`, via `gpt-tokenizer`). Claude's own
 * tokenizer is not public; o200k is a stated proxy, so absolute counts differ from the real API
 * (Claude's tokenizer tends to give somewhat more tokens for the same text) while ratios between
 * modes stay meaningful.
 */
export const simulatorTokenizer = 'o200k_base (gpt-tokenizer), a proxy for Claude’s tokenizer';

/** Counts tokens of `text` with the simulator's tokenizer. */
export function countTokens(text: string): number {
  return text === '' ? 0 : countO200k(text);
}

/** One cacheable piece of a request, in prompt order (tools, then system, then messages). */
export interface PromptSegment {
  /** Canonical text of the piece, for the cache key (without `cache_control`). */
  readonly key: string;
  /** Tokens the piece counts for. */
  readonly tokens: number;
  /** Whether the piece carries a `cache_control` breakpoint. */
  readonly breakpoint: boolean;
  /** TTL of its breakpoint in milliseconds (5 minutes unless `ttl: '1h'`). */
  readonly ttlMs: number;
}

/** Token usage of the input of one request. */
export interface InputUsage {
  /** Input tokens neither read from nor written to the cache. */
  readonly inputTokens: number;
  /** Tokens written to the cache. */
  readonly cacheCreationInputTokens: number;
  /** Tokens read from the cache. */
  readonly cacheReadInputTokens: number;
  /** Of the written tokens, those with a one-hour TTL. */
  readonly cacheCreation1hInputTokens: number;
}

/** Settings of the prompt cache. */
export interface PromptCacheSettings {
  /** Shortest prefix (tokens) that is cached; Anthropic's prompt-caching docs give 1,024 for Sonnet 4.5/4.6 and 4,096 for Haiku 4.5 and Opus 4.5. Default 1,024. */
  readonly minCacheableTokens?: number;
  /** How many blocks before a breakpoint the cache looks for an earlier entry (Anthropic: 20). Default 20. */
  readonly lookbackBlocks?: number;
  /** Clock in milliseconds (for tests). Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Anthropic's prompt cache as the simulator models it: a prefix up to a `cache_control`
 * breakpoint is written (`cache_creation_input_tokens`) when at least `minCacheableTokens` long;
 * a later request whose prefix up to a breakpoint, or up to any of the `lookbackBlocks` blocks
 * before one, matches a written prefix reads it (`cache_read_input_tokens`); the rest is
 * `input_tokens`. Reads refresh the entry's TTL.
 */
export class PromptCache {
  readonly #entries = new Map<string, number>();
  readonly #minCacheableTokens: number;
  readonly #lookbackBlocks: number;
  readonly #now: () => number;

  constructor(settings: PromptCacheSettings = {}) {
    this.#minCacheableTokens = settings.minCacheableTokens ?? 1_024;
    this.#lookbackBlocks = settings.lookbackBlocks ?? 20;
    this.#now = settings.now ?? Date.now;
  }

  /** Computes usage for a request's segments and updates the cache. */
  account(segments: readonly PromptSegment[]): InputUsage {
    const now = this.#now();
    const hashes: string[] = [];
    const cumulative: number[] = [];
    const hash = createHash('sha256');
    let total = 0;
    for (const segment of segments) {
      hash.update(segment.key);
      hash.update('\u0000');
      const digest = hash.copy().digest('hex');
      hashes.push(digest);
      total += segment.tokens;
      cumulative.push(total);
    }
    const breakpoints = segments.flatMap((segment, index) => (segment.breakpoint ? [index] : []));
    // Longest previously written prefix within the lookback window of some breakpoint.
    let readIndex = -1;
    for (const breakpoint of breakpoints) {
      for (let index = breakpoint; index >= 0 && index > breakpoint - this.#lookbackBlocks && index > readIndex; index--) {
        const expiry = this.#entries.get(hashes[index]!);
        if (expiry !== undefined && expiry > now) {
          readIndex = index;
          break;
        }
      }
    }
    const cacheRead = readIndex >= 0 ? cumulative[readIndex]! : 0;
    if (readIndex >= 0) {
      for (const breakpoint of breakpoints) {
        if (breakpoint <= readIndex && this.#entries.has(hashes[breakpoint]!)) this.#entries.set(hashes[breakpoint]!, now + segments[breakpoint]!.ttlMs);
      }
      this.#entries.set(hashes[readIndex]!, Math.max(this.#entries.get(hashes[readIndex]!) ?? 0, now + 5 * 60_000));
    }
    let cacheWriteEnd = -1;
    let oneHourEnd = -1;
    for (const breakpoint of breakpoints) {
      if (breakpoint <= readIndex || cumulative[breakpoint]! < this.#minCacheableTokens) continue;
      this.#entries.set(hashes[breakpoint]!, now + segments[breakpoint]!.ttlMs);
      cacheWriteEnd = breakpoint;
      if (segments[breakpoint]!.ttlMs > 5 * 60_000) oneHourEnd = breakpoint;
    }
    const cacheCreation = cacheWriteEnd >= 0 ? cumulative[cacheWriteEnd]! - cacheRead : 0;
    const oneHour = oneHourEnd >= 0 ? cumulative[oneHourEnd]! - cacheRead : 0;
    return {
      inputTokens: total - cacheRead - cacheCreation,
      cacheCreationInputTokens: cacheCreation,
      cacheReadInputTokens: cacheRead,
      cacheCreation1hInputTokens: oneHour,
    };
  }

  /** Drops every entry. */
  clear(): void {
    this.#entries.clear();
  }
}
