/**
 * Checks stated on single script steps (a step's `expect`): "this line interrupts within 300 ms", "this cough
 * must not interrupt, and the sentence it was made over is heard to its end", "this line is answered within
 * 1.5 s". Scored like the scenario's own checks, from what the caller did and heard (`measureCall`), with the
 * call record only for what the caller cannot see: which reply was cut.
 */
import type { CallRecord } from '../call/call-record.js';
import type { SentFrame } from '../transports/in-process.js';
import { describeAnswer, heardRuns, runAt, type CallMeasurements, type CheckResult } from './measure.js';
import type { ScenarioStep, StepExpectations } from './scenario.js';
import { sentenceStarts, type CallerActivity } from './simulated-caller.js';

/** What the step checks read besides the script: the call as recorded and as the caller lived it. */
export interface StepCheckInput {
  readonly record: CallRecord;
  readonly measurements: CallMeasurements;
  readonly activities: readonly CallerActivity[];
  /** The agent's frames, with when each played at the caller's ear (clock times). */
  readonly sent: readonly SentFrame[];
  /** Clock time the call started. */
  readonly t0: number;
}

/** One result per check stated on a step, in script order; a step that never ran fails its checks. */
export function evaluateStepExpectations(script: readonly ScenarioStep[], input: StepCheckInput): CheckResult[] {
  const checks: CheckResult[] = [];
  script.forEach((step, i) => {
    const expect = 'expect' in step ? step.expect : undefined;
    if (!expect) return;
    const activity = input.activities.find((a) => a.step === i);
    const label = `step ${i + 1}${activity?.text ? ` "${truncate(activity.text, 40)}"` : ''}`;
    for (const [name, check] of stepChecks(expect, i, input)) {
      checks.push(activity ? { name: `${label} ${name}`, ...check(activity) } : { name: `${label} ${name}`, passed: false, detail: 'the step never ran (the call ended before it)' });
    }
  });
  return checks;
}

type StepCheck = (activity: CallerActivity) => { passed: boolean; detail: string };

function stepChecks(expect: StepExpectations, step: number, input: StepCheckInput): Array<[string, StepCheck]> {
  const out: Array<[string, StepCheck]> = [];
  const { interrupts, resumes, answeredWithinMs } = expect;
  if (interrupts === false || resumes) out.push(['does not interrupt', () => notInterrupting(step, input)]);
  if (interrupts === true) out.push(['interrupts', () => interrupting(step, input, undefined)]);
  if (typeof interrupts === 'object') out.push([`interrupts within ${interrupts.withinMs} ms`, () => interrupting(step, input, interrupts.withinMs)]);
  if (resumes) out.push(['is talked through: the sentence it was made over is heard to its end', (activity) => resumed(activity, input)]);
  if (answeredWithinMs !== undefined) out.push([`is answered within ${answeredWithinMs} ms`, () => answered(step, input, answeredWithinMs)]);
  return out;
}

const confirmedFor = (step: number, m: CallMeasurements) => m.bargeIns.filter((b) => b.kind === 'interrupt' && b.step === step);

function interrupting(step: number, input: StepCheckInput, withinMs: number | undefined): { passed: boolean; detail: string } {
  const confirmed = confirmedFor(step, input.measurements);
  const attempts = input.measurements.bargeIns.filter((b) => b.step === step);
  if (confirmed.length === 0) return { passed: false, detail: attempts.length ? `never confirmed (${attempts.map((b) => b.kind).join(', ')})` : 'no barge-in attempt: the agent never reacted' };
  const reactions = confirmed.flatMap((b) => (b.reactionHeardMs === undefined ? [] : [b.reactionHeardMs]));
  if (withinMs === undefined) return { passed: true, detail: `confirmed${reactions.length ? `, agent audio stopped ${reactions[0]} ms after the onset, as heard` : ''}` };
  if (reactions.length === 0) return { passed: false, detail: 'confirmed, but no agent audio was playing at the onset to stop' };
  return { passed: reactions.some((r) => r <= withinMs), detail: `agent audio stopped ${Math.min(...reactions)} ms after the onset, as heard` };
}

function notInterrupting(step: number, input: StepCheckInput): { passed: boolean; detail: string } {
  const confirmed = confirmedFor(step, input.measurements);
  if (confirmed.length) return { passed: false, detail: `confirmed as a barge-in at ${confirmed[0]!.onsetMs} ms${confirmed[0]!.heardText !== undefined ? `; the caller heard "${truncate(confirmed[0]!.heardText, 60)}"` : ''}` };
  const attempts = input.measurements.bargeIns.filter((b) => b.step === step);
  return { passed: true, detail: attempts.length ? `the agent reacted (${attempts.map((b) => (b.kind === 'false' ? 'paused, then resumed' : b.kind)).join(', ')}) and carried on` : 'the agent never reacted' };
}

/**
 * The sentence playing at the caller's ear when the step began is heard to its end: agent audio was playing
 * then, and the reply it belongs to (the latest begun before the step) was either never cut, or cut only after
 * that sentence (its heard part, as the record keeps it, reaches the sentence's end).
 */
function resumed(activity: CallerActivity, input: StepCheckInput): { passed: boolean; detail: string } {
  const runs = heardRuns(input.sent, input.t0);
  if (!runAt(runs, activity.onsetMs) || activity.agentSentence === undefined) {
    return { passed: false, detail: `no agent audio was playing at the caller's ear at the step's onset (${Math.round(activity.onsetMs)} ms): nothing to resume` };
  }
  const reply = input.record.transcript.filter((e) => e.role === 'assistant' && e.atMs <= activity.onsetMs).at(-1);
  if (!reply) return { passed: false, detail: 'no agent reply in the transcript started before the step' };
  const intended = reply.intendedText ?? reply.text;
  const starts = sentenceStarts(intended);
  const sentence = intended.slice(starts[activity.agentSentence] ?? 0, starts[activity.agentSentence + 1] ?? intended.length).trim();
  const sentenceEnd = intended.slice(0, starts[activity.agentSentence + 1] ?? intended.length).trimEnd().length;
  if (reply.interrupted && reply.text.trimEnd().length < sentenceEnd) {
    return { passed: false, detail: `cut in the sentence "${truncate(sentence, 60)}": the caller heard "${truncate(reply.text, 80)}"` };
  }
  return { passed: true, detail: `"${truncate(sentence, 60)}" heard to its end${reply.interrupted ? ' (the reply was cut later)' : ''}` };
}

function answered(step: number, input: StepCheckInput, withinMs: number): { passed: boolean; detail: string } {
  const line = input.measurements.lines.find((l) => l.step === step);
  if (!line) return { passed: false, detail: 'not a line that waits for an answer (a backchannel)' };
  if (line.responseHeardMs === undefined) {
    const why = line.outcome === 'continued' ? 'the caller went on before any answer' : line.outcome === 'talked-over' ? 'the agent was still talking when the caller stopped' : describeAnswer(line);
    return { passed: false, detail: why };
  }
  return { passed: line.responseHeardMs <= withinMs, detail: `answered ${line.responseHeardMs} ms after the caller's speech end, as heard` };
}

function truncate(text: string, max: number): string {
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}
