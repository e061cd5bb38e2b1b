/**
 * Integer-factor decimation (for example 24 kHz -> 8 kHz) for analysers that only accept some sample rates,
 * such as the WebRTC and Silero VADs. Not a general resampler: quality is tuned for voice activity
 * detection, which only looks at the band below 4 kHz (8 kHz output) or 8 kHz (16 kHz output).
 */
export interface Decimator {
  /** Input rate divided by output rate. */
  readonly factor: number;
  /** Output sample rate, in hertz. */
  readonly outputRate: number;
  /**
   * Low-pass filters `input` and keeps every `factor`-th sample, writing `input.length / factor` samples into
   * `output` from `outputOffset`. Filter history carries across calls, so consecutive frames join without
   * clicks. `input.length` must be a multiple of `factor`. Allocation-free after the first frame of a size.
   * Returns the number of samples written.
   */
  process(input: Int16Array, output: Int16Array, outputOffset?: number): number;
  /** Forgets the filter history (a new stream starts). */
  reset(): void;
}

/**
 * Taps per unit of decimation factor (6 x factor + 1: 19 taps from 24 kHz). A compromise: a VAD tolerates
 * some aliasing near 4 kHz, and each tap costs 160 multiply-adds per 20 ms frame (24 kHz -> 8 kHz: about
 * 8 us per frame on the 2-core CI machine, most of the WebRTC VAD cost at that rate).
 */
const TAPS_PER_FACTOR = 6;
/** Passband edge as a fraction of the output Nyquist frequency (3.6 kHz for an 8 kHz output). */
const CUTOFF_OF_NYQUIST = 0.9;

/**
 * Creates a decimator from `inputRate` down to `inputRate / factor`. The filter is a Hamming-windowed sinc
 * with unit gain at DC and linear phase (delay: `3 x factor` input samples, a fraction of a millisecond).
 */
export function createDecimator(inputRate: number, factor: number): Decimator {
  if (!Number.isInteger(factor) || factor < 1) throw new RangeError(`decimation factor must be a positive integer, got ${factor}`);
  if (!Number.isInteger(inputRate / factor)) throw new RangeError(`${inputRate} Hz is not divisible by ${factor}`);
  const taps = lowPassTaps(TAPS_PER_FACTOR * factor + 1, CUTOFF_OF_NYQUIST / factor);
  const historyLength = taps.length - 1;
  let work = new Float32Array(historyLength);

  return {
    factor,
    outputRate: inputRate / factor,
    process(input, output, outputOffset = 0) {
      if (input.length % factor !== 0) {
        throw new RangeError(`frame of ${input.length} samples cannot be decimated by ${factor}; use frames whose length is a multiple of ${factor}`);
      }
      if (work.length !== historyLength + input.length) {
        const grown = new Float32Array(historyLength + input.length);
        grown.set(work.subarray(0, historyLength)); // the history is kept at the front
        work = grown;
      }
      // Locals, not closure variables, in the hot loop: V8 keeps them in registers.
      const buffer = work;
      const h = taps;
      const tapCount = h.length;
      for (let i = 0; i < input.length; i++) buffer[historyLength + i] = input[i]!;
      const count = input.length / factor;
      for (let j = 0; j < count; j++) {
        // Newest input sample for output j sits at buffer[historyLength + j * factor + factor - 1].
        const newest = historyLength + j * factor + factor - 1;
        let acc = 0;
        for (let k = 0; k < tapCount; k++) acc += h[k]! * buffer[newest - k]!;
        output[outputOffset + j] = acc > 32767 ? 32767 : acc < -32768 ? -32768 : Math.round(acc);
      }
      work.copyWithin(0, input.length);
      return count;
    },
    reset() {
      work.fill(0);
    },
  };
}

/** Windowed-sinc low-pass with `cutoff` as a fraction of the input Nyquist frequency, normalised to unit DC gain. */
function lowPassTaps(length: number, cutoff: number): Float64Array {
  const taps = new Float64Array(length);
  const middle = (length - 1) / 2;
  let sum = 0;
  for (let n = 0; n < length; n++) {
    const x = n - middle;
    const sinc = x === 0 ? cutoff : Math.sin(Math.PI * cutoff * x) / (Math.PI * x);
    const window = 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / (length - 1));
    taps[n] = sinc * window;
    sum += taps[n]!;
  }
  for (let n = 0; n < length; n++) taps[n] = taps[n]! / sum;
  return taps;
}
