import type { AnyActorRef } from 'xstate';
import { createEchoHandler } from '../audio/echo.js';
import { Playout, type TimedWord } from '../audio/playout.js';
import type { Vad } from '../audio/vad.js';
import type { CompiledAgent } from '../compiler/index.js';
import { REALTIME_PROFILE, type AgentSpec, type LocalizedText } from '../dsl/index.js';
import { ProviderError } from '../providers/errors.js';
import type { LanguageModel, SpeechToText, SttStream, TextToSpeech, Transcript } from '../providers/types.js';
import type { CallTransport } from '../transports/types.js';
import type { Clock } from '../util/clock.js';
import type { CallRecord, TurnRecord } from './call-record.js';
import { Conversation, type ConversationEntry } from './conversation.js';
import type { CallEvent, MachineEvent } from './events.js';
import { InboundPipeline } from './inbound-pipeline.js';
import { Reply, startRequest, type ModelChoice, type ReplyPlan } from './reply.js';
import { routeTurn } from './router.js';
import { BargeInTracker } from './barge-in-tracker.js';
import { CallerUtterance } from './caller-utterance.js';
import { PreemptiveDraft } from './preemptive-draft.js';
import { localize, systemPromptFor } from './prompts.js';

/** The providers a call uses. `llm` resolves a model profile name (or `realtime`) to a language model. */
export interface CallProviders {
  readonly stt: SpeechToText;
  readonly tts: TextToSpeech;
  llm(profile: string): LanguageModel;
  /** Voice activity detector for this call (one per call: detectors keep state). */
  readonly vad: Vad;
  /**
   * Told what the caller heard when the agent is cut off (barge-in or hang-up): speech-to-speech providers
   * truncate the model's audio item to `heardMs` so the model's own history matches what was heard.
   */
  onAgentCut?(cut: { readonly heardMs: number; readonly heardText: string }): void;
  /**
   * Called once when the call starts: degradations the providers handle themselves (a fallback voice taking
   * over) are reported through `report`, so they appear as call events and in the record.
   */
  attach?(report: (source: string, error: { readonly message: string; readonly retryable: boolean }) => void): void;
  /**
   * Dualplex with `inference.realtime.degradeTo`: the recogniser that takes over when `stt` is lost for good
   * (the call goes on as a cascade; realtime turns are answered by the `degradeTo` profile).
   */
  readonly degradedStt?: SpeechToText;
}

/** Everything a call needs, injected. */
export interface CallDeps {
  readonly callId: string;
  readonly spec: AgentSpec;
  readonly compiled: CompiledAgent;
  readonly providers: CallProviders;
  readonly transport: CallTransport;
  readonly clock: Clock;
  readonly emit: (event: CallEvent) => void;
}

/**
 * The behaviour behind the compiled chart's named actions, guards, delays and the `reply` actor, for one call.
 * It owns the call's mutable state (conversation, utterance, record) so the statechart context stays a single
 * reference; `machine.ts` maps names to the methods here.
 */
export class CallController {
  readonly spec: AgentSpec;
  readonly conversation = new Conversation();
  readonly record: CallRecord;
  readonly pipeline: InboundPipeline;
  readonly playout: Playout;
  language: string;
  actor: AnyActorRef | undefined;
  private readonly startedAt: number;
  private stt: SttStream | undefined;
  private utterance = new CallerUtterance();
  private plan: ReplyPlan | undefined;
  private reply: Reply | undefined;
  private replyEntry: ConversationEntry | undefined;
  private turn: TurnRecord | undefined;
  private replyTimes: { committedAt?: number; firstTokenAt?: number; firstAudioAt?: number } = {};
  private readonly draft = new PreemptiveDraft();
  private readonly bargeIns: BargeInTracker;
  private lastCallerActivityAt: number;
  private reprompts = 0;
  /** Why the call ends once the queued fixed reply has been played (a goodbye, the apology of a lost recogniser). */
  private hangupAfterReply: 'silence' | 'error' | undefined;
  private audioOffsetMs = 0;
  private ended = false;
  private cutAtMs: number | undefined;
  private lastReplyText: string | undefined;
  private lateForDiscarded = false;
  /** The recogniser in use: the providers' `stt`, or `degradedStt` once the call went on as a cascade. */
  private recogniser: SpeechToText;
  /** The realtime session was lost and the call goes on as a cascade (`inference.realtime.degradeTo`). */
  private degraded = false;
  /** The recogniser's own VAD (`capabilities.speechEvents`): is it hearing speech, and since when (call time). */
  private readonly recogniserVad = { speaking: false, startedAtMs: -Infinity };

