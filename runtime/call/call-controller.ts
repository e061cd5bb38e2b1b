import { createEchoHandler } from '../audio/echo.js';
import { Playout, type TimedWord } from '../audio/playout.js';
import type { CompiledAgent } from '../compiler/index.js';
import { localize, systemPromptFor, type AgentSpec } from '../dsl/index.js';
import type { CallProviders } from '../providers/call-providers.js';
import { ProviderError } from '../providers/errors.js';
import type { Transcript } from '../providers/types.js';
import type { CallTransport, PlayedReport, TransportStartInfo } from '../transports/types.js';
import type { Clock } from '../util/clock.js';
import { BargeInTracker } from './barge-in-tracker.js';
import type { CallRecord, TurnRecord } from './call-record.js';
import { CallMeters } from './call-meters.js';
import { CallerUtterance } from './caller-utterance.js';
import { Conversation, type ConversationEntry } from './conversation.js';
import type { CallEventBody, FailureSource, MachineEvent } from './events.js';
import { cutToHeard, type CutBy } from './heard-cut.js';
import { InboundPipeline } from './inbound-pipeline.js';
import { RecogniserLink } from './recogniser-link.js';
import { Reply } from './reply.js';
import { ReplyPlanner, type FixedPurpose } from './reply-planner.js';
import { TurnLedger } from './turn-ledger.js';

/** Why a call ends once its last reply has been played. */
type EndAfterReply = 'silence' | 'error' | 'agent-hangup';

/** Everything a call needs, injected. */
export interface CallDeps {
  readonly callId: string;
  readonly spec: AgentSpec;
  readonly compiled: CompiledAgent;
  readonly providers: CallProviders;
  readonly transport: CallTransport;
  readonly clock: Clock;
  readonly emit: (event: CallEventBody) => void;
  /** ISO time the call started. */
  readonly startedAt: string;
  /** Registry version of the agent. */
  readonly version?: string;
  /** Sends an event to the call's chart (a no-op once the call has ended). */
  readonly send: (event: MachineEvent) => void;
  /** Whether the chart's active states carry `tag` (`agent-speaking`, ...). */
  readonly hasTag: (tag: string) => boolean;
}

/**
 * The behaviour behind the compiled chart's named actions, guards and delays for one call: a facade over the
 * call's parts (recogniser link, turn ledger, reply planner, playout, barge-in tracker, meters), holding the
 * conversation and the record. `machine.ts` maps the chart's names to the methods here.
 */
export class CallController {
  readonly spec: AgentSpec;
  readonly conversation = new Conversation();
  readonly record: CallRecord;
  readonly pipeline: InboundPipeline;
  readonly playout: Playout;
  language: string;
  private readonly startedAt: number;
  private readonly recogniser: RecogniserLink;
  private readonly turns: TurnLedger;
  private readonly planner: ReplyPlanner;
  private readonly bargeIns: BargeInTracker;
  private readonly meters: CallMeters;
  private utterance = new CallerUtterance();
  private reply: Reply | undefined;
  private replyEntry: ConversationEntry | undefined;
  private lastCallerActivityAt = 0;
  private reprompts = 0;
  /** Why the call ends once the queued or playing reply has been heard (a goodbye, an apology, the model's wish). */
  private endAfterReply: EndAfterReply | undefined;
  private audioOffsetMs = 0;
  private ended = false;
  private cutAtMs: number | undefined;
  private lastReplyText: string | undefined;
  private lateForDiscarded = false;

