/*
 * A caller on a line with typing in the background says "What are your opening hours?" and stops. The keys go
 * on clicking: every burst is heard as speech, sends the turn from endpointing back to listening, and (before
 * this was fixed) landed in a listening state with no timer, so the "no new words for maxSilenceMs" bound was
 * lost and the question went unanswered for as long as the typing lasted (bench:quality: first lines answered
 * 4-5 s late on keyboard lines). The bound now counts from the last new word across bursts: the turn ends.
 * A caller who really goes on after a pause still gets a full window for new words (the long-pause scenario).
 */
import { describe, expect, it } from 'vitest';
import { createHarness } from '../harness.js';

describe('noise bursts after the last word do not hold the turn open', () => {
  it('commits the turn within the endpointing bound of the last word while bursts keep coming', async () => {
    const h = createHarness({ patch: { turnTaking: { endpointing: { minSilenceMs: 400, maxSilenceMs: 1000 } } } });
    h.start();
    await h.run(200);
    h.say('What are your opening hours?', { wordMs: 250 });
    const wordsEndAt = h.now() + 5 * 250;
    // Typing: a 100 ms burst every 300 ms, from just after the last word for 4 s.
    await h.run(5 * 250 + 100);
    const committedBy = async () => h.eventsOf('turn.committed').length > 0;
    for (let i = 0; i < 14 && !(await committedBy()); i++) {
      h.noise(100);
      await h.run(300);
    }
    const committed = h.eventsOf('turn.committed');
    expect(committed.length).toBe(1);
    // Words end -> the longest endpointing silence, plus the recogniser's lag in revealing the last word and a
    // burst in progress (slack: 500 ms). Before the fix no turn was committed at all while the typing went on.
    expect(committed[0]!.atMs - wordsEndAt).toBeLessThanOrEqual(1000 + 500);
  });
});
