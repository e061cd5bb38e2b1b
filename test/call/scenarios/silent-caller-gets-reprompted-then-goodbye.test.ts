/*
 * The call connects and the agent greets at once: the greeting is the first thing synthesised and its first
 * frame goes out as soon as the synthesiser's first audio arrives. Then the caller says nothing. After
 * `repromptAfterMs` of silence the agent asks "Are you still there?"; the reprompt does not count as the
 * caller being active, so after `hangupAfterMs` of silence in all the agent says goodbye and hangs up: the
 * transport is told to hang up, the record ends with reason `silence`, and `done` resolves with it.
 */
import { describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../harness.js';

const GREETING = 'Hello, thanks for calling.';
const REPROMPT = 'Are you still there?';
const GOODBYE = 'Goodbye for now.';
const FIRST_AUDIO_MS = 80;
const MS_PER_CHAR = 55;
const REPROMPT_AFTER_MS = 3000;
const HANGUP_AFTER_MS = 5000;

function silentCall(playoutDelayMs = 0): Harness {
  return createHarness({
    playoutDelayMs,
    patch: {
      prompt: { greeting: GREETING, reprompt: REPROMPT, goodbye: GOODBYE },
      turnTaking: { callerSilence: { repromptAfterMs: REPROMPT_AFTER_MS, hangupAfterMs: HANGUP_AFTER_MS } },
    },
    tts: { firstAudioMs: FIRST_AUDIO_MS, msPerChar: MS_PER_CHAR },
  });
}

/** Clock time playout of the utterance whose first frame went out at `startMs` was fully sent (drained). */
function drainedAt(text: string, startMs: number): number {
  return startMs + Math.ceil((text.length * MS_PER_CHAR) / 20) * 20;
}

describe('silent caller gets reprompted, then goodbye', () => {
  it('greets at once, reprompts after repromptAfterMs, says goodbye and hangs up after hangupAfterMs', async () => {
    const h = silentCall();
    h.start();
    await h.runUntil(() => h.session.record.endReason !== undefined, 20_000);
    const record = await h.session.done;
    expect(record).toBe(h.session.record);

    // Greeting: the first context, first frame out at the synthesiser's first audio.
    expect(h.tts.contexts.map((c) => c.text)).toEqual([GREETING, REPROMPT, GOODBYE]);
    expect(h.transport.sent[0]!.atMs).toBe(FIRST_AUDIO_MS);
    expect(record.transcript.map((e) => [e.role, e.text])).toEqual([
      ['assistant', GREETING],
      ['assistant', REPROMPT],
      ['assistant', GOODBYE],
    ]);

    // Silence is measured from the end of the greeting; the reprompt does not reset it.
    const greetingEnd = drainedAt(GREETING, FIRST_AUDIO_MS);
    const [, reprompt, goodbye] = record.transcript;
    expect(reprompt!.atMs - greetingEnd).toBe(REPROMPT_AFTER_MS);
    expect(goodbye!.atMs - greetingEnd).toBe(HANGUP_AFTER_MS);

    // The goodbye is sent in full, then the agent hangs up.
    const goodbyeEnd = drainedAt(GOODBYE, goodbye!.atMs + FIRST_AUDIO_MS);
    expect(h.transport.sentMs()).toBe([GREETING, REPROMPT, GOODBYE].reduce((ms, text) => ms + Math.ceil((text.length * MS_PER_CHAR) / 20) * 20, 0));
    expect(h.transport.hangups).toEqual([{ atMs: goodbyeEnd, reason: 'silence' }]);
    expect(record.endReason).toBe('silence');
    expect(record.endedAtMs).toBe(goodbyeEnd);
    expect(record.turns).toEqual([]);
    expect(h.stt.closed).toBe(true);
  });

  it('hangs up only once the far end has played the whole goodbye', async () => {
    const PLAYOUT_DELAY_MS = 240;
    const h = silentCall(PLAYOUT_DELAY_MS);
    h.start();
    await h.runUntil(() => h.session.record.endReason !== undefined, 20_000);
    await h.run(1000);
    expect(h.tts.contexts.map((c) => c.text)).toEqual([GREETING, REPROMPT, GOODBYE]);
    const last = h.transport.sent.at(-1)!;
    const playedOutAtMs = last.playAtMs + last.durationMs;
    expect(playedOutAtMs - last.atMs).toBe(PLAYOUT_DELAY_MS + 20);
    // The transport reports whole frames not yet started, so the hang-up comes as the last frame starts playing.
    const [hangup, ...more] = h.transport.hangups;
    expect(more).toEqual([]);
    expect(hangup).toEqual({ atMs: expect.any(Number), reason: 'silence' });
    expect(hangup!.atMs).toBeGreaterThanOrEqual(last.playAtMs);
    expect(hangup!.atMs).toBeLessThanOrEqual(playedOutAtMs);
    expect(h.transport.clears).toEqual([]);
    expect(h.transport.heardMs()).toBe(h.transport.sentMs());
    expect(h.session.record.endedAtMs).toBe(hangup!.atMs);
  });

  it('does not reprompt a caller who answered, until they are silent again', async () => {
    const h = silentCall();
    h.start();
    await h.run(2000);
    h.say('hi there');
    await h.runUntil(() => h.session.record.turns[0]?.outcome === 'answered', 10_000);
    const answeredAt = h.now();
    await h.run(REPROMPT_AFTER_MS - 100);
    expect(h.tts.contexts.map((c) => c.text)).toEqual([GREETING, 'Okay.']);
    await h.run(200);
    expect(h.tts.contexts.map((c) => c.text)).toEqual([GREETING, 'Okay.', REPROMPT]);
    expect(h.session.record.transcript.at(-1)!.atMs - answeredAt).toBeLessThanOrEqual(REPROMPT_AFTER_MS);
    expect(h.session.record.endReason).toBeUndefined();
    expect(h.transport.hangups).toEqual([]);
  });
});
