/*
 * bench:serve's mock providers, in their own process so hundreds of sessions share neither the server's nor the
 * load generator's event loop:
 *   - speech to text: a lean mock of OpenAI's Realtime transcription session
 *     (`wss://…/v1/realtime?intent=transcription`) with a fixed latency (below);
 *   - the voice (unless the bench runs the offline eSpeak voice): test/mocks/elevenlabs-server.ts, ElevenLabs'
 *     `multi-stream-input` socket, first audio `firstAudioMs` after a context's first text, then a tone per
 *     character (`msPerChar`) as mu-law at 8 kHz with exact alignment. It keeps the few text messages of each
 *     context (a handful per call), nothing per audio frame.
 *
 * Why not test/mocks/openai-realtime-server.ts: that mock validates and keeps every client event (tests assert
 * on them), which at 50 audio appends a second per call grows without bound under load. This one keeps nothing:
 * an `input_audio_buffer.append` is recognised by a substring and dropped; `input_audio_buffer.commit` gets
 * `input_audio_buffer.committed` at once and, `transcriptionMs` later, the caller's line as one transcription
 * delta and `…transcription.completed`. No logprobs: the runtime then gives each word the default confidence.
 *
 * TLS as the real endpoint (the OpenAI SDK dials `wss:`): a self-signed certificate for 127.0.0.1, which the
 * server trusts through NODE_EXTRA_CA_CERTS.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { generate } from 'selfsigned';
import { WebSocketServer, type WebSocket } from 'ws';
import { startElevenLabsMock } from '../test/mocks/elevenlabs-server.js';

/** The key the ElevenLabs mock expects (the server is given it as ELEVENLABS_API_KEY). */
export const MOCK_ELEVENLABS_KEY = 'xi-bench-serve';

/** What the mock says and how long it takes. */
export interface MockOptions {
  /** Commit -> transcription delta and completed, ms (the configured latency subtracted from responses). */
  readonly transcriptionMs: number;
  /** The transcript of every committed utterance. */
  readonly transcript: string;
  /** The ElevenLabs mock's latency and audio length; absent: no voice mock (the eSpeak voice speaks). */
  readonly voice?: { readonly firstAudioMs: number; readonly msPerChar: number };
  /** A taskset CPU list to pin the mock to, if any. */
  readonly cpus?: string;
}

/** A running mock process. */
export interface Mocks {
  /** `https://127.0.0.1:PORT/v1`: the agent's `stt.baseURL`. */
  readonly baseURL: string;
  /** The certificate (PEM) the server must trust. */
  readonly ca: string;
  /** `http://127.0.0.1:PORT`: the agent's `voice.baseURL`, when the voice is mocked. */
  readonly elevenLabsBaseURL?: string;
  readonly pid: number;
  close(): void;
}

type FromMock = { readonly type: 'ready'; readonly baseURL: string; readonly ca: string; readonly elevenLabsBaseURL?: string };

/** Forks the mocks (pinned with taskset when `cpus` is given); resolves once they listen. */
export function startMocks(options: MockOptions): Promise<Mocks> {
  const file = fileURLToPath(import.meta.url);
  const voice = options.voice ? `${options.voice.firstAudioMs},${options.voice.msPerChar}` : '-';
  const args = [file, '--stt-mock', String(options.transcriptionMs), options.transcript, voice];
  const child: ChildProcess =
    options.cpus === undefined
      ? fork(file, args.slice(1), { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      : spawn('taskset', ['-c', options.cpus, process.execPath, ...process.execArgv, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the transcription mock exited (code ${code}) before it listened`)));
    child.once('message', (message) => {
      const ready = message as FromMock;
      resolve({ baseURL: ready.baseURL, ca: ready.ca, ...(ready.elevenLabsBaseURL ? { elevenLabsBaseURL: ready.elevenLabsBaseURL } : {}), pid: child.pid!, close: () => void child.kill('SIGTERM') });
    });
  });
}

/** The mocks' side: listen, then tell the parent where. */
async function runMock(transcriptionMs: number, transcript: string, voice: string): Promise<void> {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] }],
  });
  const https = createServer({ key: pems.private, cert: pems.cert }, (_request, response) => response.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  https.on('upgrade', (request, socket, head) => {
    if (!request.url?.startsWith('/v1/realtime')) return void socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    wss.handleUpgrade(request, socket, head, (ws) => serveSession(ws, transcriptionMs, transcript));
  });
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  const { port } = https.address() as AddressInfo;
  let elevenLabsBaseURL: string | undefined;
  if (voice !== '-') {
    const [firstAudioMs, msPerChar] = voice.split(',').map(Number);
    elevenLabsBaseURL = (await startElevenLabsMock({ apiKey: MOCK_ELEVENLABS_KEY, firstAudioMs: firstAudioMs!, msPerChar: msPerChar! })).baseURL;
  }
  process.send?.({ type: 'ready', baseURL: `https://127.0.0.1:${port}/v1`, ca: pems.cert, ...(elevenLabsBaseURL ? { elevenLabsBaseURL } : {}) } satisfies FromMock);
  process.on('SIGTERM', () => process.exit(0));
  process.on('disconnect', () => process.exit(0));
}

const APPEND = '"input_audio_buffer.append"';
const COMMIT = '"input_audio_buffer.commit"';

/** One transcription session: audio dropped, each commit transcribed `transcriptionMs` later. */
function serveSession(ws: WebSocket, transcriptionMs: number, transcript: string): void {
  let items = 0;
  const timers = new Set<NodeJS.Timeout>();
  const send = (event: object): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(event));
  };
  send({ type: 'session.created', session: { type: 'transcription' } });
  ws.on('message', (data) => {
    const text = data.toString();
    if (text.includes(APPEND) || !text.includes(COMMIT)) return;
    const itemId = `item_bench${String(++items).padStart(6, '0')}`;
    send({ type: 'input_audio_buffer.committed', previous_item_id: null, item_id: itemId });
    const timer = setTimeout(() => {
      timers.delete(timer);
      send({ type: 'conversation.item.input_audio_transcription.delta', item_id: itemId, content_index: 0, delta: transcript });
      send({ type: 'conversation.item.input_audio_transcription.completed', item_id: itemId, content_index: 0, transcript });
    }, transcriptionMs);
    timers.add(timer);
  });
  ws.on('close', () => timers.forEach((timer) => clearTimeout(timer)));
  ws.on('error', () => {});
}

const at = process.argv.indexOf('--stt-mock');
if (at >= 0) await runMock(Number(process.argv[at + 1]), process.argv[at + 2] ?? '', process.argv[at + 3] ?? '-');
