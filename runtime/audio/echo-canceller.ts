import { createRealFft } from './fft.js';

/**
 * A linear acoustic echo canceller: a partitioned-block frequency-domain adaptive filter (the multidelay
 * filter, MDF, of Soo and Pang, in the alternately-constrained variant Speex uses) whose learning rate follows
 * Valin's double-talk-robust rule ("On adjusting the learning rate in frequency domain echo cancellation with
 * double-talk", IEEE TASLP 2007): each bin learns at roughly the ratio of residual echo to error power, so a
 * caller talking over the agent slows adaptation down instead of wrecking the filter. Written from the papers
 * for this code base (float64, 20 ms blocks); no code is taken from Speex.
 *
 * Layout: blocks of one frame (`N` samples), partitions of `2N` taps, FFT of `M` = the next power of two at
 * or above `3N` (512 at 8 kHz), so each partition's output is an exact linear convolution (overlap-save needs
 * `M >= N + 2N - 1`). Partition `k` filters the reference delayed by `2kN` samples, whose spectrum is the
 * block spectrum of `2k` frames ago.
 */
export interface EchoCanceller {
  /**
   * Cancels one frame: `reference` is what was played to the caller in step with `inbound` (the far end's
   * microphone signal). Writes `inbound` minus the estimated echo into `output`.
   */
  process(reference: Int16Array, inbound: Int16Array, output: Int16Array): void;
  /** Echo power removed over the last frame (inbound minus output, in dB); 0 until adapted. */
  readonly lastReductionDb: number;
  /** Whether the filter has passed its initial fast-learning phase. */
  readonly adapted: boolean;
}

/** Smallest leak (residual echo share) the learning-rate rule assumes: about 23 dB of best cancellation. */
const MIN_LEAK = 0.005;

