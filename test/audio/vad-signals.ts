/**
 * Test signals for the VAD tests and `bench/vad.bench.ts`: the committed synthesized-speech fixtures
 * (test/fixtures/audio, made by make-fixtures.sh) and noises generated here from a seeded generator, so
 * every run sees the same samples.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { levelDbfs } from '../../runtime/audio/frames.js';

/** The speech fixtures: espeak-ng voices at 8 kHz, peak-normalised to -3 dBFS. */
export const SPEECH_FIXTURES = ['speech-en-us-male', 'speech-en-female', 'speech-fr-male'] as const;

/** Reads a 16-bit PCM mono WAV fixture from test/fixtures/audio. */
export function readFixture(name: string): { readonly sampleRate: number; readonly samples: Int16Array } {
  const bytes = readFileSync(fileURLToPath(new URL(`../fixtures/audio/${name}.wav`, import.meta.url)));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => bytes.toString('ascii', at, at + 4);
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error(`${name}.wav is not a WAV file`);
  let sampleRate = 0;
  for (let at = 12; at + 8 <= bytes.length; ) {
    const size = view.getUint32(at + 4, true);
    if (tag(at) === 'fmt ') {
      const channels = view.getUint16(at + 10, true);
      const bits = view.getUint16(at + 22, true);
      if (channels !== 1 || bits !== 16) throw new Error(`${name}.wav must be mono 16-bit, is ${channels} channels of ${bits} bits`);
      sampleRate = view.getUint32(at + 12, true);
    } else if (tag(at) === 'data') {
      const samples = new Int16Array(size / 2);
      for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(at + 8 + i * 2, true);
      return { sampleRate, samples };
    }
    at += 8 + size + (size % 2);
  }
  throw new Error(`${name}.wav has no data chunk`);
}

/** Deterministic uniform generator in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
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

/** Stationary white Gaussian noise at `rmsDbfs`. */
export function whiteNoise(samples: number, rmsDbfs: number, seed = 1): Int16Array {
  const next = gaussian(seededRandom(seed));
  return toPcm(Float64Array.from({ length: samples }, next), rmsDbfs);
}

/** Stationary pink (1/f) noise at `rmsDbfs` (Paul Kellet's filter over white noise). */
export function pinkNoise(samples: number, rmsDbfs: number, seed = 2): Int16Array {
  const next = gaussian(seededRandom(seed));
  const out = new Float64Array(samples);
  let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
  for (let i = 0; i < samples; i++) {
    const w = next();
    b0 = 0.99886 * b0 + w * 0.0555179;
    b1 = 0.99332 * b1 + w * 0.0750759;
    b2 = 0.969 * b2 + w * 0.153852;
    b3 = 0.8665 * b3 + w * 0.3104856;
    b4 = 0.55 * b4 + w * 0.5329522;
    b5 = -0.7616 * b5 - w * 0.016898;
    out[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
    b6 = w * 0.115926;
  }
  return toPcm(out, rmsDbfs);
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
  const next = gaussian(seededRandom(opts.seed ?? 3));
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
