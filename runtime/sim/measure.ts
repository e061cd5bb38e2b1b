/**
 * The scoring of a simulated call, from the caller's side of the line: what the caller did (their script's
 * activities, timed as spoken) against what they heard (the agent's frames as played at their ear, the
 * far end's playout delay included). The call record says what the runtime believed; these figures say what
 * happened, so a runtime that misjudges its own timing cannot grade itself.
 */
import type { CallRecord, TurnRecord, TurnSpans } from '../call/call-record.js';
import type { SentFrame } from '../transports/in-process.js';
import type { ScenarioExpectations } from './scenario.js';
import type { CallerActivity } from './simulated-caller.js';

/** Longest the caller may wait, as heard, between the end of a line and the agent's answer before the line is dead air, ms. */
export const DEFAULT_DEAD_AIR_MS = 4000;

/**
 * How far before a caller activity's first sample (ms) a runtime onset may be and still be credited to it (a
 * VAD's frame can start before the sound), and how far after its end (a detector that lags the sound).
 */
const CREDIT_BEFORE_MS = 60;
const CREDIT_AFTER_MS = 200;

/** A barge-in attempt as the caller experienced it. */
export interface MeasuredBargeIn {
  /** The caller's onset as spoken (call time, ms); the runtime's onset when nothing the caller did caused it. */
  readonly onsetMs: number;
  /** Script step of the caller's activity that caused it; absent when the caller did nothing (echo, line noise). */
  readonly step?: number;
  /** What the runtime decided. */
  readonly kind: 'interrupt' | 'backchannel' | 'false' | 'pending';
  /** What the caller was actually doing at the onset (`silence`: nothing, so the agent's own echo or the line). */
  readonly cause: 'speech' | 'backchannel' | 'noise' | 'silence';
  readonly causeText?: string;
  /** Caller onset -> agent audio stopped at the caller's ear (pause or cut), ms; absent when none was playing. */
  readonly reactionHeardMs?: number;
  readonly heardText?: string;
}

/**
 * What became of one caller line (a `say` that is not a backchannel):
 * - `answered`: agent audio reached the caller's ear within the dead-air bound after the line ended;
 * - `late`: it did, after more than the bound (dead air);
 * - `unanswered`: no agent audio came before the caller gave up, spoke again after the bound, or the call ended (dead air);
 * - `continued`: the caller went on (spoke again or hung up) within the bound, before any answer: the answer belongs to the later line;
 * - `talked-over`: the agent was still audible when the caller stopped (a missed interruption or an agent speaking over the caller).
 */
export type LineOutcome = 'answered' | 'late' | 'unanswered' | 'continued' | 'talked-over';

/** One caller line and the answer the caller heard. */
export interface MeasuredLine {
  /** Script step (0-based). */
  readonly step: number;
  readonly text: string;
  /** Call time of the caller's first word, as spoken, ms. */
  readonly onsetMs: number;
  /** Call time the caller's last word ended, as spoken, ms. */
  readonly speechEndMs: number;
  /** Agent audio was playing at the caller's ear at the line's onset (or the step was timed into the agent's speech): an interruption attempt. */
  readonly overAgent: boolean;
  /** Caller's speech end -> the agent's first audio at the caller's ear, ms; set for `answered` and `late` lines. */
  readonly responseHeardMs?: number;
  readonly outcome: LineOutcome;
}

/** Spans of a turn measured on the caller's side of the line, all from the caller's speech end as spoken. */
export interface HeardSpans {
  /** Caller's speech end -> turn committed, ms. Differs from `spans.endpointingMs` by the runtime's error on where the speech ended. */
  readonly endpointingMs?: number;
  /** Caller's speech end -> final transcript, ms. */
  readonly sttFinalMs?: number;
  /** The reply's first frame sent -> that frame starting to play at the caller's ear (network and jitter buffer), ms. */
  readonly playoutMs?: number;
  /** Caller's speech end -> the reply's first audio at the caller's ear, ms: the response latency as heard, the headline figure. */
  readonly responseMs?: number;
}

