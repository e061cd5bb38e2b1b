/**
 * Streaming Chat Completions (cascade mode) through the `openai` SDK, against OpenAI or any OpenAI-compatible
 * `baseURL` (Ollama, vLLM, llama.cpp, LM Studio...). One request is one attempt: retries, first-token timeouts
 * and metrics live in `withResilience`, so the SDK's own retries are off (`maxRetries: 0`).
 *
 * Nothing is read from the environment here: the key comes resolved from the agent file's `${env:...}`
 * reference (see `../secrets.ts`), and the SDK's implicit `OPENAI_*` fallbacks are pinned off.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming, ChatCompletionFunctionTool } from 'openai/resources/chat/completions';
import { withRootCause } from '../error-cause.js';
import { ProviderError, type ProviderErrorKind } from '../errors.js';
import type { LanguageModel, LlmDelta, LlmRequest } from '../types.js';

/** OpenAI's own endpoint, the default `baseURL`. */
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** Name of the tool offered with `endCallTool`; a call to it streams an `{ type: 'end-call' }` control. */
export const END_CALL_TOOL_NAME = 'end_call';

/** Options of {@link createOpenAiChatLlm}. */
export interface OpenAiChatLlmOptions {
  /**
   * The API key, already resolved from the agent file's `${env:NAME}` reference (`resolveSecret`). Required for
   * OpenAI's endpoint; for another `baseURL` it may be left out, and then no `Authorization` header is sent.
   */
  readonly apiKey?: string;
  /** Any OpenAI-compatible endpoint, up to and including `/v1`. Default: `https://api.openai.com/v1`. */
  readonly baseURL?: string;
  /** OpenAI organization id (`OpenAI-Organization` header). Default: none. */
  readonly organization?: string;
  /**
   * Milliseconds to wait for the response headers of one request (connect + server accepting it); a miss is a
   * retryable `timeout`. A server that sends headers and then stalls is caught by `withResilience`'s
   * `firstTokenTimeoutMs`, not by this. Default: 10000.
   */
  readonly timeoutMs?: number;
  /** Provider id in errors and metrics. Default: `openai-chat`. */
  readonly id?: string;
  /** Offer the model an `end_call` function tool; calling it streams `{ type: 'end-call' }`. Default: false. */
  readonly endCallTool?: boolean;
  /**
   * Body field carrying `LlmRequest.maxOutputTokens`. OpenAI deprecated `max_tokens` and its reasoning models
   * (o-series, gpt-5) reject it, while many OpenAI-compatible servers only know `max_tokens`. Default:
   * `max_completion_tokens` for OpenAI's endpoint, `max_tokens` for any other `baseURL`.
   */
  readonly maxTokensParam?: 'max_completion_tokens' | 'max_tokens';
}

const END_CALL_TOOL: ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: END_CALL_TOOL_NAME,
    description: 'Hang up the call after this reply has been spoken. Use it only when the conversation is over.',
    parameters: { type: 'object', properties: {}, additionalProperties: false },
  },
};

interface Adapter {
  readonly id: string;
  readonly client: OpenAI;
  readonly apiKey: string | undefined;
  readonly timeoutMs: number;
  readonly maxTokensParam: 'max_completion_tokens' | 'max_tokens';
  readonly endCallTool: boolean;
}

/** Creates a streaming Chat Completions {@link LanguageModel}. Throws at once on invalid options. */
export function createOpenAiChatLlm(options: OpenAiChatLlmOptions = {}): LanguageModel {
  const id = options.id ?? 'openai-chat';
  const { client, apiKey, timeoutMs, official } = openAiClient('createOpenAiChatLlm', id, options);
  const adapter: Adapter = {
    id,
    client,
    apiKey,
    timeoutMs,
    maxTokensParam: options.maxTokensParam ?? (official ? 'max_completion_tokens' : 'max_tokens'),
    endCallTool: options.endCallTool ?? false,
  };
  return { id, capabilities: { streaming: true }, stream: (request) => streamChat(adapter, request) };
}

/**
 * The model ids an endpoint offers (`GET /models`; for `voiceagent validate --online`). Same key rules and
 * errors as {@link createOpenAiChatLlm}: a refused key is an `auth` {@link ProviderError}.
 */