  constructor(private readonly deps: CallDeps) {
    const { spec, providers, transport } = deps;
    this.spec = spec;
    this.language = spec.languages.default;
    this.startedAt = deps.clock.now();
    const { sourceHash } = deps.compiled.agent;
    this.record = {
      callId: deps.callId,
      agent: { name: spec.name, mode: spec.inference.mode, ...(sourceHash ? { sourceHash } : {}), ...(deps.version ? { version: deps.version } : {}) },
      startedAt: deps.startedAt,
      startedAtMs: 0,
      transcript: this.conversation.entries,
      turns: [],
      bargeIns: [],
      failures: [],
      languageSwitches: [],
      dtmf: [],
    };
    this.bargeIns = new BargeInTracker(this.record.bargeIns, (event) => this.emit(event));
    this.turns = new TurnLedger(this.record.turns, (event) => this.emit(event), () => this.now());
    this.planner = new ReplyPlanner(spec, providers, () => this.recogniser.degraded);
    this.meters = new CallMeters((event) => this.emit(event), { heard: () => (this.replyEntry ? { heardMs: this.playout.heardPositionMs(), words: this.playout.alignedWords } : undefined) });
    this.recogniser = new RecogniserLink(spec, providers.stt, providers.degradedStt, transport.sampleRate, {
      now: () => this.now(),
      onPartial: (t) => this.heardWords(t, false),
      onFinal: (t) => this.heardWords(t, true),
      onError: (error) => this.recordFailure('stt', error),
      onSpeechStarted: (audioStartMs) => this.send({ type: 'STT.SPEECH_START', audioStartMs }),
      onLost: (error) => this.send({ type: 'STT.LOST', error }),
      onDegraded: (message) => this.recordFailure('stt', { message, retryable: false }),
    });
    providers.attach?.(
      (source, error) => this.recordFailure(source, error),
      (metric) => this.emit({ type: 'provider.metric', atMs: this.now(), provider: metric.provider, kind: metric.kind, value: metric.value }),
    );
    const vad = spec.turnTaking.vad;
    const echo = createEchoHandler({ ...spec.echo, sampleRate: transport.sampleRate });
    this.pipeline = new InboundPipeline(providers.vad, { threshold: vad.threshold, minSpeechMs: vad.minSpeechMs, milestonesMs: deps.compiled.speechMilestonesMs, echo }, {
      onSpeechStart: (onsetMs) => this.send({ type: 'CALLER.SPEECH_START', onsetMs: onsetMs + this.audioOffsetMs }),
      onSpeechMilestone: (speechMs) => this.send({ type: 'CALLER.SPEECH_MS', speechMs }),
      onSpeechEnd: (lastSpeechMs) => this.send({ type: 'CALLER.SPEECH_END', lastSpeechMs: lastSpeechMs + this.audioOffsetMs }),
    });
    this.playout = new Playout(deps.clock, transport, {
      onFirstFrame: () => this.noteFirstFrame(),
      onDrained: () => this.send({ type: 'PLAYOUT.DRAINED' }),
      onFrameSent: (frame) => {
        echo.onOutbound(frame);
        this.meters.onOutbound(frame);
      },
      onStarved: () => this.send({ type: 'PLAYOUT.STARVED' }),
      onFed: () => this.send({ type: 'PLAYOUT.FED' }),
    });
  }

  /** Call time: milliseconds since the call started. */
  now(): number {
    return this.deps.clock.now() - this.startedAt;
  }

  send(event: MachineEvent): void {
    if (!this.ended) this.deps.send(event);
  }

  emit(event: CallEventBody): void {
    this.deps.emit(event);
  }

  /** Tells observers the call has started. Called once, before anything else happens. */
  announceStart(): void {
    this.emit({ type: 'call.started', atMs: this.now(), mode: this.spec.inference.mode, language: this.language, sampleRate: this.deps.transport.sampleRate });
  }

  /** Opens the recogniser and warms up the voice of the call's language. Called once, before the first frame. */
  openStt(): void {
    const voice = this.voiceFor(this.language);
    if (voice) this.deps.providers.tts.prewarm?.({ voice, language: this.language, sampleRate: this.deps.transport.sampleRate });
    this.recogniser.open(this.language);
  }

  /** The per-frame path: recogniser, then VAD -> chart events, all synchronous. */
  pushAudio(frame: Int16Array): void {
    if (this.ended) return;
    this.recogniser.pushAudio(frame);
    // Audio time -> call time: the frame that just arrived ends now.
    this.audioOffsetMs = this.now() - (this.pipeline.nowMs + 20);
    this.pipeline.pushFrame(frame);
    this.meters.onInbound(frame, this.now());
  }

