/**
 * A test Twilio: connects to a Media Streams endpoint over a real WebSocket and behaves as Twilio does on a
 * bidirectional `<Connect><Stream>`. It sends `connected` and `start` (with custom parameters), streams the
 * caller's 8 kHz audio as mu-law `media` chunks (one every 20 ms of wall time while streaming, speech from a
 * queue and silence otherwise, or one at a time when the test drives it), and plays what the server sends at
 * real time: a `mark` is echoed once the audio before it has played, a `clear` drops the audio not yet played
 * and echoes every pending mark at once. It records every message received with its arrival time
 * (`performance.now()`), what it played, which marks it echoed and why, and any protocol deviation of the
 * server in `violations`.
 */
import { WebSocket } from 'ws';
import { decodeMulaw, encodeMulaw } from '../../runtime/audio/g711.js';

/** Options of {@link connectTwilioClient}. */
export interface TwilioClientOptions {
  /** `ws://127.0.0.1:PORT/twilio/AGENT`. */
  readonly url: string;
  /** Upgrade request headers (an `X-Twilio-Signature`). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly streamSid?: string;
  readonly callSid?: string;
  readonly customParameters?: Readonly<Record<string, string>>;
  /** Network and jitter-buffer delay before a received chunk can play, ms. Default: 0. */
  readonly playoutDelayMs?: number;
}

/** A message from the server, as it arrived. */
export interface ReceivedMessage {
  /** `performance.now()` at arrival. */
  readonly atMs: number;
  readonly binary: boolean;
  /** Parsed JSON; undefined when it was not JSON. */
  readonly message: { readonly event?: unknown; readonly streamSid?: unknown; readonly [key: string]: unknown } | undefined;
}

/** A chunk of agent audio on the caller's playback time line. */
export interface PlayedChunk {
  readonly samples: Int16Array;
  readonly playAtMs: number;
  readonly durationMs: number;
  /** A `clear` came before it started playing. */
  dropped: boolean;
}

/** A mark the client echoed. */
export interface EchoedMark {
  readonly name: string;
  readonly echoedAtMs: number;
  /** Echoed because a `clear` came (Twilio's at-once echo), not because its audio played. */
  readonly cleared: boolean;
}

/** A caller line sent by {@link TwilioTestClient.say}. */
export interface SaidLine {
  readonly firstChunk: number;
  /** `performance.now()` when each of its chunks was sent. */
  readonly sentAtMs: readonly number[];
}

