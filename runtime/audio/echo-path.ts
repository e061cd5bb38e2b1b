/**
 * What the echo handler learns about the echo path from frame levels: how much quieter the echo is than our
 * audio (`BoundHistory` of echo-return-loss bounds) and how late it comes back (`DelayEstimator`). Both work
 * on 20 ms frame levels in dB, a few hundred operations per frame, nothing allocated.
 */

/** How long a measured bound is remembered, in frames (2 s). */
const HISTORY_FRAMES = 100;
/** Largest echo return loss (or canceller gain) believed, in dB. */
const MAX_LOSS_DB = 60;

/** Valid bounds (frames of our audio loud enough to measure) needed before a new figure replaces the held one (1 s). */
const MIN_VALID_BOUNDS = 50;

/**
 * The largest of the valid per-frame lower bounds measured over the last 2 s (`NaN` pushes mark frames that
 * measured nothing). Each bound errs low (double talk only makes the inbound louder), so the largest recent
 * one is the tightest safe figure. Until the last 2 s hold a full second of valid bounds, the figure held
 * from before (or the initial one) stands unless a higher bound shows up: a caller talking over the start of
 * a reply must not make the handler forget the echo path it measured on the previous one.
 */
export class BoundHistory {
  private readonly ring = new Float64Array(HISTORY_FRAMES).fill(Number.NaN);
  private at = 0;
  private held: number;
  value: number;

  constructor(initial: number) {
    this.value = this.held = initial;
  }

  /** Forgets every bound (they were measured on a wrong premise) and goes back to `initial`. */
  restart(initial: number): void {
    this.ring.fill(Number.NaN);
    this.value = this.held = initial;
  }

  push(bound: number): void {
    this.ring[this.at] = bound;
    this.at = (this.at + 1) % this.ring.length;
    let best = -Infinity;
    let valid = 0;
    for (let i = 0; i < this.ring.length; i++) {
      const b = this.ring[i]!;
      if (b === b) valid++;
      if (b > best) best = b; // NaN never compares greater
    }
    if (valid >= MIN_VALID_BOUNDS) this.held = Math.min(MAX_LOSS_DB, best);
    this.value = Math.min(MAX_LOSS_DB, Math.max(this.held, best));
  }
}

/** Levels below this are clipped before correlating, in dBFS: digital silence must not dominate. */
const FLOOR_DBFS = -70;
/** Weight of each new frame in the running correlation statistics (about a 3 s memory). */
const FORGET = 1 / 150;
/**
 * Frames with our audio echoing needed before a delay is trusted (1 s), counted at that delay: the reference
 * frames that many frames back must have carried audio that often. Otherwise the caller starting to talk
 * just as our first words reach some lag (inbound and delayed reference both stepping up at once) looks
 * like a perfect echo at that lag.
 */
const MIN_FRAMES = 50;
/** Reference frames at least this loud count as carrying audio at their lag, in dBFS. */
const ACTIVE_DBFS = -60;
/** Smallest correlation between the inbound and the delayed reference envelopes at which a delay is trusted. */
const MIN_CORRELATION = 0.6;

/**
 * Echo delay, in whole frames, as the lag at which the inbound level envelope correlates best with the
 * reference level envelope (normalised cross-correlation over exponentially weighted statistics). Speech
 * envelopes move at the syllable rate, so the peak is clear within a second or two of the agent talking.
 */
export class DelayEstimator {
  private readonly sy: Float64Array;
  private readonly syy: Float64Array;
  private readonly sxy: Float64Array;
  /** Per lag: frames so far in which the reference that far back carried audio. */
  private readonly active: Uint32Array;
  private sx = 0;
  private sxx = 0;
  private frames = 0;
  /** Best lag so far, in frames, or -1 while no delay is trusted. */
  delayFrames = -1;
  /** Correlation at `delayFrames` when it was last confirmed (0 while untrusted). */
  correlation = 0;

  constructor(private readonly lags: number) {
    this.sy = new Float64Array(lags + 1);
    this.syy = new Float64Array(lags + 1);
    this.sxy = new Float64Array(lags + 1);
    this.active = new Uint32Array(lags + 1);
  }

  /** One frame in which our audio may be echoing: `inbound` level, `reference(lag)` level `lag` frames ago. */
  update(inboundDb: number, reference: (lag: number) => number): void {
    const a = this.frames < MIN_FRAMES ? 1 / (this.frames + 1) : FORGET; // plain mean until warmed up
    const x = Math.max(FLOOR_DBFS, inboundDb);
    this.sx += a * (x - this.sx);
    this.sxx += a * (x * x - this.sxx);
    let best = -1;
    // Lags are compared on r * |r| * vx = c * |c| / vy (the same order as r, no square root per lag: the
    // search spans up to a second of lags on every frame our audio may be echoing).
    let bestScore = -Infinity;
    const vx = this.sxx - this.sx * this.sx;
    for (let l = 0; l <= this.lags; l++) {
      const level = reference(l);
      if (level >= ACTIVE_DBFS) this.active[l]!++;
      const y = Math.max(FLOOR_DBFS, level);
      this.sy[l]! += a * (y - this.sy[l]!);
      this.syy[l]! += a * (y * y - this.syy[l]!);
      this.sxy[l]! += a * (x * y - this.sxy[l]!);
      const vy = this.syy[l]! - this.sy[l]! * this.sy[l]!;
      const c = this.sxy[l]! - this.sx * this.sy[l]!;
      const score = vy > 1e-6 ? (c * Math.abs(c)) / vy : 0;
      if (score > bestScore) {
        bestScore = score;
        best = l;
      }
    }
    const bestR = vx > 1e-6 ? Math.sign(bestScore) * Math.sqrt(Math.abs(bestScore) / vx) : 0;
    this.frames++;
    // A trusted delay is kept until another lag is trusted: double talk lowers every correlation for a
    // while, and an echo path's delay does not wander during a call.
    if (this.frames >= MIN_FRAMES && this.active[best]! >= MIN_FRAMES && bestR >= MIN_CORRELATION) {
      this.delayFrames = best;
      this.correlation = bestR;
    }
  }
}
