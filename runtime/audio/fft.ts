/**
 * A real-input FFT of a power-of-two size, for the frequency-domain echo canceller (`echo-canceller.ts`).
 * Computed as a complex FFT of half the size over the packed even/odd samples (the classic real-FFT split),
 * iterative radix-2 with precomputed twiddles and bit-reversal table. Allocation-free after creation: the
 * per-frame path calls it several times per 20 ms frame.
 *
 * Conventions: `forward` is unnormalised (X[k] = sum x[n] e^(-2 pi i k n / size)); `inverse` divides by
 * `size`, so `inverse(forward(x)) === x`. Spectra hold bins 0..size/2 (the others are conjugate mirrors).
 */
export interface RealFft {
  /** Transform length (a power of two, at least 8). */
  readonly size: number;
  /** Number of spectrum bins kept: `size / 2 + 1`. */
  readonly bins: number;
  /** `input` (`size` samples) -> `re`, `im` (`bins` values each). */
  forward(input: Float64Array, re: Float64Array, im: Float64Array): void;
  /** `re`, `im` (`bins` values; imaginary parts of bins 0 and size/2 ignored) -> `output` (`size` samples). */
  inverse(re: Float64Array, im: Float64Array, output: Float64Array): void;
}

/** Creates a real FFT of `size` points. */
export function createRealFft(size: number): RealFft {
  if (!Number.isInteger(size) || size < 8 || (size & (size - 1)) !== 0) throw new RangeError(`FFT size must be a power of two >= 8, got ${size}`);
  const half = size / 2;
  const bins = half + 1;
  const bitReverse = new Uint32Array(half);
  const levels = Math.log2(half);
  for (let i = 0; i < half; i++) {
    let r = 0;
    for (let b = 0; b < levels; b++) r |= ((i >> b) & 1) << (levels - 1 - b);
    bitReverse[i] = r;
  }
  // Twiddles of the half-size complex FFT (e^(-2 pi i k / half)) and of the real split (e^(-2 pi i k / size)).
  const cosHalf = new Float64Array(half / 2 || 1);
  const sinHalf = new Float64Array(half / 2 || 1);
  for (let k = 0; k < half / 2; k++) {
    cosHalf[k] = Math.cos((2 * Math.PI * k) / half);
    sinHalf[k] = -Math.sin((2 * Math.PI * k) / half);
  }
  const sinHalfInverse = sinHalf.map((v) => -v);
  const cosSplit = new Float64Array(bins);
  const sinSplit = new Float64Array(bins);
  for (let k = 0; k < bins; k++) {
    cosSplit[k] = Math.cos((2 * Math.PI * k) / size);
    sinSplit[k] = -Math.sin((2 * Math.PI * k) / size);
  }
  const zr = new Float64Array(half);
  const zi = new Float64Array(half);

  /** In-place complex FFT of `zr`/`zi` (`half` points); `sign` -1 forward, +1 inverse (unnormalised). */
  const complexFft = (sign: number): void => {
    for (let i = 0; i < half; i++) {
      const j = bitReverse[i]!;
      if (j > i) {
        const tr = zr[i]!, ti = zi[i]!;
        zr[i] = zr[j]!;
        zi[i] = zi[j]!;
        zr[j] = tr;
        zi[j] = ti;
      }
    }
    // The first two stages need no multiplications (twiddles 1 and -/+i): one radix-4 pass.
    for (let a = 0; a + 3 < half; a += 4) {
      const r0 = zr[a]! + zr[a + 1]!, i0 = zi[a]! + zi[a + 1]!;
      const r1 = zr[a]! - zr[a + 1]!, i1 = zi[a]! - zi[a + 1]!;
      const r2 = zr[a + 2]! + zr[a + 3]!, i2 = zi[a + 2]! + zi[a + 3]!;
      const r3 = zr[a + 2]! - zr[a + 3]!, i3 = zi[a + 2]! - zi[a + 3]!;
      // (r3, i3) times -i (forward) or +i (inverse).
      const t3r = sign < 0 ? i3 : -i3;
      const t3i = sign < 0 ? -r3 : r3;
      zr[a] = r0 + r2;
      zi[a] = i0 + i2;
      zr[a + 2] = r0 - r2;
      zi[a + 2] = i0 - i2;
      zr[a + 1] = r1 + t3r;
      zi[a + 1] = i1 + t3i;
      zr[a + 3] = r1 - t3r;
      zi[a + 3] = i1 - t3i;
    }
    const twiddleIm = sign < 0 ? sinHalf : sinHalfInverse;
    for (let span = 4; span < half; span <<= 1) {
      const stride = half / (2 * span);
      for (let k = 0; k < span; k++) {
        const wr = cosHalf[k * stride]!;
        const wi = twiddleIm[k * stride]!;
        for (let a = k; a < half; a += 2 * span) {
          const b = a + span;
          const xr = zr[b]!, xi = zi[b]!;
          const br = xr * wr - xi * wi;
          const bi = xr * wi + xi * wr;
          const ar = zr[a]!, ai = zi[a]!;
          zr[b] = ar - br;
          zi[b] = ai - bi;
          zr[a] = ar + br;
          zi[a] = ai + bi;
        }
      }
    }
  };

  return {
    size,
    bins,
    forward(input, re, im) {
      for (let n = 0; n < half; n++) {
        zr[n] = input[2 * n]!;
        zi[n] = input[2 * n + 1]!;
      }
      complexFft(-1);
      for (let k = 0; k < bins; k++) {
        const k1 = k === half ? 0 : k;
        const k2 = k === 0 ? 0 : half - k;
        // Even part (Z[k] + conj Z[half-k]) / 2 and odd part (Z[k] - conj Z[half-k]) / 2i.
        const er = (zr[k1]! + zr[k2]!) / 2;
        const ei = (zi[k1]! - zi[k2]!) / 2;
        const or = (zi[k1]! + zi[k2]!) / 2;
        const oi = -(zr[k1]! - zr[k2]!) / 2;
        const wr = cosSplit[k]!, wi = sinSplit[k]!;
        re[k] = er + or * wr - oi * wi;
        im[k] = ei + or * wi + oi * wr;
      }
    },
    inverse(re, im, output) {
      for (let k = 0; k < half; k++) {
        const j = half - k;
        // Fe = (X[k] + conj X[half-k]) / 2; Fo = (X[k] - conj X[half-k]) / 2 * e^(+2 pi i k / size); Z = Fe + i Fo.
        const imK = k === 0 ? 0 : im[k]!;
        const imJ = j === half ? 0 : im[j]!;
        const er = (re[k]! + re[j]!) / 2;
        const ei = (imK - imJ) / 2;
        const dr = (re[k]! - re[j]!) / 2;
        const di = (imK + imJ) / 2;
        const wr = cosSplit[k]!, wi = -sinSplit[k]!;
        const or = dr * wr - di * wi;
        const oi = dr * wi + di * wr;
        zr[k] = er - oi;
        zi[k] = ei + or;
      }
      complexFft(1);
      const scale = 1 / half;
      for (let n = 0; n < half; n++) {
        output[2 * n] = zr[n]! * scale;
        output[2 * n + 1] = zi[n]! * scale;
      }
    },
  };
}