  constructor(private readonly deps: CallDeps) {
    this.spec = deps.spec;
    this.recogniser = deps.providers.stt;
    this.language = deps.spec.languages.default;
    this.startedAt = deps.clock.now();
    this.lastCallerActivityAt = 0;
    this.record = {
      callId: deps.callId,
      agent: { name: deps.spec.name, mode: deps.spec.inference.mode, ...(deps.compiled.agent.sourceHash ? { sourceHash: deps.compiled.agent.sourceHash } : {}) },
      startedAtMs: 0,
      transcript: this.conversation.entries,
      turns: [],
      bargeIns: [],
      failures: [],
      languageSwitches: [],
    };
    this.bargeIns = new BargeInTracker(this.record.bargeIns, (event) => this.emit(event));
    deps.providers.attach?.((source, error) => this.recordFailure(source, error));
    const vad = deps.spec.turnTaking.vad;
    const echo = createEchoHandler({ ...deps.spec.echo, sampleRate: deps.transport.sampleRate });
    this.pipeline = new InboundPipeline(deps.providers.vad, { threshold: vad.threshold, minSpeechMs: vad.minSpeechMs, milestonesMs: deps.compiled.speechMilestonesMs, echo }, {
      onSpeechStart: (onsetMs) => this.send({ type: 'CALLER.SPEECH_START', onsetMs: onsetMs + this.audioOffsetMs }),
      onSpeechMilestone: (speechMs) => this.send({ type: 'CALLER.SPEECH_MS', speechMs }),
      onSpeechEnd: (lastSpeechMs) => this.send({ type: 'CALLER.SPEECH_END', lastSpeechMs: lastSpeechMs + this.audioOffsetMs }),
    });
    this.playout = new Playout(deps.clock, deps.transport, {
      onFirstFrame: () => this.noteFirstFrame(),
      onDrained: () => this.send({ type: 'PLAYOUT.DRAINED' }),
      onFrameSent: (frame) => echo.onOutbound(frame),
    });
  }

  /** Call time: milliseconds since the call started. */
  now(): number {
    return this.deps.clock.now() - this.startedAt;
  }

  send(event: MachineEvent): void {
    if (!this.ended) this.actor?.send(event);
  }

  emit(event: CallEvent): void {
    this.deps.emit(event);
  }

  /** The voice of a language, else the first voice configured. */
  private voiceFor(language: string): string | undefined {
    return this.spec.voice.voices[language] ?? Object.values(this.spec.voice.voices)[0];
  }

  /** Opens the recogniser and warms up the voice of the call's language. Called once, before the first frame. */
  openStt(): void {
    const { tts } = this.deps.providers;
    const voice = this.voiceFor(this.language);
    if (voice) tts.prewarm?.({ voice, language: this.language, sampleRate: this.deps.transport.sampleRate });
    this.stt = this.recogniser.start({ language: this.language, languageHints: this.spec.stt.languageHints, sampleRate: this.deps.transport.sampleRate }, {
      onPartial: (t) => {
        this.emit({ type: 'transcript', atMs: this.now(), final: false, text: t.text, ...(t.language ? { language: t.language } : {}) });
        if (this.lateForDiscarded) return;
        this.utterance.notePartial(t);
        this.send({ type: 'STT.PARTIAL', transcript: t });
      },
      onFinal: (t) => {
        this.emit({ type: 'transcript', atMs: this.now(), final: true, text: t.text, ...(t.language ? { language: t.language } : {}) });
        if (this.lateForDiscarded) return;
        this.send({ type: 'STT.FINAL', transcript: t });
      },
      onError: (error) => this.recordFailure('stt', error),
      onSpeechStarted: (audioStartMs) => {
        this.recogniserVad.speaking = true;
        this.recogniserVad.startedAtMs = this.now();
        this.send({ type: 'STT.SPEECH_START', audioStartMs });
      },
      onSpeechStopped: () => {
        this.recogniserVad.speaking = false;
      },
      // The call can no longer hear the caller: it goes on as a cascade if the agent says how, or rather than
      // stay deaf, the agent apologises and hangs up.
      onLost: (error) => (this.canDegrade() ? this.degradeToCascade(error) : this.send({ type: 'STT.LOST', error })),
    });
  }

