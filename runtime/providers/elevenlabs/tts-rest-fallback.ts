/**
 * ElevenLabs over REST with `@elevenlabs/elevenlabs-js`, for when the `multi-stream-input` socket cannot be
 * opened (a proxy without WebSocket support, an outage of the streaming endpoint): the voice list, and a
 * {@link TextToSpeech} that synthesises a whole utterance on `end()` with `textToSpeech.streamWithTimestamps`
 * (`POST /v1/text-to-speech/{voice}/stream/with-timestamps`, NDJSON lines of `{audio_base64, alignment:
 * {characters, character_start_times_seconds, character_end_times_seconds}}`). First audio therefore comes
 * after the whole reply text instead of after its first phrase; use it as a fallback, not as the default.
 *
 * Alignment on this endpoint is in seconds from the start of the utterance, so each chunk's times are made
 * relative to the chunk (minus the audio already delivered) to fit {@link CharAlignment}.
 */
import { ElevenLabsClient, ElevenLabsError, ElevenLabsTimeoutError } from '@elevenlabs/elevenlabs-js';
import { withRootCause } from '../error-cause.js';
import { ProviderError } from '../errors.js';
import type { CharAlignment, TextToSpeech, TtsContext, TtsHooks } from '../types.js';
import { createAudioDecoder } from './audio-decoder.js';
import { checkBaseUrl, checkVoiceSettings, ELEVENLABS_BASE_URL, ELEVENLABS_PROVIDER_ID, planOutput, type ElevenLabsVoiceSettings, type OutputPlan } from './wire.js';

/** Options of {@link createElevenLabsRestTts} and {@link listElevenLabsVoices}. */
export interface ElevenLabsRestOptions {
  /** ElevenLabs API key (`xi-api-key`). */
  readonly apiKey: string;
  /** API base URL. Default: `https://api.elevenlabs.io`. */
  readonly baseURL?: string;
  /** Model id. Default: `eleven_flash_v2_5`. */
  readonly model?: string;
  /** Voice settings for every request. Default: the voice's own. */
  readonly voiceSettings?: ElevenLabsVoiceSettings;
  /** Request timeout, s. Default: 30. */
  readonly timeoutS?: number;
  /** SDK retries per request (retries belong to `withTtsResilience`). Default: 0. */
  readonly maxRetries?: number;
  /** Send `language_code` (ISO 639-1 from `open().language`). Default: false. */
  readonly sendLanguageCode?: boolean;
  /** Provider id. Default: `elevenlabs-rest`. */
  readonly id?: string;
}

/** A voice of the account. */
export interface ElevenLabsVoice {
  readonly id: string;
  readonly name: string;
  /** `premade`, `cloned`, `generated`, `professional`... */
  readonly category: string | undefined;
}

/** The REST synthesiser, with the account's voices. */
export interface ElevenLabsRestTts extends TextToSpeech {
  /** Voices the key can use (for `validate --online`). */
  listVoices(): Promise<ElevenLabsVoice[]>;
}

/** Creates an {@link ElevenLabsRestTts}. Throws at once on invalid options. */
export function createElevenLabsRestTts(options: ElevenLabsRestOptions): ElevenLabsRestTts {
  const id = options.id ?? `${ELEVENLABS_PROVIDER_ID}-rest`;
  const client = createClient('createElevenLabsRestTts', options);
  const voiceSettings = options.voiceSettings ?? {};
  checkVoiceSettings('createElevenLabsRestTts', voiceSettings);
  const maxRetries = options.maxRetries ?? 0;
  const model = options.model ?? 'eleven_flash_v2_5';
  return {
    id,
    capabilities: { alignment: 'char', maxContexts: Number.POSITIVE_INFINITY },
    listVoices: () => fetchVoices(client, id, maxRetries),
    open(open, hooks) {
      if (typeof open.voice !== 'string' || open.voice.length === 0) throw new TypeError(`${id}: voice must be an ElevenLabs voice id (got "${String(open.voice)}")`);
      if (!(open.speed > 0)) throw new RangeError(`${id}: speed must be > 0 (got ${open.speed})`);
      const plan = planOutput(open.sampleRate, true);
      const speed = Math.min(1.2, Math.max(0.7, (voiceSettings.speed ?? 1) * open.speed));
      const request: RestRequest = {
        voice: open.voice,
        model,
        plan,
        languageCode: options.sendLanguageCode ? open.language.split('-')[0]?.toLowerCase() : undefined,
        voiceSettings: { ...voiceSettings, ...(voiceSettings.speed !== undefined || open.speed !== 1 ? { speed } : {}) },
        maxRetries,
      };
      return createRestContext(id, client, request, hooks);
    },
  };
}

