/**
 * OpenAI Realtime (GA) over WebSocket, through the `openai` SDK (`openai/realtime/ws`).
 *
 * Two modes, one session type:
 * - dualplex (`outputAudio: false`): the model answers in text (`output_modalities: ["text"]`) that our own TTS
 *   speaks. Caller audio streams in as it arrives; its transcription deltas are STT partials and
 *   `response.output_text.delta` is the LLM token stream. After a barge-in the assistant item is replaced by
 *   the text the caller heard ({@link OpenAiRealtimeSession.syncHistory}, {@link OpenAiRealtimeSession.truncateText}).
 * - speech-to-speech (`outputAudio: true`): the model speaks; its audio goes to playout as PCM at the call's
 *   rate with the transcript as (approximate) character alignment, and a barge-in truncates the item to the
 *   audio heard (`conversation.item.truncate`).
 *
 * Turn taking stays ours: with `turnDetection: 'local'` the server does no VAD (`turn_detection: null`) and we
 * commit and ask for responses; with `server_vad`/`semantic_vad` the server cuts and commits the caller's audio
 * and reports its speech events through the hooks (`onSpeechStarted`/`onSpeechStopped`), but it never answers
 * or interrupts on its own (`create_response: false`, `interrupt_response: false`). A barge-in starts on the
 * local, echo-gated VAD only (the server's VAD hears the agent's own echo on a phone line); the server's speech
 * start is a second opinion before it is confirmed (`bargeIn.confirm.serverVad`, see runtime/call).
 *
 * Wire shapes follow openai-node v6 `src/resources/realtime/realtime.ts` (GA); the beta names of output
 * events (`response.text.delta`, `response.audio.delta`, `response.audio_transcript.delta`) are accepted too.
 */
import OpenAI from 'openai';
import type { SessionUpdateEvent } from 'openai/resources/realtime/realtime';
import type { ClientOptions } from 'ws';
import { SUPPORTED_SAMPLE_RATES } from '../../audio/resampler.js';
import type { Clock } from '../../util/clock.js';
import type { ProviderError } from '../errors.js';
import type { ChatMessage, RealtimeHooks, RealtimeInference, RealtimeSession } from '../types.js';
import { OPENAI_BASE_URL } from './chat-llm.js';
import { wireFormatObject, type RealtimeWireFormat } from './realtime-audio.js';
import { OpenAiRealtimeSessionImpl } from './realtime-session.js';
import { transcriptionLanguage } from './realtime-transcripts.js';

export { transcriptionLanguage };

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

/** The `turn_detection` of a session: null (ours) or server VAD that neither answers nor interrupts. */
export function turnDetectionConfig(mode: RealtimeTurnDetection) {
  if (mode === 'server_vad') {
    return { type: 'server_vad' as const, threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500, create_response: false, interrupt_response: false };
  }
  if (mode === 'semantic_vad') return { type: 'semantic_vad' as const, eagerness: 'auto' as const, create_response: false, interrupt_response: false };
  return null;
}

/** The first `session.update` of a session. */
export function initialSessionUpdate(config: ResolvedRealtimeConfig, options: RealtimeConnectOptions): SessionUpdateEvent {
  const format = wireFormatObject(config.inputFormat);
  return {
    type: 'session.update',
    session: {
      type: 'realtime',
      model: config.model,
      output_modalities: [options.outputAudio ? 'audio' : 'text'],
      instructions: options.instructions,
      audio: {
        input: {
          format,
          transcription: {
            model: config.transcriptionModel,
            language: transcriptionLanguage(options.language),
            ...(config.transcriptionPrompt ? { prompt: config.transcriptionPrompt } : {}),
          },
          turn_detection: turnDetectionConfig(config.turnDetection),
          ...(config.noiseReduction ? { noise_reduction: { type: config.noiseReduction } } : {}),
        },
        ...(options.outputAudio ? { output: { format, ...(config.voice ? { voice: config.voice } : {}) } } : {}),
      },
      ...(config.transcriptionLogprobs ? { include: ['item.input_audio_transcription.logprobs' as const] } : {}),
    },
  };
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`createOpenAiRealtime: ${message}`);
}

/** OpenAI Realtime over WebSocket. Sessions open when connected; nothing is sent before `connect`. */
export function createOpenAiRealtime(options: OpenAiRealtimeOptions): OpenAiRealtime {
  check(typeof options.apiKey === 'string' && options.apiKey.trim() !== '', 'apiKey is empty; pass the OpenAI API key (for example from OPENAI_API_KEY)');
  check(!!options.model, 'model is empty; pass a realtime model such as `gpt-realtime`');
  check(!!options.transcriptionModel, 'transcriptionModel is empty; pass one such as `gpt-4o-transcribe`');
  check(['local', 'server_vad', 'semantic_vad'].includes(options.turnDetection), `turnDetection \`${String(options.turnDetection)}\` is not one of local, server_vad, semantic_vad`);
  check(['pcmu', 'pcm24k'].includes(options.inputFormat), `inputFormat \`${String(options.inputFormat)}\` is not one of pcmu (telephony), pcm24k`);
  const config: ResolvedRealtimeConfig = {
    ...options,
    id: options.id ?? 'openai-realtime',
    client: new OpenAI({ apiKey: options.apiKey, baseURL: options.baseURL ?? OPENAI_BASE_URL }),
    stallTimeoutMs: options.stallTimeoutMs ?? 15_000,
    alignmentMsPerChar: options.alignmentMsPerChar ?? 70,
    transcriptionLogprobs: options.transcriptionLogprobs ?? !options.transcriptionModel.startsWith('whisper'),
  };
  return {
    id: config.id,
    capabilities: { audioOutput: options.outputAudio, serverVad: options.turnDetection !== 'local', truncate: options.outputAudio },
    connect(connectOptions, hooks) {
      check(
        !connectOptions.outputAudio || options.outputAudio,
        'connect() asked for audio output but this realtime model was created with `outputAudio: false` (dualplex); create it with `outputAudio: true` for speech-to-speech',
      );
      check(
        SUPPORTED_SAMPLE_RATES.includes(connectOptions.sampleRate),
        `sampleRate ${connectOptions.sampleRate} Hz is not supported; use one of ${SUPPORTED_SAMPLE_RATES.join(', ')} Hz`,
      );
      return new OpenAiRealtimeSessionImpl(config, connectOptions, hooks, initialSessionUpdate(config, connectOptions));
    },
  };
}
