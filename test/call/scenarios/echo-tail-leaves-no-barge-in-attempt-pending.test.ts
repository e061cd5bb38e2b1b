/*
 * On a speakerphone the echo of the agent's last words comes back after its playout has ended, longer than
 * the echo gate's tail, and the VAD takes it for the caller: an onset in the reply's last few frames that goes
 * on after the reply is over. The reply is done, so that attempt can interrupt nothing: it must be closed
 * (`false`, saying the reply ended first) when the reply ends, not left pending for the rest of the call,
 * where it would swallow the caller's next real interruption and be credited with its decision.
 */
import { describe, expect, it } from 'vitest';
import { createHarness } from '../harness.js';

const FIRST = 'Your table for four is booked for eight tonight.';
const SECOND = 'We also have a tasting menu on Fridays with seven courses and a wine pairing from our cellar.';

describe('the echo tail of a reply leaves no barge-in attempt pending', () => {
  it('an onset in the last frames of a reply is closed when the reply ends; the next interruption is its own', async () => {
    const h = createHarness({ llm: { replies: [{ match: 'table', reply: FIRST }, { match: 'menu', reply: SECOND }, { match: 'wine', reply: 'Sure.' }] }, playoutDelayMs: 40 });
    h.start();
    h.say('can I book a table');
    await h.runUntil(() => h.session.hasTag('agent-speaking'), 10_000);
    const reply = () => h.tts.contexts.find((c) => c.text === FIRST);
    await h.runUntil(() => reply()?.done === true && h.transport.sentMs() >= reply()!.audioMs - 40, 10_000);
    expect(h.session.hasTag('agent-speaking')).toBe(true);
    h.noise(300); // the echo tail: starts under the last frames, goes on after them
    await h.runUntil(() => h.statesInclude('agent.idle'), 2000);
    await h.run(600);

    expect(h.session.record.bargeIns).toHaveLength(1);
    expect(h.session.record.bargeIns[0]).toMatchObject({ kind: 'false', reason: expect.stringMatching(/reply ended/) });

    h.say('tell me about the menu');
    await h.runUntil(() => h.session.hasTag('agent-speaking'), 10_000);
    await h.run(1200);
    const onsetAt = h.now();
    h.say('which wine comes with it');
    await h.runUntil(() => h.session.record.bargeIns.some((b) => b.kind === 'interrupt'), 3000);
    const real = h.session.record.bargeIns.at(-1)!;
    expect(h.session.record.bargeIns).toHaveLength(2);
    expect(real.kind).toBe('interrupt');
    expect(Math.abs(real.onsetMs - onsetAt)).toBeLessThanOrEqual(40);
    expect(real.reactionMs).toBeLessThanOrEqual(160);
  });
});
