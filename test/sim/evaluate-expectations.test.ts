/*
 * Each expectation a scenario can state (`expect:` in a scenario file), on synthetic calls: it passes on a call
 * that meets it and fails, saying what was measured, on one that does not. Plus the check every scenario gets
 * without asking: no dead air.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { evaluateExpectations, measureCall, type CheckResult } from '../../runtime/sim/measure.js';
import type { ScenarioExpectations } from '../../runtime/sim/scenario.js';
import type { CallerActivity } from '../../runtime/sim/simulated-caller.js';
import type { SentFrame } from '../../runtime/transports/in-process.js';
import { agentAudio, backchannel, bargeIn, callRecord, entry, noise, resetSteps, say, turn } from './measure-fixtures.js';

type SyntheticRecord = ReturnType<typeof callRecord>;

/** The checks of `expect` on a call; the dead-air check comes last, always. */
function checks(expectations: ScenarioExpectations, record: SyntheticRecord, activities: CallerActivity[], sent: SentFrame[]): CheckResult[] {
  return evaluateExpectations(expectations, record, measureCall(record, activities, { sent }, 0, expectations.deadAirMs ? { deadAirMs: expectations.deadAirMs } : {}));
}

/** The one check `expect` asked for (the first). */
function check(expectations: ScenarioExpectations, record: SyntheticRecord, activities: CallerActivity[], sent: SentFrame[]): CheckResult {
  return checks(expectations, record, activities, sent)[0]!;
}

/**
 * A call with one interruption: the caller asks (answered 800 ms later, as heard), the agent answers from 3800
 * to 9000 ms, the caller says "Sorry, wait." at 5000 and the agent's audio stops at their ear 140 ms later.
 */
function interruptedCall(kind: 'interrupt' | 'false' = 'interrupt') {
  const activities = [say('How much is a check-up?', 1000, 3000), say('Sorry, wait.', 5000, 5800, true)];
  const sent = [...agentAudio(3800, 9000, kind === 'interrupt' ? 5140 : Infinity), ...agentAudio(6600, 8000)];
  return { record: callRecord({ bargeIns: [bargeIn(5020, kind)] }), activities, sent };
}

beforeEach(() => resetSteps());

describe('expect.bargeIns.count', () => {
  it('passes on the confirmed count and fails on another', () => {
    const { record, activities, sent } = interruptedCall();
    expect(check({ bargeIns: { count: 1 } }, record, activities, sent)).toMatchObject({ passed: true, detail: '1 confirmed: "Sorry, wait."' });
    expect(check({ bargeIns: { count: 0 } }, record, activities, sent).passed).toBe(false);
  });

  it('does not count an attempt the runtime let go (paused, then resumed)', () => {
    const { record, activities, sent } = interruptedCall('false');
    expect(check({ bargeIns: { count: 1 } }, record, activities, sent)).toMatchObject({ passed: false, detail: '0 confirmed' });
  });
});

describe('expect.bargeIns.maxReactionMs', () => {
  it('passes when the agent stopped at the caller\'s ear within the bound, fails when later', () => {
    const { record, activities, sent } = interruptedCall();
    expect(check({ bargeIns: { maxReactionMs: 200 } }, record, activities, sent)).toMatchObject({ passed: true, detail: 'reactions (onset -> agent audio stopped, as heard): 140 ms' });
    expect(check({ bargeIns: { maxReactionMs: 100 } }, record, activities, sent).passed).toBe(false);
  });

  it('fails when there was no barge-in to time', () => {
    const activities = [say('How much is a check-up?', 1000, 3000)];
    expect(check({ bargeIns: { maxReactionMs: 300 } }, callRecord(), activities, agentAudio(3800, 9000))).toMatchObject({ passed: false, detail: 'no barge-in with agent audio playing at onset' });
  });

  it('fails when one interruption was fast and another never stopped the agent', () => {
    const { record, activities, sent } = interruptedCall();
    activities.push(say('Hang on, I need another day.', 7000, 8500, true));
    const result = check({ bargeIns: { maxReactionMs: 300 } }, record, activities, sent);
    expect(result.passed).toBe(false);
    expect(result.detail).toContain('never stopped the agent: "Hang on, I need another day."');
  });
});

describe('expect.falseBargeIns', () => {
  const cough = () => [say('What are your hours?', 1000, 3000), noise('cough', 5000, 5400)];

  it('passes when a cough only paused the agent', () => {
    expect(check({ falseBargeIns: 0 }, callRecord({ bargeIns: [bargeIn(5020, 'false')] }), cough(), agentAudio(3800, 9000))).toMatchObject({ passed: true, detail: '0' });
  });

  it('fails when a cough, a backchannel or the agent\'s own echo cut the agent off', () => {
    const cut = agentAudio(3800, 9000, 5140);
    expect(check({ falseBargeIns: 0 }, callRecord({ bargeIns: [bargeIn(5020, 'interrupt')] }), cough(), cut)).toMatchObject({ passed: false, detail: '1 (noise "cough" at 5000 ms)' });
    resetSteps();
    const mmhmm = [say('What are your hours?', 1000, 3000), backchannel('mm-hmm', 5000, 5500)];
    expect(check({ falseBargeIns: 0 }, callRecord({ bargeIns: [bargeIn(5020, 'interrupt')] }), mmhmm, cut).passed).toBe(false);
    resetSteps();
    const echo = check({ falseBargeIns: 0 }, callRecord({ bargeIns: [bargeIn(5020, 'interrupt')] }), [say('What are your hours?', 1000, 3000)], cut);
    expect(echo).toMatchObject({ passed: false, detail: '1 (echo or line noise at 5020 ms)' });
  });

  it('allows as many as it says', () => {
    expect(check({ falseBargeIns: 1 }, callRecord({ bargeIns: [bargeIn(5020, 'interrupt')] }), cough(), agentAudio(3800, 9000, 5140)).passed).toBe(true);
  });
});

