/**
 * Non-speech sounds from the caller's side, for scenario `noise` steps: a cough, a door slam and a loud
 * breath into the microphone. They are meant to fool a frame-level VAD the way the real ones do (loud,
 * broadband, with a speech-like onset), so that a scenario can check that the agent pauses at most and
 * resumes instead of treating them as an interruption.
 *
 * Each sound is synthesised from a seeded PRNG (the same seed gives the same samples) and scaled so that
 * its loudest 20 ms frame has the requested RMS level.
 */
import { levelDbfs, msToSamples, samplesPerFrame } from '../audio/frames.js';
import { createBiquad, gaussianRandom, seededRandom } from './noise.js';

/** Sounds a scenario `noise` step can make. */
export type CallerSound = 'cough' | 'door' | 'breath';

/** Every {@link CallerSound}, for validation and error messages. */
export const CALLER_SOUNDS: readonly CallerSound[] = ['cough', 'door', 'breath'];

/** Natural length of each sound, in milliseconds: the default of a step's `durationMs`. */
export const CALLER_SOUND_DEFAULT_MS: Readonly<Record<CallerSound, number>> = { cough: 400, door: 250, breath: 600 };

/**
 * Default level of each sound's loudest 20 ms frame, in dBFS RMS. Telephony's nominal speech level is
 * -26 dBFS, whose loudest frames reach about -16: a cough close to the handset is louder than the voice,
 * a door across the room about as loud, a breath into the microphone well below it.
 */
export const CALLER_SOUND_DEFAULT_LEVEL_DBFS: Readonly<Record<CallerSound, number>> = { cough: -12, door: -16, breath: -24 };

/** Options of {@link createSound}. */
export interface CallerSoundOptions {
  /** Sample rate of the result, in hertz (8000 on G.711 lines). */
  readonly sampleRate: number;
  /** Length, in milliseconds. Default: {@link CALLER_SOUND_DEFAULT_MS} for the sound. */
  readonly durationMs?: number;
  /** RMS level of the loudest 20 ms frame, in dBFS. Default: {@link CALLER_SOUND_DEFAULT_LEVEL_DBFS}. */
  readonly levelDbfs?: number;
  /** PRNG seed. Default: 1. */
  readonly seed?: number;
}

/** Everything a synthesiser needs: length in samples, rate, and seeded generators. */
interface SynthContext {
  readonly samples: number;
  readonly sampleRate: number;
  readonly random: () => number;
  readonly gauss: () => number;
}

/**
 * Renders a caller sound as 16-bit PCM, `durationMs` long at `sampleRate`, its loudest 20 ms frame at
 * `levelDbfs`. Throws a `RangeError` on an unknown sound, a non-positive duration or rate, or a level
 * above 0 dBFS.
 */
export function createSound(sound: CallerSound, options: CallerSoundOptions): Int16Array {
  const { sampleRate } = options;
  const durationMs = options.durationMs ?? CALLER_SOUND_DEFAULT_MS[sound];
  const level = options.levelDbfs ?? CALLER_SOUND_DEFAULT_LEVEL_DBFS[sound];
  if (!CALLER_SOUNDS.includes(sound)) throw new RangeError(`unknown caller sound ${JSON.stringify(sound)}: use ${CALLER_SOUNDS.join(', ')}`);
  if (!(sampleRate > 0) || !Number.isInteger(sampleRate)) throw new RangeError(`caller sound sample rate must be a positive whole number of hertz, got ${sampleRate}`);
  if (!(durationMs > 0)) throw new RangeError(`${sound} duration must be positive, got ${durationMs} ms`);
  if (!(level <= 0)) throw new RangeError(`${sound} level must be at most 0 dBFS, got ${level}`);
  const random = seededRandom(options.seed ?? 1);
  const context: SynthContext = { samples: Math.max(1, msToSamples(durationMs, sampleRate)), sampleRate, random, gauss: gaussianRandom(random) };
  const signal = sound === 'cough' ? cough(context) : sound === 'door' ? door(context) : breath(context);
  return scaleToLoudestFrame(signal, sampleRate, level);
}

/**
 * A cough, or a fit of them: one burst per 200 ms, each an explosive onset (5 ms attack) decaying over its
 * length, of noise emphasised between 1 and 3 kHz plus some voicing (coughs usually close on the vocal
 * folds), every burst quieter than the one before.
 */
