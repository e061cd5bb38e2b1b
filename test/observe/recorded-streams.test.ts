/*
 * callView on recorded streams. Each file in test/observe/streams/ is the complete event stream of a real
 * simulated call (recorded by scripts/record-event-streams.ts; see streams/README.md), and its `call.ended`
 * carries the runtime's own record of the call. Folding the stream must agree with that record, both live
 * (the view just before `call.ended`, built from the events alone) and at the end:
 *   - the conversation says what the record's transcript says: the same speakers and texts in order, each cut
 *     where the record cut it (heard text, intended text, by whom);
 *   - the waterfall has one row per recorded turn, with its spans, outcome and route;
 *   - the barge-in log has the recorded attempts, with their kinds, reaction times and causes.
 * And at every step the view keeps its promises: frozen inputs untouched, JSON-safe, seq bookkeeping right.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BargeInRecord, CallRecord, TurnRecord } from '../../runtime/call/call-record.js';
import type { CallEvent, CallEventOf } from '../../runtime/call/events.js';
import type { AgentLine, BargeInEntry, CallerLine, CallView, TurnRow } from '../../runtime/observe/index.js';
import { callView, conversationLines, foldEvents, initialCallView } from '../../runtime/observe/index.js';
import { readEventStream, recordedStreams, toJsonl } from './event-stream.js';
import { bargeInCut, deepFreeze, greetingThenTurns } from './events.js';

/** Folds the events one by one, each view frozen before the next event sees it, checking the view's promises. */
function checkInvariants(events: readonly CallEvent[]): CallView {
  let view = deepFreeze(initialCallView());
  for (const event of events) {
    view = deepFreeze(callView(view, event));
    expect(JSON.parse(JSON.stringify(view))).toEqual(view);
    expect(view.levels.recent.length).toBeLessThanOrEqual(view.levels.capacity);
  }
  const lines = conversationLines(view);
  expect(lines.map((l) => l.id)).toEqual(lines.map((_, i) => i));
  for (const line of lines) {
    if (line.role !== 'agent') continue;
    expect(line.heardChars).toBeLessThanOrEqual(line.text.length);
    if (line.cut) expect(line.cut.heardText + line.cut.unheardText).toBe(line.text);
  }
  if (events.length > 0) expect(view.call.lastSeq).toBe(Math.max(...events.map((e) => e.seq)));
  if (events.some((e) => e.type === 'call.ended')) {
    expect(view.call.ended).toBe(true);
    expect(view.regions.agentActivity).toBe('ended');
    expect(view.conversation.live).toEqual([]);
  }
  return view;
}

// ---- the record's account, and the view's, in the same terms ------------------------------------

/** One transcript entry as the record keeps it: who, what was heard, and for a cut line what was meant and why it stopped. */
interface Said {
  readonly role: 'user' | 'assistant';
  readonly text: string;
  readonly cut?: { readonly by: string; readonly intendedText: string };
}

function recordedTranscript(record: CallRecord): Said[] {
  return record.transcript.map((entry) => ({
    role: entry.role,
    text: entry.text,
    ...(entry.interrupted ? { cut: { by: entry.cutBy ?? 'caller', intendedText: entry.intendedText ?? entry.text } } : {}),
  }));
}

/**
 * The view's conversation as a transcript: committed caller lines (the turns), and agent lines the caller
 * heard all or part of. Caller speech discarded or never committed, and utterances never spoken, are not in
 * the record's transcript; the view shows them for what they are.
 */
function viewTranscript(view: CallView): Said[] {
  const said: Said[] = [];
  for (const line of conversationLines(view)) {
    if (line.role === 'caller' && line.status === 'committed') said.push({ role: 'user', text: line.text });
    if (line.role === 'agent' && line.status === 'done') said.push({ role: 'assistant', text: line.text });
    if (line.role === 'agent' && line.status === 'cut') said.push({ role: 'assistant', text: line.text.slice(0, line.heardChars), cut: { by: line.cut!.by, intendedText: line.text } });
  }
  return said;
}