  // ---- the far end ---------------------------------------------------------------------------

  notePlayed(report: PlayedReport): void {
    if (this.playout.notePlayed(report.mark, report.dropped) === 'end') this.send({ type: 'PLAYOUT.PLAYED' });
  }

  pressDtmf(digit: string): void {
    if (this.ended) return;
    this.record.dtmf.push({ atMs: this.now(), digit });
    this.emit({ type: 'dtmf', atMs: this.now(), digit });
  }

  noteTransportStart(info: TransportStartInfo): void {
    this.record.transport = info;
    this.emit({ type: 'transport.started', atMs: this.now(), info });
  }

  // ---- caller ---------------------------------------------------------------------------------

  private heardWords(t: Transcript, final: boolean): void {
    const words = t.words.map((w) => ({ text: w.text, confidence: w.confidence, stable: w.stable }));
    this.emit({ type: 'transcript', atMs: this.now(), final, text: t.text, ...(t.language ? { language: t.language } : {}), words });
    if (this.lateForDiscarded) return;
    if (final) return this.send({ type: 'STT.FINAL', transcript: t });
    this.utterance.notePartial(t);
    this.send({ type: 'STT.PARTIAL', transcript: t });
  }

  noteCallerSpeechStart(): void {
    this.lastCallerActivityAt = this.now();
    this.reprompts = 0;
    this.emit({ type: 'caller.speech', atMs: this.now(), speaking: true });
    this.lateForDiscarded = false;
  }

  noteCallerSpeechEnd(lastSpeechMs: number): void {
    this.recogniser.endOfSpeech();
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
    return this.recogniser.hasPartials;
  }

  /** Whether the recogniser's own VAD heard the pending barge-in (true when it has none to ask). */
  recogniserHeardBargeIn(): boolean {
    return this.recogniser.heardSince(this.bargeIns.pendingOnsetMs);
  }

  isAgentSpeaking(): boolean {
    return this.deps.hasTag('agent-speaking');
  }

  // ---- barge-in -------------------------------------------------------------------------------

  noteBargeInOnset(onsetMs: number): void {
    this.bargeIns.onset(onsetMs);
  }

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
  truncateToHeard(cutBy: CutBy = 'caller'): void {
    const entry = this.replyEntry;
    if (!entry) return;
    const fullText = this.reply?.text ?? entry.text;
    const heardMs = this.cutAtMs ?? this.playout.heardPositionMs();
    cutToHeard(entry, { fullText, heardText: this.playout.heardPrefix(fullText, heardMs), cutBy });
    // Stop the reply before editing the model's history: a realtime model would otherwise go on writing into
    // the item being truncated or replaced (response.cancel first, then the edit). Leaving `responding`
    // cancels it again, harmlessly.
    this.reply?.cancel();
    this.deps.providers.onAgentCut?.({ heardMs, heardText: entry.text });
  }

  recordBargeIn(reason: string): void {
    const turn = this.turns.current;
    if (turn) turn.outcome = 'interrupted';
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
    const sttFinalMs = this.utterance.finalAtMs !== undefined ? Math.max(0, this.utterance.finalAtMs - speechEndMs) : undefined;
    this.turns.commit({ userText: final.text, language: this.language, speechEndMs, ...(endpointCue ? { endpointCue } : {}), ...(sttFinalMs !== undefined ? { sttFinalMs } : {}) });
    this.conversation.addUser(final.text, this.language, this.now());
    this.discardUtterance();
  }

  /** The statechart left `thinking` because the caller spoke again: keep their words, drop our reply. */
  abandonReply(): void {
    this.abandonTurn(this.turns.current, 1);
  }

  /**
   * `turn` gets no answer: its outcome is `abandoned` (unless already decided), the caller's words it answered
   * (the `fromEnd`-th caller entry from the end) are marked unanswered, and an empty reply entry goes.
   */
  private abandonTurn(turn: TurnRecord | undefined, fromEnd: number): void {
    this.turns.decide(turn, 'abandoned');
    const answered = this.conversation.entries.filter((entry) => entry.role === 'user').at(-fromEnd);
    if (answered) answered.unanswered = true;
    this.removeEmptyReplyEntry();
  }