  /** The per-frame path: recogniser, then VAD -> chart events, all synchronous. */
  pushAudio(frame: Int16Array): void {
    if (this.ended) return;
    this.stt?.pushAudio(frame);
    // Audio time -> call time: the frame that just arrived ends now.
    this.audioOffsetMs = this.now() - (this.pipeline.nowMs + 20);
    this.pipeline.pushFrame(frame);
  }

  // ---- caller ---------------------------------------------------------------------------------

  noteCallerSpeechStart(onsetMs: number): void {
    this.lastCallerActivityAt = this.now();
    this.reprompts = 0;
    this.emit({ type: 'caller.speech', atMs: this.now(), speaking: true });
    this.lateForDiscarded = false;
    if (this.isAgentSpeaking()) this.bargeIns.onset(onsetMs);
  }

  noteCallerSpeechEnd(lastSpeechMs: number): void {
    this.stt?.endOfSpeech?.();
    this.utterance.lastSpeechEndMs = lastSpeechMs;
    this.lastCallerActivityAt = this.now();
    this.emit({ type: 'caller.speech', atMs: this.now(), speaking: false });
  }

  get utteranceState(): Readonly<CallerUtterance> {
    return this.utterance;
  }

  /** Forgets the current utterance (noise, backchannel, committed). */
  discardUtterance(): void {
    this.utterance = new CallerUtterance();
    this.pipeline.resetUtterance();
    // The recogniser lags the audio: words it reports before the caller's next speech onset belong to what
    // was just discarded (a backchannel, a committed turn) and must not start the next turn.
    this.lateForDiscarded = !this.pipeline.isSpeaking;
  }

  /** The recogniser delivers words while the caller speaks (barge-in can wait for words). */
  get sttHasPartials(): boolean {
    return this.recogniser.capabilities.partials;
  }

  /** The call can still go on as a cascade: the agent names a `degradeTo` profile and has its recogniser. */
  private canDegrade(): boolean {
    return !this.degraded && this.deps.providers.degradedStt !== undefined && this.spec.inference.realtime?.degradeTo !== undefined;
  }

  /**
   * The realtime session is lost for good and the agent names a `degradeTo` profile: the cascade recogniser
   * takes over from the next frame, and realtime turns go to that profile (see {@link modelChoice}). A reply
   * still on the lost session fails as any reply does, and the caller is heard again.
   */
  private degradeToCascade(error: { readonly message: string }): void {
    const profile = this.spec.inference.realtime?.degradeTo;
    this.recordFailure('stt', { message: `the realtime session is lost (${error.message}): going on as a cascade, heard by ${this.deps.providers.degradedStt!.id} and answered by \`${profile}\``, retryable: false });
    this.degraded = true;
    this.recogniser = this.deps.providers.degradedStt!;
    const lost = this.stt;
    this.stt = undefined;
    lost?.close();
    this.openStt();
  }

  /**
   * Whether the recogniser's own VAD has heard the pending barge-in: it hears speech now, or heard some start
   * after the barge-in's onset. True when the recogniser has no VAD to ask (`capabilities.speechEvents`).
   */
  recogniserHeardBargeIn(): boolean {
    if (!this.recogniser.capabilities.speechEvents) return true;
    const onsetMs = this.bargeIns.pendingOnsetMs;
    return this.recogniserVad.speaking || (onsetMs !== undefined && this.recogniserVad.startedAtMs >= onsetMs);
  }

  isAgentSpeaking(): boolean {
    const snapshot = this.actor?.getSnapshot() as { hasTag(tag: string): boolean } | undefined;
    return snapshot?.hasTag('agent-speaking') ?? false;
  }

