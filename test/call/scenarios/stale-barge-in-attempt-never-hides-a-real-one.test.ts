/*
 * The call connects on a noisy line: during the greeting a short burst of babble (60 ms, long enough for the
 * VAD to call it speech, too short to pause the agent) starts a barge-in attempt that nothing ever decides.
 * Twenty seconds later the caller really interrupts the agent's answer. The agent must pause at once, and the
 * call record must credit that pause and the interruption to the caller's real onset, with a reaction of
 * about pauseAfterMs, not to the stale onset in the greeting (a "reaction" of many seconds, which the
 * simulation then counts as a false barge-in plus a missed one). The stale attempt itself is closed as
 * `false`, with a reason, and nothing is left pending.
 */
import { describe, expect, it } from 'vitest';
import { createHarness } from '../harness.js';

const GREETING = 'Thanks for calling the Harbour Hotel, this is the front desk, how can I help you today?';
const ANSWER = 'We have rooms on the first floor with a garden view, rooms on the second floor with a balcony, and a suite on the top floor.';

async function greetedOnANoisyLine() {
  const h = createHarness({
    patch: { prompt: { greeting: GREETING } },
    llm: { replies: [{ match: 'rooms', reply: ANSWER }, { match: 'parking', reply: 'Yes, parking is free for guests.' }] },
    playoutDelayMs: 40,
  });
  h.start();
  await h.runUntil(() => h.session.hasTag('agent-speaking'));
  await h.run(1000);
  h.noise(60); // babble: a speech onset, shorter than pauseAfterMs (80 ms)
  await h.runUntil(() => h.statesInclude('agent.idle'), 15_000);
  await h.run(2500);
  return h;
}

describe('a stale barge-in attempt never hides a real one', () => {
  it('noise during the greeting is closed as false; the real interruption later gets its own onset and reaction', async () => {
    const h = await greetedOnANoisyLine();
    expect(h.session.record.bargeIns.filter((b) => b.kind === 'pending')).toEqual([]);

    h.say('which rooms do you have');
    await h.runUntil(() => h.session.hasTag('agent-speaking'), 10_000);
    await h.run(1500);
    const onsetAt = h.now();
    h.say('do you have parking as well');
    const took = await h.runUntil(() => h.statesInclude('responding.paused') || h.statesInclude('agent.idle'), 1000);
    expect(took).toBeLessThanOrEqual(160);
    await h.runUntil(() => h.session.record.bargeIns.some((b) => b.kind === 'interrupt'), 3000);

    const [stale, real] = h.session.record.bargeIns;
    expect(h.session.record.bargeIns).toHaveLength(2);
    expect(stale).toMatchObject({ kind: 'false', reason: expect.any(String) });
    expect(stale!.onsetMs).toBeLessThan(onsetAt - 3000);
    expect(real!.kind).toBe('interrupt');
    expect(Math.abs(real!.onsetMs - onsetAt)).toBeLessThanOrEqual(40);
    expect(real!.reactionMs).toBeGreaterThanOrEqual(0);
    expect(real!.reactionMs).toBeLessThanOrEqual(160);
  });

  it('short bursts over a reply: a newer onset closes the older attempt, and each has its own onset', async () => {
    const h = createHarness({ llm: { replies: [{ match: 'rooms', reply: ANSWER }] }, playoutDelayMs: 40 });
    h.start();
    h.say('which rooms do you have');
    await h.runUntil(() => h.session.hasTag('agent-speaking'), 10_000);
    await h.run(800);
    h.noise(60);
    await h.run(600);
    const secondAt = h.now();
    h.noise(60);
    // Each burst is measured on its own (60 ms, under pauseAfterMs): neither pauses; the second is closed with the reply.
    await h.runUntil(() => h.statesInclude('agent.idle'), 15_000);
    const kinds = h.session.record.bargeIns.map((b) => b.kind);
    expect(kinds).toEqual(['false', 'false']);
    expect(h.session.record.bargeIns[0]!.reason).toMatch(/newer attempt/);
    expect(Math.abs(h.session.record.bargeIns[1]!.onsetMs - secondAt)).toBeLessThanOrEqual(40);
  });

  it('a cough pauses the agent; the caller then speaks for real: the interruption is credited to the speech, not the cough', async () => {
    const h = createHarness({ llm: { replies: [{ match: 'rooms', reply: ANSWER }, { match: 'parking', reply: 'Yes, parking is free.' }] }, playoutDelayMs: 40 });
    h.start();
    h.say('which rooms do you have');
    await h.runUntil(() => h.session.hasTag('agent-speaking'), 10_000);
    await h.run(800);
    h.noise(200); // the cough
    await h.runUntil(() => h.statesInclude('responding.paused'), 1000);
    await h.run(500); // still paused: resumeAfterMs is 1200 ms
    const speechAt = h.now();
    h.say('do you have parking as well');
    await h.runUntil(() => h.session.record.bargeIns.some((b) => b.kind === 'interrupt'), 3000);
    const [cough, speech] = h.session.record.bargeIns;
    expect(h.session.record.bargeIns).toHaveLength(2);
    expect(cough).toMatchObject({ kind: 'false', reason: expect.stringMatching(/newer attempt/) });
    expect(speech!.kind).toBe('interrupt');
    expect(Math.abs(speech!.onsetMs - speechAt)).toBeLessThanOrEqual(40);
    // Playout was already paused when the speech began: nothing left to react to.
    expect(speech!.reactionMs).toBe(0);
  });

  it('an attempt undecided when the caller hangs up is closed with the call', async () => {
    const h = createHarness({ llm: { replies: [{ match: 'rooms', reply: ANSWER }] }, playoutDelayMs: 40 });
    h.start();
    h.say('which rooms do you have');
    await h.runUntil(() => h.session.hasTag('agent-speaking'), 10_000);
    await h.run(800);
    h.noise(400);
    await h.runUntil(() => h.statesInclude('responding.paused'), 1000);
    h.session.hangup();
    await h.run(100);
    expect(h.session.record.bargeIns).toHaveLength(1);
    expect(h.session.record.bargeIns[0]).toMatchObject({ kind: 'false', reason: expect.stringMatching(/call ended/) });
  });
});
