/**
 * ElevenLabs streaming text-to-speech over the `multi-stream-input` WebSocket: one context per agent
 * utterance, text streamed in phrase by phrase as LLM tokens arrive, audio and character alignment streamed
 * out, `close_context` on barge-in without reconnecting.
 *
 * Sockets: one per voice (and output format, and language when `sendLanguageCode` is on), opened on the first
 * `open()` (or `prewarm()`) and reused by every later utterance of that voice. ElevenLabs allows 5 contexts on
 * a socket; a sixth `open()` waits in a queue until a slot frees (a context holds its slot until the server's
 * `isFinal`; see `context-socket.ts`), or, with `maxSocketsPerVoice` above 1, gets another socket. Queueing is
 * the default because ElevenLabs recommends one socket per conversation, and a call rarely has more than two
 * utterances alive (the one playing and a pre-emptive draft).
 *
 * Output format follows the session's sample rate: `ulaw_8000` for telephony (decoded to PCM16 with the G.711
 * table), `pcm_16000`/`pcm_22050`/`pcm_24000`/`pcm_44100` as is, 48 kHz from `pcm_24000` through the resampler.
 * Alignment (`sync_alignment=true`) is chunk-relative on this endpoint, as {@link CharAlignment} wants, so the
 * playout can place every word for the word-boundary cut and for "what was heard".
 *
 * Failures reach `onError` as {@link ProviderError}: a dropped socket fails its contexts with a retryable error
 * and reconnects in the background with back-off; `max_active_conversations` becomes a retryable `rate-limit`
 * error; a socket that cannot be opened after the retries fails its contexts, and the runtime may fall back to
 * {@link createElevenLabsRestTts}. Unknown or malformed server messages are ignored.
 *
 * @example
 * ```ts
 * const tts = createElevenLabsTts({ apiKey: process.env.ELEVENLABS_API_KEY!, clock: realClock });
 * const context = tts.open({ voice: 'JBFqnCBsd6RMkjVDRZzb', language: 'en', sampleRate: 8000, speed: 1 }, {
 *   onAudio: ({ pcm, alignment }) => playout.append(pcm, alignment),
 *   onDone: () => playout.complete(),
 *   onError: (error) => fallBack(error),
 * });
 * for await (const token of reply) if (typeof token === 'string') context.pushText(token);
 * context.end(); // barge-in instead: context.cancel()
 * ```
 */
import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import type { Clock } from '../../util/clock.js';
import type { TextToSpeech, TtsContext, TtsHooks } from '../types.js';
import { ContextSocket, type ContextSocketSettings, type WebSocketConstructor } from './context-socket.js';
import { createPhraseChunker, type PhraseChunkerOptions } from './phrase-chunker.js';
import { WsContext } from './ws-context.js';
import { checkBaseUrl, checkVoiceSettings, ELEVENLABS_BASE_URL, ELEVENLABS_PROVIDER_ID, multiStreamUrl, planOutput, wireVoiceSettings, type ElevenLabsVoiceSettings } from './wire.js';

/** Contexts ElevenLabs allows on one `multi-stream-input` socket. */
export const ELEVENLABS_MAX_CONTEXTS_PER_SOCKET = 5;

/** Options of {@link createElevenLabsTts}. */
export interface ElevenLabsTtsOptions {
  /** ElevenLabs API key, sent as the `xi-api-key` header. */
  readonly apiKey: string;
  /** API base URL; the socket URL is derived from it (`https` -> `wss`). Default: `https://api.elevenlabs.io`. */
  readonly baseURL?: string;
  /** Model id. Default: `eleven_flash_v2_5` (lowest latency). */
  readonly model?: string;
  /** Voice settings sent when each context starts. Default: the voice's own settings. */
  readonly voiceSettings?: ElevenLabsVoiceSettings;
  /** Server-side `inactivity_timeout`, whole seconds 1-180. Default: 20. */
  readonly inactivityTimeoutS?: number;
  /** An idle context sends a keep-alive after this many ms without a message. Default: half of `inactivityTimeoutS`. */
  readonly keepAliveMs?: number;
  /** Times keep-alives, back-off and slot release. */
  readonly clock: Clock;
  /** Reconnection after a failed connect or a drop: `attempts` retries (default 3), back-off doubling from `backoffMs` (default 250). */
  readonly reconnect?: { readonly attempts?: number; readonly backoffMs?: number };
  /** Handshake timeout per connection attempt, ms. Default: 5000. */
  readonly connectTimeoutMs?: number;
  /** `auto_mode`: synthesise each phrase as it arrives instead of buffering to the chunk schedule. Default: true. */
  readonly autoMode?: boolean;
  /** `generation_config.chunk_length_schedule` (characters, 50-500 each), used when `autoMode` is false. */
  readonly chunkLengthSchedule?: readonly number[];
  /** Send `language_code` (ISO 639-1 from `open().language`); sockets are then per language. Default: false (the model detects it). */
  readonly sendLanguageCode?: boolean;
  /** Sockets per voice before a new context waits for a slot instead. Default: 1. */
  readonly maxSocketsPerVoice?: number;
  /** A closed context keeps its slot until `isFinal` or this many ms. Default: 3000. */
  readonly releaseAfterCloseMs?: number;
  /** How LLM tokens are grouped into phrases. */
  readonly phrases?: PhraseChunkerOptions;
  /** WebSocket implementation. Default: `ws`. */
  readonly WebSocketImpl?: WebSocketConstructor;
  /** Provider id. Default: `elevenlabs`. */
  readonly id?: string;
}

