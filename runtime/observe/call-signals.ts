import type { BargeInRecord, CallFailure, CallRecord } from '../call/call-record.js';
import type { CallEventOf } from '../call/events.js';
import type { BargeInEntry, CallView, DtmfView, LevelsView, ProviderMetricSummary } from './call-view-types.js';
import { providerMetricKey } from './call-view-types.js';
import { compact, replaceAt } from './plain.js';

/*
 * The parts of the view that are logs and meters rather than conversation: barge-in attempts, audio levels,
 * DTMF keys, failures, provider measurements. Each update is O(1) apart from copying a short list.
 */

type Decision = CallEventOf<'barge-in'>['decision'];

/** Samples kept for level meters unless told otherwise. */
export const DEFAULT_LEVEL_HISTORY = 100;

/** Levels before any sample: silence both ways. */
export function emptyLevels(capacity = DEFAULT_LEVEL_HISTORY): LevelsView {
  return { inDb: -100, outDb: -100, recent: [], capacity: Math.max(1, Math.floor(capacity)) };
}

/**
 * A barge-in attempt changed. The record's `onsetMs` identifies the attempt, so its paused, resumed and
 * interrupted events update one entry. `decision` undefined: the record comes from the call record at the
 * end, which carries the outcome but not when each step happened, so times already seen are kept.
 */
export function upsertBargeIn(list: readonly BargeInEntry[], record: BargeInRecord, decision: Decision | undefined, atMs: number): readonly BargeInEntry[] {
  const at = findAttempt(list, record.onsetMs);
  const previous = at >= 0 ? list[at] : undefined;
  const entry: BargeInEntry = compact({
    onsetMs: record.onsetMs,
    atMs: previous?.atMs ?? atMs,
    decision: decision ?? previous?.decision ?? decisionOfKind(record.kind),
    reaction: decision === 'paused' || decision === 'ducked' || decision === 'continued' ? decision : previous?.reaction,
    reactedAtMs: record.reactedAtMs ?? previous?.reactedAtMs,
    reactionMs: record.reactionMs ?? previous?.reactionMs,
    resumedAtMs: decision === 'resumed' ? atMs : previous?.resumedAtMs,
    interruptedAtMs: decision === 'interrupted' ? atMs : previous?.interruptedAtMs,
    kind: record.kind,
    reason: record.reason ?? previous?.reason,
    heardText: record.heardText ?? previous?.heardText,
    intendedText: record.intendedText ?? previous?.intendedText,
  });
  if (previous) return replaceAt(list, at, entry);
  // Attempts arrive in onset order; one reported late (after a gap in the stream) goes in its place.
  let insertAt = list.length;
  while (insertAt > 0 && list[insertAt - 1]!.onsetMs > record.onsetMs) insertAt--;
  return [...list.slice(0, insertAt), entry, ...list.slice(insertAt)];
}

function decisionOfKind(kind: BargeInRecord['kind']): Decision {
  return kind === 'interrupt' ? 'interrupted' : kind === 'pending' ? 'paused' : 'resumed';
}

/** Index of the attempt with this onset; the one being decided is nearly always the last. */
function findAttempt(list: readonly BargeInEntry[], onsetMs: number): number {
  for (let i = list.length - 1; i >= 0; i--) if (list[i]!.onsetMs === onsetMs) return i;
  return -1;
}

/** A level sample: the latest values, and the ring of recent ones (a new bounded array, oldest dropped). */
export function addLevels(levels: LevelsView, event: CallEventOf<'levels'>): LevelsView {
  const { recent, capacity } = levels;
  const next = recent.slice(recent.length >= capacity ? recent.length - capacity + 1 : 0);
  next.push({ atMs: event.atMs, inDb: event.inDb, outDb: event.outDb });
  return { inDb: event.inDb, outDb: event.outDb, atMs: event.atMs, recent: next, capacity };
}

/** The caller pressed a key. */
export function addDtmf(dtmf: DtmfView, event: CallEventOf<'dtmf'>): DtmfView {
  return { digits: dtmf.digits + event.digit, lastAtMs: event.atMs };
}

/** One provider measurement added to its `provider:kind` summary. */
export function addProviderMetric(metrics: CallView['providerMetrics'], event: CallEventOf<'provider.metric'>): CallView['providerMetrics'] {
  const key = providerMetricKey(event.provider, event.kind);
  const previous = metrics[key];
  const summary: ProviderMetricSummary = {
    provider: event.provider,
    kind: event.kind,
    count: (previous?.count ?? 0) + 1,
    last: event.value,
    sum: (previous?.sum ?? 0) + event.value,
    lastAtMs: event.atMs,
  };
  return { ...metrics, [key]: summary };
}

/**
 * The call record is the complete account: what the live events left out (missed in a gap) is taken from
 * it. Barge-ins merge by onset; failures and keys are taken when the record holds at least as many.
 */
export function signalsFromRecord(view: CallView, record: CallRecord, atMs: number): Pick<CallView, 'bargeIns' | 'failures' | 'dtmf'> {
  let bargeIns = view.bargeIns;
  for (const b of record.bargeIns ?? []) bargeIns = upsertBargeIn(bargeIns, b, undefined, atMs);
  const recorded: readonly CallFailure[] = record.failures ?? [];
  const failures = recorded.length >= view.failures.length ? recorded.slice() : view.failures;
  const keys = record.dtmf ?? [];
  const dtmf = keys.length >= view.dtmf.digits.length && keys.length > 0 ? { digits: keys.map((k) => k.digit).join(''), lastAtMs: keys[keys.length - 1]!.atMs } : view.dtmf;
  return { bargeIns, failures, dtmf };
}
