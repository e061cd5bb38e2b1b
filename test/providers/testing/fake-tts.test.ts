// The fake synthesiser turns streamed text into real, speech-like PCM with exact character alignment, paced on
// the clock faster than real time, so playout, truncation and barge-in tests work on genuine audio.
import { describe, expect, it } from 'vitest';
import type { ProviderError } from '../../../runtime/providers/errors.js';
import { createFakeTts } from '../../../runtime/providers/testing/fake-tts.js';
import type { TtsChunk, TtsHooks } from '../../../runtime/providers/types.js';
import { createSimulatedClock } from '../../../runtime/util/clock.js';

function recorder(clock: { now(): number }) {
  const chunks: Array<TtsChunk & { atMs: number }> = [];
  const log: string[] = [];
  let error: ProviderError | undefined;
  const hooks: TtsHooks = {
    onAudio: (chunk) => {
      chunks.push({ ...chunk, atMs: clock.now() });
      log.push('audio');
    },
    onDone: () => log.push('done'),
    onError: (e) => {
      error = e;
      log.push('error');
    },
  };
  return { chunks, log, hooks, error: () => error };
}

const rms = (pcm: Int16Array): number => Math.sqrt(pcm.reduce((sum, sample) => sum + sample * sample, 0) / Math.max(1, pcm.length));

