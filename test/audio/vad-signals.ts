/**
 * Test signals for the VAD tests and `bench/vad.bench.ts`: the committed synthesized-speech fixtures
 * (test/fixtures/audio, made by make-fixtures.sh) and noises from the seeded generators of
 * runtime/sim/noise.ts, so every run sees the same samples.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { levelDbfs } from '../../runtime/audio/frames.js';
import { readWav } from '../../runtime/audio/wav.js';
import { createNoise, gaussianRandom, seededRandom, type NoiseType } from '../../runtime/sim/noise.js';

/** The speech fixtures: espeak-ng voices at 8 kHz, peak-normalised to -3 dBFS. */
export const SPEECH_FIXTURES = ['speech-en-us-male', 'speech-en-female', 'speech-fr-male'] as const;

/** Reads a 16-bit PCM mono WAV fixture from test/fixtures/audio. */
export function readFixture(name: string): { readonly sampleRate: number; readonly samples: Int16Array } {
  const path = fileURLToPath(new URL(`../fixtures/audio/${name}.wav`, import.meta.url));
  const { sampleRate, channels } = readWav(readFileSync(path), path);
  if (channels.length !== 1) throw new Error(`${name}.wav must be mono, has ${channels.length} channels`);
  return { sampleRate, samples: channels[0]! };
}

/** `samples` samples of the seeded noise stream of `type` (runtime/sim/noise.ts), before scaling to a level. */
function rawNoise(type: NoiseType, samples: number, seed: number): Float64Array {
  const out = new Float64Array(samples);
  createNoise({ type, sampleRate: 8000, levelDbfs: 0, seed }).fill(out);
  return out;
}

/** Scales a float signal to an RMS level in dBFS and converts it to 16-bit samples. */
export function toPcm(signal: Float64Array, rmsDbfs: number): Int16Array {
  let sum = 0;
  for (const x of signal) sum += x * x;
  const rms = Math.sqrt(sum / signal.length) || 1;
  const gain = (32768 * 10 ** (rmsDbfs / 20)) / rms;
  const out = new Int16Array(signal.length);
  for (let i = 0; i < signal.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(signal[i]! * gain)));
  return out;
}

/** Stationary white Gaussian noise at exactly `rmsDbfs` over the whole signal. */
export function whiteNoise(samples: number, rmsDbfs: number, seed = 1): Int16Array {
  return toPcm(rawNoise('white', samples, seed), rmsDbfs);
}

/** Stationary pink (1/f) noise at exactly `rmsDbfs` over the whole signal (Paul Kellet's filter over white noise). */
export function pinkNoise(samples: number, rmsDbfs: number, seed = 2): Int16Array {
  return toPcm(rawNoise('pink', samples, seed), rmsDbfs);
}

/**
 * Babble-like noise: `talkers` copies of the speech fixtures, time-reversed (speech spectrum and rhythm,
 * no words) and started at different offsets, summed, at `rmsDbfs`. The hard case for any VAD.
 */
export function babbleNoise(samples: number, rmsDbfs: number, talkers = 6): Int16Array {
  const sources = SPEECH_FIXTURES.map((name) => readFixture(name).samples);
  const out = new Float64Array(samples);
  for (let t = 0; t < talkers; t++) {
    const source = sources[t % sources.length]!;
    const offset = Math.floor(((t * 7919) % 97) / 97 * source.length);
    for (let i = 0; i < samples; i++) out[i]! += source[source.length - 1 - ((i + offset) % source.length)]!;
  }
  return toPcm(out, rmsDbfs);
}

/**
 * A cough-like burst: band-limited noise with a 10 ms attack and a 60 ms decay, `durationMs` long, peaking
 * near `peakDbfs`, placed after `leadMs` of digital silence and followed by `tailMs` of silence.
 */
export function coughBurst(sampleRate: number, opts: { leadMs: number; durationMs: number; tailMs: number; peakDbfs: number; seed?: number }): Int16Array {
  const next = gaussianRandom(seededRandom(opts.seed ?? 3));
  const at = (ms: number) => Math.round((ms * sampleRate) / 1000);
  const out = new Int16Array(at(opts.leadMs + opts.durationMs + opts.tailMs));
  const peak = 32768 * 10 ** (opts.peakDbfs / 20) / 2.5; // gaussian peaks reach ~2.5 sigma
  let low = 0;
  for (let i = 0; i < at(opts.durationMs); i++) {
    const tMs = (i * 1000) / sampleRate;
    const envelope = Math.min(1, tMs / 10) * Math.exp(-Math.max(0, tMs - 10) / 60);
    low += 0.35 * (next() - low); // one-pole low-pass: a breathy, mostly low-frequency burst
    out[at(opts.leadMs) + i] = Math.max(-32768, Math.min(32767, Math.round(low * 2.5 * peak * envelope)));
  }
  return out;
}

/** Sum of two signals (the shorter padded with silence), clipped to 16 bits. */
export function mix(a: Int16Array, b: Int16Array): Int16Array {
  const out = new Int16Array(Math.max(a.length, b.length));
  for (let i = 0; i < out.length; i++) out[i] = Math.max(-32768, Math.min(32767, (a[i] ?? 0) + (b[i] ?? 0)));
  return out;
}

/** `signal` scaled by `db` decibels. */
export function gainDb(signal: Int16Array, db: number): Int16Array {
  const g = 10 ** (db / 20);
  return signal.map((s) => Math.max(-32768, Math.min(32767, Math.round(s * g))));
}

/** Upsamples by an integer factor with linear interpolation (enough for a VAD that looks below 4 kHz). */
export function upsample(signal: Int16Array, factor: number): Int16Array {
  const out = new Int16Array(signal.length * factor);
  for (let i = 0; i < signal.length; i++) {
    const a = signal[i]!;
    const b = signal[i + 1] ?? a;
    for (let k = 0; k < factor; k++) out[i * factor + k] = Math.round(a + ((b - a) * k) / factor);
  }
  return out;
}

/** Splits a signal into whole frames of `frameSamples` (views, no copies). */
export function framesOf(signal: Int16Array, frameSamples: number): Int16Array[] {
  const frames: Int16Array[] = [];
  for (let at = 0; at + frameSamples <= signal.length; at += frameSamples) frames.push(signal.subarray(at, at + frameSamples));
  return frames;
}

/** Ground truth per frame of a clean speech signal. */
export type FrameLabel = 'speech' | 'pause' | 'unsure';

/**
 * Labels the frames of a clean fixture by level relative to its loudest frame: within 30 dB is speech,
 * more than 50 dB below is a pause; frames in between (word edges, faint breath) are left out of scores.
 */
export function labelFrames(clean: Int16Array, frameSamples: number): FrameLabel[] {
  const levels = framesOf(clean, frameSamples).map(levelDbfs);
  const loudest = Math.max(...levels);
  return levels.map((l) => (l >= loudest - 30 ? 'speech' : l < loudest - 50 ? 'pause' : 'unsure'));
}
