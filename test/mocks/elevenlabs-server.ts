/**
 * A local ElevenLabs for tests (127.0.0.1, random port): `multi-stream-input` over `ws` and the REST endpoints
 * the fallback uses, speaking the protocol as PROTOCOLS.md and the asyncapi describe.
 *
 * It checks everything a client sends and records each deviation in `violations` (tests assert it is empty):
 * the socket path and query, the `xi-api-key` header (a wrong key is refused with HTTP 401), and every message:
 * known fields only, `context_id` on every context message, a context starting with `{text: " "}`, voice settings
 * snake_case and only on that first message, text ending with a space (except the `""` keep-alive), nothing sent
 * to a context after `close_context`.
 *
 * It answers with real audio in the requested format (a tone per character, silence on spaces; mu-law for
 * `ulaw_8000`) and exact chunk-relative alignment, one audio message per `charsPerChunk` characters of each
 * text message (as with `auto_mode`). `close_context` after a flush lets the flushed text finish, then sends
 * `isFinal`; `close_context` without a flush stops the context at once and sends only `isFinal` (option
 * `closeSendsFinal`). A sixth open context gets `max_active_conversations` and the socket closes with 1008.
 * Faults (`mock.faults`, changeable at any time): drop the socket after N audio messages, an error message,
 * stall, malformed frames, refuse the upgrade, fail REST. Latency: `firstAudioMs`, `chunkIntervalMs` (slow).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { after } from './after.js';
import { encodeMulaw } from '../../runtime/audio/g711.js';
import { pcm16ToBytes } from '../../runtime/audio/pcm.js';

/** Options of {@link startElevenLabsMock}. */
export interface ElevenLabsMockOptions {
  /** The key clients must send. Default: `test-key`. */
  readonly apiKey?: string;
  /** Audio per character, ms. Default: 40. */
  readonly msPerChar?: number;
  /** Characters per audio message. Default: 10. */
  readonly charsPerChunk?: number;
  /** `camel`: `isFinal`, `contextId`, `alignment` + `charDurationsMs`. `snake`: `is_final`, `context_id`, only `normalizedAlignment` with `charsDurationsMs`. */
  readonly spelling?: 'camel' | 'snake';
  /** Send `isFinal` after a `close_context` that stops a context. Default: true. */
  readonly closeSendsFinal?: boolean;
  /** Delay before a context's first audio, ms. Default: 0. */
  firstAudioMs?: number;
  /** Delay between audio messages, ms. Default: 0. */
  chunkIntervalMs?: number;
  /** Closes a context (with `isFinal`) after this many ms without a message for it. Default: never. */
  inactivityMs?: number;
  /** Open contexts allowed per socket. Default: 5 (ElevenLabs' limit). */
  readonly maxContexts?: number;
}

/** Faults to inject; read when the event happens, so tests may change them mid-stream. */
export interface ElevenLabsMockFaults {
  /** Drop the socket abruptly after this many audio messages on one connection. */
  dropAfterAudio?: number;
  /** Send `{error, message}` (for the context when `errorForContext`) after this many audio messages. */
  errorAfterAudio?: number;
  errorForContext?: boolean;
  /** Accept text but never answer with audio. */
  stall?: boolean;
  /** Send malformed frames before every audio message. */
  malformed?: boolean;
  /** Refuse socket upgrades with this HTTP status. */
  rejectUpgrade?: number;
  /** Answer REST synthesis with this HTTP status. */
  restStatus?: number;
}

/** One message a client sent. */
export interface ReceivedMessage {
  readonly connection: number;
  readonly message: Record<string, unknown>;
}

/** One accepted socket. */
export interface MockConnection {
  readonly id: number;
  readonly voice: string;
  readonly query: Readonly<Record<string, string>>;
  closed: boolean;
  /** Audio messages sent on it. */
  audioSent: number;
}

