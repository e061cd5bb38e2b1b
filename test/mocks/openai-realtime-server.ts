/**
 * A mock OpenAI Realtime server (GA) for tests and benchmarks: HTTPS + WebSocket upgrade on 127.0.0.1 with a
 * self-signed certificate made at start (the SDK forces `wss:`; pass `ca` as the client's `ca`).
 *
 * It checks the upgrade (`/v1/realtime?model=...` or `?intent=transcription`, `Authorization: Bearer <key>`,
 * no beta header), validates every client event (`violations`, which tests assert empty), keeps a conversation
 * and answers with GA server events of the real shapes: session.created/updated, input_audio_buffer.*,
 * conversation.item.*, transcription delta/completed (with logprobs when asked), response.* with text or
 * audio (real PCM or mu-law bytes), response.done with status and status_details, and errors.
 *
 * Scripted: the transcript of each committed buffer, the reply (text or a function of the conversation),
 * latencies, server VAD on audio energy, and faults (close mid-response, error event, stall, malformed frame).
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { generate } from 'selfsigned';
import { WebSocketServer, type WebSocket } from 'ws';
import { after } from './after.js';
import { decodeMulaw, encodeMulaw } from '../../runtime/audio/g711.js';
import { validateClientEvent, type MockSessionKind } from './openai-realtime-validate.js';

/** A fault injected into one response, after `afterDeltas` deltas. */
export interface MockFault {
  /** `close`: the socket closes (1011); `error`: an error event, then response.done failed; `stall`: silence; `malformed`: a frame that is not JSON, then the response goes on. */
  readonly kind: 'close' | 'error' | 'stall' | 'malformed';
  /** Deltas sent before the fault. Default: 1. */
  readonly afterDeltas?: number;
  /** 0-based index of the response (per connection) it hits. Default: 0. */
  readonly response?: number;
}

/** What a reply function sees. */
export interface MockReplyContext {
  readonly instructions: string;
  /** The conversation's message items as text (audio items by transcript, `undefined` before transcription). */
  readonly conversation: ReadonlyArray<{ readonly id: string; readonly role: string; readonly text: string | undefined }>;
  /** 0-based response index on this connection. */
  readonly index: number;
}

/** The mock's behaviour; mutable between tests. */
export interface MockRealtimeScript {
  /** Transcripts of committed buffers, in order (the last one repeats). Default: `["hello there"]`. */
  transcripts?: readonly string[];
  /** The reply. Default: `"Sure, I can help with that."`. */
  reply?: string | ((context: MockReplyContext) => string);
  /** Delay before the first delta of a response, ms. Default: 0. */
  firstDeltaMs?: number;
  /** Delay between deltas, ms. Default: 0: back to back, as the chat mock sends them (a yield every 256). */
  deltaIntervalMs?: number;
  /** Audio per reply token (audio output), ms. Default: 120. */
  audioMsPerToken?: number;
  /** Delay before transcription deltas, ms. Default: 0. */
  transcriptionMs?: number;
  /** Fault to inject. */
  fault?: MockFault;
}

/** One client connection. */
export interface MockConnection {
  readonly kind: MockSessionKind;
  readonly url: URL;
  readonly headers: IncomingMessage['headers'];
  /** Client events received, parsed. */
  readonly received: Array<Record<string, unknown>>;
  /** Server events sent. */
  readonly sent: Array<Record<string, unknown>>;
  readonly session: Record<string, unknown>;
  readonly conversation: MockItem[];
  /** Audio bytes appended in total (wire format). */
  appendedBytes: number;
  send(event: Record<string, unknown>): void;
  sendRaw(text: string): void;
  close(code?: number): void;
}

/** A conversation item as the mock keeps it. */
export interface MockItem {
  id: string;
  object: 'realtime.item';
  type: 'message';
  status: string;
  role: string;
  content: Array<Record<string, unknown>>;
  /** Audio held by an assistant audio item, ms. */
  audioMs?: number;
}

