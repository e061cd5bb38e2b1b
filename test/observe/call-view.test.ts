import { describe, expect, it } from 'vitest';
import type { CallEvent, CallEventBody } from '../../runtime/call/events.js';
import type { AgentLine, CallerLine, CallView, ConversationLine } from '../../runtime/observe/index.js';
import { callView, conversationLines, foldEvents, initialCallView } from '../../runtime/observe/index.js';
import {
  askRooms,
  audio,
  backchannelResumed,
  bargeInCut,
  CALL_ID,
  callRecord,
  committed,
  cut,
  deepFreeze,
  ev,
  falseInterruption,
  final,
  GREETING,
  greetingThenTurns,
  heard,
  partial,
  ROOMS,
  ROOMS_HEARD,
  ROOMS_QUESTION,
  say,
  speech,
  started,
  STARTED_AT,
  state,
  stream,
  turn,
  turnRecord,
  utterance,
} from './events.js';

/** Every view along the stream, each deep-frozen before the next event sees it (a write would throw). */
function views(events: readonly CallEvent[]): CallView[] {
  const out: CallView[] = [];
  let view = deepFreeze(initialCallView());
  for (const event of events) {
    view = deepFreeze(callView(view, event));
    out.push(view);
  }
  return out;
}

/** The view right after the first event matching `match`. */
function viewAfter(events: readonly CallEvent[], match: (event: CallEvent) => boolean): CallView {
  const at = events.findIndex(match);
  if (at < 0) throw new Error('no such event in the stream');
  return foldEvents(events.slice(0, at + 1));
}

const lines = (view: CallView): readonly ConversationLine[] => conversationLines(view);
const agentLines = (view: CallView) => lines(view).filter((l): l is AgentLine => l.role === 'agent');
const callerLines = (view: CallView) => lines(view).filter((l): l is CallerLine => l.role === 'caller');