/** A running mock. */
export interface ElevenLabsMock {
  /** `http://127.0.0.1:PORT`: pass as `baseURL` (the socket URL is derived from it). */
  readonly baseURL: string;
  readonly options: ElevenLabsMockOptions;
  readonly faults: ElevenLabsMockFaults;
  readonly violations: string[];
  readonly received: ReceivedMessage[];
  readonly connections: MockConnection[];
  readonly restRequests: Array<{ readonly voice: string; readonly query: Readonly<Record<string, string>>; readonly body: Record<string, unknown> }>;
  /** Upgrades refused for a wrong key. */
  authFailures: number;
  /** Socket upgrade requests received (accepted or not). */
  upgradeAttempts: number;
  /** `max_active_conversations` errors sent. */
  limitErrors: number;
  /** Messages sent to one context id, in order. */
  messagesFor(contextId: string): Array<Record<string, unknown>>;
  /** Drops every open socket abruptly (as a network failure would). */
  dropAll(): void;
  close(): Promise<void>;
}

const SOCKET_QUERY = new Set(['model_id', 'output_format', 'inactivity_timeout', 'sync_alignment', 'auto_mode', 'language_code', 'enable_logging', 'enable_ssml_parsing', 'apply_text_normalization', 'seed']);
const MESSAGE_FIELDS = new Set(['text', 'context_id', 'voice_settings', 'generation_config', 'flush', 'close_context', 'close_socket', 'pronunciation_dictionary_locators']);
const VOICE_SETTINGS = new Set(['stability', 'similarity_boost', 'style', 'use_speaker_boost', 'speed']);
const REST_FIELDS = new Set(['text', 'model_id', 'voice_settings', 'language_code', 'seed', 'previous_text', 'next_text', 'apply_text_normalization', 'pronunciation_dictionary_locators']);
const RATES: Record<string, number> = { ulaw_8000: 8000, pcm_8000: 8000, pcm_16000: 16000, pcm_22050: 22050, pcm_24000: 24000, pcm_44100: 44100, pcm_48000: 48000 };
const MALFORMED = ['not json', '[1,2,3]', '{"audio": 12345}', '{"alignment": {"chars": "abc"}}', '{"audio": "AAAA", "contextId": "no-such-context"}', '{"flush_done": true}', 'null'];

interface MockContext {
  readonly id: string;
  phase: 'open' | 'closing' | 'done';
  flushed: boolean;
  readonly queue: string[];
  pumping: boolean;
  started: boolean;
  charIndex: number;
  /** Cancels the pending audio chunk. */
  timer: (() => void) | undefined;
  idleTimer: NodeJS.Timeout | undefined;
}