/** Which socket an `open()` needs. */
export interface ElevenLabsSocketTarget {
  readonly voice: string;
  readonly sampleRate: number;
  /** BCP 47; only used with `sendLanguageCode`. */
  readonly language?: string;
}

/** The ElevenLabs WebSocket synthesiser. */
export interface ElevenLabsTts extends TextToSpeech {
  /** Opens the socket for a voice ahead of the first utterance, so it does not wait for the handshake. */
  prewarm(target: ElevenLabsSocketTarget): void;
  /** Contexts waiting for a free slot, across voices. */
  readonly waitingContexts: number;
  /** Sends `close_socket` on every socket and closes them; open contexts end silently. Resolves when closed. */
  dispose(): Promise<void>;
}

interface VoicePool {
  readonly url: string;
  readonly sockets: ContextSocket[];
  readonly waiting: WsContext[];
}

/** Creates an {@link ElevenLabsTts}. Throws at once, saying how to fix it, on invalid options. */
export function createElevenLabsTts(options: ElevenLabsTtsOptions): ElevenLabsTts {
  const settings = resolveOptions(options);
  const pools = new Map<string, VoicePool>();
  let disposed = false;

  const poolFor = (target: ElevenLabsSocketTarget): VoicePool => {
    const plan = planOutput(target.sampleRate);
    const languageCode = settings.sendLanguageCode && target.language ? target.language.split('-')[0]!.toLowerCase() : undefined;
    const key = `${target.voice}\u0000${plan.format}\u0000${languageCode ?? ''}`;
    let pool = pools.get(key);
    if (!pool) {
      const query = { modelId: settings.model, outputFormat: plan.format, inactivityTimeoutS: settings.inactivityTimeoutS, autoMode: settings.autoMode, languageCode };
      pool = { url: multiStreamUrl(settings.baseURL, target.voice, query), sockets: [], waiting: [] };
      pools.set(key, pool);
    }
    return pool;
  };

  const socketWithSlot = (pool: VoicePool): ContextSocket | undefined => {
    const existing = pool.sockets.find((socket) => socket.freeSlots > 0);
    if (existing || pool.sockets.length >= settings.maxSocketsPerVoice) return existing;
    const socket = new ContextSocket(pool.url, settings.socket, () => drain(pool));
    pool.sockets.push(socket);
    return socket;
  };

  // A slot freed somewhere in the pool: start the contexts that were waiting, in order.
  const drain = (pool: VoicePool): void => {
    while (!disposed && pool.waiting.length > 0) {
      const socket = socketWithSlot(pool);
      if (!socket) return;
      pool.waiting.shift()!.attachTo(socket);
    }
  };

  const checkOpen = (open: { voice: string; sampleRate: number; speed: number }): void => {
    if (disposed) throw new Error(`${settings.id}: open() after dispose(); create a new TTS instance`);
    if (typeof open.voice !== 'string' || open.voice.length === 0) throw new TypeError(`${settings.id}: voice must be an ElevenLabs voice id (got "${String(open.voice)}")`);
    if (!(open.speed > 0)) throw new RangeError(`${settings.id}: speed must be > 0 (got ${open.speed})`);
  };

  return {
    id: settings.id,
    capabilities: { alignment: 'char', maxContexts: ELEVENLABS_MAX_CONTEXTS_PER_SOCKET * settings.maxSocketsPerVoice },
    get waitingContexts() {
      let count = 0;
      for (const pool of pools.values()) count += pool.waiting.length;
      return count;
    },
    open(open, hooks: TtsHooks): TtsContext {
      checkOpen(open);
      const pool = poolFor(open);
      const context = new WsContext({
        provider: settings.id,
        id: randomUUID(),
        plan: planOutput(open.sampleRate),
        hooks,
        clock: settings.clock,
        keepAliveMs: settings.keepAliveMs,
        voiceSettings: wireVoiceSettings(settings.voiceSettings, open.speed),
        chunkLengthSchedule: settings.chunkLengthSchedule,
        chunker: createPhraseChunker(settings.phrases),
        leaveQueue: (waiting) => {
          const index = pool.waiting.indexOf(waiting);
          if (index >= 0) pool.waiting.splice(index, 1);
        },
      });
      const socket = pool.waiting.length === 0 ? socketWithSlot(pool) : undefined;
      if (socket) context.attachTo(socket);
      else pool.waiting.push(context);
      return context;
    },
    prewarm(target) {
      if (disposed) return;
      const pool = poolFor(target);
      (pool.sockets[0] ?? socketWithSlot(pool))?.connect();
    },
    async dispose() {
      disposed = true;
      const sockets = [...pools.values()].flatMap((pool) => pool.sockets);
      for (const pool of pools.values()) pool.waiting.splice(0).forEach((context) => context.shutdown());
      pools.clear();
      await Promise.all(sockets.map((socket) => socket.dispose()));
    },
  };
}

