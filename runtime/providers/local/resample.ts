/**
 * Band-limited sample-rate conversion of a whole phrase (windowed sinc, Blackman window, 8 zero crossings,
 * cut-off at 90 % of the lower Nyquist frequency): 22050 Hz eSpeak output to 8/16/24/48 kHz without aliasing.
 * Private to the local synthesiser; a phrase starts and ends in silence, so no state is kept between calls.
 */

interface Kernel {
  /** Input samples advanced per `phases` output samples (rates reduced by their gcd): position j = j·step/phases. */
  readonly step: number;
  readonly ratio: number;
  readonly phaseCount: number;
  readonly halfTaps: number;
  /** `phaseCount` rows of `2·halfTaps` weights, each row summing to 1. */
  readonly weights: Float64Array;
}

const ZERO_CROSSINGS = 8;
const CUTOFF = 0.9;
/** Rate pairs whose reduced ratio needs more phases than this share a quantised phase table. */
const MAX_PHASES = 1024;
const kernels = new Map<string, Kernel>();

/** Converts mono 16-bit PCM from `fromHz` to `toHz` (positive integers). Output length: round(n·to/from). */
export function resample(input: Int16Array, fromHz: number, toHz: number): Int16Array {
  if (fromHz === toHz) return input.slice();
  const kernel = kernelFor(fromHz, toHz);
  const output = new Int16Array(Math.round((input.length * toHz) / fromHz));
  const taps = 2 * kernel.halfTaps;
  for (let j = 0; j < output.length; j++) {
    // Exact rational position: input index base + remainder/ratio.
    const numerator = j * kernel.step;
    let base = Math.floor(numerator / kernel.ratio);
    let phase = Math.round(((numerator - base * kernel.ratio) * kernel.phaseCount) / kernel.ratio);
    if (phase === kernel.phaseCount) {
      base++;
      phase = 0;
    }
    const first = base - kernel.halfTaps + 1;
    const row = phase * taps;
    let sum = 0;
    const from = Math.max(0, -first);
    const to = Math.min(taps, input.length - first);
    for (let tap = from; tap < to; tap++) sum += (input[first + tap] as number) * (kernel.weights[row + tap] as number);
    output[j] = Math.max(-32768, Math.min(32767, Math.round(sum)));
  }
  return output;
}

function kernelFor(fromHz: number, toHz: number): Kernel {
  const key = `${fromHz}:${toHz}`;
  const cached = kernels.get(key);
  if (cached) return cached;
  const divisor = gcd(fromHz, toHz);
  const step = fromHz / divisor;
  const ratio = toHz / divisor;
  const phaseCount = Math.min(ratio, MAX_PHASES);
  // Cut-off as a fraction of the input rate's Nyquist band, and the kernel's half-length in input samples.
  const cutoff = (CUTOFF * Math.min(fromHz, toHz)) / fromHz;
  const halfTaps = Math.ceil(ZERO_CROSSINGS / cutoff);
  const taps = 2 * halfTaps;
  const weights = new Float64Array(phaseCount * taps);
  for (let phase = 0; phase < phaseCount; phase++) {
    let total = 0;
    for (let tap = 0; tap < taps; tap++) {
      const distance = tap - halfTaps + 1 - phase / phaseCount;
      const weight = cutoff * sinc(cutoff * distance) * blackman(distance / halfTaps);
      weights[phase * taps + tap] = weight;
      total += weight;
    }
    for (let tap = 0; tap < taps; tap++) weights[phase * taps + tap] = (weights[phase * taps + tap] as number) / total;
  }
  const kernel: Kernel = { step, ratio, phaseCount, halfTaps, weights };
  kernels.set(key, kernel);
  return kernel;
}

function sinc(x: number): number {
  return x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
}

/** Blackman window centred on 0, over [-1, 1]. */
function blackman(x: number): number {
  return Math.abs(x) >= 1 ? 0 : 0.42 + 0.5 * Math.cos(Math.PI * x) + 0.08 * Math.cos(2 * Math.PI * x);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