  // ---- barge-in -------------------------------------------------------------------------------

  reactToOnset(mode: 'pause' | 'duck' | 'continue', duckGainDb: number): void {
    if (mode === 'pause') this.playout.pause();
    else if (mode === 'duck') this.playout.duck(duckGainDb);
    this.bargeIns.reacted(mode, this.now());
  }

  resumePlayout(kind: 'false' | 'backchannel'): void {
    this.playout.resume();
    const unheard = kind === 'false' && this.spec.bargeIn.confirm.serverVad && !this.recogniserHeardBargeIn();
    this.bargeIns.resumed(kind, this.now(), unheard ? "the recogniser's VAD heard no speech" : undefined);
  }

  cutPlayout(options: { at: 'word-boundary' | 'immediate'; maxWordTailMs: number; fadeMs: number }): void {
    this.cutAtMs = this.playout.cut(options);
  }

  clearTransport(): void {
    this.playout.flushTransport();
  }

  /** The assistant message becomes exactly the words heard before the cut, flagged interrupted (by `cutBy`). */
  truncateToHeard(cutBy: 'caller' | 'failure' = 'caller'): void {
    const entry = this.replyEntry;
    if (!entry) return;
    const full = this.reply?.text ?? entry.text;
    const heardMs = this.cutAtMs ?? this.playout.heardPositionMs();
    entry.intendedText = full;
    entry.text = this.playout.heardPrefix(full, heardMs);
    entry.interrupted = true;
    entry.cutBy = cutBy;
    // Stop the reply before editing the model's history: a realtime model would otherwise go on writing into
    // the item being truncated or replaced (response.cancel first, then the edit). Leaving `responding`
    // cancels it again, harmlessly.
    this.reply?.cancel();
    this.deps.providers.onAgentCut?.({ heardMs, heardText: entry.text });
  }

  recordBargeIn(reason: string): void {
    if (this.turn) this.turn.outcome = 'interrupted';
    this.bargeIns.interrupted(reason, this.now(), this.heardOfReply());
  }

  /** What the caller heard of the current reply, and what it meant to say. */
  private heardOfReply(): { text: string; intended: string } | undefined {
    const entry = this.replyEntry;
    return entry ? { text: entry.text, intended: entry.intendedText ?? entry.text } : undefined;
  }

  // ---- turns ----------------------------------------------------------------------------------

  /** Each final closes one segment; a caller who paused and went on has several, joined into one turn. */
  noteFinalTranscript(transcript: Transcript): void {
    this.utterance.noteFinal(transcript, this.now());
  }

  useLatestPartialAsFinal(): void {
    this.utterance.useLatestPartialAsFinal(this.now());
  }

  /** Creates the turn record and user entry; the chart then raises `TURN.COMMIT`. */
  commitTurn(endpointCue: TurnRecord['endpointCue']): void {
    const final = this.utterance.final ?? { text: '', words: [], final: true };
    const speechEndMs = this.utterance.lastSpeechEndMs ?? this.now();
    const index = this.record.turns.length + 1;
    const sttFinalMs = this.utterance.finalAtMs !== undefined ? Math.max(0, this.utterance.finalAtMs - speechEndMs) : undefined;
    this.turn = {
      index,
      userText: final.text,
      language: this.language,
      speechEndMs,
      ...(endpointCue ? { endpointCue } : {}),
      spans: { endpointingMs: this.now() - speechEndMs, ...(sttFinalMs !== undefined ? { sttFinalMs } : {}) },
    };
    this.record.turns.push(this.turn);
    this.conversation.addUser(final.text, this.language, this.now());
    this.replyTimes = { committedAt: this.now() };
    this.discardUtterance();
  }

  /** The statechart left `thinking` because the caller spoke again: keep their words, drop our reply. */
  abandonReply(): void {
    this.abandonTurn(this.turn, 1);
  }

