/**
 * The ElevenLabs text-to-speech wire format, kept in one place: which output format fits a sample rate, the
 * `multi-stream-input` URL, the client messages, and a parser for server messages that accepts every spelling
 * PROTOCOLS.md lists (`isFinal`/`is_final`, `contextId`/`context_id`, `alignment`/`normalizedAlignment`,
 * `charDurationsMs`/`charsDurationsMs`) and never throws on what it does not understand.
 *
 * Alignment times: the asyncapi for `multi-stream-input` says `charStartTimesMs` and `charDurationsMs` "are
 * relative to the returned chunk from the model, and not the full audio response", which is exactly our
 * {@link CharAlignment}; they pass through unchanged. The REST `stream/with-timestamps` endpoint instead gives
 * seconds from the start of the whole utterance (see `tts-rest-fallback.ts`).
 */
import { ProviderError } from '../errors.js';
import type { CharAlignment } from '../types.js';

/** Provider id used in errors and metrics. */
export const ELEVENLABS_PROVIDER_ID = 'elevenlabs';

/** ElevenLabs' API, the default `baseURL` (the socket URL is derived from it, `https` -> `wss`). */
export const ELEVENLABS_BASE_URL = 'https://api.elevenlabs.io';

/** Output formats this adapter asks for: raw audio it can decode without a codec. */
export type ElevenLabsOutputFormat = 'ulaw_8000' | 'pcm_16000' | 'pcm_22050' | 'pcm_24000' | 'pcm_44100' | 'pcm_48000';

/** How synthesised audio gets from the provider's format to the session's sample rate. */
export interface OutputPlan {
  /** `output_format` to request. */
  readonly format: ElevenLabsOutputFormat;
  /** `ulaw`: one mu-law byte a sample; `pcm`: 16-bit little-endian. */
  readonly encoding: 'ulaw' | 'pcm';
  /** Sample rate the provider sends, Hz. */
  readonly providerRate: number;
  /** Sample rate the session wants, Hz (resampled when it differs from `providerRate`). */
  readonly sampleRate: number;
}

/**
 * Picks the output format for a session sample rate: 8 kHz (telephony) gets `ulaw_8000`, the line's own
 * encoding, half the bytes of PCM and decoded by table lookup; 16, 22.05, 24 and 44.1 kHz get PCM at that
 * rate. 48 kHz (WebRTC) gets `pcm_24000` and an exact 2x resampler on the socket, which has no `pcm_48000`
 * (pass `allowPcm48000` for the REST endpoint, which has). Throws on any other rate.
 */
export function planOutput(sampleRate: number, allowPcm48000 = false): OutputPlan {
  if (sampleRate === 8000) return { format: 'ulaw_8000', encoding: 'ulaw', providerRate: 8000, sampleRate };
  if (sampleRate === 16000 || sampleRate === 22050 || sampleRate === 24000 || sampleRate === 44100) {
    return { format: `pcm_${sampleRate}`, encoding: 'pcm', providerRate: sampleRate, sampleRate };
  }
  if (sampleRate === 48000) {
    return allowPcm48000 ? { format: 'pcm_48000', encoding: 'pcm', providerRate: 48000, sampleRate } : { format: 'pcm_24000', encoding: 'pcm', providerRate: 24000, sampleRate };
  }
  throw new RangeError(`${ELEVENLABS_PROVIDER_ID}: sampleRate ${sampleRate} Hz is not supported; use 8000 (telephony, ulaw_8000), 16000, 22050, 24000, 44100 or 48000`);
}

/** Voice settings in our spelling (camelCase); sent snake_case on the wire. */
export interface ElevenLabsVoiceSettings {
  /** 0-1; lower is more expressive, higher more even. ElevenLabs default: 0.5. */
  readonly stability?: number;
  /** 0-1; how closely to match the original voice. ElevenLabs default: 0.75. */
  readonly similarityBoost?: number;
  /** 0-1; style exaggeration (v2+ models; adds latency). ElevenLabs default: 0. */
  readonly style?: number;
  /** Speaker boost (v2+ models). ElevenLabs default: true. */
  readonly useSpeakerBoost?: boolean;
  /** Speaking rate, 0.7-1.2. ElevenLabs default: 1. Multiplied by the speed each `open()` asks for. */
  readonly speed?: number;
}