/** Lists the account's voices (GET /v1/voices). Errors are {@link ProviderError}s. */
export function listElevenLabsVoices(options: Pick<ElevenLabsRestOptions, 'apiKey' | 'baseURL' | 'timeoutS' | 'maxRetries'>): Promise<ElevenLabsVoice[]> {
  return fetchVoices(createClient('listElevenLabsVoices', options), `${ELEVENLABS_PROVIDER_ID}-rest`, options.maxRetries ?? 0);
}

function createClient(where: string, options: Pick<ElevenLabsRestOptions, 'apiKey' | 'baseURL' | 'timeoutS' | 'maxRetries'>): ElevenLabsClient {
  if (typeof options.apiKey !== 'string' || options.apiKey.length === 0) throw new TypeError(`${where}: apiKey is required; pass the ElevenLabs API key`);
  const baseUrl = (options.baseURL ?? ELEVENLABS_BASE_URL).replace(/\/+$/, '');
  checkBaseUrl(where, baseUrl);
  const timeoutInSeconds = options.timeoutS ?? 30;
  if (!(timeoutInSeconds > 0)) throw new RangeError(`${where}: timeoutS must be > 0 (got ${timeoutInSeconds})`);
  return new ElevenLabsClient({ apiKey: options.apiKey, baseUrl, timeoutInSeconds, maxRetries: options.maxRetries ?? 0 });
}

async function fetchVoices(client: ElevenLabsClient, provider: string, maxRetries: number): Promise<ElevenLabsVoice[]> {
  try {
    const response = await client.voices.getAll({}, { maxRetries });
    return response.voices.map((voice) => ({ id: voice.voiceId, name: voice.name ?? voice.voiceId, category: voice.category }));
  } catch (error) {
    throw restError(provider, error);
  }
}

interface RestRequest {
  readonly voice: string;
  readonly model: string;
  readonly plan: OutputPlan;
  readonly languageCode: string | undefined;
  readonly voiceSettings: ElevenLabsVoiceSettings;
  readonly maxRetries: number;
}

function createRestContext(provider: string, client: ElevenLabsClient, request: RestRequest, hooks: TtsHooks): TtsContext {
  const controller = new AbortController();
  let text = '';
  let ended = false;
  let finished = false;
  const finish = (): void => {
    finished = true;
    decoder.destroy();
  };
  const fail = (error: ProviderError): void => {
    if (finished) return;
    finish();
    controller.abort();
    safely(() => hooks.onError(error));
  };
  const decoder = createAudioDecoder(request.plan, {
    emit: (pcm, alignment) => {
      if (finished) return;
      try {
        hooks.onAudio(alignment ? { pcm, alignment } : { pcm });
      } catch (error) {
        fail(ProviderError.from(provider, error));
      }
    },
    fail: (error) => fail(new ProviderError({ provider, kind: 'server', message: `the resampler could not load: ${(error as Error)?.message}`, retryable: false, cause: error })),
  });

  const synthesise = async (): Promise<void> => {
    let stream;
    try {
      stream = await client.textToSpeech.streamWithTimestamps(
        request.voice,
        {
          text,
          modelId: request.model,
          outputFormat: request.plan.format,
          ...(request.languageCode ? { languageCode: request.languageCode } : {}),
          ...(Object.keys(request.voiceSettings).length > 0 ? { voiceSettings: request.voiceSettings } : {}),
        },
        { abortSignal: controller.signal, maxRetries: request.maxRetries },
      );
      // Audio delivered so far, ms at the provider's rate: alignment times are absolute on this endpoint.
      let deliveredMs = 0;
      for await (const chunk of stream) {
        if (finished) return;
        const audio = typeof chunk.audioBase64 === 'string' && chunk.audioBase64.length > 0 ? chunk.audioBase64 : undefined;
        const alignment = relativeAlignment(chunk.alignment ?? chunk.normalizedAlignment, deliveredMs);
        decoder.push(audio, alignment);
        if (audio) deliveredMs += (bytesOf(audio) / (request.plan.encoding === 'ulaw' ? 1 : 2) / request.plan.providerRate) * 1000;
      }
    } catch (error) {
      if (!finished) fail(restError(provider, error));
      return;
    }
    if (finished) return;
    decoder.finish(() => {
      if (finished) return;
      finish();
      safely(() => hooks.onDone());
    });
  };

  return {
    pushText(chunk) {
      if (!finished && !ended) text += chunk;
    },
    end() {
      if (finished || ended) return;
      ended = true;
      if (text.trim().length === 0) {
        // Nothing to say: done without a request, on a microtask so the caller is not re-entered.
        queueMicrotask(() => {
          if (finished) return;
          finish();
          safely(() => hooks.onDone());
        });
        return;
      }
      void synthesise();
    },
    cancel() {
      if (finished) return;
      finish();
      controller.abort();
    },
  };
}

