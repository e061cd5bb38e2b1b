/**
 * `npm run bench:openai-realtime`: what the OpenAI Realtime adapter adds, against the mock server
 * (test/mocks/openai-realtime-server.ts) on 127.0.0.1 at 0 ms scripted latency.
 *
 * Measured, per event:
 *   - text delta in: from the socket's `message` event (a whole frame received and unmasked by `ws`) to our
 *     `onTextDelta` hook: the SDK's JSON.parse and emit, our dispatch, the history copy. The dualplex path.
 *   - audio delta in (speech-to-speech): the same to `onAudioDelta`, for 120 ms chunks: PCM 24 kHz into a
 *     24 kHz call (base64 decode only), PCM 24 kHz into an 8 kHz call (+ resampling), mu-law into an 8 kHz
 *     call (+ G.711 decode); alignment included.
 *   - frame out: one `pushAudio` of a 20 ms frame, synchronous part (resample, encode, base64, JSON, `ws`
 *     framing and the TLS write call): mu-law from 8 kHz, PCM 24 kHz from 8 kHz, PCM 24 kHz from 24 kHz.
 *
 * The `message` time is taken by wrapping `WebSocket.prototype.emit` of `ws` in this process only, so TLS
 * decryption and frame parsing by `ws` are outside the figure (they are the same for any client).
 *
 * Options: `--tokens <n>` deltas per reply (default 400), `--frames <n>` (default 2000), `--json`.
 */
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { createOpenAiRealtime, type OpenAiRealtimeHooks, type OpenAiRealtimeSession } from '../runtime/providers/openai/realtime.js';
import { startMockRealtimeServer, type MockRealtimeServer } from '../test/mocks/openai-realtime-server.js';
import { printTable, summarize, type Summary } from './stats.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Math.max(1, Number(args[at + 1]) || fallback) : fallback;
};
const tokenCount = option('--tokens', 400);
const frameCount = option('--frames', 2000);
const json = args.includes('--json');

let messageAt = 0;
const emit = WebSocket.prototype.emit;
WebSocket.prototype.emit = function patched(this: WebSocket, event: string | symbol, ...rest: unknown[]) {
  if (event === 'message') messageAt = performance.now();
  return emit.call(this, event, ...rest);
} as typeof WebSocket.prototype.emit;

const noop = () => {};

function hooks(onText: () => void, onAudio: () => void, done: () => void): OpenAiRealtimeHooks {
  return {
    onSpeechStarted: noop,
    onSpeechStopped: noop,
    onTranscript: noop,
    onTextDelta: onText,
    onAudioDelta: onAudio,
    onResponseDone: done,
    onError: (error) => {
      throw error;
    },
  };
}

async function opened(server: MockRealtimeServer, session: OpenAiRealtimeSession): Promise<void> {
  const before = server.connections.length;
  while (server.connections.length === before || server.connections.at(-1)!.sent.filter((e) => e.type === 'session.updated').length === 0) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  void session;
}

async function inbound(server: MockRealtimeServer, kind: 'text' | 'audio', inputFormat: 'pcmu' | 'pcm24k', sampleRate: number): Promise<number[]> {
  const samples: number[] = [];
  let finish: () => void = noop;
  const record = () => samples.push((performance.now() - messageAt) * 1000);
  const realtime = createOpenAiRealtime({
    apiKey: server.apiKey,
    baseURL: server.baseURL,
    model: 'gpt-realtime',
    transcriptionModel: 'gpt-4o-transcribe',
    turnDetection: 'local',
    outputAudio: kind === 'audio',
    inputFormat,
    clientOptions: { ca: server.ca },
  });
  const session = realtime.connect({ instructions: 'bench', language: 'en', sampleRate, outputAudio: kind === 'audio' }, hooks(kind === 'text' ? record : noop, kind === 'audio' ? record : noop, () => finish()));
  await opened(server, session);
  server.script = { reply: Array.from({ length: tokenCount }, (_, i) => `word${i}`).join(' '), audioMsPerToken: 120 };
  for (let run = 0; run < 2; run++) {
    // The first reply warms the JIT up; only the second is kept.
    if (run === 1) samples.length = 0;
    const done = new Promise<void>((resolve) => (finish = resolve));
    session.createResponse();
    await done;
  }
  session.close();
  return samples;
}

async function outbound(server: MockRealtimeServer, inputFormat: 'pcmu' | 'pcm24k', sampleRate: number): Promise<number[]> {
  const realtime = createOpenAiRealtime({
    apiKey: server.apiKey,
    baseURL: server.baseURL,
    model: 'gpt-realtime',
    transcriptionModel: 'gpt-4o-transcribe',
    turnDetection: 'local',
    outputAudio: false,
    inputFormat,
    clientOptions: { ca: server.ca },
  });
  const session = realtime.connect({ instructions: 'bench', language: 'en', sampleRate, outputAudio: false }, hooks(noop, noop, noop));
  await opened(server, session);
  const frame = Int16Array.from({ length: (sampleRate * 20) / 1000 }, (_, i) => Math.round(8000 * Math.sin(i / 5)));
  const samples: number[] = [];
  for (let i = 0; i < frameCount + 200; i++) {
    const startedAt = performance.now();
    session.pushAudio(frame);
    if (i >= 200) samples.push((performance.now() - startedAt) * 1000);
    // Let the socket drain now and then, as 20 ms pacing would.
    if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  session.close();
  return samples;
}

const server = await startMockRealtimeServer();
const rows: Array<[string, Summary]> = [
  ['text delta in, us', summarize(await inbound(server, 'text', 'pcmu', 8000))],
  ['audio 120 ms in, pcm24k -> 24 kHz, us', summarize(await inbound(server, 'audio', 'pcm24k', 24000))],
  ['audio 120 ms in, pcm24k -> 8 kHz, us', summarize(await inbound(server, 'audio', 'pcm24k', 8000))],
  ['audio 120 ms in, pcmu -> 8 kHz, us', summarize(await inbound(server, 'audio', 'pcmu', 8000))],
  ['frame out, 8 kHz -> pcmu, us', summarize(await outbound(server, 'pcmu', 8000))],
  ['frame out, 8 kHz -> pcm24k, us', summarize(await outbound(server, 'pcm24k', 8000))],
  ['frame out, 24 kHz -> pcm24k, us', summarize(await outbound(server, 'pcm24k', 24000))],
];
await server.close();
if (server.violations.length > 0) throw new Error(`the mock saw invalid client events:\n${server.violations.join('\n')}`);
if (json) process.stdout.write(`${JSON.stringify(Object.fromEntries(rows))}\n`);
else printTable(rows);