export interface TwilioTestClient {
  readonly streamSid: string;
  readonly received: readonly ReceivedMessage[];
  readonly chunks: readonly PlayedChunk[];
  readonly marks: readonly EchoedMark[];
  /** `performance.now()` when each media chunk was sent, by chunk number - 1. */
  readonly mediaSentAtMs: readonly number[];
  readonly violations: readonly string[];
  /** Resolves when the socket has closed, with the server's code and reason. */
  readonly closed: Promise<{ readonly code: number; readonly reason: string }>;
  /** Sends `connected` and `start`. */
  start(): void;
  /** Sends one media chunk now; returns its chunk number. */
  sendMedia(samples: Int16Array): number;
  /** Starts sending one 20 ms chunk every 20 ms of wall time: queued speech, else silence. */
  startStreaming(): void;
  stopStreaming(): void;
  /** Queues caller speech; `onFirstChunk` runs just before its first chunk goes. Resolves once its last chunk is sent. */
  say(samples: Int16Array, onFirstChunk?: () => void): Promise<SaidLine>;
  dtmf(digit: string): void;
  stop(): void;
  /** Sends anything (a hostile peer). */
  sendRaw(data: string | Buffer, binary?: boolean): void;
  close(): void;
  /** Agent audio played (not dropped) by now, ms. */
  heardMs(): number;
  /** Messages received with this event name. */
  messagesOf(event: string): ReceivedMessage[];
  /** Polls `check` every 5 ms until it gives something truthy; rejects after `timeoutMs` saying `what`. */
  until<T>(what: string, check: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
}

const FRAME_SAMPLES = 160;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Opens the stream's socket. Resolves once it is open (call `start()` to begin as Twilio does). */
export async function connectTwilioClient(options: TwilioClientOptions): Promise<TwilioTestClient> {
  const socket = new WebSocket(options.url, { headers: { ...options.headers } });
  const streamSid = options.streamSid ?? 'MZ0123456789abcdef0123456789abcdef';
  const delayMs = options.playoutDelayMs ?? 0;
  const received: ReceivedMessage[] = [];
  const chunks: PlayedChunk[] = [];
  const marks: EchoedMark[] = [];
  const mediaSentAtMs: number[] = [];
  const violations: string[] = [];
  const pendingMarks: Array<{ name: string; timer: NodeJS.Timeout }> = [];
  const speech: Array<{ samples: Int16Array; offset: number; sentAtMs: number[]; firstChunk: number; onFirst?: () => void; done: (line: SaidLine) => void }> = [];
  let playEndMs = 0;
  let sequence = 0;
  let chunk = 0;
  let streamTimer: NodeJS.Timeout | undefined;
  const stopTimers = (): void => {
    clearTimeout(streamTimer);
    for (const entry of pendingMarks.splice(0)) clearTimeout(entry.timer);
  };
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => {
      stopTimers();
      resolve({ code, reason: reason.toString() });
    }),
  );

  const send = (message: object): void => {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  };
  const echo = (name: string, cleared: boolean): void => {
    marks.push({ name, echoedAtMs: performance.now(), cleared });
    send({ event: 'mark', sequenceNumber: String(++sequence), streamSid, mark: { name } });
  };
  const onMedia = (payload: unknown, now: number): void => {
    if (typeof payload !== 'string' || !BASE64.test(payload) || payload.length % 4 !== 0) return void violations.push(`media payload is not base64: ${String(payload).slice(0, 40)}`);
    const samples = decodeMulaw(Buffer.from(payload, 'base64'));
    const durationMs = samples.length / 8;
    const playAtMs = Math.max(now + delayMs, playEndMs);
    playEndMs = playAtMs + durationMs;
    chunks.push({ samples, playAtMs, durationMs, dropped: false });
  };
  const onMark = (name: unknown, now: number): void => {
    if (typeof name !== 'string') return void violations.push('mark without a name');
    // Echoed once the audio sent before it has played.
    if (playEndMs <= now) return echo(name, false);
    const entry = { name, timer: setTimeout(() => {
      pendingMarks.splice(pendingMarks.indexOf(entry), 1);
      echo(name, false);
    }, playEndMs - now) };
    pendingMarks.push(entry);
  };
  const onClear = (now: number): void => {
    for (const c of chunks) if (!c.dropped && c.playAtMs > now) c.dropped = true;
    playEndMs = chunks.filter((c) => !c.dropped).reduce((end, c) => Math.max(end, c.playAtMs + c.durationMs), 0);
    // Twilio echoes every pending mark at once after a clear.
    for (const entry of pendingMarks.splice(0)) {
      clearTimeout(entry.timer);
      echo(entry.name, true);
    }
  };

  socket.on('message', (data, binary) => {
    const now = performance.now();
    let message: ReceivedMessage['message'];
    if (binary) violations.push('binary frame: Twilio takes text frames only');
    else {
      try {
        message = JSON.parse(data.toString()) as ReceivedMessage['message'];
      } catch {
        violations.push(`not JSON: ${data.toString().slice(0, 60)}`);
      }
    }
    received.push({ atMs: now, binary, message });
    if (!message) return;
    if (message.streamSid !== streamSid) violations.push(`${String(message.event)} with streamSid ${String(message.streamSid)}, expected ${streamSid}`);
    if (message.event === 'media') onMedia((message.media as { payload?: unknown } | undefined)?.payload, now);
    else if (message.event === 'mark') onMark((message.mark as { name?: unknown } | undefined)?.name, now);
    else if (message.event === 'clear') onClear(now);
    else violations.push(`unknown event ${String(message.event)}`);
  });

  const sendMedia = (samples: Int16Array): number => {
    chunk++;
    mediaSentAtMs.push(performance.now());
    const payload = Buffer.from(encodeMulaw(samples)).toString('base64');
    send({ event: 'media', sequenceNumber: String(++sequence), streamSid, media: { track: 'inbound', chunk: String(chunk), timestamp: String((chunk - 1) * 20), payload } });
    return chunk;
  };
  const nextCallerFrame = (): Int16Array => {
    const line = speech[0];
    if (!line) return new Int16Array(FRAME_SAMPLES);
    if (line.offset === 0) {
      line.onFirst?.();
      line.firstChunk = chunk + 1;
    }
    const frame = new Int16Array(FRAME_SAMPLES);
    frame.set(line.samples.subarray(line.offset, line.offset + FRAME_SAMPLES));
    line.offset += FRAME_SAMPLES;
    line.sentAtMs.push(performance.now());
    if (line.offset >= line.samples.length) {
      speech.shift();
      queueMicrotask(() => line.done({ firstChunk: line.firstChunk, sentAtMs: line.sentAtMs }));
    }
    return frame;
  };

  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused: ${response.statusCode}`)));
  });
  // From here on a socket error is the server's doing (a reset, a bad frame): recorded, never thrown.
  socket.on('error', (error) => violations.push(`socket error: ${error.message}`));

  return {
    streamSid,
    received,
    chunks,
    marks,
    mediaSentAtMs,
    violations,
    closed,
    start() {
      send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
      const start = { accountSid: 'AC0123456789abcdef0123456789abcdef', streamSid, callSid: options.callSid ?? 'CA0123456789abcdef0123456789abcdef', tracks: ['inbound'], mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 }, customParameters: { ...options.customParameters } };
      send({ event: 'start', sequenceNumber: String(++sequence), streamSid, start });
    },
    sendMedia,
    startStreaming() {
      let nextAtMs = performance.now();
      const tick = (): void => {
        sendMedia(nextCallerFrame());
        // Paced on absolute times so timer lateness does not add up.
        nextAtMs += 20;
        streamTimer = setTimeout(tick, Math.max(0, nextAtMs - performance.now()));
      };
      tick();
    },
    stopStreaming: () => clearTimeout(streamTimer),
    say: (samples, onFirstChunk) => new Promise((done) => speech.push({ samples, offset: 0, sentAtMs: [], firstChunk: 0, ...(onFirstChunk ? { onFirst: onFirstChunk } : {}), done })),
    dtmf: (digit) => send({ event: 'dtmf', sequenceNumber: String(++sequence), streamSid, dtmf: { track: 'inbound_track', digit } }),
    stop: () => send({ event: 'stop', sequenceNumber: String(++sequence), streamSid, stop: { accountSid: 'AC0123456789abcdef0123456789abcdef', callSid: options.callSid ?? 'CA0123456789abcdef0123456789abcdef' } }),
    sendRaw: (data, binary = false) => socket.send(data, { binary }),
    close() {
      stopTimers();
      socket.close();
    },
    heardMs() {
      const now = performance.now();
      return chunks.reduce((total, c) => (c.dropped ? total : total + Math.max(0, Math.min(c.durationMs, now - c.playAtMs))), 0);
    },
    messagesOf: (event) => received.filter((r) => r.message?.event === event),
    async until(what, check, timeoutMs = 5000) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const value = check();
        if (value !== undefined && value !== null && value !== false) return value;
        if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  };
}
