/**
 * How long the simulated model takes to answer:
 * `timeToFirstTokenMs + uncachedInputTokens / inputTokensPerSecond
 *  + cachedInputTokens / cachedInputTokensPerSecond + outputTokens / outputTokensPerSecond`.
 * The simulator waits that long (times its `timeScale`) and reports it in the
 * `codecall-simulated-ms` response header.
 */
export interface LatencyModel {
  /** Name of the preset. */
  readonly name: string;
  /** Fixed time before the first output token (queueing, network, first decode step), in milliseconds. */
  readonly timeToFirstTokenMs: number;
  /** Prefill speed for input tokens not read from the cache, in tokens per second. */
  readonly inputTokensPerSecond: number;
  /** Prefill speed for input tokens read from the cache, in tokens per second. */
  readonly cachedInputTokensPerSecond: number;
  /** Decode speed, in output tokens per second. */
  readonly outputTokensPerSecond: number;
  /** Where the numbers come from, and which are assumptions. */
  readonly source: string;
}

const aaSonnetOpus =
  'Artificial Analysis measurements via the Anthropic API as quoted by lattice.uptownhr.com/claude-opus-4-5/speed-analysis (Nov 2025)';
const aaHaiku = 'Artificial Analysis measurements via the Anthropic API as quoted by shadabchow.com/blogs/ai-models/claude-4-5-haiku-reasoning (late 2025)';
const cookbookRun = 'the Anthropic cookbook "Programmatic tool calling" run of claude-sonnet-4-5 (Nov 2025; figures in shared/calibration/README.md)';
const prefillAssumption =
  'ASSUMPTION (no public source): the prefill rates for uncached input, and cached input 10x faster (Anthropic prices cache reads at 0.1x of base input, taken as a proxy for their cost).';

/** Name of a latency preset. */
export type LatencyPresetName = 'instant' | 'haiku' | 'sonnet' | 'opus';

/**
 * Latency presets. Haiku-, Sonnet- and Opus-class numbers are approximations of public
 * third-party measurements (output speed, time to first token) plus stated assumptions (prefill);
 * `instant` is for tests.
 */
export const latencyPresets: Readonly<Record<LatencyPresetName, LatencyModel>> = {
  /** No delay at all: for tests. */
  instant: {
    name: 'instant',
    timeToFirstTokenMs: 0,
    inputTokensPerSecond: Number.POSITIVE_INFINITY,
    cachedInputTokensPerSecond: Number.POSITIVE_INFINITY,
    outputTokensPerSecond: Number.POSITIVE_INFINITY,
    source: 'Zero latency, for tests.',
  },
  /** Haiku-class (claude-haiku-4-5): low time to first token. */
  haiku: {
    name: 'haiku',
    timeToFirstTokenMs: 480,
    inputTokensPerSecond: 40_000,
    cachedInputTokensPerSecond: 400_000,
    outputTokensPerSecond: 53,
    source: `TTFT 0.48 s and 53 output tokens/s for claude-haiku-4-5: ${aaHaiku}. ${prefillAssumption}`,
  },
  /** Sonnet-class (claude-sonnet-4-5). */
  sonnet: {
    name: 'sonnet',
    timeToFirstTokenMs: 1_800,
    inputTokensPerSecond: 20_000,
    cachedInputTokensPerSecond: 200_000,
    outputTokensPerSecond: 83,
    source: `TTFT 1.80 s for claude-sonnet-4-5: ${aaSonnetOpus}. ASSUMPTION: claude-sonnet-4-6, which the benchmark's sonnet preset sends, runs at Sonnet 4.5's speed. Output speed CALIBRATED to ${cookbookRun}: its classic run took 35.38 s for 4 requests, 108,609 input and 1,864 output tokens; less 4 x 1.80 s to first token, 108,609 tokens of prefill at the assumed rate (5.43 s) and 3 waves of tool calls at 100 ms, 22.45 s remain for 1,864 tokens: 83 tokens/s (the same third-party source measured 63 tokens/s, which cannot fit the run: at 63 tokens/s its output alone takes 29.6 s, leaving 5.8 s for four first tokens and ~109,000 tokens of prefill). ${prefillAssumption}`,
  },
  /** Opus-class (measured on claude-opus-4-1). */
  opus: {
    name: 'opus',
    timeToFirstTokenMs: 2_670,
    inputTokensPerSecond: 10_000,
    cachedInputTokensPerSecond: 100_000,
    outputTokensPerSecond: 45,
    source: `TTFT 2.67 s and 45 output tokens/s for claude-opus-4-1 (Opus 4.5 was not yet measured there): ${aaSonnetOpus}. ASSUMPTION: claude-opus-4-5, which the benchmark's opus preset sends, runs at Opus 4.1's speed. ${prefillAssumption}`,
  },
};

/** Token counts the latency of one response depends on. */
export interface LatencyInput {
  /** Input tokens not read from the cache (written ones included). */
  readonly uncachedInputTokens: number;
  /** Input tokens read from the cache. */
  readonly cachedInputTokens: number;
  /** Output tokens. */
  readonly outputTokens: number;
}

function perSecond(tokens: number, rate: number): number {
  return tokens === 0 || rate === Number.POSITIVE_INFINITY ? 0 : (tokens / rate) * 1_000;
}

/** Time to the first output token in milliseconds: fixed part plus prefill. */
export function prefillMs(model: LatencyModel, input: Omit<LatencyInput, 'outputTokens'>): number {
  return model.timeToFirstTokenMs + perSecond(input.uncachedInputTokens, model.inputTokensPerSecond) + perSecond(input.cachedInputTokens, model.cachedInputTokensPerSecond);
}

/** Time to generate `outputTokens` in milliseconds. */
export function decodeMs(model: LatencyModel, outputTokens: number): number {
  return perSecond(outputTokens, model.outputTokensPerSecond);
}

/** Total modelled time of one response in milliseconds. */
export function responseLatencyMs(model: LatencyModel, input: LatencyInput): number {
  return prefillMs(model, input) + decodeMs(model, input.outputTokens);
}