/** Starts the mock on 127.0.0.1 at a random port. */
export async function startElevenLabsMock(options: ElevenLabsMockOptions = {}): Promise<ElevenLabsMock> {
  const apiKey = options.apiKey ?? 'test-key';
  const violations: string[] = [];
  const received: ReceivedMessage[] = [];
  const connections: MockConnection[] = [];
  const sockets = new Set<WebSocket>();
  const faults: ElevenLabsMockFaults = {};
  const restRequests: ElevenLabsMock['restRequests'] = [];
  const server = createServer((request, response) => void handleRest(request, response));
  const wss = new WebSocketServer({ noServer: true });
  const mock: ElevenLabsMock = {
    baseURL: '',
    options,
    faults,
    violations,
    received,
    connections,
    restRequests,
    authFailures: 0,
    upgradeAttempts: 0,
    limitErrors: 0,
    messagesFor: (contextId) => received.filter((entry) => entry.message.context_id === contextId).map((entry) => entry.message),
    dropAll: () => sockets.forEach((socket) => socket.terminate()),
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((socket) => socket.terminate());
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  server.on('upgrade', (request, socket, head) => {
    mock.upgradeAttempts++;
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const voice = /^\/v1\/text-to-speech\/([^/]+)\/multi-stream-input$/.exec(url.pathname)?.[1];
    const refuse = (status: number): void => {
      socket.end(`HTTP/1.1 ${status} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!voice) {
      violations.push(`socket path ${url.pathname} is not /v1/text-to-speech/{voice_id}/multi-stream-input`);
      return refuse(404);
    }
    if (request.headers['xi-api-key'] !== apiKey) {
      mock.authFailures++;
      return refuse(401);
    }
    if (faults.rejectUpgrade) return refuse(faults.rejectUpgrade);
    const query = Object.fromEntries(url.searchParams);
    checkSocketQuery(query, violations);
    wss.handleUpgrade(request, socket, head, (ws) => {
      const connection: MockConnection = { id: connections.length + 1, voice: decodeURIComponent(voice), query, closed: false, audioSent: 0 };
      connections.push(connection);
      sockets.add(ws);
      ws.on('close', () => {
        connection.closed = true;
        sockets.delete(ws);
      });
      serveSocket(ws, connection);
    });
  });

  function serveSocket(ws: WebSocket, connection: MockConnection): void {
    const contexts = new Map<string, MockContext>();
    const format = connection.query.output_format ?? 'mp3_44100_128';
    const rate = RATES[format] ?? 16000;
    const snake = options.spelling === 'snake';
    const send = (payload: unknown): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(payload));
    };
    const finalOf = (id: string): unknown => (snake ? { is_final: true, context_id: id } : { isFinal: true, contextId: id });
    const stopTimers = (context: MockContext): void => {
      context.timer?.();
      clearTimeout(context.idleTimer);
    };
    const finishContext = (context: MockContext): void => {
      stopTimers(context);
      context.phase = 'done';
      context.queue.length = 0;
      send(finalOf(context.id));
    };
    const touch = (context: MockContext): void => {
      clearTimeout(context.idleTimer);
      if (options.inactivityMs !== undefined) context.idleTimer = setTimeout(() => context.phase !== 'done' && finishContext(context), options.inactivityMs);
    };
    const pump = (context: MockContext): void => {
      if (context.pumping || context.phase === 'done' || faults.stall) return;
      const piece = context.queue.shift();
      if (piece === undefined) {
        if (context.phase === 'closing') finishContext(context);
        return;
      }
      context.pumping = true;
      const delayMs = context.started ? (options.chunkIntervalMs ?? 0) : (options.firstAudioMs ?? 0);
      context.started = true;
      context.timer = after(delayMs, () => {
        context.pumping = false;
        if (context.phase === 'done') return;
        sendAudio(context, piece);
        pump(context);
      });
    };
    const sendAudio = (context: MockContext, piece: string): void => {
      if (faults.malformed) {
        for (const frame of MALFORMED) ws.send(frame);
        ws.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]), { binary: true });
        send({ audio: '', alignment: { chars: ['x'], charStartTimesMs: [], charDurationsMs: [1, 2] }, contextId: context.id });
      }
      const chars = Array.from(piece);
      const audio = synthesise(chars, context.charIndex, rate, options.msPerChar ?? 40, format === 'ulaw_8000');
      context.charIndex += chars.length;
      const msPerChar = options.msPerChar ?? 40;
      const starts = chars.map((_, index) => index * msPerChar);
      const durations = chars.map(() => msPerChar);
      const base64 = Buffer.from(audio).toString('base64');
      if (snake) send({ audio: base64, is_final: false, normalizedAlignment: { chars, charStartTimesMs: starts, charsDurationsMs: durations }, context_id: context.id });
      else {
        const alignment = { chars, charStartTimesMs: starts, charDurationsMs: durations };
        send({ audio: base64, isFinal: null, normalizedAlignment: alignment, alignment, contextId: context.id });
      }
      connection.audioSent++;
      if (faults.errorAfterAudio !== undefined && connection.audioSent === faults.errorAfterAudio) {
        send({ message: 'Something went wrong generating audio', error: 'internal_error', code: 1011, ...(faults.errorForContext ? { contextId: context.id } : {}) });
        if (faults.errorForContext) finishSilently(context);
      }
      if (faults.dropAfterAudio !== undefined && connection.audioSent >= faults.dropAfterAudio) ws.terminate();
    };
    const finishSilently = (context: MockContext): void => {
      stopTimers(context);
      context.phase = 'done';
      context.queue.length = 0;
    };

    ws.on('message', (data, isBinary) => {
      let message: unknown;
      try {
        message = JSON.parse(isBinary ? '' : data.toString());
      } catch {
        violations.push(`connection ${connection.id}: a frame that is not JSON`);
        return;
      }
      if (typeof message !== 'object' || message === null || Array.isArray(message)) {
        violations.push(`connection ${connection.id}: a message that is not a JSON object`);
        return;
      }
      const fields = message as Record<string, unknown>;
      received.push({ connection: connection.id, message: fields });
      const problem = (text: string): void => void violations.push(`connection ${connection.id}: ${text} in ${JSON.stringify(fields)}`);
      for (const key of Object.keys(fields)) if (!MESSAGE_FIELDS.has(key)) problem(`unknown field "${key}"`);
      if ('close_socket' in fields) {
        if (fields.close_socket !== true || Object.keys(fields).length !== 1) problem('close_socket must be {close_socket: true} alone');
        contexts.forEach((context) => context.phase !== 'done' && finishContext(context));
        ws.close(1000, 'closed by client');
        return;
      }
      const id = fields.context_id;
      if (typeof id !== 'string' || id.length === 0) return problem('context_id missing');
      let context = contexts.get(id);
      if ('close_context' in fields) {
        if (fields.close_context !== true || Object.keys(fields).length !== 2) problem('close_context must be {context_id, close_context: true}');
        if (!context || context.phase !== 'open') return problem('close_context for a context that is not open');
        if (context.flushed) {
          context.phase = 'closing';
          if (!context.pumping && context.queue.length === 0) finishContext(context);
        } else if (options.closeSendsFinal === false) finishSilently(context);
        else finishContext(context);
        return;
      }
      if (!context || context.phase === 'done') {
        if (fields.text !== ' ') return problem(context ? 'a message for a context after close_context' : 'a context must start with {text: " "}');
        if ([...contexts.values()].filter((other) => other.phase !== 'done').length >= (options.maxContexts ?? 5)) {
          mock.limitErrors++;
          send({ message: 'Maximum simultaneous contexts per WebSocket connection exceeded (5). Please close an existing context before opening a new one.', error: 'max_active_conversations', code: 1008 });
          ws.close(1008, 'max_active_conversations');
          return;
        }
        checkInit(fields, problem);
        context = { id, phase: 'open', flushed: false, queue: [], pumping: false, started: false, charIndex: 0, timer: undefined, idleTimer: undefined };
        contexts.set(id, context);
        touch(context);
        return;
      }
      if (context.phase !== 'open') return problem('a message for a context after close_context');
      if ('voice_settings' in fields || 'generation_config' in fields) problem('voice_settings/generation_config after the first message');
      if ('flush' in fields && typeof fields.flush !== 'boolean') problem('flush must be a boolean');
      if (!('text' in fields) && fields.flush !== true) problem('a message with neither text nor flush');
      touch(context);
      if ('text' in fields) {
        const text = fields.text;
        if (typeof text !== 'string') return problem('text must be a string');
        if (text !== '' && !text.endsWith(' ')) problem('text must end with a space');
        const charsPerChunk = options.charsPerChunk ?? 10;
        const chars = Array.from(text);
        for (let from = 0; from < chars.length; from += charsPerChunk) context.queue.push(chars.slice(from, from + charsPerChunk).join(''));
      }
      if (fields.flush === true) context.flushed = true;
      pump(context);
    });
    ws.on('close', () => contexts.forEach(stopTimers));
  }

  async function handleRest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const json = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (request.headers['xi-api-key'] !== apiKey) return json(401, { detail: { status: 'invalid_api_key', message: 'Invalid API key' } });
    if (request.method === 'GET' && url.pathname === '/v1/voices') {
      return json(200, { voices: [{ voice_id: 'voice-a', name: 'Alice', category: 'premade' }, { voice_id: 'voice-b', name: 'Bob', category: 'cloned' }] });
    }
    const voice = /^\/v1\/text-to-speech\/([^/]+)\/stream\/with-timestamps$/.exec(url.pathname)?.[1];
    if (request.method !== 'POST' || !voice) return json(404, { detail: 'not found' });
    let body: Record<string, unknown>;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      violations.push('REST: body is not JSON');
      return json(400, { detail: 'invalid body' });
    }
    const query = Object.fromEntries(url.searchParams);
    restRequests.push({ voice: decodeURIComponent(voice), query, body });
    for (const key of Object.keys(body)) if (!REST_FIELDS.has(key)) violations.push(`REST: unknown field "${key}"`);
    const settings = body.voice_settings;
    if (settings !== undefined) for (const key of Object.keys(settings as object)) if (!VOICE_SETTINGS.has(key)) violations.push(`REST: voice_settings field "${key}"`);
    if (typeof body.text !== 'string' || body.text.length === 0) violations.push('REST: text missing');
    const format = query.output_format ?? 'mp3_44100_128';
    if (!(format in RATES)) violations.push(`REST: output_format ${format} is not raw audio`);
    if (faults.restStatus) return json(faults.restStatus, { detail: { status: 'error', message: `injected ${faults.restStatus}` } });
    const rate = RATES[format] ?? 16000;
    const msPerChar = options.msPerChar ?? 40;
    const chars = Array.from(String(body.text ?? ''));
    response.writeHead(200, { 'content-type': 'application/json' });
    const step = options.charsPerChunk ?? 10;
    for (let from = 0; from < chars.length; from += step) {
      const piece = chars.slice(from, from + step);
      const audio = synthesise(piece, from, rate, msPerChar, format === 'ulaw_8000');
      const alignment = {
        characters: piece,
        character_start_times_seconds: piece.map((_, index) => ((from + index) * msPerChar) / 1000),
        character_end_times_seconds: piece.map((_, index) => ((from + index + 1) * msPerChar) / 1000),
      };
      response.write(`${JSON.stringify({ audio_base64: Buffer.from(audio).toString('base64'), alignment, normalized_alignment: alignment })}\n`);
    }
    response.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  (mock as { baseURL: string }).baseURL = `http://127.0.0.1:${port}`;
  return mock;
}

function checkSocketQuery(query: Record<string, string>, violations: string[]): void {
  for (const key of Object.keys(query)) if (!SOCKET_QUERY.has(key)) violations.push(`socket query: unknown parameter ${key}`);
  if (!query.model_id) violations.push('socket query: model_id missing');
  if (!query.output_format || !(query.output_format in RATES) || query.output_format === 'pcm_48000') violations.push(`socket query: output_format ${query.output_format} is not a raw format of the socket`);
  const timeout = query.inactivity_timeout;
  if (timeout !== undefined && !(/^\d+$/.test(timeout) && Number(timeout) >= 1 && Number(timeout) <= 180)) violations.push(`socket query: inactivity_timeout ${timeout}`);
  for (const key of ['sync_alignment', 'auto_mode'] as const) if (query[key] !== undefined && !['true', 'false'].includes(query[key])) violations.push(`socket query: ${key}=${query[key]}`);
}

function checkInit(fields: Record<string, unknown>, problem: (text: string) => void): void {
  for (const key of Object.keys(fields)) if (!['text', 'context_id', 'voice_settings', 'generation_config', 'pronunciation_dictionary_locators'].includes(key)) problem(`field "${key}" in a context's first message`);
  const settings = fields.voice_settings;
  if (settings !== undefined) {
    if (typeof settings !== 'object' || settings === null) return problem('voice_settings must be an object');
    for (const [key, value] of Object.entries(settings)) {
      if (!VOICE_SETTINGS.has(key)) problem(`voice_settings field "${key}" (snake_case expected)`);
      else if (key === 'use_speaker_boost' ? typeof value !== 'boolean' : typeof value !== 'number') problem(`voice_settings.${key} has the wrong type`);
    }
    const speed = (settings as { speed?: number }).speed;
    if (speed !== undefined && !(speed >= 0.7 && speed <= 1.2)) problem(`voice_settings.speed ${speed} outside 0.7-1.2`);
  }
  const config = fields.generation_config as { chunk_length_schedule?: unknown } | undefined;
  if (config !== undefined) {
    const schedule = config.chunk_length_schedule;
    if (Object.keys(config).some((key) => key !== 'chunk_length_schedule') || !Array.isArray(schedule) || !schedule.every((n) => typeof n === 'number' && n >= 50 && n <= 500)) {
      problem('generation_config must be {chunk_length_schedule: [50-500, ...]}');
    }
  }
}

/** A tone per character (pitch from the character, near silence on whitespace); `charIndex` keeps phase continuous. */
export function synthesise(chars: readonly string[], charIndex: number, rate: number, msPerChar: number, mulaw: boolean): Uint8Array {
  const perChar = Math.round((msPerChar * rate) / 1000);
  const pcm = new Int16Array(perChar * chars.length);
  chars.forEach((char, index) => {
    const quiet = /\s/.test(char);
    const frequencyHz = 120 + ((char.codePointAt(0) ?? 0) % 32) * 12;
    for (let sample = 0; sample < perChar; sample++) {
      const t = ((charIndex + index) * perChar + sample) / rate;
      pcm[index * perChar + sample] = quiet ? 0 : Math.round(8000 * Math.sin(2 * Math.PI * frequencyHz * t));
    }
  });
  return mulaw ? encodeMulaw(pcm) : pcm16ToBytes(pcm);
}