/** A recorded turn as a waterfall row shows it (without the row's `atMs`, the time the view saw it). */
function recordedRow(turn: TurnRecord): Omit<TurnRow, 'atMs'> {
  return JSON.parse(
    JSON.stringify({
      index: turn.index,
      userText: turn.userText,
      language: turn.language,
      speechEndMs: turn.speechEndMs,
      endpointCue: turn.endpointCue,
      spans: turn.spans,
      outcome: turn.outcome,
      draft: turn.draft,
      profile: turn.route?.profile,
      fallbackUsed: turn.route?.fallbackUsed || undefined,
    }),
  ) as Omit<TurnRow, 'atMs'>;
}

function viewRows(view: CallView): Omit<TurnRow, 'atMs'>[] {
  return view.waterfall.turns.map(({ atMs: _, ...row }) => row);
}

/** The fields a barge-in attempt has both in the record and in the log. */
function attempt(entry: BargeInRecord | BargeInEntry): Partial<BargeInRecord> {
  const { onsetMs, kind, reactedAtMs, reactionMs, reason, heardText, intendedText } = entry;
  return JSON.parse(JSON.stringify({ onsetMs, kind, reactedAtMs, reactionMs, reason, heardText, intendedText })) as Partial<BargeInRecord>;
}

/** The record's account agrees with the view built from the events before it (`live`) and with the finished view. */
function checkAgainstRecord(events: readonly CallEvent[]): { live: CallView; final: CallView; record: CallRecord } {
  const endAt = events.findIndex((e) => e.type === 'call.ended');
  expect(endAt, 'a recorded stream must hold its call.ended').toBeGreaterThanOrEqual(0);
  const { record } = events[endAt] as CallEventOf<'call.ended'>;
  const live = foldEvents(events.slice(0, endAt));
  const final = foldEvents(events);
  // Nothing is missing from a recording, unless the recorder dropped its `levels` to keep the file small.
  if (events.some((e) => e.type === 'levels')) expect(live.call.missedEvents, 'the recorded stream has no hole in seq').toBe(0);

  for (const view of [live, final]) {
    expect(viewTranscript(view)).toEqual(recordedTranscript(record));
    expect(viewRows(view)).toEqual(record.turns.map(recordedRow));
    for (const line of conversationLines(view)) {
      if (line.role === 'agent' && line.cut) expect(line.cut.heardText).toBe(line.text.slice(0, line.heardChars));
    }
  }

  // Live, the log holds every attempt the runtime decided, as recorded; one still pending when the call ended
  // may never have been reported. The finished view holds exactly the record's.
  const recorded = record.bargeIns.map(attempt);
  const liveAttempts = live.bargeIns.map(attempt);
  for (const entry of liveAttempts) expect(recorded).toContainEqual(entry);
  for (const entry of recorded.filter((b) => b.kind !== 'pending')) expect(liveAttempts).toContainEqual(entry);
  expect(final.bargeIns.map(attempt)).toEqual(recorded);
  return { live, final, record };
}

// ---- what each recorded call is there for --------------------------------------------------------

const agentLines = (view: CallView) => conversationLines(view).filter((l): l is AgentLine => l.role === 'agent');
const callerLines = (view: CallView) => conversationLines(view).filter((l): l is CallerLine => l.role === 'caller');

