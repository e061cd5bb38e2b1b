/**
 * `npm run bench:tts`: speed of the embedded eSpeak NG synthesiser (runtime/providers/local).
 *
 * Measured, per run (default 20 runs after one warm-up):
 *   - engine load: `createLocalTts()` once, cold (reads ~25 MB of voice data, warms the engine up), ms;
 *   - first audio: from the first `pushText` of a two-sentence reply (pushed whole, then `end()`) to the first
 *     `onAudio`, ms: what the local voice adds to a reply's latency;
 *   - synthesis time per second of audio (the real-time factor x 1000): wall time from `pushText` to `onDone` for
 *     the whole reply, at 8, 16 and 24 kHz. Steps are scheduled with `setImmediate` here, so the figure is
 *     compute, not the 1 ms floor of `setTimeout`;
 *   - longest step: the longest one synchronous step held the thread (synthesising a phrase), ms; on a shared
 *     thread it delays other calls' playout frames by as much.
 *
 * Options: `--runs <n>` (default 20), `--json` (one JSON line instead of the table).
 */
import { performance } from 'node:perf_hooks';
import { createLocalTts, type LocalTts } from '../runtime/providers/local/index.js';
import type { Clock } from '../runtime/util/clock.js';
import { printTable, summarize, type Summary } from './stats.js';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Math.max(1, Number(args[runsAt + 1]) || 20) : 20;
const json = args.includes('--json');

const replies = {
  'en-us': 'Thanks for calling, this is the booking line. How can I help you today?',
  'fr-fr': 'Merci de votre appel, ici le service des réservations. Comment puis-je vous aider ?',
  cmn: '感谢您的来电，这里是预订热线。请问有什么可以帮您？',
} as const;

/** Durations of every synchronous step the synthesiser ran, ms. */
const stepsMs: number[] = [];
const timed = (fn: () => void) => (): void => {
  const startedAt = performance.now();
  fn();
  stepsMs.push(performance.now() - startedAt);
};

/** Runs timers of 0 ms on the next turn of the event loop (no 1 ms floor), timing each step. */
const immediateClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => (ms <= 0 ? { immediate: setImmediate(timed(fn)) } : { timeout: setTimeout(timed(fn), ms) }),
  clearTimeout: (handle) => {
    const { immediate, timeout } = handle as { immediate?: NodeJS.Immediate; timeout?: NodeJS.Timeout };
    if (immediate) clearImmediate(immediate);
    if (timeout) clearTimeout(timeout);
  },
};

interface Measurement {
  readonly firstAudioMs: number;
  readonly wallMs: number;
  readonly audioMs: number;
}

function measure(tts: LocalTts, voice: string, text: string, sampleRate: number): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    let samples = 0;
    let firstAudioMs = NaN;
    const startedAt = performance.now();
    const context = tts.open(
      { voice, language: voice, sampleRate, speed: 1 },
      {
        onAudio: ({ pcm }) => {
          if (Number.isNaN(firstAudioMs)) firstAudioMs = performance.now() - startedAt;
          samples += pcm.length;
        },
        onDone: () => resolve({ firstAudioMs, wallMs: performance.now() - startedAt, audioMs: (samples * 1000) / sampleRate }),
        onError: reject,
      },
    );
    context.pushText(text);
    context.end();
  });
}

async function main(): Promise<void> {
  const loadStartedAt = performance.now();
  const tts = await createLocalTts({ clock: immediateClock });
  const loadMs = performance.now() - loadStartedAt;

  const firstAudio = new Map<string, number[]>();
  const realTime = new Map<string, number[]>();
  const add = (map: Map<string, number[]>, key: string, value: number): void => {
    map.set(key, [...(map.get(key) ?? []), value]);
  };
  for (let run = -1; run < runs; run++) {
    if (run === 0) stepsMs.length = 0; // run -1 warms up every voice and rate
    for (const [voice, text] of Object.entries(replies)) {
      for (const sampleRate of [8000, 16000, 24000]) {
        const result = await measure(tts, voice, text, sampleRate);
        if (run < 0) continue;
        if (sampleRate === 8000) add(firstAudio, `first audio ${voice}, ms`, result.firstAudioMs);
        add(realTime, `synthesis ms per audio s, ${voice} @ ${sampleRate / 1000} kHz`, (result.wallMs * 1000) / result.audioMs);
      }
    }
  }

  const rows: Array<readonly [string, Summary]> = [
    ['engine load (cold), ms', summarize([loadMs])],
    ...[...firstAudio].map(([label, values]) => [label, summarize(values)] as const),
    ...[...realTime].map(([label, values]) => [label, summarize(values)] as const),
    ['one synthesis step (blocks the thread), ms', summarize(stepsMs)],
  ];
  if (json) {
    process.stdout.write(`${JSON.stringify(Object.fromEntries(rows))}\n`);
    return;
  }
  process.stdout.write(`eSpeak NG (local-espeak), ${runs} runs; "synthesis ms per audio s" is the real-time factor x 1000 (10 = 100x faster than real time)\n`);
  printTable(rows);
}

await main();
