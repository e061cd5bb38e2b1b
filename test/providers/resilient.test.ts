// The resilience wrappers are where retries, timeouts and metrics live: these tests pin down which errors are
// retried (retryable, before the first token), the back-off timing, the first-token timeout, prompt aborts
// and the metrics reported, all on a simulated clock.
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../runtime/providers/errors.js';
import { withResilience, withTtsResilience, type ProviderMetric } from '../../runtime/providers/resilient.js';
import { createFakeLlm, type FakeLlmFailure } from '../../runtime/providers/testing/fake-llm.js';
import { createFakeTts } from '../../runtime/providers/testing/fake-tts.js';
import { advanceAndFlush, flushMicrotasks } from '../../runtime/util/flush.js';
import type { LanguageModel, LlmRequest, TextToSpeech, TtsHooks } from '../../runtime/providers/types.js';
import { createSimulatedClock } from '../../runtime/util/clock.js';
import { consume } from './testing/consume.js';

function request(signal: AbortSignal = new AbortController().signal): LlmRequest {
  return { messages: [{ role: 'user', content: 'hi' }], model: 'm', temperature: 0, maxOutputTokens: 100, signal };
}

function setup(failures: FakeLlmFailure[], options: { retries?: number; firstTokenTimeoutMs?: number } = {}) {
  const clock = createSimulatedClock();
  const llm = createFakeLlm({ clock, replies: [], defaultReply: 'Hello there.', ttftMs: 100, failures });
  const metrics: ProviderMetric[] = [];
  const resilient = withResilience(llm, { clock, backoffMs: 100, onMetric: (metric) => metrics.push(metric), ...options });
  const summary = () => metrics.map((metric) => `${metric.kind}:${metric.value}`);
  return { clock, llm, resilient, metrics, summary };
}

/** A model that yields `tokens`, then hangs whatever its signal says; `returned()` tells whether it was released. */
function deafLlm(tokens: readonly string[]): { llm: LanguageModel; returned(): boolean } {
  let returned = false;
  let pulls = 0;
  const llm: LanguageModel = {
    id: 'deaf',
    capabilities: { streaming: true },
    stream: () => ({
      [Symbol.asyncIterator]: () => ({
        next: () => (pulls < tokens.length ? Promise.resolve({ value: tokens[pulls++]!, done: false }) : new Promise<IteratorResult<string>>(() => {})),
        return: async () => {
          returned = true;
          return { value: undefined, done: true };
        },
      }),
    }),
  };
  return { llm, returned: () => returned };
}

