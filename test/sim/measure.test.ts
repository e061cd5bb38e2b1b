/*
 * The scoring of `voiceagent test` and `bench:quality`, on synthetic calls. Every PASS a scenario prints rests
 * on `measureCall`: if it miscounted (a false barge-in never counted, a reaction read from the runtime's own
 * clock, a late answer dropped from the percentile), every example scenario would go on passing. So each figure
 * is checked both ways here: counted when it happened, not counted when it did not.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_DEAD_AIR_MS, measureCall, percentile, responsePercentile } from '../../runtime/sim/measure.js';
import type { CallerActivity } from '../../runtime/sim/simulated-caller.js';
import type { SentFrame } from '../../runtime/transports/in-process.js';
import { PLAYOUT_DELAY_MS, agentAudio, backchannel, bargeIn, callRecord, hangup, noise, resetSteps, say, turn } from './measure-fixtures.js';

const measure = (record: ReturnType<typeof callRecord>, activities: CallerActivity[], sent: SentFrame[], deadAirMs?: number) =>
  measureCall(record, activities, { sent }, 0, deadAirMs === undefined ? {} : { deadAirMs });

beforeEach(() => resetSteps());

describe('false barge-ins', () => {
  // The agent talks from 4000 to 9000 ms at the caller's ear; something happens at 5000 and the runtime confirms an interruption.
  const reply = () => agentAudio(4000, 9000, 5140);

  it('counts an interruption confirmed on a cough, a backchannel or nothing at all (the agent\'s echo)', () => {
    const question = say('What are your hours?', 1000, 2500);
    for (const [activity, cause] of [
      [noise('cough', 5000, 5400), 'noise'],
      [backchannel('mm-hmm', 5000, 5500), 'backchannel'],
      [undefined, 'silence'],
    ] as const) {
      const m = measure(callRecord({ bargeIns: [bargeIn(5020, 'interrupt')] }), activity ? [question, activity] : [question], reply());
      expect(m.falseBargeIns, cause).toBe(1);
      expect(m.bargeIns[0]).toMatchObject({ kind: 'interrupt', cause });
    }
  });

  it('does not count a real interruption, nor a cough that only paused the agent', () => {
    const line = say('Sorry, can I book for Tuesday?', 5000, 6800, true);
    expect(measure(callRecord({ bargeIns: [bargeIn(5020, 'interrupt')] }), [line], reply()).falseBargeIns).toBe(0);
    expect(measure(callRecord({ bargeIns: [bargeIn(5020, 'false')] }), [noise('cough', 5000, 5400)], reply()).falseBargeIns).toBe(0);
  });
});

describe('missed barge-ins', () => {
  it('counts a line spoken over the agent that never stopped it, even if it paused it', () => {
    const line = say('Sorry, wait.', 5000, 5800, true);
    expect(measure(callRecord(), [line], agentAudio(4000, 9000)).missedBargeIns).toBe(1);
    resetSteps();
    expect(measure(callRecord({ bargeIns: [bargeIn(5020, 'false')] }), [say('Sorry, wait.', 5000, 5800, true)], agentAudio(4000, 9000)).missedBargeIns).toBe(1);
  });

  it('counts a line that landed on the agent\'s audio though it was not timed to (the agent was heard at its onset)', () => {
    const line = say('Can I book for Friday?', 5000, 6500, false);
    expect(measure(callRecord(), [line], agentAudio(4000, 9000)).missedBargeIns).toBe(1);
  });

  it('does not count a line that interrupted, a backchannel, or a line said in silence', () => {
    expect(measure(callRecord({ bargeIns: [bargeIn(5020, 'interrupt')] }), [say('Sorry, wait.', 5000, 5800, true)], agentAudio(4000, 9000, 5140)).missedBargeIns).toBe(0);
    resetSteps();
    expect(measure(callRecord(), [backchannel('uh-huh', 5000, 5400)], agentAudio(4000, 9000)).missedBargeIns).toBe(0);
    resetSteps();
    expect(measure(callRecord(), [say('Hello?', 10_000, 10_600)], agentAudio(4000, 9000)).missedBargeIns).toBe(0);
  });
});

describe('reaction as heard', () => {
  it('runs from the caller\'s onset as spoken to the agent\'s audio stopping at their ear', () => {
    // The runtime stamps the onset 40 ms late and thinks it reacted at once; the caller heard the agent until 5140.
    const record = callRecord({ bargeIns: [{ ...bargeIn(5040, 'interrupt'), reactedAtMs: 5060, reactionMs: 20 }] });
    const m = measure(record, [say('Sorry, wait.', 5000, 5800, true)], agentAudio(4000, 9000, 5140));
    expect(m.bargeIns[0]).toMatchObject({ onsetMs: 5000, step: 0, reactionHeardMs: 140 });
  });

  it('includes what the far end still played after the clear', () => {
    // Frames sent before the clear that had started playing are heard to their end: the caller hears 5160.
    const sent = agentAudio(4000, 9000, 5160);
    expect(measure(callRecord({ bargeIns: [bargeIn(5000, 'interrupt')] }), [say('Stop.', 5000, 5400, true)], sent).bargeIns[0]!.reactionHeardMs).toBe(160);
  });

  it('is absent when no agent audio was playing at the onset', () => {
    const m = measure(callRecord({ bargeIns: [bargeIn(9500, 'interrupt')] }), [say('Hello?', 9500, 10_000, true)], agentAudio(4000, 9000));
    expect(m.bargeIns[0]!.reactionHeardMs).toBeUndefined();
  });
});

describe('response latency as heard and dead air', () => {
  it('runs from the caller\'s speech end to the agent\'s first audio at their ear, playout delay included', () => {
    // The reply's first frame is sent at 3740 and plays at 3800: the caller waited 800 ms, not 740.
    const m = measure(callRecord(), [say('What are your hours?', 1000, 3000)], agentAudio(3800, 6000));
    expect(m.responseLatenciesMs).toEqual([800]);
    expect(m.lines[0]).toMatchObject({ outcome: 'answered', responseHeardMs: 800 });
    expect(m.deadAirLines).toEqual([]);
  });

  it('keeps a late answer in the figures however late (nothing is dropped from a percentile) and calls it dead air', () => {
    const m = measure(callRecord(), [say('What are your hours?', 1000, 3000)], agentAudio(23_000, 25_000));
    expect(m.responseLatenciesMs).toEqual([20_000]);
    expect(m.lines[0]).toMatchObject({ outcome: 'late', responseHeardMs: 20_000 });
    expect(m.deadAirLines.map((l) => l.text)).toEqual(['What are your hours?']);
    expect(responsePercentile(m, 0.95)).toBe(20_000);
  });

  it('counts a line never answered as dead air, infinitely late in the percentile', () => {
    const activities = [say('What are your hours?', 1000, 3000), say('Thanks, bye.', 7000, 8000)];
    const m = measure(callRecord(), activities, agentAudio(3800, 6000));
    expect(m.lines.map((l) => l.outcome)).toEqual(['answered', 'unanswered']);
    expect(m.deadAirLines.map((l) => l.text)).toEqual(['Thanks, bye.']);
    expect(m.responseLatenciesMs).toEqual([800]);
    expect(responsePercentile(m, 0.5)).toBe(800);
    expect(responsePercentile(m, 0.95)).toBe(Infinity);
  });

  it('uses the dead-air bound it is given (4000 ms by default)', () => {
    expect(DEFAULT_DEAD_AIR_MS).toBe(4000);
    const activities = () => [say('What are your hours?', 1000, 3000)];
    expect(measure(callRecord(), activities(), agentAudio(6900, 8000)).lines[0]!.outcome).toBe('answered');
    resetSteps();
    expect(measure(callRecord(), activities(), agentAudio(7100, 8000)).lines[0]!.outcome).toBe('late');
    resetSteps();
    expect(measure(callRecord(), activities(), agentAudio(6900, 8000), 2000).lines[0]!.outcome).toBe('late');
  });

  it('expects no answer of its own to a line the caller went on from within the bound (a pause mid-thought)', () => {
    const activities = [say('I\'d like to book for', 1000, 2500), say('Thursday, please.', 3300, 4200)];
    const m = measure(callRecord(), activities, agentAudio(5000, 7000));
    expect(m.lines.map((l) => l.outcome)).toEqual(['continued', 'answered']);
    expect(m.responseLatenciesMs).toEqual([800]);
  });

  it('calls it dead air when the caller had to speak again after waiting longer than the bound', () => {
    const activities = [say('What are your hours?', 1000, 3000), say('Hello? Are you there?', 8000, 9500)];
    const m = measure(callRecord(), activities, agentAudio(10_300, 12_000));
    expect(m.lines.map((l) => l.outcome)).toEqual(['unanswered', 'answered']);
  });

  it('calls it dead air when the caller hung up after waiting longer than the bound, not when they hung up at once', () => {
    expect(measure(callRecord(), [say('Hello?', 1000, 2000), hangup(7000)], []).deadAirLines).toHaveLength(1);
    resetSteps();
    expect(measure(callRecord(), [say('Bye.', 1000, 2000), hangup(2500)], []).deadAirLines).toHaveLength(0);
  });

  it('takes no latency from a line the agent talked over to its end', () => {
    const m = measure(callRecord(), [say('Wait, wait.', 5000, 5800, true)], agentAudio(4000, 9000));
    expect(m.lines[0]!.outcome).toBe('talked-over');
    expect(m.responseLatenciesMs).toEqual([]);
    expect(m.deadAirLines).toEqual([]);
  });
});

describe('turn spans as heard', () => {
  it('re-measures endpointing and the response from the caller\'s speech end, and adds the playout delay', () => {
    // The runtime put the speech end at 3100 (100 ms late), committed 300 ms later, and sent its first frame
    // 700 ms after its speech end (3800); the caller stopped at 3000 and heard the reply from 3860.
    const t = turn(1, 'what are your hours', 3100, { endpointingMs: 300, sttFinalMs: 200, llmFirstTokenMs: 200, ttsFirstAudioMs: 200, firstFrameOutMs: 0, responseMs: 700 });
    const m = measure(callRecord({ turns: [t] }), [say('What are your hours?', 1000, 3000)], agentAudio(3800 + PLAYOUT_DELAY_MS, 6000));
    expect(m.turns[0]).toMatchObject({ index: 1, step: 0, heard: { endpointingMs: 400, sttFinalMs: 300, playoutMs: PLAYOUT_DELAY_MS, responseMs: 860 } });
    const { heard, spans } = m.turns[0]!;
    expect(heard.endpointingMs! + spans.llmFirstTokenMs! + spans.ttsFirstAudioMs! + heard.playoutMs!).toBe(heard.responseMs);
  });

  it('matches a turn spoken in two parts to its last part', () => {
    const t = turn(1, "I'd like to book an appointment for Thursday, please.", 4300, { endpointingMs: 500, responseMs: 900 });
    const activities = [say("I'd like to book an appointment for", 1000, 2500), say('Thursday, please.', 3300, 4200)];
    expect(measure(callRecord({ turns: [t] }), activities, agentAudio(5260, 7000)).turns[0]).toMatchObject({ step: 1, heard: { endpointingMs: 600, responseMs: 1060 } });
  });

  it('leaves the heard spans out when no caller line matches the turn\'s words', () => {
    const t = turn(1, 'something the caller never said', 3100, { endpointingMs: 300, responseMs: 700 });
    const m = measure(callRecord({ turns: [t] }), [say('What are your hours?', 1000, 3000)], agentAudio(3860, 6000));
    expect(m.turns[0]!.step).toBeUndefined();
    expect(m.turns[0]!.heard).toEqual({ playoutMs: PLAYOUT_DELAY_MS });
  });
});

describe('percentile', () => {
  it('is the nearest rank, with lines never answered last', () => {
    expect(percentile([], 0.95)).toBeUndefined();
    expect(percentile([300, 100, 200], 0.5)).toBe(200);
    expect(percentile([100, 200, Infinity], 0.95)).toBe(Infinity);
    expect(percentile([5], 0)).toBe(5);
  });
});
