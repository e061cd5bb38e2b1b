import type { TimedWord } from '../audio/playout.js';
import { localize } from '../dsl/index.js';
import { ProviderError } from '../providers/errors.js';
import type { CallRecord, TurnRecord } from './call-record.js';
import type { Playout } from '../audio/playout.js';
import type { AgentSpec } from '../dsl/index.js';
import type { CallTransport } from '../transports/types.js';
import type { AgentSpeech } from './agent-speech.js';
import type { BargeInTracker } from './barge-in-tracker.js';
import type { CallMeters } from './call-meters.js';
import type { CallerSilence } from './caller-silence.js';
import type { CallerUtterance } from './caller-utterance.js';
import type { Conversation } from './conversation.js';
import type { CallEventBody, FailureSource, MachineEvent } from './events.js';
import type { CutBy } from './heard-cut.js';
import type { ReplyPlanner } from './reply-planner.js';
import type { TurnLedger } from './turn-ledger.js';
import type { Reply } from './reply.js';
import type { FixedPurpose } from './reply-planner.js';

/** Why a call ends once its last reply has been played. */
type EndAfterReply = 'silence' | 'error' | 'agent-hangup';

/** The parts of a call its replies work with (the call controller provides them). */
export interface ReplyCall {
  readonly spec: AgentSpec;
  readonly record: CallRecord;
  readonly conversation: Conversation;
  readonly turns: TurnLedger;
  readonly planner: ReplyPlanner;
  readonly speech: AgentSpeech;
  readonly silence: CallerSilence;
  readonly bargeIns: BargeInTracker;
  readonly meters: CallMeters;
  readonly playout: Playout;
  readonly transport: CallTransport;
  readonly language: string;
  readonly utteranceState: Readonly<CallerUtterance>;
  now(): number;
  send(event: MachineEvent): void;
  emit(event: CallEventBody): void;
  recordFailure(source: FailureSource, error: { readonly message: string; readonly retryable: boolean }): void;
  systemPrompt(): string;
  voiceFor(language: string): string | undefined;
  truncateToHeard(cutBy?: CutBy): void;
}

/**
 * The life of the agent's replies in a call: queueing (fixed texts, routed model replies, drafts), starting
 * and stopping the reply actor's work, superseding a reply with a newer turn, completing it, and every way it
 * can fail (model error, watchdog, stalled stream, lost recogniser), each keeping in the context only what
 * the caller heard. The chart's reply actions land here.
 */
export class Replies {
  /** Why the call ends once the queued or playing reply has been heard (a goodbye, an apology, the model's wish). */
  private endAfterReply: EndAfterReply | undefined;

  constructor(private readonly call: ReplyCall) {}

  /** The statechart left `thinking` because the caller spoke again: keep their words, drop our reply. */
  abandon(): void {
    this.abandonTurn(this.call.turns.current, 1);
  }

  /**
   * `turn` gets no answer: its outcome is `abandoned` (unless already decided), the caller's words it answered
   * (the `fromEnd`-th caller entry from the end) are marked unanswered, and an empty reply entry goes.
   */
  private abandonTurn(turn: TurnRecord | undefined, fromEnd: number): void {
    this.call.turns.decide(turn, 'abandoned');
    const answered = this.call.conversation.entries.filter((entry) => entry.role === 'user').at(-fromEnd);
    if (answered) answered.unanswered = true;
    this.call.speech.close();
  }

  queueGreeting(): void {
    if (localize(this.call.spec.prompt.greeting, this.call.language, this.call.spec.languages.default)) this.call.planner.queueFixed('greeting', this.call.language);
  }

  queueFixed(purpose: Exclude<FixedPurpose, 'greeting'>): void {
    this.call.planner.queueFixed(purpose, this.call.language);
    if (purpose === 'reprompt') this.call.silence.reprompted();
    else this.endAfterReply = purpose === 'goodbye' ? 'silence' : 'error';
  }

  /** Routes the committed turn and prepares the model's reply (its request goes out now). */
  queueReply(): void {
    const turn = this.call.turns.current;
    if (!turn) return;
    if (this.call.speech.current) this.supersedeReply();
    this.call.planner.queueModelReply(turn, this.call.conversation.toMessages(this.call.systemPrompt()), this.call.language);
    // Its request is out (or a kept draft's went out earlier): the model's time to first token counts from it.
    const plan = this.call.planner.queued;
    if (plan?.kind === 'llm') this.call.turns.noteRequest(plan.primary.profile, plan.stream);
  }

