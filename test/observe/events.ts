/*
 * Event streams for the callView tests, written the way the runtime emits them: `ev(seq, body)` wraps a body
 * in the envelope (deep-frozen, as the emitter does), `stream(bodies)` numbers a list of bodies, and the
 * small builders below keep each scenario readable. Recorded streams (JSONL) go in `streams/` and are read
 * with `readEventStream` (event-stream.ts).
 */
import type { BargeInRecord, CallRecord, TurnRecord, TurnSpans } from '../../runtime/call/call-record.js';
import type { ConversationEntry } from '../../runtime/call/conversation.js';
import type { CallEvent, CallEventBody, EventWord } from '../../runtime/call/events.js';
import type { AgentPurpose } from '../../runtime/observe/index.js';

export const CALL_ID = 'call-1';
export const AGENT = 'front-desk';
/** Wall-clock start of every fixture call. */
export const STARTED_AT = '2026-12-01T10:00:00.000Z';
const STARTED_AT_MS = Date.parse(STARTED_AT);

/** One event: `body` in the envelope of call {@link CALL_ID}, deep-frozen like the emitter's events. */
export function ev(seq: number, body: CallEventBody, envelope: { callId?: string } = {}): CallEvent {
  const event = { v: 2 as const, callId: envelope.callId ?? CALL_ID, agent: AGENT, version: 'v7', seq, wallTime: new Date(STARTED_AT_MS + body.atMs).toISOString(), ...body };
  return deepFreeze(event as CallEvent);
}

/** Bodies numbered from `firstSeq` (0: the whole call). */
export function stream(bodies: readonly CallEventBody[], firstSeq = 0): CallEvent[] {
  return bodies.map((body, i) => ev(firstSeq + i, body));
}

/** Freezes a value and everything in it. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

// ---- body builders ----------------------------------------------------------------------------

/** A `state` event with every region's leaf, like the runtime's (`agent: 'responding.speaking'`). */
export function state(atMs: number, agent: string, regions: { caller?: string; turn?: string; language?: string } = {}): CallEventBody {
  const { caller = 'silent', turn = 'listening', language = 'en' } = regions;
  return { type: 'state', atMs, states: [`active.caller.${caller}`, `active.agent.${agent}`, `active.language.${language}`, `active.turn.${turn}`] };
}

/** Words of `text` with the given confidences (the last one repeats). */
export function words(text: string, ...confidences: number[]): EventWord[] {
  return text.split(/\s+/).filter(Boolean).map((word, i) => ({ text: word, confidence: confidences[Math.min(i, confidences.length - 1)] ?? 0.9, stable: true }));
}

export function partial(atMs: number, text: string, ...confidences: number[]): CallEventBody {
  return { type: 'transcript', atMs, final: false, text, words: words(text, ...confidences) };
}

export function final(atMs: number, text: string, ...confidences: number[]): CallEventBody {
  return { type: 'transcript', atMs, final: true, text, words: words(text, ...confidences) };
}

export function speech(atMs: number, speaking: boolean): CallEventBody {
  return { type: 'caller.speech', atMs, speaking };
}

/** The agent starts utterance `utteranceId` (for `turnIndex` when it is a model reply). */
export function utterance(atMs: number, utteranceId: number, purpose: AgentPurpose, turnIndex?: number): CallEventBody {
  return { type: 'agent.utterance', atMs, utteranceId, purpose, ...(turnIndex !== undefined ? { turnIndex } : {}) };
}

export function say(atMs: number, utteranceId: number, delta: string): CallEventBody {
  return { type: 'agent.text', atMs, utteranceId, delta };
}

export function audio(atMs: number, utteranceId: number): CallEventBody {
  return { type: 'agent.audio', atMs, utteranceId, started: true };
}

/** Progress of utterance `utteranceId`: `heardText` is what was heard in full words (its length is `heardChars`). */
export function heard(atMs: number, utteranceId: number, heardMs: number, heardText: string, wordIndex: number, word?: string): CallEventBody {
  return { type: 'agent.heard', atMs, utteranceId, heardMs, heardChars: heardText.length, wordIndex, ...(word ? { word } : {}) };
}

export function cut(atMs: number, utteranceId: number, by: 'caller' | 'failure' | 'hangup', heardMs: number, heardText: string, intendedText: string): CallEventBody {
  return { type: 'agent.cut', atMs, utteranceId, by, heardMs, heardText, intendedText };
}

export function discarded(atMs: number, reason: 'backchannel' | 'no-words' | 'not-a-turn', text: string): CallEventBody {
  return { type: 'caller.discarded', atMs, reason, text };
}

/** A transcript flagged late: the recogniser's words for speech already committed or discarded. */
export function late(transcript: CallEventBody): CallEventBody {
  return { ...transcript, late: true } as CallEventBody;
}

