import type { TurnRecord, TurnSpans } from '../call/call-record.js';
import type { CallEventOf } from '../call/events.js';
import type { SpanName, SpanStats, TurnRow, WaterfallView } from './call-view-types.js';
import { compact, replaceAt } from './plain.js';

/** Every span of a turn, in the order a waterfall draws them (`responseMs`, the total, last). */
export const SPAN_NAMES: readonly SpanName[] = ['endpointingMs', 'sttFinalMs', 'llmFirstTokenMs', 'ttsFirstAudioMs', 'firstFrameOutMs', 'responseMs'];

/**
 * Nearest-rank percentile of `values` (any order; a sorted copy is taken): the smallest value such that at
 * least `p` percent of the values are at or below it. `p` in (0, 100]; undefined for no values.
 *
 * @example percentile([120, 80, 300, 95], 50) // 95
 */
export function percentile(values: readonly number[], p: number): number | undefined {
  return percentileOfSorted([...values].sort((a, b) => a - b), p);
}

/** {@link percentile} of values already sorted ascending: O(1). */
export function percentileOfSorted(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * sorted.length);
  return sorted[Math.max(1, rank) - 1];
}

const NO_SAMPLES: SpanStats = { count: 0, sortedMs: [] };

/** A waterfall with no turn. */
export function emptyWaterfall(): WaterfallView {
  const stats = {} as Record<SpanName, SpanStats>;
  for (const name of SPAN_NAMES) stats[name] = NO_SAMPLES;
  return { turns: [], stats };
}

/** A turn was committed: its row appears at once (spans follow with its `turn` event). */
export function commitTurnRow(waterfall: WaterfallView, event: CallEventOf<'turn.committed'>): WaterfallView {
  if (findRow(waterfall.turns, event.index) >= 0) return waterfall;
  const row: TurnRow = {
    index: event.index,
    atMs: event.atMs,
    userText: event.userText,
    language: event.language,
    speechEndMs: event.speechEndMs,
    ...(event.endpointCue ? { endpointCue: event.endpointCue } : {}),
    spans: {},
  };
  return { ...waterfall, turns: insertRow(waterfall.turns, row) };
}

/**
 * A turn's reply is over (or its record arrived again, updated): its row takes the record's spans, outcome
 * and route, and the statistics swap the row's old samples for the new ones. O(turns) for the copies.
 */
export function reportTurn(waterfall: WaterfallView, record: TurnRecord, atMs: number): WaterfallView {
  const at = findRow(waterfall.turns, record.index);
  const previous = at >= 0 ? waterfall.turns[at] : undefined;
  // A record repeated with less in it (an early failure report, then the full one) keeps what was known.
  const row: TurnRow = compact({
    index: record.index,
    atMs: previous?.atMs ?? atMs,
    userText: record.userText,
    language: record.language ?? previous?.language,
    speechEndMs: record.speechEndMs ?? previous?.speechEndMs,
    endpointCue: record.endpointCue ?? previous?.endpointCue,
    spans: compact({ ...record.spans }),
    outcome: record.outcome ?? previous?.outcome,
    draft: record.draft ?? previous?.draft,
    profile: record.route?.profile ?? previous?.profile,
    fallbackUsed: record.route?.fallbackUsed || previous?.fallbackUsed || undefined,
  });
  const turns = at >= 0 ? replaceAt(waterfall.turns, at, row) : insertRow(waterfall.turns, row);
  return { turns, stats: updateStats(waterfall.stats, previous?.spans, row.spans) };
}

function updateStats(stats: WaterfallView['stats'], before: TurnSpans | undefined, after: TurnSpans): WaterfallView['stats'] {
  let next: Record<SpanName, SpanStats> | undefined;
  for (const name of SPAN_NAMES) {
    const old = before?.[name];
    const value = after[name];
    if (old === value) continue;
    let sorted = stats[name].sortedMs;
    if (old !== undefined) sorted = removeSorted(sorted, old);
    if (value !== undefined && Number.isFinite(value)) sorted = insertSorted(sorted, value);
    next ??= { ...stats };
    next[name] = statsOf(sorted);
  }
  return next ?? stats;
}

function statsOf(sortedMs: readonly number[]): SpanStats {
  if (sortedMs.length === 0) return NO_SAMPLES;
  return { count: sortedMs.length, p50Ms: percentileOfSorted(sortedMs, 50)!, p95Ms: percentileOfSorted(sortedMs, 95)!, sortedMs };
}

/** First index whose value is >= `value` (binary search). */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(sorted: readonly number[], value: number): readonly number[] {
  const at = lowerBound(sorted, value);
  return [...sorted.slice(0, at), value, ...sorted.slice(at)];
}

function removeSorted(sorted: readonly number[], value: number): readonly number[] {
  const at = lowerBound(sorted, value);
  return sorted[at] === value ? [...sorted.slice(0, at), ...sorted.slice(at + 1)] : sorted;
}

/** Index of the row of turn `index`; turns arrive in order, so the search starts at the end. */
function findRow(turns: readonly TurnRow[], index: number): number {
  for (let i = turns.length - 1; i >= 0; i--) {
    const row = turns[i]!;
    if (row.index === index) return i;
    if (row.index < index) return -1;
  }
  return -1;
}

/** Inserts in turn order (at the end, unless a turn arrives late after a gap in the stream). */
function insertRow(turns: readonly TurnRow[], row: TurnRow): readonly TurnRow[] {
  let at = turns.length;
  while (at > 0 && turns[at - 1]!.index > row.index) at--;
  return [...turns.slice(0, at), row, ...turns.slice(at)];
}