/** The `voice_settings` object of an init message. */
export interface WireVoiceSettings {
  stability?: number;
  similarity_boost?: number;
  style?: number;
  use_speaker_boost?: boolean;
  speed?: number;
}

/** ElevenLabs accepts speeds from 0.7 to 1.2. */
const MIN_SPEED = 0.7;
const MAX_SPEED = 1.2;

/** Voice settings for one context: the configured ones with the utterance's speed applied (clamped to 0.7-1.2). */
export function wireVoiceSettings(settings: ElevenLabsVoiceSettings, speed: number): WireVoiceSettings {
  const wire: WireVoiceSettings = {};
  if (settings.stability !== undefined) wire.stability = settings.stability;
  if (settings.similarityBoost !== undefined) wire.similarity_boost = settings.similarityBoost;
  if (settings.style !== undefined) wire.style = settings.style;
  if (settings.useSpeakerBoost !== undefined) wire.use_speaker_boost = settings.useSpeakerBoost;
  const base = settings.speed ?? 1;
  const combined = base * speed;
  if (settings.speed !== undefined || speed !== 1) wire.speed = Math.round(Math.min(MAX_SPEED, Math.max(MIN_SPEED, combined)) * 1000) / 1000;
  return wire;
}

/** Throws early, saying how to fix it, when a voice setting is out of range. */
export function checkVoiceSettings(where: string, settings: ElevenLabsVoiceSettings): void {
  for (const name of ['stability', 'similarityBoost', 'style'] as const) {
    const value = settings[name];
    if (value !== undefined && !(value >= 0 && value <= 1)) throw new RangeError(`${where}: voiceSettings.${name} must be between 0 and 1 (got ${value})`);
  }
  const { speed } = settings;
  if (speed !== undefined && !(speed >= MIN_SPEED && speed <= MAX_SPEED)) {
    throw new RangeError(`${where}: voiceSettings.speed must be between ${MIN_SPEED} and ${MAX_SPEED} (got ${speed})`);
  }
}

/** Query parameters of the socket URL. */
export interface MultiStreamQuery {
  readonly modelId: string;
  readonly outputFormat: ElevenLabsOutputFormat;
  /** Seconds, 1-180. */
  readonly inactivityTimeoutS: number;
  readonly autoMode: boolean;
  /** ISO 639-1, only when asked for (the socket is then per language). */
  readonly languageCode?: string;
}

/**
 * `wss://host/v1/text-to-speech/{voice}/multi-stream-input?...` from an `https://` (or `http://`, `ws://`,
 * `wss://`) base URL; a path on the base URL is kept as a prefix.
 */
export function multiStreamUrl(baseURL: string, voice: string, query: MultiStreamQuery): string {
  const url = new URL(baseURL);
  if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol === 'http:') url.protocol = 'ws:';
  const prefix = url.pathname.replace(/\/+$/, '');
  url.pathname = `${prefix}/v1/text-to-speech/${encodeURIComponent(voice)}/multi-stream-input`;
  url.search = '';
  url.searchParams.set('model_id', query.modelId);
  url.searchParams.set('output_format', query.outputFormat);
  url.searchParams.set('inactivity_timeout', String(query.inactivityTimeoutS));
  url.searchParams.set('sync_alignment', 'true');
  url.searchParams.set('auto_mode', String(query.autoMode));
  if (query.languageCode) url.searchParams.set('language_code', query.languageCode);
  return url.toString();
}

/** Throws early when a base URL cannot be used. */
export function checkBaseUrl(where: string, baseURL: string): void {
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    throw new TypeError(`${where}: baseURL "${baseURL}" is not a URL; use e.g. https://api.elevenlabs.io`);
  }
  if (!['https:', 'http:', 'wss:', 'ws:'].includes(url.protocol)) {
    throw new TypeError(`${where}: baseURL "${baseURL}" must start with https:// (or http://, wss://, ws:// for a local server)`);
  }
}

