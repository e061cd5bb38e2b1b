/*
 * The recogniser's connection fails for good (a refused key, or every reconnect failed). A call that can no
 * longer hear the caller must not stay on the line in silence: the agent stops what it was saying at a word
 * boundary (the context keeps what was heard), says prompt.unavailable, and hangs up with endReason `error`.
 * The failure is in the call record.
 */
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../../runtime/providers/errors.js';
import { createHarness } from '../harness.js';

const REPLY = 'Your order shipped yesterday and should arrive by Thursday afternoon at the latest, unless the weather turns.';
const APOLOGY = 'Sorry, our line is down. Please call again later.';
const lost = () => new ProviderError({ provider: 'scripted-stt', kind: 'network', message: 'reconnect failed 3 times', retryable: true });

describe('a recogniser lost for good', () => {
  it('while the agent listens: apologises with prompt.unavailable and hangs up', async () => {
    const h = createHarness({ patch: { prompt: { unavailable: APOLOGY } }, llm: { replies: [{ match: 'order', reply: 'It ships today.' }] } });
    h.start();
    h.say('where is my order');
    await h.runUntil(() => h.session.record.turns[0]?.outcome === 'answered' && h.statesInclude('agent.idle'), 10_000);
    h.stt.lose(lost());
    await h.runUntil(() => h.session.record.endReason !== undefined, 10_000);
    const record = h.session.record;
    expect(record.endReason).toBe('error');
    expect(h.tts.contexts.at(-1)!.text).toBe(APOLOGY);
    expect(record.transcript.at(-1)).toMatchObject({ role: 'assistant', text: APOLOGY });
    expect(record.failures.map((f) => f.source)).toEqual(['stt', 'stt']);
    expect(record.failures[1]!.message).toMatch(/can no longer be heard \(.*reconnect failed 3 times\).*prompt\.unavailable/);
    // The far end played the apology to its end before the hang-up.
    expect(h.agentAudioMs()).toBeGreaterThanOrEqual(h.tts.contexts.reduce((ms, c) => ms + c.audioMs, 0) - 20);
  });

  it('while the agent speaks: cuts the reply, keeps what was heard, then apologises and hangs up', async () => {
    const h = createHarness({ patch: { prompt: { unavailable: APOLOGY } }, llm: { replies: [{ match: 'order', reply: REPLY }] } });
    h.start();
    h.say('where is my order');
    await h.runUntil(() => h.session.hasTag('agent-speaking'));
    await h.run(1000);
    h.stt.lose(lost());
    await h.runUntil(() => h.session.record.endReason !== undefined, 10_000);
    const record = h.session.record;
    expect(record.endReason).toBe('error');
    expect(h.tts.contexts.find((c) => c.text === REPLY)!.cancelled).toBe(true);
    const [, cut, apology] = record.transcript;
    expect(cut).toMatchObject({ role: 'assistant', interrupted: true });
    expect(REPLY.startsWith(cut!.text) && cut!.text.length > 0 && cut!.text.length < REPLY.length).toBe(true);
    expect(apology).toMatchObject({ role: 'assistant', text: APOLOGY });
    expect(record.turns.map((t) => t.outcome)).toEqual(['failed']);
  });

  it('hangs up all the same when the apology cannot be spoken (the voice is gone too, as in speech-to-speech)', async () => {
    const h = createHarness({
      patch: { prompt: { unavailable: APOLOGY } },
      llm: { replies: [{ match: 'order', reply: 'It ships today.' }] },
      tts: { failures: [{ context: 1, kind: 'error-before-audio', retryable: false }] },
    });
    h.start();
    h.say('where is my order');
    await h.runUntil(() => h.session.record.turns[0]?.outcome === 'answered' && h.statesInclude('agent.idle'), 10_000);
    h.stt.lose(lost());
    const lostAt = h.now();
    await h.runUntil(() => h.session.record.endReason !== undefined, 20_000);
    expect(h.session.record.endReason).toBe('error');
    expect(h.session.record.failures.map((f) => f.source)).toEqual(['stt', 'stt', 'reply']);
    // At once: not after a reprompt to a caller nobody can hear.
    expect(h.session.record.endedAtMs! - lostAt).toBeLessThan(500);
    expect(h.tts.contexts.map((c) => c.text)).toEqual(['It ships today.', APOLOGY]);
  });
});