  // ---- replies --------------------------------------------------------------------------------

  queueGreeting(): void {
    if (localize(this.spec.prompt.greeting, this.language, this.spec.languages.default)) this.planner.queueFixed('greeting', this.language);
  }

  queueFixed(purpose: Exclude<FixedPurpose, 'greeting'>): void {
    this.planner.queueFixed(purpose, this.language);
    if (purpose === 'reprompt') this.reprompts++;
    else this.endAfterReply = purpose === 'goodbye' ? 'silence' : 'error';
  }

  /** Routes the committed turn and prepares the model's reply (its request goes out now). */
  queueReply(): void {
    const turn = this.turns.current;
    if (!turn) return;
    if (this.reply) this.supersedeReply();
    this.planner.queueModelReply(turn, this.conversation.toMessages(this.systemPrompt()), this.language);
  }

  /**
   * A newer caller turn supersedes the reply still running (the chart re-enters `responding`). It is cancelled
   * here, before the new request goes out: on a shared Realtime session a cancel sent after the new
   * `response.create` would cancel the new response too. The context keeps what the caller heard of it; a
   * reply nobody heard goes, and the turn it answered is abandoned (the new request carries its words).
   */
  private supersedeReply(): void {
    const previous = this.turns.previous;
    if (this.playout.heardPositionMs() > 0) {
      this.truncateToHeard('caller');
      this.playout.flushTransport();
      this.turns.decide(previous, 'interrupted');
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

  startDraft(): void {
    const text = this.utterance.partial?.text.trim();
    if (text) this.planner.startDraft(text, this.conversation.toMessages(this.systemPrompt()), this.language, this.record.turns.length + 1);
  }

  cancelDraft(): void {
    this.planner.cancelDraft();
  }

  /** Starts the queued reply: called when the `reply` actor starts. */
  startReply(): Reply | undefined {
    const plan = this.planner.take();
    if (!plan) return undefined;
    this.playout.begin();
    this.meters.resetHeard();
    this.cutAtMs = undefined;
    this.replyEntry = this.conversation.addAssistant('', this.language, this.now());
    const voice = this.voiceFor(this.language)!;
    const fromModel = plan.kind === 'llm';
    const reply = new Reply(plan, { tts: this.deps.providers.tts, voice, language: this.language, sampleRate: this.deps.transport.sampleRate, speed: this.spec.voice.settings.speed }, {
      onFirstToken: (profile) => {
        this.turns.noteFirstToken(fromModel);
        this.send({ type: 'REPLY.FIRST_TOKEN', profile });
      },
      onText: (delta) => {
        if (this.replyEntry) this.replyEntry.text += delta;
        this.emit({ type: 'agent.text', atMs: this.now(), delta });
      },
      onFirstAudio: () => {
        this.turns.noteFirstAudio(fromModel);
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
    if (!fromModel) this.turns.startFixedReply();
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

  get currentPlan() {
    return this.reply ? undefined : this.planner.queued;
  }

  /** The reply just played is the call's last: a goodbye, an apology, or the model asked to end the call. */
  hangupAfterReply(): boolean {
    return this.endAfterReply !== undefined || this.reply?.endCallRequested === true;
  }

  /** The reply has been played to the end (its last frame sent). */
  completeReply(): void {
    if (this.reply?.endCallRequested && !this.endAfterReply) this.endAfterReply = 'agent-hangup';
    this.turns.complete(this.reply?.usedFallback === true);
    this.removeEmptyReplyEntry();
    // A reprompt is the agent talking to a silent caller: the caller's silence keeps counting through it, or
    // `hangupAfterMs` would never be reached. (Any caller speech resets `reprompts` to 0.)
    if (this.reprompts === 0 || this.endAfterReply) this.lastCallerActivityAt = this.now();
  }

  /** `closing`: the last reply was heard (or its report never came): hang up. */
  hangUpReason(): NonNullable<CallRecord['endReason']> {
    return this.endAfterReply ?? 'agent-hangup';
  }

  /** How long `closing` waits for the played report: what the far end still buffers, plus a margin. */
  playedTimeoutMs(marginMs: number): number {
    return this.deps.transport.bufferedMs() + marginMs;
  }

  recordReplyFailure(error: ProviderError): void {
    this.recordFailure('reply', error);
    this.turns.fail();
    // The reply broke off mid-speech and the agent is idle again: stop rather than play audio nobody supervises.
    this.cutReplyAsHeard();
    this.removeEmptyReplyEntry();
    this.lastCallerActivityAt = this.now();
    // A goodbye or an apology that could not be spoken still ends the call: it must not stay on the line.
    if (this.endAfterReply) this.send({ type: 'CALL.HANGUP', reason: this.hangUpReason() });
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
    if (!this.turns.current?.outcome) this.turns.fail();
    this.turns.close();
    this.queueFixed('unavailable');
  }

  /** The watchdog gave up a reply that produced no audio: record it; leaving `responding` aborts the reply. */
  abandonStuckReply(): void {
    const profile = this.turns.current?.route?.profile ?? 'reply';
    this.recordFailure('watchdog', { message: `no audio from the reply (${profile}) in time: reply given up, listening again`, retryable: true });
    this.turns.fail();
    this.removeEmptyReplyEntry();
    this.lastCallerActivityAt = this.now();
  }

  /** The reply's audio stopped coming mid-utterance for the stall bound: keep what was heard, listen again. */
  abandonStalledReply(stallMs: number): void {
    const profile = this.turns.current?.route?.profile ?? 'reply';
    this.recordFailure('reply', { message: `the reply (${profile}) stalled: no audio for ${stallMs} ms after its last word; given up at what the caller heard, listening again`, retryable: true });
    this.turns.fail();
    this.cutReplyAsHeard();
    this.removeEmptyReplyEntry();
    this.lastCallerActivityAt = this.now();
    if (this.endAfterReply) this.send({ type: 'CALL.HANGUP', reason: this.hangUpReason() });
  }

  recordSlowFirstToken(): void {
    this.recordFailure('llm', new ProviderError({ provider: this.turns.current?.route?.profile ?? 'llm', kind: 'timeout', message: 'first token later than firstTokenTimeoutMs (no fallback configured)', retryable: false }));
  }

  /** Current routed model's first-token timeout, for the `firstTokenTimeoutMs` delay. */
  firstTokenTimeoutMs(): number {
    return this.planner.firstTokenTimeoutMs(this.turns.current);
  }

  routedModelHasFallback(): boolean {
    return this.planner.routedModelHasFallback(this.turns.current);
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
    this.recogniser.setLanguage(to);
    this.record.languageSwitches.push({ atMs: this.now(), from, to });
    this.emit({ type: 'language', atMs: this.now(), from, to });
  }

  /** System prompt plus the instruction for the current language. */
  systemPrompt(): string {
    return systemPromptFor(this.spec, this.language);
  }

  // ---- end ------------------------------------------------------------------------------------

  noteFirstFrame(): void {
    this.turns.noteFirstFrame();
    this.emit({ type: 'agent.audio', atMs: this.now(), started: true });
  }

  recordFailure(source: FailureSource, error: { readonly message: string; readonly retryable: boolean }): void {
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
      const fullText = this.reply.text;
      const heardText = this.playout.heardPrefix(fullText, this.playout.heardPositionMs());
      if (heardText.length < fullText.length) cutToHeard(this.replyEntry, { fullText, heardText, cutBy: 'hangup' });
      this.turns.decide(this.turns.current, 'hangup');
    }
    this.reply?.cancel();
    this.planner.clear();
    this.playout.stop();
    this.recogniser.close();
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
    this.emit({ type: 'call.ended', atMs: this.now(), record: this.record });
    return this.record;
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

  /** The voice of a language, else the first voice configured. */
  private voiceFor(language: string): string | undefined {
    return this.spec.voice.voices[language] ?? Object.values(this.spec.voice.voices)[0];
  }
}