describe('withResilience', () => {
  it('passes a healthy stream through and reports ttft and tokens', async () => {
    const { clock, llm, resilient, summary } = setup([]);
    expect(resilient.id).toBe(llm.id);
    const reply = consume(resilient.stream(request()), clock);
    await advanceAndFlush(clock, 1000, 10);
    await reply.finished;
    expect(reply.text()).toBe('Hello there.');
    expect(summary()).toEqual(['ttft:100', 'tokens:3']);
  });

  it('retries a retryable error raised before the first token, after the back-off', async () => {
    const { clock, llm, resilient, metrics, summary } = setup([{ request: 0, kind: 'error-before-first-token' }]);
    const reply = consume(resilient.stream(request()), clock);
    await advanceAndFlush(clock, 1000);
    await reply.finished;
    expect(reply.text()).toBe('Hello there.');
    expect(llm.requests.map((record) => record.startedAtMs)).toEqual([0, 200]); // failed at 100, waited 100
    expect(summary()).toEqual(['error:1', 'retry:1', 'ttft:300', 'tokens:3']);
    expect(metrics[0]?.error).toBeInstanceOf(ProviderError);
  });

  it('doubles the back-off and gives up after `retries`, throwing the last error', async () => {
    const failures: FakeLlmFailure[] = [0, 1, 2].map((index) => ({ request: index, kind: 'error-before-first-token' }));
    const { clock, llm, resilient, summary } = setup(failures);
    const reply = consume(resilient.stream(request()), clock);
    await advanceAndFlush(clock, 2000);
    await reply.finished;
    expect(reply.error).toBeInstanceOf(ProviderError);
    expect(llm.requests.map((record) => record.startedAtMs)).toEqual([0, 200, 500]);
    expect(summary()).toEqual(['error:1', 'retry:1', 'error:1', 'retry:2', 'error:1']);
  });

  it('does not retry a non-retryable error', async () => {
    const { clock, llm, resilient, summary } = setup([{ request: 0, kind: 'error-before-first-token', retryable: false }]);
    const reply = consume(resilient.stream(request()), clock);
    await advanceAndFlush(clock, 1000, 10);
    await reply.finished;
    expect(reply.error).toMatchObject({ retryable: false });
    expect(llm.requests).toHaveLength(1);
    expect(summary()).toEqual(['error:1']);
  });

  it('does not retry after the first token: the caller has already used the text', async () => {
    const { clock, llm, resilient, summary } = setup([{ request: 0, kind: 'error-mid-stream', retryable: true }]);
    const reply = consume(resilient.stream(request()), clock);
    await advanceAndFlush(clock, 1000, 10);
    await reply.finished;
    expect(reply.text()).toBe('Hello');
    expect(reply.error).toMatchObject({ name: 'ProviderError', retryable: true });
    expect(llm.requests).toHaveLength(1);
    expect(summary()).toEqual(['ttft:100', 'error:1', 'tokens:1']);
  });

  it('fails a stalled attempt after firstTokenTimeoutMs with a retryable timeout, aborts it and retries', async () => {
    const { clock, llm, resilient, summary } = setup([{ request: 0, kind: 'stall' }], { firstTokenTimeoutMs: 500 });
    const reply = consume(resilient.stream(request()), clock);
    await advanceAndFlush(clock, 2000);
    await reply.finished;
    expect(reply.text()).toBe('Hello there.');
    expect(llm.requests[0]).toMatchObject({ aborted: true, endedAtMs: 500 });
    expect(llm.requests[1]?.startedAtMs).toBe(600);
    expect(summary()).toEqual(['error:1', 'retry:1', 'ttft:700', 'tokens:3']);
  });

  it('throws the timeout when no retries are left', async () => {
    const { clock, resilient, metrics } = setup([{ request: 0, kind: 'stall' }], { firstTokenTimeoutMs: 500, retries: 0 });
    const reply = consume(resilient.stream(request()), clock);
    await advanceAndFlush(clock, 1000, 10);
    await reply.finished;
    expect(reply.error).toMatchObject({ kind: 'timeout', retryable: true });
    expect(String((reply.error as Error).message)).toContain('no first token within 500 ms');
    expect(metrics.map((metric) => metric.kind)).toEqual(['error']);
  });

  it('ends quietly when aborted during the back-off, without another attempt', async () => {
    const { clock, llm, resilient } = setup([{ request: 0, kind: 'error-before-first-token' }]);
    const controller = new AbortController();
    const reply = consume(resilient.stream(request(controller.signal)), clock);
    await advanceAndFlush(clock, 150);
    controller.abort();
    await advanceAndFlush(clock, 1000, 10);
    await reply.finished;
    expect(reply.error).toBeUndefined();
    expect(llm.requests).toHaveLength(1);
    expect(clock.pending()).toBe(0);
  });

  it('ends promptly on abort even when the provider ignores its signal', async () => {
    const clock = createSimulatedClock();
    const deaf = deafLlm([]);
    const controller = new AbortController();
    const reply = consume(withResilience(deaf.llm, { clock }).stream(request(controller.signal)), clock);
    await flushMicrotasks();
    controller.abort();
    await reply.finished;
    expect(reply.error).toBeUndefined();
    expect(deaf.returned()).toBe(true);
  });

  it('ends promptly on abort mid-reply, after the first token, when the provider ignores its signal', async () => {
    const clock = createSimulatedClock();
    const deaf = deafLlm(['Hello']);
    const controller = new AbortController();
    const reply = consume(withResilience(deaf.llm, { clock }).stream(request(controller.signal)), clock);
    await flushMicrotasks();
    expect(reply.text()).toBe('Hello');
    controller.abort();
    await reply.finished;
    expect(reply.error).toBeUndefined();
    expect(deaf.returned()).toBe(true);
  });

  it('normalises anything a provider throws into a ProviderError (and retries it as a server error)', async () => {
    const clock = createSimulatedClock();
    let calls = 0;
    const flaky: LanguageModel = {
      id: 'flaky',
      capabilities: { streaming: true },
      async *stream() {
        calls++;
        if (calls === 1) throw new Error('socket hang up');
        yield 'ok';
      },
    };
    const metrics: ProviderMetric[] = [];
    const reply = consume(withResilience(flaky, { clock, onMetric: (metric) => metrics.push(metric) }).stream(request()), clock);
    await advanceAndFlush(clock, 200, 10);
    await reply.finished;
    expect(reply.text()).toBe('ok');
    expect(metrics[0]?.error).toMatchObject({ name: 'ProviderError', provider: 'flaky', kind: 'server', message: 'flaky: socket hang up' });
  });

  it('aborts the provider stream when the consumer stops reading', async () => {
    const { clock, llm, resilient } = setup([]);
    const stream = resilient.stream(request());
    const reading = (async () => {
      for await (const token of stream) return token;
      return undefined;
    })();
    await advanceAndFlush(clock, 100);
    expect(await reading).toBe('Hello');
    expect(llm.requests[0]).toMatchObject({ aborted: true });
  });

  it('rejects invalid options at once', () => {
    const { llm, clock } = setup([]);
    expect(() => withResilience(llm, { clock, retries: -1 })).toThrow(/retries must be a whole number/);
    expect(() => withResilience(llm, { clock, firstTokenTimeoutMs: 0 })).toThrow(/firstTokenTimeoutMs must be > 0/);
  });
});