/** Seconds from the utterance start -> ms from the start of this chunk. */
function relativeAlignment(alignment: { characters?: unknown; characterStartTimesSeconds?: unknown; characterEndTimesSeconds?: unknown } | undefined, chunkStartMs: number): CharAlignment | undefined {
  if (!alignment) return undefined;
  const { characters, characterStartTimesSeconds: starts, characterEndTimesSeconds: ends } = alignment;
  if (!Array.isArray(characters) || !Array.isArray(starts) || !Array.isArray(ends)) return undefined;
  if (characters.length === 0 || characters.length !== starts.length || characters.length !== ends.length) return undefined;
  const startMs = starts.map((seconds: number) => seconds * 1000 - chunkStartMs);
  const durationMs = ends.map((seconds: number, index) => Math.max(0, (seconds - (starts[index] as number)) * 1000));
  if (!startMs.every(Number.isFinite) || !durationMs.every(Number.isFinite)) return undefined;
  return { chars: characters as string[], startMs, durationMs };
}

function bytesOf(base64: string): number {
  return Buffer.byteLength(base64, 'base64');
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // The caller's hook failed after the context ended; nothing is left to report it to.
  }
}

/** SDK errors -> ProviderError with the right kind. */
function restError(provider: string, error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  if ((error as { name?: string })?.name === 'AbortError') return new ProviderError({ provider, kind: 'cancelled', message: 'aborted', cause: error });
  if (error instanceof ElevenLabsTimeoutError) return new ProviderError({ provider, kind: 'timeout', message: 'request timed out; raise timeoutS or check the network', cause: error });
  if (error instanceof ElevenLabsError && error.statusCode !== undefined) {
    const status = error.statusCode;
    const detail = `HTTP ${status}: ${bodyMessage(error.body) ?? error.message}`;
    if (status === 401 || status === 403) return new ProviderError({ provider, kind: 'auth', message: `${detail}; check the ElevenLabs API key`, cause: error });
    if (status === 429) return new ProviderError({ provider, kind: 'rate-limit', message: detail, cause: error });
    if (status >= 500) return new ProviderError({ provider, kind: 'server', message: detail, cause: error });
    return new ProviderError({ provider, kind: 'bad-request', message: `${detail}; check the voice id, model and output format`, cause: error });
  }
  return new ProviderError({ provider, kind: 'network', message: withRootCause(error), retryable: true, cause: error });
}

function bodyMessage(body: unknown): string | undefined {
  if (typeof body === 'string') return body.slice(0, 200);
  const detail = (body as { detail?: unknown })?.detail;
  if (typeof detail === 'string') return detail;
  const message = (detail as { message?: unknown })?.message;
  return typeof message === 'string' ? message : undefined;
}