/** One caller turn of the record, with its spans re-measured as the caller lived them. */
export interface MeasuredTurn {
  readonly index: number;
  readonly userText: string;
  /** The runtime's spans (from its own idea of the speech end). */
  readonly spans: TurnSpans;
  readonly outcome?: string;
  /** Script step of the caller line this turn took (its last line, for a turn spoken in parts); absent when none matched. */
  readonly step?: number;
  readonly heard: HeardSpans;
}

/** Figures of one call, as the caller heard it. */
export interface CallMeasurements {
  readonly bargeIns: readonly MeasuredBargeIn[];
  /** Confirmed interruptions caused by something that was not an interruption (noise, backchannel, echo). */
  readonly falseBargeIns: number;
  /** Caller lines spoken over the agent (not backchannels) that never interrupted it. */
  readonly missedBargeIns: number;
  /** Every caller line and what became of it. */
  readonly lines: readonly MeasuredLine[];
  /**
   * Response latency as heard (caller's speech end -> agent audio at their ear) of every answered line, however
   * late, ms. Lines never answered have no number: they are in `deadAirLines`, and {@link responsePercentile}
   * counts them as infinitely late.
   */
  readonly responseLatenciesMs: readonly number[];
  /** Lines answered after more than `deadAirMs`, or never: each one fails the scenario. */
  readonly deadAirLines: readonly MeasuredLine[];
  /** The dead-air bound these figures used, ms. */
  readonly deadAirMs: number;
  readonly turns: readonly MeasuredTurn[];
}

/** Result of one expectation. */
export interface CheckResult {
  readonly name: string;
  readonly passed: boolean;
  readonly detail: string;
}

/** Options of {@link measureCall}. */
export interface MeasureOptions {
  /** Longest wait for an answer, as heard, before a line is dead air, ms. Default: {@link DEFAULT_DEAD_AIR_MS}. */
  readonly deadAirMs?: number;
}

/** A stretch of agent audio at the caller's ear: [start, end) in call time, ms. */
export type Run = readonly [start: number, end: number];

/** Contiguous runs of agent audio at the caller's ear: [start, end) in call time. */
export function heardRuns(sent: readonly SentFrame[], t0: number): Run[] {
  const runs: Array<[number, number]> = [];
  for (const frame of sent) {
    if (frame.dropped) continue;
    const start = frame.playAtMs - t0;
    const end = start + frame.durationMs;
    const last = runs[runs.length - 1];
    if (last && start <= last[1] + 1) last[1] = Math.max(last[1], end);
    else runs.push([start, end]);
  }
  return runs;
}

/** The run of agent audio playing at `ms` (call time), if any. */
export const runAt = (runs: readonly Run[], ms: number): Run | undefined => runs.find(([start, end]) => start <= ms && end > ms);

/**
 * Measures barge-ins, false and missed interruptions, each caller line's answer (dead air included) and each
 * turn's spans as heard. `t0` is the clock time the call started (frames carry clock times).
 */
export function measureCall(record: CallRecord, activities: readonly CallerActivity[], transport: { readonly sent: readonly SentFrame[] }, t0: number, options: MeasureOptions = {}): CallMeasurements {
  const deadAirMs = options.deadAirMs ?? DEFAULT_DEAD_AIR_MS;
  const runs = heardRuns(transport.sent, t0);
  const bargeIns = record.bargeIns.map((b) => measureBargeIn(b, activities, runs));
  const confirmed = bargeIns.filter((b) => b.kind === 'interrupt');
  const lines = activities.filter((a) => a.kind === 'say').map((a) => measureLine(a, activities, runs, deadAirMs));
  const missedBargeIns = lines.filter((l) => l.overAgent && !confirmed.some((b) => b.step === l.step)).length;
  return {
    bargeIns,
    falseBargeIns: confirmed.filter((b) => b.cause !== 'speech').length,
    missedBargeIns,
    lines,
    responseLatenciesMs: lines.flatMap((l) => (l.responseHeardMs === undefined ? [] : [l.responseHeardMs])),
    deadAirLines: lines.filter((l) => l.outcome === 'late' || l.outcome === 'unanswered'),
    deadAirMs,
    turns: record.turns.map((t) => measureTurn(t, activities, transport.sent, t0)),
  };
}

