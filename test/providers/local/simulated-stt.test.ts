// The simulated recogniser knows what the simulated caller says: it reveals those words as the audio carrying
// them is pushed (each word partialLagMs after its end, the final finalDelayMs after the last word), with
// confidences and word errors that depend only on the seed, and the caller's language. Time is audio time.
import { describe, expect, it } from 'vitest';
import { createSimulatedStt, type SimulatedSttOptions, type SimulatedWord } from '../../../runtime/providers/local/index.js';
import type { SttHooks, Transcript } from '../../../runtime/providers/types.js';

const SAMPLE_RATE = 8000;
const FRAME = new Int16Array(160); // 20 ms at 8 kHz

function open(options: SimulatedSttOptions = {}, language = 'en') {
  const stt = createSimulatedStt(options);
  const events: Array<{ kind: 'partial' | 'final'; atMs: number; transcript: Transcript }> = [];
  let frames = 0;
  const hooks: SttHooks = {
    onPartial: (transcript) => events.push({ kind: 'partial', atMs: frames * 20, transcript }),
    onFinal: (transcript) => events.push({ kind: 'final', atMs: frames * 20, transcript }),
    onError: (error) => {
      throw error;
    },
  };
  const stream = stt.start({ language, languageHints: [], sampleRate: SAMPLE_RATE }, hooks);
  const push = (count: number, frame = FRAME): void => {
    for (let i = 0; i < count; i++) {
      frames++;
      stream.pushAudio(frame);
    }
  };
  return { stt, stream, events, push, finals: () => events.filter((event) => event.kind === 'final').map((event) => event.transcript) };
}

/** Words of `text`, each `wordMs` long, one after the other from 0. */
function words(text: string, wordMs = 300): SimulatedWord[] {
  return text.split(' ').map((word, index) => ({ text: word, startMs: index * wordMs, endMs: (index + 1) * wordMs }));
}

