import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Anthropic } from '@anthropic-ai/sdk';
import type { ClientOptions } from '@anthropic-ai/sdk';
import type { ContentBlock, Message, MessageParam, StopReason, Usage } from '@anthropic-ai/sdk/resources/messages';
import type { RunResult, SandboxLanguage, SandboxV1 } from '@codecall/core';
import { EmulatedContainer, EmulatedRun } from './emulated-container.js';
import { decodeMs, latencyPresets, prefillMs } from './latency-model.js';
import type { LatencyModel, LatencyPresetName } from './latency-model.js';
import type { PolicyBlock, PolicyTurn, SimulatorPolicy } from './policy.js';
import { blockText, isRecord, promptSegments, resultText, viewRequest, viewTools } from './request-view.js';
import type { JsonRecord, ToolView } from './request-view.js';
import { countTokens, PromptCache } from './token-accounting.js';
import type { PromptCacheSettings } from './token-accounting.js';

/** Header in which the simulator reports the modelled latency of a response, in milliseconds. */
export const simulatedTimeHeader = 'codecall-simulated-ms';

/** Default of `MessagesSimulatorSettings.nestedCallBatchWindowMs` (an assumption; see there). */
export const defaultNestedCallBatchWindowMs = 50;

/** An error the simulator returns for one request, e.g. to exercise the client's retries. */
export interface SimulatorFault {
  /** 1-based index of the `POST /v1/messages` request to fail (counting every attempt, retries included). */
  readonly request: number;
  /** HTTP status, e.g. 529 (overloaded), 429, 500, 400. */
  readonly status: number;
  /** API error type. Default from the status (`overloaded_error`, `rate_limit_error`, `api_error`, `invalid_request_error`). */
  readonly type?: string;
  /** Error message. */
  readonly message?: string;
}

/** Settings of `createMessagesSimulator`. */
export interface MessagesSimulatorSettings {
  /** Plays the model. Replace it later with `setPolicy` (e.g. one per scenario). */
  readonly policy: SimulatorPolicy;
  /** Latency model or preset name. Default `'instant'`. */
  readonly latency?: LatencyModel | LatencyPresetName;
  /** Factor applied to every modelled wait (0 = report latency without waiting). Default 1. */
  readonly timeScale?: number;
  /** Port on 127.0.0.1. Default 0 (any free port). */
  readonly port?: number;
  /**
   * Sandbox in which hosted code execution (native mode) is emulated; without it, requests with a
   * `code_execution_*` tool whose policy returns code fail with 400. A subprocess sandbox with
   * Python matches the real container best.
   */
  readonly sandbox?: SandboxV1;
  /** Language of emulated hosted code. Default `'python'` when the sandbox runs it, else `'javascript'`. */
  readonly nativeLanguage?: SandboxLanguage;
  /** Time limit of one emulated hosted code run, client round trips included, in milliseconds. Default 120,000. */
  readonly nativeTimeoutMs?: number;
  /**
   * Quiet time after a nested call before the batch of calls is returned, in milliseconds. Default
   * 50 (enough for calls started together on a loaded machine; each batch adds it to the response's
   * wall time, not to its modelled latency). ASSUMPTION: Anthropic does not publish how hosted code's
   * nested calls are batched; here calls a program starts together go back in one response, and a
   * call started later than this after the previous one in the next.
   */
  readonly nestedCallBatchWindowMs?: number;
  /** Lifetime of an emulated container, in milliseconds. Default 30 minutes. */
  readonly containerLifetimeMs?: number;
  /** Name of the code tool; default: the client tool whose input schema is exactly `{ code: string }`. */
  readonly codeToolName?: string;
  /** Prompt cache settings (minimum cacheable prefix, lookback). */
  readonly cache?: PromptCacheSettings;
  /**
   * Tokens of the system prompt the API adds when tools are present. Default 346: the figure
   * Anthropic's tool-use pricing table gives for Claude 4-class models with `tool_choice` auto.
   */
  readonly toolUseSystemPromptTokens?: number;
  /**
   * Tokens a tool call block (`tool_use`, `server_tool_use`) costs beyond its name and JSON input:
   * the call syntax the model writes, counted in output when generated and in input when read
   * back. Default 0 (the block's text only). The benchmark derives 43 from Anthropic's cookbook run
   * (see apps/bench/src/behaviour-model.ts).
   */
  readonly toolUseOverheadTokens?: number;
  /**
   * Input tokens a `code_execution_*` tool adds to every request that offers it (the definitions and
   * instructions the API injects), in place of its few bytes of JSON. Default 2,275: a first request
   * of Anthropic's cookbook "Programmatic tool calling" run was 4,134 input tokens with the tool and
   * 1,859 without it, same message and tools.
   */
  readonly codeExecutionToolTokens?: number;
  /**
   * Modelled time of a response that only carries further nested calls of hosted code (the model is
   * not consulted: 0 input and 0 output tokens, as the real API reports), in milliseconds. It is
   * still a round trip. Default: the latency model's `timeToFirstTokenMs` (an assumption).
   */
  readonly continuationLatencyMs?: number;
  /** Errors to return for given requests. */
  readonly faults?: readonly SimulatorFault[];
  /** When set, requests must carry this `x-api-key` (else 401). Default: any key. */
  readonly apiKey?: string;
  /** Policy calls allowed in one response (native mode consults the policy again after code finishes). Default 8. */
  readonly maxPolicyCallsPerResponse?: number;
}

