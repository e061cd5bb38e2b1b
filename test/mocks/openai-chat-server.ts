/**
 * A mock OpenAI Chat Completions server on 127.0.0.1 (random port) for adapter tests and benchmarks. It speaks
 * the real streaming wire format (SSE `data:` lines of `chat.completion.chunk` objects, ending `data: [DONE]`)
 * and checks what it receives the way the real API does: path, method, bearer key, JSON body with known fields
 * only. Anything wrong is answered with OpenAI's 400/401/404 error shape AND recorded in `violations`, which a
 * test asserts is empty. Faults (HTTP status, `data:` error chunk, dropped connection, stall, malformed chunk)
 * are injected per request index. It never talks to anything but loopback.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after } from './after.js';
import { splitIntoTokens } from '../../runtime/providers/testing/fake-llm.js';

/** The request body fields the real API accepts (anything else is a 400 `unknown_parameter`). */
const KNOWN_FIELDS = new Set([
  'model', 'messages', 'stream', 'stream_options', 'temperature', 'top_p', 'n', 'stop', 'max_tokens', 'max_completion_tokens',
  'presence_penalty', 'frequency_penalty', 'logit_bias', 'logprobs', 'top_logprobs', 'user', 'tools', 'tool_choice',
  'parallel_tool_calls', 'response_format', 'seed', 'service_tier', 'store', 'metadata', 'reasoning_effort', 'modalities',
  'audio', 'prediction', 'web_search_options', 'verbosity', 'prompt_cache_key', 'safety_identifier', 'functions', 'function_call',
]);
const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

/** A fault injected into one request. `afterTokens`: content chunks sent before the fault (default 0). */
export type MockChatFault =
  /** Answers with this HTTP status and OpenAI's error body instead of a stream. */
  | { readonly kind: 'status'; readonly status: number; readonly type?: string; readonly code?: string; readonly message?: string }
  /** A `data: {"error": {...}}` chunk mid-stream, then the connection ends (as OpenAI does). */
  | { readonly kind: 'error-chunk'; readonly afterTokens?: number; readonly type?: string; readonly code?: string; readonly message?: string }
  /** Destroys the socket mid-stream (connection reset, no chunked terminator). */
  | { readonly kind: 'close'; readonly afterTokens?: number }
  /** Ends the response cleanly mid-stream: no `finish_reason`, no `[DONE]` (a proxy cutting a reply short). */
  | { readonly kind: 'truncate'; readonly afterTokens?: number }
  /** Stops sending and never ends; `beforeHeaders` stalls before even the status line. */
  | { readonly kind: 'stall'; readonly afterTokens?: number; readonly beforeHeaders?: boolean }
  /** Sends a `data:` line that is not valid JSON, then carries on. */
  | { readonly kind: 'malformed'; readonly afterTokens?: number };

/** The JSON body of a chat completions request, as far as the mock looks at it. */
export interface MockChatBody {
  readonly model: string;
  readonly messages: ReadonlyArray<{ readonly role: string; readonly content: string }>;
  readonly [field: string]: unknown;
}

/** Options of {@link startMockChatServer}. */
export interface MockChatServerOptions {
  /** The reply, streamed as word tokens; or a function of the request body. Default: `Hello from the mock.` */
  readonly reply?: string | ((body: MockChatBody) => string);
  /** Exact tokens to stream instead of splitting `reply` (for benchmarks). */
  readonly tokens?: readonly string[];
  /** The key expected as `Authorization: Bearer <key>`; `null`: no Authorization header expected. Default: `sk-test`. */
  readonly apiKey?: string | null;
  /** Path prefix the client's baseURL ends with. Default: `/v1`. */
  readonly basePath?: string;
  /** Delay before the first content chunk, ms. Default: 0. */
  readonly ttftMs?: number;
  /** Delay between content chunks, ms; 0 writes them back to back. Default: 0. */
  readonly tokenIntervalMs?: number;
  /** After the text, stream an `end_call` tool call (finish_reason `tool_calls`). Default: false. */
  readonly endCall?: boolean;
  /** Model ids `GET <basePath>/models` lists. Default: {@link MOCK_MODELS}. */
  readonly models?: readonly string[];
  /** Faults by 0-based request index (every request to the server counts). */
  readonly faults?: ReadonlyArray<{ readonly request: number; readonly fault: MockChatFault }>;
}