interface ResolvedOptions {
  readonly id: string;
  readonly baseURL: string;
  readonly model: string;
  readonly voiceSettings: ElevenLabsVoiceSettings;
  readonly inactivityTimeoutS: number;
  readonly keepAliveMs: number;
  readonly clock: Clock;
  readonly autoMode: boolean;
  readonly chunkLengthSchedule: readonly number[] | undefined;
  readonly sendLanguageCode: boolean;
  readonly maxSocketsPerVoice: number;
  readonly phrases: PhraseChunkerOptions | undefined;
  readonly socket: ContextSocketSettings;
}

function resolveOptions(options: ElevenLabsTtsOptions): ResolvedOptions {
  const where = 'createElevenLabsTts';
  if (typeof options.apiKey !== 'string' || options.apiKey.length === 0) throw new TypeError(`${where}: apiKey is required; pass the ElevenLabs API key (e.g. process.env.ELEVENLABS_API_KEY)`);
  if (!options.clock) throw new TypeError(`${where}: clock is required; pass realClock (or a simulated clock in tests)`);
  const baseURL = options.baseURL ?? ELEVENLABS_BASE_URL;
  checkBaseUrl(where, baseURL);
  const voiceSettings = options.voiceSettings ?? {};
  checkVoiceSettings(where, voiceSettings);
  const inactivityTimeoutS = options.inactivityTimeoutS ?? 20;
  wholeIn(where, 'inactivityTimeoutS', inactivityTimeoutS, 1, 180);
  const keepAliveMs = options.keepAliveMs ?? (inactivityTimeoutS * 1000) / 2;
  if (!(keepAliveMs > 0 && keepAliveMs < inactivityTimeoutS * 1000)) {
    throw new RangeError(`${where}: keepAliveMs must be > 0 and below inactivityTimeoutS x 1000 (got ${keepAliveMs})`);
  }
  const attempts = options.reconnect?.attempts ?? 3;
  wholeIn(where, 'reconnect.attempts', attempts, 0, 100);
  const backoffMs = options.reconnect?.backoffMs ?? 250;
  if (!(backoffMs >= 0)) throw new RangeError(`${where}: reconnect.backoffMs must be >= 0 (got ${backoffMs})`);
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  if (!(connectTimeoutMs > 0)) throw new RangeError(`${where}: connectTimeoutMs must be > 0 (got ${connectTimeoutMs})`);
  const maxSocketsPerVoice = options.maxSocketsPerVoice ?? 1;
  wholeIn(where, 'maxSocketsPerVoice', maxSocketsPerVoice, 1, 64);
  const releaseAfterCloseMs = options.releaseAfterCloseMs ?? 3000;
  if (!(releaseAfterCloseMs > 0)) throw new RangeError(`${where}: releaseAfterCloseMs must be > 0 (got ${releaseAfterCloseMs})`);
  const schedule = options.chunkLengthSchedule;
  if (schedule && !(schedule.length > 0 && schedule.every((chars) => chars >= 50 && chars <= 500))) {
    throw new RangeError(`${where}: chunkLengthSchedule entries must be 50-500 characters (got [${schedule.join(', ')}])`);
  }
  createPhraseChunker(options.phrases); // validates the phrase options now rather than on the first open()
  return {
    id: options.id ?? ELEVENLABS_PROVIDER_ID,
    baseURL,
    model: options.model ?? 'eleven_flash_v2_5',
    voiceSettings,
    inactivityTimeoutS,
    keepAliveMs,
    clock: options.clock,
    autoMode: options.autoMode ?? true,
    chunkLengthSchedule: schedule,
    sendLanguageCode: options.sendLanguageCode ?? false,
    maxSocketsPerVoice,
    phrases: options.phrases,
    socket: {
      WebSocketImpl: options.WebSocketImpl ?? WebSocket,
      apiKey: options.apiKey,
      clock: options.clock,
      reconnectAttempts: attempts,
      backoffMs,
      connectTimeoutMs,
      maxContexts: ELEVENLABS_MAX_CONTEXTS_PER_SOCKET,
      releaseAfterCloseMs,
    },
  };
}

function wholeIn(where: string, name: string, value: number, min: number, max: number): void {
  if (!(Number.isInteger(value) && value >= min && value <= max)) throw new RangeError(`${where}: ${name} must be a whole number from ${min} to ${max} (got ${value})`);
}
