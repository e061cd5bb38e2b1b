/*
 * Checks stated on one script step (`expect:` on a step), on synthetic calls: each passes on a call that meets
 * it and fails, saying what was measured, on one that does not. The caller asks a price; the agent answers from
 * 3800 to 9000 ms at their ear; the caller coughs at 4400 and says "Sorry, wait." at 6000.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { BargeInRecord } from '../../runtime/call/call-record.js';
import { measureCall } from '../../runtime/sim/measure.js';
import type { ScenarioStep, StepExpectations, StepTiming } from '../../runtime/sim/scenario.js';
import type { CallerActivity } from '../../runtime/sim/simulated-caller.js';
import { evaluateStepExpectations } from '../../runtime/sim/step-expectations.js';
import type { SentFrame } from '../../runtime/transports/in-process.js';
import { agentAudio, bargeIn, callRecord, entry, noise, resetSteps, say } from './measure-fixtures.js';

const WHEN: StepTiming = { agentSpeaking: true, sentence: 1, afterMs: 500, gapMs: 300 };
const REPLY = 'A check-up is ninety-five dollars. Most insurance plans are accepted.';

interface Call {
  readonly bargeIns: BargeInRecord[];
  readonly sent: SentFrame[];
  /** The reply as recorded: whole, or cut with only its heard part. */
  readonly reply: ReturnType<typeof entry>;
}

/** The script: a question, a cough, an interruption; `expects` puts checks on steps 0-2. */
function script(expects: Array<StepExpectations | undefined>): ScenarioStep[] {
  const steps: ScenarioStep[] = [
    { kind: 'say', text: 'How much is a check-up?', when: { ...WHEN, agentSpeaking: false } },
    { kind: 'noise', sound: 'cough', when: WHEN },
    { kind: 'say', text: 'Sorry, wait.', when: WHEN },
  ];
  return steps.map((step, i) => (expects[i] && step.kind !== 'pause' && step.kind !== 'set-noise' && step.kind !== 'hangup' ? { ...step, expect: expects[i] } : step));
}

function activities(withCoughSentence = 0): CallerActivity[] {
  return [say('How much is a check-up?', 1000, 3000), { ...noise('cough', 4400, 4800), agentSentence: withCoughSentence }, { ...say('Sorry, wait.', 6000, 6800, true), agentSentence: 1 }];
}

/** The agent stops 140 ms after "Sorry, wait." (cut there), having paused and resumed for the cough. */
const interrupted: () => Call = () => ({
  bargeIns: [bargeIn(4420, 'false'), bargeIn(6020, 'interrupt', 'A check-up is ninety-five dollars. Most insurance')],
  sent: [...agentAudio(3800, 4500), ...agentAudio(4700, 9000, 6140), ...agentAudio(8600, 10000)],
  reply: entry('assistant', 'A check-up is ninety-five dollars. Most insurance', { atMs: 3700, interrupted: true, intendedText: REPLY }),
});

/** The agent talks through everything: no barge-in confirmed, the reply heard whole. */
const talkedThrough: () => Call = () => ({
  bargeIns: [bargeIn(4420, 'false'), bargeIn(6020, 'false')],
  sent: agentAudio(3800, 9000),
  reply: entry('assistant', REPLY, { atMs: 3700 }),
});

function checks(call: Call, expects: Array<StepExpectations | undefined>, acts = activities()) {
  const record = callRecord({ bargeIns: call.bargeIns, transcript: [entry('user', 'How much is a check-up?', { atMs: 3000 }), call.reply] });
  const measurements = measureCall(record, acts, { sent: call.sent }, 0);
  return evaluateStepExpectations(script(expects), { record, measurements, activities: acts, sent: call.sent, t0: 0 }).map((c) => ({ name: c.name, passed: c.passed, detail: c.detail }));
}

beforeEach(() => resetSteps());

describe('interrupts', () => {
  it('within N ms: passes when the step is confirmed and the agent stops that fast at the ear, fails otherwise', () => {
    expect(checks(interrupted(), [undefined, undefined, { interrupts: { withinMs: 200 } }])).toEqual([
      { name: 'step 3 "Sorry, wait." interrupts within 200 ms', passed: true, detail: 'agent audio stopped 140 ms after the onset, as heard' },
    ]);
    resetSteps();
    expect(checks(interrupted(), [undefined, undefined, { interrupts: { withinMs: 100 } }])[0]!.passed).toBe(false);
    resetSteps();
    expect(checks(talkedThrough(), [undefined, undefined, { interrupts: true }])[0]).toEqual({ name: 'step 3 "Sorry, wait." interrupts', passed: false, detail: 'never confirmed (false)' });
  });

  it('false: passes when the agent carried on, fails when the step cut it', () => {
    expect(checks(talkedThrough(), [undefined, { interrupts: false }])[0]).toEqual({ name: 'step 2 "cough" does not interrupt', passed: true, detail: 'the agent reacted (paused, then resumed) and carried on' });
    resetSteps();
    const coughCuts: Call = { ...interrupted(), bargeIns: [bargeIn(4420, 'interrupt', 'A check-up')] };
    expect(checks(coughCuts, [undefined, { interrupts: false }])[0]).toMatchObject({ passed: false, detail: 'confirmed as a barge-in at 4400 ms; the caller heard "A check-up"' });
  });
});

describe('resumes', () => {
  it('passes when the sentence the step was made over is heard to its end, even if a later line cuts the reply', () => {
    const result = checks(interrupted(), [undefined, { interrupts: false, resumes: true }]);
    expect(result.map((c) => c.passed)).toEqual([true, true]);
    expect(result[1]).toEqual({ name: 'step 2 "cough" is talked through: the sentence it was made over is heard to its end', passed: true, detail: '"A check-up is ninety-five dollars." heard to its end (the reply was cut later)' });
  });

  it('fails when the reply was cut inside that sentence', () => {
    resetSteps();
    const result = checks(interrupted(), [undefined, { resumes: true }], activities(1));
    expect(result[1]).toMatchObject({ passed: false, detail: 'cut in the sentence "Most insurance plans are accepted.": the caller heard "A check-up is ninety-five dollars. Most insurance"' });
  });

  it('fails when no agent audio was playing to resume', () => {
    const quiet: Call = { ...talkedThrough(), sent: agentAudio(5000, 9000) };
    expect(checks(quiet, [undefined, { resumes: true }])[1]).toMatchObject({ passed: false, detail: "no agent audio was playing at the caller's ear at the step's onset (4400 ms): nothing to resume" });
  });
});

describe('answeredWithinMs', () => {
  it('passes when the answer reached the caller that fast, fails when later', () => {
    expect(checks(talkedThrough(), [{ answeredWithinMs: 1000 }])).toEqual([
      { name: 'step 1 "How much is a check-up?" is answered within 1000 ms', passed: true, detail: "answered 800 ms after the caller's speech end, as heard" },
    ]);
    resetSteps();
    expect(checks(talkedThrough(), [{ answeredWithinMs: 500 }])[0]!.passed).toBe(false);
  });
});

it('fails every check of a step that never ran', () => {
  const acts = activities().slice(0, 2);
  expect(checks(talkedThrough(), [undefined, undefined, { interrupts: { withinMs: 300 } }], acts)).toEqual([
    { name: 'step 3 interrupts within 300 ms', passed: false, detail: 'the step never ran (the call ended before it)' },
  ]);
});