/** A client message on `multi-stream-input`. */
export type ClientMessage =
  | { text: ' '; context_id: string; voice_settings: WireVoiceSettings; generation_config?: { chunk_length_schedule: number[] } }
  | { text: string; context_id: string; flush?: true }
  | { context_id: string; flush: true }
  | { context_id: string; close_context: true }
  | { close_socket: true };

/** First message of a context: a single space, with the voice settings (only allowed here). */
export function initMessage(contextId: string, voiceSettings: WireVoiceSettings, chunkLengthSchedule?: readonly number[]): ClientMessage {
  const message: ClientMessage = { text: ' ', context_id: contextId, voice_settings: voiceSettings };
  if (chunkLengthSchedule) message.generation_config = { chunk_length_schedule: [...chunkLengthSchedule] };
  return message;
}

/** Text for a context; `text` must already end with a space. */
export function textMessage(contextId: string, text: string, flush: boolean): ClientMessage {
  return flush ? { text, context_id: contextId, flush: true } : { text, context_id: contextId };
}

/** Generates whatever text the context still buffers. */
export function flushMessage(contextId: string): ClientMessage {
  return { context_id: contextId, flush: true };
}

/** Resets the context's inactivity timer without adding speech. */
export function keepAliveMessage(contextId: string): ClientMessage {
  return { text: '', context_id: contextId };
}

/** Closes one context (a flush already asked for still completes, then the server sends `isFinal`). */
export function closeContextMessage(contextId: string): ClientMessage {
  return { context_id: contextId, close_context: true };
}

/** Closes every context and the socket. */
export const CLOSE_SOCKET_MESSAGE: ClientMessage = { close_socket: true };

/** Audio, alignment and/or the end of a context. */
export interface AudioServerMessage {
  readonly kind: 'audio';
  readonly contextId: string | undefined;
  /** base64 audio in the requested format; undefined when the message carries none. */
  readonly audio: string | undefined;
  readonly alignment: CharAlignment | undefined;
  /** True on the context's last message. */
  readonly isFinal: boolean;
}

/** An error the server reported (often followed by the socket closing). */
export interface ErrorServerMessage {
  readonly kind: 'error';
  readonly contextId: string | undefined;
  /** Machine-readable code, e.g. `max_active_conversations`. */
  readonly code: string | undefined;
  readonly message: string;
}

/** A server message this adapter acts on. */
export type ServerMessage = AudioServerMessage | ErrorServerMessage;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const firstOf = (object: Json, keys: readonly string[]): unknown => {
  for (const key of keys) if (object[key] !== undefined && object[key] !== null) return object[key];
  return undefined;
};
const stringOrUndefined = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);

/**
 * Parses one text frame. Returns undefined for anything not worth acting on: invalid JSON, non-objects,
 * `flush_done` and other unknown messages, audio that is not a string. A malformed alignment is dropped and
 * the audio kept.
 */
export function parseServerMessage(text: string): ServerMessage | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(data)) return undefined;
  const contextId = stringOrUndefined(firstOf(data, ['contextId', 'context_id']));
  const error = data.error;
  if (typeof error === 'string' || isObject(error)) {
    const nested = isObject(error) ? error : {};
    const code = typeof error === 'string' ? error : stringOrUndefined(nested.code ?? nested.type ?? nested.status);
    const message = stringOrUndefined(data.message) ?? stringOrUndefined(nested.message) ?? code ?? 'unknown error';
    return { kind: 'error', contextId, code, message };
  }
  const isFinal = firstOf(data, ['isFinal', 'is_final']) === true;
  const audio = stringOrUndefined(data.audio);
  const alignment = parseAlignment(data.alignment) ?? parseAlignment(firstOf(data, ['normalizedAlignment', 'normalized_alignment']));
  if (!audio && !isFinal && !alignment) return undefined;
  return { kind: 'audio', contextId, audio, alignment, isFinal };
}