/** A running mock server. */
export interface MockRealtimeServer {
  /** `https://127.0.0.1:<port>/v1`: the client's baseURL. */
  readonly baseURL: string;
  /** The certificate (PEM) to trust. */
  readonly ca: string;
  readonly apiKey: string;
  readonly connections: MockConnection[];
  /** Every validation problem, prefixed with the connection number. Tests assert this is empty. */
  readonly violations: string[];
  script: MockRealtimeScript;
  close(): Promise<void>;
}

let sharedCertificate: Promise<{ key: string; cert: string }> | undefined;

/** One self-signed certificate for 127.0.0.1 per process (EC keys: generated in milliseconds). */
function certificate(): Promise<{ key: string; cert: string }> {
  sharedCertificate ??= generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] }],
  }).then((pems) => ({ key: pems.private, cert: pems.cert }));
  return sharedCertificate;
}

/** Starts the mock on 127.0.0.1 (a free port). */
export async function startMockRealtimeServer(options: { apiKey?: string; script?: MockRealtimeScript } = {}): Promise<MockRealtimeServer> {
  const { key, cert } = await certificate();
  const apiKey = options.apiKey ?? 'sk-test-mock';
  const https: Server = createServer({ key, cert });
  const wss = new WebSocketServer({ noServer: true });
  const connections: MockConnection[] = [];
  const violations: string[] = [];
  const server: MockRealtimeServer = { baseURL: '', ca: cert, apiKey, connections, violations, script: options.script ?? {}, close: async () => {} };

  https.on('request', (_req, res) => {
    res.writeHead(404).end();
  });
  https.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const reject = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    };
    if (url.pathname !== '/v1/realtime') return reject(404, 'Not Found');
    if (req.headers.authorization !== `Bearer ${apiKey}`) return reject(401, 'Unauthorized');
    const kind: MockSessionKind = url.searchParams.get('intent') === 'transcription' ? 'transcription' : 'realtime';
    const number = connections.length;
    const note = (problem: string) => violations.push(`#${number}: ${problem}`);
    if (kind === 'realtime' && !url.searchParams.get('model')) note('upgrade: no ?model= in the URL');
    if (req.headers['openai-beta']) note(`upgrade: beta header OpenAI-Beta: ${String(req.headers['openai-beta'])} (GA sends none)`);
    wss.handleUpgrade(req, socket, head, (ws) => {
      connections.push(serve(ws, { kind, url, headers: req.headers, note, script: () => server.script }));
    });
  });
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  const port = (https.address() as AddressInfo).port;
  return Object.assign(server, {
    baseURL: `https://127.0.0.1:${port}/v1`,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => https.close(() => resolve()));
    },
  });
}

interface ServeOptions {
  readonly kind: MockSessionKind;
  readonly url: URL;
  readonly headers: IncomingMessage['headers'];
  note(problem: string): void;
  script(): MockRealtimeScript;
}

/** Splits text into tokens that keep their leading spaces ("Hi there." -> "Hi", " there", "."). */
export function tokens(text: string): string[] {
  return text.match(/\s*[\p{L}\p{N}'’-]+|\s*[^\s\p{L}\p{N}]+/gu) ?? [];
}

/** A 440 Hz tone of `ms` in the wire format (`audio/pcmu` bytes or PCM16 LE at 24 kHz). */
export function tone(ms: number, pcmu: boolean, phase = 0): Buffer {
  const rate = pcmu ? 8000 : 24000;
  const samples = new Int16Array(Math.round((ms * rate) / 1000));
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (i + phase)) / rate));
  return pcmu ? Buffer.from(encodeMulaw(samples)) : Buffer.from(samples.buffer);
}