/** What `GET /models` lists by default. */
export const MOCK_MODELS: readonly string[] = ['gpt-5.4', 'gpt-5.4-nano', 'gpt-4o-mini-transcribe', 'gpt-realtime'];

/** How a request ended, seen from the server. */
export type MockChatOutcome = 'completed' | 'rejected' | 'client-closed' | 'server-closed' | 'stalled';

/** What the mock recorded about one request. */
export interface MockChatRequestRecord {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  /** The parsed JSON body (undefined when it was not JSON). */
  readonly body: MockChatBody | undefined;
  /** Content chunks written so far. */
  tokensSent: number;
  /** Set when the request is over; `client-closed` means the client hung up before the server finished. */
  outcome?: MockChatOutcome;
  /** Resolves with the outcome (`stalled` never resolves until the client hangs up or the server closes). */
  readonly finished: Promise<MockChatOutcome>;
}

/** A running mock server. */
export interface MockChatServer {
  /** `http://127.0.0.1:<port><basePath>`: pass as the SDK's `baseURL`. */
  readonly baseURL: string;
  readonly requests: readonly MockChatRequestRecord[];
  /** Protocol violations by the client (wrong path, key, body...). Tests assert this is empty. */
  readonly violations: readonly string[];
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** Starts a {@link MockChatServer} on 127.0.0.1 and a random port. */
export async function startMockChatServer(options: MockChatServerOptions = {}): Promise<MockChatServer> {
  const requests: MockChatRequestRecord[] = [];
  const violations: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(options, req, res, Buffer.concat(chunks).toString('utf8'), requests, violations));
  });
  // Node's default closes idle keep-alive connections after 5 s and advertises it (`Keep-Alive: timeout=5`), so
  // fetch drops them after 3-4 s: turns of a call are further apart than that, and every request would open a
  // new connection. How long a hosted API keeps one is its own business; the mock keeps it long enough for a
  // call's turns to share it, so benchmarks measure requests, not reconnects.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}${options.basePath ?? '/v1'}`,
    requests,
    violations,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function handle(options: MockChatServerOptions, req: IncomingMessage, res: ServerResponse, raw: string, requests: MockChatRequestRecord[], violations: string[]): void {
  let settle: (outcome: MockChatOutcome) => void = () => {};
  const finished = new Promise<MockChatOutcome>((resolve) => (settle = resolve));
  let body: MockChatBody | undefined;
  try {
    body = JSON.parse(raw) as MockChatBody;
  } catch {
    body = undefined;
  }
  const record: MockChatRequestRecord = { method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization, body, tokensSent: 0, finished };
  const index = requests.push(record) - 1;
  const end = (outcome: MockChatOutcome): void => {
    if (record.outcome !== undefined && record.outcome !== 'stalled') return;
    record.outcome = outcome;
    if (outcome !== 'stalled') settle(outcome);
  };
  res.on('close', () => end(res.writableFinished ? 'completed' : 'client-closed'));

  if (req.method === 'GET' && req.url === `${options.basePath ?? '/v1'}/models`) {
    const refused = checkKey(options, req);
    if (refused) {
      violations.push(`request ${index}: ${refused.message}`);
      sendError(res, refused.status, { message: refused.message, type: refused.type, param: null, code: refused.code ?? null });
      return end('rejected');
    }
    const data = (options.models ?? MOCK_MODELS).map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'system' }));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data }));
    return end('completed');
  }
  const problem = checkRequest(options, req, raw, body);
  if (problem) {
    violations.push(`request ${index}: ${problem.message}`);
    sendError(res, problem.status, { message: problem.message, type: problem.type, param: problem.param ?? null, code: problem.code ?? null });
    return end('rejected');
  }
  const fault = options.faults?.find((candidate) => candidate.request === index)?.fault;
  if (fault?.kind === 'status') {
    const status = fault.status;
    const type = fault.type ?? (status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error');
    sendError(res, status, { message: fault.message ?? `injected HTTP ${status}`, type, param: null, code: fault.code ?? null });
    return end('rejected');
  }
  if (fault?.kind === 'stall' && fault.beforeHeaders) return end('stalled');
  streamReply(options, res, body!, record, fault, end);
}

