// The embedded synthesiser speaks through eSpeak NG, installed from npm: no keys, no network, no system
// packages. Playout decides which words the caller heard from the character alignment, so these tests hold the
// alignment to the audio: every character is there, word times move forward and stay inside the audio, and the
// first word's time span really contains speech.
import { beforeAll, describe, expect, it } from 'vitest';
import type { ProviderError } from '../../../runtime/providers/errors.js';
import { alignPhrase } from '../../../runtime/providers/local/alignment.js';
import { createLocalTts, type LocalTts } from '../../../runtime/providers/local/index.js';
import { resample } from '../../../runtime/providers/local/resample.js';
import type { TtsChunk } from '../../../runtime/providers/types.js';

interface Synthesis {
  readonly chunks: TtsChunk[];
  readonly log: string[];
  readonly error?: ProviderError;
}

interface OpenOptions {
  readonly voice?: string;
  readonly language?: string;
  readonly sampleRate?: number;
  readonly speed?: number;
}

/** Streams `parts` into a new context, ends it, and resolves on onDone or onError. */
function synthesise(tts: LocalTts, parts: readonly string[], options: OpenOptions = {}): Promise<Synthesis> {
  return new Promise((resolve) => {
    const chunks: TtsChunk[] = [];
    const log: string[] = [];
    const context = tts.open(
      { voice: options.voice ?? 'en-us', language: options.language ?? 'en', sampleRate: options.sampleRate ?? 8000, speed: options.speed ?? 1 },
      {
        onAudio: (chunk) => {
          chunks.push(chunk);
          log.push('audio');
        },
        onDone: () => {
          log.push('done');
          resolve({ chunks, log });
        },
        onError: (error) => {
          log.push('error');
          resolve({ chunks, log, error });
        },
      },
    );
    for (const part of parts) context.pushText(part);
    context.end();
    log.push('ended'); // anything logged before this was called synchronously
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function concat(chunks: readonly TtsChunk[]): Int16Array {
  const pcm = new Int16Array(chunks.reduce((sum, chunk) => sum + chunk.pcm.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    pcm.set(chunk.pcm, offset);
    offset += chunk.pcm.length;
  }
  return pcm;
}

const rms = (pcm: Int16Array, from = 0, to = pcm.length): number => {
  let sum = 0;
  for (let index = from; index < to; index++) sum += (pcm[index] as number) ** 2;
  return Math.sqrt(sum / Math.max(1, to - from));
};

/** Characters on the utterance time line: chunk-relative alignment shifted by the audio before each chunk. */
function timeline(chunks: readonly TtsChunk[], sampleRate: number): Array<{ char: string; startMs: number; endMs: number }> {
  const chars: Array<{ char: string; startMs: number; endMs: number }> = [];
  let chunkStartMs = 0;
  for (const { pcm, alignment } of chunks) {
    if (!alignment) throw new Error('chunk without alignment');
    alignment.chars.forEach((char, index) => {
      const startMs = chunkStartMs + (alignment.startMs[index] as number);
      chars.push({ char, startMs, endMs: startMs + (alignment.durationMs[index] as number) });
    });
    chunkStartMs += (pcm.length * 1000) / sampleRate;
  }
  return chars;
}

/** Words as playout sees them: runs of non-space characters, ending where the next space starts. */
function words(chars: ReturnType<typeof timeline>): Array<{ text: string; startMs: number; endMs: number }> {
  const found: Array<{ text: string; startMs: number; endMs: number }> = [];
  let current: { text: string; startMs: number; endMs: number } | undefined;
  for (const { char, startMs, endMs } of chars) {
    if (/\s/.test(char)) {
      if (current) found.push(current);
      current = undefined;
    } else if (current) {
      current.text += char;
      current.endMs = endMs;
    } else {
      current = { text: char, startMs, endMs };
    }
  }
  if (current) found.push(current);
  return found;
}

const alignedText = (chunks: readonly TtsChunk[]): string => chunks.flatMap((chunk) => chunk.alignment?.chars ?? []).join('');

let tts: LocalTts;
beforeAll(async () => {
  tts = await createLocalTts();
});

describe('createLocalTts', () => {
  it('speaks a greeting at 8 kHz with alignment that tiles the audio and places the words', async () => {
    const text = 'Hello there. How can I help you today?';
    const { chunks, log, error } = await synthesise(tts, [text]);
    expect(error).toBeUndefined();
    expect(log[0]).toBe('ended'); // no hook ran inside pushText or end
    expect(log.at(-1)).toBe('done');
    const pcm = concat(chunks);
    const durationMs = (pcm.length * 1000) / 8000;
    expect(durationMs).toBeGreaterThan(1500);
    expect(durationMs).toBeLessThan(5000);
    expect(rms(pcm)).toBeGreaterThan(500);

    expect(alignedText(chunks)).toBe(text);
    for (const { pcm: chunkPcm, alignment } of chunks) {
      const alignedMs = alignment!.durationMs.reduce((sum, ms) => sum + ms, 0);
      expect(alignedMs).toBeCloseTo((chunkPcm.length * 1000) / 8000, 6);
    }
    const spoken = words(timeline(chunks, 8000));
    expect(spoken.map((word) => word.text)).toEqual(['Hello', 'there.', 'How', 'can', 'I', 'help', 'you', 'today?']);
    spoken.forEach((word, index) => {
      expect(word.endMs).toBeGreaterThan(word.startMs);
      expect(word.endMs).toBeLessThanOrEqual(durationMs + 1e-6);
      if (index > 0) expect(word.startMs).toBeGreaterThanOrEqual(spoken[index - 1]!.endMs);
    });

    // "Hello" is speech; the pause after "there." (carried by the space) is near silence.
    const at = (ms: number): number => Math.round((ms * 8000) / 1000);
    const hello = spoken[0]!;
    const pause = timeline(chunks, 8000).find((char, index, all) => char.char === ' ' && all[index - 1]?.char === '.')!;
    expect(pause.endMs - pause.startMs).toBeGreaterThan(150);
    expect(rms(pcm, at(hello.startMs), at(hello.endMs))).toBeGreaterThan(10 * Math.max(1, rms(pcm, at(pause.startMs), at(pause.endMs))));
  });

  it('speaks French and Mandarin with their own voices', async () => {
    const french = await synthesise(tts, ['Bonjour, comment puis-je vous aider ?'], { voice: 'fr-fr', language: 'fr', sampleRate: 16000 });
    const mandarin = await synthesise(tts, ['你好，我能帮你什么？'], { voice: 'cmn', language: 'zh', sampleRate: 24000 });
    for (const [result, sampleRate, text] of [
      [french, 16000, 'Bonjour, comment puis-je vous aider ?'],
      [mandarin, 24000, '你好，我能帮你什么？'],
    ] as const) {
      expect(result.error).toBeUndefined();
      const pcm = concat(result.chunks);
      expect((pcm.length * 1000) / sampleRate).toBeGreaterThan(800);
      expect(rms(pcm)).toBeGreaterThan(500);
      expect(alignedText(result.chunks)).toBe(text);
    }
    // Each Mandarin character is a word in eSpeak's events: they get increasing, non-empty spans.
    const hanzi = timeline(mandarin.chunks, 24000).filter((char) => /\p{Script=Han}/u.test(char.char));
    expect(hanzi).toHaveLength(8);
    hanzi.forEach((char, index) => {
      expect(char.endMs).toBeGreaterThan(char.startMs);
      if (index > 0) expect(char.startMs).toBeGreaterThanOrEqual(hanzi[index - 1]!.endMs);
    });
  });

  it('gives the same alignment text and timing when the text streams in as tokens', async () => {
    const text = 'Hello there. How can I help you today?';
    const whole = await synthesise(tts, [text]);
    const streamed = await synthesise(tts, ['Hel', 'lo the', 're.', ' How can', ' I help you', ' to', 'day?']);
    expect(alignedText(streamed.chunks)).toBe(text);
    const total = (result: Synthesis): number => concat(result.chunks).length;
    expect(Math.abs(total(streamed) - total(whole))).toBeLessThan(80); // 10 ms at 8 kHz
    const starts = (result: Synthesis): number[] => words(timeline(result.chunks, 8000)).map((word) => word.startMs);
    starts(streamed).forEach((startMs, index) => expect(Math.abs(startMs - starts(whole)[index]!)).toBeLessThan(10));
  });

  it('stops at once on cancel: no more audio, no onDone', async () => {
    const log: string[] = [];
    const context = tts.open(
      { voice: 'en-us', language: 'en', sampleRate: 8000, speed: 1 },
      {
        onAudio: () => {
          log.push('audio');
          context.cancel();
        },
        onDone: () => log.push('done'),
        onError: () => log.push('error'),
      },
    );
    context.pushText('This is a long answer. It has several sentences, and many clauses. Nobody will hear the end of it.');
    context.end();
    const silent = tts.open({ voice: 'en-us', language: 'en', sampleRate: 8000, speed: 1 }, { onAudio: () => log.push('silent audio'), onDone: () => log.push('silent done'), onError: () => log.push('silent error') });
    silent.pushText('Cancelled before any audio.');
    silent.end();
    silent.cancel();
    await sleep(150);
    expect(log).toEqual(['audio']);
  });

  it('speaks faster at a higher speed', async () => {
    const normal = concat((await synthesise(tts, ['How can I help you today?'])).chunks).length;
    const fast = concat((await synthesise(tts, ['How can I help you today?'], { speed: 1.5 })).chunks).length;
    expect(fast).toBeLessThan(normal * 0.8);
  });

  it('falls back to the language, and reports an unknown voice as a non-retryable bad request', async () => {
    const byLanguage = await synthesise(tts, ['Guten Tag.'], { voice: 'no-such-voice', language: 'de-DE' });
    expect(byLanguage.error).toBeUndefined();
    expect(concat(byLanguage.chunks).length).toBeGreaterThan(0);
    const unknown = await synthesise(tts, ['Hello.'], { voice: 'no-such-voice', language: 'xx-YY' });
    expect(unknown.error?.kind).toBe('bad-request');
    expect(unknown.error?.retryable).toBe(false);
    expect(unknown.error?.message).toMatch(/no eSpeak NG voice "no-such-voice".*en-us/);
    expect(unknown.log).toEqual(['ended', 'error']);
    expect(tts.voices.some((voice) => voice.languages.includes('cmn'))).toBe(true);
  });
});

describe('alignPhrase', () => {
  it('gives a word its speech, the pause to the following space, and punctuation no time', () => {
    const chars = Array.from('Hi there. ¿Ok');
    // Words at 0, 3 and 11 (the "O", after "¿"); a pause starts at 400 ms, before "Ok" at 700 ms.
    const spans = alignPhrase(chars, [{ charIndex: 0, audioMs: 0 }, { charIndex: 3, audioMs: 200 }, { charIndex: 11, audioMs: 700 }], [400], 1000);
    const at = (index: number): [number, number] => [spans.startMs[index]!, spans.endMs[index]!];
    expect(at(0)).toEqual([0, 100]); // H
    expect(at(2)).toEqual([200, 200]); // space between words spoken without a pause
    expect(at(7)).toEqual([360, 400]); // the last "e" of "there" ends with its sound
    expect(at(8)).toEqual([400, 400]); // "." takes no time
    expect(at(9)).toEqual([400, 700]); // the space carries the pause
    expect(at(10)).toEqual([700, 700]); // "¿" at the start of the next word
    expect(at(12)).toEqual([850, 1000]);
  });
});

describe('resample', () => {
  const tone = (frequencyHz: number): Int16Array => Int16Array.from({ length: 22050 }, (_, index) => Math.round(10_000 * Math.sin((2 * Math.PI * frequencyHz * index) / 22050)));

  it('keeps speech frequencies and removes what 8 kHz cannot carry', () => {
    const kept = resample(tone(1000), 22050, 8000);
    const removed = resample(tone(5000), 22050, 8000);
    expect(kept).toHaveLength(8000);
    expect(rms(kept, 100, 7900) / rms(tone(1000))).toBeCloseTo(1, 2);
    expect(rms(removed, 100, 7900)).toBeLessThan(10); // > 60 dB down: no aliasing to 3 kHz
    expect(resample(tone(1000), 22050, 24000)).toHaveLength(24000);
  });
});