function serve(ws: WebSocket, options: ServeOptions): MockConnection {
  let counter = 0;
  const id = (prefix: string) => `${prefix}_mock${(++counter).toString().padStart(6, '0')}`;
  const pcmuIn = () => session.audio?.input?.format?.type === 'audio/pcmu';
  const session: Record<string, any> =
    options.kind === 'realtime'
      ? {
          type: 'realtime', object: 'realtime.session', id: id('sess'), model: options.url.searchParams.get('model'), output_modalities: ['audio'], instructions: '',
          audio: { input: { format: { type: 'audio/pcm', rate: 24000 }, transcription: null, noise_reduction: null, turn_detection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 200, idle_timeout_ms: null, create_response: true, interrupt_response: true } }, output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'alloy', speed: 1 } },
          tools: [], tool_choice: 'auto', max_output_tokens: 'inf', tracing: null, prompt: null, expires_at: 0, include: null,
        }
      : { type: 'transcription', object: 'realtime.transcription_session', id: id('sess'), audio: { input: { format: { type: 'audio/pcm', rate: 24000 }, transcription: null, noise_reduction: null, turn_detection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 200 } } }, include: null, expires_at: 0 };
  const conversation: MockItem[] = [];
  const timers = new Set<() => void>();
  let buffer: Buffer[] = [];
  let bufferMs = 0;
  let audioMs = 0;
  let speech: { startMs: number; itemId: string; silentMs: number } | undefined;
  let commits = 0;
  let responses = 0;
  let active: { id: string; item: MockItem; cancel(reason: string): void } | undefined;

  const connection: MockConnection = {
    kind: options.kind, url: options.url, headers: options.headers, received: [], sent: [], session, conversation, appendedBytes: 0,
    send: (event) => {
      const full = { event_id: id('event'), ...event };
      connection.sent.push(full);
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(full));
    },
    sendRaw: (text) => ws.readyState === ws.OPEN && ws.send(text),
    close: (code = 1011) => ws.close(code, 'mock closed'),
  };
  const send = connection.send;
  const later = (ms: number, fn: () => void) => {
    const cancel = after(ms, () => {
      timers.delete(cancel);
      fn();
    });
    timers.add(cancel);
  };
  const error = (type: string, code: string | null, message: string, eventId?: unknown, param: string | null = null) =>
    send({ type: 'error', error: { type, code, message, param, event_id: typeof eventId === 'string' ? eventId : null } });
  const previousOf = (item: MockItem) => conversation[conversation.indexOf(item) - 1]?.id ?? null;
  const textOf = (item: MockItem) => {
    let text = '';
    for (const part of item.content) {
      if (typeof part.text === 'string') text += part.text;
      else if (typeof part.transcript === 'string') text += part.transcript;
      else return undefined;
    }
    return text;
  };
  const addItem = (item: MockItem, previous?: string) => {
    const at = previous === undefined ? conversation.length : previous === 'root' ? 0 : conversation.findIndex((x) => x.id === previous) + 1;
    conversation.splice(at, 0, item);
    send({ type: 'conversation.item.added', previous_item_id: previousOf(item), item: structuredClone(item) });
  };

  const transcribe = (itemId: string, ms: number) => {
    const script = options.script();
    const list = script.transcripts ?? ['hello there'];
    const text = list[Math.min(commits, list.length - 1)] ?? '';
    commits++;
    if (!(session.audio?.input?.transcription)) return;
    const withLogprobs = Array.isArray(session.include) && session.include.includes('item.input_audio_transcription.logprobs');
    const logprobsOf = (part: string) => tokens(part).map((token) => ({ token, logprob: -0.05, bytes: [...Buffer.from(token)] }));
    later(script.transcriptionMs ?? 0, () => {
      for (const token of tokens(text)) {
        send({ type: 'conversation.item.input_audio_transcription.delta', item_id: itemId, content_index: 0, delta: token, ...(withLogprobs ? { logprobs: logprobsOf(token) } : {}) });
      }
      const item = conversation.find((x) => x.id === itemId);
      if (item) item.content = [{ type: 'input_audio', transcript: text }];
      send({ type: 'conversation.item.input_audio_transcription.completed', item_id: itemId, content_index: 0, transcript: text, usage: { type: 'duration', seconds: Math.ceil(ms / 1000) }, ...(withLogprobs ? { logprobs: logprobsOf(text) } : {}) });
    });
  };

  const commit = (eventId?: unknown, itemId = id('item')) => {
    if (bufferMs < 100) {
      return error('invalid_request_error', 'input_audio_buffer_commit_empty', `Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has ${bufferMs.toFixed(2)}ms of audio.`, eventId);
    }
    const ms = bufferMs;
    buffer = [];
    bufferMs = 0;
    const previous = conversation[conversation.length - 1]?.id ?? null;
    send({ type: 'input_audio_buffer.committed', previous_item_id: previous, item_id: itemId });
    const item: MockItem = { id: itemId, object: 'realtime.item', type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_audio', transcript: null }] };
    addItem(item);
    send({ type: 'conversation.item.done', previous_item_id: previousOf(item), item: structuredClone(item) });
    transcribe(itemId, ms);
  };

  /** Server VAD on energy: speech above ~-22 dBFS RMS, ended by `silence_duration_ms` of quiet. */
  const vad = (bytes: Buffer, ms: number) => {
    const detection = session.audio?.input?.turn_detection;
    const start = audioMs;
    audioMs += ms;
    if (!detection) return;
    const samples = pcmuIn() ? decodeMulaw(bytes) : new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + (bytes.length & ~1)));
    let energy = 0;
    for (const sample of samples) energy += sample * sample;
    const loud = Math.sqrt(energy / Math.max(1, samples.length)) > 2500;
    if (loud && !speech) {
      speech = { startMs: start, itemId: id('item'), silentMs: 0 };
      send({ type: 'input_audio_buffer.speech_started', audio_start_ms: Math.round(start), item_id: speech.itemId });
      if (detection.interrupt_response && active) active.cancel('turn_detected');
    } else if (speech) {
      speech.silentMs = loud ? 0 : speech.silentMs + ms;
      if (speech.silentMs >= (detection.silence_duration_ms ?? 500)) {
        const itemId = speech.itemId;
        speech = undefined;
        send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: Math.round(audioMs), item_id: itemId });
        commit(undefined, itemId);
        if (detection.create_response && options.kind === 'realtime') respond({}, undefined);
      }
    }
  };

  const respond = (params: Record<string, any>, eventId: unknown) => {
    if (active) return error('invalid_request_error', 'conversation_already_has_active_response', `Conversation already has an active response in progress: ${active.id}. Wait until the response is finished before creating a new one.`, eventId);
    const script = options.script();
    const index = responses++;
    const responseId = id('resp');
    const modalities: string[] = params.output_modalities ?? session.output_modalities;
    const audio = modalities[0] === 'audio';
    const pcmu = (session.audio?.output?.format?.type ?? 'audio/pcm') === 'audio/pcmu';
    const response = (status: string, statusDetails: unknown, output: unknown[] = []) => ({
      object: 'realtime.response', id: responseId, status, status_details: statusDetails, output, conversation_id: 'conv_mock', output_modalities: modalities,
      max_output_tokens: params.max_output_tokens ?? session.max_output_tokens ?? 'inf', audio: { output: { format: session.audio?.output?.format, voice: session.audio?.output?.voice } },
      usage: status === 'in_progress' ? null : { total_tokens: 30, input_tokens: 20, output_tokens: 10, input_token_details: { text_tokens: 20, audio_tokens: 0, image_tokens: 0, cached_tokens: 0 }, output_token_details: { text_tokens: 10, audio_tokens: 0 } },
      metadata: params.metadata ?? null,
    });
    send({ type: 'response.created', response: response('in_progress', null) });
    const item: MockItem = { id: id('item'), object: 'realtime.item', type: 'message', status: 'in_progress', role: 'assistant', content: [] };
    addItem(item);
    const where = { response_id: responseId, item_id: item.id, output_index: 0, content_index: 0 };
    send({ type: 'response.output_item.added', response_id: responseId, output_index: 0, item: structuredClone(item) });
    const part: Record<string, unknown> = audio ? { type: 'audio', transcript: '' } : { type: 'text', text: '' };
    item.content = [audio ? { type: 'output_audio', transcript: '' } : { type: 'output_text', text: '' }];
    item.audioMs = audio ? 0 : undefined;
    send({ type: 'response.content_part.added', ...where, part });
    const context: MockReplyContext = { instructions: params.instructions ?? session.instructions ?? '', conversation: conversation.filter((x) => x !== item).map((x) => ({ id: x.id, role: x.role, text: textOf(x) })), index };
    const text = typeof script.reply === 'function' ? script.reply(context) : (script.reply ?? 'Sure, I can help with that.');
    const pieces = tokens(text);
    const fault = script.fault && (script.fault.response ?? 0) === index ? script.fault : undefined;
    let sent = 0;
    let said = '';
    const finish = (status: string, details: unknown) => {
      active = undefined;
      item.status = status === 'completed' ? 'completed' : 'incomplete';
      if (status === 'completed') {
        if (audio) {
          send({ type: 'response.output_audio.done', ...where });
          send({ type: 'response.output_audio_transcript.done', ...where, transcript: said });
        } else send({ type: 'response.output_text.done', ...where, text: said });
        send({ type: 'response.content_part.done', ...where, part: { ...part, ...(audio ? { transcript: said } : { text: said }) } });
      }
      send({ type: 'response.output_item.done', response_id: responseId, output_index: 0, item: structuredClone(item) });
      send({ type: 'conversation.item.done', previous_item_id: previousOf(item), item: structuredClone(item) });
      send({ type: 'response.done', response: response(status, details, [structuredClone(item)]) });
    };
    const step = () => {
      if (active?.id !== responseId) return;
      if (fault && sent === (fault.afterDeltas ?? 1)) {
        if (fault.kind === 'close') return void ws.close(1011, 'internal error');
        if (fault.kind === 'stall') return;
        if (fault.kind === 'error') {
          error('server_error', null, 'The server had an error while processing your request. Sorry about that!');
          return finish('failed', { type: 'failed', error: { type: 'server_error', code: 'internal_error' } });
        }
        if (fault.kind === 'malformed') connection.sendRaw('{"type":"response.output_text.delta","delta":');
      }
      const piece = pieces[sent];
      if (piece === undefined) return finish('completed', null);
      sent++;
      said += piece;
      const content = item.content[0]!;
      if (audio) {
        content.transcript = said;
        send({ type: 'response.output_audio_transcript.delta', ...where, delta: piece });
        const ms = script.audioMsPerToken ?? 120;
        item.audioMs = (item.audioMs ?? 0) + ms;
        send({ type: 'response.output_audio.delta', ...where, delta: tone(ms, pcmu, Math.round(((item.audioMs - ms) * (pcmu ? 8000 : 24000)) / 1000)).toString('base64') });
      } else {
        content.text = said;
        send({ type: 'response.output_text.delta', ...where, delta: piece });
      }
      // Unpaced, the rest of the reply goes out in this turn of the loop, yielding every 256 deltas so a cancel
      // is still read: a setImmediate per delta would pace the tokens at the mock's event-loop speed.
      const intervalMs = script.deltaIntervalMs ?? 0;
      if (intervalMs > 0 || sent % 256 === 0) later(intervalMs, step);
      else step();
    };
    active = {
      id: responseId,
      item,
      cancel: (reason) => finish('cancelled', { type: 'cancelled', reason }),
    };
    later(script.firstDeltaMs ?? 0, step);
  };

  const handlers: Record<string, (event: Record<string, any>) => void> = {
    'session.update': (event) => {
      if (event.session?.type !== options.kind) {
        return error('invalid_request_error', 'invalid_value', `Passing a ${String(event.session?.type)} session update event to a ${options.kind} session is not allowed.`, event.event_id, 'session.type');
      }
      if (options.kind === 'transcription') {
        // Live-streaming models take no server VAD: the client commits each turn (OpenAI's transcription guide).
        const effective = structuredClone(session);
        mergeInto(effective, event.session);
        const model = String(effective.audio?.input?.transcription?.model ?? '');
        if (/^(gpt-live-transcribe|gpt-realtime-whisper)/.test(model) && effective.audio?.input?.turn_detection) {
          return error('invalid_request_error', 'invalid_value', `Turn detection is not supported for model '${model}'; set audio.input.turn_detection to null.`, event.event_id, 'session.audio.input.turn_detection');
        }
      }
      mergeInto(session, event.session);
      send({ type: 'session.updated', session: structuredClone(session) });
    },
    'input_audio_buffer.append': (event) => {
      const bytes = Buffer.from(String(event.audio), 'base64');
      connection.appendedBytes += bytes.length;
      const ms = pcmuIn() ? bytes.length / 8 : bytes.length / 48;
      buffer.push(bytes);
      bufferMs += ms;
      vad(bytes, ms);
    },
    'input_audio_buffer.commit': (event) => commit(event.event_id),
    'input_audio_buffer.clear': () => {
      buffer = [];
      bufferMs = 0;
      send({ type: 'input_audio_buffer.cleared' });
    },
    'conversation.item.create': (event) => {
      const previous = event.previous_item_id as string | undefined;
      if (previous !== undefined && previous !== 'root' && !conversation.some((x) => x.id === previous)) {
        return error('invalid_request_error', 'item_not_found', `Item with id '${previous}' not found.`, event.event_id, 'previous_item_id');
      }
      const itemId = (event.item.id as string | undefined) ?? id('item');
      if (conversation.some((x) => x.id === itemId)) return error('invalid_request_error', 'item_already_exists', `Item with id '${itemId}' already exists.`, event.event_id, 'item.id');
      const item: MockItem = { id: itemId, object: 'realtime.item', type: 'message', status: 'completed', role: event.item.role, content: structuredClone(event.item.content) };
      addItem(item, previous);
      send({ type: 'conversation.item.done', previous_item_id: previousOf(item), item: structuredClone(item) });
    },
    'conversation.item.delete': (event) => {
      const index = conversation.findIndex((x) => x.id === event.item_id);
      if (index < 0) return error('invalid_request_error', 'item_not_found', `Item with id '${event.item_id}' not found.`, event.event_id, 'item_id');
      conversation.splice(index, 1);
      send({ type: 'conversation.item.deleted', item_id: event.item_id });
    },
    'conversation.item.truncate': (event) => {
      const item = conversation.find((x) => x.id === event.item_id);
      if (!item) return error('invalid_request_error', 'item_not_found', `Item with id '${event.item_id}' not found.`, event.event_id, 'item_id');
      if (item.role !== 'assistant' || item.audioMs === undefined) return error('invalid_request_error', 'invalid_value', 'Only assistant messages with audio can be truncated.', event.event_id, 'item_id');
      if (event.audio_end_ms > item.audioMs) {
        return error('invalid_request_error', 'invalid_value', `Audio content of ${item.audioMs}ms is already shorter than ${event.audio_end_ms}ms`, event.event_id, 'audio_end_ms');
      }
      item.audioMs = event.audio_end_ms;
      item.content = [{ type: 'output_audio', transcript: '' }];
      send({ type: 'conversation.item.truncated', item_id: item.id, content_index: event.content_index, audio_end_ms: event.audio_end_ms });
    },
    'response.create': (event) => respond(event.response ?? {}, event.event_id),
    'response.cancel': (event) => {
      if (!active || (event.response_id !== undefined && event.response_id !== active.id)) {
        return error('invalid_request_error', 'response_cancel_not_active', 'Cancellation failed: no active response found', event.event_id);
      }
      active.cancel('client_cancelled');
    },
  };

  ws.on('message', (data, isBinary) => {
    let event: Record<string, any>;
    try {
      if (isBinary) throw new Error('binary frame');
      event = JSON.parse(data.toString());
    } catch {
      options.note('a client frame is not JSON text');
      return;
    }
    connection.received.push(event);
    const problems = validateClientEvent(event, options.kind);
    for (const problem of problems) options.note(problem);
    if (problems.length > 0) return error('invalid_request_error', 'invalid_event', `Invalid event: ${problems[0]}`, event.event_id);
    handlers[event.type]?.(event);
  });
  ws.on('close', () => {
    for (const cancel of timers) cancel();
    timers.clear();
  });
  send({ type: 'session.created', session: structuredClone(session) });
  return connection;
}

/** Deep-merges a partial session update (objects merge, everything else replaces). */
function mergeInto(target: Record<string, any>, patch: Record<string, any>): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value && typeof value === 'object' && !Array.isArray(value) && target[key] && typeof target[key] === 'object' && !Array.isArray(target[key])) mergeInto(target[key], value);
    else target[key] = structuredClone(value);
  }
}