function measureBargeIn(b: CallRecord['bargeIns'][number], activities: readonly CallerActivity[], runs: readonly Run[]): MeasuredBargeIn {
  const activity = activities.find((a) => (a.kind === 'say' || a.kind === 'backchannel' || a.kind === 'noise') && b.onsetMs >= a.startMs - CREDIT_BEFORE_MS && b.onsetMs <= a.endMs + CREDIT_AFTER_MS);
  const cause: MeasuredBargeIn['cause'] = !activity ? 'silence' : activity.kind === 'say' ? 'speech' : activity.kind === 'backchannel' ? 'backchannel' : 'noise';
  const onset = activity?.onsetMs ?? b.onsetMs;
  const run = runAt(runs, onset);
  return {
    onsetMs: onset,
    ...(activity ? { step: activity.step } : {}),
    kind: b.kind,
    cause,
    ...(activity?.text ? { causeText: activity.text } : {}),
    ...(run ? { reactionHeardMs: Math.round(run[1] - onset) } : {}),
    ...(b.heardText !== undefined ? { heardText: b.heardText } : {}),
  };
}

function measureLine(line: CallerActivity, activities: readonly CallerActivity[], runs: readonly Run[], deadAirMs: number): MeasuredLine {
  const end = line.speechEndMs;
  const base = { step: line.step, text: line.text ?? '', onsetMs: line.onsetMs, speechEndMs: end, overAgent: line.duringAgentSpeech || runAt(runs, line.onsetMs) !== undefined };
  if (runAt(runs, end) !== undefined) return { ...base, outcome: 'talked-over' };
  const answerAt = runs.find(([start]) => start >= end)?.[0];
  // The caller's next move after this line: another line, a backchannel, hanging up (not a pause or a noise).
  const nextAt = activities.find((a) => a.step > line.step && (a.kind === 'say' || a.kind === 'backchannel' || a.kind === 'hangup'))?.startMs;
  if (answerAt !== undefined && (nextAt === undefined || answerAt <= nextAt)) {
    const responseHeardMs = Math.round(answerAt - end);
    return { ...base, responseHeardMs, outcome: responseHeardMs > deadAirMs ? 'late' : 'answered' };
  }
  if (nextAt !== undefined && nextAt - end <= deadAirMs) return { ...base, outcome: 'continued' };
  return { ...base, outcome: 'unanswered' };
}

/** Letters and digits only, lower case: how a line's text and a transcript are compared. */
const normalise = (text: string): string => text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');

function measureTurn(turn: TurnRecord, activities: readonly CallerActivity[], sent: readonly SentFrame[], t0: number): MeasuredTurn {
  const { spans } = turn;
  const committedAt = turn.speechEndMs + (spans.endpointingMs ?? 0);
  const heardText = normalise(turn.userText);
  // The line the turn took: the latest the caller had started by the commit whose words end the transcript
  // (the recogniser hears what was said; a turn spoken in parts ends with its last part).
  const line = activities.filter((a) => (a.kind === 'say' || a.kind === 'backchannel') && a.onsetMs < committedAt).findLast((a) => normalise(a.text ?? '') !== '' && heardText.endsWith(normalise(a.text ?? '')));
  const base = { index: turn.index, userText: turn.userText, spans, ...(turn.outcome ? { outcome: turn.outcome } : {}) };
  const shift = line ? turn.speechEndMs - line.speechEndMs : undefined;
  // The reply's first frame on the wire; a clear that dropped it before it played leaves nothing heard to time.
  const sentAt = spans.responseMs === undefined ? undefined : t0 + turn.speechEndMs + spans.responseMs;
  const sentFirst = sentAt === undefined ? undefined : sent.find((f) => f.atMs >= sentAt - 0.5);
  const first = sentFirst?.dropped ? undefined : sentFirst;
  const heard: HeardSpans = {
    ...(shift !== undefined && spans.endpointingMs !== undefined ? { endpointingMs: Math.round(spans.endpointingMs + shift) } : {}),
    ...(shift !== undefined && spans.sttFinalMs !== undefined ? { sttFinalMs: Math.round(spans.sttFinalMs + shift) } : {}),
    ...(first ? { playoutMs: Math.round(first.playAtMs - first.atMs) } : {}),
    ...(first && line ? { responseMs: Math.round(first.playAtMs - t0 - line.speechEndMs) } : {}),
  };
  return { ...base, ...(line ? { step: line.step } : {}), heard };
}

