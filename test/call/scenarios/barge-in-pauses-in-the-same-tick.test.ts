/*
 * The barge-in path must not wait on anything (DESIGN.md section 4): the inbound frame that completes
 * pauseAfterMs of caller speech pauses playout and clears the transport before `pushAudio` returns. No
 * promise, timer or microtask sits between the frame and the pause. This test pushes frames by hand and
 * checks the playout state right after each synchronous call, without awaiting anything in between.
 */
import { describe, expect, it } from 'vitest';
import { createHarness } from '../harness.js';

describe('barge-in pauses in the same tick', () => {
  for (const pauseAfterMs of [60, 80, 140]) {
    it(`pauses on the frame that completes ${pauseAfterMs} ms of speech`, async () => {
      const h = createHarness({ patch: { bargeIn: { pauseAfterMs } }, llm: { replies: [{ match: 'hi', reply: 'Hello there, this is a rather long answer to keep me talking for a while.' }] }, playoutDelayMs: 40 });
      h.start();
      h.say('hi');
      await h.runUntil(() => h.session.hasTag('agent-speaking'));
      await h.run(400);
      const { session, transport } = h;
      const speech = new Int16Array(160).map((_, i) => Math.round(4000 * Math.sin(i / 3)));
      const clearsBefore = transport.clears.length;
      const framesToPause = Math.max(pauseAfterMs, h.spec.turnTaking.vad.minSpeechMs) / 20;
      // Frames before the threshold: still playing. No await anywhere in this loop.
      for (let i = 1; i < framesToPause; i++) {
        session.pushAudio(speech);
        expect(session.controller.playout.isPaused).toBe(false);
      }
      session.pushAudio(speech);
      // Same tick: paused, transport cleared, state moved, nothing awaited.
      expect(session.controller.playout.isPaused).toBe(true);
      expect(transport.clears.length).toBe(clearsBefore + 1);
      expect(session.states()).toContain('active.agent.responding.paused');
    });
  }
});
