import type { Playout, TimedWord } from '../audio/playout.js';
import type { CallProviders } from '../providers/call-providers.js';
import type { Conversation, ConversationEntry } from './conversation.js';
import type { CallEventBody } from './events.js';
import { cutToHeard, type CutBy } from './heard-cut.js';
import { Reply, type ReplyHooks, type ReplyPlan } from './reply.js';

/** How a reply is voiced. */
export interface VoiceChoice {
  readonly voice: string;
  readonly language: string;
  readonly sampleRate: number;
  readonly speed: number;
}

/** The cut at a barge-in or failure (the agent's `bargeIn.cut`). */
export interface CutOptions {
  readonly at: 'word-boundary' | 'immediate';
  readonly maxWordTailMs: number;
  readonly fadeMs: number;
}

/**
 * What the agent is saying: the running reply, its assistant entry in the conversation and its playout, and
 * the cut that keeps in the entry exactly the words the caller heard. One reply at a time.
 */
export class AgentSpeech {
  private reply: Reply | undefined;
  private entry: ConversationEntry | undefined;
  private cutAtMs: number | undefined;
  private lastReplyText: string | undefined;
  private id = 0;

  constructor(
    readonly playout: Playout,
    private readonly conversation: Conversation,
    private readonly providers: CallProviders,
    private readonly emit: (event: CallEventBody) => void,
    private readonly now: () => number,
  ) {}

  /** Id of the current (or last) utterance, as in its events. */
  get utteranceId(): number {
    return this.id;
  }

  /** The reply under way, if any. */
  get current(): Reply | undefined {
    return this.reply;
  }

  /** An entry for the reply exists (the agent has started answering). */
  get hasEntry(): boolean {
    return this.entry !== undefined;
  }

  /** The reply has said something (its entry holds text). */
  get hasWords(): boolean {
    return this.entry !== undefined && this.entry.text !== '';
  }

  /** Starts a reply on `plan`: a fresh utterance in playout and an empty assistant entry that fills as it speaks. */
  begin(plan: ReplyPlan, voice: VoiceChoice, atMs: number, hooks: ReplyHooks, turnIndex?: number): Reply {
    this.id = this.playout.begin();
    this.cutAtMs = undefined;
    const purpose = plan.kind === 'llm' ? 'reply' : plan.purpose;
    this.emit({ type: 'agent.utterance', atMs, utteranceId: this.id, purpose, ...(turnIndex !== undefined && plan.kind === 'llm' ? { turnIndex } : {}) });
    const entry = this.conversation.addAssistant('', voice.language, atMs);
    this.entry = entry;
    const reply = new Reply(plan, { tts: this.providers.tts, ...voice }, {
      ...hooks,
      onText: (delta) => {
        if (this.entry === entry) entry.text += delta;
        hooks.onText(delta);
      },
      onAudio: (chunk) => {
        this.playout.append(chunk.pcm, chunk.alignment);
        hooks.onAudio(chunk);
      },
    });
    this.reply = reply;
    reply.start();
    return reply;
  }

  /** The reply's actor stopped: cancel whatever is still running. */
  stop(reply: Reply | undefined): void {
    if (reply) this.lastReplyText = reply.text;
    reply?.cancel();
    if (this.reply === reply) this.reply = undefined;
  }

  /** Cancels the reply (its model request and voice), keeping its entry. */
  cancel(): void {
    this.reply?.cancel();
  }

  /** Cuts playout; the heard position of the cut is kept for {@link truncateToHeard}. */
  cutPlayout(options: CutOptions): void {
    this.cutAtMs = this.playout.cut(options);
  }

  /** Drops what the far end buffered beyond the heard position (Twilio `clear`). */
  clearTransport(): void {
    this.playout.flushTransport();
  }

  /** The entry becomes exactly the words heard before the cut, flagged interrupted (by `cutBy`). */
  truncateToHeard(cutBy: CutBy): void {
    const entry = this.entry;
    if (!entry) return;
    const fullText = this.reply?.text ?? entry.text;
    const heardMs = this.cutAtMs ?? this.playout.heardPositionMs();
    this.cut(entry, { fullText, heardText: this.playout.heardPrefix(fullText, heardMs), cutBy }, heardMs);
    // Stop the reply before editing the model's history: a realtime model would otherwise go on writing into
    // the item being truncated or replaced (response.cancel first, then the edit). Leaving `responding`
    // cancels it again, harmlessly.
    this.reply?.cancel();
    this.providers.onAgentCut?.({ heardMs, heardText: entry.text });
  }

