// The ElevenLabs multi-stream-input adapter against the local mock: what it sends (the mock records every
// protocol deviation in `violations`), what it hands the runtime (PCM at the session rate, alignment that spells
// the text), and how it shares one socket between utterances within the 5-context limit.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeMulaw } from '../../../runtime/audio/g711.js';
import { pcm16FromBytes } from '../../../runtime/audio/pcm.js';
import { createElevenLabsTts, type ElevenLabsTts, type ElevenLabsTtsOptions } from '../../../runtime/providers/elevenlabs/index.js';
import { realClock } from '../../../runtime/util/clock.js';
import { startElevenLabsMock, synthesise, type ElevenLabsMock, type ElevenLabsMockOptions } from '../../mocks/elevenlabs-server.js';
import { pushTokens, sleep, speak, until } from './speak.js';

const REPLY = 'Hello there, how are you today? I can help you book a table for two at seven.';

let mock: ElevenLabsMock;
let tts: ElevenLabsTts | undefined;

async function setUp(mockOptions: ElevenLabsMockOptions = {}, ttsOptions: Partial<ElevenLabsTtsOptions> = {}): Promise<ElevenLabsTts> {
  await mock?.close();
  mock = await startElevenLabsMock(mockOptions);
  tts = createElevenLabsTts({ apiKey: 'test-key', baseURL: mock.baseURL, clock: realClock, reconnect: { attempts: 2, backoffMs: 5 }, ...ttsOptions });
  return tts;
}

const initIds = (): string[] => mock.received.filter((entry) => entry.message.text === ' ').map((entry) => entry.message.context_id as string);

beforeEach(async () => {
  mock = await startElevenLabsMock();
});

afterEach(async () => {
  await tts?.dispose();
  tts = undefined;
  await mock.close();
});

describe('createElevenLabsTts: one utterance', () => {
  it('turns streamed tokens into 8 kHz PCM (decoded from ulaw_8000) whose alignment spells the text', async () => {
    const tts = await setUp({}, { voiceSettings: { stability: 0.4, similarityBoost: 0.8, useSpeakerBoost: true, speed: 1 } });
    const spoken = speak(tts);
    pushTokens(spoken.context, REPLY);
    spoken.context.end();
    await spoken.settled;

    expect(spoken.errors).toEqual([]);
    expect(spoken.done).toBe(true);
    expect(spoken.alignedText().trim()).toBe(REPLY);
    const chars = spoken.chunks.reduce((sum, chunk) => sum + (chunk.alignment?.chars.length ?? 0), 0);
    expect(spoken.samples()).toBe(chars * 320); // 40 ms a character at 8 kHz
    // The PCM is the mock's mu-law, decoded: the first chunk matches sample for sample.
    const first = spoken.chunks[0]!;
    expect(Array.from(first.pcm)).toEqual(Array.from(decodeMulaw(synthesise(first.alignment!.chars, 0, 8000, 40, true))));
    // Alignment stays chunk-relative.
    expect(first.alignment!.startMs[0]).toBe(0);
    expect(mock.violations).toEqual([]);
    expect(mock.connections).toHaveLength(1);
    expect(mock.connections[0]!.query).toMatchObject({ model_id: 'eleven_flash_v2_5', output_format: 'ulaw_8000', inactivity_timeout: '20', sync_alignment: 'true', auto_mode: 'true' });
  });

  it('sends init, phrases ending with a space, the rest with flush, then close_context', async () => {
    const tts = await setUp({}, { voiceSettings: { stability: 0.5, similarityBoost: 0.75, style: 0, useSpeakerBoost: true, speed: 1.1 } });
    const spoken = speak(tts, { speed: 1 });
    pushTokens(spoken.context, 'Sure, I can do that for you. One moment');
    spoken.context.end();
    await spoken.settled;

    const [id] = initIds();
    const messages = mock.messagesFor(id!);
    expect(messages[0]).toEqual({ text: ' ', context_id: id, voice_settings: { stability: 0.5, similarity_boost: 0.75, style: 0, use_speaker_boost: true, speed: 1.1 } });
    expect(messages.slice(1)).toEqual([
      { text: 'Sure, I can do that for you. ', context_id: id },
      { text: 'One moment ', context_id: id, flush: true },
      { context_id: id, close_context: true },
    ]);
    expect(mock.violations).toEqual([]);
  });

  it.each([
    [16000, 'pcm_16000', 640],
    [24000, 'pcm_24000', 960],
    [22050, 'pcm_22050', 882],
  ])('at %i Hz asks for %s and decodes little-endian PCM16', async (sampleRate, format, samplesPerChar) => {
    const tts = await setUp();
    const spoken = speak(tts, { sampleRate });
    spoken.context.pushText('Just a moment please.');
    spoken.context.end();
    await spoken.settled;
    expect(mock.connections[0]!.query.output_format).toBe(format);
    const first = spoken.chunks[0]!;
    expect(Array.from(first.pcm)).toEqual(Array.from(pcm16FromBytes(synthesise(first.alignment!.chars, 0, sampleRate, 40, false))));
    expect(spoken.samples()).toBe('Just a moment please. '.length * samplesPerChar);
  });

  it('at 48 kHz asks for pcm_24000 and resamples (twice the samples, give or take the filter)', async () => {
    const tts = await setUp();
    const spoken = speak(tts, { sampleRate: 48000 });
    spoken.context.pushText('Thank you for calling.');
    spoken.context.end();
    await spoken.settled;
    expect(spoken.errors).toEqual([]);
    expect(mock.connections[0]!.query.output_format).toBe('pcm_24000');
    expect(Math.abs(spoken.samples() - 'Thank you for calling. '.length * 960 * 2)).toBeLessThan(400);
  });

  it('rejects sample rates it cannot deliver, saying which it can', async () => {
    const tts = await setUp();
    expect(() => speak(tts, { sampleRate: 11025 })).toThrow(/11025 Hz is not supported; use 8000/);
  });
});

