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
import { SUPPORTED_SAMPLE_RATES } from '../../audio/resampler.js';
import { OPENAI_BASE_URL } from './chat-llm.js';
import { wireFormatObject } from './realtime-audio.js';
import { OpenAiRealtimeSessionImpl } from './realtime-session.js';
import type { OpenAiRealtime, OpenAiRealtimeOptions, RealtimeConnectOptions, ResolvedRealtimeConfig, RealtimeTurnDetection } from './realtime-types.js';

export type * from './realtime-types.js';
import { transcriptionLanguage } from './realtime-transcripts.js';

export { transcriptionLanguage };


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
