import { SpanKind, SpanStatusCode, TraceFlags, context, isSpanContextValid, trace } from '@opentelemetry/api';
import type { Attributes, Context, Span } from '@opentelemetry/api';

/** Name of the OpenTelemetry tracer `@codecall/core` creates its spans with. */
export const coreTracerName = '@codecall/core';

/**
 * Span attribute keys codecall sets, beside the GenAI semantic conventions' `gen_ai.*` keys and
 * `error.type`. Stable: filter on them.
 */
export const codecallAttributes: {
  readonly executionId: 'codecall.execution.id';
  readonly sandboxId: 'codecall.sandbox.id';
  readonly language: 'codecall.code.language';
  readonly errorCode: 'codecall.error.code';
  readonly toolCalls: 'codecall.run.tool_calls';
  readonly outputTruncated: 'codecall.run.output_truncated';
  readonly approval: 'codecall.tool.approval';
} = Object.freeze({
  /** Id of a code run (`RunResult.executionId`). */
  executionId: 'codecall.execution.id',
  /** `SandboxV1.sandboxId` of the run's sandbox. */
  sandboxId: 'codecall.sandbox.id',
  /** Language of the code: `javascript`, `typescript` or `python`. */
  language: 'codecall.code.language',
  /** `RunErrorCode` of a failed run, or `ToolErrorCode` of a failed call (also in `error.type`). */
  errorCode: 'codecall.error.code',
  /** Tool calls a run made. */
  toolCalls: 'codecall.run.tool_calls',
  /** Whether a run's output was truncated at `maxOutputBytes`. */
  outputTruncated: 'codecall.run.output_truncated',
  /** `approved` or `denied`, when a call needed approval. */
  approval: 'codecall.tool.approval',
} as const);

// The tracer of the current global provider. Asking the API for it on every run cost a new proxy
// tracer each time; a provider registered later (or after trace.disable()) is a new provider, so
// the cache follows it.
let cachedProvider: ReturnType<typeof trace.getTracerProvider> | undefined;
let cachedTracer: ReturnType<typeof trace.getTracer> | undefined;

function tracer(): ReturnType<typeof trace.getTracer> {
  const provider = trace.getTracerProvider();
  if (provider !== cachedProvider || cachedTracer === undefined) {
    cachedProvider = provider;
    cachedTracer = provider.getTracer(coreTracerName);
  }
  return cachedTracer;
}

/**
 * Starts a span under `parent`. With no OpenTelemetry SDK registered this is the API's no-op
 * (a non-recording span), so callers pay one allocation per run and nothing per call.
 * @internal
 */
export function startSpan(name: string, attributes: Attributes, parent: Context, kind: SpanKind = SpanKind.INTERNAL): Span {
  return tracer().startSpan(name, { kind, attributes }, parent);
}

/**
 * The context to create child spans in when the span active in `parent` is part of a sampled trace
 * (it records, or it ended but was sampled, e.g. a model request whose tool calls run after its
 * response), else `undefined` (no SDK, or a sampled-out trace): per-call spans are only made then.
 * @internal
 */
export function recordingContext(parent: Context | undefined): Context | undefined {
  const active = parent ?? context.active();
  const span = trace.getSpan(active);
  if (span === undefined) return undefined;
  if (span.isRecording()) return active;
  const spanContext = span.spanContext();
  return isSpanContextValid(spanContext) && (spanContext.traceFlags & TraceFlags.SAMPLED) !== 0 ? active : undefined;
}

/** Ends `span`, marking it failed with `errorCode` (`error.type`) when given. @internal */
export function endSpan(span: Span, errorCode?: string, message?: string): void {
  if (errorCode !== undefined) {
    span.setAttribute('error.type', errorCode);
    span.setAttribute(codecallAttributes.errorCode, errorCode);
    span.setStatus(message === undefined ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.ERROR, message: message.slice(0, 500) });
  }
  span.end();
}

export { SpanKind, context as otelContext, trace as otelTrace };
export type { Context as OtelContext, Span as OtelSpan };