/** One request the simulator answered, for assertions. */
export interface SimulatorExchange {
  /** 1-based index among `POST /v1/messages` requests. */
  readonly index: number;
  /** Whether the response was streamed (SSE). */
  readonly stream: boolean;
  /** The request body. */
  readonly body: JsonRecord;
  /** HTTP status of the response. */
  readonly status: number;
  /** The message returned (success only). */
  readonly message: Message | undefined;
  /** Error type and message (failures only). */
  readonly error: { readonly type: string; readonly message: string } | undefined;
  /** Modelled latency in milliseconds (before `timeScale`). */
  readonly simulatedMs: number;
  /** How many times the policy was consulted for this response (0 when hosted code only made more calls). */
  readonly policyCalls: number;
}

/** A running simulator. */
export interface MessagesSimulator {
  /** Base URL for the client's `baseURL`, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Every `POST /v1/messages` exchange so far, in order. */
  readonly exchanges: readonly SimulatorExchange[];
  /** Replaces the policy (e.g. for the next scenario). */
  setPolicy(policy: SimulatorPolicy): void;
  /** Forgets exchanges, the prompt cache and emulated containers. */
  reset(): void;
  /** An official client pointed at the simulator (`maxRetries` 2 unless given). */
  createClient(options?: ClientOptions): Anthropic;
  /** Stops the server and every emulated run. */
  close(): Promise<void>;
  /** Same as `close`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

function errorTypeOf(status: number): string {
  if (status === 400) return 'invalid_request_error';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 529) return 'overloaded_error';
  return 'api_error';
}

function newId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('base64url')}`;
}

function normalizeTurn(turn: PolicyTurn): { blocks: readonly PolicyBlock[]; stopReason: StopReason | undefined } {
  if (typeof turn === 'string') return { blocks: [{ type: 'text', text: turn }], stopReason: undefined };
  if (Array.isArray(turn)) return { blocks: turn as readonly PolicyBlock[], stopReason: undefined };
  const object = turn as { content: readonly PolicyBlock[]; stopReason?: StopReason };
  return { blocks: object.content, stopReason: object.stopReason };
}

function blocksOf(content: MessageParam['content']): JsonRecord[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return (content as unknown[]).filter(isRecord);
}

function validate(body: JsonRecord): MessageParam[] {
  if (typeof body.model !== 'string' || body.model === '') throw new RequestError(400, 'invalid_request_error', 'model: Field required');
  if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens) || body.max_tokens < 1) {
    throw new RequestError(400, 'invalid_request_error', 'max_tokens: Field required (a positive integer)');
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) throw new RequestError(400, 'invalid_request_error', 'messages: at least one message is required');
  const messages = body.messages as MessageParam[];
  for (const [index, message] of messages.entries()) {
    if (!isRecord(message) || (message.role !== 'user' && message.role !== 'assistant')) {
      throw new RequestError(400, 'invalid_request_error', `messages.${index}.role: Input should be 'user' or 'assistant'`);
    }
    if (typeof message.content !== 'string' && !Array.isArray(message.content)) {
      throw new RequestError(400, 'invalid_request_error', `messages.${index}.content: Input should be a string or a list of content blocks`);
    }
  }
  if (messages[0]?.role !== 'user') throw new RequestError(400, 'invalid_request_error', 'messages: the first message must use the "user" role');
  // Every tool_use of an assistant turn needs a tool_result in the next user message, as the API requires.
  for (let index = 0; index < messages.length - 1; index++) {
    const message = messages[index]!;
    if (message.role !== 'assistant') continue;
    const ids = blocksOf(message.content).filter((block) => block.type === 'tool_use').map((block) => String(block.id));
    if (ids.length === 0) continue;
    const next = messages[index + 1]!;
    const answered = new Set(blocksOf(next.content).filter((block) => block.type === 'tool_result').map((block) => String(block.tool_use_id)));
    const missing = ids.filter((id) => !answered.has(id));
    if (next.role !== 'user' || missing.length > 0) {
      throw new RequestError(400, 'invalid_request_error', `messages.${index + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`);
    }
  }
  return messages;
}

interface Generated {
  readonly content: ContentBlock[];
  readonly stopReason: StopReason;
  readonly policyCalls: number;
  readonly outputTokens: number;
  /** Tokens of hosted code results the model read while continuing in the same response. */
  readonly extraInputTokens: number;
  readonly container: EmulatedContainer | undefined;
}

