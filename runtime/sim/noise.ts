/**
 * Seeded background noise for simulated phone lines (`channel.noise` in a scenario): white (flat hiss),
 * pink (1/f: road, fan, HVAC) and babble (several people talking). Every generator is driven by a seeded
 * PRNG, so a scenario hears the same samples on every run, and streams: a call pulls 20 ms at a time for
 * as long as it lasts, allocating nothing per frame.
 *
 * Levels are RMS in dBFS (0 dBFS is a full-scale square wave, so a full-scale sine is -3 dBFS). White and
 * pink are scaled analytically; babble, whose power depends on the talkers the seed draws, is calibrated
 * once per seed and rate on its own first seconds.
 */
import { samplesPerFrame } from '../audio/frames.js';

/** Kinds of background noise (`channel.noise.type`). */
export type NoiseType = 'white' | 'pink' | 'babble';

/** Every {@link NoiseType}, for validation and error messages. */
export const NOISE_TYPES: readonly NoiseType[] = ['white', 'pink', 'babble'];

/** Number of simultaneous talkers in babble noise: six is past the point where single words stand out. */
export const BABBLE_TALKERS = 6;

/** Deterministic uniform generator in [0, 1) (mulberry32): fast, 32-bit state, good enough for audio. */
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

/**
 * An independent seed for stream `stream` of `seed` (a 32-bit hash of both), so that the noise, the packet
 * loss and each talker of a simulated call draw from separate sequences: changing one leaves the others as
 * they were.
 */
