// The fake LLM answers from its table with exact, clock-driven timing, honours aborts, fails on demand and
// records what it was asked and what it yielded, so runtime tests can assert on both sides.
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../../runtime/providers/errors.js';
import { createFakeLlm, splitIntoTokens } from '../../../runtime/providers/testing/fake-llm.js';
import { flushMicrotasks } from '../../../runtime/util/flush.js';
import type { LlmRequest } from '../../../runtime/providers/types.js';
import { createSimulatedClock } from '../../../runtime/util/clock.js';
import { consume } from './consume.js';

function request(userText: string, signal: AbortSignal = new AbortController().signal): LlmRequest {
  return {
    messages: [
      { role: 'system', content: 'You are a receptionist.' },
      { role: 'user', content: 'earlier question' },
      { role: 'assistant', content: 'earlier answer' },
      { role: 'user', content: userText },
    ],
    model: 'fake-model',
    temperature: 0,
    maxOutputTokens: 200,
    signal,
  };
}

describe('splitIntoTokens', () => {
  it('splits into word tokens that keep their leading spaces', () => {
    expect(splitIntoTokens('Hello there.')).toEqual(['Hello', ' there', '.']);
    expect(splitIntoTokens("It's 9:30, isn't it?")).toEqual(["It's", ' 9', ':', '30', ',', " isn't", ' it', '?']);
  });

  it('concatenates back to the exact text', () => {
    for (const text of ['  leading and trailing  ', 'Grüße aus Köln — bis bald!', 'a\n\nb\tc', '', '日本語 テキスト']) {
      expect(splitIntoTokens(text).join('')).toBe(text);
    }
  });
});

