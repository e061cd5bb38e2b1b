/*
 * The caller coughs over a long reply: playout pauses, no words come, and it resumes as a false interruption.
 * A second later the caller really interrupts. On main the second interruption did not pause the agent: the
 * cough's speech still counted in the utterance, so the pause milestone (pauseAfterMs of speech) had already
 * passed, and the agent talked over the caller until the turn committed 1.5-2 s later. A resumed false
 * interruption now starts the speech count over, so every onset gets its own pauseAfterMs.
 */
import { describe, expect, it } from 'vitest';
import { createHarness } from '../harness.js';

const REPLY = 'Your order shipped yesterday from our warehouse in Leeds and should arrive by Thursday afternoon at the latest, tracked all the way.';

describe('a cough never hides the interruption after it', () => {
  it('pauses again for the real interruption, within pauseAfterMs of its onset', async () => {
    const h = createHarness({ patch: { bargeIn: { pauseAfterMs: 80, falseInterruption: { resumeAfterMs: 600 } } }, llm: { replies: [{ match: 'order', reply: REPLY }] } });
    h.start();
    h.say('where is my order');
    await h.runUntil(() => h.session.hasTag('agent-speaking'));
    await h.run(800);
    // A long cough: its speech passes both milestones, pauseAfterMs and confirm.minSpeechMs (250 ms).
    h.noise(400);
    await h.runUntil(() => h.statesInclude('responding.paused'), 1000);
    await h.runUntil(() => h.statesInclude('responding.speaking'), 2000);
    expect(h.session.record.bargeIns.map((b) => b.kind)).toEqual(['false']);
    await h.run(400);
    const onsetAt = h.now();
    h.say('wait I need to change the address');
    await h.runUntil(() => h.statesInclude('responding.paused') || h.statesInclude('agent.idle'), 1000);
    // Paused within pauseAfterMs (plus the VAD's minimum speech and a frame) of the new onset, not at the commit.
    expect(h.now() - onsetAt).toBeLessThan(80 + 60 + 40);
    const second = h.session.record.bargeIns[1]!;
    expect(second.reactionMs).toBeLessThanOrEqual(100);
  });
});
