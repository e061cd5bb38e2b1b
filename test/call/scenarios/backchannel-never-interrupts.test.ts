/*
 * While the agent explains something, the caller says "uh-huh" to show they are following. Playout may pause
 * for the length of the "uh-huh", but it is never an interruption: the TTS context is not cancelled, the reply
 * is heard to the end, and "uh-huh" does not become a caller turn. "Stop", on the other hand, interrupts at
 * once, even shorter than confirm.minSpeechMs.
 */
import { describe, expect, it } from 'vitest';
import { createHarness } from '../harness.js';

const REPLY = 'To reset the router, unplug it, wait ten seconds, plug it back in, and wait for the green light to come on.';

async function explaining() {
  const h = createHarness({ llm: { replies: [{ match: 'router', reply: REPLY }, { match: 'stop', reply: 'Sure, stopping.' }] } });
  h.start();
  h.say('how do I reset my router');
  await h.runUntil(() => h.session.hasTag('agent-speaking'));
  await h.run(800); // the fake TTS is still synthesising the rest
  return h;
}

describe('backchannels never interrupt', () => {
  for (const phrase of ['uh-huh', 'mm-hmm', 'yeah', 'okay']) {
    it(`"${phrase}" pauses at most briefly and the reply is heard to the end`, async () => {
      const h = await explaining();
      h.say(phrase, { wordMs: 350 });
      await h.runUntil(() => h.statesInclude('agent.idle'), 15_000);
      await h.run(100);
      const ctx = h.tts.contexts.find((c) => c.text === REPLY)!;
      expect(ctx.cancelled).toBe(false);
      expect(h.session.record.bargeIns.map((b) => b.kind)).toEqual(['backchannel']);
      expect(h.session.record.turns).toHaveLength(1);
      expect(h.session.record.transcript.filter((e) => e.role === 'user').map((e) => e.text)).toEqual(['how do I reset my router']);
      expect(h.session.record.transcript.at(-1)).toMatchObject({ role: 'assistant', text: REPLY });
      expect(h.session.record.transcript.at(-1)!.interrupted).toBeUndefined();
      // Every sample synthesised was played once: nothing repeated, nothing lost.
      expect(h.transport.heardMs()).toBeGreaterThanOrEqual(ctx.audioMs - 20);
      expect(h.transport.heardMs()).toBeLessThanOrEqual(ctx.audioMs + 20);
    });
  }

  it('"stop" interrupts at once, before confirm.minSpeechMs', async () => {
    const h = await explaining();
    h.say('stop', { wordMs: 200, partialLagMs: 40 });
    await h.runUntil(() => h.session.record.bargeIns.some((b) => b.kind === 'interrupt'), 2000);
    const b = h.session.record.bargeIns[0]!;
    expect(b.reason).toContain('stop');
    // Decided on the first partial: well before the 250 ms of speech confirm.minSpeechMs would need.
    expect(h.session.controller.pipeline.speechMs).toBeLessThan(250);
    expect(h.tts.contexts.find((c) => c.text === REPLY)!.cancelled).toBe(true);
  });

  it('a real sentence starting with "yeah" still interrupts once a non-backchannel word comes', async () => {
    const h = await explaining();
    h.say('yeah but my router has no green light');
    await h.runUntil(() => h.session.record.bargeIns.some((b) => b.kind === 'interrupt'), 3000);
    expect(h.session.record.bargeIns[0]!.reason).toMatch(/yeah but/);
  });
});
