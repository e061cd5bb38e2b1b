/*
 * A short call as its events, written out by hand: the greeting, a caller who interrupts it, a turn with its
 * latencies (a slow one, over a second), a backchannel. The pane tests fold these into a view and read the frame.
 */
import { foldEvents, type CallEvent, type CallEventBody, type CallView } from '../../../runtime/index.js';

/** Wraps bodies in envelopes (seq in order) as a call emits them. */
export function envelope(bodies: readonly CallEventBody[]): CallEvent[] {
  return bodies.map((body, seq) => ({ v: 2, callId: 'call-1234abcd', agent: 'receptionist', seq, wallTime: new Date(Date.UTC(2026, 0, 1) + body.atMs).toISOString(), ...body }) as CallEvent);
}

const states = (agent: string, caller = 'silent', turn = 'listening.quiet'): CallEventBody => ({ type: 'state', atMs: 0, states: [`active.caller.${caller}`, `active.agent.${agent}`, 'active.language.en', `active.turn.${turn}`] });
const at = (atMs: number, body: CallEventBody): CallEventBody => ({ ...body, atMs }) as CallEventBody;
const GREETING = 'Thanks for calling Bright Smile Dental, how can I help you today?';
const REPLY = 'A check-up and cleaning is ninety-five dollars.';

/** Up to the caller's interruption: greeting cut after "Thanks for calling Bright Smile", the caller's partial. */
export const INTERRUPTED: readonly CallEventBody[] = [
  { type: 'call.started', atMs: 0, mode: 'dualplex', language: 'en', sampleRate: 16000 },
  { type: 'agent.utterance', atMs: 0, utteranceId: 1, purpose: 'greeting' },
  { type: 'agent.text', atMs: 0, utteranceId: 1, delta: GREETING },
  at(10, states('responding.speaking.playing')),
  { type: 'agent.audio', atMs: 10, utteranceId: 1, started: true },
  { type: 'levels', atMs: 100, inDb: -100, outDb: -18 },
  { type: 'agent.heard', atMs: 1500, utteranceId: 1, heardMs: 1500, heardChars: 18, wordIndex: 3 },
  at(2000, states('responding.speaking.playing', 'speaking')),
  { type: 'barge-in', atMs: 2080, decision: 'paused', record: { onsetMs: 2000, kind: 'pending', reactedAtMs: 2080, reactionMs: 80 } },
  at(2080, states('responding.paused', 'speaking')),
  { type: 'transcript', atMs: 2300, final: false, text: 'How much', language: 'en', words: [{ text: 'How', confidence: 0.9, stable: true }, { text: 'much', confidence: 0.55, stable: false }] },
  { type: 'agent.cut', atMs: 2300, utteranceId: 1, by: 'caller', heardMs: 2060, heardText: 'Thanks for calling Bright Smile', intendedText: GREETING },
  { type: 'barge-in', atMs: 2300, decision: 'interrupted', record: { onsetMs: 2000, kind: 'interrupt', reactedAtMs: 2080, reactionMs: 80, reason: 'words: "How"' } },
  at(2300, states('idle.callerTalking', 'speaking', 'listening.hearingWords')),
  { type: 'levels', atMs: 2400, inDb: -21, outDb: -100 },
];

/** Then the turn, its slow reply with latencies, and a backchannel that resumes playout. */
export const ANSWERED: readonly CallEventBody[] = [
  ...INTERRUPTED,
  { type: 'transcript', atMs: 3500, final: true, text: 'How much is a check-up?', language: 'en', words: [{ text: 'How', confidence: 0.9, stable: true }, { text: 'much', confidence: 0.92, stable: true }, { text: 'is', confidence: 0.9, stable: true }, { text: 'a', confidence: 0.9, stable: true }, { text: 'check-up?', confidence: 0.94, stable: true }] },
  { type: 'turn.committed', atMs: 3600, index: 1, userText: 'How much is a check-up?', language: 'en', speechEndMs: 3300, endpointCue: 'question' },
  { type: 'agent.utterance', atMs: 3600, utteranceId: 2, purpose: 'reply', turnIndex: 1 },
  at(3600, states('responding.thinking.generating')),
  { type: 'agent.text', atMs: 3800, utteranceId: 2, delta: REPLY },
  { type: 'agent.audio', atMs: 4400, utteranceId: 2, started: true },
  at(4400, states('responding.speaking.playing')),
  { type: 'barge-in', atMs: 5100, decision: 'paused', record: { onsetMs: 5000, kind: 'pending', reactedAtMs: 5100, reactionMs: 100 } },
  { type: 'caller.discarded', atMs: 5400, reason: 'backchannel', text: 'uh-huh' },
  { type: 'barge-in', atMs: 5400, decision: 'resumed', record: { onsetMs: 5000, kind: 'backchannel', reactedAtMs: 5100, reactionMs: 100, reason: 'backchannel "uh-huh"' } },
  { type: 'turn', atMs: 8000, record: { index: 1, userText: 'How much is a check-up?', language: 'en', speechEndMs: 3300, spans: { endpointingMs: 300, sttFinalMs: 200, llmFirstTokenMs: 200, ttsFirstAudioMs: 600, firstFrameOutMs: 0, responseMs: 1100 }, outcome: 'answered' } },
  at(8000, states('idle.attentive')),
];

/** The view after `bodies`. */
export function viewOf(bodies: readonly CallEventBody[]): CallView {
  return foldEvents(envelope(bodies));
}