export async function listOpenAiModels(options: Pick<OpenAiChatLlmOptions, 'apiKey' | 'baseURL' | 'organization' | 'timeoutMs' | 'id'> = {}): Promise<string[]> {
  const id = options.id ?? 'openai-models';
  const { client, apiKey, timeoutMs } = openAiClient('listOpenAiModels', id, options);
  try {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    return ids;
  } catch (error) {
    throw toProviderError({ id, apiKey, timeoutMs }, error);
  }
}

/** The SDK client for `options`, with the key rules of this module; throws on invalid options. */
function openAiClient(where: string, id: string, options: Pick<OpenAiChatLlmOptions, 'apiKey' | 'baseURL' | 'organization' | 'timeoutMs'>) {
  const baseURL = (options.baseURL ?? OPENAI_BASE_URL).replace(/\/+$/, '');
  const official = isOpenAiEndpoint(where, baseURL);
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!(Number.isInteger(timeoutMs) && timeoutMs > 0)) throw new Error(`${where}: timeoutMs must be a whole number of ms > 0 (got ${timeoutMs})`);
  const apiKey = options.apiKey === '' ? undefined : options.apiKey;
  if (apiKey === undefined && official) {
    const message = `no API key for ${baseURL}; set \`apiKey: \${env:OPENAI_API_KEY}\` on the model profile and export OPENAI_API_KEY, or point baseURL at a local OpenAI-compatible server`;
    throw new ProviderError({ provider: id, kind: 'auth', message, retryable: false });
  }
  const client = new OpenAI({
    // The SDK insists on some credential; a key-less local server gets a placeholder that is never sent.
    apiKey: apiKey ?? 'unused',
    ...(apiKey === undefined ? { defaultHeaders: { Authorization: null } } : {}),
    baseURL,
    // Pinned so the SDK does not fall back to OPENAI_ORG_ID / OPENAI_PROJECT_ID / OPENAI_ADMIN_KEY behind our back.
    organization: options.organization ?? null,
    project: null,
    adminAPIKey: null,
    webhookSecret: null,
    maxRetries: 0, // retries live in withResilience
    timeout: timeoutMs,
    // Failures surface as ProviderErrors; the SDK's own console logging (e.g. of a malformed chunk) is noise.
    logLevel: 'off',
  });
  return { client, apiKey, timeoutMs, official };
}

