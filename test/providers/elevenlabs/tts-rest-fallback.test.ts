// The REST fallback (`@elevenlabs/elevenlabs-js` streamWithTimestamps) against the local mock: used when the
// socket cannot be opened, it speaks the whole utterance on end(), with alignment made chunk-relative.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeMulaw } from '../../../runtime/audio/g711.js';
import { createElevenLabsRestTts, createElevenLabsTts, listElevenLabsVoices } from '../../../runtime/providers/elevenlabs/index.js';
import { realClock } from '../../../runtime/util/clock.js';
import { startElevenLabsMock, synthesise, type ElevenLabsMock } from '../../mocks/elevenlabs-server.js';
import { pushTokens, sleep, speak } from './speak.js';

let mock: ElevenLabsMock;

beforeEach(async () => {
  mock = await startElevenLabsMock({ charsPerChunk: 7 });
});

afterEach(async () => {
  await mock.close();
});

describe('createElevenLabsRestTts', () => {
  it('synthesises the utterance on end() at 8 kHz with alignment relative to each chunk', async () => {
    const tts = createElevenLabsRestTts({ apiKey: 'test-key', baseURL: mock.baseURL, voiceSettings: { stability: 0.5, similarityBoost: 0.75 } });
    const text = 'Your table is booked for seven tonight.';
    const spoken = speak(tts, { voice: 'voice-b' });
    pushTokens(spoken.context, text);
    await sleep(20);
    expect(mock.restRequests).toHaveLength(0); // nothing before end()
    spoken.context.end();
    await spoken.settled;

    expect(spoken.errors).toEqual([]);
    expect(spoken.alignedText()).toBe(text);
    // Placing each chunk's alignment after the audio before it gives back the absolute times: 40 ms a character.
    let offsetMs = 0;
    let index = 0;
    for (const chunk of spoken.chunks) {
      for (const startMs of chunk.alignment!.startMs) expect(offsetMs + startMs).toBeCloseTo(index++ * 40, 6);
      offsetMs += chunk.pcm.length / 8;
    }
    expect(Array.from(spoken.chunks[0]!.pcm)).toEqual(Array.from(decodeMulaw(synthesise(Array.from(text.slice(0, 7)), 0, 8000, 40, true))));
    const [request] = mock.restRequests;
    expect(request).toMatchObject({ voice: 'voice-b', query: { output_format: 'ulaw_8000' } });
    expect(request!.body).toEqual({ text, model_id: 'eleven_flash_v2_5', voice_settings: { stability: 0.5, similarity_boost: 0.75 } });
    expect(mock.violations).toEqual([]);
  });

  it('at 48 kHz asks for pcm_48000 directly', async () => {
    const tts = createElevenLabsRestTts({ apiKey: 'test-key', baseURL: mock.baseURL });
    const spoken = speak(tts, { sampleRate: 48000 });
    spoken.context.pushText('Hi.');
    spoken.context.end();
    await spoken.settled;
    expect(mock.restRequests[0]!.query.output_format).toBe('pcm_48000');
    expect(spoken.samples()).toBe(3 * 1920);
  });

  it('stands in when the socket cannot be opened', async () => {
    mock.faults.rejectUpgrade = 503;
    const socketTts = createElevenLabsTts({ apiKey: 'test-key', baseURL: mock.baseURL, clock: realClock, reconnect: { attempts: 0 } });
    const failed = speak(socketTts);
    failed.context.pushText('Hello.');
    failed.context.end();
    await failed.settled;
    expect(failed.errors[0]?.retryable).toBe(true);
    await socketTts.dispose();

    const fallback = speak(createElevenLabsRestTts({ apiKey: 'test-key', baseURL: mock.baseURL }));
    fallback.context.pushText('Hello.');
    fallback.context.end();
    await fallback.settled;
    expect(fallback.done).toBe(true);
    expect(fallback.alignedText()).toBe('Hello.');
  });

  it('cancel() aborts: no hook runs afterwards', async () => {
    const tts = createElevenLabsRestTts({ apiKey: 'test-key', baseURL: mock.baseURL });
    const spoken = speak(tts);
    spoken.context.pushText('Never mind.');
    spoken.context.end();
    spoken.context.cancel();
    await sleep(50);
    expect(spoken.chunks).toEqual([]);
    expect(spoken.done).toBe(false);
    expect(spoken.errors).toEqual([]);
  });

  it('an empty utterance is done without a request', async () => {
    const spoken = speak(createElevenLabsRestTts({ apiKey: 'test-key', baseURL: mock.baseURL }));
    spoken.context.pushText('  ');
    spoken.context.end();
    await spoken.settled;
    expect(spoken.done).toBe(true);
    expect(mock.restRequests).toHaveLength(0);
  });

  it.each([
    [401, 'auth', false, 'wrong-key'],
    [503, 'server', true, 'test-key'],
    [422, 'bad-request', false, 'test-key'],
  ] as const)('HTTP %i becomes a %s ProviderError (retryable: %s)', async (status, kind, retryable, apiKey) => {
    if (apiKey === 'test-key') mock.faults.restStatus = status;
    const spoken = speak(createElevenLabsRestTts({ apiKey, baseURL: mock.baseURL }));
    spoken.context.pushText('Hello.');
    spoken.context.end();
    await spoken.settled;
    expect(spoken.errors[0]).toMatchObject({ provider: 'elevenlabs-rest', kind, retryable });
    expect(spoken.errors[0]!.message).toContain(`HTTP ${status}`);
  });
});

describe('listElevenLabsVoices', () => {
  it('lists the account voices', async () => {
    const tts = createElevenLabsRestTts({ apiKey: 'test-key', baseURL: mock.baseURL });
    const expected = [
      { id: 'voice-a', name: 'Alice', category: 'premade' },
      { id: 'voice-b', name: 'Bob', category: 'cloned' },
    ];
    expect(await tts.listVoices()).toEqual(expected);
    expect(await listElevenLabsVoices({ apiKey: 'test-key', baseURL: mock.baseURL })).toEqual(expected);
  });

  it('a wrong key is an auth ProviderError', async () => {
    await expect(listElevenLabsVoices({ apiKey: 'nope', baseURL: mock.baseURL })).rejects.toMatchObject({ kind: 'auth', retryable: false });
  });

  it('an endpoint that refuses the connection is a network ProviderError that says so', async () => {
    const closed = await startElevenLabsMock();
    const baseURL = closed.baseURL;
    await closed.close();
    const failure = listElevenLabsVoices({ apiKey: 'test-key', baseURL });
    await expect(failure).rejects.toMatchObject({ kind: 'network', retryable: true });
    // undici says only "fetch failed"; the cause it wraps says what failed.
    await expect(failure).rejects.toThrow(/fetch failed \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)/);
  });
});
