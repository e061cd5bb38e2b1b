import type { AgentSpec } from '../dsl/index.js';
import type { ProviderError } from '../providers/errors.js';
import type { SpeechToText, SttStream, Transcript } from '../providers/types.js';

/** What the link reports to the call. */
export interface RecogniserLinkHooks {
  onPartial(transcript: Transcript): void;
  onFinal(transcript: Transcript): void;
  onError(error: ProviderError): void;
  /** The recogniser's own VAD heard speech start (audio time of its stream). */
  onSpeechStarted(audioStartMs: number): void;
  /** The recogniser is lost for good and no cascade can take over. */
  onLost(error: ProviderError): void;
  /** The realtime session is lost and the call goes on as a cascade (`inference.realtime.degradeTo`). */
  onDegraded(message: string): void;
  /** Call time, ms. */
  now(): number;
}

/**
 * The call's link to its recogniser: opens the stream in the call's language, feeds it caller frames, follows
 * language switches, keeps what its own VAD says, and when the realtime session is lost for good hands over to
 * the cascade recogniser (`degradeTo`) from the next frame.
 */
export class RecogniserLink {
  private stream: SttStream | undefined;
  private recogniser: SpeechToText;
  private degradedTo = false;
  private language = '';
  /** The recogniser's own VAD (`capabilities.speechEvents`): is it hearing speech, and since when (call time). */
  private readonly vad = { speaking: false, startedAtMs: -Infinity };

  constructor(
    private readonly spec: AgentSpec,
    primary: SpeechToText,
    private readonly fallback: SpeechToText | undefined,
    private readonly sampleRate: number,
    private readonly hooks: RecogniserLinkHooks,
  ) {
    this.recogniser = primary;
  }

  /** The call went on as a cascade after losing its realtime session. */
  get degraded(): boolean {
    return this.degradedTo;
  }

  /** The recogniser delivers words while the caller speaks (barge-in can wait for words). */
  get hasPartials(): boolean {
    return this.recogniser.capabilities.partials;
  }

  /** Opens the stream in `language`. */
  open(language: string): void {
    this.language = language;
    this.stream = this.recogniser.start({ language, languageHints: this.spec.stt.languageHints, sampleRate: this.sampleRate }, {
      onPartial: (t) => this.hooks.onPartial(t),
      onFinal: (t) => this.hooks.onFinal(t),
      onError: (error) => this.hooks.onError(error),
      onSpeechStarted: (audioStartMs) => {
        this.vad.speaking = true;
        this.vad.startedAtMs = this.hooks.now();
        this.hooks.onSpeechStarted(audioStartMs);
      },
      onSpeechStopped: () => {
        this.vad.speaking = false;
      },
      // The call can no longer hear the caller: it goes on as a cascade if the agent says how, or rather than
      // stay deaf, the agent apologises and hangs up.
      onLost: (error) => (this.canDegrade() ? this.degrade(error) : this.hooks.onLost(error)),
    });
  }

  pushAudio(frame: Int16Array): void {
    this.stream?.pushAudio(frame);
  }

  setLanguage(language: string): void {
    this.language = language;
    this.stream?.setLanguage(language);
  }

  endOfSpeech(): void {
    this.stream?.endOfSpeech?.();
  }

  close(): void {
    this.stream?.close();
    this.stream = undefined;
  }

  /**
   * Whether the recogniser's own VAD has heard a barge-in that began at `onsetMs`: it hears speech now, or
   * heard some start after the onset. True when the recogniser has no VAD to ask.
   */
  heardSince(onsetMs: number | undefined): boolean {
    if (!this.recogniser.capabilities.speechEvents) return true;
    return this.vad.speaking || (onsetMs !== undefined && this.vad.startedAtMs >= onsetMs);
  }

  private canDegrade(): boolean {
    return !this.degradedTo && this.fallback !== undefined && this.spec.inference.realtime?.degradeTo !== undefined;
  }

  private degrade(error: { readonly message: string }): void {
    const profile = this.spec.inference.realtime?.degradeTo;
    this.hooks.onDegraded(`the realtime session is lost (${error.message}): going on as a cascade, heard by ${this.fallback!.id} and answered by \`${profile}\``);
    this.degradedTo = true;
    this.recogniser = this.fallback!;
    const lost = this.stream;
    this.stream = undefined;
    lost?.close();
    this.open(this.language);
  }
}
