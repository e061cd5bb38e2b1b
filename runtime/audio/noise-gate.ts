import type { Vad } from './vad.js';

/** Options of {@link createNoiseGatedVad}. */
export interface NoiseGateOptions {
  /**
   * How far above the tracked noise floor a frame's level must be to count as speech, in dB. Default 9:
   * speech at 10 dB SNR clears it, a speech pause in constant babble (within a few dB of the floor) does not.
   */
  readonly marginDb?: number;
  /**
   * Once open (speech started), the gate stays open while frames stand this far above the floor, in dB, so
   * the quieter parts of speech (consonants, the end of a word) do not cut it into pieces. Default 3.
   */
  readonly holdMarginDb?: number;
  /** The noise floor is a low percentile of the 20 ms frame levels over this long a window, ms. Default 3000. */
  readonly windowMs?: number;
  /**
   * Which percentile of the window's frame levels is the floor, 0-1 (0: the quietest frame, minimum
   * statistics). Default 0.2: babble and office air are never quiet for long, so their quietest frame lies
   * far under their usual level, and a floor at the minimum lets most of the room through.
   */
  readonly floorPercentile?: number;
  /** Below this level (dBFS) a frame is never speech, whatever the floor. Default -55. */
  readonly absoluteFloorDbfs?: number;
}

/** Default of {@link NoiseGateOptions.marginDb}. */
export const NOISE_GATE_MARGIN_DB = 9;
/** Default of {@link NoiseGateOptions.windowMs}. */
export const NOISE_GATE_WINDOW_MS = 3000;
/** Default of {@link NoiseGateOptions.floorPercentile}. */
export const NOISE_GATE_FLOOR_PERCENTILE = 0.2;

/** A gated VAD, with what its gate knows (for meters and tests). */
export interface NoiseGatedVad extends Vad {
  /** The tracked noise floor, dBFS (the quietest recent frame). */
  readonly noiseFloorDbfs: number;
  /** The last frame's level, dBFS. */
  readonly lastLevelDbfs: number;
}

/**
 * A noise-adaptive gate in front of a frame VAD: a frame counts as speech only when the VAD says so AND its
 * level stands `marginDb` above the line's noise floor, tracked as a low percentile (`floorPercentile`) of the
 * frame levels of the last `windowMs`. A frame VAD judges the spectrum of one frame: it calls office ambience,
 * babble and a TV "speech", so on a noisy line the caller's pauses vanish and the agent is paused by the
 * room. The floor follows the room within one window (from the first frame: the frames heard so far); speech,
 * which stands above the room, still passes.
 *
 * Per frame: one sum of squares, a ring buffer and a 1 dB histogram walk (101 bins); no allocation. Measured on
 * real recordings by `npm run bench:vad-real`.
 *
 * Per frame: one sum of squares and one ring-buffer minimum over `windowMs / 20` levels (75 by default), no
 * allocation.
 */
export function createNoiseGatedVad(inner: Vad, options: NoiseGateOptions = {}): NoiseGatedVad {
  const marginDb = options.marginDb ?? NOISE_GATE_MARGIN_DB;
  const holdMarginDb = Math.min(marginDb, options.holdMarginDb ?? 3);
  let open = false;
  const absoluteFloorDbfs = options.absoluteFloorDbfs ?? -55;
  const slots = Math.max(1, Math.round((options.windowMs ?? NOISE_GATE_WINDOW_MS) / 20));
  if (!(marginDb >= 0)) throw new RangeError(`noise gate marginDb must be >= 0, got ${marginDb}`);
  const levels = new Float64Array(slots).fill(0);
  // Frame levels in 1 dB bins (-100..0 dBFS), kept with the ring: a percentile is a walk over 101 bins.
  const bins = new Uint16Array(101);
  const percentile = options.floorPercentile ?? NOISE_GATE_FLOOR_PERCENTILE;
  let next = 0;
  let filled = 0;
  let floor = -100;
  let last = -100;
  // `open` (declared above): the gate let the last frame through as speech.
  const gated: NoiseGatedVad = {
    engine: `${inner.engine}+gate`,
    get noiseFloorDbfs() {
      return floor;
    },
    get lastLevelDbfs() {
      return last;
    },
    speechProbability(frame) {
      // The inner VAD sees every frame: it keeps state of its own.
      const probability = inner.speechProbability(frame);
      last = levelOf(frame);
      if (filled === slots) bins[binOf(levels[next]!)]!--;
      levels[next] = last;
      bins[binOf(last)]!++;
      next = (next + 1) % slots;
      if (filled < slots) filled++;
      if (percentile <= 0) {
        let min = Infinity;
        for (let i = 0; i < filled; i++) if (levels[i]! < min) min = levels[i]!;
        floor = min;
      } else {
        const rank = Math.max(1, Math.ceil(percentile * filled));
        let seen = 0;
        let bin = 0;
        while (bin < 100 && (seen += bins[bin]!) < rank) bin++;
        floor = bin - 100;
      }
      // From the first frame, the floor of what has been heard so far stands for the window's. (Trusting the VAD
      // until a whole window had been heard paused every noisy call's greeting for its own line noise at 0-80 ms:
      // bench:quality, one pause per call on every line with noise. A caller who talks from the very first frame
      // is heard once their speech rises 9 dB above its quietest frames: 40-60 ms later.)
      const above = last - floor;
      open = last >= absoluteFloorDbfs && probability >= 0.5 && above >= (open ? holdMarginDb : marginDb);
      return open ? probability : Math.min(probability, 0.49);
    },
  };
  return gated;
}

/** The 1 dB histogram bin of a level in dBFS. */
function binOf(levelDbfs: number): number {
  return Math.max(0, Math.min(100, Math.floor(levelDbfs + 100)));
}

/** RMS level of a frame, dBFS (-100 for digital silence). */
function levelOf(frame: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < frame.length; i++) sum += frame[i]! * frame[i]!;
  if (sum === 0) return -100;
  return 10 * Math.log10(sum / frame.length / (32768 * 32768));
}