/** Per stream, the behaviour it was recorded for: re-recording must still show it. */
const RECORDED_FOR: Readonly<Record<string, (live: CallView, events: readonly CallEvent[]) => void>> = {
  'interrupt-to-book.jsonl': (live) => {
    expect(agentLines(live).filter((l) => l.status === 'cut').map((l) => l.cut!.by)).toEqual(['caller']);
    expect(live.bargeIns.map((b) => b.kind)).toEqual(['interrupt']);
    expect(agentLines(live)[0]).toMatchObject({ purpose: 'greeting', status: 'done' });
  },
  'double-interruption.jsonl': (live) => {
    expect(agentLines(live).filter((l) => l.status === 'cut')).toHaveLength(2);
    expect(live.waterfall.turns.filter((t) => t.outcome === 'interrupted')).toHaveLength(2);
  },
  'cough-on-a-noisy-line.jsonl': (live, events) => {
    expect(events.some((e) => e.type === 'transcript' && e.late)).toBe(true);
    // The "mm-hmm" is one discarded line: its final, flagged late, adds no line, and the caller's goodbye starts its own.
    expect(callerLines(live).map((l) => [l.status, l.discardedAs ?? l.turnIndex])).toEqual([['committed', 1], ['discarded', 'backchannel'], ['committed', 2]]);
    expect(live.bargeIns.map((b) => b.kind)).toEqual(['false', 'backchannel']);
    expect(agentLines(live).filter((l) => l.status === 'cut')).toEqual([]);
  },
  'switch-to-french.jsonl': (live) => {
    expect(live.call.language).toBe('fr');
    expect(agentLines(live).map((l) => l.language)).toContain('fr');
    expect(callerLines(live).map((l) => l.language)).toContain('fr');
  },
};

describe('recorded streams', () => {
  const dir = mkdtempSync(join(tmpdir(), 'call-view-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a JSONL stream back into the same view', () => {
    const events = bargeInCut();
    const path = join(dir, 'barge-in-cut.jsonl');
    writeFileSync(path, toJsonl(events));
    const read = readEventStream(path);
    expect(read).toEqual(events);
    expect(foldEvents(read)).toEqual(foldEvents(events));
  });

  it('says which line of a JSONL file is not an event', () => {
    const path = join(dir, 'broken.jsonl');
    writeFileSync(path, `${JSON.stringify(greetingThenTurns()[0])}\n\n{"type": "state"\n`);
    expect(() => readEventStream(path)).toThrow(/broken\.jsonl:3: not JSON/);
    writeFileSync(path, '{"type": "state"}\n');
    expect(() => readEventStream(path)).toThrow(/broken\.jsonl:1: not a call event/);
  });

  it('has recorded calls to check', () => {
    expect(recordedStreams().map((path) => basename(path))).toEqual(expect.arrayContaining(Object.keys(RECORDED_FOR)));
  });

  for (const path of recordedStreams()) {
    const name = basename(path);
    describe(name, () => {
      const events = readEventStream(path);

      it("keeps the view's invariants", () => {
        checkInvariants(events);
      });

      it("agrees with the call's record, live and at the end", () => {
        const { live } = checkAgainstRecord(events);
        RECORDED_FOR[name]?.(live, events);
      });
    });
  }
});

describe('the check against the record can fail', () => {
  /*
   * A check that always passes proves nothing: the same stream with one event changed must fail it. Here the
   * barge-in cut of interrupt-to-book says more was heard than the record kept, and a turn report goes missing.
   */
  const path = recordedStreams().find((p) => basename(p) === 'interrupt-to-book.jsonl');

  it.runIf(path)('fails when the live cut disagrees with the record', () => {
    const events = readEventStream(path!).map((e) => (e.type === 'agent.cut' ? { ...e, heardText: `${e.heardText} and` } : e));
    expect(() => checkAgainstRecord(events)).toThrow();
  });

  it.runIf(path)('fails when a turn is not reported live', () => {
    const events = readEventStream(path!);
    const dropped = events.findIndex((e) => e.type === 'turn' && e.record.outcome === 'interrupted');
    expect(dropped).toBeGreaterThan(0);
    // Renumbered so the view sees no gap: the event is simply not there.
    const without = events.filter((_, i) => i !== dropped).map((e, i) => ({ ...e, seq: i }) as CallEvent);
    expect(() => checkAgainstRecord(without)).toThrow();
  });
});