  /**
   * A reply that stops for a failure (not a barge-in) stops at a word boundary, and the context keeps only the
   * words the caller heard of it. Nothing to do before its first word.
   */
  cutAsHeard(options: CutOptions): void {
    if (!this.hasWords) return;
    this.cutPlayout(options);
    this.clearTransport();
    this.truncateToHeard('failure');
  }

  /** The call ended mid-utterance: the entry keeps what was heard. Returns whether a reply was under way. */
  cutAtHangup(): boolean {
    if (!this.entry || !this.reply) return false;
    const fullText = this.reply.text;
    const heardMs = this.playout.heardPositionMs();
    const heardText = this.playout.heardPrefix(fullText, heardMs);
    if (heardText.length < fullText.length) this.cut(this.entry, { fullText, heardText, cutBy: 'hangup' }, heardMs);
    return true;
  }

  /** Cuts the entry to what was heard and tells observers. */
  private cut(entry: ConversationEntry, cut: { readonly fullText: string; readonly heardText: string; readonly cutBy: CutBy }, heardMs: number): void {
    cutToHeard(entry, cut);
    this.emit({ type: 'agent.cut', atMs: this.now(), utteranceId: this.id, by: cut.cutBy, heardMs: Math.round(heardMs), heardText: cut.heardText, intendedText: cut.fullText });
  }

  /**
   * The reply's voice is done: when its audio voiced less than its text (a voice that ended early, or gave no
   * audio at all), the entry is cut to the words voiced, as any cut, and the cut is returned. Undefined when
   * every word was voiced, or the voice gives no alignment to tell by (then the audio is trusted).
   */
  cutToVoiced(): { readonly heardText: string; readonly fullText: string } | undefined {
    const entry = this.entry;
    const fullText = this.reply?.text ?? entry?.text ?? '';
    if (!entry || countWordsOf(fullText) === 0) return undefined;
    const voicedMs = this.playout.voicedMs;
    // Only exact alignment tells which words were voiced; otherwise audio, any audio, is trusted.
    if (voicedMs > 0 && (this.providers.tts.capabilities.alignment !== 'char' || this.playout.alignedWords.length === 0)) return undefined;
    // Alignment may run past the audio (a realtime model's transcript is spread over its audio by estimate):
    // every aligned word was voiced; only words never aligned were not.
    const alignedEndMs = this.playout.alignedWords.at(-1)?.endMs ?? 0;
    const heardText = voicedMs > 0 ? this.playout.heardPrefix(fullText, Math.max(voicedMs, alignedEndMs)) : '';
    if (countWordsOf(heardText) >= countWordsOf(fullText)) return undefined;
    this.cut(entry, { fullText, heardText, cutBy: 'failure' }, voicedMs);
    return { heardText, fullText };
  }

  /** What the caller heard of the current reply, and what it meant to say. */
  heard(): { text: string; intended: string } | undefined {
    const entry = this.entry;
    return entry ? { text: entry.text, intended: entry.intendedText ?? entry.text } : undefined;
  }

  /** Forgets the reply's text (a superseded reply nobody heard). */
  forgetText(): void {
    if (this.entry) this.entry.text = '';
  }

  /** The reply is over: an entry that never got a word goes from the conversation. */
  close(): void {
    const entry = this.entry;
    if (entry && entry.text === '' && !entry.interrupted) {
      const index = this.conversation.entries.indexOf(entry);
      if (index >= 0) this.conversation.entries.splice(index, 1);
    }
    this.entry = undefined;
  }

  /** Progress of the utterance being spoken, for meters; undefined when no reply is under way. */
  progress(): { utteranceId: number; heardMs: number; heardChars: number; words: readonly TimedWord[] } | undefined {
    if (!this.entry || !this.reply) return undefined;
    const heardMs = this.playout.heardPositionMs();
    return { utteranceId: this.id, heardMs, heardChars: Math.min(this.reply.text.length, this.playout.heardCharCount(heardMs)), words: this.playout.alignedWords };
  }

  /** The current (or last) agent utterance: text, aligned words and heard position. */
  utterance(): { text: string; words: readonly TimedWord[]; heardMs: number } | undefined {
    const text = this.reply?.text ?? this.lastReplyText;
    if (text === undefined) return undefined;
    return { text, words: this.playout.alignedWords, heardMs: this.playout.heardPositionMs() };
  }
}

/** Words in a text, for comparing what was voiced with what was meant (whitespace-separated; CJK per character). */
function countWordsOf(text: string): number {
  return text.replace(/[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]/g, ' x ').split(/\s+/).filter((word) => /[\p{L}\p{N}]/u.test(word)).length;
}
