import type { Message } from '@anthropic-ai/sdk/resources/messages';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';

/** Name of the OpenTelemetry tracer `@codecall/anthropic` creates its spans with. */
export const anthropicTracerName = '@codecall/anthropic';

function tracer(): ReturnType<typeof trace.getTracer> {
  return trace.getTracer(anthropicTracerName);
}

/** The span of one agent run and the context its children start in. @internal */
export interface AgentSpan {
  readonly span: Span;
  readonly context: Context;
}

/**
 * Starts the `invoke_agent` span of a run (GenAI semantic conventions) under the caller's active
 * span. A no-op span when no OpenTelemetry SDK is registered. @internal
 */
export function startAgentSpan(attributes: { readonly model: string; readonly mode: string; readonly runId: string; readonly resumed: boolean }): AgentSpan {
  const parent = context.active();
  const span = tracer().startSpan(
    'invoke_agent codecall',
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.system': 'anthropic',
        'gen_ai.agent.name': 'codecall',
        'gen_ai.request.model': attributes.model,
        'codecall.agent.mode': attributes.mode,
        'codecall.agent.run_id': attributes.runId,
        'codecall.agent.resumed': attributes.resumed,
      },
    },
    parent,
  );
  return { span, context: trace.setSpan(parent, span) };
}

/** Ends the agent span with the run's outcome. @internal */
export function endAgentSpan(agent: AgentSpan, outcome: { readonly status: string; readonly inputTokens: number; readonly outputTokens: number; readonly modelRoundTrips: number } | { readonly error: unknown }): void {
  const { span } = agent;
  if ('error' in outcome) {
    failSpan(span, outcome.error);
  } else if (span.isRecording()) {
    span.setAttributes({
      'codecall.agent.status': outcome.status,
      'gen_ai.usage.input_tokens': outcome.inputTokens,
      'gen_ai.usage.output_tokens': outcome.outputTokens,
      'codecall.agent.model_round_trips': outcome.modelRoundTrips,
    });
  }
  span.end();
}

/** Starts the `chat {model}` span of one Messages API request, a child of the agent span. @internal */
export function startModelSpan(agent: AgentSpan, request: { readonly model: string; readonly maxTokens: number; readonly turn: number }): AgentSpan {
  const span = tracer().startSpan(
    `chat ${request.model}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.system': 'anthropic',
        'gen_ai.request.model': request.model,
        'gen_ai.request.max_tokens': request.maxTokens,
        'codecall.agent.turn': request.turn,
      },
    },
    agent.context,
  );
  return { span, context: trace.setSpan(agent.context, span) };
}

/** Ends a model request span with the response's id, model, finish reason and token usage. @internal */
export function endModelSpan(model: AgentSpan, outcome: { readonly message: Message } | { readonly error: unknown }): void {
  const { span } = model;
  if ('error' in outcome) {
    failSpan(span, outcome.error);
  } else if (span.isRecording()) {
    const { message } = outcome;
    span.setAttributes({
      'gen_ai.response.id': message.id,
      'gen_ai.response.model': message.model,
      'gen_ai.response.finish_reasons': message.stop_reason === null ? [] : [message.stop_reason],
      'gen_ai.usage.input_tokens': message.usage.input_tokens,
      'gen_ai.usage.output_tokens': message.usage.output_tokens,
      'gen_ai.usage.cache_read.input_tokens': message.usage.cache_read_input_tokens ?? 0,
      'gen_ai.usage.cache_creation.input_tokens': message.usage.cache_creation_input_tokens ?? 0,
    });
  }
  span.end();
}

function failSpan(span: Span, error: unknown): void {
  const code = typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : error instanceof Error ? error.name : 'Error';
  span.setAttribute('error.type', code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (error instanceof Error ? error.message : String(error)).slice(0, 500) });
}

/** Runs `fn` with `span` active, so spans made inside (code runs, tool calls) nest under it. @internal */
export function withSpan<T>(span: AgentSpan, fn: () => T): T {
  return context.with(span.context, fn);
}