  /**
   * `turn` gets no answer: its outcome is `abandoned` (unless already decided), the caller's words it answered
   * (the `fromEnd`-th caller entry from the end) are marked unanswered, and an empty reply entry goes.
   */
  private abandonTurn(turn: TurnRecord | undefined, fromEnd: number): void {
    if (turn && !turn.outcome) turn.outcome = 'abandoned';
    const users = this.conversation.entries.filter((entry) => entry.role === 'user');
    const answered = users.at(-fromEnd);
    if (answered) answered.unanswered = true;
    this.removeEmptyReplyEntry();
  }

  // ---- replies --------------------------------------------------------------------------------

  queueGreeting(): void {
    const text = this.localized(this.spec.prompt.greeting);
    if (text) this.setPlan({ kind: 'fixed', text, purpose: 'greeting' });
  }

  queueFixed(purpose: 'reprompt' | 'goodbye' | 'unavailable'): void {
    const text = this.localized(this.spec.prompt[purpose]) ?? '';
    this.setPlan({ kind: 'fixed', text, purpose });
    if (purpose === 'reprompt') this.reprompts++;
    else this.hangupAfterReply = purpose === 'goodbye' ? 'silence' : 'error';
  }

  /** Routes the committed turn and prepares the LLM reply, adopting a preemptive draft of the same text. */
  queueReply(): void {
    const turn = this.turn;
    if (!turn) return;
    if (this.reply) this.supersedeReply();
    const route = routeTurn(this.spec, { transcript: turn.userText, language: this.language, turn: turn.index });
    const primary = this.modelChoice(route.profile);
    const fallbackName = this.spec.models[route.profile]?.fallback;
    const messages = this.conversation.toMessages(this.systemPrompt());
    // A language switch or a truncated agent message since the draft started makes it a different question.
    const { stream: draft, outcome } = this.draft.adopt(route.profile, messages);
    if (outcome) turn.draft = outcome;
    turn.route = { profile: route.profile, rule: route.rule, intents: route.intents };
    const facts = { language: this.language, turn: turn.index };
    // The request goes out now rather than when the chart has entered `responding` and started the reply
    // actor: that comes a few tenths of a millisecond later, on the path of every turn.
    const stream = draft ?? startRequest(primary, messages, facts);
    this.setPlan({ kind: 'llm', messages, facts, primary, ...(fallbackName ? { fallback: this.modelChoice(fallbackName) } : {}), stream });
  }

  /**
   * A newer caller turn supersedes the reply still running (the chart re-enters `responding`). It is cancelled
   * here, before the new request goes out: on a shared Realtime session a cancel sent after the new
   * `response.create` would cancel the new response too. The context keeps what the caller heard of it; a
   * reply nobody heard goes, and the turn it answered is abandoned (the new request carries its words).
   */
  private supersedeReply(): void {
    const previous = this.record.turns.at(-2);
    if (this.playout.heardPositionMs() > 0) {
      this.truncateToHeard('caller');
      this.playout.flushTransport();
      if (previous && !previous.outcome) previous.outcome = 'interrupted';
      // The caller's speech over the reply was too short to confirm as a barge-in, but it ended the reply all
      // the same: its attempt is decided here, or the call record would keep it pending.
      this.bargeIns.interrupted('a newer caller turn', this.now(), this.heardOfReply());
      return;
    }
    this.reply?.cancel();
    if (this.replyEntry) this.replyEntry.text = '';
    // The new turn's caller entry is already in: the superseded reply answered the one before it.
    this.abandonTurn(previous, 2);
  }

  /** Queues the next reply; a queued model request nobody will read any more is aborted. */
  private setPlan(plan: ReplyPlan | undefined): void {
    if (this.plan?.kind === 'llm' && this.plan.stream !== (plan?.kind === 'llm' ? plan.stream : undefined)) this.plan.stream?.abort();
    this.plan = plan;
  }

  startDraft(): void {
    const partial = this.utterance.partial;
    const text = partial?.text.trim();
    if (!text) return;
    const route = routeTurn(this.spec, { transcript: text, language: this.language, turn: this.record.turns.length + 1 });
    // A draft on the realtime model would be a response on the call's shared session, created before the
    // caller's audio is committed (and, speech-to-speech, spoken aloud): drafts are for stateless models only.
    // Degraded to a cascade, the realtime turns go to a chat profile (modelChoice), which can draft.
    if (route.profile === REALTIME_PROFILE && !this.degraded) return;
    const messages = [...this.conversation.toMessages(this.systemPrompt()), { role: 'user' as const, content: text }];
    this.draft.start(text, route.profile, messages, this.modelChoice(route.profile), { language: this.language, turn: this.record.turns.length + 1 });
  }

