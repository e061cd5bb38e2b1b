/*
 * A caller on a busy street: the room keeps the VAD saying "speech" after they have stopped, so the VAD never
 * reports the end of their speech. Their recogniser commits only what the runtime says has ended (as the
 * Realtime transcription session does with local turn detection), so no final comes on its own either. On
 * main the turn never ended: the agent said nothing, ever. The words are the evidence: when none is new for
 * `endpointing.maxSilenceMs` while the VAD still hears sound, the caller has stopped, and the turn ends there.
 */
import { describe, expect, it } from 'vitest';
import { createHarness } from '../harness.js';

const MAX_SILENCE_MS = 1200;

describe('a noisy room never holds the turn open', () => {
  it('ends the turn maxSilenceMs after the last new word, and answers, though the VAD still hears the room', async () => {
    const h = createHarness({
      sttFinalOnEndOfSpeech: true,
      patch: { turnTaking: { endpointing: { minSilenceMs: 300, maxSilenceMs: MAX_SILENCE_MS }, preemptiveGeneration: false } },
      llm: { replies: [{ match: 'parking', reply: 'Yes, there is parking behind the building.' }] },
    });
    h.start();
    await h.run(200);
    const saidAt = h.now();
    h.say('is there parking nearby');
    // The room: speech-like sound from the caller's line for 20 s, long after their four words (1.2 s).
    h.noise(20_000);
    await h.runUntil(() => h.session.record.turns.length === 1, 6000);
    const turn = h.session.record.turns[0]!;
    expect(turn.userText).toBe('is there parking nearby');
    // The words ended 1.2 s in, and were revealed ~100 ms later; the turn ends one maxSilenceMs after that.
    const lastWordAtMs = saidAt + 4 * 300 + 100;
    expect(h.now() - lastWordAtMs).toBeGreaterThanOrEqual(MAX_SILENCE_MS);
    expect(h.now() - lastWordAtMs).toBeLessThan(MAX_SILENCE_MS + 400);
    // The VAD still hears speech: the end came from the words, not from it.
    expect(h.statesInclude('caller.speaking')).toBe(true);
    expect(turn.speechEndMs).toBeLessThanOrEqual(lastWordAtMs + 20);
    await h.runUntil(() => h.session.record.transcript.some((e) => e.role === 'assistant' && e.text.includes('parking behind')), 6000);
  });

  it('keeps listening while new words keep coming, however long the caller talks over the room', async () => {
    const h = createHarness({ sttFinalOnEndOfSpeech: true, patch: { turnTaking: { endpointing: { maxSilenceMs: MAX_SILENCE_MS }, preemptiveGeneration: false } } });
    h.start();
    await h.run(200);
    h.noise(20_000);
    h.say('I would like to talk about my order number and the delivery that came late and broken yesterday evening', { wordMs: 350 });
    await h.run(19 * 350);
    expect(h.session.record.turns).toHaveLength(0);
    await h.runUntil(() => h.session.record.turns.length === 1, 4000);
    expect(h.session.record.turns[0]!.userText).toContain('yesterday evening');
  });
});