function isOpenAiEndpoint(where: string, baseURL: string): boolean {
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    throw new Error(`${where}: baseURL ${JSON.stringify(baseURL)} is not a URL; write it like http://127.0.0.1:11434/v1`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${where}: baseURL must be http(s) (got ${url.protocol})`);
  return url.hostname === 'api.openai.com';
}

/** The request body: only fields every OpenAI-compatible server knows. */
function bodyOf(adapter: Adapter, request: LlmRequest): ChatCompletionCreateParamsStreaming {
  return {
    model: request.model,
    messages: request.messages.map(({ role, content }) => ({ role, content })),
    temperature: request.temperature,
    [adapter.maxTokensParam]: request.maxOutputTokens,
    stream: true,
    ...(adapter.endCallTool ? { tools: [END_CALL_TOOL] } : {}),
  };
}

/** One attempt: yields text deltas, then `end-call` if the model called the tool; quiet on abort. */
async function* streamChat(adapter: Adapter, request: LlmRequest): AsyncGenerator<LlmDelta, void, undefined> {
  const { signal } = request;
  if (signal.aborted) return;
  let chunks: AsyncIterable<ChatCompletionChunk>;
  try {
    chunks = await adapter.client.chat.completions.create(bodyOf(adapter, request), { signal });
  } catch (error) {
    if (signal.aborted) return;
    throw toProviderError(adapter, error);
  }
  const reply: ReplyState = { finished: false, endCall: false, toolNames: new Map() };
  try {
    // Leaving this loop early (consumer stopped) makes the SDK abort the HTTP request.
    for await (const chunk of chunks) {
      const text = readChunk(chunk, reply);
      if (text) yield text;
    }
  } catch (error) {
    if (signal.aborted) return;
    throw toProviderError(adapter, error);
  }
  // The SDK ends the stream quietly when aborted mid-body.
  if (signal.aborted) return;
  if (!reply.finished) {
    // A clean end of body without finish_reason: a proxy or server cut the reply short. The text so far may stop mid-sentence.
    throw new ProviderError({ provider: adapter.id, kind: 'network', message: 'the stream ended before the reply finished (no finish_reason); the connection was cut' });
  }
  if (reply.endCall) yield { type: 'end-call' };
}

interface ReplyState {
  finished: boolean;
  endCall: boolean;
  /** Tool-call names by index, accumulated in case a server splits a name across deltas. */
  readonly toolNames: Map<number, string>;
}

/** Reads one chunk into the reply state; returns its text, if any. Tolerates chunks with no choices (usage, filters). */
function readChunk(chunk: ChatCompletionChunk, reply: ReplyState): string | undefined {
  const choice = chunk.choices?.[0];
  if (!choice) return undefined;
  if (choice.finish_reason) reply.finished = true;
  const delta = choice.delta;
  if (!delta) return undefined;
  for (const call of delta.tool_calls ?? []) {
    const fragment = call.function?.name;
    if (!fragment) continue;
    // Some servers repeat the whole name in every delta instead of sending it once.
    const name = fragment === END_CALL_TOOL_NAME ? fragment : (reply.toolNames.get(call.index) ?? '') + fragment;
    reply.toolNames.set(call.index, name);
    if (name === END_CALL_TOOL_NAME) reply.endCall = true;
  }
  // A refusal is still something to say; silence would be worse on a call.
  return delta.content || delta.refusal || undefined;
}

/** Maps whatever the SDK or fetch threw to a ProviderError; the key never appears in a message. */
function toProviderError(adapter: Pick<Adapter, 'id' | 'apiKey' | 'timeoutMs'>, error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  const make = (kind: ProviderErrorKind, message: string, retryable?: boolean): ProviderError =>
    new ProviderError({ provider: adapter.id, kind, message: redact(message, adapter.apiKey), cause: error, ...(retryable === undefined ? {} : { retryable }) });
  if (error instanceof APIConnectionTimeoutError) return make('timeout', `no response within ${adapter.timeoutMs} ms (timeoutMs)`);
  if (error instanceof APIConnectionError) return make('network', `cannot reach the server: ${withRootCause(error)}`);
  if (error instanceof APIUserAbortError) return make('cancelled', 'request aborted');
  if (error instanceof APIError) return fromApiError(error, make);
  if (error instanceof SyntaxError) return make('protocol', `a stream chunk is not valid JSON (${error.message}); is baseURL an OpenAI-compatible server?`);
  // fetch reports a connection lost mid-body as a TypeError ("terminated") with the socket error as its cause.
  if (error instanceof TypeError || (error as { name?: string })?.name === 'AbortError') return make('network', `connection lost mid-stream: ${withRootCause(error)}`);
  return make('server', (error as Error)?.message ?? String(error));
}

type MakeError = (kind: ProviderErrorKind, message: string, retryable?: boolean) => ProviderError;

/** By HTTP status; an error chunk inside the stream has none, so by OpenAI's error `type`/`code`. */
function fromApiError(error: APIError, make: MakeError): ProviderError {
  const { status } = error;
  const detail = error.message;
  const quota = error.code === 'insufficient_quota';
  if (quota) return make('rate-limit', `quota exhausted (${detail}); check the account's plan and billing`, false);
  if (status === 401 || status === 403) return make('auth', `the server refused the key (${detail}); check the variable apiKey refers to`);
  if (status === 429) return make('rate-limit', `rate limited (${detail})`);
  if (status === 408) return make('timeout', `request timeout (${detail})`);
  if (status === 409) return make('server', `conflict (${detail})`, true);
  if (status === 404) return make('bad-request', `not found (${detail}); check the model name and baseURL`);
  if (status !== undefined && status >= 500) return make('server', `server error (${detail})`);
  if (status !== undefined && status >= 400) return make('bad-request', `request rejected (${detail})`);
  const type = `${error.type ?? ''} ${error.code ?? ''}`;
  if (/rate_limit/.test(type)) return make('rate-limit', `rate limited mid-stream (${detail})`);
  if (/invalid_api_key|authentication|permission/.test(type)) return make('auth', `the server refused the key mid-stream (${detail})`);
  if (/invalid_request/.test(type)) return make('bad-request', `request rejected mid-stream (${detail})`);
  return make('server', `error chunk in the stream (${detail})`);
}

function redact(message: string, apiKey: string | undefined): string {
  return apiKey && apiKey.length >= 4 ? message.split(apiKey).join('***') : message;
}