  cancelDraft(): void {
    this.draft.cancel();
  }

  /** Starts the queued reply: called when the `reply` actor starts. */
  startReply(): Reply | undefined {
    const plan = this.plan;
    this.plan = undefined;
    if (!plan) return undefined;
    this.playout.begin();
    this.replyEntry = this.conversation.addAssistant('', this.language, this.now());
    const voice = this.voiceFor(this.language)!;
    const reply = new Reply(plan, { tts: this.deps.providers.tts, voice, language: this.language, sampleRate: this.deps.transport.sampleRate, speed: this.spec.voice.settings.speed }, {
      onFirstToken: (profile) => {
        this.replyTimes.firstTokenAt = this.now();
        if (this.turn && this.replyTimes.committedAt !== undefined && plan.kind === 'llm') this.turn.spans.llmFirstTokenMs = this.now() - this.replyTimes.committedAt;
        this.send({ type: 'REPLY.FIRST_TOKEN', profile });
      },
      onText: (delta) => {
        if (this.replyEntry) this.replyEntry.text += delta;
        this.emit({ type: 'agent.text', atMs: this.now(), delta });
      },
      onFirstAudio: () => {
        this.replyTimes.firstAudioAt = this.now();
        if (this.turn && plan.kind === 'llm' && this.replyTimes.firstTokenAt !== undefined) this.turn.spans.ttsFirstAudioMs = this.now() - this.replyTimes.firstTokenAt;
        // The chart hears of it right after this chunk is in playout (onAudio, next) and its first frame is on
        // the wire: playout does not wait for the chart, and the transition (0.1-0.3 ms) is not worth
        // holding the first frame back for.
        queueMicrotask(() => this.send({ type: 'REPLY.FIRST_AUDIO' }));
      },
      onAudio: (chunk) => this.playout.append(chunk.pcm, chunk.alignment),
      onSpeechDone: (hadAudio) => (hadAudio ? this.playout.complete() : this.send({ type: 'REPLY.ENDED_SILENT' })),
      onFailure: (error) => this.send({ type: 'REPLY.FAILED', error }),
    });
    this.reply = reply;
    if (plan.kind === 'fixed') this.replyTimes = {};
    reply.start();
    return reply;
  }

  /** The `reply` actor stopped (state left): cancel whatever is still running. */
  stopReply(reply: Reply | undefined): void {
    if (reply) this.lastReplyText = reply.text;
    reply?.cancel();
    if (this.reply === reply) this.reply = undefined;
  }

  /** The current (or last) agent utterance: text, aligned words and heard position. */
  agentSpeech(): { text: string; words: readonly TimedWord[]; heardMs: number } | undefined {
    const text = this.reply?.text ?? this.lastReplyText;
    if (text === undefined) return undefined;
    return { text, words: this.playout.alignedWords, heardMs: this.playout.heardPositionMs() };
  }

  hedge(): void {
    this.reply?.hedge();
  }

  get currentPlan(): ReplyPlan | undefined {
    return this.reply ? undefined : this.plan;
  }

  /** The reply has been played to the end. */
  completeReply(): void {
    if (this.turn && this.reply?.usedFallback && this.turn.route) this.turn.route.fallbackUsed = true;
    if (this.turn && !this.turn.outcome && this.reply?.answeredBy === this.turn.route?.profile) this.turn.outcome = 'answered';
    if (this.turn && !this.turn.outcome) this.turn.outcome = 'answered';
    if (this.turn) this.emit({ type: 'turn', atMs: this.now(), record: this.turn });
    this.removeEmptyReplyEntry();
    this.turn = undefined;
    // A reprompt is the agent talking to a silent caller: the caller's silence keeps counting through it, or
    // `hangupAfterMs` would never be reached. (Any caller speech resets `reprompts` to 0.) After the goodbye it
    // restarts, so no second goodbye begins while the hang-up waits for the far end to play this one.
    if (this.reprompts === 0 || this.hangupAfterReply) this.lastCallerActivityAt = this.now();
    const endReason = this.hangupAfterReply ?? (this.reply?.endCallRequested ? 'agent-hangup' : undefined);
    if (endReason) {
      // Hang up once the far end has played the goodbye, not when its last frame left: hanging up drops the
      // transport's playout buffer.
      const hangUp = () => this.send({ type: 'CALL.HANGUP', reason: endReason });
      const bufferedMs = this.deps.transport.bufferedMs();
      if (bufferedMs > 0) this.deps.clock.setTimeout(hangUp, bufferedMs);
      else hangUp();
    }
  }

