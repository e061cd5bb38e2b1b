// The Chat Completions adapter against a mock server on 127.0.0.1 that speaks the real SSE wire format and
// checks every request. A cascade call depends on three things here: the tokens arrive as the model sent them,
// a barge-in abort really hangs up the HTTP request (the server sees it), and every way the server can fail
// becomes a ProviderError whose kind and `retryable` let withResilience decide what to do.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError, type ProviderErrorKind } from '../../../runtime/providers/errors.js';
import { createOpenAiChatLlm, type OpenAiChatLlmOptions } from '../../../runtime/providers/openai/chat-llm.js';
import { withResilience, type ProviderMetric } from '../../../runtime/providers/resilient.js';
import type { LanguageModel, LlmDelta, LlmRequest } from '../../../runtime/providers/types.js';
import { realClock } from '../../../runtime/util/clock.js';
import { startMockChatServer, type MockChatFault, type MockChatServer, type MockChatServerOptions } from '../../mocks/openai-chat-server.js';

const KEY = 'sk-test-0123456789abcdef';
const REPLY = 'Sure, your table for two is booked at eight.';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
beforeAll(() => void process.on('unhandledRejection', onUnhandled));
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

let servers: MockChatServer[] = [];
afterEach(async () => {
  for (const server of servers) {
    expect(server.violations).toEqual([]);
    await server.close();
  }
  servers = [];
});

async function setup(mock: MockChatServerOptions = {}, adapter: OpenAiChatLlmOptions = {}): Promise<{ server: MockChatServer; llm: LanguageModel }> {
  const server = await startMockChatServer({ apiKey: KEY, reply: REPLY, ...mock });
  servers.push(server);
  return { server, llm: createOpenAiChatLlm({ apiKey: KEY, baseURL: server.baseURL, ...adapter }) };
}

function request(signal: AbortSignal = new AbortController().signal, overrides: Partial<LlmRequest> = {}): LlmRequest {
  const messages = [
    { role: 'system', content: 'You take restaurant bookings.' },
    { role: 'user', content: 'A table for two at eight, please.' },
  ] as const;
  return { messages, model: 'gpt-4.1-mini', temperature: 0.4, maxOutputTokens: 120, signal, ...overrides };
}

/** Drains a stream; never throws. */
async function collect(stream: AsyncIterable<LlmDelta>, onDelta?: (delta: LlmDelta, count: number) => void): Promise<{ deltas: LlmDelta[]; text: string; error?: ProviderError }> {
  const deltas: LlmDelta[] = [];
  try {
    for await (const delta of stream) {
      deltas.push(delta);
      onDelta?.(delta, deltas.length);
    }
  } catch (error) {
    return { deltas, text: textOf(deltas), error: error as ProviderError };
  }
  return { deltas, text: textOf(deltas) };
}

const textOf = (deltas: readonly LlmDelta[]): string => deltas.filter((delta): delta is string => typeof delta === 'string').join('');