/** Nearest-rank percentile; `Infinity` values (lines never answered) sort last. */
export function percentile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * Percentile of the response latency as heard over every line that waited for an answer: answered lines with
 * their latency, lines never answered as `Infinity`, so dead air can never vanish from a percentile.
 */
export function responsePercentile(m: Pick<CallMeasurements, 'lines'>, q: number): number | undefined {
  return percentile(waitedLatencies(m.lines), q);
}

function waitedLatencies(lines: readonly MeasuredLine[]): number[] {
  return lines.flatMap((l) => (l.responseHeardMs !== undefined ? [l.responseHeardMs] : l.outcome === 'unanswered' ? [Infinity] : []));
}

/** A line's answer for a report: "812 ms", "5230 ms (dead air)", "never answered". */
export function describeAnswer(line: MeasuredLine): string {
  if (line.outcome === 'unanswered') return 'never answered';
  return line.outcome === 'late' ? `${line.responseHeardMs} ms (dead air)` : `${line.responseHeardMs} ms`;
}

/**
 * Checks every expectation the scenario states, plus the one every scenario has: no dead air (every caller
 * line answered within `deadAirMs`, as heard). Each result says what was measured.
 */
export function evaluateExpectations(expect: ScenarioExpectations, record: CallRecord, m: CallMeasurements): CheckResult[] {
  const checks: CheckResult[] = [];
  const confirmed = m.bargeIns.filter((b) => b.kind === 'interrupt');
  if (expect.bargeIns?.count !== undefined) {
    checks.push({ name: `barge-ins = ${expect.bargeIns.count}`, passed: confirmed.length === expect.bargeIns.count, detail: `${confirmed.length} confirmed${confirmed.length ? ': ' + confirmed.map((b) => `"${b.causeText ?? b.cause}"`).join(', ') : ''}` });
  }
  if (expect.bargeIns?.maxReactionMs !== undefined) checks.push(reactionCheck(expect.bargeIns.maxReactionMs, m));
  if (expect.falseBargeIns !== undefined) {
    const falses = confirmed.filter((b) => b.cause !== 'speech');
    checks.push({ name: `false barge-ins <= ${expect.falseBargeIns}`, passed: falses.length <= expect.falseBargeIns, detail: `${falses.length}${falses.length ? ' (' + falses.map((b) => `${b.cause === 'silence' ? 'echo or line noise' : b.cause}${b.causeText ? ` "${b.causeText}"` : ''} at ${b.onsetMs} ms`).join(', ') + ')' : ''}` });
  }
  const agentText = record.transcript.filter((e) => e.role === 'assistant').map((e) => e.text).join(' \n ');
  for (const phrase of expect.transcriptContains ?? []) {
    checks.push({ name: `agent says "${phrase}"`, passed: agentText.toLowerCase().includes(phrase.toLowerCase()), detail: `agent said: ${truncate(agentText.replace(/\s*\n\s*/g, ' | '), 200)}` });
  }
  if (expect.respondsIn !== undefined) {
    const last = [...record.transcript].reverse().find((e) => e.role === 'assistant');
    checks.push({ name: `responds in ${expect.respondsIn}`, passed: last?.language === expect.respondsIn, detail: `last reply in ${last?.language ?? '(none)'}: "${truncate(last?.text ?? '', 80)}"` });
  }
  if (expect.heardOnly) {
    const interrupted = record.transcript.filter((e) => e.role === 'assistant' && e.interrupted);
    const bad = interrupted.filter((e) => !(e.intendedText ?? '').startsWith(e.text) || e.text.length >= (e.intendedText ?? '').length);
    checks.push({
      name: 'context holds only heard words after interruptions',
      passed: interrupted.length > 0 && bad.length === 0,
      detail: interrupted.length ? interrupted.map((e) => `heard "${truncate(e.text, 60)}" of "${truncate(e.intendedText ?? '', 60)}"`).join('; ') : 'no interrupted agent message',
    });
  }
  if (expect.turns !== undefined) {
    const texts = record.turns.map((t) => `"${truncate(t.userText, 40)}"`).join(', ');
    checks.push({ name: `caller turns = ${expect.turns}`, passed: record.turns.length === expect.turns, detail: `${record.turns.length}: ${texts}` });
  }
  if (expect.latencyP95Ms !== undefined) {
    const p95 = responsePercentile(m, 0.95);
    const never = m.lines.filter((l) => l.outcome === 'unanswered');
    const latencies = m.responseLatenciesMs.length ? `${m.responseLatenciesMs.join(', ')} ms` : 'none';
    const unanswered = never.length ? `; never answered (counted as infinitely late): ${never.map((l) => `"${truncate(l.text, 40)}"`).join(', ')}` : '';
    checks.push({ name: `response latency p95 <= ${expect.latencyP95Ms} ms`, passed: p95 !== undefined && p95 <= expect.latencyP95Ms, detail: `latencies (end of caller speech -> agent audio heard): ${latencies}${unanswered}` });
  }
  checks.push(deadAirCheck(m));
  return checks;
}

