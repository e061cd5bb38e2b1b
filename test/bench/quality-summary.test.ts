/*
 * The bench:quality figures are what the targets are judged on, so their arithmetic is tested here:
 * echo- and line-caused false barge-ins count, events that never fired and failed runs are left out of the
 * rates (never counted as successes), a line never answered keeps the p95 at "never", and each target says
 * by how much it is missed and which lines miss it.
 */
import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../bench/quality/run-event.js';
import { checkTargets, figuresOf } from '../../bench/quality/summary.js';

function outcome(change: Partial<Outcome>): Outcome {
  return { condition: 'base', mode: 'pause', type: 'interrupt', seed: 1, fired: true, confirmed: true, paused: true, lineFalse: 0, linePauses: 0, pausesMs: [], reactionMs: 120, waitedMs: [650], deadAir: 0, problems: [], ...change };
}

describe('bench:quality figures', () => {
  it('counts echo-caused false barge-ins and leaves unfired events and failed runs out of the rates', () => {
    const figures = figuresOf([
      outcome({ type: 'backchannel', confirmed: false, paused: true, reactionMs: undefined }),
      outcome({ type: 'noise', confirmed: true, reactionMs: undefined }),
      outcome({ type: 'noise', confirmed: false, paused: false, lineFalse: 1, linePauses: 2, reactionMs: undefined }),
      outcome({ type: 'noise', fired: false, confirmed: false, reactionMs: undefined }),
      outcome({ type: 'interrupt', confirmed: false, reactionMs: undefined }),
      outcome({ type: 'interrupt', error: 'the call did not end within 90000 ms', confirmed: false }),
    ]);
    expect(figures.events).toEqual({ interrupt: 1, backchannel: 1, noise: 2 });
    // 1 noise event confirmed + 1 echo-caused, over 3 backchannel/noise events that fired.
    expect(figures.falseBargeInPct).toBe(66.7);
    expect(figures.falseByCause).toEqual({ backchannel: 0, noise: 1, line: 1 });
    expect(figures.missedBargeInPct).toBe(100);
    // 2 events paused + 2 pauses with the caller silent, per 3 events.
    expect(figures.falsePausePct).toBe(133.3);
    expect(figures.neverFired).toBe(1);
    expect(figures.failedRuns).toBe(1);
  });

  it('keeps a line never answered in the response p95 and counts it as dead air', () => {
    const figures = figuresOf([outcome({ waitedMs: [600, 700] }), outcome({ waitedMs: [650, Infinity], deadAir: 1 })]);
    expect(figures.responseMs.p95).toBe(Infinity);
    expect(figures.deadAirLines).toBe(1);
  });

  it('marks each target met or not met by how much, per SNR group, naming the lines that miss it', () => {
    const checks = checkTargets([
      ...Array.from({ length: 9 }, (_, i) => outcome({ seed: i, reactionMs: 150 })),
      outcome({ condition: 'keyboard-20', reactionMs: 2040 }),
      outcome({ condition: 'babble-5', confirmed: false, reactionMs: undefined, deadAir: 1 }),
      outcome({ condition: 'babble-5', mode: 'duck', confirmed: false }),
    ]);
    const reaction = checks.find((c) => c.group === '>=10dB' && c.name === 'reaction as heard p95')!;
    expect(reaction).toMatchObject({ value: 2040, met: false, by: 1840, worst: ['keyboard-20 2040 ms'] });
    expect(checks.find((c) => c.group === '>=10dB' && c.name === 'missed barge-in')).toMatchObject({ value: 0, met: true, by: 0 });
    // Only pause mode counts: the duck-mode call at 5 dB is not in the figures.
    expect(checks.find((c) => c.group === '5dB' && c.name === 'missed barge-in')).toMatchObject({ value: 100, met: false, by: 97 });
    expect(checks.find((c) => c.group === '5dB' && c.name === 'dead-air turns')).toMatchObject({ value: 1, met: false, by: 1 });
  });
});