interface Problem {
  readonly status: number;
  readonly message: string;
  readonly type: string;
  readonly param?: string;
  readonly code?: string;
}

/** Checks one request as the real API would; the first problem found, if any. */
function checkRequest(options: MockChatServerOptions, req: IncomingMessage, raw: string, body: MockChatBody | undefined): Problem | undefined {
  const expectedPath = `${options.basePath ?? '/v1'}/chat/completions`;
  if (req.url !== expectedPath) return { status: 404, type: 'invalid_request_error', message: `unknown path ${req.url} (expected ${expectedPath})` };
  if (req.method !== 'POST') return { status: 405, type: 'invalid_request_error', message: `method ${req.method} (expected POST)` };
  const refused = checkKey(options, req);
  if (refused) return refused;
  if (!String(req.headers['content-type']).startsWith('application/json')) return { status: 400, type: 'invalid_request_error', message: `content-type ${req.headers['content-type']}` };
  if (body === undefined || typeof body !== 'object' || body === null) return { status: 400, type: 'invalid_request_error', message: `body is not a JSON object: ${raw.slice(0, 80)}` };
  return checkBody(body);
}

/** The bearer key as the server expects it (none at all with `apiKey: null`). */
function checkKey(options: MockChatServerOptions, req: IncomingMessage): Problem | undefined {
  const expectedKey = options.apiKey === undefined ? 'sk-test' : options.apiKey;
  const authorization = req.headers.authorization;
  if (expectedKey === null && authorization !== undefined) return { status: 400, type: 'invalid_request_error', message: 'unexpected Authorization header' };
  if (expectedKey !== null && authorization !== `Bearer ${expectedKey}`) {
    return { status: 401, type: 'invalid_request_error', code: 'invalid_api_key', message: `Incorrect API key provided (Authorization ${authorization === undefined ? 'missing' : 'wrong'})` };
  }
  return undefined;
}

function checkBody(body: MockChatBody): Problem | undefined {
  const bad = (param: string, message: string): Problem => ({ status: 400, type: 'invalid_request_error', param, message });
  const unknown = Object.keys(body).find((field) => !KNOWN_FIELDS.has(field));
  if (unknown !== undefined) return { ...bad(unknown, `Unrecognized request argument supplied: ${unknown}`), code: 'unknown_parameter' };
  if (typeof body.model !== 'string' || body.model === '') return bad('model', 'model must be a non-empty string');
  if (!Array.isArray(body.messages) || body.messages.length === 0) return bad('messages', 'messages must be a non-empty array');
  for (const [i, message] of body.messages.entries()) {
    if (!ROLES.has(message?.role)) return bad(`messages[${i}].role`, `messages[${i}].role ${JSON.stringify(message?.role)} is not one of system|developer|user|assistant|tool`);
    if (typeof message.content !== 'string') return bad(`messages[${i}].content`, `messages[${i}].content must be a string`);
    const extra = Object.keys(message).find((key) => !['role', 'content', 'name', 'tool_call_id', 'tool_calls'].includes(key));
    if (extra !== undefined) return bad(`messages[${i}].${extra}`, `messages[${i}] has unknown field ${extra}`);
  }
  if (body.stream !== true) return bad('stream', 'this mock only streams: stream must be true');
  const temperature = body.temperature;
  if (temperature !== undefined && !(typeof temperature === 'number' && temperature >= 0 && temperature <= 2)) return bad('temperature', 'temperature must be 0-2');
  if (body.max_tokens !== undefined && body.max_completion_tokens !== undefined) return bad('max_tokens', 'max_tokens and max_completion_tokens are mutually exclusive');
  for (const field of ['max_tokens', 'max_completion_tokens'] as const) {
    const value = body[field];
    if (value !== undefined && !(Number.isInteger(value) && (value as number) > 0)) return bad(field, `${field} must be a positive integer`);
  }
  if (body.tools !== undefined) return checkTools(body.tools);
  return undefined;
}