/** Every caller line spoken over the agent must have stopped it within `maxMs`, as heard; a missed one never did. */
function reactionCheck(maxMs: number, m: CallMeasurements): CheckResult {
  const confirmed = m.bargeIns.filter((b) => b.kind === 'interrupt' && b.reactionHeardMs !== undefined);
  const attempts = m.lines.filter((l) => l.overAgent);
  const missed = attempts.filter((l) => !confirmed.some((b) => b.step === l.step));
  const reactions = confirmed.map((b) => b.reactionHeardMs!);
  const parts = [reactions.length ? `reactions (onset -> agent audio stopped, as heard): ${reactions.join(', ')} ms` : 'no barge-in with agent audio playing at onset'];
  if (missed.length) parts.push(`never stopped the agent: ${missed.map((l) => `"${truncate(l.text, 40)}"`).join(', ')}`);
  return { name: `barge-in reaction <= ${maxMs} ms`, passed: reactions.length > 0 && missed.length === 0 && reactions.every((r) => r <= maxMs), detail: parts.join('; ') };
}

function deadAirCheck(m: CallMeasurements): CheckResult {
  const waited = m.lines.filter((l) => l.responseHeardMs !== undefined || l.outcome === 'unanswered');
  const detail = m.deadAirLines.length
    ? `dead air: ${m.deadAirLines.map((l) => `"${truncate(l.text, 40)}" (step ${l.step + 1}, ended at ${Math.round(l.speechEndMs)} ms): ${describeAnswer(l)}`).join('; ')}`
    : `${waited.length} line(s) answered, slowest ${Math.max(0, ...m.responseLatenciesMs)} ms as heard`;
  return { name: `every caller line answered within ${m.deadAirMs} ms`, passed: m.deadAirLines.length === 0, detail };
}

function truncate(text: string, max: number): string {
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}