/** Creates a canceller for frames of `frameSamples` covering echo paths up to `tailSamples` long. */
export function createEchoCanceller(options: { readonly frameSamples: number; readonly tailSamples: number; readonly sampleRate: number }): EchoCanceller {
  const N = options.frameSamples;
  const P = 2 * N;
  let M = 4;
  while (M < 3 * N) M *= 2;
  const fft = createRealFft(M);
  const bins = fft.bins;
  const K = Math.max(1, Math.ceil(options.tailSamples / P));
  const slots = 2 * K - 1; // block spectra kept: this frame's and the 2(K-1) before
  const xRe = new Float64Array(slots * bins);
  const xIm = new Float64Array(slots * bins);
  const wRe = new Float64Array(K * bins);
  const wIm = new Float64Array(K * bins);
  const window = new Float64Array(M); // last M reference samples
  const time = new Float64Array(M);
  const yRe = new Float64Array(bins);
  const yIm = new Float64Array(bins);
  const eRe = new Float64Array(bins);
  const eIm = new Float64Array(bins);
  const power = new Float64Array(bins); // smoothed reference power per bin
  const step = new Float64Array(bins);
  const errorSmooth = new Float64Array(bins);
  const echoSmooth = new Float64Array(bins);
  const error = new Float64Array(N);
  const share = new Float64Array(K).fill(1 / K); // each partition's share of the step (proportionate update)
  const powerSmoothing = 0.35 / K;
  const spectrumAveraging = N / options.sampleRate; // 0.02 at any rate: 20 ms of a 1 s average
  const beta0 = (2 * N) / options.sampleRate;
  const betaMax = (0.5 * N) / options.sampleRate;
  let newest = 0; // slot of the current block spectrum
  let frames = 0;
  let pey = 0;
  let pyy = 1;
  let adaptedSum = 0;
  let adapted = false;
  let reductionDb = 0;
  let silentFrames = 0;

  const slotOf = (age: number): number => (newest - age + slots) % slots;

  /**
   * Proportionate update: partitions that hold more of the echo path learn faster (an echo path is mostly one
   * delayed peak, so most partitions only gather noise). Each gets a share proportional to the norm of its
   * weights plus a tenth of the largest, the shares summing to 0.99.
   */
  const updateShares = (): void => {
    let largest = 0;
    for (let k = 0; k < K; k++) {
      let energy = 1;
      for (let f = 0; f < bins; f++) energy += wRe[k * bins + f]! ** 2 + wIm[k * bins + f]! ** 2;
      share[k] = Math.sqrt(energy);
      largest = Math.max(largest, share[k]!);
    }
    let total = 0;
    for (let k = 0; k < K; k++) total += (share[k]! += 0.1 * largest);
    for (let k = 0; k < K; k++) share[k] = (0.99 * share[k]!) / total;
  };

  return {
    get lastReductionDb() {
      return reductionDb;
    },
    get adapted() {
      return adapted;
    },
    process(reference, inbound, output) {
      // 1. Slide the reference window by one frame and take this block's spectrum.
      window.copyWithin(0, N);
      let silent = true;
      for (let i = 0; i < N; i++) {
        const x = reference[i]!;
        window[M - N + i] = x;
        if (x !== 0) silent = false;
      }
      newest = (newest + 1) % slots;
      const xOff = newest * bins;
      silentFrames = silent ? silentFrames + 1 : 0;
      if (silentFrames > slots + 2) {
        // Nothing sent for longer than the filter reaches (the caller's turn): no echo to remove, nothing to
        // learn. The whole reference window and every kept spectrum are zero, so skip the transforms.
        xRe.fill(0, xOff, xOff + bins);
        xIm.fill(0, xOff, xOff + bins);
        output.set(inbound);
        reductionDb = 0;
        frames++;
        return;
      }
      fft.forward(window, yRe, yIm);
      xRe.set(yRe, xOff);
      xIm.set(yIm, xOff);

      // 2. Echo estimate: sum over partitions of W_k X_(2k frames ago); the last N output samples are valid.
      yRe.fill(0);
      yIm.fill(0);
      for (let k = 0; k < K; k++) {
        const x = slotOf(2 * k) * bins;
        const w = k * bins;
        for (let f = 0; f < bins; f++) {
          const ar = wRe[w + f]!, ai = wIm[w + f]!, br = xRe[x + f]!, bi = xIm[x + f]!;
          yRe[f] = yRe[f]! + ar * br - ai * bi;
          yIm[f] = yIm[f]! + ar * bi + ai * br;
        }
      }
      fft.inverse(yRe, yIm, time);
      let sxx = 0, see = 0, syy = 0, sey = 0, sdd = 0;
      for (let i = 0; i < N; i++) {
        const d = inbound[i]!;
        const y = time[M - N + i]!;
        const e = d - y;
        error[i] = e;
        output[i] = e > 32767 ? 32767 : e < -32768 ? -32768 : Math.round(e);
        const x = reference[i]!;
        sxx += x * x;
        see += e * e;
        syy += y * y;
        sey += e * y;
        sdd += d * d;
      }
      reductionDb = adapted && see > 0 && sdd > 0 ? 10 * Math.log10(sdd / see) : 0;
      see += N; // floor: keeps the ratios finite in digital silence

      // 3. Error spectrum (error in the last N places of the window) and per-bin statistics.
      time.fill(0, 0, M - N);
      for (let i = 0; i < N; i++) time[M - N + i] = error[i]!;
      fft.forward(time, eRe, eIm);
      let peyNow = 0, pyyNow = 0;
      // A plain mean over the first frames: an average that starts from zero would make the first steps huge.
      const a = Math.max(powerSmoothing, 1 / (frames + 1));
      for (let f = 0; f < bins; f++) {
        const xr = xRe[xOff + f]!, xi = xIm[xOff + f]!;
        power[f] = (1 - a) * power[f]! + a * (xr * xr + xi * xi) + 1;
        const rf = eRe[f]! * eRe[f]! + eIm[f]! * eIm[f]!;
        const yf = yRe[f]! * yRe[f]! + yIm[f]! * yIm[f]!;
        const eh = rf - errorSmooth[f]!;
        const yh = yf - echoSmooth[f]!;
        peyNow += eh * yh;
        pyyNow += yh * yh;
        errorSmooth[f] = (1 - spectrumAveraging) * errorSmooth[f]! + spectrumAveraging * rf;
        echoSmooth[f] = (1 - spectrumAveraging) * echoSmooth[f]! + spectrumAveraging * yf;
        step[f] = rf; // kept for the step rule below
      }
      // 4. Leak: how much of the echo estimate's power fluctuation shows up in the error (regression).
      pyyNow = Math.sqrt(pyyNow);
      peyNow = pyyNow > 0 ? peyNow / pyyNow : 0;
      const alpha = Math.min(beta0 * syy, betaMax * see) / see;
      pey = (1 - alpha) * pey + alpha * peyNow;
      pyy = Math.max(1, (1 - alpha) * pyy + alpha * pyyNow);
      pey = Math.min(pyy, Math.max(MIN_LEAK * pyy, pey));
      const leak = pey / pyy;
      let rer = (0.0001 * sxx + 3 * leak * syy) / see;
      rer = Math.min(0.5, Math.max(rer, (sey * sey) / (1 + see * syy)));

      // 5. Per-bin learning rate, then the gradient step on every partition.
      if (!adapted && sxx > N * 16) {
        const rate = Math.min(0.25 * sxx, 0.25 * see) / see;
        for (let f = 0; f < bins; f++) step[f] = rate / (power[f]! + 10);
        adaptedSum += rate;
        if (adaptedSum > 1) adapted = true;
      } else if (adapted) {
        for (let f = 0; f < bins; f++) {
          const e = step[f]! + 1;
          const yf = yRe[f]! * yRe[f]! + yIm[f]! * yIm[f]!;
          const r = 0.7 * Math.min(leak * yf, 0.5 * e) + 0.3 * rer * e;
          step[f] = r / (e * (power[f]! + 10));
        }
      } else {
        step.fill(0);
      }
      if (frames % 4 === 0) updateShares();
      for (let k = 0; k < K; k++) {
        const x = slotOf(2 * k) * bins;
        const w = k * bins;
        const g = share[k]!;
        for (let f = 0; f < bins; f++) {
          const s = step[f]! * g;
          if (s === 0) continue;
          const xr = xRe[x + f]!, xi = xIm[x + f]!, er = eRe[f]!, ei = eIm[f]!;
          // conj(X) E
          wRe[w + f] = wRe[w + f]! + s * (xr * er + xi * ei);
          wIm[w + f] = wIm[w + f]! + s * (xr * ei - xi * er);
        }
      }
      // 6. Keep one partition (in rotation) a true 2N-tap filter: drop what wrapped around the FFT window.
      const c = frames % K;
      const w = c * bins;
      for (let f = 0; f < bins; f++) {
        yRe[f] = wRe[w + f]!;
        yIm[f] = wIm[w + f]!;
      }
      fft.inverse(yRe, yIm, time);
      time.fill(0, P);
      fft.forward(time, yRe, yIm);
      wRe.set(yRe, w);
      wIm.set(yIm, w);
      frames++;
    },
  };
}