describe('a greeting, then turns answered', () => {
  /*
   * The agent greets the caller; the caller asks three questions and each is answered. The conversation
   * alternates agent and caller lines, the greeting's heard progress grows word by word, and the waterfall
   * shows each turn's spans with running p50/p95 (nearest rank) over the turns so far.
   */
  const events = greetingThenTurns();
  const view = foldEvents(events);

  it('tells who the call is and when it started', () => {
    expect(view.call).toMatchObject({ callId: CALL_ID, agent: 'front-desk', version: 'v7', mode: 'cascade', language: 'en', sampleRate: 8000, startedAt: STARTED_AT, transport: { transport: 'in-process' } });
    expect(view.call).toMatchObject({ firstSeq: 0, lastSeq: events.length - 1, gaps: 0, missedEvents: 0, ended: false });
  });

  it('shows the greeting heard word by word, then played to the end', () => {
    const during = viewAfter(events, (e) => e.type === 'agent.heard');
    expect(agentLines(during)[0]).toMatchObject({ text: GREETING, status: 'speaking', heardChars: 'Thanks for'.length, heardMs: 480 });
    expect(agentLines(view)[0]).toMatchObject({ text: GREETING, status: 'done', heardChars: GREETING.length, purpose: 'greeting', utteranceId: 1 });
    expect(agentLines(view)[0]!.turnIndex).toBeUndefined();
  });

  it('alternates agent and caller lines, each reply tied to its turn', () => {
    expect(lines(view).map((l) => `${l.role}:${l.text}`)).toEqual([
      `agent:${GREETING}`,
      'caller:When is breakfast?',
      'agent:From seven to ten.',
      'caller:Is there parking?',
      'agent:Yes, behind the hotel.',
      'caller:Can I bring my dog?',
      'agent:Dogs are welcome.',
    ]);
    expect(lines(view).map((l) => l.id)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(agentLines(view).map((l) => [l.utteranceId, l.purpose, l.turnIndex])).toEqual([[1, 'greeting', undefined], [2, 'reply', 1], [3, 'reply', 2], [4, 'reply', 3]]);
    expect(callerLines(view).map((l) => [l.status, l.turnIndex])).toEqual([['committed', 1], ['committed', 2], ['committed', 3]]);
    // Nothing is still being written: every line has settled.
    expect(view.conversation.live).toEqual([]);
  });

  it('draws a waterfall row per turn with its spans and outcome', () => {
    expect(view.waterfall.turns.map((t) => [t.index, t.userText, t.outcome, t.profile, t.spans.responseMs])).toEqual([
      [1, 'When is breakfast?', 'answered', 'fast', 902],
      [2, 'Is there parking?', 'answered', 'fast', 750],
      [3, 'Can I bring my dog?', 'answered', 'fast', 1300],
    ]);
    expect(view.waterfall.turns[0]).toMatchObject({ atMs: 4300, speechEndMs: 4000, endpointCue: 'question', spans: { endpointingMs: 300, llmFirstTokenMs: 420 } });
  });

  it('keeps running p50/p95 over the turns so far', () => {
    const afterFirst = viewAfter(events, (e) => e.type === 'turn');
    expect(afterFirst.waterfall.stats.responseMs).toMatchObject({ count: 1, p50Ms: 902, p95Ms: 902 });
    expect(view.waterfall.stats.responseMs).toEqual({ count: 3, p50Ms: 902, p95Ms: 1300, sortedMs: [750, 902, 1300] });
    expect(view.waterfall.stats.endpointingMs).toMatchObject({ p50Ms: 300, p95Ms: 600 });
    expect(view.waterfall.stats.ttsFirstAudioMs).toMatchObject({ count: 3, p50Ms: 198, p95Ms: 198 });
  });

  it('shows a committed turn at once, before its reply is over', () => {
    const committedView = viewAfter(events, (e) => e.type === 'turn.committed');
    expect(committedView.waterfall.turns).toEqual([{ index: 1, atMs: 4300, userText: 'When is breakfast?', language: 'en', speechEndMs: 4000, endpointCue: 'question', spans: {} }]);
    expect(committedView.waterfall.stats.responseMs.count).toBe(0);
  });
});

describe('a barge-in cuts the reply', () => {
  /*
   * The caller asks which rooms there are; a third of the way into the answer they say "wait, actually".
   * Playout pauses 80 ms after onset, the words confirm the interruption, and the reply is cut after
   * "floor": the runtime's cut says exactly what was heard. The conversation keeps the heard part and the
   * struck-out rest; text still arriving from the cancelled reply is dropped; the turn is reported
   * interrupted; the barge-in log shows the reaction time and the cause.
   */
  const events = bargeInCut();
  const view = foldEvents(events);

  it('shows the heard part and the unheard rest of the cut line', () => {
    const reply = agentLines(view)[0]!;
    expect(reply).toMatchObject({ status: 'cut', text: ROOMS, heardChars: ROOMS_HEARD.length, turnIndex: 1, utteranceId: 1 });
    expect(reply.cut).toEqual({ by: 'caller', atMs: 3200, heardMs: 2100, heardText: ROOMS_HEARD, unheardText: ' with a garden view, and a suite.' });
    expect(reply.cut!.heardText + reply.cut!.unheardText).toBe(reply.text);
  });

  it('tracks what was heard until the cut', () => {
    const before = viewAfter(events, (e) => e.type === 'agent.heard');
    expect(agentLines(before)[0]).toMatchObject({ status: 'speaking', heardMs: 1700, heardChars: 'We have rooms on the'.length });
  });

  it('drops late text of the cancelled reply and puts the caller\'s words after it', () => {
    expect(lines(view).map((l) => `${l.role}:${l.text}`)).toEqual(['caller:which rooms do you have', `agent:${ROOMS}`, 'caller:wait actually do you have parking']);
    expect(view.cursor).toEqual({ agentLine: 1, utteranceId: 1 });
  });

  it('reports the turn interrupted as soon as it is settled', () => {
    const atCut = viewAfter(events, (e) => e.type === 'turn');
    expect(atCut.waterfall.turns.map((t) => [t.index, t.outcome])).toEqual([[1, 'interrupted']]);
    expect(view.waterfall.turns.map((t) => [t.index, t.outcome])).toEqual([[1, 'interrupted'], [2, undefined]]);
  });

  it('logs one attempt with its reaction, confirmation and cause', () => {
    expect(view.bargeIns).toEqual([
      {
        onsetMs: 2990,
        atMs: 3070,
        decision: 'interrupted',
        reaction: 'paused',
        reactedAtMs: 3070,
        reactionMs: 80,
        interruptedAtMs: 3200,
        kind: 'interrupt',
        reason: 'words: "wait actually" (2 words, min confidence 0.88)',
        heardText: ROOMS_HEARD,
        intendedText: ROOMS,
      },
    ]);
  });

  it('shows the agent paused, then listening', () => {
    expect(viewAfter(events, (e) => e.type === 'state' && e.states.includes('active.agent.responding.paused')).regions.agentActivity).toBe('paused');
    expect(viewAfter(events, (e) => e.type === 'barge-in' && e.decision === 'interrupted').bargeIns[0]!.kind).toBe('interrupt');
    expect(view.regions.agentActivity).toBe('listening');
  });
});

describe('a backchannel resumes the reply', () => {
  /*
   * While the agent lists the rooms the caller says "uh-huh". Playout pauses, the word is a backchannel, so
   * the reply resumes and is played to its end. The runtime says it discarded the caller's words as a
   * backchannel: the caller line is shown thrown away, its final (flagged late) does not come back as a new
   * line, and the caller's next words start a line of their own.
   */
  const view = foldEvents(backchannelResumed());

  it('keeps the reply whole and marks the "uh-huh" as a backchannel', () => {
    expect(agentLines(view)[0]).toMatchObject({ status: 'done', text: ROOMS, heardChars: ROOMS.length });
    expect(agentLines(view)[0]!.cut).toBeUndefined();
    expect(callerLines(view).map((l) => [l.text, l.status, l.discardedAs])).toEqual([
      ['which rooms do you have', 'committed', undefined],
      ['uh-huh', 'discarded', 'backchannel'],
      ['thanks', 'partial', undefined],
    ]);
  });

  it('settles the finished lines and keeps the open one live', () => {
    expect(view.conversation.settled.map((l) => l.id)).toEqual([0, 1, 2]);
    expect(view.conversation.live.map((l) => l.id)).toEqual([3]);
  });

  it('logs one attempt, paused then resumed as a backchannel', () => {
    expect(view.bargeIns).toEqual([{ onsetMs: 2000, atMs: 2080, decision: 'resumed', reaction: 'paused', reactedAtMs: 2080, reactionMs: 80, resumedAtMs: 2300, kind: 'backchannel', reason: 'backchannel "uh-huh"' }]);
  });
});

describe('a false interruption', () => {
  /*
   * The caller coughs while the agent speaks. Playout pauses, no words come, and after the resume delay the
   * reply goes on from where it paused. The runtime discards the noise ("no words"): no caller line appears;
   * the log says why it was not confirmed.
   */
  const events = falseInterruption();
  const all = views(events);
  const view = all.at(-1)!;

  it('logs the attempt as false, with its cause', () => {
    expect(view.bargeIns).toEqual([
      { onsetMs: 2000, atMs: 2080, decision: 'resumed', reaction: 'paused', reactedAtMs: 2080, reactionMs: 80, resumedAtMs: 3280, kind: 'false', reason: "the recogniser's VAD heard no speech" },
    ]);
  });

  it('shows no caller line for the cough and the reply played to the end', () => {
    expect(lines(view).map((l) => `${l.role}:${l.status}`)).toEqual(['caller:committed', 'agent:done']);
  });

  it('shows the agent speaking, paused, speaking again, then idle', () => {
    const activities = all.map((v) => v.regions.agentActivity).filter((a, i, list) => a !== list[i - 1]);
    expect(activities).toEqual(['idle', 'listening', 'thinking', 'speaking', 'paused', 'speaking', 'idle']);
    const paused = all.find((v) => v.regions.agentActivity === 'paused')!;
    expect(paused.regions.agentActivitySinceMs).toBe(2080);
  });
});

describe('partial transcripts firm up into the final', () => {
  /*
   * The caller books a room in two breaths. Partials replace each other with their words' confidences; the
   * final replaces the last partial; after a pause the caller goes on and the new segment joins the line,
   * as the runtime joins it; the committed turn's text is the last word.
   */
  const events = stream([
    started(),
    state(0, 'idle.attentive'),
    speech(100, true),
    partial(300, "I'd like", 0.4, 0.55),
    partial(500, "I'd like to book", 0.7, 0.75, 0.6, 0.5),
    final(900, "I'd like to book a room.", 0.97),
    partial(1500, 'For two', 0.6),
    final(1800, 'For two nights.', 0.92),
    committed(2200, 1, "I'd like to book a room. For two nights.", 1700),
  ]);
  const all = views(events);
  const caller = (i: number) => callerLines(all[i]!)[0]!;

  it('replaces each partial, keeping its confidences', () => {
    expect(caller(3)).toMatchObject({ status: 'partial', text: "I'd like" });
    expect(caller(3).words.map((w) => w.confidence)).toEqual([0.4, 0.55]);
    expect(caller(4)).toMatchObject({ status: 'partial', text: "I'd like to book" });
    expect(caller(4).words.map((w) => [w.text, w.confidence])).toEqual([["I'd", 0.7], ['like', 0.75], ['to', 0.6], ['book', 0.5]]);
  });

  it('replaces the partial with the final', () => {
    expect(caller(5)).toMatchObject({ status: 'final', text: "I'd like to book a room.", finalText: "I'd like to book a room." });
    expect(caller(5).words.every((w) => w.confidence === 0.97)).toBe(true);
  });

  it('joins a second segment to the same line', () => {
    expect(caller(6)).toMatchObject({ status: 'partial', text: "I'd like to book a room. For two" });
    expect(caller(6).words.map((w) => w.confidence)).toEqual([0.97, 0.97, 0.97, 0.97, 0.97, 0.97, 0.6, 0.6]);
    expect(caller(7)).toMatchObject({ status: 'final', text: "I'd like to book a room. For two nights." });
    expect(callerLines(all[7]!)).toHaveLength(1);
  });

  it('takes the committed turn\'s text', () => {
    expect(caller(8)).toMatchObject({ status: 'committed', turnIndex: 1, text: "I'd like to book a room. For two nights.", language: 'en' });
    expect(caller(8).words).toHaveLength(9);
  });
});

describe('state regions are tracked', () => {
  /*
   * The chart greets, speaks, listens to the caller, decides the end of the turn, thinks, is paused by the
   * caller, switches to French, and ends. Each region's active leaf and the one-word agent activity follow.
   */
  const events = stream([
    state(0, 'greeting'),
    state(10, 'responding.thinking.waitingFirstToken'),
    state(300, 'responding.speaking'),
    state(2000, 'idle.attentive'),
    speech(2500, true),
    state(2500, 'idle.callerTalking', { caller: 'speaking' }),
    speech(3000, false),
    state(3000, 'idle.attentive', { turn: 'endpointing' }),
    state(3300, 'responding.thinking.generating'),
    state(3500, 'responding.paused'),
    state(4000, 'idle.attentive', { language: 'fr' }),
    { type: 'language', atMs: 4500, from: 'fr', to: 'zh' },
    { type: 'state', atMs: 4600, states: ['active.caller.silent', 'active.agent.idle.attentive', 'active.language.zh', 'active.turn.listening', 'active.mood.calm'] },
    { type: 'state', atMs: 5000, states: ['ended'] },
  ]);
  const all = views(events);

  it('knows each region\'s leaf', () => {
    expect(all[2]!.regions.paths).toEqual({ caller: 'silent', agent: 'responding.speaking', language: 'en', turn: 'listening' });
    expect(all[7]!.regions.paths).toMatchObject({ agent: 'idle.attentive', turn: 'endpointing' });
    expect(all[12]!.regions.paths).toMatchObject({ language: 'zh', mood: 'calm' });
  });

  it('derives what the agent is doing', () => {
    expect(all.map((v) => v.regions.agentActivity)).toEqual([
      // The caller's VAD stops (6) a moment before the chart's state (7) says the turn is being decided.
      'thinking', 'thinking', 'speaking', 'idle', 'listening', 'listening', 'listening', 'listening', 'thinking', 'paused', 'idle', 'idle', 'idle', 'ended',
    ]);
    expect(all[5]!.regions).toMatchObject({ callerSpeaking: true, agentActivitySinceMs: 2500 });
  });

  it('follows the language region and language switches', () => {
    expect(all[10]!.call.language).toBe('fr');
    expect(all[11]!.call.language).toBe('zh');
  });

  it('keeps the last known leaves once the chart has ended', () => {
    expect(all[13]!.regions.paths).toEqual(all[12]!.regions.paths);
  });
});

describe('a gap in seq is counted', () => {
  /*
   * A monitor's feed drops events: seq jumps 1 -> 4 and 5 -> 9. The view counts two holes and five missed
   * events. A replayed event and an event of another call change nothing but the dropped count. A view
   * joining a call already running starts at its first seq without counting the past as missed.
   */
  const digit = (atMs: number, d: string): CallEventBody => ({ type: 'dtmf', atMs, digit: d });

  it('counts holes and missed events, and drops repeats and strangers', () => {
    const events = [ev(0, started()), ev(1, digit(10, '1')), ev(4, digit(40, '4')), ev(5, digit(50, '5')), ev(9, digit(90, '9')), ev(5, digit(50, '5')), ev(10, digit(100, '0'), { callId: 'another-call' })];
    const view = foldEvents(events);
    expect(view.call).toMatchObject({ lastSeq: 9, gaps: 2, missedEvents: 5, droppedEvents: 2, atMs: 90 });
    expect(view.dtmf).toEqual({ digits: '1459', lastAtMs: 90 });
  });

  it('joins a running call without counting its past', () => {
    const view = foldEvents([ev(40, speech(12_000, true)), ev(41, speech(12_500, false))]);
    expect(view.call).toMatchObject({ firstSeq: 40, lastSeq: 41, gaps: 0, missedEvents: 0, startedAt: STARTED_AT, callId: CALL_ID });
  });
});

describe('an unknown event kind is ignored', () => {
  /*
   * A newer runtime emits a kind this view does not know. The view counts its seq (so no gap is reported)
   * and changes nothing else.
   */
  it('advances seq only', () => {
    const events = bargeInCut();
    const before = foldEvents(events);
    const future = ev(events.length, { type: 'agent.emotion', atMs: 9000, mood: 'cheerful' } as unknown as CallEventBody);
    const after = callView(before, future);
    expect(after).toEqual({ ...before, call: { ...before.call, lastSeq: events.length, atMs: 9000 } });
    expect(after.conversation).toBe(before.conversation);
  });
});

describe('inputs are never mutated', () => {
  /*
   * Events are deep-frozen by the emitter and views are shared by several screens: every event and every
   * intermediate view of every scenario is frozen here, so any write would throw. Views also survive a JSON
   * round trip, and an event touching one part of the view shares the others.
   */
  const scenarios = { greetingThenTurns, bargeInCut, backchannelResumed, falseInterruption };
  for (const [name, make] of Object.entries(scenarios)) {
    it(`${name}: folds frozen inputs into JSON-safe views`, () => {
      const events = make();
      expect(events.every((e) => Object.isFrozen(e))).toBe(true);
      for (const view of views(events)) expect(JSON.parse(JSON.stringify(view))).toEqual(view);
    });
  }

  it('shares what an event does not touch', () => {
    const events = greetingThenTurns();
    const before = foldEvents(events.slice(0, -3));
    const text = callView(before, ev(events.length, say(99_000, 4, ' More.')));
    expect(text.conversation.settled).toBe(before.conversation.settled);
    expect(text.waterfall).toBe(before.waterfall);
    const level = callView(before, ev(events.length, { type: 'levels', atMs: 99_000, inDb: -30, outDb: -12 }));
    expect(level.conversation).toBe(before.conversation);
    expect(level.regions).toBe(before.regions);
  });
});

describe('call.ended', () => {
  /*
   * The caller hangs up halfway through the answer. The runtime cuts the line where the caller stopped
   * hearing it ("by hangup") and reports the turn before the call ends; a key press was missed by the feed.
   * The call record at the end confirms the cut and fills in the key. A reply whose cut fell in a gap in the
   * feed looks played out until the record says where it was cut.
   */
  const hangup = stream([
    started(),
    ...askRooms(),
    heard(2000, 1, 1500, 'We have rooms', 3, 'on'),
    cut(2500, 1, 'hangup', 1700, ROOMS_HEARD, ROOMS),
    turn(2500, turnRecord(1, ROOMS_QUESTION, { endpointingMs: 300, llmFirstTokenMs: 40 }, 'hangup', 600)),
    {
      type: 'call.ended',
      atMs: 2500,
      record: callRecord({
        endedAtMs: 2500,
        transcript: [
          { role: 'user', text: ROOMS_QUESTION, language: 'en', atMs: 900 },
          { role: 'assistant', text: ROOMS_HEARD, interrupted: true, cutBy: 'hangup', intendedText: ROOMS, language: 'en', atMs: 900 },
        ],
        turns: [turnRecord(1, ROOMS_QUESTION, { endpointingMs: 300, llmFirstTokenMs: 40 }, 'hangup', 600)],
        dtmf: [{ atMs: 1200, digit: '5' }],
      }),
    },
    // The chart's final state comes after the record.
    { type: 'state', atMs: 2500, states: ['ended'] },
  ]);

  it('ends the view with the record, the line cut where the caller stopped hearing it', () => {
    const view = foldEvents(hangup);
    expect(view.call).toMatchObject({ ended: true, endReason: 'caller-hangup', endedAtMs: 2500 });
    expect(view.call.record?.transcript).toHaveLength(2);
    expect(view.regions.agentActivity).toBe('ended');
    expect(agentLines(view)[0]!.cut).toEqual({ by: 'hangup', atMs: 2500, heardMs: 1700, heardText: ROOMS_HEARD, unheardText: ' with a garden view, and a suite.' });
    expect(view.waterfall.turns[0]).toMatchObject({ index: 1, outcome: 'hangup', spans: { endpointingMs: 300, llmFirstTokenMs: 40 } });
    expect(view.waterfall.stats.endpointingMs.count).toBe(1);
    expect(view.dtmf).toEqual({ digits: '5', lastAtMs: 1200 });
    expect(view.conversation.live).toEqual([]);
    expect(view.cursor).toEqual({ agentLine: 1, utteranceId: 1 });
  });

  it('keeps the conversation as the record left it, whatever comes after', () => {
    const view = foldEvents(hangup);
    const stray = callView(view, ev(hangup.length, partial(2600, 'hello?', 0.5)));
    expect(stray.conversation).toBe(view.conversation);
  });

  it('cuts a line whose cut was missed from the record', () => {
    const missedCut = stream([
      started(),
      committed(900, 1, ROOMS_QUESTION, 600),
      utterance(900, 1, 'reply', 1),
      state(900, 'responding.thinking.waitingFirstToken'),
      say(950, 1, ROOMS),
      state(1000, 'responding.speaking'),
      audio(1000, 1),
      heard(1800, 1, 1200, 'We have', 2, 'rooms'),
    ]);
    // The feed drops the failure, its cut and the turn (seq 8 to 10); the agent is idle again at seq 11.
    const live = foldEvents([...missedCut, ev(11, state(1850, 'idle.attentive'))]);
    expect(live.call).toMatchObject({ gaps: 1, missedEvents: 3 });
    expect(agentLines(live)[0]).toMatchObject({ status: 'done', heardChars: ROOMS.length });

    const record = callRecord({
      endedAtMs: 4000,
      endReason: 'agent-hangup',
      transcript: [
        { role: 'user', text: ROOMS_QUESTION, language: 'en', atMs: 900 },
        { role: 'assistant', text: 'We have rooms on', interrupted: true, cutBy: 'failure', intendedText: ROOMS, language: 'en', atMs: 900 },
      ],
      failures: [{ atMs: 1850, source: 'tts', message: 'stream broke', retryable: true }],
    });
    const ended = callView(live, ev(12, { type: 'call.ended', atMs: 4000, record }));
    expect(agentLines(ended)[0]).toMatchObject({ status: 'cut', heardChars: 'We have rooms on'.length, cut: { by: 'failure', atMs: 4000, heardText: 'We have rooms on' } });
    expect(ended.failures).toHaveLength(1);
  });
});