export function committed(atMs: number, index: number, userText: string, speechEndMs: number): CallEventBody {
  return { type: 'turn.committed', atMs, index, userText, language: 'en', speechEndMs, endpointCue: 'question' };
}

export function turnRecord(index: number, userText: string, spans: TurnSpans, outcome: TurnRecord['outcome'], speechEndMs = 0): TurnRecord {
  return { index, userText, language: 'en', speechEndMs, spans, ...(outcome ? { outcome } : {}), route: { profile: 'fast', rule: 0, intents: [] } };
}

export function turn(atMs: number, record: TurnRecord): CallEventBody {
  return { type: 'turn', atMs, record };
}

export function bargeIn(atMs: number, decision: 'paused' | 'ducked' | 'continued' | 'resumed' | 'interrupted', record: BargeInRecord): CallEventBody {
  return { type: 'barge-in', atMs, decision, record };
}

export function started(atMs = 0): CallEventBody {
  return { type: 'call.started', atMs, mode: 'cascade', language: 'en', sampleRate: 8000 };
}

/** A call record as `call.ended` carries it. */
export function callRecord(fields: Partial<CallRecord> & { endedAtMs: number; transcript: ConversationEntry[] }): CallRecord {
  return {
    callId: CALL_ID,
    agent: { name: AGENT, mode: 'cascade', version: 'v7' },
    startedAt: STARTED_AT,
    startedAtMs: 0,
    endReason: 'caller-hangup',
    turns: [],
    bargeIns: [],
    failures: [],
    languageSwitches: [],
    dtmf: [],
    ...fields,
  };
}

// ---- scenarios --------------------------------------------------------------------------------
// Each follows the order the runtime emits in (see the recorded streams in streams/): the utterance is
// announced before its state, a cut comes before the barge-in decision and the `turn` it settles, and the
// agent's state goes idle last.

export const GREETING = 'Thanks for calling Harbor Hotel, how can I help?';

/** The agent greets; the caller asks when breakfast is; the agent answers and the caller asks twice more. */
export function greetingThenTurns(): CallEvent[] {
  return stream([
    started(),
    { type: 'transport.started', atMs: 0, info: { transport: 'in-process' } },
    utterance(0, 1, 'greeting'),
    state(0, 'responding.thinking.waitingFirstToken'),
    say(4, 1, GREETING),
    state(110, 'responding.speaking'),
    audio(110, 1),
    heard(600, 1, 480, 'Thanks for', 2, 'calling'),
    state(2900, 'idle.attentive'),
    ...callerTurn(1, 3000, 'When is breakfast?', { endpointingMs: 300, sttFinalMs: 120, llmFirstTokenMs: 420, ttsFirstAudioMs: 180, firstFrameOutMs: 2, responseMs: 902 }, 'From seven to ten.'),
    ...callerTurn(2, 8000, 'Is there parking?', { endpointingMs: 250, sttFinalMs: 90, llmFirstTokenMs: 300, ttsFirstAudioMs: 198, firstFrameOutMs: 2, responseMs: 750 }, 'Yes, behind the hotel.'),
    ...callerTurn(3, 13000, 'Can I bring my dog?', { endpointingMs: 600, sttFinalMs: 200, llmFirstTokenMs: 500, ttsFirstAudioMs: 198, firstFrameOutMs: 2, responseMs: 1300 }, 'Dogs are welcome.'),
  ]);
}

/** One caller turn answered (utterance `index + 1`, after the greeting), from the caller's first word to the agent idle again. */
function callerTurn(index: number, t: number, question: string, spans: TurnSpans, answer: string): CallEventBody[] {
  const speechEnd = t + 1000;
  const commitAt = speechEnd + (spans.endpointingMs ?? 300);
  const audioAt = speechEnd + (spans.responseMs ?? 900);
  const id = index + 1;
  return [
    speech(t, true),
    state(t, 'idle.callerTalking', { caller: 'speaking' }),
    partial(t + 400, question.split(' ')[0]!, 0.6),
    speech(speechEnd, false),
    state(speechEnd, 'idle.attentive', { turn: 'endpointing' }),
    final(speechEnd + (spans.sttFinalMs ?? 100), question, 0.95),
    committed(commitAt, index, question, speechEnd),
    utterance(commitAt, id, 'reply', index),
    state(commitAt, 'responding.thinking.waitingFirstToken'),
    say(audioAt - 200, id, answer),
    state(audioAt, 'responding.speaking'),
    audio(audioAt, id),
    turn(audioAt + 1500, turnRecord(index, question, spans, 'answered', speechEnd)),
    state(audioAt + 1500, 'idle.attentive'),
  ];
}

export const ROOMS = 'We have rooms on the first floor with a garden view, and a suite.';
export const ROOMS_HEARD = 'We have rooms on the first floor';
export const ROOMS_QUESTION = 'which rooms do you have';

