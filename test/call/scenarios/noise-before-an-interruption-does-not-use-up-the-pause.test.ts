/*
 * A caller on a noisy line (typing on a keyboard) asks about rooms. While the agent answers, a burst of noise
 * pauses it; more key clicks keep the line busy until the pause runs out, so the agent resumes while the VAD
 * still hears sound. A moment later the caller really interrupts. The pause step must fire for that
 * interruption on its own speech (within about pauseAfterMs of its onset): the noise before it must not have
 * used it up, leaving the agent talking over the caller until the caller's turn commits. The step measures each
 * onset's own speech, so key clicks too short to pause on their own never add up to a pause either.
 */
import { describe, expect, it } from 'vitest';
import { createHarness } from '../harness.js';

const ANSWER =
  'We have rooms on the first floor with a garden view, rooms on the second floor with a balcony, a suite on the top floor with a terrace, and two family rooms next to the pool.';

describe('noise before an interruption does not use up the pause', () => {
  it('keyboard noise paused the agent and outlasted the pause; the real interruption still pauses at once', async () => {
    const h = createHarness({ llm: { replies: [{ match: 'rooms', reply: ANSWER }, { match: 'parking', reply: 'Yes, parking is free.' }] }, playoutDelayMs: 40 });
    h.start();
    h.say('which rooms do you have');
    await h.runUntil(() => h.session.hasTag('agent-speaking'), 10_000);
    await h.run(800);
    h.noise(200); // a burst of key clicks: pauses the agent
    await h.runUntil(() => h.statesInclude('responding.paused'), 1000);
    await h.run(1000);
    h.noise(400); // more typing, still going when the pause runs out (resumeAfterMs 1200 ms)
    await h.runUntil(() => h.statesInclude('responding.speaking'), 1000);
    await h.run(600);
    expect(h.statesInclude('responding.speaking')).toBe(true);

    const onsetAt = h.now();
    h.say('do you have parking as well');
    const took = await h.runUntil(() => h.statesInclude('responding.paused') || h.statesInclude('agent.idle'), 3000);
    expect(took).toBeLessThanOrEqual(160);
    await h.runUntil(() => h.session.record.bargeIns.some((b) => b.kind === 'interrupt'), 3000);
    const real = h.session.record.bargeIns.find((b) => b.kind === 'interrupt')!;
    expect(Math.abs(real.onsetMs - onsetAt)).toBeLessThanOrEqual(40);
    expect(real.reactionMs).toBeLessThanOrEqual(160);
  });

  it('key clicks each shorter than pauseAfterMs never add up to a pause', async () => {
    const h = createHarness({ llm: { replies: [{ match: 'rooms', reply: ANSWER }] }, playoutDelayMs: 40 });
    h.start();
    h.say('which rooms do you have');
    await h.runUntil(() => h.session.hasTag('agent-speaking'), 10_000);
    await h.run(600);
    let paused = false;
    for (let click = 0; click < 8; click++) {
      h.noise(60); // under pauseAfterMs (80 ms); the gaps are longer than the VAD's hangover, so each is an onset
      for (let t = 0; t < 300; t += 20) {
        await h.run(20);
        paused ||= h.statesInclude('responding.paused');
      }
    }
    expect(paused).toBe(false);
    expect(h.session.record.bargeIns.length).toBeGreaterThanOrEqual(7);
    expect(h.session.record.bargeIns.every((b) => b.reactedAtMs === undefined)).toBe(true);
  });
});