export function deriveSeed(seed: number, stream: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul((stream >>> 0) + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Standard normal variates (mean 0, variance 1) from a uniform generator (Box-Muller, cosine branch). */
export function gaussianRandom(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** A single-sample filter: feed one input, get one output. */
export interface SampleFilter {
  process(x: number): number;
}

/**
 * A second-order IIR filter from the RBJ Audio EQ Cookbook: `lowpass`, `highpass` or `bandpass` (0 dB
 * gain at `frequencyHz`). `frequencyHz` is clamped below 0.45 x `sampleRate` so a design made for 16 kHz
 * still works at 8 kHz.
 */
export function createBiquad(kind: 'lowpass' | 'highpass' | 'bandpass', frequencyHz: number, q: number, sampleRate: number): SampleFilter {
  const w0 = (2 * Math.PI * Math.min(frequencyHz, 0.45 * sampleRate)) / sampleRate;
  const cos = Math.cos(w0);
  const alpha = Math.sin(w0) / (2 * q);
  const [b0, b1, b2] = kind === 'lowpass' ? [(1 - cos) / 2, 1 - cos, (1 - cos) / 2] : kind === 'highpass' ? [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2] : [alpha, 0, -alpha];
  const a0 = 1 + alpha;
  const [n0, n1, n2, d1, d2] = [b0 / a0, b1 / a0, b2 / a0, (-2 * cos) / a0, (1 - alpha) / a0];
  let x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  return {
    process(x) {
      const y = n0 * x + n1 * x1 + n2 * x2 - d1 * y1 - d2 * y2;
      x2 = x1;
      x1 = x;
      y2 = y1;
      y1 = y;
      return y;
    },
  };
}

/**
 * Paul Kellet's "pinking" filter (refined version, accurate to +-0.05 dB above 1/4800 of the sample rate):
 * white noise in, 1/f noise out.
 */
function createPinkFilter(): SampleFilter {
  let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
  return {
    process(w) {
      b0 = 0.99886 * b0 + w * 0.0555179;
      b1 = 0.99332 * b1 + w * 0.0750759;
      b2 = 0.969 * b2 + w * 0.153852;
      b3 = 0.8665 * b3 + w * 0.3104856;
      b4 = 0.55 * b4 + w * 0.5329522;
      b5 = -0.7616 * b5 - w * 0.016898;
      const out = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
      b6 = w * 0.115926;
      return out;
    },
  };
}

let pinkRms: number | undefined;

/** RMS of the pinking filter's output for unit-variance white input: the root of its impulse response's energy. */
function pinkFilterRms(): number {
  if (pinkRms !== undefined) return pinkRms;
  const filter = createPinkFilter();
  // The slowest pole (0.99886) has decayed by e^-34 after 30,000 samples: the rest is below double precision.
  let energy = 0;
  for (let n = 0; n < 30_000; n++) energy += filter.process(n === 0 ? 1 : 0) ** 2;
  return (pinkRms = Math.sqrt(energy));
}

/** Vowel formants F1-F3 in hertz (Peterson & Barney averages): what makes a talker sound like speech. */
const VOWELS: ReadonlyArray<readonly [number, number, number]> = [
  [730, 1090, 2440], [270, 2290, 3010], [300, 870, 2240], [530, 1840, 2480],
  [570, 840, 2410], [660, 1720, 2410], [440, 1020, 2240], [490, 1350, 1690],
];
const FORMANT_BANDWIDTHS_HZ = [80, 100, 140] as const;
/** Formant coefficients are recomputed every 5 ms while they glide from one vowel to the next. */
const FORMANT_UPDATE_MS = 5;

/**
 * One synthetic talker: a glottal pulse train with drifting pitch through three formant resonators whose
 * vowel changes every syllable, syllables of 160-330 ms (a 3-6 Hz syllabic rhythm) shaped by a sine-squared
 * envelope, a noisy consonant at some onsets and pauses between phrases. No words, but the spectrum, pitch
 * and rhythm of speech: the case a VAD finds hardest.
 */
function createTalker(random: () => number, sampleRate: number): () => number {
  const gauss = gaussianRandom(random);
  const fricative = createBiquad('highpass', 2500, 0.7, sampleRate);
  const baseF0 = 95 + random() * 130;
  const updateEvery = Math.round((FORMANT_UPDATE_MS * sampleRate) / 1000);
  const current = [...VOWELS[0]!];
  let target: readonly number[] = VOWELS[0]!;
  const state = new Float64Array(6); // y1, y2 of each resonator
  const coefficients = new Float64Array(9); // gain, a1, a2 of each resonator
  let phase = random();
  let left = 0, length = 1, paused = false, consonant = 0, tick = 0, intonation = random() * 2 * Math.PI;

  const updateFormants = () => {
    for (let k = 0; k < 3; k++) {
      current[k] = current[k]! + 0.3 * (target[k]! - current[k]!);
      const r = Math.exp((-Math.PI * FORMANT_BANDWIDTHS_HZ[k]!) / sampleRate);
      const a1 = 2 * r * Math.cos((2 * Math.PI * Math.min(current[k]!, 0.45 * sampleRate)) / sampleRate);
      const a2 = -r * r;
      coefficients[3 * k] = 1 - a1 - a2; // unity gain at 0 Hz
      coefficients[3 * k + 1] = a1;
      coefficients[3 * k + 2] = a2;
    }
  };
  const startSyllable = () => {
    paused = !paused && random() < 0.15;
    length = Math.round(((paused ? 150 + random() * 450 : 160 + random() * 170) * sampleRate) / 1000);
    left = length;
    target = VOWELS[Math.floor(random() * VOWELS.length)]!;
    consonant = random() < 0.5 ? 0.25 : 0;
  };

  return () => {
    if (left <= 0) startSyllable();
    const position = 1 - left / length;
    left--;
    if (tick++ % updateEvery === 0) updateFormants();
    intonation += (2 * Math.PI * 1.5) / sampleRate;
    phase += (baseF0 * (1 + 0.12 * Math.sin(intonation))) / sampleRate;
    let excitation = 0.05 * gauss();
    if (phase >= 1) {
      phase -= 1;
      excitation += 1;
    }
    let y = excitation;
    for (let k = 0; k < 3; k++) {
      const out = coefficients[3 * k]! * y + coefficients[3 * k + 1]! * state[2 * k]! + coefficients[3 * k + 2]! * state[2 * k + 1]!;
      state[2 * k + 1] = state[2 * k]!;
      state[2 * k] = out;
      y = out;
    }
    if (paused) return 0;
    const hiss = position < consonant ? 0.15 * fricative.process(gauss()) : 0;
    return (y + hiss) * Math.sin(Math.PI * position) ** 2;
  };
}

/** Unscaled babble: the sum of {@link BABBLE_TALKERS} talkers, each seeded from `seed`. */
function createBabble(seed: number, sampleRate: number): () => number {
  const talkers = Array.from({ length: BABBLE_TALKERS }, (_, t) => createTalker(seededRandom(deriveSeed(seed, t)), sampleRate));
  return () => {
    let sum = 0;
    for (const talker of talkers) sum += talker();
    return sum;
  };
}

/** Seconds of babble measured to calibrate its level: long enough that every talker has spoken many phrases. */
const BABBLE_CALIBRATION_S = 8;
const babbleRms = new Map<string, number>();

/** RMS of the unscaled babble for `seed` at `sampleRate`, over its first {@link BABBLE_CALIBRATION_S} seconds. */
function babbleRmsFor(seed: number, sampleRate: number): number {
  const key = `${seed}@${sampleRate}`;
  const known = babbleRms.get(key);
  if (known !== undefined) return known;
  const next = createBabble(seed, sampleRate);
  const samples = BABBLE_CALIBRATION_S * sampleRate;
  let energy = 0;
  for (let i = 0; i < samples; i++) energy += next() ** 2;
  const rms = Math.sqrt(energy / samples) || 1;
  if (babbleRms.size > 256) babbleRms.clear(); // seeds are few per test run; this only bounds a long-lived process
  babbleRms.set(key, rms);
  return rms;
}

/** Options of {@link createNoise}. */
export interface NoiseOptions {
  /** Kind of noise. */
  readonly type: NoiseType;
  /** Sample rate of the generated audio, in hertz (8000 for G.711 lines). */
  readonly sampleRate: number;
  /** Long-term RMS level, in dBFS (e.g. -46 for 20 dB below telephony's nominal -26 dBFS speech). */
  readonly levelDbfs: number;
  /** PRNG seed: the same seed gives the same samples. Default: 1. */
  readonly seed?: number;
}

/** A stream of noise: every call continues where the last one stopped. */
export interface NoiseSource {
  readonly type: NoiseType;
  readonly sampleRate: number;
  readonly levelDbfs: number;
  /**
   * Writes the next `output.length` samples as floating-point values in 16-bit units (full scale 32768,
   * neither rounded nor clipped), for mixing. Allocation-free.
   */
  fill(output: Float32Array | Float64Array): void;
  /** The next 20 ms as 16-bit PCM (rounded, clipped), written into `output` when given. */
  nextFrame(output?: Int16Array): Int16Array;
}

/**
 * Creates a seeded noise stream at a given RMS level. Throws a `RangeError` on an unknown type, a
 * non-positive sample rate or a level above 0 dBFS.
 */
export function createNoise(options: NoiseOptions): NoiseSource {
  const { type, sampleRate, levelDbfs } = options;
  const seed = options.seed ?? 1;
  if (!NOISE_TYPES.includes(type)) throw new RangeError(`unknown noise type ${JSON.stringify(type)}: use ${NOISE_TYPES.join(', ')}`);
  if (!(sampleRate > 0) || !Number.isInteger(sampleRate)) throw new RangeError(`noise sample rate must be a positive whole number of hertz, got ${sampleRate}`);
  if (!(levelDbfs <= 0)) throw new RangeError(`noise level must be at most 0 dBFS, got ${levelDbfs}`);
  const amplitude = 32768 * 10 ** (levelDbfs / 20);
  let next: () => number;
  let gain: number;
  if (type === 'babble') {
    next = createBabble(seed, sampleRate);
    gain = amplitude / babbleRmsFor(seed, sampleRate);
  } else {
    const white = gaussianRandom(seededRandom(seed));
    if (type === 'white') {
      next = white;
      gain = amplitude;
    } else {
      const pink = createPinkFilter();
      next = () => pink.process(white());
      gain = amplitude / pinkFilterRms();
    }
  }
  const frameSamples = samplesPerFrame(sampleRate);
  return {
    type,
    sampleRate,
    levelDbfs,
    fill(output) {
      for (let i = 0; i < output.length; i++) output[i] = next() * gain;
    },
    nextFrame(output = new Int16Array(frameSamples)) {
      for (let i = 0; i < output.length; i++) output[i] = Math.max(-32768, Math.min(32767, Math.round(next() * gain)));
      return output;
    },
  };
}

/** `samples` samples of noise as 16-bit PCM: the start of the stream {@link createNoise} makes with `options`. */
export function renderNoise(options: NoiseOptions & { readonly samples: number }): Int16Array {
  return createNoise(options).nextFrame(new Int16Array(options.samples));
}
