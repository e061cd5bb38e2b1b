/**
 * Streaming speech-to-text for cascade mode: a Realtime **transcription** session (GA `session.type:
 * "transcription"`), which transcribes and never answers. The socket is opened with `?intent=transcription`
 * (the transcription model goes in the session, not the URL), then configured with
 * `session.update {session: {type: "transcription", audio: {input: {format, transcription, turn_detection,
 * noise_reduction}}, include}}`.
 *
 * With `turnDetection: 'server_vad'` (the default for segment models) or `'semantic_vad'` the server cuts
 * utterances and transcribes each as it ends; its speech events are passed on for barge-in. With `'local'`
 * (the default for live-streaming models, which refuse server VAD) nothing is transcribed until the stream is
 * committed: by `commit()`, or by the runtime's end of speech (`endOfSpeech`).
 */
import OpenAI from 'openai';
import type { SessionUpdateEvent } from 'openai/resources/realtime/realtime';
import type { ClientOptions } from 'ws';
import type { Pcm16, SpeechToText, SttHooks, SttStream } from '../types.js';
import { realClock, type Clock } from '../../util/clock.js';
import type { ProviderError } from '../errors.js';
import { OPENAI_BASE_URL } from './chat-llm.js';
import { InputEncoder, wireFormatObject, type RealtimeWireFormat } from './realtime-audio.js';
import { RealtimeConnection, type InboundEvent } from './realtime-connection.js';
import { BENIGN_ERROR_CODES } from './realtime-errors.js';
import { TranscriptAssembler, transcriptionLanguage } from './realtime-transcripts.js';
import { Reconnect } from './reconnect.js';
import { isLiveTranscriptionModel } from '../../dsl/index.js';

/** A recognition stream whose audio can be committed (turned into a transcribed utterance) on demand. */
export interface RealtimeSttStream extends SttStream {
  /** Ends the current utterance: the audio since the last commit is transcribed (ignored under 100 ms). */
  commit(): void;
}

/** A {@link SpeechToText} whose streams can be committed. */
export interface RealtimeSpeechToText extends SpeechToText {
  start(options: Parameters<SpeechToText['start']>[0], hooks: SttHooks): RealtimeSttStream;
}

/** Options of {@link realtimeTranscriptionStt}. */
export interface RealtimeTranscriptionSttOptions {
  /** API key, sent as `Authorization: Bearer`. */
  readonly apiKey: string;
  /** API base URL. Default: `https://api.openai.com/v1`. */
  readonly baseURL?: string;
  /** Transcription model, e.g. `gpt-4o-transcribe`, `gpt-4o-mini-transcribe`, `whisper-1`. */
  readonly model: string;
  /** Wire format of the audio: `pcmu` (8 kHz mu-law, telephony) or `pcm24k`. Default: `pcm24k`. */
  readonly inputFormat?: RealtimeWireFormat;
  /**
   * Who cuts utterances. `local`: the server does no VAD and each utterance is transcribed when the stream is
   * committed, by `commit()` or by the runtime's end of speech (`endOfSpeech`). Default: `local` for live-streaming
   * models (which refuse server VAD), `server_vad` otherwise.
   */
  readonly turnDetection?: 'local' | 'server_vad' | 'semantic_vad';
  /** Prompt guiding the model (vocabulary, names). */
  readonly prompt?: string;
  /** Server-side noise reduction. Default: none. */
  readonly noiseReduction?: 'near_field' | 'far_field';
  /** Ask for token logprobs (word confidences). Default: true, except for `whisper-*` models. */
  readonly logprobs?: boolean;
  /** `ws` client options, e.g. `{ ca }`. */
  readonly clientOptions?: ClientOptions;
  /** Provider id. Default: `openai-transcribe`. */
  readonly id?: string;
  /** Times the reconnect back-off. Default: the real clock. */
  readonly clock?: Clock;
}

function turnDetection(mode: RealtimeTranscriptionSttOptions['turnDetection']) {
  if (mode === 'local') return null;
  if (mode === 'semantic_vad') return { type: 'semantic_vad' as const, eagerness: 'auto' as const };
  return { type: 'server_vad' as const, threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500 };
}