  recordReplyFailure(error: ProviderError): void {
    this.recordFailure('reply', error);
    this.failTurn();
    // The reply broke off mid-speech and the agent is idle again: stop rather than play audio nobody supervises.
    this.cutReplyAsHeard();
    this.removeEmptyReplyEntry();
    this.lastCallerActivityAt = this.now();
    // A goodbye or an apology that could not be spoken still ends the call: it must not stay on the line.
    if (this.hangupAfterReply) this.send({ type: 'CALL.HANGUP', reason: this.hangupAfterReply });
  }

  /**
   * The recogniser can hear nothing more: stop the reply being spoken (at a word boundary; the context keeps
   * what the caller heard), then queue `prompt.unavailable`, after which the call hangs up (`endReason: error`).
   */
  sayUnavailable(error: { readonly message: string }): void {
    this.recordFailure('stt', { message: `the caller can no longer be heard (${error.message}): the agent says prompt.unavailable and hangs up`, retryable: false });
    if (this.reply && this.replyEntry) {
      this.cutReplyAsHeard();
      this.reply.cancel();
      this.removeEmptyReplyEntry();
    }
    if (!this.turn?.outcome) this.failTurn();
    this.turn = undefined;
    this.queueFixed('unavailable');
  }

  /** The watchdog gave up a reply that produced no audio: record it; leaving `responding` aborts the reply. */
  abandonStuckReply(): void {
    const profile = this.turn?.route?.profile ?? 'reply';
    this.recordFailure('watchdog', { message: `no audio from the reply (${profile}) in time: reply given up, listening again`, retryable: true });
    this.failTurn();
    this.removeEmptyReplyEntry();
    this.lastCallerActivityAt = this.now();
  }

  recordSlowFirstToken(): void {
    this.recordFailure('llm', new ProviderError({ provider: this.turn?.route?.profile ?? 'llm', kind: 'timeout', message: 'first token later than firstTokenTimeoutMs (no fallback configured)', retryable: false }));
  }

  /** Current routed model's first-token timeout, for the `firstTokenTimeoutMs` delay. */
  firstTokenTimeoutMs(): number {
    const profile = this.turn?.route?.profile;
    const fromSpec = profile ? this.spec.models[profile]?.firstTokenTimeoutMs : undefined;
    return fromSpec ?? 1500;
  }

  routedModelHasFallback(): boolean {
    const profile = this.turn?.route?.profile;
    return profile !== undefined && this.spec.models[profile]?.fallback !== undefined;
  }

  // ---- caller silence -------------------------------------------------------------------------

  callerSilenceDelayMs(): number {
    const { repromptAfterMs, hangupAfterMs } = this.spec.turnTaking.callerSilence;
    const silentFor = this.now() - this.lastCallerActivityAt;
    return this.reprompts === 0 ? Math.max(0, repromptAfterMs - silentFor) : Math.max(0, Math.min(repromptAfterMs, hangupAfterMs - silentFor));
  }

  callerSilenceReachedHangup(): boolean {
    return this.now() - this.lastCallerActivityAt >= this.spec.turnTaking.callerSilence.hangupAfterMs;
  }

  // ---- language -------------------------------------------------------------------------------

  switchLanguage(to: string): void {
    if (to === this.language) return;
    const from = this.language;
    this.language = to;
    this.stt?.setLanguage(to);
    this.record.languageSwitches.push({ atMs: this.now(), from, to });
    this.emit({ type: 'language', atMs: this.now(), from, to });
  }

