/*
 * The types of the OpenAI Realtime adapter, in a file of their own so the session implementation
 * (`realtime-session.ts`) and its factory (`realtime.ts`) both import them without importing each other.
 */
import type OpenAI from 'openai';
import type { ClientOptions } from 'ws';
import type { ProviderError } from '../errors.js';
import type { ChatMessage, RealtimeHooks, RealtimeInference, RealtimeSession } from '../types.js';
import type { Clock } from '../../util/clock.js';
import type { RealtimeWireFormat, TranscriptAligner } from './realtime-audio.js';

/** Who decides that the caller has finished a turn. */
export type RealtimeTurnDetection = 'local' | 'server_vad' | 'semantic_vad';

/** Options of {@link createOpenAiRealtime}. */
export interface OpenAiRealtimeOptions {
  /** API key, sent as `Authorization: Bearer`. */
  readonly apiKey: string;
  /** API base URL; the socket goes to `<baseURL>/realtime` over `wss:` (the SDK forces it). Default: `https://api.openai.com/v1`. */
  readonly baseURL?: string;
  /** Realtime model, e.g. `gpt-realtime`. */
  readonly model: string;
  /** Model transcribing the caller, e.g. `gpt-4o-transcribe`, `gpt-4o-mini-transcribe`, `whisper-1`. */
  readonly transcriptionModel: string;
  /** `local`: our VAD and endpointing decide (no server VAD); `server_vad` / `semantic_vad`: the server's speech events are reported too. */
  readonly turnDetection: RealtimeTurnDetection;
  /** Voice of speech-to-speech sessions, e.g. `marin`, `cedar`, `alloy`. Default: the server's. */
  readonly voice?: string;
  /** Whether sessions may speak (speech-to-speech). False: text output only (dualplex). */
  readonly outputAudio: boolean;
  /** Wire format of caller audio: `pcmu` (8 kHz mu-law, telephony) or `pcm24k` (PCM16 at 24 kHz). Model audio uses the same. */
  readonly inputFormat: RealtimeWireFormat;
  /** `ws` client options, e.g. `{ ca }` to trust a private endpoint's certificate. */
  readonly clientOptions?: ClientOptions;
  /** Provider id. Default: `openai-realtime`. */
  readonly id?: string;
  /** Prompt guiding the transcription model (vocabulary, names). Default: none. */
  readonly transcriptionPrompt?: string;
  /** Server-side noise reduction of caller audio. Default: none. */
  readonly noiseReduction?: 'near_field' | 'far_field';
  /** Ask for token logprobs of transcriptions (word confidences). Default: true, except for `whisper-*` models. */
  readonly transcriptionLogprobs?: boolean;
  /** A pending response with no server event for this long fails with a retryable `timeout`, ms. Default: 15,000. */
  readonly stallTimeoutMs?: number;
  /** Nominal speaking rate of the alignment approximation, ms per character. Default: 70. */
  readonly alignmentMsPerChar?: number;
  /** Times the stall watchdog. Default: wall clock. */
  readonly clock?: Clock;
}

/** Extra callbacks of an OpenAI Realtime session, beyond {@link RealtimeHooks}. */
export interface OpenAiRealtimeHooks extends RealtimeHooks {
  /** A response started; `tag` is the one given to `createResponse`, if any. */
  onResponseCreated?(responseId: string, tag: string | undefined): void;
  /**
   * A requested response will not complete: its `response.create` was rejected, the socket dropped or the
   * server stalled. `responseId` is undefined when the response never started. `onError` is called too.
   */
  onResponseFailed?(tag: string | undefined, responseId: string | undefined, error: ProviderError): void;
  /** The session's socket is gone (or never opened), after `onError` reported why; nothing more will come. */
  onClosed?(error: ProviderError): void;
}

/** Options of {@link OpenAiRealtimeSession.createResponse}. */
export interface RealtimeResponseOptions {
  /** Instructions for this response only (the system prompt of the moment). */
  readonly instructions?: string;
  /** Output token limit of this response. */
  readonly maxOutputTokens?: number;
  /** Echoed by `onResponseCreated` (sent as response metadata), to tell responses apart. */
  readonly tag?: string;
}

/** An open OpenAI Realtime session: {@link RealtimeSession} and the OpenAI-specific extras. */
export interface OpenAiRealtimeSession extends RealtimeSession {
  createResponse(options?: RealtimeResponseOptions): void;
  /** Cancels one response, or (no id) every pending and active one. Their late deltas are dropped. */
  cancelResponse(responseId?: string): void;
  /**
   * Cuts an assistant audio item to the `audioEndMs` the caller heard (clamped to the audio received).
   * `itemId` may also be a response id (its audio item) or `''` (the latest assistant item). Audio only: a
   * text-output session has nothing to cut and ignores it; use {@link truncateText} or {@link syncHistory}.
   */
  truncate(itemId: string, audioEndMs: number): void;
  /** Replaces an assistant item (id, response id or `''` as for `truncate`) by the text the caller heard. */
  truncateText(itemId: string, heardText: string): void;
  /**
   * Makes the server's conversation hold exactly `messages` (what was said and heard, system prompt left out):
   * matching items are kept, changed ones replaced in place, missing ones added, extra ones deleted.
   */
  syncHistory(messages: readonly ChatMessage[]): void;
  /** Changes the transcription language (no frame is dropped). */
  setLanguage(language: string): void;
  /** The assistant item of a response, or the latest assistant item. */
  assistantItemId(responseId?: string): string | undefined;
  /** Caller audio appended since the last commit, ms. */
  readonly bufferedAudioMs: number;
}

/** Options of {@link OpenAiRealtime.connect}. */
export type RealtimeConnectOptions = Parameters<RealtimeInference['connect']>[0];

/** OpenAI Realtime as a {@link RealtimeInference}. */
export interface OpenAiRealtime extends RealtimeInference {
  connect(options: RealtimeConnectOptions, hooks: RealtimeHooks | OpenAiRealtimeHooks): OpenAiRealtimeSession;
}

/** Options after defaults, shared by the sessions of one {@link createOpenAiRealtime}. */
export interface ResolvedRealtimeConfig extends OpenAiRealtimeOptions {
  readonly id: string;
  readonly client: OpenAI;
  readonly stallTimeoutMs: number;
  readonly alignmentMsPerChar: number;
  readonly transcriptionLogprobs: boolean;
}

/** A `response.create` sent and not yet answered by `response.created` (session bookkeeping). */
export interface PendingCreate {
  readonly eventId: string;
  readonly tag: string | undefined;
  cancelled: boolean;
}

/** A response the server created (session bookkeeping). */
export interface ResponseState {
  readonly id: string;
  readonly tag: string | undefined;
  cancelled: boolean;
  itemId?: string;
  readonly aligner?: TranscriptAligner;
}
