import type { EventWord } from '../call/events.js';

/*
 * The conversation part of the view: caller lines from transcripts, agent lines from generated text with
 * what the caller heard of them.
 */

/** Where a caller line is: words still coming, finalised by the recogniser, taken as a turn, or thrown away. */
export type CallerLineStatus = 'partial' | 'final' | 'committed' | 'discarded';

/** What the caller said in one utterance, as recognised. */
export interface CallerLine {
  readonly role: 'caller';
  /** Position in the conversation (0-based, stable: lines are only appended). Use it as a UI key. */
  readonly id: number;
  /** Call time (ms) of the line's first transcript (or of its commit when no transcript was seen). */
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
  /** Why a discarded line was thrown away: a backchannel ("uh-huh") that never interrupts. */
  readonly discardedAs?: 'backchannel';
}

/**
 * Where an agent line is: `generating` (text arriving, no audio yet), `speaking` (audio out), `done` (played
 * to the end, as far as the events tell), `cut` (stopped early: see {@link AgentLine.cut}), `unspoken`
 * (given up before any audio went out).
 */
export type AgentLineStatus = 'generating' | 'speaking' | 'done' | 'cut' | 'unspoken';

/** How an agent line was cut short: what the caller heard and the rest they never heard (to strike out). */
export interface AgentCut {
  /** What stopped it: the caller barging in, a provider failure, or the call ending. */
  readonly by: 'caller' | 'failure' | 'hangup';
  /** Call time (ms) of the cut as reported. */
  readonly atMs: number;
  /** The start of the line the caller heard (a prefix of the line's `text`). */
  readonly heardText: string;
  /** The rest of the line's `text`, generated but never heard. */
  readonly unheardText: string;
  /**
   * True when the heard part comes from the runtime's own account (the barge-in record, the call record);
   * false when it is estimated from the latest `agent.heard` progress (a failure cut, until the call ends).
   */
  readonly exact: boolean;
}

/** What the agent said (or meant to say) in one utterance: a greeting, a reply, a reprompt. */
export interface AgentLine {
  readonly role: 'agent';
  /** Position in the conversation (0-based, stable). Use it as a UI key. */
  readonly id: number;
  /** Call time (ms) of the first text. */
  readonly atMs: number;
  readonly status: AgentLineStatus;
  /** Everything generated for this utterance (when cut: the intended text, heard part and rest). */
  readonly text: string;
  /** The call's language when the line started. */
  readonly language?: string;
  /** The caller turn (1-based) this line answers; absent for a greeting or reprompt. */
  readonly turnIndex?: number;
  /** Call time (ms) the first frame of its audio went out. */
  readonly audioAtMs?: number;
  /** Milliseconds of its audio the caller has heard, from the latest `agent.heard`. */
  readonly heardMs?: number;
  /** Words of `text` the caller has heard so far (whitespace-separated; each CJK character counts as one). Default 0. */
  readonly heardWords: number;
  /** Characters of `text` the caller has heard so far: `text.slice(0, heardChars)` is heard. Default 0. */
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
 * `settled` once it and every line before it are finished. Rare late corrections (a barge-in decided after
 * the next turn was committed, the call record at the end) may still edit a settled line.
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
