// What the ElevenLabs socket adapter does when things go wrong or go quiet: keep-alives while the LLM is slow,
// a socket that drops mid-utterance, a server that refuses the socket, errors, the context limit, malformed or
// differently spelled frames. Every failure must reach onError as a ProviderError, never as a throw or an
// unhandled rejection.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../runtime/providers/errors.js';
import { withTtsResilience } from '../../../runtime/providers/resilient.js';
import { createElevenLabsTts, type ElevenLabsTts, type ElevenLabsTtsOptions } from '../../../runtime/providers/elevenlabs/index.js';
import { createSimulatedClock, realClock } from '../../../runtime/util/clock.js';
import { startElevenLabsMock, type ElevenLabsMock, type ElevenLabsMockOptions } from '../../mocks/elevenlabs-server.js';
import { pushTokens, sleep, speak, until } from './speak.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
beforeAll(() => void process.on('unhandledRejection', onUnhandled));
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

let mock: ElevenLabsMock | undefined;
let tts: ElevenLabsTts | undefined;

async function setUp(mockOptions: ElevenLabsMockOptions = {}, ttsOptions: Partial<ElevenLabsTtsOptions> = {}): Promise<ElevenLabsTts> {
  mock = await startElevenLabsMock(mockOptions);
  tts = createElevenLabsTts({ apiKey: 'test-key', baseURL: mock.baseURL, clock: realClock, reconnect: { attempts: 2, backoffMs: 5 }, ...ttsOptions });
  return tts;
}

const keepAlives = (m: ElevenLabsMock): number => m.received.filter((entry) => entry.message.text === '').length;

afterEach(async () => {
  await tts?.dispose();
  await mock?.close();
  tts = undefined;
  mock = undefined;
});

describe('keep-alive', () => {
  it('an idle context sends {text: ""} every keepAliveMs (half of inactivity_timeout), and stops after end()', async () => {
    const clock = createSimulatedClock();
    const m = await startElevenLabsMock();
    mock = m;
    tts = createElevenLabsTts({ apiKey: 'test-key', baseURL: m.baseURL, clock, inactivityTimeoutS: 1 });
    const spoken = speak(tts);
    await until(() => m.received.length === 1, 1000, 'init');
    clock.advance(499);
    await sleep(10);
    expect(keepAlives(m)).toBe(0);
    clock.advance(1);
    await until(() => keepAlives(m) === 1, 1000, 'first keep-alive');
    clock.advance(500);
    await until(() => keepAlives(m) === 2, 1000, 'second keep-alive');
    // Text resets the timer.
    spoken.context.pushText('Let me check that. ');
    await until(() => m.received.length === 4, 1000, 'text');
    clock.advance(499);
    await sleep(10);
    expect(keepAlives(m)).toBe(2);
    clock.advance(1);
    await until(() => keepAlives(m) === 3, 1000, 'keep-alive after text');
    spoken.context.end();
    await spoken.settled;
    clock.advance(5000);
    await sleep(10);
    expect(keepAlives(m)).toBe(3);
    expect(m.received.find((entry) => entry.message.text === '')?.message).toEqual({ text: '', context_id: m.received[0]!.message.context_id });
    expect(m.violations).toEqual([]);
  });

  it('dispose() with a context still open stops its keep-alive: no timer is left behind', async () => {
    const clock = createSimulatedClock();
    const m = await startElevenLabsMock();
    mock = m;
    const local = createElevenLabsTts({ apiKey: 'test-key', baseURL: m.baseURL, clock });
    const spoken = speak(local);
    spoken.context.pushText('Half a thought'); // no phrase complete yet: only init goes out
    await until(() => m.received.length === 1, 1000, 'init');
    expect(clock.pending()).toBe(1);
    await local.dispose();
    expect(clock.pending()).toBe(0);
    clock.advance(60_000);
    expect(spoken.errors).toEqual([]);
    expect(spoken.done).toBe(false);
  });

  it('keep-alives hold a context open past the server inactivity timeout; without them the server closes it', async () => {
    const alive = await setUp({ inactivityMs: 60 }, { keepAliveMs: 20 });
    const kept = speak(alive);
    await sleep(150);
    kept.context.pushText('Thanks for waiting.');
    kept.context.end();
    await kept.settled;
    expect(kept.done).toBe(true);

    await tts!.dispose();
    tts = createElevenLabsTts({ apiKey: 'test-key', baseURL: mock!.baseURL, clock: realClock, keepAliveMs: 5000 });
    const dropped = speak(tts);
    await dropped.settled;
    expect(dropped.errors[0]).toBeInstanceOf(ProviderError);
    expect(dropped.errors[0]!.message).toMatch(/closed the context before end\(\).*inactivity_timeout/);
    expect(dropped.errors[0]!.retryable).toBe(true);
  });
});

