/*
 * Streams recorded from calls (JSONL, one event per line, in test/observe/streams/) fold into views that
 * keep the view's promises whatever the call did: frozen inputs untouched, JSON-safe at every step, seq
 * bookkeeping consistent, cut lines that add up, a bounded level ring, and a finished view after
 * `call.ended`. Add a recorded call by dropping its `.jsonl` file into the folder.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../runtime/call/events.js';
import type { CallView } from '../../runtime/observe/index.js';
import { callView, conversationLines, foldEvents, initialCallView } from '../../runtime/observe/index.js';
import { readEventStream, recordedStreams, toJsonl } from './event-stream.js';
import { bargeInCut, deepFreeze, greetingThenTurns } from './events.js';

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
    if (line.role === 'agent' && line.cut && line.text.startsWith(line.cut.heardText)) expect(line.cut.heardText + line.cut.unheardText).toBe(line.text);
    if (line.role === 'agent') expect(line.heardChars).toBeLessThanOrEqual(line.text.length);
  }
  const last = events.at(-1);
  if (last) expect(view.call.lastSeq).toBe(Math.max(...events.map((e) => e.seq)));
  if (last?.type === 'call.ended') {
    expect(view.call.ended).toBe(true);
    expect(view.regions.agentActivity).toBe('ended');
    expect(view.conversation.live).toEqual([]);
  }
  return view;
}

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

  for (const path of recordedStreams()) {
    it(`${basename(path)} keeps the view's invariants`, () => {
      checkInvariants(readEventStream(path));
    });
  }
});
