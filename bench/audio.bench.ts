/*
 * `npm run bench:audio`: what the audio primitives cost per 20 ms frame, in microseconds (budget: the whole
 * inbound frame path must stay well under 100 us, see DESIGN.md section 7).
 *
 * Input: one second of speech-like audio (three drifting tones, an envelope and noise) at each rate, cut
 * into 20 ms frames and played in a loop. Each operation warms up on 5,000 frames, then `--batches` batches
 * of 10 frames are timed; a figure is the per-frame average of one batch (10 frames keep the timer's own
 * cost out of sub-microsecond figures while still showing tail jitter), summarised as p50/p95/p99/max.
 * The per-frame path is measured: the allocation-free `...Into` functions with buffers made once.
 *
 * Prints one JSON line, then a table. Usage: npm run bench:audio [-- --batches 5000]
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { levelDbfs } from '../runtime/audio/frames.js';
import { decodeAlawInto, decodeMulawInto, encodeAlawInto, encodeMulaw, encodeMulawInto } from '../runtime/audio/g711.js';
import { base64ToBytesInto, bytesToBase64, pcm16ToBase64 } from '../runtime/audio/pcm.js';
import { createResampler, type Resampler } from '../runtime/audio/resampler.js';
import { printTable, summarize, type Summary } from './stats.js';

const args = process.argv.slice(2);
const at = args.indexOf('--batches');
const BATCHES = at >= 0 && Number(args[at + 1]) > 0 ? Number(args[at + 1]) : 2000;
const BATCH_FRAMES = 10;
const WARMUP_FRAMES = 5000;

/** One second of speech-like audio at `rate`: tones in the voice band with a syllable-rate envelope, plus noise. */
function speechLike(rate: number): Int16Array {
  let seed = 12345;
  const noise = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5) * 600;
  return Int16Array.from({ length: rate }, (_, i) => {
    const t = i / rate;
    const envelope = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t);
    const voice = 6000 * Math.sin(2 * Math.PI * (180 + 40 * t) * t) + 3000 * Math.sin(2 * Math.PI * 900 * t) + 1500 * Math.sin(2 * Math.PI * 2500 * t);
    return Math.round(envelope * voice + noise());
  });
}

function framesOf(samples: Int16Array, rate: number): Int16Array[] {
  const size = rate / 50;
  return Array.from({ length: samples.length / size }, (_, i) => samples.slice(i * size, (i + 1) * size));
}

const frames = new Map([8000, 16000, 24000, 48000].map((rate) => [rate, framesOf(speechLike(rate), rate)] as const));
const framesAt = (rate: number) => frames.get(rate)!;
const mulawFrames = framesAt(8000).map((frame) => encodeMulaw(frame));
const mulawBase64 = mulawFrames.map((frame) => bytesToBase64(frame));

/** Times `step(frameIndex)`; returns per-frame microseconds of each batch. */
function measure(step: (frameIndex: number) => void): Summary {
  let next = 0;
  const run = (count: number) => {
    for (let i = 0; i < count; i++) step(next++ % 50);
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

const pcm8k = new Int16Array(160);
const pcm24k = new Int16Array(480);
const bytes8k = new Uint8Array(160);

async function resampleStep(from: number, to: number): Promise<{ resampler: Resampler; step: (i: number) => void }> {
  const resampler = await createResampler({ fromRate: from, toRate: to });
  const input = framesAt(from);
  const output = new Int16Array(resampler.maxOutputSamples(from / 50));
  return { resampler, step: (i) => resampler.processInto(input[i]!, output) };
}

const up = await resampleStep(8000, 24000);
const down = await resampleStep(24000, 8000);
const down48 = await resampleStep(48000, 8000);
const up16 = await resampleStep(8000, 16000);
let sink = 0;

const cases: Array<readonly [string, (i: number) => void]> = [
  ['mulaw decode (160 B -> 8 kHz)', (i) => decodeMulawInto(mulawFrames[i]!, pcm8k)],
  ['mulaw encode (8 kHz -> 160 B)', (i) => encodeMulawInto(framesAt(8000)[i]!, bytes8k)],
  ['alaw decode (160 B -> 8 kHz)', (i) => decodeAlawInto(mulawFrames[i]!, pcm8k)],
  ['alaw encode (8 kHz -> 160 B)', (i) => encodeAlawInto(framesAt(8000)[i]!, bytes8k)],
  ['resample 8k -> 24k', up.step],
  ['resample 24k -> 8k', down.step],
  ['resample 48k -> 8k', down48.step],
  ['resample 8k -> 16k', up16.step],
  ['levelDbfs (8 kHz frame)', (i) => (sink += levelDbfs(framesAt(8000)[i]!))],
  ['levelDbfs (24 kHz frame)', (i) => (sink += levelDbfs(framesAt(24000)[i]!))],
  ['base64 decode (Twilio 216 chars)', (i) => (sink += base64ToBytesInto(mulawBase64[i]!, bytes8k))],
  ['base64 encode (24 kHz PCM16)', (i) => (sink += pcm16ToBase64(framesAt(24000)[i]!).length)],
  [
    'inbound Twilio -> 24k (b64+mulaw+resample+level)',
    (i) => {
      base64ToBytesInto(mulawBase64[i]!, bytes8k);
      decodeMulawInto(bytes8k, pcm8k);
      up.resampler.processInto(pcm8k, pcm24k);
      sink += levelDbfs(pcm24k);
    },
  ],
];

const results: Array<readonly [string, Summary]> = cases.map(([label, step]) => [label, measure(step)] as const);
for (const r of [up, down, down48, up16]) r.resampler.destroy();

const result = {
  bench: 'audio',
  unit: 'us per 20 ms frame',
  batches: BATCHES,
  batchFrames: BATCH_FRAMES,
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  resampler: { engine: up.resampler.engine, quality: up.resampler.quality },
  results: Object.fromEntries(results.map(([label, s]) => [label, s])),
  budgetUs: 100,
};
process.stdout.write(JSON.stringify(result) + '\n\n');
printTable(results);
process.stdout.write(`\nus per 20 ms frame; resampler ${result.resampler.engine} quality ${result.resampler.quality}; ${BATCHES} batches of ${BATCH_FRAMES} frames.${sink === 0.5 ? ' ' : ''}\n`);