/** A chunk-relative alignment in either spelling, or undefined when absent or inconsistent. */
export function parseAlignment(value: unknown): CharAlignment | undefined {
  if (!isObject(value)) return undefined;
  const chars = firstOf(value, ['chars', 'characters']);
  const startMs = firstOf(value, ['charStartTimesMs', 'char_start_times_ms']);
  const durationMs = firstOf(value, ['charDurationsMs', 'charsDurationsMs', 'char_durations_ms', 'chars_durations_ms']);
  if (!Array.isArray(chars) || !Array.isArray(startMs) || !Array.isArray(durationMs)) return undefined;
  if (chars.length === 0 || chars.length !== startMs.length || chars.length !== durationMs.length) return undefined;
  if (!chars.every((char) => typeof char === 'string')) return undefined;
  if (!startMs.every(Number.isFinite) || !durationMs.every(Number.isFinite)) return undefined;
  return { chars: chars as string[], startMs: startMs as number[], durationMs: durationMs as number[] };
}

/** A server-reported error as a ProviderError. `max_active_conversations` means more than 5 contexts on a socket. */
export function errorFromServer(message: ErrorServerMessage): ProviderError {
  const provider = ELEVENLABS_PROVIDER_ID;
  const what = `${message.message}${message.code && !message.message.includes(message.code) ? ` (${message.code})` : ''}`;
  if (message.code === 'max_active_conversations') {
    const text = `${what}; more than 5 contexts were open on one socket: cancel() replies that are no longer wanted, or raise maxSocketsPerVoice`;
    return new ProviderError({ provider, kind: 'rate-limit', message: text, retryable: true });
  }
  const haystack = `${message.code ?? ''} ${message.message}`;
  if (/auth|api[ _-]?key|unauthori[sz]ed|permission/i.test(haystack)) {
    return new ProviderError({ provider, kind: 'auth', message: `${what}; check the ElevenLabs API key` });
  }
  if (/quota|credit/i.test(haystack)) return new ProviderError({ provider, kind: 'rate-limit', message: `${what}; the account is out of credits`, retryable: false });
  return new ProviderError({ provider, kind: 'server', message: what, retryable: true });
}

/** Why a socket could not be opened, from the error `ws` raised. */
export function errorFromConnectFailure(error: unknown, url: string): ProviderError {
  const provider = ELEVENLABS_PROVIDER_ID;
  const text = (error as Error)?.message ?? String(error);
  const where = redactUrl(url);
  const status = /Unexpected server response: (\d{3})/.exec(text)?.[1];
  if (status) {
    const code = Number(status);
    if (code === 401 || code === 403) return new ProviderError({ provider, kind: 'auth', message: `socket refused with HTTP ${code} at ${where}; check the ElevenLabs API key`, cause: error });
    if (code === 429) return new ProviderError({ provider, kind: 'rate-limit', message: `socket refused with HTTP 429 at ${where}; too many concurrent requests for the plan`, cause: error });
    if (code >= 500) return new ProviderError({ provider, kind: 'server', message: `socket refused with HTTP ${code} at ${where}`, cause: error });
    return new ProviderError({ provider, kind: 'bad-request', message: `socket refused with HTTP ${code} at ${where}; check the voice id, model and output format`, cause: error });
  }
  if (/timed? ?out/i.test(text)) return new ProviderError({ provider, kind: 'timeout', message: `socket handshake timed out at ${where}`, cause: error });
  return new ProviderError({ provider, kind: 'network', message: `could not open the socket at ${where}: ${text}`, cause: error });
}

/** The socket closed while contexts were still speaking. */
export function errorFromDrop(code: number, reason: string, serverError: ProviderError | undefined): ProviderError {
  if (serverError) return serverError;
  const because = reason ? `: ${reason}` : '';
  return new ProviderError({ provider: ELEVENLABS_PROVIDER_ID, kind: 'network', message: `socket closed mid-utterance (code ${code}${because})`, retryable: true });
}

/** The URL without its query (no secrets travel in it today, but keep logs short and safe). */
function redactUrl(url: string): string {
  const at = url.indexOf('?');
  return at < 0 ? url : url.slice(0, at);
}