  /**
   * A newer caller turn supersedes the reply still running (the chart re-enters `responding`). It is cancelled
   * here, before the new request goes out: on a shared Realtime session a cancel sent after the new
   * `response.create` would cancel the new response too. The context keeps what the caller heard of it; a
   * reply nobody heard goes, and the turn it answered is abandoned (the new request carries its words).
   */
  private supersedeReply(): void {
    const previous = this.call.turns.previous;
    if (this.call.playout.heardPositionMs() > 0) {
      this.call.truncateToHeard('caller');
      this.call.playout.flushTransport();
      this.call.turns.settle(previous, 'interrupted');
      // The caller's speech over the reply was too short to confirm as a barge-in, but it ended the reply all
      // the same: its attempt is decided here, or the call record would keep it pending.
      this.call.bargeIns.interrupted('a newer caller turn', this.call.now(), this.call.speech.heard());
      return;
    }
    this.call.speech.cancel();
    this.call.speech.forgetText();
    // The new turn's caller entry is already in: the superseded reply answered the one before it.
    this.abandonTurn(previous, 2);
  }

  startDraft(): void {
    const text = this.call.utteranceState.partial?.text.trim();
    if (text) this.call.planner.startDraft(text, this.call.conversation.toMessages(this.call.systemPrompt()), this.call.language, this.call.record.turns.length + 1, () => this.call.now());
  }

  cancelDraft(): void {
    this.call.planner.cancelDraft();
  }

  /** Starts the queued reply: called when the `reply` actor starts. */
  startReply(): Reply | undefined {
    const plan = this.call.planner.take();
    if (!plan) return undefined;
    this.call.meters.resetHeard();
    const fromModel = plan.kind === 'llm';
    if (!fromModel) this.call.turns.startFixedReply();
    const voice = { voice: this.call.voiceFor(this.call.language)!, language: this.call.language, sampleRate: this.call.transport.sampleRate, speed: this.call.spec.voice.settings.speed };
    return this.call.speech.begin(plan, voice, this.call.now(), {
      onFirstToken: (profile) => {
        this.call.turns.noteFirstToken(fromModel, profile);
        this.call.send({ type: 'REPLY.FIRST_TOKEN', profile });
      },
      onText: (delta) => this.call.emit({ type: 'agent.text', atMs: this.call.now(), utteranceId: this.call.speech.utteranceId, delta }),
      onFirstAudio: () => {
        this.call.turns.noteFirstAudio();
        // The chart hears of it right after this chunk is in playout (onAudio, next) and its first frame is on
        // the wire: playout does not wait for the chart, and the transition (0.1-0.3 ms) is not worth
        // holding the first frame back for.
        queueMicrotask(() => this.call.send({ type: 'REPLY.FIRST_AUDIO' }));
      },
      onAudio: () => {},
      onSpeechDone: (hadAudio) => (hadAudio ? this.call.playout.complete() : this.call.send({ type: 'REPLY.ENDED_SILENT' })),
      onFailure: (error) => this.call.send({ type: 'REPLY.FAILED', error }),
    }, this.call.turns.current?.index);
  }

  /**
   * The `reply` actor stopped (state left: played out, failed, given up, superseded): cancel whatever is still
   * running. A barge-in attempt still undecided was heard over this reply and cannot interrupt it any more.
   */
  stopReply(reply: Reply | undefined): void {
    this.call.speech.stop(reply);
    this.call.bargeIns.close('false', 'the reply ended before it was decided', this.call.now());
  }

  /** The current (or last) agent utterance: text, aligned words and heard position. */
  agentSpeech(): { text: string; words: readonly TimedWord[]; heardMs: number } | undefined {
    return this.call.speech.utterance();
  }

  hedge(): void {
    this.call.turns.noteHedge();
    this.call.speech.current?.hedge();
  }

  get currentPlan() {
    return this.call.speech.current ? undefined : this.call.planner.queued;
  }

  /** The reply just played is the call's last: a goodbye, an apology, or the model asked to end the call. */
  hangupAfterReply(): boolean {
    return this.endAfterReply !== undefined || this.call.speech.current?.endCallRequested === true;
  }