describe('createSimulatedStt', () => {
  it('reveals each word partialLagMs after its end and the final finalDelayMs after the last word, in audio time', () => {
    const { stt, events, push } = open();
    push(10); // 200 ms before the caller speaks: word times count from the next frame
    stt.expect({ words: words('book a table'), language: 'en' });
    push(100);
    // Word i ends at 200 + 300 (i + 1) ms, revealed 150 ms later; the final comes 250 ms after 1100 ms.
    expect(events.map((event) => [event.kind, event.atMs, event.transcript.text])).toEqual([
      ['partial', 660, 'book'],
      ['partial', 960, 'book a'],
      ['partial', 1260, 'book a table'],
      ['final', 1360, 'book a table'],
    ]);
    const final = events.at(-1)?.transcript;
    expect(final?.words.map((word) => [word.startMs, word.endMs, word.stable])).toEqual([
      [200, 500, true],
      [500, 800, true],
      [800, 1100, true],
    ]);
    expect(events[1]?.transcript.words.map((word) => word.stable)).toEqual([true, false]);
  });

  it('takes lags from the options and frame durations from the samples and the sample rate', () => {
    const { stt, events, push } = open({ partialLagMs: 0, finalDelayMs: 100 });
    stt.expect({ words: words('yes please', 200) });
    push(60, new Int16Array(80)); // 10 ms frames
    expect(events.map((event) => [event.kind, event.atMs / 2])).toEqual([
      ['partial', 200],
      ['partial', 400],
      ['final', 500],
    ]);
    expect(stt.audioMs).toBe(600);
    expect(stt.framesReceived).toBe(60);
  });

  it('reveals nothing while no audio is pushed', () => {
    const { stt, events, push } = open();
    stt.expect({ words: words('hello there') });
    push(10);
    expect(events).toEqual([]);
    push(100);
    expect(events.map((event) => event.kind)).toEqual(['partial', 'partial', 'final']);
  });

  it('reports confidences near the configured mean, varying per word, the same for the same seed', () => {
    const text = 'please book me a table for four people tonight at eight';
    const run = (seed: number, confidence?: number) => {
      const { stt, push, finals } = open({ seed, ...(confidence !== undefined ? { confidence } : {}) });
      stt.expect({ words: words(text) });
      push(300);
      return finals()[0]!.words.map((word) => word.confidence);
    };
    const confidences = run(1);
    expect(confidences).toHaveLength(11);
    for (const confidence of confidences) expect(Math.abs(confidence - 0.92)).toBeLessThanOrEqual(0.03);
    expect(new Set(confidences).size).toBeGreaterThan(3);
    expect(run(1)).toEqual(confidences);
    expect(run(2)).not.toEqual(confidences);
    for (const confidence of run(1, 0.5)) expect(Math.abs(confidence - 0.5)).toBeLessThanOrEqual(0.03);
    for (const confidence of run(1, 1)) expect(confidence).toBeLessThanOrEqual(1);
  });

  it('substitutes and drops words at wordErrorRate, deterministically by seed', () => {
    const text = 'please book me a table for four people tonight at eight near the window by the garden';
    const run = (seed: number, wordErrorRate: number) => {
      const { stt, push, finals } = open({ seed, wordErrorRate });
      stt.expect({ words: words(text) });
      push(600);
      return finals()[0]!;
    };
    expect(run(3, 0).text).toBe(text);
    const noisy = run(3, 0.4);
    expect(noisy.text).not.toBe(text);
    expect(run(3, 0.4)).toEqual(noisy);
    expect(run(4, 0.4).text).not.toBe(noisy.text);
    const spoken = text.split(' ');
    const heard = noisy.words.map((word) => word.text);
    expect(heard.length).toBeLessThanOrEqual(spoken.length);
    // Every word heard is a spoken word or a near miss of one, at the spoken word's time, less sure when wrong.
    for (const word of noisy.words) {
      const index = Math.round((word.startMs ?? 0) / 300);
      if (word.text === spoken[index]) continue;
      expect(word.text).toHaveLength(spoken[index]!.length);
      expect(word.confidence).toBeLessThan(0.7);
    }
    // Whatever the error rate, an utterance keeps a word.
    expect(run(3, 1).words.length).toBeGreaterThan(0);
  });

  it('reports the caller language, or the stream language, and follows setLanguage', () => {
    const { stt, stream, push, finals } = open({}, 'en');
    stt.expect({ words: words('bonjour madame'), language: 'fr', languageConfidence: 0.85 });
    push(60);
    stream.setLanguage('fr');
    stt.expect({ words: words('merci') });
    push(60);
    expect(finals().map((transcript) => [transcript.text, transcript.language, transcript.languageConfidence])).toEqual([
      ['bonjour madame', 'fr', 0.85],
      ['merci', 'fr', 0.95],
    ]);
    expect(stt.languageChanges).toEqual(['fr']);
  });

  it('finalises an utterance after the caller\u2019s last word even when that word is dropped', () => {
    const { stt, events, push } = open({ wordErrorRate: 1, seed: 5 });
    stt.expect({ words: words('one two three four five six') });
    push(200);
    expect(events.at(-1)).toMatchObject({ kind: 'final', atMs: 1800 + 260 });
  });

  it('ignores an utterance without words and rejects invalid words and options', () => {
    const { stt, events, push } = open();
    stt.expect({ words: [] });
    push(100);
    expect(events).toEqual([]);
    expect(() => stt.expect({ words: [{ text: 'hi', startMs: 300, endMs: 100 }] })).toThrow(/0 <= startMs <= endMs/);
    expect(() => stt.expect({ words: [{ text: ' ', startMs: 0, endMs: 100 }] })).toThrow(/has no text/);
    expect(() => stt.expect({ words: [{ text: 'b', startMs: 200, endMs: 300 }, { text: 'a', startMs: 0, endMs: 100 }] })).toThrow(/spoken order/);
    expect(() => createSimulatedStt({ wordErrorRate: 1.5 })).toThrow(/wordErrorRate must be between 0 and 1/);
    expect(() => createSimulatedStt({ confidence: -0.1 })).toThrow(/confidence must be between 0 and 1/);
  });

  it('needs an open stream, stops after close, and is labelled as the simulated recogniser', () => {
    const { stt, stream, events, push } = open();
    stt.expect({ words: words('never heard') });
    stream.close();
    push(100);
    expect(events).toEqual([]);
    expect(stt.closed).toBe(true);
    expect(() => stt.expect({ words: words('hi') })).toThrow(/needs an open stream/);
    expect(createSimulatedStt().id).toBe('local-simulated-stt');
  });
});
