import { ProviderError } from '../providers/errors.js';
import type { ChatMessage, LanguageModel, LlmCallFacts, TextToSpeech, TtsChunk, TtsContext } from '../providers/types.js';
import { BufferedTokenStream } from './token-stream.js';

/** What the agent is about to say. */
export type ReplyPlan =
  | { readonly kind: 'fixed'; readonly text: string; readonly purpose: 'greeting' | 'reprompt' | 'goodbye' | 'unavailable' }
  | {
      readonly kind: 'llm';
      readonly messages: readonly ChatMessage[];
      /** Language and turn of the call, for models that use them (the offline scripted model). */
      readonly facts: LlmCallFacts;
      readonly primary: ModelChoice;
      readonly fallback?: ModelChoice;
      /**
       * The primary model's request, already streaming: a preemptive draft kept for this turn, or the request
       * started when the turn was committed (see {@link startRequest}). Without it, `start()` sends it.
       */
      readonly stream?: BufferedTokenStream;
    };

/** Sends a model request now; its tokens wait in the returned stream until a reply reads them. */
export function startRequest(choice: ModelChoice, messages: readonly ChatMessage[], facts: LlmCallFacts | undefined): BufferedTokenStream {
  return new BufferedTokenStream(choice.llm, { messages, model: choice.model, temperature: choice.temperature, maxOutputTokens: choice.maxOutputTokens, ...(facts ? { facts } : {}) });
}

/** A model profile resolved to a provider and request settings. */
export interface ModelChoice {
  readonly profile: string;
  readonly llm: LanguageModel;
  readonly model: string;
  readonly temperature: number;
  readonly maxOutputTokens: number;
}

/** How a reply reports progress; the session turns these into statechart events and spans. */
export interface ReplyHooks {
  onFirstToken(profile: string): void;
  onText(delta: string): void;
  onFirstAudio(): void;
  onAudio(chunk: TtsChunk): void;
  /** TTS finished every word; `hadAudio` false means the reply was empty. */
  onSpeechDone(hadAudio: boolean): void;
  onFailure(error: ProviderError): void;
}

/**
 * One agent reply: language model (with hedged fallback) -> streaming TTS. Cancelled as a whole when the
 * statechart leaves `responding` (barge-in, newer turn, hang-up): every request aborted, the TTS context
 * cancelled, and no hook called afterwards.
 */
export class Reply {
  /** Everything the agent meant to say, as generated. */
  text = '';
  private cancelled = false;
  private readonly streams = new Map<string, BufferedTokenStream>();
  private winner: string | undefined;
  private tts: TtsContext | undefined;
  private audioSeen = false;
  /** TTS said every word: stopping the actor afterwards must not cancel a finished context. */
  private speechDone = false;
  private fallbackStarted = false;
  /** The model asked to end the call after this reply. */
  endCallRequested = false;

  constructor(
    private readonly plan: ReplyPlan,
    private readonly voice: { readonly tts: TextToSpeech; readonly voice: string; readonly language: string; readonly sampleRate: number; readonly speed: number },
    private readonly hooks: ReplyHooks,
  ) {}

  /** Profile whose first token won (undefined for fixed text or before the first token). */
  get answeredBy(): string | undefined {
    return this.winner;
  }

  get usedFallback(): boolean {
    return this.plan.kind === 'llm' && this.winner !== undefined && this.winner === this.plan.fallback?.profile && this.winner !== this.plan.primary.profile;
  }

  start(): void {
    // The model's request goes out first (unless it is out already); the TTS context opens while the model thinks.
    const stream = this.plan.kind === 'llm' ? (this.plan.stream ?? this.request(this.plan.primary)) : undefined;
    this.tts = this.voice.tts.open(
      {
        voice: this.voice.voice,
        language: this.voice.language,
        sampleRate: this.voice.sampleRate,
        speed: this.voice.speed,
        ...(this.plan.kind === 'fixed' ? { fixedText: this.plan.text } : {}),
      },
      {
        onAudio: (chunk) => {
          if (this.cancelled) return;
          if (!this.audioSeen) {
            this.audioSeen = true;
            this.hooks.onFirstAudio();
          }
          this.hooks.onAudio(chunk);
        },
        onDone: () => {
          this.speechDone = true;
          if (!this.cancelled) this.hooks.onSpeechDone(this.audioSeen);
        },
        onError: (error) => this.fail(error),
      },
    );
    if (this.plan.kind === 'fixed') {
      this.winner = this.plan.purpose;
      this.hooks.onFirstToken(this.plan.purpose);
      this.emitText(this.plan.text);
      this.tts.end();
      return;
    }
    void this.consume(this.plan.primary, stream!);
  }

  /** Starts the fallback model in parallel (first-token timeout); the first first-token wins. */
  hedge(): void {
    if (this.plan.kind !== 'llm' || !this.plan.fallback || this.fallbackStarted || this.winner || this.cancelled) return;
    this.fallbackStarted = true;
    const fallback = this.plan.fallback;
    void this.consume(fallback, this.request(fallback));
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    for (const stream of this.streams.values()) stream.abort();
    if (!this.speechDone) this.tts?.cancel();
  }

  private request(choice: ModelChoice): BufferedTokenStream {
    return this.plan.kind === 'llm' ? startRequest(choice, this.plan.messages, this.plan.facts) : startRequest(choice, [], undefined);
  }

  private async consume(choice: ModelChoice, stream: BufferedTokenStream): Promise<void> {
    this.streams.set(choice.profile, stream);
    try {
      for await (const token of stream.read()) {
        if (this.cancelled) return;
        if (typeof token !== 'string') {
          if (token.type === 'end-call' && (this.winner === undefined || this.winner === choice.profile)) this.endCallRequested = true;
          continue;
        }
        if (this.winner === undefined) {
          this.winner = choice.profile;
          for (const [profile, other] of this.streams) if (profile !== choice.profile) other.abort();
          this.hooks.onFirstToken(choice.profile);
        } else if (this.winner !== choice.profile) {
          stream.abort();
          return;
        }
        this.emitText(token);
      }
      if (this.cancelled || stream.aborted) return;
      if (this.winner === undefined) this.winner = choice.profile; // an empty reply still ends the turn
      if (this.winner === choice.profile) this.tts?.end();
    } catch (error) {
      if (this.cancelled) return;
      this.streams.delete(choice.profile);
      const failure = ProviderError.from(choice.llm.id, error);
      // Before any token, a failing primary hands over to the fallback (failover); after, the reply fails.
      if (this.winner === undefined && this.plan.kind === 'llm' && this.plan.fallback && choice.profile !== this.plan.fallback.profile) {
        if (!this.fallbackStarted) this.hedge();
        if (this.streams.size > 0) return;
      }
      if (this.winner === undefined && this.streams.size > 0) return; // the other racer may still answer
      this.fail(failure);
    }
  }

  private emitText(delta: string): void {
    this.text += delta;
    this.hooks.onText(delta);
    this.tts?.pushText(delta);
  }

  private fail(error: ProviderError): void {
    if (this.cancelled) return;
    this.cancel();
    this.hooks.onFailure(error);
  }
}
