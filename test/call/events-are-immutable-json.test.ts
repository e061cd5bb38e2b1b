/*
 * Call events are what every observer of a call reads (TUI, playground, `monitor`, logs, metrics): they
 * must be plain JSON, frozen, and a copy taken when emitted, so an observer sees the call as it was at that
 * event and nothing it does can change the call. A short call, greeting, one answered turn, one barge-in,
 * then the caller hangs up, checks the stream's envelope (v2, gapless seq, ids, wall time), its bounds
 * (`call.started` first, `call.ended` last), that a barge-in event's record does not follow the live record
 * after it was emitted, and that a listener that throws does not break the call or starve other listeners.
 */
import { describe, expect, it } from 'vitest';
import type { CallEvent } from '../../runtime/call/events.js';
import { createHarness } from './harness.js';

const GREETING = 'Hello, how can I help?';
const LONG_REPLY = 'We have appointments on Monday at nine, Wednesday at eleven, Thursday at two, and Friday at four in the afternoon.';
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Frozen, and everything in it frozen, down to the leaves. */
function isDeepFrozen(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeepFrozen);
}

async function shortCall() {
  const h = createHarness({
    patch: { prompt: { greeting: GREETING } },
    llm: { replies: [{ match: 'hours', reply: 'We open at nine.' }, { match: 'appointments', reply: LONG_REPLY }], defaultReply: 'Tuesday works.', ttftMs: 100 },
    playoutDelayMs: 60,
  });
  // A buggy observer first: the ones after it must still hear every event.
  let thrown = 0;
  h.session.onEvent(() => {
    thrown++;
    throw new Error('observer bug');
  });
  const seen: CallEvent[] = [];
  const bargeInsAtEmit: Array<{ readonly event: CallEvent; readonly json: string }> = [];
  h.session.onEvent((event) => {
    seen.push(event);
    if (event.type === 'barge-in') bargeInsAtEmit.push({ event, json: JSON.stringify(event) });
  });

  h.start();
  await h.runUntil(() => h.statesInclude('agent.idle'), 5000);
  h.say('what are your opening hours');
  await h.runUntil(() => h.session.record.turns[0]?.outcome === 'answered', 10_000);
  h.say('which appointments do you have');
  await h.runUntil(() => h.session.hasTag('agent-speaking'), 10_000);
  await h.run(1000);
  h.say('actually I need Tuesday');
  await h.runUntil(() => h.session.record.bargeIns.some((b) => b.kind === 'interrupt'), 3000);
  await h.runUntil(() => h.session.record.turns[2]?.outcome === 'answered', 10_000);
  h.transport.close('caller-hangup');
  const record = await h.session.done;
  return { h, seen, bargeInsAtEmit, thrown: () => thrown, record };
}

describe('call events', () => {
  it('are JSON, deep-frozen, gapless, with one call.started and one call.ended', async () => {
    const { h, seen, record } = await shortCall();
    const events = h.events;
    expect(events.length).toBeGreaterThan(20);
    // The listener registered after the harness's saw the same events (all but what came before it subscribed).
    expect(seen).toEqual(events.slice(events.length - seen.length));

    for (const event of events) {
      expect(event).toStrictEqual(JSON.parse(JSON.stringify(event)));
      expect(isDeepFrozen(event)).toBe(true);
      expect(event).toMatchObject({ v: 2, callId: h.session.callId, agent: 'test-agent' });
      expect(event.wallTime).toMatch(ISO_8601);
      expect(new Date(event.wallTime).toISOString()).toBe(event.wallTime);
    }
    expect(h.session.callId).toEqual(expect.any(String));
    expect(events.map((e) => e.seq)).toEqual(events.map((_, index) => index));
    // Wall time is the call's start plus the event's call time: one offset for the whole stream.
    const startWallMs = Date.parse(events[0]!.wallTime) - events[0]!.atMs;
    expect(events.every((e) => Date.parse(e.wallTime) - e.atMs === startWallMs)).toBe(true);
    expect(events.every((e, i) => i === 0 || Date.parse(e.wallTime) >= Date.parse(events[i - 1]!.wallTime))).toBe(true);

    expect(events.filter((e) => e.type === 'call.started')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'call.ended')).toHaveLength(1);
    expect(events[0]!.type).toBe('call.started');
    expect(events.at(-1)!.type).toBe('call.ended');

    // The call covered what it should: greeting, turns, a barge-in; the last event carries the final record.
    expect(events.some((e) => e.type === 'barge-in' && e.decision === 'interrupted')).toBe(true);
    expect(record.turns.map((t) => t.outcome)).toEqual(['answered', 'interrupted', 'answered']);
    expect(h.eventsOf('turn').map((e) => e.record.outcome)).toEqual(['answered', 'interrupted', 'answered']);
    const ended = h.eventsOf('call.ended')[0]!;
    expect(ended.record).not.toBe(record);
    expect(ended.record).toStrictEqual(JSON.parse(JSON.stringify(record)));
    expect(ended.record.endReason).toBe('caller-hangup');
  });

  it("keep a barge-in's record as it was when emitted", async () => {
    const { h, bargeInsAtEmit } = await shortCall();
    const decisions = bargeInsAtEmit.map(({ event }) => (event.type === 'barge-in' ? event.decision : undefined));
    expect(decisions).toEqual(['paused', 'interrupted']);
    for (const { event, json } of bargeInsAtEmit) expect(event).toStrictEqual(JSON.parse(json));

    // When playout paused, the attempt was pending; the live record went on to the interruption, the event did not.
    const paused = bargeInsAtEmit[0]!.event as Extract<CallEvent, { type: 'barge-in' }>;
    expect(paused.record.kind).toBe('pending');
    expect(paused.record.heardText).toBeUndefined();
    const live = h.session.record.bargeIns[0]!;
    expect(live.kind).toBe('interrupt');
    expect(live.heardText).toEqual(expect.any(String));
    expect(paused.record).not.toBe(live);
    // And an observer cannot write into an event (or through it, into the call).
    expect(() => {
      (paused.record as { kind: string }).kind = 'interrupt';
    }).toThrow(TypeError);
    expect(live.kind).toBe('interrupt');
  });

  it('survive a listener that throws: the call goes on and the others hear every event', async () => {
    const { h, seen, thrown, record } = await shortCall();
    expect(thrown()).toBe(seen.length);
    expect(seen).toEqual(h.events.slice(h.events.length - seen.length));
    expect(seen.filter((e) => e.type === 'call.ended')).toHaveLength(1);
    expect(record.failures).toEqual([]);
    expect(record.endReason).toBe('caller-hangup');
    expect(record.transcript.filter((e) => e.role === 'assistant').map((e) => e.text).at(-1)).toBe('Tuesday works.');
    expect(h.transport.hangups).toEqual([]);
  });

  /*
   * `connectTransport` runs before `session.start()` and the in-process transport delivers its start info inside
   * `listen()`: that `transport.started` must still come after `call.started`, every call's first event.
   */
  it('start with call.started', async () => {
    const { h } = await shortCall();
    expect(h.events[0]!.type).toBe('call.started');
  });

  /*
   * The chart's `finishCall` entry action emits `call.ended` inside the transition to `ended`; the session's
   * snapshot subscriber would then tell the `state` change after it. `call.ended` stays the last event.
   */
  it('end with call.ended', async () => {
    const { h } = await shortCall();
    expect(h.events.filter((e) => e.type === 'call.ended')).toHaveLength(1);
    expect(h.events.at(-1)!.type).toBe('call.ended');
  });
});
