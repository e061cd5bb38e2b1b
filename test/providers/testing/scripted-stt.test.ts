// The scripted recogniser reveals what the test says the caller utters, word by word, on the audio time line
// the runtime feeds it (20 ms per frame), with stability, confidence, language and failure injection.
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../../runtime/providers/errors.js';
import { createScriptedStt } from '../../../runtime/providers/testing/scripted-stt.js';
import type { SttHooks, Transcript } from '../../../runtime/providers/types.js';

const FRAME = new Int16Array(160);

function recorder() {
  const events: Array<{ kind: 'partial' | 'final'; atFrame: number; transcript: Transcript } | { kind: 'error'; atFrame: number; error: ProviderError }> = [];
  let frame = 0;
  const hooks: SttHooks = {
    onPartial: (transcript) => events.push({ kind: 'partial', atFrame: frame, transcript }),
    onFinal: (transcript) => events.push({ kind: 'final', atFrame: frame, transcript }),
    onError: (error) => events.push({ kind: 'error', atFrame: frame, error }),
  };
  return { events, hooks, tick: () => frame++ };
}

function open(language = 'en-US') {
  const stt = createScriptedStt();
  const rec = recorder();
  const stream = stt.start({ language, languageHints: [], sampleRate: 8000 }, rec.hooks);
  const push = (frames: number): void => {
    for (let i = 0; i < frames; i++) {
      rec.tick();
      stream.pushAudio(FRAME);
    }
  };
  return { stt, stream, events: rec.events, push };
}

describe('createScriptedStt', () => {
  it('reveals words as audio arrives, each partialLagMs after its end, and the final finalDelayMs after the last word', () => {
    const { stt, events, push } = open();
    push(5); // 100 ms of silence first: the utterance starts at the current audio time
    stt.utter({ text: 'book a table' });
    push(100);
    const partials = events.filter((event) => event.kind === 'partial');
    // word i ends at 100 + 300 (i + 1); revealed 100 ms later; frame n ends at 20 n ms.
    expect(partials.map((event) => event.atFrame)).toEqual([25, 40, 55]);
    expect(partials.map((event) => 'transcript' in event && event.transcript.text)).toEqual(['book', 'book a', 'book a table']);
    const final = events.find((event) => event.kind === 'final');
    expect(final?.atFrame).toBe(Math.ceil((100 + 900 + 150) / 20)); // the first frame ending at or after 1150 ms
    expect(events.filter((event) => event.kind === 'final')).toHaveLength(1);
    expect(final && 'transcript' in final && final.transcript).toMatchObject({ text: 'book a table', final: true, language: 'en-US', languageConfidence: 0.95 });
  });

  it('marks words stable once a later word is revealed, and all words stable in the final', () => {
    const { stt, events, push } = open();
    stt.utter({ text: 'one two three' });
    push(60);
    const stability = events.map((event) => ('transcript' in event ? event.transcript.words.map((word) => word.stable) : []));
    expect(stability).toEqual([[false], [true, false], [true, true, false], [true, true, true]]);
  });

  it('gives word times in stream audio time and per-word confidence', () => {
    const { stt, events, push } = open();
    push(10);
    stt.utter({ text: 'yes please', wordMs: 200, confidence: [0.4, 0.9] });
    push(50);
    const final = events.at(-1);
    expect(final && 'transcript' in final && final.transcript.words).toEqual([
      { text: 'yes', confidence: 0.4, stable: true, startMs: 200, endMs: 400 },
      { text: 'please', confidence: 0.9, stable: true, startMs: 400, endMs: 600 },
    ]);
  });

  it('reports misrecognised words in partials and the final', () => {
    const { stt, events, push } = open();
    stt.utter({ text: 'table for four', misrecognize: { 2: 'for' } });
    push(60);
    expect(events.map((event) => 'transcript' in event && event.transcript.text)).toEqual(['table', 'table for', 'table for for', 'table for for']);
  });

  it('revises the partials in the final with finalText', () => {
    const { stt, events, push } = open();
    stt.utter({ text: 'table for two', finalText: 'table for 2 please', wordMs: 300 });
    push(60);
    expect(events.map((event) => 'transcript' in event && event.transcript.text)).toEqual(['table', 'table for', 'table for two', 'table for 2 please']);
    const final = events.at(-1);
    const words = final && 'transcript' in final ? final.transcript.words : [];
    expect(words.map((word) => [word.text, word.startMs, word.endMs, word.stable])).toEqual([
      ['table', 0, 225, true],
      ['for', 225, 450, true],
      ['2', 450, 675, true],
      ['please', 675, 900, true],
    ]);
  });

  it('reports the stream language, follows setLanguage, and lets an utterance say its own language', () => {
    const { stt, stream, events, push } = open('en-US');
    stream.setLanguage('es-ES');
    stt.utter({ text: 'hola' });
    push(30);
    stt.utter({ text: 'hello', language: 'en-GB', languageConfidence: 0.6 });
    push(30);
    const finals = events.filter((event) => event.kind === 'final').map((event) => 'transcript' in event && event.transcript);
    expect(finals.map((transcript) => transcript && [transcript.language, transcript.languageConfidence])).toEqual([
      ['es-ES', 0.95],
      ['en-GB', 0.6],
    ]);
    expect(stt.languageChanges).toEqual(['es-ES']);
  });

  it('queues an utterance scheduled before the previous one was finalised', () => {
    const { stt, events, push } = open();
    stt.utter({ text: 'first', finalDelayMs: 200 });
    stt.utter({ text: 'second' });
    push(100);
    const finals = events.filter((event) => event.kind === 'final').map((event) => 'transcript' in event && event.transcript);
    expect(finals.map((transcript) => transcript && transcript.text)).toEqual(['first', 'second']);
    expect(finals[1] && finals[1].words[0]?.startMs).toBe(500);
  });

  it('calls onError at the next frame with the injected error, and keeps recognising', () => {
    const { stt, events, push } = open();
    const error = new ProviderError({ provider: 'scripted-stt', kind: 'network', message: 'socket closed' });
    push(3);
    stt.failNext(error);
    stt.utter({ text: 'hello' });
    push(30);
    expect(events[0]).toEqual({ kind: 'error', atFrame: 4, error });
    expect(events.filter((event) => event.kind === 'final')).toHaveLength(1);
  });

  it('counts frames, stops after close, and needs an open stream for utter()', () => {
    const { stt, stream, events, push } = open();
    push(7);
    expect(stt.framesReceived).toBe(7);
    expect(stt.audioMs).toBe(140);
    stt.utter({ text: 'never heard' });
    stream.close();
    push(100);
    expect(stt.closed).toBe(true);
    expect(stt.framesReceived).toBe(7);
    expect(events).toEqual([]);
    expect(() => stt.utter({ text: 'hi' })).toThrow(/needs an open stream/);
  });

  it('talks to the latest stream only', () => {
    const stt = createScriptedStt({ id: 'stt' });
    const first = recorder();
    const second = recorder();
    const a = stt.start({ language: 'en', languageHints: [], sampleRate: 16000 }, first.hooks);
    const b = stt.start({ language: 'en', languageHints: [], sampleRate: 16000 }, second.hooks);
    stt.utter({ text: 'hi' });
    for (let i = 0; i < 30; i++) {
      a.pushAudio(FRAME);
      b.pushAudio(FRAME);
    }
    expect(first.events).toEqual([]);
    expect(second.events.map((event) => event.kind)).toEqual(['partial', 'final']);
    expect(stt.streamsStarted).toBe(2);
    expect(stt.id).toBe('stt');
  });
});
