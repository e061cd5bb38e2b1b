/**
 * `npm run bench:elevenlabs`: what the ElevenLabs socket adapter (runtime/providers/elevenlabs) costs per audio
 * chunk, against the local mock (test/mocks/elevenlabs-server.ts) on loopback with 0 ms of synthesis latency,
 * so everything measured is ours (and the loopback's).
 *
 * Measured, per sample rate (default 20 utterances each after one warm-up):
 *   - handler per chunk: time spent synchronously in the adapter for one server message carrying ~200 ms of
 *     audio with its alignment (JSON parse, routing by context, base64 + mu-law/PCM decode, resampling for
 *     48 kHz, the `onAudio` call with a no-op hook), us. It runs on the thread that paces every call's playout;
 *   - first audio: `end()` of a two-sentence reply (pushed as tokens) to the first `onAudio`, over loopback with
 *     the socket already open, ms: the adapter's share of time to first audio;
 *   - utterance: `end()` to `onDone`, ms.
 *
 * Options: `--runs <n>` (default 20), `--json` (one JSON line instead of the table).
 */
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { createElevenLabsTts, type ElevenLabsTts, type WebSocketLike } from '../runtime/providers/elevenlabs/index.js';
import { realClock } from '../runtime/util/clock.js';
import { startElevenLabsMock } from '../test/mocks/elevenlabs-server.js';
import { printTable, summarize, type Summary } from './stats.js';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Math.max(1, Number(args[runsAt + 1]) || 20) : 20;
const json = args.includes('--json');

const REPLY = 'Thanks for calling, this is the booking line. How can I help you today? I can check a table for you, change a booking, or answer questions about the menu.';

/** Microseconds each `message` handler ran, across all sockets. */
let handlerUs: number[] = [];

/** A `ws` socket whose `message` listeners are timed. */
class TimingSocket implements WebSocketLike {
  private readonly ws: WebSocket;
  constructor(url: string, options: { headers: Record<string, string>; handshakeTimeout?: number }) {
    this.ws = new WebSocket(url, options);
  }
  send(data: string): void {
    this.ws.send(data);
  }
  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }
  terminate(): void {
    this.ws.terminate();
  }
  on(event: 'open', listener: () => void): this;
  on(event: 'message', listener: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): this;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'open' | 'message' | 'close' | 'error', listener: (...args: never[]) => void): this {
    if (event === 'message') {
      const handle = listener as (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void;
      this.ws.on('message', (data, isBinary) => {
        const startedAt = performance.now();
        handle(data, isBinary);
        handlerUs.push((performance.now() - startedAt) * 1000);
      });
    } else {
      this.ws.on(event, listener as (...args: unknown[]) => void);
    }
    return this;
  }
}

interface Measurement {
  readonly firstAudioMs: number;
  readonly utteranceMs: number;
  readonly chunks: number;
}

function utterance(tts: ElevenLabsTts, sampleRate: number): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    let endedAt = 0;
    let firstAudioMs = NaN;
    let chunks = 0;
    const context = tts.open(
      { voice: 'bench-voice', language: 'en', sampleRate, speed: 1 },
      {
        onAudio: () => {
          chunks++;
          if (Number.isNaN(firstAudioMs)) firstAudioMs = performance.now() - endedAt;
        },
        onDone: () => resolve({ firstAudioMs, utteranceMs: performance.now() - endedAt, chunks }),
        onError: reject,
      },
    );
    for (const token of REPLY.match(/\s*\S+/g) ?? []) context.pushText(token);
    endedAt = performance.now();
    context.end();
  });
}

async function main(): Promise<void> {
  // 5 characters of 40 ms per message: ~200 ms of audio a chunk, as ElevenLabs streams it.
  const mock = await startElevenLabsMock({ charsPerChunk: 5, msPerChar: 40, firstAudioMs: 0, chunkIntervalMs: 0 });
  const tts = createElevenLabsTts({ apiKey: 'test-key', baseURL: mock.baseURL, clock: realClock, WebSocketImpl: TimingSocket });
  const rows: Array<readonly [string, Summary]> = [];
  try {
    for (const [sampleRate, label] of [
      [8000, 'ulaw_8000 -> 8 kHz'],
      [16000, 'pcm_16000 -> 16 kHz'],
      [24000, 'pcm_24000 -> 24 kHz'],
      [48000, 'pcm_24000 -> 48 kHz (resampled)'],
    ] as const) {
      tts.prewarm({ voice: 'bench-voice', sampleRate });
      await utterance(tts, sampleRate); // warm-up: socket open, code paths compiled
      handlerUs = [];
      const firstAudio: number[] = [];
      const total: number[] = [];
      for (let run = 0; run < runs; run++) {
        const result = await utterance(tts, sampleRate);
        firstAudio.push(result.firstAudioMs);
        total.push(result.utteranceMs);
      }
      rows.push([`${label}: handler per chunk, us`, summarize(handlerUs)]);
      rows.push([`${label}: first audio (loopback), ms`, summarize(firstAudio)]);
      rows.push([`${label}: utterance, ms`, summarize(total)]);
    }
  } finally {
    await tts.dispose();
    await mock.close();
  }
  if (mock.violations.length > 0) throw new Error(`protocol violations: ${mock.violations.join('; ')}`);
  if (json) {
    process.stdout.write(`${JSON.stringify(Object.fromEntries(rows))}\n`);
    return;
  }
  const audioS = (Array.from(REPLY).length * 40) / 1000;
  process.stdout.write(`ElevenLabs socket adapter vs local mock (0 ms synthesis), ${runs} utterances per rate, ${audioS.toFixed(1)} s of audio each in ~200 ms chunks\n`);
  printTable(rows);
}

await main();