function checkTools(tools: unknown): Problem | undefined {
  const bad = (message: string): Problem => ({ status: 400, type: 'invalid_request_error', param: 'tools', message });
  if (!Array.isArray(tools)) return bad('tools must be an array');
  for (const tool of tools as Array<Record<string, unknown>>) {
    const fn = tool?.function as Record<string, unknown> | undefined;
    if (tool?.type !== 'function' || typeof fn?.name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(fn.name)) return bad(`invalid tool ${JSON.stringify(tool)}`);
    const parameters = fn.parameters as Record<string, unknown> | undefined;
    if (parameters !== undefined && parameters?.type !== 'object') return bad(`tool ${fn.name}: parameters must be a JSON schema of type object`);
  }
  return undefined;
}

function sendError(res: ServerResponse, status: number, error: Record<string, unknown>): void {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': 'req_mock' };
  if (status === 429) headers['retry-after'] = '0';
  res.writeHead(status, headers).end(JSON.stringify({ error }));
}

/** Streams the reply (with the fault, if any) as SSE chunks, paced by ttftMs/tokenIntervalMs. */
function streamReply(options: MockChatServerOptions, res: ServerResponse, body: MockChatBody, record: MockChatRequestRecord, fault: MockChatFault | undefined, end: (outcome: MockChatOutcome) => void): void {
  const reply = typeof options.reply === 'function' ? options.reply(body) : (options.reply ?? 'Hello from the mock.');
  const tokens = options.tokens ?? splitIntoTokens(reply);
  const base = { id: 'chatcmpl-mock', object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: body.model, system_fingerprint: 'fp_mock' };
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null): string =>
    `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] })}\n\n`;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': 'req_mock' });
  res.write(chunk({ role: 'assistant', content: '', refusal: null }));
  const faultAt = fault ? ('afterTokens' in fault ? (fault.afterTokens ?? 0) : 0) : Infinity;
  const ttftMs = options.ttftMs ?? 0;
  const intervalMs = options.tokenIntervalMs ?? 0;
  let next = 0;
  const step = (): void => {
    if (res.destroyed) return;
    // Back to back when unpaced, but yield to the event loop every 256 chunks so a client abort is seen.
    for (let burst = 0; burst < 256; burst++) {
      if (next === faultAt && fault) return injectFault(res, fault, end);
      if (next === tokens.length) return finish(options, res, chunk, end);
      res.write(chunk({ content: tokens[next++] }));
      record.tokensSent++;
      if (intervalMs > 0) return void setTimeout(step, intervalMs);
    }
    setImmediate(step);
  };
  after(ttftMs, step);
}

function finish(options: MockChatServerOptions, res: ServerResponse, chunk: (delta: Record<string, unknown>, finishReason?: string | null) => string, end: (outcome: MockChatOutcome) => void): void {
  if (options.endCall) {
    res.write(chunk({ tool_calls: [{ index: 0, id: 'call_mock', type: 'function', function: { name: 'end_call', arguments: '' } }] }));
    res.write(chunk({ tool_calls: [{ index: 0, function: { arguments: '{}' } }] }));
  }
  res.write(chunk({}, options.endCall ? 'tool_calls' : 'stop'));
  res.end('data: [DONE]\n\n');
  end('completed');
}

function injectFault(res: ServerResponse, fault: MockChatFault, end: (outcome: MockChatOutcome) => void): void {
  switch (fault.kind) {
    case 'error-chunk': {
      const error = { message: fault.message ?? 'The server had an error while processing your request.', type: fault.type ?? 'server_error', param: null, code: fault.code ?? null };
      res.end(`data: ${JSON.stringify({ error })}\n\n`);
      return end('server-closed');
    }
    case 'close':
      // FIN after the chunks already written (destroy() could discard them unsent): no chunked terminator follows.
      res.socket?.end();
      return end('server-closed');
    case 'truncate':
      res.end();
      return end('server-closed');
    case 'stall':
      return end('stalled');
    case 'malformed':
      res.write('data: {"id":"chatcmpl-mock","choices":[{"delta":{"content":"oops"\n\n');
      res.end('data: [DONE]\n\n');
      return end('server-closed');
    case 'status':
      return; // handled before the stream starts
  }
}