describe('createElevenLabsTts: barge-in and sharing the socket', () => {
  it('cancel() sends close_context and no more audio arrives', async () => {
    const tts = await setUp({ chunkIntervalMs: 15, charsPerChunk: 5 });
    const spoken = speak(tts);
    pushTokens(spoken.context, REPLY);
    await until(() => spoken.chunks.length >= 2, 2000, 'two chunks');
    spoken.context.cancel();
    const heard = spoken.chunks.length;
    await sleep(120);
    expect(spoken.chunks.length).toBe(heard);
    expect(spoken.done).toBe(false);
    expect(spoken.errors).toEqual([]);
    const [id] = initIds();
    expect(mock.messagesFor(id!).at(-1)).toEqual({ context_id: id, close_context: true });
    expect(mock.violations).toEqual([]);
  });

  it('cancel() after end() lets the server finish but nothing reaches the caller', async () => {
    const tts = await setUp({ chunkIntervalMs: 10, charsPerChunk: 5 });
    const spoken = speak(tts);
    spoken.context.pushText(REPLY);
    spoken.context.end();
    await until(() => spoken.chunks.length >= 1, 2000, 'first chunk');
    spoken.context.cancel();
    const heard = spoken.chunks.length;
    await sleep(150);
    expect(spoken.chunks.length).toBe(heard);
    expect(spoken.done).toBe(false);
    expect(mock.violations).toEqual([]); // close_context was not sent twice
  });

  it('several utterances share one socket, each with its own context', async () => {
    const tts = await setUp();
    for (const line of ['Good morning.', 'What can I do for you?', 'Goodbye.']) {
      const spoken = speak(tts);
      spoken.context.pushText(line);
      spoken.context.end();
      await spoken.settled;
      expect(spoken.alignedText().trim()).toBe(line);
    }
    expect(mock.connections).toHaveLength(1);
    expect(new Set(initIds()).size).toBe(3);
    expect(mock.violations).toEqual([]);
  });

  it('each voice gets its own socket', async () => {
    const tts = await setUp();
    const a = speak(tts, { voice: 'voice-a' });
    const b = speak(tts, { voice: 'voice-b' });
    for (const spoken of [a, b]) {
      spoken.context.pushText('Hello.');
      spoken.context.end();
    }
    await Promise.all([a.settled, b.settled]);
    expect(mock.connections.map((connection) => connection.voice).sort()).toEqual(['voice-a', 'voice-b']);
  });

  it('a sixth concurrent context waits for a slot instead of breaking the 5-context limit', async () => {
    const tts = await setUp();
    const all = Array.from({ length: 6 }, () => speak(tts));
    all.forEach((spoken, index) => spoken.context.pushText(`Reply number ${index + 1} is here. `));
    expect(tts.waitingContexts).toBe(1);
    await until(() => initIds().length === 5, 2000, 'five contexts');
    await sleep(20);
    expect(initIds()).toHaveLength(5);
    all[0]!.context.end();
    await all[0]!.settled;
    await until(() => initIds().length === 6, 2000, 'the sixth context');
    expect(tts.waitingContexts).toBe(0);
    all.slice(1).forEach((spoken) => spoken.context.end());
    await Promise.all(all.map((spoken) => spoken.settled));
    all.forEach((spoken, index) => expect(spoken.alignedText().trim()).toBe(`Reply number ${index + 1} is here.`));
    expect(mock.limitErrors).toBe(0);
    expect(mock.connections).toHaveLength(1);
    expect(mock.violations).toEqual([]);
  });

  it('with maxSocketsPerVoice 2, a sixth context opens a second socket', async () => {
    const tts = await setUp({}, { maxSocketsPerVoice: 2 });
    const all = Array.from({ length: 6 }, () => speak(tts));
    expect(tts.waitingContexts).toBe(0);
    all.forEach((spoken) => {
      spoken.context.pushText('Hi.');
      spoken.context.end();
    });
    await Promise.all(all.map((spoken) => spoken.settled));
    expect(all.every((spoken) => spoken.done)).toBe(true);
    expect(mock.connections).toHaveLength(2);
    expect(mock.limitErrors).toBe(0);
  });

  it('a cancelled context that never reached the server frees its slot at once', async () => {
    const tts = await setUp();
    const first = speak(tts);
    first.context.cancel(); // still connecting: nothing of it was sent
    const second = speak(tts);
    second.context.pushText('Still here.');
    second.context.end();
    await second.settled;
    expect(second.done).toBe(true);
    expect(initIds()).toHaveLength(1);
    expect(mock.violations).toEqual([]);
  });

  it('dispose() sends close_socket and closes the socket', async () => {
    const tts = await setUp();
    const spoken = speak(tts);
    spoken.context.pushText('One moment.');
    spoken.context.end();
    await spoken.settled;
    await tts.dispose();
    expect(mock.received.at(-1)?.message).toEqual({ close_socket: true });
    await until(() => mock.connections[0]!.closed, 1000, 'socket closed');
    expect(() => speak(tts)).toThrow(/after dispose/);
  });

  it('prewarm() opens the socket before the first utterance', async () => {
    const tts = await setUp();
    tts.prewarm({ voice: 'voice-a', sampleRate: 8000 });
    await until(() => mock.connections.length === 1, 1000, 'socket');
    const spoken = speak(tts);
    spoken.context.pushText('Hello.');
    spoken.context.end();
    await spoken.settled;
    expect(mock.connections).toHaveLength(1);
  });
});