describe('socket failures', () => {
  it('a drop mid-utterance fails the context (retryable) and reconnects; the next open() uses the new socket', async () => {
    const tts = await setUp({ chunkIntervalMs: 5, charsPerChunk: 5 });
    mock!.faults.dropAfterAudio = 2;
    const first = speak(tts);
    pushTokens(first.context, 'This reply will be cut off by a network failure halfway.');
    first.context.end();
    await first.settled;
    expect(first.done).toBe(false);
    expect(first.chunks.length).toBe(2);
    expect(first.errors).toHaveLength(1);
    expect(first.errors[0]).toMatchObject({ provider: 'elevenlabs', kind: 'network', retryable: true });
    expect(first.errors[0]!.message).toMatch(/socket closed mid-utterance \(code 1006/);

    mock!.faults.dropAfterAudio = undefined;
    await until(() => mock!.connections.length === 2 && !mock!.connections[1]!.closed, 2000, 'reconnect');
    const second = speak(tts);
    second.context.pushText('Sorry about that.');
    second.context.end();
    await second.settled;
    expect(second.done).toBe(true);
    expect(mock!.connections).toHaveLength(2);
    expect(mock!.connections[1]!.audioSent).toBeGreaterThan(0);
    expect(mock!.violations).toEqual([]);
  });

  it('a socket that cannot be opened fails its contexts after the retries, with a retryable error', async () => {
    const tts = await setUp({}, { reconnect: { attempts: 2, backoffMs: 5 } });
    mock!.faults.rejectUpgrade = 503;
    const spoken = speak(tts);
    spoken.context.pushText('Hello.');
    spoken.context.end();
    await spoken.settled;
    expect(mock!.upgradeAttempts).toBe(3);
    expect(spoken.errors[0]).toMatchObject({ kind: 'server', retryable: true });
    expect(spoken.errors[0]!.message).toMatch(/HTTP 503.*\(after 3 tries\); fall back to createElevenLabsRestTts/);

    // The server is back: the next utterance connects afresh.
    mock!.faults.rejectUpgrade = undefined;
    const next = speak(tts);
    next.context.pushText('Hello again.');
    next.context.end();
    await next.settled;
    expect(next.done).toBe(true);
  });

  it('a wrong API key fails at once, not retryable', async () => {
    const tts = await setUp({}, { apiKey: 'wrong-key' });
    const spoken = speak(tts);
    await spoken.settled;
    expect(mock!.authFailures).toBe(1);
    expect(spoken.errors[0]).toMatchObject({ kind: 'auth', retryable: false });
    expect(spoken.errors[0]!.message).toMatch(/HTTP 401.*check the ElevenLabs API key/);
  });

  it('nothing listening: a network error after the retries', async () => {
    const m = await startElevenLabsMock();
    const { baseURL } = m;
    await m.close();
    tts = createElevenLabsTts({ apiKey: 'test-key', baseURL, clock: realClock, reconnect: { attempts: 1, backoffMs: 5 } });
    const spoken = speak(tts);
    await spoken.settled;
    expect(spoken.errors[0]).toMatchObject({ kind: 'network', retryable: true });
    expect(spoken.errors[0]!.message).toMatch(/ECONNREFUSED/);
  });
});

describe('server errors and limits', () => {
  it('an error for one context fails that context only; the socket carries on', async () => {
    const tts = await setUp();
    mock!.faults.errorAfterAudio = 1;
    mock!.faults.errorForContext = true;
    const failing = speak(tts);
    failing.context.pushText('This one fails after its first chunk of audio.');
    failing.context.end();
    await failing.settled;
    expect(failing.errors[0]).toMatchObject({ kind: 'server', retryable: true });
    expect(failing.errors[0]!.message).toMatch(/Something went wrong generating audio \(internal_error\)/);
    const next = speak(tts);
    next.context.pushText('This one is fine.');
    next.context.end();
    await next.settled;
    expect(next.done).toBe(true);
    expect(mock!.connections).toHaveLength(1);
  });

  it('max_active_conversations becomes a retryable rate-limit ProviderError for the contexts on that socket', async () => {
    // A server stricter than the documented 5 contexts, so the adapter's own accounting cannot prevent it.
    const tts = await setUp({ maxContexts: 2 });
    const all = Array.from({ length: 3 }, () => speak(tts));
    all.forEach((spoken) => spoken.context.pushText('Waiting for the limit. '));
    await Promise.all(all.map((spoken) => spoken.settled));
    expect(mock!.limitErrors).toBe(1);
    for (const spoken of all) {
      expect(spoken.errors[0]).toMatchObject({ kind: 'rate-limit', retryable: true });
      expect(spoken.errors[0]!.message).toMatch(/Maximum simultaneous contexts.*max_active_conversations.*cancel\(\) replies/);
    }
  });

  it('a hook that throws fails only its own context, never the socket', async () => {
    const tts = await setUp();
    const errors: ProviderError[] = [];
    const context = tts.open({ voice: 'voice-a', language: 'en', sampleRate: 8000, speed: 1 }, {
      onAudio: () => {
        throw new Error('playout exploded');
      },
      onDone: () => {},
      onError: (error) => errors.push(error),
    });
    context.pushText('Boom.');
    context.end();
    await until(() => errors.length === 1, 2000, 'onError');
    expect(errors[0]!.message).toMatch(/playout exploded/);
    const next = speak(tts);
    next.context.pushText('Still working.');
    next.context.end();
    await next.settled;
    expect(next.done).toBe(true);
  });
});

describe('what the server sends', () => {
  it('ignores malformed, binary and unknown frames', async () => {
    const tts = await setUp();
    mock!.faults.malformed = true;
    const spoken = speak(tts);
    pushTokens(spoken.context, 'Garbage around every chunk, but the words still arrive.');
    spoken.context.end();
    await spoken.settled;
    expect(spoken.errors).toEqual([]);
    expect(spoken.alignedText().trim()).toBe('Garbage around every chunk, but the words still arrive.');
  });

  it('accepts is_final, context_id, normalizedAlignment and charsDurationsMs', async () => {
    const tts = await setUp({ spelling: 'snake' });
    const spoken = speak(tts);
    spoken.context.pushText('Other spellings work too.');
    spoken.context.end();
    await spoken.settled;
    expect(spoken.done).toBe(true);
    expect(spoken.alignedText().trim()).toBe('Other spellings work too.');
    expect(spoken.chunks[0]!.alignment!.durationMs[0]).toBe(40);
  });

  it('slow first audio and slow chunks still arrive in order', async () => {
    const tts = await setUp({ firstAudioMs: 60, chunkIntervalMs: 10, charsPerChunk: 4 });
    const spoken = speak(tts);
    spoken.context.pushText('Slowly but surely.');
    spoken.context.end();
    await spoken.settled;
    expect(spoken.alignedText().trim()).toBe('Slowly but surely.');
  });

  it('a stalled server: withTtsResilience times the context out and its cancel() closes the context', async () => {
    const tts = await setUp();
    mock!.faults.stall = true;
    const guarded = withTtsResilience(tts, { clock: realClock, firstAudioTimeoutMs: 60 });
    const spoken = speak(guarded);
    spoken.context.pushText('Anyone there?');
    spoken.context.end();
    await spoken.settled;
    expect(spoken.chunks).toEqual([]);
    expect(spoken.errors[0]).toMatchObject({ kind: 'timeout', retryable: true });
    // end() had already sent flush + close_context, so cancel() sends nothing more.
    const id = mock!.received[0]!.message.context_id as string;
    expect(mock!.messagesFor(id).filter((message) => message.close_context === true)).toHaveLength(1);
    expect(mock!.violations).toEqual([]);
  });
});