describe('createOpenAiChatLlm: streaming', () => {
  it('streams the reply token by token and sends a well-formed request', async () => {
    const { server, llm } = await setup();
    const { deltas, text, error } = await collect(llm.stream(request()));
    expect(error).toBeUndefined();
    expect(text).toBe(REPLY);
    expect(deltas.length).toBeGreaterThan(5); // one delta per chunk, not one blob
    expect(server.requests).toHaveLength(1);
    const [record] = server.requests;
    expect(record!.method).toBe('POST');
    expect(record!.path).toBe('/v1/chat/completions');
    expect(record!.authorization).toBe(`Bearer ${KEY}`);
    expect(record!.body).toEqual({
      model: 'gpt-4.1-mini',
      messages: [
        { role: 'system', content: 'You take restaurant bookings.' },
        { role: 'user', content: 'A table for two at eight, please.' },
      ],
      temperature: 0.4,
      max_tokens: 120, // the default for an OpenAI-compatible baseURL
      stream: true,
    });
    expect(await record!.finished).toBe('completed');
  });

  it('sends max_completion_tokens when asked (the default for api.openai.com)', async () => {
    const { server, llm } = await setup({}, { maxTokensParam: 'max_completion_tokens' });
    await collect(llm.stream(request()));
    expect(server.requests[0]!.body).toMatchObject({ max_completion_tokens: 120 });
    expect(server.requests[0]!.body).not.toHaveProperty('max_tokens');
  });

  it('sends no Authorization header to a key-less local server', async () => {
    const server = await startMockChatServer({ apiKey: null, reply: 'Local hello.' });
    servers.push(server);
    const llm = createOpenAiChatLlm({ baseURL: server.baseURL });
    expect((await collect(llm.stream(request()))).text).toBe('Local hello.');
    expect(server.requests[0]!.authorization).toBeUndefined();
  });

  it('refuses to build a client for api.openai.com without a key, before any traffic', () => {
    let error: unknown;
    try {
      createOpenAiChatLlm({});
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('auth');
    expect((error as ProviderError).message).toContain('${env:OPENAI_API_KEY}');
  });

  it('offers the end_call tool and turns a call to it into an end-call control after the text', async () => {
    const { server, llm } = await setup({ reply: 'Goodbye!', endCall: true }, { endCallTool: true });
    const { deltas, error } = await collect(llm.stream(request()));
    expect(error).toBeUndefined();
    expect(deltas).toEqual(['Goodbye', '!', { type: 'end-call' }]);
    const tools = server.requests[0]!.body!['tools'] as Array<{ function: { name: string } }>;
    expect(tools.map((tool) => tool.function.name)).toEqual(['end_call']);
  });

  it('sends no tools unless endCallTool is set', async () => {
    const { server, llm } = await setup();
    await collect(llm.stream(request()));
    expect(server.requests[0]!.body).not.toHaveProperty('tools');
  });
});

describe('createOpenAiChatLlm: cancellation', () => {
  it('barge-in mid-stream: ends quietly and the server sees the connection closed', async () => {
    const { server, llm } = await setup({ tokens: Array.from({ length: 200 }, (_, i) => ` w${i}`), tokenIntervalMs: 5 });
    const controller = new AbortController();
    const { deltas, error } = await collect(llm.stream(request(controller.signal)), (_, count) => {
      if (count === 3) controller.abort();
    });
    expect(error).toBeUndefined();
    expect(deltas.length).toBeLessThanOrEqual(4);
    expect(await server.requests[0]!.finished).toBe('client-closed');
    expect(server.requests[0]!.tokensSent).toBeLessThan(200);
  });

  it('abort while waiting for the first token: ends quietly, connection closed', async () => {
    const { server, llm } = await setup({ ttftMs: 5_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const { deltas, error } = await collect(llm.stream(request(controller.signal)));
    expect(error).toBeUndefined();
    expect(deltas).toEqual([]);
    expect(await server.requests[0]!.finished).toBe('client-closed');
  });

  it('abort before the server even answers: ends quietly, connection closed', async () => {
    const { server, llm } = await setup({ faults: [{ request: 0, fault: { kind: 'stall', beforeHeaders: true } }] });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const { deltas, error } = await collect(llm.stream(request(controller.signal)));
    expect({ deltas, error }).toEqual({ deltas: [], error: undefined });
    expect(await server.requests[0]!.finished).toBe('client-closed');
  });

  it('a consumer that stops reading early releases the HTTP request', async () => {
    const { server, llm } = await setup({ tokens: Array.from({ length: 200 }, (_, i) => ` w${i}`), tokenIntervalMs: 5 });
    for await (const delta of llm.stream(request())) {
      expect(delta).toBe(' w0');
      break;
    }
    expect(await server.requests[0]!.finished).toBe('client-closed');
  });

  it('an already-aborted signal sends nothing', async () => {
    const { server, llm } = await setup();
    const { deltas, error } = await collect(llm.stream(request(AbortSignal.abort())));
    expect({ deltas, error }).toEqual({ deltas: [], error: undefined });
    expect(server.requests).toHaveLength(0);
  });
});

interface FaultCase {
  readonly name: string;
  readonly fault: MockChatFault;
  readonly kind: ProviderErrorKind;
  readonly retryable: boolean;
  /** Text delivered before the error. */
  readonly before: string;
}

const FAULTS: readonly FaultCase[] = [
  { name: 'HTTP 401', fault: { kind: 'status', status: 401 }, kind: 'auth', retryable: false, before: '' },
  { name: 'HTTP 403', fault: { kind: 'status', status: 403 }, kind: 'auth', retryable: false, before: '' },
  { name: 'HTTP 429', fault: { kind: 'status', status: 429 }, kind: 'rate-limit', retryable: true, before: '' },
  { name: 'HTTP 429 insufficient_quota', fault: { kind: 'status', status: 429, code: 'insufficient_quota' }, kind: 'rate-limit', retryable: false, before: '' },
  { name: 'HTTP 400', fault: { kind: 'status', status: 400 }, kind: 'bad-request', retryable: false, before: '' },
  { name: 'HTTP 404 (unknown model)', fault: { kind: 'status', status: 404, code: 'model_not_found' }, kind: 'bad-request', retryable: false, before: '' },
  { name: 'HTTP 500', fault: { kind: 'status', status: 500 }, kind: 'server', retryable: true, before: '' },
  { name: 'HTTP 503', fault: { kind: 'status', status: 503 }, kind: 'server', retryable: true, before: '' },
  { name: 'data: error chunk mid-stream', fault: { kind: 'error-chunk', afterTokens: 2 }, kind: 'server', retryable: true, before: 'Sure,' },
  { name: 'data: rate-limit error chunk', fault: { kind: 'error-chunk', afterTokens: 0, type: 'rate_limit_exceeded' }, kind: 'rate-limit', retryable: true, before: '' },
  { name: 'connection closed mid-stream', fault: { kind: 'close', afterTokens: 2 }, kind: 'network', retryable: true, before: 'Sure,' },
  { name: 'body ended without finish_reason', fault: { kind: 'truncate', afterTokens: 3 }, kind: 'network', retryable: true, before: 'Sure, your' },
  { name: 'malformed chunk', fault: { kind: 'malformed', afterTokens: 1 }, kind: 'protocol', retryable: false, before: 'Sure' },
];

describe('createOpenAiChatLlm: faults', () => {
  for (const { name, fault, kind, retryable, before } of FAULTS) {
    it(`${name} -> ${kind}${retryable ? ' (retryable)' : ''}`, async () => {
      const { llm } = await setup({ faults: [{ request: 0, fault }] });
      const { text, error } = await collect(llm.stream(request()));
      expect(error).toBeInstanceOf(ProviderError);
      expect({ kind: error!.kind, retryable: error!.retryable, provider: error!.provider }).toEqual({ kind, retryable, provider: 'openai-chat' });
      expect(text).toBe(before);
    });
  }

  it('no response headers within timeoutMs -> timeout (retryable)', async () => {
    const { server, llm } = await setup({ faults: [{ request: 0, fault: { kind: 'stall', beforeHeaders: true } }] }, { timeoutMs: 150 });
    const { error } = await collect(llm.stream(request()));
    expect({ kind: error?.kind, retryable: error?.retryable }).toEqual({ kind: 'timeout', retryable: true });
    expect(await server.requests[0]!.finished).toBe('client-closed');
  });

  it('a refused connection -> network (retryable)', async () => {
    const server = await startMockChatServer();
    const baseURL = server.baseURL;
    await server.close(); // nothing listens on that port any more
    const { error } = await collect(createOpenAiChatLlm({ apiKey: KEY, baseURL }).stream(request()));
    expect({ kind: error?.kind, retryable: error?.retryable }).toEqual({ kind: 'network', retryable: true });
  });

  it('never puts the key in an error message, even when the server echoes it', async () => {
    const { llm } = await setup({ faults: [{ request: 0, fault: { kind: 'status', status: 401, message: `Incorrect API key provided: ${KEY}.` } }] });
    const { error } = await collect(llm.stream(request()));
    expect(error?.message).toContain('Incorrect API key provided');
    expect(error?.message).not.toContain(KEY);
  });
});

describe('createOpenAiChatLlm under withResilience', () => {
  it('retries a 500 before the first token and then streams the reply', async () => {
    const { server, llm } = await setup({ faults: [{ request: 0, fault: { kind: 'status', status: 500 } }] });
    const metrics: ProviderMetric[] = [];
    const resilient = withResilience(llm, { clock: realClock, retries: 2, backoffMs: 10, onMetric: (metric) => metrics.push(metric) });
    const { text, error } = await collect(resilient.stream(request()));
    expect(error).toBeUndefined();
    expect(text).toBe(REPLY);
    expect(server.requests).toHaveLength(2);
    expect(metrics.map((metric) => metric.kind)).toEqual(['error', 'retry', 'ttft', 'tokens']);
  });

  it('does not retry a 401', async () => {
    const { server, llm } = await setup({ faults: [{ request: 0, fault: { kind: 'status', status: 401 } }] });
    const { error } = await collect(withResilience(llm, { clock: realClock, retries: 2, backoffMs: 10 }).stream(request()));
    expect(error?.kind).toBe('auth');
    expect(server.requests).toHaveLength(1);
  });

  it('a server that sends headers and then stalls hits firstTokenTimeoutMs, and the request is hung up', async () => {
    const { server, llm } = await setup({ faults: [{ request: 0, fault: { kind: 'stall' } }] });
    const resilient = withResilience(llm, { clock: realClock, retries: 0, firstTokenTimeoutMs: 100 });
    const { error } = await collect(resilient.stream(request()));
    expect({ kind: error?.kind, retryable: error?.retryable }).toEqual({ kind: 'timeout', retryable: true });
    expect(await server.requests[0]!.finished).toBe('client-closed');
  });
});

describe('mock chat server', () => {
  it('rejects unknown top-level fields with OpenAI’s 400 error shape and records a violation', async () => {
    const server = await startMockChatServer({ apiKey: KEY });
    const response = await fetch(`${server.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true, max_output_tokens: 5 }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param: 'max_output_tokens', code: 'unknown_parameter' });
    expect(server.violations).toHaveLength(1);
    await server.close();
  });
});
