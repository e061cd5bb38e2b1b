import type { CallRecord, TurnSpans } from '../call/call-record.js';
import type { SentFrame } from '../transports/in-process.js';
import type { ScenarioExpectations } from './scenario.js';
import type { CallerActivity } from './simulated-caller.js';

/** A barge-in attempt as the caller experienced it. */
export interface MeasuredBargeIn {
  readonly onsetMs: number;
  /** What the runtime decided. */
  readonly kind: 'interrupt' | 'backchannel' | 'false' | 'pending';
  /** What the caller was actually doing at the onset. */
  readonly cause: 'speech' | 'backchannel' | 'noise' | 'silence';
  readonly causeText?: string;
  /** Caller onset -> agent audio stopped at the caller's ear (pause or cut), ms. */
  readonly reactionHeardMs?: number;
  readonly heardText?: string;
}

/** Figures of one call, as the caller heard it. */
export interface CallMeasurements {
  readonly bargeIns: readonly MeasuredBargeIn[];
  /** Confirmed interruptions caused by something that was not an interruption (noise, backchannel, echo). */
  readonly falseBargeIns: number;
  /** Caller lines spoken over the agent (not backchannels) that never interrupted it. */
  readonly missedBargeIns: number;
  /** End of caller speech -> first agent audio heard, per answered caller line, ms. */
  readonly responseLatenciesMs: readonly number[];
  readonly turns: ReadonlyArray<{ readonly index: number; readonly userText: string; readonly spans: TurnSpans; readonly outcome?: string }>;
}

/** Result of one expectation. */
export interface CheckResult {
  readonly name: string;
  readonly passed: boolean;
  readonly detail: string;
}

/** Contiguous runs of agent audio at the caller's ear: [start, end) in call time. */
function heardRuns(sent: readonly SentFrame[], t0: number): Array<[number, number]> {
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

/** Measures barge-ins, false and missed interruptions and response latency from what was heard. */
export function measureCall(record: CallRecord, activities: readonly CallerActivity[], transport: { readonly sent: readonly SentFrame[] }, t0: number): CallMeasurements {
  const runs = heardRuns(transport.sent, t0);
  const activityAt = (ms: number) => activities.find((a) => (a.kind === 'say' || a.kind === 'backchannel' || a.kind === 'noise') && ms >= a.startMs - 60 && ms <= a.endMs + 200);
  const bargeIns: MeasuredBargeIn[] = record.bargeIns.map((b) => {
    const activity = activityAt(b.onsetMs);
    const cause: MeasuredBargeIn['cause'] = !activity ? 'silence' : activity.kind === 'say' ? 'speech' : activity.kind === 'backchannel' ? 'backchannel' : 'noise';
    const onset = activity?.onsetMs ?? b.onsetMs;
    const run = runs.find(([start, end]) => start <= onset && end > onset);
    return {
      onsetMs: onset,
      kind: b.kind,
      cause,
      ...(activity?.text ? { causeText: activity.text } : {}),
      ...(run ? { reactionHeardMs: Math.round(run[1] - onset) } : {}),
      ...(b.heardText !== undefined ? { heardText: b.heardText } : {}),
    };
  });
  const confirmed = bargeIns.filter((b) => b.kind === 'interrupt');
  const falseBargeIns = confirmed.filter((b) => b.cause !== 'speech').length;
  const missedBargeIns = activities.filter(
    (a) => a.kind === 'say' && a.duringAgentSpeech && !confirmed.some((b) => b.cause === 'speech' && b.onsetMs >= a.startMs - 60 && b.onsetMs <= a.endMs + 200),
  ).length;
  const responseLatenciesMs: number[] = [];
  for (const a of activities) {
    if (a.kind !== 'say' || a.duringAgentSpeech) continue;
    const run = runs.find(([start]) => start >= a.speechEndMs);
    // A line the caller continued before the agent answered (a pause mid-thought) has no response of its own.
    const continued = run && activities.some((b) => b !== a && b.kind !== 'pause' && b.startMs >= a.speechEndMs && b.startMs < run[0]);
    if (run && !continued && run[0] - a.speechEndMs < 15_000) responseLatenciesMs.push(Math.round(run[0] - a.speechEndMs));
  }
  return {
    bargeIns,
    falseBargeIns,
    missedBargeIns,
    responseLatenciesMs,
    turns: record.turns.map((t) => ({ index: t.index, userText: t.userText, spans: t.spans, ...(t.outcome ? { outcome: t.outcome } : {}) })),
  };
}

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/** Checks every expectation the scenario states; each result says what was measured. */
export function evaluateExpectations(expect: ScenarioExpectations, record: CallRecord, m: CallMeasurements): CheckResult[] {
  const checks: CheckResult[] = [];
  const confirmed = m.bargeIns.filter((b) => b.kind === 'interrupt');
  if (expect.bargeIns?.count !== undefined) {
    checks.push({ name: `barge-ins = ${expect.bargeIns.count}`, passed: confirmed.length === expect.bargeIns.count, detail: `${confirmed.length} confirmed${confirmed.length ? ': ' + confirmed.map((b) => `"${b.causeText ?? b.cause}"`).join(', ') : ''}` });
  }
  if (expect.bargeIns?.maxReactionMs !== undefined) {
    const max = expect.bargeIns.maxReactionMs;
    const reactions = confirmed.map((b) => b.reactionHeardMs).filter((x): x is number => x !== undefined);
    checks.push({ name: `barge-in reaction <= ${max} ms`, passed: reactions.length > 0 && reactions.every((r) => r <= max), detail: reactions.length ? `reactions (onset -> agent audio stopped, as heard): ${reactions.join(', ')} ms` : 'no barge-in with agent audio playing at onset' });
  }
  if (expect.falseBargeIns !== undefined) {
    const falses = confirmed.filter((b) => b.cause !== 'speech');
    checks.push({ name: `false barge-ins <= ${expect.falseBargeIns}`, passed: falses.length <= expect.falseBargeIns, detail: `${falses.length}${falses.length ? ' (' + falses.map((b) => `${b.cause}${b.causeText ? ` "${b.causeText}"` : ''} at ${b.onsetMs} ms`).join(', ') + ')' : ''}` });
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
    const p95 = percentile(m.responseLatenciesMs, 0.95);
    checks.push({ name: `response latency p95 <= ${expect.latencyP95Ms} ms`, passed: p95 !== undefined && p95 <= expect.latencyP95Ms, detail: `latencies (end of caller speech -> agent audio heard): ${m.responseLatenciesMs.join(', ') || 'none'} ms` });
  }
  return checks;
}

function truncate(text: string, max: number): string {
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}
