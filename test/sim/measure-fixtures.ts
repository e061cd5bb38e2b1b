/*
 * Synthetic calls for the scoring tests: a call record, what the caller did (their script's activities) and
 * the agent's frames with the time each starts playing at the caller's ear. Call time starts at 0 (t0 = 0).
 */
import type { BargeInRecord, CallRecord, TurnRecord } from '../../runtime/call/call-record.js';
import type { ConversationEntry } from '../../runtime/call/conversation.js';
import type { CallerActivity } from '../../runtime/sim/simulated-caller.js';
import type { SentFrame } from '../../runtime/transports/in-process.js';

/** Far-end playout delay of the synthetic line, ms: a frame sent at t plays at the caller's ear from t + 60. */
export const PLAYOUT_DELAY_MS = 60;

/** A call record with nothing in it but what `parts` gives. */
export function callRecord(parts: { bargeIns?: BargeInRecord[]; turns?: TurnRecord[]; transcript?: ConversationEntry[] } = {}): CallRecord {
  return {
    callId: 'call-1',
    agent: { name: 'test', mode: 'cascade' },
    startedAt: '2026-12-01T00:00:00.000Z',
    startedAtMs: 0,
    endedAtMs: 60_000,
    endReason: 'caller-hangup',
    transcript: parts.transcript ?? [],
    turns: parts.turns ?? [],
    bargeIns: parts.bargeIns ?? [],
    failures: [],
    languageSwitches: [],
    dtmf: [],
  };
}

/**
 * Agent audio heard by the caller over `[startMs, endMs)` of ear time, in 20 ms frames, each sent
 * {@link PLAYOUT_DELAY_MS} before it plays. `droppedFromMs`: frames from that ear time on were sent, then
 * dropped by a clear (a barge-in): the caller never heard them.
 */
export function agentAudio(startMs: number, endMs: number, droppedFromMs = Infinity): SentFrame[] {
  const frames: SentFrame[] = [];
  for (let at = startMs; at < endMs; at += 20) {
    frames.push({ atMs: at - PLAYOUT_DELAY_MS, samples: new Int16Array(160), playAtMs: at, durationMs: 20, dropped: at >= droppedFromMs });
  }
  return frames;
}

let nextStep = 0;

/** Resets the step counter: each test numbers its activities from 0. */
export function resetSteps(): void {
  nextStep = 0;
}

/** The caller says `text` from `onsetMs` to `speechEndMs`; `duringAgentSpeech` when the step was timed into the agent's speech. */
export function say(text: string, onsetMs: number, speechEndMs: number, duringAgentSpeech = false): CallerActivity {
  return { step: nextStep++, kind: 'say', text, startMs: onsetMs, onsetMs, endMs: speechEndMs + 20, speechEndMs, duringAgentSpeech };
}

/** A backchannel ("mm-hmm") over the agent. */
export function backchannel(text: string, onsetMs: number, speechEndMs: number): CallerActivity {
  return { step: nextStep++, kind: 'backchannel', text, startMs: onsetMs, onsetMs, endMs: speechEndMs + 20, speechEndMs, duringAgentSpeech: true };
}

/** A cough, a door: a noise over the agent. */
export function noise(sound: string, onsetMs: number, endMs: number): CallerActivity {
  return { step: nextStep++, kind: 'noise', text: sound, startMs: onsetMs, onsetMs, endMs, speechEndMs: endMs, duringAgentSpeech: true };
}

/** The caller hangs up at `atMs`. */
export function hangup(atMs: number): CallerActivity {
  return { step: nextStep++, kind: 'hangup', startMs: atMs, onsetMs: atMs, endMs: atMs, speechEndMs: atMs, duringAgentSpeech: false };
}

/** A barge-in attempt as the runtime recorded it. */
export function bargeIn(onsetMs: number, kind: BargeInRecord['kind'], heardText?: string): BargeInRecord {
  return { onsetMs, kind, ...(heardText !== undefined ? { heardText } : {}) };
}

/** A caller turn as the runtime recorded it. */
export function turn(index: number, userText: string, speechEndMs: number, spans: TurnRecord['spans'], outcome: TurnRecord['outcome'] = 'answered'): TurnRecord {
  return { index, userText, language: 'en', speechEndMs, spans, ...(outcome ? { outcome } : {}) };
}

/** A transcript entry. */
export function entry(role: 'user' | 'assistant', text: string, extra: Partial<ConversationEntry> = {}): ConversationEntry {
  return { role, text, language: 'en', atMs: 0, ...extra };
}