describe('createElevenLabsTts: options', () => {
  it('throws early, saying how to fix it', () => {
    const clock = realClock;
    expect(() => createElevenLabsTts({ apiKey: '', clock })).toThrow(/apiKey is required/);
    expect(() => createElevenLabsTts({ apiKey: 'k', clock, inactivityTimeoutS: 0.5 })).toThrow(/inactivityTimeoutS must be a whole number from 1 to 180/);
    expect(() => createElevenLabsTts({ apiKey: 'k', clock, voiceSettings: { speed: 2 } })).toThrow(/speed must be between 0.7 and 1.2/);
    expect(() => createElevenLabsTts({ apiKey: 'k', clock, baseURL: 'ftp://x' })).toThrow(/must start with https:\/\//);
    expect(() => createElevenLabsTts({ apiKey: 'k', clock, chunkLengthSchedule: [10] })).toThrow(/50-500/);
  });

  it('derives wss:// from https:// with a base path kept', async () => {
    const urls: string[] = [];
    class RecordingSocket {
      constructor(url: string) {
        urls.push(url);
      }
      send(): void {}
      close(): void {}
      terminate(): void {}
      on(): this {
        return this;
      }
    }
    const local = createElevenLabsTts({ apiKey: 'k', baseURL: 'https://api.eu.residency.elevenlabs.io/', clock: realClock, WebSocketImpl: RecordingSocket, sendLanguageCode: true, connectTimeoutMs: 20 });
    speak(local, { voice: 'abc', language: 'fr-FR' });
    expect(urls[0]).toBe(
      'wss://api.eu.residency.elevenlabs.io/v1/text-to-speech/abc/multi-stream-input?model_id=eleven_flash_v2_5&output_format=ulaw_8000&inactivity_timeout=20&sync_alignment=true&auto_mode=true&language_code=fr',
    );
    await local.dispose();
  });
});