  /** The reply has been played to the end (its last frame sent). */
  completeReply(): void {
    const reply = this.call.speech.current;
    if (reply?.endCallRequested && !this.endAfterReply) this.endAfterReply = 'agent-hangup';
    // A voice that gave little or no audio: the context keeps what was voiced, and nothing voiced is no answer.
    const short = this.call.speech.cutToVoiced();
    if (short) {
      const nothing = short.heardText.trim() === '';
      const message = nothing ? `the voice gave no audio for the reply "${short.fullText}"` : `the voice stopped after "${short.heardText}" of the reply "${short.fullText}"`;
      this.call.recordFailure('tts', { message: `${message}: the context keeps only what was voiced`, retryable: true });
      if (nothing) this.call.turns.fail();
    }
    this.call.turns.complete(reply?.usedFallback === true);
    this.call.speech.close();
    this.call.silence.replyPlayed(this.call.now(), this.endAfterReply !== undefined);
  }

  /** `closing`: the last reply was heard (or its report never came): hang up. */
  hangUpReason(): NonNullable<CallRecord['endReason']> {
    return this.endAfterReply ?? 'agent-hangup';
  }

  /** How long `closing` waits for the played report: what the far end still buffers, plus a margin. */
  playedTimeoutMs(marginMs: number): number {
    return this.call.transport.bufferedMs() + marginMs;
  }

  recordReplyFailure(error: ProviderError): void {
    this.call.recordFailure('reply', error);
    this.call.turns.fail();
    // The reply broke off mid-speech and the agent is idle again: stop rather than play audio nobody supervises.
    this.call.speech.cutAsHeard(this.call.spec.bargeIn.cut);
    this.call.speech.close();
    this.call.silence.restart(this.call.now());
    // A goodbye or an apology that could not be spoken still ends the call: it must not stay on the line.
    if (this.endAfterReply) this.call.send({ type: 'CALL.HANGUP', reason: this.hangUpReason() });
  }

  /**
   * The recogniser can hear nothing more: stop the reply being spoken (at a word boundary; the context keeps
   * what the caller heard), then queue `prompt.unavailable`, after which the call hangs up (`endReason: error`).
   */
  sayUnavailable(error: { readonly message: string }): void {
    this.call.recordFailure('stt', { message: `the caller can no longer be heard (${error.message}): the agent says prompt.unavailable and hangs up`, retryable: false });
    if (this.call.speech.current && this.call.speech.hasEntry) {
      this.call.speech.cutAsHeard(this.call.spec.bargeIn.cut);
      this.call.speech.cancel();
      this.call.speech.close();
    }
    if (!this.call.turns.current?.outcome) this.call.turns.fail();
    this.call.turns.close();
    this.queueFixed('unavailable');
  }

  /** The watchdog gave up a reply that produced no audio: record it; leaving `responding` aborts the reply. */
  abandonStuckReply(): void {
    const profile = this.call.turns.current?.route?.profile ?? 'reply';
    this.call.recordFailure('watchdog', { message: `no audio from the reply (${profile}) in time: reply given up, listening again`, retryable: true });
    this.call.turns.fail();
    this.call.speech.close();
    this.call.silence.restart(this.call.now());
  }

  /** The reply's audio stopped coming mid-utterance for the stall bound: keep what was heard, listen again. */
  abandonStalledReply(stallMs: number): void {
    const profile = this.call.turns.current?.route?.profile ?? 'reply';
    this.call.recordFailure('reply', { message: `the reply (${profile}) stalled: no audio for ${stallMs} ms after its last word; given up at what the caller heard, listening again`, retryable: true });
    this.call.turns.fail();
    this.call.speech.cutAsHeard(this.call.spec.bargeIn.cut);
    this.call.speech.close();
    this.call.silence.restart(this.call.now());
    if (this.endAfterReply) this.call.send({ type: 'CALL.HANGUP', reason: this.hangUpReason() });
  }

  recordSlowFirstToken(): void {
    this.call.recordFailure('llm', new ProviderError({ provider: this.call.turns.current?.route?.profile ?? 'llm', kind: 'timeout', message: 'first token later than firstTokenTimeoutMs (no fallback configured)', retryable: false }));
  }

  /** Current routed model's first-token timeout, for the `firstTokenTimeoutMs` delay. */
  firstTokenTimeoutMs(): number {
    return this.call.planner.firstTokenTimeoutMs(this.call.turns.current);
  }

  routedModelHasFallback(): boolean {
    return this.call.planner.routedModelHasFallback(this.call.turns.current);
  }
}