/** Streaming STT over a Realtime transcription session. */
export function realtimeTranscriptionStt(options: RealtimeTranscriptionSttOptions): RealtimeSpeechToText {
  if (!options.apiKey?.trim()) throw new Error('realtimeTranscriptionStt: apiKey is empty; pass the OpenAI API key (for example from OPENAI_API_KEY)');
  if (!options.model) throw new Error('realtimeTranscriptionStt: model is empty; pass a transcription model such as `gpt-4o-transcribe`');
  const id = options.id ?? 'openai-transcribe';
  const format = options.inputFormat ?? 'pcm24k';
  const logprobs = options.logprobs ?? !options.model.startsWith('whisper');
  const live = isLiveTranscriptionModel(options.model);
  const detection = options.turnDetection ?? (live ? 'local' : 'server_vad');
  const client = new OpenAI({ apiKey: options.apiKey, baseURL: options.baseURL ?? OPENAI_BASE_URL });
  const clock = options.clock ?? realClock;
  const transcription = (language: string) => ({ model: options.model, language: transcriptionLanguage(language), ...(options.prompt ? { prompt: options.prompt } : {}) });

  return {
    id,
    // Segment models transcribe committed audio, so their words come after the caller stops; live models
    // stream words while the caller speaks, which barge-in confirmation and preemptive drafts can use.
    capabilities: { partials: live, wordConfidence: logprobs, languageIdentification: false, speechEvents: detection !== 'local' },
    start(startOptions, hooks: SttHooks) {
      let language = startOptions.language;
      const encoder = new InputEncoder(format, startOptions.sampleRate);
      const transcripts = new TranscriptAssembler(() => language);
      let bufferedMs = 0;
      const onEvent = (event: InboundEvent): void => {
        const itemId = typeof event.item_id === 'string' ? event.item_id : '';
        switch (event.type) {
          case 'input_audio_buffer.speech_started':
            return hooks.onSpeechStarted?.(Number(event.audio_start_ms) || 0);
          case 'input_audio_buffer.speech_stopped':
            return hooks.onSpeechStopped?.(Number(event.audio_end_ms) || 0);
          case 'input_audio_buffer.committed':
            bufferedMs = 0;
            return;
          case 'conversation.item.input_audio_transcription.delta':
            return hooks.onPartial(transcripts.delta(itemId, typeof event.delta === 'string' ? event.delta : '', event.logprobs));
          case 'conversation.item.input_audio_transcription.completed':
            return hooks.onFinal(transcripts.completed(itemId, typeof event.transcript === 'string' ? event.transcript : '', event.logprobs));
          case 'conversation.item.input_audio_transcription.failed':
            return transcripts.forget(itemId);
          default:
            return;
        }
      };
      const sessionUpdate = (): SessionUpdateEvent => ({
        type: 'session.update',
        session: {
          type: 'transcription',
          audio: {
            input: {
              format: wireFormatObject(format),
              transcription: transcription(language),
              turn_detection: turnDetection(detection),
              ...(options.noiseReduction ? { noise_reduction: { type: options.noiseReduction } } : {}),
            },
          },
          ...(logprobs ? { include: ['item.input_audio_transcription.logprobs' as const] } : {}),
        },
      });
      /*
       * A dropped socket (a retryable network error) opens a new session after a back-off (250, 500, 1000 ms),
       * configured for the current language: the call does not go deaf for its rest. The caller's audio in
       * between is not transcribed; each failure still reaches `onError`. A refused key or a bad request is not
       * retried. A session that delivers events again earns its attempts back.
       */
      let stopped = false;
      const reconnects = new Reconnect(clock, () => {
        if (stopped) return false;
        connection = connect();
        return true;
      });
      const connect = (): RealtimeConnection => {
        const opened = new RealtimeConnection({
          provider: id,
          client,
          model: options.model,
          intent: 'transcription',
          ...(options.clientOptions ? { clientOptions: options.clientOptions } : {}),
          ready: encoder.ready,
          onEvent: (event) => {
            reconnects.succeeded();
            onEvent(event);
          },
          onServerError: (error) => !!error.code && BENIGN_ERROR_CODES.has(error.code),
          onError: (error, fatal) => {
            hooks.onError(error);
            if (fatal && opened === connection && !reconnect(error)) hooks.onLost?.(error);
          },
        });
        opened.send(sessionUpdate());
        bufferedMs = 0;
        return opened;
      };
      /** Schedules a new session; false when the stream gives up (it can hear nothing more). */
      const reconnect = (error: ProviderError): boolean => {
        if (stopped || reconnects.pending) return true;
        return error.kind === 'network' && error.retryable && reconnects.schedule();
      };
      let connection = connect();
      function commit(): void {
        if (bufferedMs < 100) return;
        bufferedMs = 0;
        connection.send({ type: 'input_audio_buffer.commit' });
      }
      return {
        pushAudio(frame: Pcm16) {
          if (connection.closed) return;
          bufferedMs += encoder.durationMs(frame);
          if (connection.flowing) {
            connection.send({ type: 'input_audio_buffer.append', audio: encoder.encode(frame) });
            return;
          }
          const copy = frame.slice();
          connection.send(() => ({ type: 'input_audio_buffer.append', audio: encoder.encode(copy) }));
        },
        setLanguage(next: string) {
          language = next;
          connection.send({ type: 'session.update', session: { type: 'transcription', audio: { input: { transcription: transcription(next) } } } });
        },
        commit,
        // Without server VAD nothing is transcribed until a commit: the runtime's end of speech is it.
        ...(detection === 'local' ? { endOfSpeech: commit } : {}),
        close() {
          stopped = true;
          reconnects.cancel();
          connection.close();
          encoder.destroy();
        },
      };
    },
  };
}
