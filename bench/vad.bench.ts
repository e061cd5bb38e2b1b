/*
 * `npm run bench:vad`: what one VAD call costs per 20 ms frame, in microseconds (budget: the whole inbound
 * frame path must stay well under 100 us, see DESIGN.md section 7).
 *
 * Input: the speech fixtures (test/fixtures/audio) with pink noise at -40 dBFS, upsampled for the higher
 * rates, played in a loop. Each engine/rate first warms up on 2,000 frames, then `--batches` batches of
 * 1,000 frames are timed; the figures are per-frame averages of each batch (p50/p95/p99/max over batches).
 *
 * Silero runs only when onnxruntime-node and a model are installed; its figure is the wall time per frame
 * including waiting for each window's inference (which the real pipeline does not wait for).
 *
 * Prints one JSON line, then a table. Usage: npm run bench:vad [-- --batches 200]
 */
import { performance } from 'node:perf_hooks';
import { createSileroVad, SileroUnavailableError } from '../runtime/audio/silero-vad.js';
import { createEnergyVad, type Vad } from '../runtime/audio/vad.js';
import { createWebRtcVad, type WebRtcVadMode } from '../runtime/audio/webrtc-vad.js';
import { framesOf, mix, pinkNoise, readFixture, SPEECH_FIXTURES, upsample } from '../test/audio/vad-signals.js';
import { printTable, summarize, type Summary } from './stats.js';

const args = process.argv.slice(2);
const at = args.indexOf('--batches');
const BATCHES = at >= 0 && Number(args[at + 1]) > 0 ? Number(args[at + 1]) : 100;
const BATCH_FRAMES = 1000;
const WARMUP_FRAMES = 2000;

const speech8k = Int16Array.from(SPEECH_FIXTURES.flatMap((name) => Array.from(readFixture(name).samples)));
const line8k = mix(speech8k, pinkNoise(speech8k.length, -40));
const framesAt = (rate: number) => framesOf(rate === 8000 ? line8k : upsample(line8k, rate / 8000), rate / 50);

function timeFrames(vad: Vad, frames: Int16Array[]): Summary {
  let next = 0;
  const run = (count: number) => {
    for (let i = 0; i < count; i++) vad.speechProbability(frames[next++ % frames.length]!);
  };
  run(WARMUP_FRAMES);
  const perFrameUs: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const start = performance.now();
    run(BATCH_FRAMES);
    perFrameUs.push(((performance.now() - start) * 1000) / BATCH_FRAMES);
  }
  return summarize(perFrameUs);
}

async function timeSilero(): Promise<Summary | string> {
  let vad;
  try {
    vad = await createSileroVad({ sampleRate: 8000 });
  } catch (error) {
    if (error instanceof SileroUnavailableError) return 'not installed';
    throw error;
  }
  const frames = framesAt(8000);
  const perFrameUs: number[] = [];
  for (let i = 0; i < Math.min(frames.length, 2000); i++) {
    const start = performance.now();
    vad.speechProbability(frames[i]!);
    await vad.whenIdle();
    if (i >= 100) perFrameUs.push((performance.now() - start) * 1000);
  }
  await vad.close();
  return summarize(perFrameUs);
}

const rows: Array<[string, Summary]> = [];
rows.push(['energy 8 kHz', timeFrames(createEnergyVad(), framesAt(8000))]);
for (const mode of [3, 2, 0] as WebRtcVadMode[]) {
  const vad = await createWebRtcVad({ sampleRate: 8000, mode });
  rows.push([`webrtc 8 kHz mode ${mode}`, timeFrames(vad, framesAt(8000))]);
  vad.close();
}
for (const rate of [16000, 24000, 48000]) {
  const vad = await createWebRtcVad({ sampleRate: rate });
  rows.push([`webrtc ${rate / 1000} kHz${rate === 24000 ? ' (decimated)' : ''}`, timeFrames(vad, framesAt(rate))]);
  vad.close();
}
const silero = await timeSilero();
if (typeof silero !== 'string') rows.push(['silero 8 kHz (incl. inference)', silero]);

process.stdout.write(JSON.stringify({ unit: 'us per 20 ms frame', batches: BATCHES, batchFrames: BATCH_FRAMES, results: Object.fromEntries(rows), ...(typeof silero === 'string' && { silero }) }) + '\n\n');
printTable(rows);
if (typeof silero === 'string') process.stdout.write(`silero: ${silero} (npm install onnxruntime-node and a model to include it)\n`);
