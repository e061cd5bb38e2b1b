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
 *   First audio and steps are measured with eSpeak on the calling thread (`thread: 'main'`) and on a synthesis
 *   thread (`thread: 'worker'`, the default with the real clock).
 *
 * Under load, per `thread` and per number of concurrent contexts N (each speaking the three-phrase en-us reply,
 * all started at once, `--load-runs` rounds, steps on real `setTimeout` as with the real clock), while a 20 ms
 * ticker stands in for the other calls' frames:
 *   - frame lateness: how late each 20 ms tick ran, ms (what another call's playout would suffer);
 *   - event-loop delay: `perf_hooks.monitorEventLoopDelay` (1 ms resolution) over the round, ms;
 *   - blocking per step: how long each synthesis step held the call loop, ms (a whole phrase on the main thread;
 *     handing over a chunk on the worker path);
 *   - first audio: from `pushText` to each context's first `onAudio`, ms.
 *
 * Options: `--runs <n>` (default 20), `--contexts <n,n,...>` (default 1,10,50), `--load-runs <n>` (rounds per
 * load figure, default 5), `--threads <n>` (synthesis threads, default 1), `--json` (one JSON line instead of
 * the table).
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createLocalTts, createSynthesisPool, type LocalTts, type SynthesisPool } from '../runtime/providers/local/index.js';
import type { Clock } from '../runtime/util/clock.js';
import { printTable, summarize, type Summary } from './stats.js';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Math.max(1, Number(args[runsAt + 1]) || 20) : 20;
const json = args.includes('--json');
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const contextCounts = (option('--contexts') ?? '1,10,50').split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
const threads = Math.max(1, Number(option('--threads')) || 1);
const loadRuns = Math.max(1, Number(option('--load-runs')) || 5);
const threadModes = ['main', 'worker'] as const;
type ThreadMode = (typeof threadModes)[number];

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
  const tts = await createLocalTts({ clock: immediateClock, thread: 'main' });
  const loadMs = performance.now() - loadStartedAt;
  const pool = createSynthesisPool({ size: threads });
  const onWorker = await createLocalTts({ clock: immediateClock, pool });

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
        const onThread = sampleRate === 8000 ? await measure(onWorker, voice, text, sampleRate) : undefined;
        if (run < 0) continue;
        if (onThread) {
          add(firstAudio, `first audio ${voice}, main thread, ms`, result.firstAudioMs);
          add(firstAudio, `first audio ${voice}, worker thread, ms`, onThread.firstAudioMs);
        }
        add(realTime, `synthesis ms per audio s, ${voice} @ ${sampleRate / 1000} kHz`, (result.wallMs * 1000) / result.audioMs);
      }
    }
  }

  const rows: Array<readonly [string, Summary]> = [
    ['engine load (cold), ms', summarize([loadMs])],
    ...[...firstAudio].map(([label, values]) => [label, summarize(values)] as const),
    ...[...realTime].map(([label, values]) => [label, summarize(values)] as const),
    ['one synthesis step (blocks the thread), ms', summarize(stepsMs)],
    ...(await underLoad(pool)),
  ];
  await pool.close();
  if (json) {
    process.stdout.write(`${JSON.stringify(Object.fromEntries(rows))}\n`);
    return;
  }
  process.stdout.write(`eSpeak NG (local-espeak), ${runs} runs; "synthesis ms per audio s" is the real-time factor x 1000 (10 = 100x faster than real time); ${threads} synthesis thread(s)\n`);
  printTable(rows);
}

/** The real clock (steps on `setTimeout`), timing every step it runs into `into`. */
function timedRealClock(into: number[]): Clock {
  return {
    now: () => performance.now(),
    setTimeout: (fn, ms) =>
      setTimeout(() => {
        const startedAt = performance.now();
        fn();
        into.push(performance.now() - startedAt);
      }, ms),
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  };
}

interface LoadSamples {
  readonly lateMs: number[];
  readonly stepMs: number[];
  readonly firstAudioMs: number[];
  readonly loop: ReturnType<typeof monitorEventLoopDelay>;
}

/** One round: `contexts` replies started at once while a 20 ms ticker runs; resolves when every reply is done. */
async function loadRound(thread: ThreadMode, pool: SynthesisPool, contexts: number, into: LoadSamples): Promise<void> {
  const tts = await createLocalTts({ clock: timedRealClock(into.stepMs), thread, pool });
  const startedAt = performance.now();
  let ticking = true;
  const tick = (targetMs: number): void => {
    // Node fires timers on whole milliseconds, up to 1 ms early: early is on time.
    into.lateMs.push(Math.max(0, performance.now() - targetMs));
    if (ticking) setTimeout(tick, Math.max(0, targetMs + 20 - performance.now()), targetMs + 20);
  };
  setTimeout(tick, 20, startedAt + 20);
  into.loop.enable();
  const firstAudioMs = await Promise.all(Array.from({ length: contexts }, () => measure(tts, 'en-us', replies['en-us'], 8000).then((result) => result.firstAudioMs)));
  into.loop.disable();
  ticking = false;
  into.firstAudioMs.push(...firstAudioMs);
}

async function underLoad(pool: SynthesisPool): Promise<Array<readonly [string, Summary]>> {
  const samples = (): LoadSamples => ({ lateMs: [], stepMs: [], firstAudioMs: [], loop: monitorEventLoopDelay({ resolution: 1 }) });
  for (const thread of threadModes) await loadRound(thread, pool, 4, samples()); // warm-up
  const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
  const rows: Array<readonly [string, Summary]> = [];
  for (const contexts of contextCounts) {
    for (const thread of threadModes) {
      const round = samples();
      for (let run = 0; run < loadRuns; run++) await loadRound(thread, pool, contexts, round);
      const { loop } = round;
      const label = `${thread} thread, ${contexts} contexts:`;
      rows.push([`${label} 20 ms frame lateness, ms`, summarize(round.lateMs)]);
      rows.push([`${label} event-loop delay, ms`, { n: loop.count, p50: ms(loop.percentile(50)), p95: ms(loop.percentile(95)), p99: ms(loop.percentile(99)), max: ms(loop.max) }]);
      rows.push([`${label} blocking per step, ms`, summarize(round.stepMs)]);
      rows.push([`${label} first audio, ms`, summarize(round.firstAudioMs)]);
    }
  }
  return rows;
}

await main();