describe('createFakeLlm', () => {
  it('streams the matching reply: first token after ttftMs, then one every 1000/tokensPerSecond ms', async () => {
    const clock = createSimulatedClock();
    const llm = createFakeLlm({ clock, replies: [{ match: 'OPENING hours', reply: 'We open at nine.' }], ttftMs: 300, tokensPerSecond: 10 });
    const reply = consume(llm.stream(request('What are your opening hours?')), clock);
    await flushMicrotasks();
    clock.advance(299);
    await flushMicrotasks();
    expect(reply.items).toEqual([]);
    clock.advance(1);
    await flushMicrotasks();
    expect(reply.items.map((item) => item.token)).toEqual(['We']);
    // Times stay exact however far the clock jumps: tokens are produced from timer callbacks.
    clock.advance(10_000);
    await reply.finished;
    expect(reply.text()).toBe('We open at nine.');
    const record = llm.requests[0];
    expect(record).toMatchObject({ model: 'fake-model', startedAtMs: 0, firstTokenAtMs: 300, endedAtMs: 700, aborted: false, text: 'We open at nine.' });
    expect(record?.messages).toHaveLength(4);
  });

  it('matches strings against the last user message only, regexes and predicates too, first row wins', async () => {
    const clock = createSimulatedClock();
    const llm = createFakeLlm({
      clock,
      ttftMs: 0,
      replies: [
        { match: 'earlier', reply: 'wrong: not the last user message' },
        { match: /book(ing)?/i, reply: 'Booking.' },
        { match: (messages) => messages.length > 3 && (messages.at(-1)?.content.includes('bye') ?? false), reply: 'Goodbye.' },
      ],
      defaultReply: 'Sorry?',
    });
    const texts: string[] = [];
    for (const userText of ['I want a BOOKING', 'bye now', 'something else']) {
      const reply = consume(llm.stream(request(userText)), clock);
      clock.advance(1000);
      await reply.finished;
      texts.push(reply.text());
    }
    expect(texts).toEqual(['Booking.', 'Goodbye.', 'Sorry?']);
  });

  it('without a matching row or defaultReply, throws a non-retryable bad-request that says how to fix it', async () => {
    const clock = createSimulatedClock();
    const llm = createFakeLlm({ clock, replies: [] });
    const reply = consume(llm.stream(request('hello')), clock);
    await reply.finished;
    expect(reply.error).toBeInstanceOf(ProviderError);
    expect(reply.error).toMatchObject({ kind: 'bad-request', retryable: false });
    expect(String((reply.error as Error).message)).toContain("add a row to 'replies' or set 'defaultReply'");
  });

  it('stops promptly on abort: the iterator ends without throwing and the record says aborted', async () => {
    const clock = createSimulatedClock();
    const controller = new AbortController();
    const llm = createFakeLlm({ clock, replies: [], defaultReply: 'one two three four five six', ttftMs: 100 });
    const reply = consume(llm.stream(request('hi', controller.signal)), clock);
    clock.advance(120); // "one" at 100, " two" at 120
    await flushMicrotasks();
    controller.abort();
    await reply.finished;
    expect(reply.error).toBeUndefined();
    expect(reply.text()).toBe('one two');
    expect(llm.requests[0]).toMatchObject({ aborted: true, endedAtMs: 120, text: 'one two' });
    expect(clock.pending()).toBe(0);
  });

  it('drops tokens produced but not yet read when aborted', async () => {
    const clock = createSimulatedClock();
    const controller = new AbortController();
    const llm = createFakeLlm({ clock, replies: [], defaultReply: 'a b c d', ttftMs: 0 });
    const iterator = llm.stream(request('hi', controller.signal))[Symbol.asyncIterator]();
    clock.advance(1000);
    expect(await iterator.next()).toEqual({ value: 'a', done: false });
    controller.abort();
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    expect(llm.requests[0]).toMatchObject({ aborted: true, text: 'a' });
  });

  it('records an already-aborted request and yields nothing', async () => {
    const clock = createSimulatedClock();
    const llm = createFakeLlm({ clock, replies: [], defaultReply: 'hello' });
    const reply = consume(llm.stream(request('hi', AbortSignal.abort())), clock);
    await reply.finished;
    expect(reply.items).toEqual([]);
    expect(llm.requests[0]).toMatchObject({ aborted: true, endedAtMs: 0 });
  });

  it('injects failures by request index: before the first token, mid-stream, and stalls', async () => {
    const clock = createSimulatedClock();
    const llm = createFakeLlm({
      clock,
      replies: [],
      defaultReply: 'one two three four',
      failures: [
        { request: 0, kind: 'error-before-first-token' },
        { request: 1, kind: 'error-mid-stream', retryable: false },
        { request: 2, kind: 'stall' },
      ],
    });
    const before = consume(llm.stream(request('a')), clock);
    clock.advance(1000);
    await before.finished;
    expect(before.items).toEqual([]);
    expect(before.error).toMatchObject({ name: 'ProviderError', retryable: true });
    expect(llm.requests[0]?.endedAtMs).toBe(1100 - 1000);

    const mid = consume(llm.stream(request('b')), clock);
    clock.advance(1000);
    await mid.finished;
    expect(mid.text()).toBe('one two');
    expect(mid.error).toMatchObject({ retryable: false });
    expect(llm.requests[1]?.error).toBe(mid.error);

    const controller = new AbortController();
    const stalled = consume(llm.stream(request('c', controller.signal)), clock);
    clock.advance(60_000);
    await flushMicrotasks();
    expect(stalled.done).toBe(false);
    controller.abort();
    await stalled.finished;
    expect(stalled.error).toBeUndefined();
    expect(llm.requests[2]).toMatchObject({ aborted: true, text: '' });

    const normal = consume(llm.stream(request('d')), clock);
    clock.advance(1000);
    await normal.finished;
    expect(normal.text()).toBe('one two three four');
  });

  it('stops its timers when the consumer breaks out early', async () => {
    const clock = createSimulatedClock();
    const llm = createFakeLlm({ clock, replies: [], defaultReply: 'one two three', ttftMs: 0 });
    clock.advance(0);
    const stream = llm.stream(request('hi'));
    clock.advance(1000);
    for await (const token of stream) {
      expect(token).toBe('one');
      break;
    }
    expect(llm.requests[0]).toMatchObject({ aborted: false, text: 'one' });
    expect(clock.pending()).toBe(0);
  });

  it('rejects invalid timing options at once', () => {
    const clock = createSimulatedClock();
    expect(() => createFakeLlm({ clock, replies: [], tokensPerSecond: 0 })).toThrow(/tokensPerSecond must be > 0/);
    expect(() => createFakeLlm({ clock, replies: [], ttftMs: -1 })).toThrow(/ttftMs must be >= 0/);
  });
});