/**
 * Starts a loopback HTTP server that implements the Messages API (`POST /v1/messages`, JSON and
 * SSE, and `POST /v1/messages/count_tokens`) well enough for the official `@anthropic-ai/sdk`
 * client, with a policy playing the model, token usage from a stated tokenizer, a prompt cache,
 * a latency model, and an emulation of hosted code execution with programmatic tool calling.
 *
 * @example
 * ```ts
 * await using simulator = await createMessagesSimulator({ policy, latency: 'sonnet', timeScale: 0 });
 * const client = simulator.createClient();
 * const result = await runAgent({ client, model: 'claude-sonnet-4-6', tools, mode: 'parallel', prompt });
 * ```
 */
export async function createMessagesSimulator(settings: MessagesSimulatorSettings): Promise<MessagesSimulator> {
  let policy = settings.policy;
  const latency: LatencyModel = typeof settings.latency === 'string' ? latencyPresets[settings.latency] : (settings.latency ?? latencyPresets.instant);
  if (latency === undefined) throw new TypeError(`Unknown latency preset ${JSON.stringify(settings.latency)}; use ${Object.keys(latencyPresets).join(', ')}.`);
  const timeScale = settings.timeScale ?? 1;
  const sandbox = settings.sandbox;
  const nativeLanguage: SandboxLanguage = settings.nativeLanguage ?? (sandbox?.capabilities.languages.includes('python') === true ? 'python' : 'javascript');
  const toolUseSystemPromptTokens = settings.toolUseSystemPromptTokens ?? 346;
  const toolUseOverheadTokens = settings.toolUseOverheadTokens ?? 0;
  const promptOptions = { toolUseSystemPromptTokens, toolUseOverheadTokens, codeExecutionToolTokens: settings.codeExecutionToolTokens ?? 2_275 };
  const continuationLatencyMs = settings.continuationLatencyMs ?? latency.timeToFirstTokenMs;
  const maxPolicyCalls = settings.maxPolicyCallsPerResponse ?? 8;
  let cache = new PromptCache(settings.cache);
  const containers = new Map<string, EmulatedContainer>();
  const exchanges: SimulatorExchange[] = [];
  let requestCount = 0;
  const openResponses = new Set<ServerResponse>();

  function containerFor(body: JsonRecord): EmulatedContainer | undefined {
    const id = typeof body.container === 'string' ? body.container : isRecord(body.container) && typeof body.container.id === 'string' ? body.container.id : undefined;
    if (id === undefined) return undefined;
    const container = containers.get(id);
    if (container === undefined || container.expiresAt < Date.now()) throw new RequestError(400, 'invalid_request_error', `container: container ${id} was not found or has expired`);
    return container;
  }

  async function generate(body: JsonRecord, messages: MessageParam[], tools: ToolView): Promise<Generated> {
    let container = containerFor(body);
    if (container === undefined) requireContainerForNestedResults(messages);
    const content: ContentBlock[] = [];
    let run: EmulatedRun | undefined;

    // A reply to pending nested calls resumes the code instead of consulting the model.
    const last = messages[messages.length - 1]!;
    if (container?.hasPendingCalls === true && last.role === 'user') {
      const blocks = blocksOf(last.content);
      if (blocks.some((block) => block.type !== 'tool_result')) {
        throw new RequestError(400, 'invalid_request_error', 'messages: when responding to tool calls from code execution, the user message must contain only `tool_result` blocks');
      }
      for (const block of blocks) {
        if (isRecord(block.content) || (Array.isArray(block.content) && block.content.some((part) => !isRecord(part) || part.type !== 'text'))) {
          throw new RequestError(400, 'invalid_request_error', 'messages: results of tool calls from code execution must be text');
        }
        const id = String(block.tool_use_id);
        const owner = container.runWaitingOn(id);
        if (owner === undefined) continue;
        owner.answer(id, resultText(block.content), block.is_error === true);
        run = owner;
      }
      if (run === undefined) throw new RequestError(400, 'invalid_request_error', 'messages: the tool_result blocks answer no pending tool call of the container');
      if (run.deliveredPendingIds.length > 0) {
        throw new RequestError(400, 'invalid_request_error', `messages: tool calls from code execution are still pending without tool_result: ${run.deliveredPendingIds.join(', ')}`);
      }
    }

    let policyCalls = 0;
    let outputTokens = 0;
    let extraInputTokens = 0;
    let stopReason: StopReason = 'end_turn';
    for (;;) {
      if (run !== undefined) {
        const progress = await run.progress();
        if (progress.type === 'calls') {
          for (const call of progress.calls) {
            content.push({ type: 'tool_use', id: call.id, name: call.name, input: call.input, caller: { type: tools.codeExecution!.type as 'code_execution_20260120', tool_id: run.id } });
          }
          stopReason = 'tool_use';
          break;
        }
        const result = executionResult(run.id, progress.result);
        content.push(result);
        extraInputTokens += countTokens(blockText(result as unknown as JsonRecord));
        run = undefined;
      }
      if (policyCalls >= maxPolicyCalls) throw new RequestError(500, 'api_error', `simulator: the policy was consulted ${maxPolicyCalls} times for one response (maxPolicyCallsPerResponse)`);
      const partial: MessageParam[] = content.length === 0 ? messages : [...messages, { role: 'assistant', content: content as unknown as MessageParam['content'] }];
      let turn: PolicyTurn;
      try {
        turn = await policy(viewRequest(body, partial, tools));
      } catch (error) {
        throw new RequestError(500, 'api_error', `simulator policy failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      policyCalls++;
      const { blocks, stopReason: explicit } = normalizeTurn(turn);
      const parallelToolUse = viewRequest(body, messages, tools).parallelToolUse;
      let directCalls = 0;
      for (const block of blocks) {
        if (block.type === 'text') {
          content.push({ type: 'text', text: block.text, citations: null });
          outputTokens += countTokens(block.text);
        } else if (block.type === 'tool_use') {
          const tool = tools.tools.find((candidate) => candidate.name === block.name && candidate.type === 'custom');
          if (tool === undefined) throw new RequestError(500, 'api_error', `simulator policy error: tool_use of ${block.name}, which the request does not offer`);
          if (!tool.allowedCallers.includes('direct')) throw new RequestError(500, 'api_error', `simulator policy error: tool_use of ${block.name}, whose allowed_callers exclude direct calls`);
          // The API emits at most one tool_use per turn with disable_parallel_tool_use.
          if (!parallelToolUse && directCalls > 0) continue;
          directCalls++;
          const input = block.input ?? {};
          content.push({ type: 'tool_use', id: block.id ?? newId('toolu_'), name: block.name, input, caller: { type: 'direct' } });
          outputTokens += countTokens(`${block.name} ${JSON.stringify(input)}`) + toolUseOverheadTokens;
        } else {
          const viaExecution = block.via === 'code_execution' || (block.via === undefined && tools.codeTool === undefined);
          if (!viaExecution) {
            if (tools.codeTool === undefined) throw new RequestError(500, 'api_error', 'simulator policy error: code for the code tool, but the request offers no code tool');
            if (!parallelToolUse && directCalls > 0) continue;
            directCalls++;
            content.push({ type: 'tool_use', id: newId('toolu_'), name: tools.codeTool.name, input: { code: block.code }, caller: { type: 'direct' } });
            outputTokens += countTokens(`${tools.codeTool.name} ${JSON.stringify({ code: block.code })}`) + toolUseOverheadTokens;
            continue;
          }
          if (tools.codeExecution === undefined) throw new RequestError(500, 'api_error', 'simulator policy error: code for hosted code execution, but the request offers no code_execution tool');
          if (sandbox === undefined) {
            throw new RequestError(400, 'invalid_request_error', 'simulator: hosted code execution is emulated in a local sandbox; pass `sandbox` in the simulator settings');
          }
          container ??= (() => {
            const created = new EmulatedContainer(settings.containerLifetimeMs ?? 30 * 60_000);
            containers.set(created.id, created);
            return created;
          })();
          const callable = tools.tools.filter((tool) => tools.codeExecution!.callableTools.includes(tool.name));
          run = new EmulatedRun({
            sandbox,
            language: nativeLanguage,
            code: block.code,
            tools: callable,
            timeoutMs: settings.nativeTimeoutMs ?? 120_000,
            batchWindowMs: settings.nestedCallBatchWindowMs ?? defaultNestedCallBatchWindowMs,
          });
          container.runs.set(run.id, run);
          content.push({ type: 'server_tool_use', id: run.id, name: 'code_execution', input: { code: block.code }, caller: { type: 'direct' } });
          outputTokens += countTokens(`code_execution ${JSON.stringify({ code: block.code })}`) + toolUseOverheadTokens;
          // What follows the code in the policy's turn is dropped: the model continues after the result.
          break;
        }
      }
      if (run !== undefined) continue;
      stopReason = explicit ?? (directCalls > 0 ? 'tool_use' : 'end_turn');
      break;
    }
    return { content, stopReason, policyCalls, outputTokens, extraInputTokens, container };
  }

  async function handleMessages(body: JsonRecord, response: ServerResponse, index: number): Promise<SimulatorExchange> {
    const stream = body.stream === true;
    const messages = validate(body);
    const tools = viewTools(body, { codeToolName: settings.codeToolName, nativeLanguage });
    const generated = await generate(body, messages, tools);
    let input = { inputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0, cacheCreation1hInputTokens: 0 };
    // The model reads the prompt only when consulted; resuming hosted code after tool results does not.
    if (generated.policyCalls > 0) input = cache.account(promptSegments(body, messages, promptOptions));
    const inputTokens = input.inputTokens + generated.extraInputTokens;
    const usage: Usage = {
      input_tokens: inputTokens,
      output_tokens: generated.outputTokens,
      cache_creation_input_tokens: input.cacheCreationInputTokens,
      cache_read_input_tokens: input.cacheReadInputTokens,
      cache_creation: { ephemeral_5m_input_tokens: input.cacheCreationInputTokens - input.cacheCreation1hInputTokens, ephemeral_1h_input_tokens: input.cacheCreation1hInputTokens },
      inference_geo: null,
      output_tokens_details: null,
      server_tool_use: null,
      service_tier: 'standard',
      speed: null,
    };
    const container = generated.container;
    const message: Message = {
      id: newId('msg_'),
      type: 'message',
      role: 'assistant',
      model: String(body.model),
      content: generated.content,
      stop_reason: generated.stopReason,
      stop_sequence: null,
      stop_details: null,
      container: container === undefined ? null : { id: container.id, expires_at: new Date(container.expiresAt).toISOString(), skills: null },
      diagnostics: null,
      usage,
    };
    // A response that only resumes hosted code is still a round trip, without prefill or output.
    const prefill = generated.policyCalls > 0 ? prefillMs(latency, { uncachedInputTokens: inputTokens + input.cacheCreationInputTokens, cachedInputTokens: input.cacheReadInputTokens }) : continuationLatencyMs;
    const decode = decodeMs(latency, generated.outputTokens);
    const simulatedMs = prefill + decode;
    const headers = { 'request-id': newId('req_'), [simulatedTimeHeader]: simulatedMs.toFixed(3) };
    if (stream) await sendStream(response, message, headers, prefill * timeScale, decode * timeScale);
    else {
      await wait(simulatedMs * timeScale, response);
      sendJson(response, 200, message, headers);
    }
    return { index, stream, body, status: 200, message, error: undefined, simulatedMs, policyCalls: generated.policyCalls };
  }

  function countTokensResponse(body: JsonRecord): { input_tokens: number } {
    const messages = validateForCount(body);
    return { input_tokens: promptSegments(body, messages, promptOptions).reduce((sum, segment) => sum + segment.tokens, 0) };
  }

  function validateForCount(body: JsonRecord): MessageParam[] {
    if (typeof body.model !== 'string') throw new RequestError(400, 'invalid_request_error', 'model: Field required');
    if (!Array.isArray(body.messages)) throw new RequestError(400, 'invalid_request_error', 'messages: Field required');
    return body.messages as MessageParam[];
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    openResponses.add(response);
    response.on('close', () => openResponses.delete(response));
    const path = (request.url ?? '').split('?')[0];
    let index = 0;
    let body: JsonRecord = {};
    try {
      if (request.method !== 'POST' || (path !== '/v1/messages' && path !== '/v1/messages/count_tokens')) {
        throw new RequestError(404, 'not_found_error', `simulator: ${request.method ?? ''} ${path ?? ''} is not implemented (only POST /v1/messages and /v1/messages/count_tokens)`);
      }
      if (settings.apiKey !== undefined && request.headers['x-api-key'] !== settings.apiKey) {
        throw new RequestError(401, 'authentication_error', 'invalid x-api-key');
      }
      const text = await readBody(request);
      try {
        const parsed: unknown = JSON.parse(text);
        if (!isRecord(parsed)) throw new Error('not an object');
        body = parsed;
      } catch {
        throw new RequestError(400, 'invalid_request_error', 'The request body is not valid JSON.');
      }
      if (path === '/v1/messages/count_tokens') {
        sendJson(response, 200, countTokensResponse(body), { 'request-id': newId('req_') });
        return;
      }
      index = ++requestCount;
      const fault = settings.faults?.find((candidate) => candidate.request === index);
      if (fault !== undefined) throw new RequestError(fault.status, fault.type ?? errorTypeOf(fault.status), fault.message ?? `simulated ${fault.status} error`);
      exchanges.push(await handleMessages(body, response, index));
    } catch (error) {
      const failure = error instanceof RequestError ? error : new RequestError(500, 'api_error', `simulator: ${error instanceof Error ? error.message : String(error)}`);
      if (index > 0) exchanges.push({ index, stream: body.stream === true, body, status: failure.status, message: undefined, error: { type: failure.type, message: failure.message }, simulatedMs: 0, policyCalls: 0 });
      if (response.headersSent) {
        response.end();
        return;
      }
      const requestId = newId('req_');
      const headers: Record<string, string> = { 'request-id': requestId, 'retry-after-ms': '1' };
      // Policy bugs must fail fast rather than be retried.
      if (failure.status === 500 && failure.message.includes('policy')) headers['x-should-retry'] = 'false';
      sendJson(response, failure.status, { type: 'error', error: { type: failure.type, message: failure.message }, request_id: requestId }, headers);
    }
  }

  const server: Server = createServer((request, response) => {
    void handle(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  async function close(): Promise<void> {
    for (const container of containers.values()) container.close();
    containers.clear();
    for (const response of openResponses) response.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  return {
    url,
    exchanges,
    setPolicy(next) {
      policy = next;
    },
    reset() {
      exchanges.length = 0;
      requestCount = 0;
      cache = new PromptCache(settings.cache);
      for (const container of containers.values()) container.close();
      containers.clear();
    },
    createClient(options = {}) {
      return new Anthropic({ apiKey: settings.apiKey ?? 'simulator-key', maxRetries: 2, ...options, baseURL: url });
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The API rejects results of nested calls of hosted code sent without the container that runs the code. */
function requireContainerForNestedResults(messages: readonly MessageParam[]): void {
  const lastAssistant = [...messages].reverse().find((message) => message.role === 'assistant');
  const last = messages[messages.length - 1];
  if (lastAssistant === undefined || last?.role !== 'user') return;
  const nested = new Set(
    blocksOf(lastAssistant.content)
      .filter((block) => block.type === 'tool_use' && isRecord(block.caller) && block.caller.type !== 'direct')
      .map((block) => String(block.id)),
  );
  if (nested.size === 0) return;
  const answersNested = blocksOf(last.content).some((block) => block.type === 'tool_result' && nested.has(String(block.tool_use_id)));
  if (answersNested) {
    throw new RequestError(400, 'invalid_request_error', 'container: the `container` parameter is required when responding to tool calls made from code execution; pass the container id from the previous response.');
  }
}

function executionResult(id: string, result: RunResult): ContentBlock {
  let stderr = result.stderr;
  if (result.type === 'error') {
    const { error } = result;
    const where = error.line === undefined ? '' : ` (line ${error.line})`;
    stderr = `${stderr}${stderr === '' || stderr.endsWith('\n') ? '' : '\n'}${error.name}: ${error.message}${where}\n`;
  }
  return { type: 'code_execution_tool_result', tool_use_id: id, content: { type: 'code_execution_result', stdout: result.stdout, stderr, return_code: result.type === 'error' ? 1 : 0, content: [] } };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 32 * 1024 * 1024) throw new RequestError(413, 'request_too_large', 'Request exceeds the maximum allowed number of bytes (32 MB).');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(response: ServerResponse, status: number, value: unknown, headers: Record<string, string>): void {
  const text = JSON.stringify(value);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

async function wait(ms: number, response: ServerResponse): Promise<void> {
  if (ms < 0.5 || response.destroyed) return;
  // Stop waiting when the client goes away (aborted request, closed simulator).
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  response.once('close', stop);
  try {
    await sleep(ms, undefined, { signal: controller.signal });
  } catch {
    // Aborted: the caller sees a destroyed response and stops writing.
  } finally {
    response.off('close', stop);
  }
}

function chunks(text: string, size: number): string[] {
  const parts: string[] = [];
  for (let start = 0; start < text.length; start += size) parts.push(text.slice(start, start + size));
  return parts;
}

/** Sends a message as the API's SSE stream: message_start, ping, content blocks, message_delta, message_stop. */
async function sendStream(response: ServerResponse, message: Message, headers: Record<string, string>, prefillWaitMs: number, decodeWaitMs: number): Promise<void> {
  await wait(prefillWaitMs, response);
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
  const send = (event: string, data: unknown): void => {
    if (!response.destroyed) response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const { content, usage } = message;
  send('message_start', {
    type: 'message_start',
    message: { ...message, content: [], stop_reason: null, stop_sequence: null, stop_details: null, container: null, usage: { ...usage, output_tokens: Math.min(1, usage.output_tokens) } },
  });
  send('ping', { type: 'ping' });
  // Pace deltas by their share of the output tokens.
  const generatedText = content.map((block) => (block.type === 'text' ? block.text : block.type === 'tool_use' || block.type === 'server_tool_use' ? JSON.stringify(block.input) : '')).join('');
  const msPerChar = generatedText.length === 0 ? 0 : decodeWaitMs / generatedText.length;
  let debtMs = 0;
  const pace = async (characters: number): Promise<void> => {
    debtMs += characters * msPerChar;
    if (debtMs >= 4) {
      const ms = debtMs;
      debtMs = 0;
      await wait(ms, response);
    }
  };
  for (const [index, block] of content.entries()) {
    if (block.type === 'text') {
      send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '', citations: null } });
      for (const piece of chunks(block.text, 24)) {
        send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
        await pace(piece.length);
      }
    } else if (block.type === 'tool_use' || block.type === 'server_tool_use') {
      send('content_block_start', { type: 'content_block_start', index, content_block: { ...block, input: {} } });
      const json = JSON.stringify(block.input);
      send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } });
      for (const piece of chunks(json, 48)) {
        send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } });
        await pace(piece.length);
      }
    } else {
      send('content_block_start', { type: 'content_block_start', index, content_block: block });
    }
    send('content_block_stop', { type: 'content_block_stop', index });
  }
  await wait(debtMs, response);
  send('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: message.stop_reason, stop_sequence: null, stop_details: null, container: message.container },
    usage: {
      input_tokens: usage.input_tokens,
      output_tokens: usage.output_tokens,
      cache_creation_input_tokens: usage.cache_creation_input_tokens,
      cache_read_input_tokens: usage.cache_read_input_tokens,
      server_tool_use: null,
      output_tokens_details: null,
    },
  });
  send('message_stop', { type: 'message_stop' });
  response.end();
}
