/*
 * ElevenLabs is unreachable for one utterance (its socket failed even after reconnecting). The caller must
 * still hear the agent: the fallback voice speaks the same utterance from the start, and the switch is
 * reported. A failure after audio started is passed on instead of switching voices mid-sentence.
 */
import { describe, expect, it } from 'vitest';
import type { ProviderError } from '../../runtime/providers/errors.js';
import { withFallbackTts } from '../../runtime/providers/fallback-tts.js';
import { createFakeTts } from '../../runtime/testing.js';
import type { TextToSpeech } from '../../runtime/providers/types.js';
import { createSimulatedClock } from '../../runtime/util/clock.js';

function setup(primaryFailure: 'error-before-audio' | 'error-mid-stream') {
  const clock = createSimulatedClock();
  const primary = createFakeTts({ clock, id: 'primary', failures: [{ context: 0, kind: primaryFailure }] });
  const fallback = createFakeTts({ clock, id: 'fallback' });
  const switches: ProviderError[] = [];
  const tts = withFallbackTts(primary, fallback, (e) => switches.push(e));
  const got = { audioMs: 0, done: false, errors: [] as ProviderError[] };
  const ctx = tts.open({ voice: 'v', language: 'en', sampleRate: 8000, speed: 1 }, {
    onAudio: (c) => (got.audioMs += c.pcm.length / 8),
    onDone: () => (got.done = true),
    onError: (e) => got.errors.push(e),
  });
  return { clock, primary, fallback, switches, got, ctx };
}

describe('withFallbackTts', () => {
  it('warms up the primary voice only, and has no prewarm when the primary has none', () => {
    const clock = createSimulatedClock();
    const warmed: string[] = [];
    const warmable = (id: string): TextToSpeech => ({ ...createFakeTts({ clock, id }), prewarm: ({ voice }) => void warmed.push(`${id}:${voice}`) });
    const tts = withFallbackTts(warmable('primary'), warmable('fallback'), () => {});
    tts.prewarm?.({ voice: 'v', language: 'en', sampleRate: 8000 });
    expect(warmed).toEqual(['primary:v']);
    expect(withFallbackTts(createFakeTts({ clock }), warmable('fallback'), () => {}).prewarm).toBeUndefined();
  });

  it('speaks the whole utterance with the fallback when the primary fails before any audio', () => {
    const { clock, fallback, switches, got, ctx } = setup('error-before-audio');
    ctx.pushText('Hello ');
    ctx.pushText('there, how can I help? ');
    ctx.end();
    clock.advance(5000);
    expect(switches).toHaveLength(1);
    expect(fallback.contexts[0]!.text).toBe('Hello there, how can I help? ');
    expect(got.done).toBe(true);
    expect(got.errors).toEqual([]);
    expect(got.audioMs).toBeGreaterThan(1000);
  });

  it('reports a failure after audio started instead of switching voices mid-sentence', () => {
    const { clock, fallback, switches, got, ctx } = setup('error-mid-stream');
    ctx.pushText('This is a fairly long sentence so that it spans several chunks of audio. ');
    ctx.end();
    clock.advance(5000);
    expect(switches).toHaveLength(0);
    expect(fallback.contexts).toHaveLength(0);
    expect(got.errors).toHaveLength(1);
    expect(got.audioMs).toBeGreaterThan(0);
  });

  it('passes on a failure that `when` rejects instead of switching', () => {
    const clock = createSimulatedClock();
    const primary = createFakeTts({ clock, id: 'primary', failures: [{ context: 0, kind: 'error-before-audio', retryable: false }] });
    const fallback = createFakeTts({ clock, id: 'fallback' });
    const switches: ProviderError[] = [];
    const tts = withFallbackTts(primary, fallback, (e) => switches.push(e), { when: (e) => e.retryable });
    const errors: ProviderError[] = [];
    const ctx = tts.open({ voice: 'v', language: 'en', sampleRate: 8000, speed: 1 }, { onAudio: () => {}, onDone: () => {}, onError: (e) => errors.push(e) });
    ctx.pushText('Hello. ');
    ctx.end();
    clock.advance(5000);
    expect(switches).toEqual([]);
    expect(fallback.contexts).toHaveLength(0);
    expect(errors.map((e) => e.retryable)).toEqual([false]);
  });

  it('sends the next utterances straight to the fallback during the cool-down, then tries the primary again', () => {
    const clock = createSimulatedClock();
    const primary = createFakeTts({ clock, id: 'primary', failures: [{ context: 0, kind: 'error-before-audio' }] });
    const fallback = createFakeTts({ clock, id: 'fallback' });
    const switches: ProviderError[] = [];
    const tts = withFallbackTts(primary, fallback, (e) => switches.push(e), { clock, coolDownMs: 10_000 });
    const say = (text: string) => {
      const done = { value: false };
      const ctx = tts.open({ voice: 'v', language: 'en', sampleRate: 8000, speed: 1 }, { onAudio: () => {}, onDone: () => (done.value = true), onError: () => {} });
      ctx.pushText(text);
      ctx.end();
      clock.advance(3000);
      return done.value;
    };
    expect(say('One. ')).toBe(true);
    expect(say('Two. ')).toBe(true);
    expect([primary.contexts.length, fallback.contexts.length, switches.length]).toEqual([1, 2, 1]);
    clock.advance(5000); // 11 s after the switch
    expect(say('Three. ')).toBe(true);
    expect([primary.contexts.length, fallback.contexts.length, switches.length]).toEqual([2, 2, 1]);
    expect(primary.contexts[1]!.text).toBe('Three. ');
  });

  it('refuses a cool-down without a clock', () => {
    const clock = createSimulatedClock();
    expect(() => withFallbackTts(createFakeTts({ clock }), createFakeTts({ clock }), () => {}, { coolDownMs: 1000 })).toThrow(/needs a clock/);
  });
});
