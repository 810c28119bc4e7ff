import type { LatencyPresetName } from '@codecall/anthropic/simulator';

/** Prices of one model, in US dollars per million tokens. */
export interface ModelPrices {
  /** Uncached input. */
  readonly inputPerMillionTokens: number;
  /** Output. */
  readonly outputPerMillionTokens: number;
  /** Input written to the prompt cache (5-minute TTL: 1.25x input). */
  readonly cacheWritePerMillionTokens: number;
  /** Input read from the prompt cache (0.1x input). */
  readonly cacheReadPerMillionTokens: number;
}

/** A model preset of the matrix: the model id, its simulated latency, its prices. */
export interface ModelPreset {
  /** `haiku`, `sonnet` or `opus`. */
  readonly id: LatencyPresetName & ('haiku' | 'sonnet' | 'opus');
  /** Model id sent to the API (`--live`) and to the simulator. */
  readonly model: string;
  /** Latency preset of the simulator (see @codecall/anthropic README, "Latency model"). */
  readonly latency: LatencyPresetName;
  /** Prices used for the cost columns. */
  readonly prices: ModelPrices;
  /** Shortest cacheable prompt prefix in tokens, as the simulator applies it (Anthropic docs, "Prompt caching": 4,096 for Haiku 4.5 and Opus 4.5, 1,024 for Sonnet 4.5/4.6). */
  readonly minCacheableTokens: number;
}

/**
 * Where the prices come from. Anthropic's published list prices (anthropic.com/pricing and the
 * "Pricing" page of the API docs) for the Claude 4.5 models as of late 2025, recalled, not fetched
 * by this benchmark: check them before quoting dollar figures.
 */
export const priceSource =
  "Anthropic list prices for claude-haiku-4-5 ($1/$5 per MTok), claude-sonnet-4-6 ($3/$15, the price of Sonnet 4.5, assumed unchanged), claude-opus-4-5 ($5/$25); 5-minute cache writes 1.25x input, cache reads 0.1x input (anthropic.com/pricing, late 2025, as recalled; check current prices).";

/** The presets, cheapest first. */
export const modelPresets: readonly ModelPreset[] = [
  {
    id: 'haiku',
    model: 'claude-haiku-4-5',
    latency: 'haiku',
    prices: { inputPerMillionTokens: 1, outputPerMillionTokens: 5, cacheWritePerMillionTokens: 1.25, cacheReadPerMillionTokens: 0.1 },
    minCacheableTokens: 4_096,
  },
  {
    id: 'sonnet',
    model: 'claude-sonnet-4-6',
    latency: 'sonnet',
    prices: { inputPerMillionTokens: 3, outputPerMillionTokens: 15, cacheWritePerMillionTokens: 3.75, cacheReadPerMillionTokens: 0.3 },
    minCacheableTokens: 1_024,
  },
  {
    id: 'opus',
    model: 'claude-opus-4-5',
    latency: 'opus',
    prices: { inputPerMillionTokens: 5, outputPerMillionTokens: 25, cacheWritePerMillionTokens: 6.25, cacheReadPerMillionTokens: 0.5 },
    minCacheableTokens: 4_096,
  },
];

/** Token usage of one run, as priced. */
export interface PricedUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheCreationInputTokens: number;
  readonly cacheReadInputTokens: number;
}

/** Dollar cost of a run's tokens at a preset's prices. */
export function tokenCostUsd(usage: PricedUsage, prices: ModelPrices): number {
  return (
    (usage.inputTokens * prices.inputPerMillionTokens +
      usage.outputTokens * prices.outputPerMillionTokens +
      usage.cacheCreationInputTokens * prices.cacheWritePerMillionTokens +
      usage.cacheReadInputTokens * prices.cacheReadPerMillionTokens) /
    1_000_000
  );
}

/** How sandbox time is priced, per sandbox kind. */
export const sandboxPricing = {
  /** Self-hosted sandboxes (isolated-vm, subprocess): host CPU time. */
  localPerVcpuHourUsd: 0.05,
  /** Self-hosted sandboxes: billed vCPU-seconds per code run (an assumption, see `sandboxCostUsd`). */
  localBilledSecondsPerRun: 1,
  /** Anthropic's hosted code execution (native mode): per container-hour, with a minimum billed time. */
  hostedPerContainerHourUsd: 0.05,
  /** Minimum billed time of a hosted container, in minutes. */
  hostedMinimumMinutes: 5,
  /** E2B: per vCPU-second, with the default 2 vCPUs. */
  e2bPerVcpuSecondUsd: 0.000014,
  /** E2B: per GiB-second of memory, with the default 0.5 GiB. */
  e2bPerGibSecondUsd: 0.0000045,
  /** Where these come from. */
  source:
    'Local sandboxes: ASSUMPTION of $0.05 per vCPU-hour (a cloud vCPU on demand), billed as one vCPU-second per code run (ASSUMPTION: per-second billing with a one-second minimum, far above the measured time of a warm run; so the cost depends on what the model did, not on how busy the machine was). Native: Anthropic code execution at $0.05 per container-hour with a 5-minute minimum per container (Anthropic pricing docs, as recalled; the monthly free allowance is ignored). E2B: $0.000014 per vCPU-second (2 vCPUs) + $0.0000045 per GiB-second (0.5 GiB), per started second (e2b.dev/pricing, as recalled). Check current prices.',
} as const;

/**
 * Dollar cost of sandbox time for a sandbox kind. A local code run is billed as one vCPU-second
 * (`localBilledSecondsPerRun`, an assumption: per-second billing with a one-second minimum; the
 * measured sandbox time, usually far below it, is reported beside the cost). That keeps the cost a
 * function of what the model did, not of how busy the benchmark machine was: reruns price the same.
 * E2B time is billed per started second of the measured time.
 */
export function sandboxCostUsd(kind: 'local' | 'hosted' | 'e2b' | 'none', sandboxTimeMs: number, codeRuns: number): number {
  switch (kind) {
    case 'none':
      return 0;
    case 'local':
      return ((codeRuns * sandboxPricing.localBilledSecondsPerRun) / 3_600) * sandboxPricing.localPerVcpuHourUsd;
    case 'hosted':
      return (Math.max(sandboxTimeMs, sandboxPricing.hostedMinimumMinutes * 60_000) / 3_600_000) * sandboxPricing.hostedPerContainerHourUsd;
    case 'e2b':
      return Math.ceil(sandboxTimeMs / 1000) * (2 * sandboxPricing.e2bPerVcpuSecondUsd + 0.5 * sandboxPricing.e2bPerGibSecondUsd);
  }
}