describe('withTtsResilience', () => {
  const openOptions = { voice: 'v', language: 'en', sampleRate: 8000, speed: 1 };
  const hooksLog = () => {
    const log: string[] = [];
    const errors: ProviderError[] = [];
    const hooks: TtsHooks = {
      onAudio: () => log.push('audio'),
      onDone: () => log.push('done'),
      onError: (error) => {
        errors.push(error);
        log.push(`error:${error.kind}`);
      },
    };
    return { log, errors, hooks };
  };

  it('reports first-audio latency from the first text pushed', () => {
    const clock = createSimulatedClock();
    const metrics: ProviderMetric[] = [];
    const tts = withTtsResilience(createFakeTts({ clock, firstAudioMs: 80 }), { clock, onMetric: (metric) => metrics.push(metric) });
    const { log, hooks } = hooksLog();
    const context = tts.open(openOptions, hooks);
    clock.advance(500);
    context.pushText('Hello there.');
    context.end();
    clock.advance(5000);
    expect(metrics).toEqual([{ provider: 'fake-tts', kind: 'first-audio', value: 80 }]);
    expect(log.at(-1)).toBe('done');
  });

  it('times out a silent context: retryable timeout to the caller, the provider context cancelled', () => {
    const clock = createSimulatedClock();
    const fake = createFakeTts({ clock, firstAudioMs: 2000 });
    const tts = withTtsResilience(fake, { clock, firstAudioTimeoutMs: 500 });
    const { log, errors, hooks } = hooksLog();
    const context = tts.open(openOptions, hooks);
    context.pushText('Hello. ');
    context.end();
    clock.advance(5000);
    expect(log).toEqual(['error:timeout']);
    expect(errors[0]?.retryable).toBe(true);
    expect(fake.contexts[0]?.cancelled).toBe(true);
  });

  it('normalises errors, reports thrown ones on a microtask, and calls no hook after the first error or cancel', async () => {
    const clock = createSimulatedClock();
    let innerHooks: TtsHooks | undefined;
    const broken: TextToSpeech = {
      id: 'broken',
      capabilities: { alignment: 'none', maxContexts: 1 },
      open: (_options, hooks) => {
        innerHooks = hooks;
        return {
          pushText: (text) => {
            if (text === 'throw') throw new Error('socket closed');
          },
          end: () => {},
          cancel: () => {},
        };
      },
    };
    const metrics: ProviderMetric[] = [];
    const tts = withTtsResilience(broken, { clock, onMetric: (metric) => metrics.push(metric) });
    const { log, errors, hooks } = hooksLog();
    const context = tts.open(openOptions, hooks);
    context.pushText('throw');
    expect(log).toEqual([]); // never re-enters the caller of pushText
    await flushMicrotasks();
    expect(errors[0]).toMatchObject({ name: 'ProviderError', provider: 'broken', kind: 'server' });
    innerHooks?.onError(new Error('late') as unknown as ProviderError);
    innerHooks?.onDone();
    expect(log).toEqual(['error:server']);
    expect(metrics.map((metric) => metric.kind)).toEqual(['error']);

    const second = hooksLog();
    const context2 = tts.open(openOptions, second.hooks);
    context2.cancel();
    innerHooks?.onAudio({ pcm: new Int16Array(160) });
    innerHooks?.onDone();
    expect(second.log).toEqual([]);
  });

  it('rethrows errors from open() as ProviderError', () => {
    const clock = createSimulatedClock();
    const refusing: TextToSpeech = {
      id: 'refusing',
      capabilities: { alignment: 'none', maxContexts: 1 },
      open: () => {
        throw new Error('too many contexts');
      },
    };
    expect(() => withTtsResilience(refusing, { clock }).open(openOptions, hooksLog().hooks)).toThrow(ProviderError);
  });
});