/** The caller asks about rooms and cuts the answer short with "wait, actually": interrupted after "floor". */
export function bargeInCut(): CallEvent[] {
  const onset = { onsetMs: 2990 };
  const decided = { ...onset, reactedAtMs: 3070, reactionMs: 80, kind: 'interrupt' as const, reason: 'words: "wait actually" (2 words, min confidence 0.88)', heardText: ROOMS_HEARD, intendedText: ROOMS };
  return stream([
    started(),
    ...askRooms(),
    heard(2800, 1, 1700, 'We have rooms on the', 5, 'first'),
    speech(3000, true),
    state(3000, 'responding.speaking', { caller: 'speaking' }),
    bargeIn(3070, 'paused', { ...onset, reactedAtMs: 3070, reactionMs: 80, kind: 'pending' }),
    state(3070, 'responding.paused', { caller: 'speaking' }),
    partial(3200, 'wait actually', 0.91, 0.88),
    cut(3200, 1, 'caller', 2100, ROOMS_HEARD, ROOMS),
    bargeIn(3200, 'interrupted', decided),
    turn(3200, turnRecord(1, ROOMS_QUESTION, { responseMs: 400 }, 'interrupted', 600)),
    state(3200, 'idle.callerTalking', { caller: 'speaking' }),
    // Text still in flight from the cancelled reply: the caller never hears it.
    say(3210, 1, ' Anything else?'),
    speech(4000, false),
    final(4100, 'wait actually do you have parking', 0.93),
    committed(4400, 2, 'wait actually do you have parking', 4000),
  ]);
}

/** Turn 1 "which rooms do you have", answered in utterance 1 with {@link ROOMS}; playout starts at 1000 ms. */
export function askRooms(): CallEventBody[] {
  return [
    state(0, 'idle.attentive'),
    speech(100, true),
    state(100, 'idle.callerTalking', { caller: 'speaking' }),
    partial(300, 'which rooms', 0.8),
    speech(600, false),
    state(600, 'idle.attentive', { turn: 'endpointing' }),
    final(650, ROOMS_QUESTION, 0.96),
    committed(900, 1, ROOMS_QUESTION, 600),
    utterance(900, 1, 'reply', 1),
    state(900, 'responding.thinking.waitingFirstToken'),
    say(950, 1, 'We have rooms on the first floor'),
    say(960, 1, ' with a garden view, and a suite.'),
    state(1000, 'responding.speaking'),
    audio(1000, 1),
  ];
}

/** While the agent answers, the caller says "uh-huh": playout pauses, then resumes at the end of it. */
export function backchannelResumed(): CallEvent[] {
  const onset = { onsetMs: 2000 };
  return stream([
    started(),
    ...askRooms(),
    speech(2000, true),
    state(2000, 'responding.speaking', { caller: 'speaking' }),
    bargeIn(2080, 'paused', { ...onset, reactedAtMs: 2080, reactionMs: 80, kind: 'pending' }),
    state(2080, 'responding.paused', { caller: 'speaking' }),
    partial(2150, 'uh-huh', 0.85),
    speech(2300, false),
    bargeIn(2300, 'resumed', { ...onset, reactedAtMs: 2080, reactionMs: 80, kind: 'backchannel', reason: 'backchannel "uh-huh"' }),
    discarded(2300, 'backchannel', 'uh-huh'),
    state(2300, 'responding.speaking'),
    // The recogniser lags: the backchannel's final arrives after it was thrown away, flagged late.
    late(final(2400, 'uh-huh', 0.9)),
    turn(5000, turnRecord(1, ROOMS_QUESTION, { responseMs: 400 }, 'answered', 600)),
    state(5000, 'idle.attentive'),
    speech(6000, true),
    partial(6200, 'thanks', 0.9),
  ]);
}

/** A cough while the agent speaks: playout pauses, no words follow, and it resumes where it paused. */
export function falseInterruption(): CallEvent[] {
  const onset = { onsetMs: 2000 };
  return stream([
    started(),
    ...askRooms(),
    speech(2000, true),
    state(2000, 'responding.speaking', { caller: 'speaking' }),
    bargeIn(2080, 'paused', { ...onset, reactedAtMs: 2080, reactionMs: 80, kind: 'pending' }),
    state(2080, 'responding.paused', { caller: 'speaking' }),
    speech(2200, false),
    state(2200, 'responding.paused', { turn: 'endpointing' }),
    // The turn's end came with no words: the noise is dropped, and no line was ever open for it.
    discarded(2500, 'no-words', ''),
    state(2500, 'responding.paused'),
    bargeIn(3280, 'resumed', { ...onset, reactedAtMs: 2080, reactionMs: 80, kind: 'false', reason: "the recogniser's VAD heard no speech" }),
    state(3280, 'responding.speaking'),
    turn(6000, turnRecord(1, ROOMS_QUESTION, { responseMs: 400 }, 'answered', 600)),
    state(6000, 'idle.attentive'),
  ]);
}
