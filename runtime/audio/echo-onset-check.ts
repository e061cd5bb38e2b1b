/**
 * Is this inbound audio the echo of what we sent `lag` frames ago? Asked by the echo gate for the few lags
 * whose echo it knows nothing about yet: where the first loud frames of a call's first reply sit while their
 * echo could still be on its way. Frame levels cannot tell a caller starting to talk from the echo of our
 * reply's start arriving (both go from quiet to loud in the same frame); the waveforms can. An echo is our
 * audio delayed, filtered and scaled, so the inbound frame correlates with the reference at the path's delay;
 * a caller's voice does not. The check is the normalised cross-correlation of the last three inbound frames
 * (60 ms: one frame alone told a caller from an echo poorly, p90 0.48 against a room echo's p5 0.58) with the
 * reference samples over every delay from a quarter frame before `lag` frames to a quarter frame after
 * `lag + 1` (the frame-level hypothesis: a path between `lag` and `lag + 1` frames, with some slack).
 *
 * Cost: about 120 delays x 240 samples at every rate (every other sample at 8 kHz, every n-th above: speech
 * energy is below 4 kHz), about 33 us per lag checked on this machine; only on frames a caller talks over the
 * start of the first reply, for its first few hundred milliseconds (at most 42 lags a frame). Memory: the
 * reference samples of the window, kept only while the gate needs them (`release`).
 */
/** Inbound frames correlated at once: the current one and the two before it (60 ms). */
const WINDOW_FRAMES = 3;
/** Share of the loudest reference window's energy below which a window is weighed as that share. */
const MIN_WINDOW_ENERGY = 0.5;

export class EchoOnsetCheck {
  private ring: Int16Array | undefined;
  /** The last WINDOW_FRAMES inbound frames, oldest first once full. */
  private readonly inbound: Int16Array;
  private readonly scratch: Float64Array;
  private readonly products: Float64Array;
  private readonly energies: Float64Array;
  private frames = 0;
  private readonly step: number;

  /**
   * @param frameSamples samples per 20 ms frame
   * @param lags longest lag that will be asked about, in frames
   */
  constructor(
    private readonly frameSamples: number,
    private readonly lags: number,
  ) {
    this.ring = new Int16Array((lags + WINDOW_FRAMES + 3) * frameSamples);
    this.inbound = new Int16Array(WINDOW_FRAMES * frameSamples);
    this.scratch = new Float64Array((WINDOW_FRAMES + 3) * frameSamples);
    // Every n-th sample above 8 kHz, and every other one over the window (speech energy is below 4 kHz and
    // the correlation peak of band-limited audio is several samples wide).
    this.step = 2 * Math.max(1, Math.round(frameSamples / 160));
    const delays = Math.floor((frameSamples + 2 * Math.floor(frameSamples / 4)) / this.step) + 2;
    this.products = new Float64Array(delays);
    this.energies = new Float64Array(delays);
  }

  /** The reference and inbound frames of this moment (call once per frame, before `correlation`). */
  push(reference: Int16Array, inbound: Int16Array): void {
    const ring = this.ring;
    if (!ring) return;
    const F = this.frameSamples;
    const slots = ring.length / F;
    ring.set(reference, (this.frames % slots) * F);
    this.inbound.copyWithin(0, F);
    this.inbound.set(inbound, (WINDOW_FRAMES - 1) * F);
    this.frames++;
  }

  /**
   * Largest |normalised cross-correlation| (0-1) of the last WINDOW_FRAMES inbound frames with the reference
   * over echo delays between `lag` and `lag + 1` frames (plus a quarter frame either side); 0 when either is
   * silent. Over several frames, a caller who started talking before the reference there began (or talks
   * on where it pauses) is told apart from its echo far better than over one.
   */
  correlation(lag: number): number {
    const ring = this.ring;
    const F = this.frameSamples;
    if (!ring || lag < 0 || lag > this.lags) return 0;
    const slots = ring.length / F;
    const scratch = this.scratch;
    const W = WINDOW_FRAMES;
    const frameCount = W + 3;
    // Reference frames (oldest inbound frame) - lag - 2 .. (current) - lag + 1; zeros where none is kept.
    const first = this.frames - W - lag - 2;
    for (let k = 0; k < frameCount; k++) {
      const frame = first + k;
      const offset = k * F;
      if (frame < 0 || frame > this.frames - 1 || frame < this.frames - slots) {
        scratch.fill(0, offset, offset + F);
        continue;
      }
      const from = (frame % slots) * F;
      for (let i = 0; i < F; i++) scratch[offset + i] = ring[from + i]!;
    }
    const inbound = this.inbound;
    const step = this.step;
    const length = W * F;
    let energyIn = 0;
    for (let i = 0; i < length; i += step) energyIn += inbound[i]! * inbound[i]!;
    if (energyIn === 0) return 0;
    const quarter = Math.floor(F / 4);
    const products = this.products;
    const energies = this.energies;
    let n = 0;
    let loudest = 0;
    // Inbound sample i is the echo of reference sample (window start) + i - delay, delay = lag * F + d; the
    // window's first frame sits at scratch offset 2 * F.
    for (let d = -quarter; d <= F + quarter; d += step, n++) {
      const start = 2 * F - d;
      let c = 0;
      let e = 0;
      for (let i = 0; i < length; i += step) {
        const r = scratch[start + i]!;
        c += inbound[i]! * r;
        e += r * r;
      }
      products[n] = c < 0 ? -c : c;
      energies[n] = e;
      if (e > loudest) loudest = e;
    }
    if (loudest === 0) return 0;
    // A window holding only the first few samples of our audio (the reply's start, silence before it) would
    // correlate with almost anything: windows are weighed as if they held at least half of the loudest.
    const floor = loudest * MIN_WINDOW_ENERGY;
    let best = 0;
    for (let k = 0; k < n; k++) {
      const r = products[k]! / Math.sqrt(energyIn * (energies[k]! > floor ? energies[k]! : floor));
      if (r > best) best = r;
    }
    return best;
  }

  /** Frees the kept reference once the gate no longer asks. */
  release(): void {
    this.ring = undefined;
  }
}