describe('createFakeTts', () => {
  it('delivers audio whose alignment joins to the text and whose char durations sum to the audio length', () => {
    const clock = createSimulatedClock();
    const tts = createFakeTts({ clock, msPerChar: 55 });
    const rec = recorder(clock);
    const text = 'Hello, this is the fake voice. Grüße!';
    for (const sampleRate of [8000, 16000, 24000]) {
      rec.chunks.length = 0;
      const context = tts.open({ voice: 'v', language: 'en', sampleRate, speed: 1.1 }, rec.hooks);
      context.pushText(text);
      context.end();
      clock.advance(10_000);
      expect(rec.chunks.flatMap((chunk) => chunk.alignment?.chars ?? []).join('')).toBe(text);
      let totalSamples = 0;
      for (const chunk of rec.chunks) {
        const alignment = chunk.alignment;
        if (!alignment) throw new Error('missing alignment');
        const alignedMs = alignment.durationMs.reduce((sum, ms) => sum + ms, 0);
        const audioMs = (chunk.pcm.length * 1000) / sampleRate;
        expect(Math.abs(alignedMs - audioMs)).toBeLessThanOrEqual(1000 / sampleRate);
        expect(alignment.startMs[0]).toBe(0);
        alignment.startMs.forEach((startMs, index) => expect(startMs).toBeCloseTo(index * (55 / 1.1), 9));
        totalSamples += chunk.pcm.length;
      }
      // Boundaries sit on one global sample grid: no drift across chunks.
      expect(totalSamples).toBe(Math.round((Array.from(text).length * (55 / 1.1) * sampleRate) / 1000));
      expect(tts.contexts.at(-1)?.audioMs).toBeCloseTo((totalSamples * 1000) / sampleRate, 6);
    }
  });

  it('produces speech-like audio: loud on letters, near silent on spaces', () => {
    const clock = createSimulatedClock();
    const tts = createFakeTts({ clock, msPerChar: 100, chunkMs: 100 });
    const rec = recorder(clock);
    const context = tts.open({ voice: 'v', language: 'en', sampleRate: 16000, speed: 1 }, rec.hooks);
    context.pushText('a b');
    context.end();
    clock.advance(1000);
    expect(rec.chunks.map((chunk) => chunk.alignment?.chars.join(''))).toEqual(['a', ' ', 'b']);
    const [letter, space] = rec.chunks.map((chunk) => rms(chunk.pcm));
    expect(letter).toBeGreaterThan(3000);
    expect(space).toBeLessThan(200);
  });

  it('paces chunks: first at firstAudioMs after the first text, then every chunkMs / 4, then onDone', () => {
    const clock = createSimulatedClock();
    const tts = createFakeTts({ clock, msPerChar: 50, chunkMs: 200, firstAudioMs: 80 });
    const rec = recorder(clock);
    clock.advance(1000);
    const context = tts.open({ voice: 'v', language: 'en', sampleRate: 8000, speed: 1 }, rec.hooks);
    context.pushText('abcd efgh ijk');
    context.end();
    clock.advance(79);
    expect(rec.chunks).toEqual([]);
    clock.advance(1000);
    expect(rec.chunks.map((chunk) => [chunk.atMs, chunk.alignment?.chars.join('')])).toEqual([
      [1080, 'abcd'],
      [1130, ' efg'],
      [1180, 'h ij'],
      [1230, 'k'],
    ]);
    expect(rec.log.at(-1)).toBe('done');
    expect(tts.contexts[0]).toMatchObject({ text: 'abcd efgh ijk', ended: true, done: true, cancelled: false });
  });

  it('synthesises only complete words until end(), then the rest', () => {
    const clock = createSimulatedClock();
    const tts = createFakeTts({ clock, msPerChar: 50, chunkMs: 1000 });
    const rec = recorder(clock);
    const context = tts.open({ voice: 'v', language: 'en', sampleRate: 8000, speed: 1 }, rec.hooks);
    context.pushText('Good mor');
    clock.advance(500);
    expect(rec.chunks.map((chunk) => chunk.alignment?.chars.join(''))).toEqual(['Good ']);
    context.pushText('ning');
    clock.advance(500);
    expect(rec.chunks).toHaveLength(1);
    context.end();
    clock.advance(500);
    expect(rec.chunks.map((chunk) => chunk.alignment?.chars.join(''))).toEqual(['Good ', 'morning']);
    expect(rec.log).toEqual(['audio', 'audio', 'done']);
  });

  it('calls onDone for a context ended without text', () => {
    const clock = createSimulatedClock();
    const rec = recorder(clock);
    const context = createFakeTts({ clock }).open({ voice: 'v', language: 'en', sampleRate: 8000, speed: 1 }, rec.hooks);
    context.end();
    clock.advance(0);
    expect(rec.log).toEqual(['done']);
  });

  it('stops at cancel(): no hooks afterwards, even from inside onAudio', () => {
    const clock = createSimulatedClock();
    const tts = createFakeTts({ clock });
    const rec = recorder(clock);
    const context = tts.open({ voice: 'v', language: 'en', sampleRate: 8000, speed: 1 }, rec.hooks);
    context.pushText('a long sentence that takes a while to say');
    context.end();
    clock.advance(150);
    expect(rec.chunks.length).toBeGreaterThan(0);
    const delivered = rec.chunks.length;
    context.cancel();
    clock.advance(10_000);
    expect(rec.chunks).toHaveLength(delivered);
    expect(rec.log).not.toContain('done');
    expect(tts.contexts[0]?.cancelled).toBe(true);
    expect(clock.pending()).toBe(0);

    const rec2 = recorder(clock);
    const context2 = tts.open({ voice: 'v', language: 'en', sampleRate: 8000, speed: 1 }, { ...rec2.hooks, onAudio: (chunk) => (rec2.hooks.onAudio(chunk), context2.cancel()) });
    context2.pushText('one two three ');
    context2.end();
    clock.advance(10_000);
    expect(rec2.log).toEqual(['audio']);
  });

  it('injects failures by context index: before audio, and after the first chunk', () => {
    const clock = createSimulatedClock();
    const tts = createFakeTts({ clock, failures: [{ context: 0, kind: 'error-before-audio' }, { context: 1, kind: 'error-mid-stream', retryable: false }] });
    const options = { voice: 'v', language: 'en', sampleRate: 8000, speed: 1 };
    const recs = [recorder(clock), recorder(clock), recorder(clock)];
    for (const rec of recs) {
      const context = tts.open(options, rec.hooks);
      context.pushText('some words to say here');
      context.end();
    }
    clock.advance(10_000);
    expect(recs.map((rec) => rec.log.join(','))).toEqual(['error', 'audio,error', `${'audio,'.repeat(recs[2]?.chunks.length ?? 0)}done`]);
    expect(recs[0]?.error()).toMatchObject({ name: 'ProviderError', retryable: true });
    expect(recs[1]?.error()).toMatchObject({ retryable: false });
    expect(tts.contexts[1]?.error).toBe(recs[1]?.error());
  });

  it('records voice, language and all text; rejects bad options early', () => {
    const clock = createSimulatedClock();
    const tts = createFakeTts({ clock });
    const rec = recorder(clock);
    const context = tts.open({ voice: 'alloy', language: 'es', sampleRate: 8000, speed: 1 }, rec.hooks);
    context.pushText('Hola, ');
    context.pushText('buenos días.');
    expect(tts.contexts[0]).toMatchObject({ voice: 'alloy', language: 'es', text: 'Hola, buenos días.', ended: false });
    expect(() => tts.open({ voice: 'v', language: 'en', sampleRate: 8000, speed: 0 }, rec.hooks)).toThrow(/speed must be > 0/);
    expect(() => createFakeTts({ clock, msPerChar: 0 })).toThrow(/msPerChar must be > 0/);
    expect(tts.capabilities).toEqual({ alignment: 'char', maxContexts: 5 });
  });
});
