/**
 * Provider interfaces. Each fits the real protocols in PROTOCOLS.md: streaming STT partials with word
 * confidence/stability and language (OpenAI Realtime transcription), streaming LLM tokens with an
 * AbortSignal (Chat Completions), streaming TTS with text in and audio + character alignment out, one context
 * per utterance (ElevenLabs multi-stream-input), and realtime inference (OpenAI Realtime).
 *
 * Providers never import from `runtime/call` or `runtime/server`; they talk back through the small hook
 * interfaces below.
 */
import type { ProviderError } from './errors.js';

import type { CharAlignment, Pcm16 } from '../audio/media.js';

export type { CharAlignment, Pcm16 } from '../audio/media.js';

/** One recognised word. Times are audio time since the recogniser's stream started, in milliseconds. */
export interface RecognizedWord {
  readonly text: string;
  /** Recogniser confidence, 0-1. */
  readonly confidence: number;
  /** True when the recogniser will not revise this word any more (stable partials). */
  readonly stable: boolean;
  readonly startMs?: number;
  readonly endMs?: number;
}

/** A partial or final transcript of the caller's current utterance. */
export interface Transcript {
  readonly text: string;
  readonly words: readonly RecognizedWord[];
  /** Language identified for this utterance (BCP 47), when the recogniser identifies languages. */
  readonly language?: string;
  /** Confidence of `language`, 0-1. */
  readonly languageConfidence?: number;
  readonly final: boolean;
}

/** Callbacks from a recogniser stream. */
export interface SttHooks {
  onPartial(transcript: Transcript): void;
  onFinal(transcript: Transcript): void;
  onError(error: ProviderError): void;
  /**
   * A recogniser that runs its own VAD (`capabilities.speechEvents`) heard speech start, at this many ms of audio
   * since its stream (or its current session) started.
   */
  onSpeechStarted?(audioStartMs: number): void;
  /** The recogniser's own VAD heard speech end, at this many ms of audio since its stream (or session) started. */
  onSpeechStopped?(audioEndMs: number): void;
  /**
   * The stream can hear nothing more: its connection failed and will not be retried (a refused key, or every
   * reconnect attempt failed). Called once, after `onError` reported the failure.
   */
  onLost?(error: ProviderError): void;
}

/** An open recognition stream for one call. */
export interface SttStream {
  /** Feeds one inbound frame (20 ms). Must not block: called on the per-frame path. */
  pushAudio(frame: Pcm16): void;
  /** Changes the recognition language without reopening the stream (no frame is dropped). */
  setLanguage(language: string): void;
  /**
   * The local VAD heard the caller stop. Recognisers that transcribe committed segments (OpenAI Realtime with
   * local turn detection) commit the audio here; streaming recognisers may ignore it.
   */
  endOfSpeech?(): void;
  close(): void;
}

/** Streaming speech-to-text. */
export interface SpeechToText {
  readonly id: string;
  readonly capabilities: {
    /** Words arrive while the caller is still speaking. Without them, barge-in is confirmed on duration alone. */
    readonly partials: boolean;
    readonly wordConfidence: boolean;
    readonly languageIdentification: boolean;
    /**
     * The recogniser runs its own VAD and reports it (`onSpeechStarted`/`onSpeechStopped`): OpenAI Realtime with
     * `server_vad`/`semantic_vad`. Barge-in can then wait for it to hear the caller too (`bargeIn.confirm.serverVad`).
     */
    readonly speechEvents: boolean;
  };
  start(options: { readonly language: string; readonly languageHints: readonly string[]; readonly sampleRate: number }, hooks: SttHooks): SttStream;
}

/** A chat message in the conversation context sent to a language model. */
export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** One language-model request. */
export interface LlmRequest {
  readonly messages: readonly ChatMessage[];
  readonly model: string;
  readonly temperature: number;
  readonly maxOutputTokens: number;
  /** Aborted when the reply is no longer wanted (barge-in, double interruption, lost hedge race). */
  readonly signal: AbortSignal;
  readonly facts?: LlmCallFacts;
}

/**
 * A non-text instruction from the model, streamed alongside text. `end-call`: hang up once this reply has been
 * spoken (real models express it as an `end_call` tool call; the offline model from `offline.replies[].hangup`).
 */