function cough({ samples, sampleRate, random, gauss }: SynthContext): Float64Array {
  const out = new Float64Array(samples);
  const bursts = Math.max(1, Math.round(samples / msToSamples(200, sampleRate)));
  const slot = samples / bursts;
  const emphasis = createBiquad('bandpass', 1800, 0.9, sampleRate);
  const attack = msToSamples(5, sampleRate);
  const fade = msToSamples(5, sampleRate);
  let glottal = 0;
  for (let b = 0; b < bursts; b++) {
    const start = Math.round(b * slot);
    const length = Math.round(slot * (bursts === 1 ? 1 : 0.85));
    const amplitude = 0.75 ** b * (0.85 + 0.3 * random());
    const f0 = 160 + 80 * random();
    for (let i = 0; i < length && start + i < samples; i++) {
      const decay = Math.exp((-3 * i) / length);
      const envelope = Math.min(1, i / attack) * Math.min(1, (length - i) / fade) * decay;
      glottal = (glottal + f0 / sampleRate) % 1;
      const noise = emphasis.process(gauss()) * 1.6 + 0.5 * gauss();
      const voicing = 0.8 * (glottal - 0.5) * Math.min(1, (2 * i) / length); // the voiced part comes after the blast
      out[start + i] = amplitude * envelope * (noise + voicing);
    }
  }
  return out;
}

/**
 * A door slam: a broadband click at impact, a low thud (damped 70 and 140 Hz modes of the door), a panel
 * resonance near 400 Hz and a short rattle of the frame around 1.2 kHz.
 */
function door({ samples, sampleRate, random, gauss }: SynthContext): Float64Array {
  const out = new Float64Array(samples);
  const rattle = createBiquad('bandpass', 1200, 1.2, sampleRate);
  const thudHz = 60 + 20 * random();
  const fade = msToSamples(5, sampleRate);
  for (let i = 0; i < samples; i++) {
    const tMs = (i * 1000) / sampleRate;
    const phase = (2 * Math.PI * tMs) / 1000;
    const click = 1.5 * gauss() * Math.exp(-tMs / 4);
    const thud = Math.exp(-tMs / 70) * (Math.sin(phase * thudHz) + 0.6 * Math.sin(phase * 2 * thudHz + 1));
    const panel = 0.5 * Math.exp(-tMs / 30) * Math.sin(phase * 410);
    const shake = 0.6 * Math.exp(-tMs / 45) * rattle.process(gauss());
    out[i] = (click + thud + panel + shake) * Math.min(1, (samples - i) / fade);
  }
  return out;
}

/**
 * A breath into the microphone: air turbulence (noise low-passed near 900 Hz, with some hiss above) that
 * swells and fades over the whole length, fluttering a little as air hits the capsule.
 */
function breath({ samples, sampleRate, random, gauss }: SynthContext): Float64Array {
  const out = new Float64Array(samples);
  const air = createBiquad('lowpass', 900, 0.7, sampleRate);
  const hiss = createBiquad('bandpass', 2000, 0.7, sampleRate);
  const flutterHz = 8 + 6 * random();
  for (let i = 0; i < samples; i++) {
    const t = i / samples;
    const swell = Math.sin(Math.PI * t) ** 1.5;
    const flutter = 1 + 0.3 * Math.sin((2 * Math.PI * flutterHz * i) / sampleRate);
    out[i] = swell * flutter * (air.process(gauss()) + 0.35 * hiss.process(gauss()));
  }
  return out;
}

/** Scales `signal` so that its loudest 20 ms frame (aligned to the start) has RMS `levelDbfs`, rounds and clips it. */
function scaleToLoudestFrame(signal: Float64Array, sampleRate: number, level: number): Int16Array {
  const frame = samplesPerFrame(sampleRate);
  let loudest = 0;
  for (let at = 0; at < signal.length; at += frame) {
    const end = Math.min(signal.length, at + frame);
    let energy = 0;
    for (let i = at; i < end; i++) energy += signal[i]! ** 2;
    loudest = Math.max(loudest, energy / (end - at));
  }
  const gain = loudest > 0 ? (32768 * 10 ** (level / 20)) / Math.sqrt(loudest) : 0;
  const out = new Int16Array(signal.length);
  for (let i = 0; i < signal.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(signal[i]! * gain)));
  return out;
}

/** RMS level of the loudest 20 ms frame of `pcm` (aligned to its start), in dBFS: the level {@link createSound} sets. */
export function loudestFrameDbfs(pcm: Int16Array, sampleRate: number): number {
  const frame = samplesPerFrame(sampleRate);
  let loudest = -100;
  for (let at = 0; at < pcm.length; at += frame) loudest = Math.max(loudest, levelDbfs(pcm.subarray(at, at + frame)));
  return loudest;
}
