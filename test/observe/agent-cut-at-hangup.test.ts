/*
 * The caller hangs up while the agent is still answering. The runtime cuts the reply where the caller stopped
 * hearing it ("by hangup") and reports the turn before the call ends, so the view shows the cut before
 * `call.ended` arrives; the record then only confirms it. A hang-up once the agent's words were all heard
 * cuts nothing: the line was heard to the end.
 */
import { describe, expect, it } from 'vitest';
import type { CallEvent, CallEventBody } from '../../runtime/call/events.js';
import type { AgentLine, CallView } from '../../runtime/observe/index.js';
import { conversationLines, foldEvents } from '../../runtime/observe/index.js';
import { askRooms, callRecord, cut, heard, ROOMS, ROOMS_QUESTION, started, stream, turn, turnRecord } from './events.js';

const agentLines = (view: CallView) => conversationLines(view).filter((l): l is AgentLine => l.role === 'agent');

function ended(atMs: number, assistant: { text: string; interrupted?: true }): CallEventBody[] {
  const hangupTurn = turnRecord(1, ROOMS_QUESTION, { responseMs: 400 }, 'hangup', 600);
  const record = callRecord({
    endedAtMs: atMs,
    transcript: [
      { role: 'user', text: ROOMS_QUESTION, language: 'en', atMs: 900 },
      { role: 'assistant', language: 'en', atMs: 900, ...assistant, ...(assistant.interrupted ? { cutBy: 'hangup' as const, intendedText: ROOMS } : {}) },
    ],
    turns: [hangupTurn],
  });
  return [turn(atMs, hangupTurn), { type: 'call.ended', atMs, record }, { type: 'state', atMs, states: ['ended'] }];
}

describe('the caller hangs up mid-reply', () => {
  const heardText = 'We have rooms on the';
  const events = stream([started(), ...askRooms(), heard(2000, 1, 1500, 'We have rooms', 3, 'on'), cut(2400, 1, 'hangup', 1650, heardText, ROOMS), ...ended(2400, { text: heardText, interrupted: true })]);
  const live = foldEvents(events.slice(0, events.findIndex((e: CallEvent) => e.type === 'call.ended')));
  const view = foldEvents(events);

  it('shows the cut before the call has ended', () => {
    expect(live.call.ended).toBe(false);
    expect(agentLines(live)[0]).toMatchObject({ status: 'cut', heardChars: heardText.length, cut: { by: 'hangup', atMs: 2400, heardMs: 1650, heardText } });
    expect(live.waterfall.turns.map((t) => t.outcome)).toEqual(['hangup']);
  });

  it('keeps it when the record confirms it', () => {
    expect(view.call.ended).toBe(true);
    expect(conversationLines(view)).toEqual(conversationLines(live));
  });
});

describe('the caller hangs up after the last word', () => {
  it('cuts nothing: the line was heard in full', () => {
    const view = foldEvents(stream([started(), ...askRooms(), heard(4900, 1, 3900, ROOMS, 12, 'suite.'), ...ended(5000, { text: ROOMS })]));
    expect(agentLines(view)).toMatchObject([{ status: 'done', text: ROOMS, heardChars: ROOMS.length }]);
    expect(agentLines(view)[0]!.cut).toBeUndefined();
    expect(view.waterfall.turns.map((t) => t.outcome)).toEqual(['hangup']);
  });
});
