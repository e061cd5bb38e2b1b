import { createEchoHandler, type EchoHandler } from '../audio/echo.js';
import { Playout } from '../audio/playout.js';
import { AgentSpeech } from './agent-speech.js';
import { CallerSilence } from './caller-silence.js';
import type { CompiledAgent } from '../compiler/index.js';
import { systemPromptFor, type AgentSpec } from '../dsl/index.js';
import type { CallProviders } from '../providers/call-providers.js';
import type { Transcript } from '../providers/types.js';
import type { CallTransport, PlayedReport, TransportStartInfo } from '../transports/types.js';
import type { Clock } from '../util/clock.js';
import { BargeInTracker } from './barge-in-tracker.js';
import { newCallRecord, type CallRecord, type TurnRecord } from './call-record.js';
import { CallMeters } from './call-meters.js';
import { CallerUtterance } from './caller-utterance.js';
import { Conversation } from './conversation.js';
import type { CallEventBody, FailureSource, MachineEvent } from './events.js';
import type { CutBy } from './heard-cut.js';
import { InboundPipeline } from './inbound-pipeline.js';
import { RecogniserLink } from './recogniser-link.js';
import { ReplyPlanner } from './reply-planner.js';
import { Replies } from './replies.js';
import { backchannelsFor, isBackchannel } from './text-rules.js';
import { TurnLedger } from './turn-ledger.js';


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
  readonly recogniser: RecogniserLink;
  readonly turns: TurnLedger;
  readonly planner: ReplyPlanner;
  readonly bargeIns: BargeInTracker;
  readonly meters: CallMeters;
  readonly speech: AgentSpeech;
  /** The agent's replies: queueing, running, completing and failing them. */
  readonly replies: Replies;
  readonly silence: CallerSilence;
  /** Echo handling of the inbound audio: what it measured of the line goes in the record at the end. */
  private readonly echo: EchoHandler;
  private utterance = new CallerUtterance();
  private audioOffsetMs = 0;
  private ended = false;
  private lateForDiscarded = false;
  private started = false;

  constructor(private readonly deps: CallDeps) {
    const { spec, providers, transport } = deps;
    this.spec = spec;
    this.language = spec.languages.default;
    this.startedAt = deps.clock.now();
    this.record = newCallRecord({ callId: deps.callId, spec, compiled: deps.compiled, version: deps.version, startedAt: deps.startedAt, transcript: this.conversation.entries });
    this.bargeIns = new BargeInTracker(this.record.bargeIns, (event) => this.emit(event));
    this.turns = new TurnLedger(this.record.turns, (event) => this.emit(event), () => this.now());
    this.planner = new ReplyPlanner(spec, providers, () => this.recogniser.degraded);
    this.silence = new CallerSilence(spec);
    this.meters = new CallMeters((event) => this.emit(event), { heard: () => this.speech.progress() }, deps.clock, () => this.now());
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
    const echo = (this.echo = createEchoHandler({ ...spec.echo, sampleRate: transport.sampleRate }));
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
    this.speech = new AgentSpeech(this.playout, this.conversation, providers, (event) => this.emit(event), () => this.now());
    this.replies = new Replies(this);
  }

  /** The call's transport (its outbound side). */
  get transport(): CallTransport {
    return this.deps.transport;
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
    this.started = true;
    this.emit({ type: 'call.started', atMs: this.now(), mode: this.spec.inference.mode, language: this.language, sampleRate: this.deps.transport.sampleRate });
    if (this.record.transport) this.emit({ type: 'transport.started', atMs: this.now(), info: this.record.transport });
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
    this.meters.onInbound(frame);
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
    // Before the call has started (a transport that knows its metadata when connected), it is told right
    // after `call.started`, which is always a call's first event.
    if (this.started) this.emit({ type: 'transport.started', atMs: this.now(), info });
  }

  // ---- caller ---------------------------------------------------------------------------------

  private heardWords(t: Transcript, final: boolean): void {
    const words = t.words.map((w) => ({ text: w.text, confidence: w.confidence, stable: w.stable }));
    const late = this.lateForDiscarded;
    this.emit({ type: 'transcript', atMs: this.now(), final, text: t.text, ...(t.language ? { language: t.language } : {}), words, ...(late ? { late } : {}) });
    if (late) return;
    if (final) return this.send({ type: 'STT.FINAL', transcript: t });
    this.utterance.notePartial(t, this.now());
    this.send({ type: 'STT.PARTIAL', transcript: t });
  }

  noteCallerSpeechStart(): void {
    this.utterance.noteSpeechStart(this.now());
    this.silence.callerSpoke(this.now());
    this.emit({ type: 'caller.speech', atMs: this.now(), speaking: true });
    this.lateForDiscarded = false;
  }

  noteCallerSpeechEnd(lastSpeechMs: number): void {
    this.recogniser.endOfSpeech();
    this.utterance.lastSpeechEndMs = lastSpeechMs;
    this.silence.restart(this.now());
    this.emit({ type: 'caller.speech', atMs: this.now(), speaking: false });
  }

  /**
   * The VAD still hears sound but the words stopped coming: the caller's speech ended where the words did. The
   * recogniser is told (a committing recogniser transcribes what it has) and endpointing goes on from there.
   */
  endSpeechByWords(): void {
    this.recogniser.endOfSpeech();
    this.utterance.lastSpeechEndMs = this.utterance.wordsChangedAtMs ?? this.now();
  }

  get utteranceState(): Readonly<CallerUtterance> {
    return this.utterance;
  }

  /** The chart drops the caller's utterance without a turn (a backchannel, no words): observers are told why. */
  dropUtterance(): void {
    const text = (this.utterance.final?.text ?? this.utterance.partial?.text ?? '').trim();
    const reason = text === '' ? 'no-words' : isBackchannel(text, this.backchannels()) ? 'backchannel' : 'not-a-turn';
    this.emit({ type: 'caller.discarded', atMs: this.now(), reason, text });
    this.bargeIns.speechDropped(reason, text, this.now());
    this.discardUtterance();
  }

  /** Forgets the current utterance (noise, backchannel, committed). */
  discardUtterance(): void {
    this.utterance = new CallerUtterance();
    this.pipeline.resetUtterance();
    // The recogniser lags the audio: words it reports before the caller's next speech onset belong to what
    // was just discarded (a backchannel, a committed turn) and must not start the next turn.
    this.lateForDiscarded = !this.pipeline.isSpeaking;
  }

  /** Backchannels of the call's current language (the compiled list; the default language's for any other). */
  backchannels(): readonly string[] {
    return backchannelsFor(this.deps.compiled.backchannels, this.language, this.spec.languages.default);
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
    this.bargeIns.onset(onsetMs, this.now());
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
    // The speech that paused playout was no interruption: it must not count toward a later attempt's confirmation,
    // and if it goes on (typing, babble) it must not pause playout again; the next onset measures its own speech.
    if (!this.pipeline.isSpeaking) this.pipeline.resetUtterance();
    else this.pipeline.settleRun();
  }

  cutPlayout(options: { at: 'word-boundary' | 'immediate'; maxWordTailMs: number; fadeMs: number }): void {
    this.speech.cutPlayout(options);
  }

  clearTransport(): void {
    this.speech.clearTransport();
  }

  /** The assistant message becomes exactly the words heard before the cut, flagged interrupted (by `cutBy`). */
  truncateToHeard(cutBy: CutBy = 'caller'): void {
    this.speech.truncateToHeard(cutBy);
  }

  recordBargeIn(reason: string): void {
    const turn = this.turns.current;
    if (turn) turn.outcome = 'interrupted';
    this.bargeIns.interrupted(reason, this.now(), this.speech.heard());
    if (turn) this.emit({ type: 'turn', atMs: this.now(), record: turn });
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
    this.replies.abandon();
  }

  // ---- caller silence -------------------------------------------------------------------------

  callerSilenceDelayMs(): number {
    return this.silence.delayMs(this.now());
  }

  callerSilenceReachedHangup(): boolean {
    return this.silence.reachedHangup(this.now());
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
    this.emit({ type: 'agent.audio', atMs: this.now(), utteranceId: this.speech.utteranceId, started: true });
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
    this.bargeIns.close('false', 'the call ended before it was decided', this.now());
    // Hung up mid-utterance: keep what was heard.
    if (this.speech.cutAtHangup()) this.turns.settle(this.turns.current, 'hangup');
    this.speech.cancel();
    this.planner.clear();
    this.playout.stop();
    this.meters.stop();
    this.recogniser.close();
    this.speech.close();
    this.record.endedAtMs = this.now();
    this.record.endReason = reason;
    if (this.echo.mode !== 'off') {
      const { delayMs, erlDb } = this.echo.estimate;
      this.record.echo = { ...(delayMs !== undefined && { delayMs }), erlDb: Math.round(erlDb * 10) / 10 };
    }
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

  /** The voice of a language, else the first voice configured. */
  voiceFor(language: string): string | undefined {
    return this.spec.voice.voices[language] ?? Object.values(this.spec.voice.voices)[0];
  }
}