export interface LlmControl {
  readonly type: 'end-call';
}

/** What a language model streams: text deltas, and now and then a control instruction. */
export type LlmDelta = string | LlmControl;

/** Facts about the call a model may use; real providers ignore them, the offline scripted model needs them. */
export interface LlmCallFacts {
  /** The call's current language (BCP 47). */
  readonly language: string;
  /** 1-based caller turn number. */
  readonly turn: number;
}

/** Streaming language model: text deltas as they come. Ends normally, throws a {@link ProviderError}, or stops when aborted. */
export interface LanguageModel {
  readonly id: string;
  readonly capabilities: { readonly streaming: true };
  stream(request: LlmRequest): AsyncIterable<LlmDelta>;
}

/** A piece of synthesised speech. */
export interface TtsChunk {
  readonly pcm: Pcm16;
  readonly alignment?: CharAlignment;
}

/** Callbacks from one TTS context (utterance). */
export interface TtsHooks {
  onAudio(chunk: TtsChunk): void;
  /** All text sent before `end()` has been synthesised. */
  onDone(): void;
  onError(error: ProviderError): void;
}

/** One utterance being synthesised: text streams in, audio streams out. */
export interface TtsContext {
  /** Appends text (LLM tokens or phrases). */
  pushText(text: string): void;
  /** No more text: synthesise what is buffered and then call `onDone`. */
  end(): void;
  /** Stops at once (barge-in); no more hooks are called. */
  cancel(): void;
}

/** Streaming text-to-speech. */
export interface TextToSpeech {
  readonly id: string;
  readonly capabilities: {
    /**
     * `char`: exact character timings (ElevenLabs, the offline voice); `estimated`: timings spread over the audio
     * by estimate (a realtime model's transcript), good for cutting at a word but not for telling which words
     * were voiced; `none`.
     */
    readonly alignment: 'char' | 'estimated' | 'none';
    /** Contexts that may be open at once (ElevenLabs: 5 per socket). */
    readonly maxContexts: number;
  };
  open(options: TtsOpenOptions, hooks: TtsHooks): TtsContext;
  /**
   * Optional: gets ready for a voice ahead of its first utterance (ElevenLabs opens the voice's socket), so the
   * first reply of a call does not wait for a connection handshake. Safe to call again; never throws.
   */
  prewarm?(target: { readonly voice: string; readonly language: string; readonly sampleRate: number }): void;
}

/** What one TTS context (one utterance) is for. */
export interface TtsOpenOptions {
  readonly voice: string;
  readonly language: string;
  readonly sampleRate: number;
  readonly speed: number;
  /**
   * The whole text of the utterance when it is a fixed text known up front (a greeting, a reprompt, a goodbye)
   * rather than a model's streamed reply. A voice that is itself the model (speech-to-speech) must then be
   * asked to say it; other voices speak the text pushed, as always.
   */
  readonly fixedText?: string;
}

/** Callbacks from a realtime session. */
export interface RealtimeHooks {
  onSpeechStarted(audioStartMs: number): void;
  onSpeechStopped(audioEndMs: number): void;
  onTranscript(transcript: Transcript): void;
  onTextDelta(responseId: string, delta: string): void;
  onAudioDelta(responseId: string, chunk: TtsChunk): void;
  onResponseDone(responseId: string, status: 'completed' | 'cancelled' | 'failed' | 'incomplete'): void;
  onError(error: ProviderError): void;
}

/** An open realtime session (OpenAI Realtime). */
export interface RealtimeSession {
  pushAudio(frame: Pcm16): void;
  commitAudio(): void;
  addMessage(role: 'user' | 'assistant' | 'system', text: string): void;
  createResponse(options?: { readonly instructions?: string }): void;
  cancelResponse(): void;
  /** Cuts an assistant audio item to what the caller heard. */
  truncate(itemId: string, audioEndMs: number): void;
  updateInstructions(instructions: string): void;
  close(): void;
}

/** Realtime speech inference. */
export interface RealtimeInference {
  readonly id: string;
  readonly capabilities: { readonly audioOutput: boolean; readonly serverVad: boolean; readonly truncate: boolean };
  connect(options: { readonly instructions: string; readonly language: string; readonly sampleRate: number; readonly outputAudio: boolean }, hooks: RealtimeHooks): RealtimeSession;
}