  /** System prompt plus the instruction for the current language. */
  systemPrompt(): string {
    return systemPromptFor(this.spec, this.language);
  }

  // ---- end ------------------------------------------------------------------------------------

  noteFirstFrame(): void {
    const t = this.turn;
    if (t && this.replyTimes.firstAudioAt !== undefined) {
      t.spans.firstFrameOutMs = this.now() - this.replyTimes.firstAudioAt;
      t.spans.responseMs = this.now() - t.speechEndMs;
    }
    this.emit({ type: 'agent.audio', atMs: this.now(), started: true });
  }

  recordFailure(source: string, error: { readonly message: string; readonly retryable: boolean }): void {
    const failure = { atMs: this.now(), source, message: error.message, retryable: error.retryable };
    this.record.failures.push(failure);
    this.emit({ type: 'failure', atMs: this.now(), failure });
  }

  /** Finalises the record. Idempotent; safe to call from failure paths. */
  finish(reason: NonNullable<CallRecord['endReason']>): CallRecord {
    if (this.ended) return this.record;
    this.ended = true;
    if (this.replyEntry && this.reply) {
      // Hung up mid-utterance: keep what was heard.
      const full = this.reply.text;
      const heard = this.playout.heardPrefix(full, this.playout.heardPositionMs());
      if (heard.length < full.length) {
        this.replyEntry.intendedText = full;
        this.replyEntry.text = heard;
        this.replyEntry.interrupted = true;
        this.replyEntry.cutBy = 'hangup';
      }
      if (this.turn && !this.turn.outcome) this.turn.outcome = 'hangup';
    }
    this.reply?.cancel();
    this.setPlan(undefined);
    this.cancelDraft();
    this.playout.stop();
    this.stt?.close();
    this.removeEmptyReplyEntry();
    this.record.endedAtMs = this.now();
    this.record.endReason = reason;
    // Ended on our side (goodbye, error): the line must be released too. The caller or the transport ending
    // it needs no hang-up back.
    if (reason !== 'caller-hangup' && reason !== 'transport-closed') {
      try {
        this.deps.transport.hangup(reason);
      } catch (error) {
        this.recordFailure('transport', { message: `hangup failed: ${(error as Error)?.message ?? String(error)}`, retryable: false });
      }
    }
    this.emit({ type: 'ended', atMs: this.now(), record: this.record });
    return this.record;
  }

  /** The current turn, if any, failed: its record says so and is reported. */
  private failTurn(): void {
    if (!this.turn) return;
    this.turn.outcome = 'failed';
    this.emit({ type: 'turn', atMs: this.now(), record: this.turn });
  }

  /**
   * A reply that stops for a failure (not a barge-in) stops at a word boundary, and the context keeps only the
   * words the caller heard of it. Nothing to do before its first word.
   */
  private cutReplyAsHeard(): void {
    if (!this.replyEntry || this.replyEntry.text === '') return;
    this.cutPlayout({ ...this.spec.bargeIn.cut });
    this.clearTransport();
    this.truncateToHeard('failure');
  }

  private removeEmptyReplyEntry(): void {
    const entry = this.replyEntry;
    if (entry && entry.text === '' && !entry.interrupted) {
      const index = this.conversation.entries.indexOf(entry);
      if (index >= 0) this.conversation.entries.splice(index, 1);
    }
    this.replyEntry = undefined;
  }

  private modelChoice(requested: string): ModelChoice {
    const degradeTo = this.spec.inference.realtime?.degradeTo;
    const profile = this.degraded && requested === REALTIME_PROFILE && degradeTo ? degradeTo : requested;
    const spec = this.spec.models[profile];
    return {
      profile,
      llm: this.deps.providers.llm(profile),
      model: spec?.model ?? this.spec.inference.realtime?.model ?? profile,
      temperature: spec?.temperature ?? 0.7,
      maxOutputTokens: spec?.maxOutputTokens ?? 400,
    };
  }

  private localized(text: LocalizedText | undefined): string | undefined {
    return localize(text, this.language, this.spec.languages.default);
  }
}