describe('expect.transcriptContains', () => {
  const record = () => callRecord({ transcript: [entry('user', 'What are your hours?'), entry('assistant', 'We are open on Saturday mornings.')] });

  it('passes on a phrase the agent said (any case), fails on one it did not, or that only the caller said', () => {
    const activities = [say('What are your hours?', 1000, 3000)];
    const sent = agentAudio(3800, 6000);
    expect(check({ transcriptContains: ['saturday MORNINGS'] }, record(), activities, sent).passed).toBe(true);
    expect(check({ transcriptContains: ['Sunday'] }, record(), activities, sent)).toMatchObject({ passed: false, detail: 'agent said: We are open on Saturday mornings.' });
    expect(check({ transcriptContains: ['your hours'] }, record(), activities, sent).passed).toBe(false);
  });
});

describe('expect.respondsIn', () => {
  it('checks the language of the agent\'s last reply', () => {
    const record = callRecord({ transcript: [entry('assistant', 'Hello.'), entry('assistant', 'Au revoir !', { language: 'fr' })] });
    expect(check({ respondsIn: 'fr' }, record, [], []).passed).toBe(true);
    expect(check({ respondsIn: 'en' }, record, [], [])).toMatchObject({ passed: false, detail: 'last reply in fr: "Au revoir !"' });
    expect(check({ respondsIn: 'en' }, callRecord(), [], []).passed).toBe(false);
  });
});

describe('expect.heardOnly', () => {
  const intended = 'A check-up and cleaning is ninety-five dollars.';

  it('passes when the interrupted reply holds only its heard beginning', () => {
    const record = callRecord({ transcript: [entry('assistant', 'A check-up and', { interrupted: true, intendedText: intended })] });
    expect(check({ heardOnly: true }, record, [], []).passed).toBe(true);
  });

  it('fails when the context kept the whole reply, other words, or nothing was interrupted', () => {
    const whole = callRecord({ transcript: [entry('assistant', intended, { interrupted: true, intendedText: intended })] });
    expect(check({ heardOnly: true }, whole, [], []).passed).toBe(false);
    const other = callRecord({ transcript: [entry('assistant', 'A filling costs', { interrupted: true, intendedText: intended })] });
    expect(check({ heardOnly: true }, other, [], []).passed).toBe(false);
    expect(check({ heardOnly: true }, callRecord({ transcript: [entry('assistant', intended)] }), [], [])).toMatchObject({ passed: false, detail: 'no interrupted agent message' });
  });
});

describe('expect.turns', () => {
  it('passes on the exact number of caller turns', () => {
    const record = callRecord({ turns: [turn(1, 'book for thursday', 3000, {}), turn(2, 'thanks', 9000, {})] });
    expect(check({ turns: 2 }, record, [], []).passed).toBe(true);
    expect(check({ turns: 3 }, record, [], [])).toMatchObject({ passed: false, detail: '2: "book for thursday", "thanks"' });
  });
});

describe('expect.latencyP95Ms', () => {
  const lines = () => [say('What are your hours?', 1000, 3000), say('Thanks, bye.', 7000, 8000)];

  it('passes when the response as heard is within the bound, fails when it is not', () => {
    const sent = [...agentAudio(3800, 6000), ...agentAudio(8700, 10_000)];
    expect(check({ latencyP95Ms: 1000 }, callRecord(), lines(), sent)).toMatchObject({ passed: true, detail: 'latencies (end of caller speech -> agent audio heard): 800, 700 ms' });
    resetSteps();
    expect(check({ latencyP95Ms: 750 }, callRecord(), lines(), sent).passed).toBe(false);
  });

  it('fails when a line was never answered, however fast the others were', () => {
    const result = check({ latencyP95Ms: 1000 }, callRecord(), lines(), agentAudio(3800, 6000));
    expect(result.passed).toBe(false);
    expect(result.detail).toBe('latencies (end of caller speech -> agent audio heard): 800 ms; never answered (counted as infinitely late): "Thanks, bye."');
  });

  it('fails on a very late answer (over 15 s is no reason to leave it out)', () => {
    expect(check({ latencyP95Ms: 1000 }, callRecord(), [say('What are your hours?', 1000, 3000)], agentAudio(20_000, 22_000)).passed).toBe(false);
  });
});

describe('dead air (every scenario)', () => {
  it('is checked without being asked for, and passes when every line was answered in time', () => {
    const result = checks({}, callRecord(), [say('What are your hours?', 1000, 3000)], agentAudio(3800, 6000));
    expect(result).toEqual([{ name: 'every caller line answered within 4000 ms', passed: true, detail: '1 line(s) answered, slowest 800 ms as heard' }]);
  });

  it('fails on a line never answered and on one answered after the bound, naming each', () => {
    const activities = [say('What are your hours?', 1000, 3000), say('Thanks, bye.', 12_000, 13_000)];
    const result = checks({}, callRecord(), activities, agentAudio(8000, 10_000)).at(-1)!;
    expect(result.passed).toBe(false);
    expect(result.detail).toBe('dead air: "What are your hours?" (step 1, ended at 3000 ms): 5000 ms (dead air); "Thanks, bye." (step 2, ended at 13000 ms): never answered');
  });

  it('takes the scenario\'s own bound', () => {
    const result = checks({ deadAirMs: 6000 }, callRecord(), [say('What are your hours?', 1000, 3000)], agentAudio(8000, 10_000)).at(-1)!;
    expect(result).toMatchObject({ name: 'every caller line answered within 6000 ms', passed: true });
  });
});
