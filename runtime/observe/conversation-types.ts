import type { CallEventOf, EventWord } from '../call/events.js';

/*
 * The conversation part of the view: caller lines from transcripts, agent lines from generated text with
 * what the caller heard of them.
 */

/** Why the caller's speech was dropped without a turn (from `caller.discarded`). */
export type CallerDiscardReason = CallEventOf<'caller.discarded'>['reason'];

/** What an agent utterance is for (from `agent.utterance`). */
export type AgentPurpose = CallEventOf<'agent.utterance'>['purpose'];

/** Where a caller line is: words still coming, finalised by the recogniser, taken as a turn, or thrown away. */
export type CallerLineStatus = 'partial' | 'final' | 'committed' | 'discarded';

/** What the caller said in one utterance, as recognised. */
export interface CallerLine {
  readonly role: 'caller';
  /** Position in the conversation (0-based, stable: lines are only appended). Use it as a UI key. */
  readonly id: number;
  /** Call time (ms) of the line's first transcript (or of its commit or discard when no transcript was seen). */
  readonly atMs: number;
  readonly status: CallerLineStatus;
  /** The utterance so far: finalised segments, then the latest partial; once committed, the turn's text. */
  readonly text: string;
  /** The recognised words of `text` with their confidences (0-1), for shading uncertain words. */
  readonly words: readonly EventWord[];
  /** Text of the segments the recogniser has finalised (a caller who pauses and goes on has several). */
  readonly finalText: string;
  /** Words of `finalText`. */
  readonly finalWords: readonly EventWord[];
  /** Language the recogniser reported, else the turn's. */
  readonly language?: string;
  /** The turn this utterance became (1-based), once committed. */
  readonly turnIndex?: number;
  /**
   * Why a discarded line was thrown away: a `backchannel` ("uh-huh") that never interrupts, `no-words` (noise
   * the recogniser found no words in), or `not-a-turn` (words that did not make a turn).
   */
  readonly discardedAs?: CallerDiscardReason;
}

/**
 * Where an agent line is: `generating` (the utterance started, no audio yet), `speaking` (audio out), `done`
 * (played to the end: the agent went idle, or the call ended, without a cut), `cut` (stopped early: see
 * {@link AgentLine.cut}), `unspoken` (given up before the caller heard any of it).
 */
export type AgentLineStatus = 'generating' | 'speaking' | 'done' | 'cut' | 'unspoken';

/** How an agent line was cut short (from `agent.cut`): what the caller heard and the rest they never heard (to strike out). */
export interface AgentCut {
  /** What stopped it: the caller barging in (or a newer turn superseding it), a failure mid-reply, or the call ending. */
  readonly by: 'caller' | 'failure' | 'hangup';
  /** Call time (ms) of the cut. */
  readonly atMs: number;
  /** Milliseconds of the utterance's audio the caller had heard at the cut; absent when only the call record told of the cut. */
  readonly heardMs?: number;
  /** The start of the line the caller heard (a prefix of the line's `text`): what the agent's context keeps. */
  readonly heardText: string;
  /** The rest of the line's `text`, generated but never heard. */
  readonly unheardText: string;
}

/** What the agent said (or meant to say) in one utterance: a greeting, a reply, a reprompt, a goodbye. */
export interface AgentLine {
  readonly role: 'agent';
  /** Position in the conversation (0-based, stable). Use it as a UI key. */
  readonly id: number;
  /** The utterance's id in the call's events (`agent.utterance`, `agent.text`, ...). */
  readonly utteranceId: number;
  /** What the utterance is for; absent when the view joined the call after it started. */
  readonly purpose?: AgentPurpose;
  /** Call time (ms) the utterance started (or of its first event seen). */
  readonly atMs: number;
  readonly status: AgentLineStatus;
  /** Everything generated for this utterance (when cut: the intended text, heard part and rest). */
  readonly text: string;
  /** The call's language when the line started. */
  readonly language?: string;
  /** The caller turn (1-based) this line answers; absent for a greeting, reprompt or other fixed utterance. */
  readonly turnIndex?: number;
  /** Call time (ms) the first frame of its audio went out. */
  readonly audioAtMs?: number;
  /** Milliseconds of its audio the caller has heard, from the latest `agent.heard`. */
  readonly heardMs?: number;
  /**
   * Characters of `text` the caller has heard in full words: `text.slice(0, heardChars)` is heard (the
   * runtime's own count, from `agent.heard`; all of it once `done`). Default 0.
   */
  readonly heardChars: number;
  /** Present when the line was cut short. */
  readonly cut?: AgentCut;
}

/** One line of the conversation. */
export type ConversationLine = CallerLine | AgentLine;

/**
 * The conversation, oldest line first, as two parts so a long call costs O(1) per event: `settled` lines no
 * longer change while the call runs (ink's `<Static>` can print them once), `live` lines may still change.
 * The whole conversation is `settled` followed by `live` ({@link conversationLines}). A line moves to
 * `settled` once it and every line before it are finished. Rare late corrections (a cut reported after the
 * line was finished, the call record at the end) may still edit a settled line.
 */
export interface ConversationView {
  readonly settled: readonly ConversationLine[];
  readonly live: readonly ConversationLine[];
}

/** The whole conversation, oldest line first (`settled` then `live`). */
export function conversationLines(view: { readonly conversation: ConversationView }): readonly ConversationLine[] {
  const { settled, live } = view.conversation;
  return live.length === 0 ? settled : settled.length === 0 ? live : [...settled, ...live];
}
