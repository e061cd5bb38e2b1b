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
/**
 * Lags are updated in turn: one in STRIDE on each frame (lag l when l % STRIDE is the frame's turn), so every
 * lag sees the envelopes every 40 ms, still finer than the syllable rate they move at. (bench:echo: a stride
 * of 2 measures as every frame did; 4 let through up to 1.5% false speech in rooms and lost double talk.)
 */
const STRIDE = 2;
/** Weight of each new update in a lag's running correlation statistics: about a 3 s memory. */
const FORGET = STRIDE / 150;
/** Numbers kept per lag (see DelayEstimator.stats). */
const FIELDS = 4;
/**
 * Updates of a lag with our audio echoing needed before a delay is trusted (1 s of frames), counted
 * at that delay: the reference frames that many updates back must have carried audio that often. Otherwise
 * the caller starting to talk just as our first words reach some lag (inbound and delayed reference both
 * stepping up at once) looks like a perfect echo at that lag.
 */
const MIN_UPDATES = Math.round(50 / STRIDE);
/** Reference frames at least this loud count as carrying audio at their lag, in dBFS. */
const ACTIVE_DBFS = -60;
/** Smallest correlation between the inbound and the delayed reference envelopes at which a delay is trusted. */
const MIN_CORRELATION = 0.6;

/**
 * Echo delay, in whole frames, as the lag at which the inbound level envelope correlates best with the
 * reference level envelope (normalised cross-correlation over exponentially weighted statistics). Speech
 * envelopes move at the syllable rate, so the peak is clear within a second or two of the agent talking.
 *
 * The lags are interleaved over frames (see STRIDE), each turn with its own statistics of the inbound level
 * over the frames it saw, so a frame touches half the statistics (bench:calls: with hundreds of calls
 * on a core, updating every lag on every frame was most of what the echo path added to a frame's cost).
 */
export class DelayEstimator {
  /**
   * Per lag, FIELDS numbers: the reference level's mean, mean square, mean product with the inbound level,
   * and the updates so far in which the reference that far back carried audio. Stored by turn (the lags a
   * frame updates are contiguous): hundreds of calls share a core's caches.
   */
  private readonly stats: Float64Array;
  private readonly lagsPerTurn: number;
  /** Per lag: its last squared correlation, signed (`r * |r|`). */
  private readonly rr: Float64Array;
  /** Per turn: the inbound level's mean and mean square over the frames that updated its lags. */
  private readonly sx = new Float64Array(STRIDE);
  private readonly sxx = new Float64Array(STRIDE);
  private readonly updates = new Uint32Array(STRIDE);
  private turn = 0;
  /** Best lag so far, in frames, or -1 while no delay is trusted. */
  delayFrames = -1;
  /** Correlation at `delayFrames` when it was last confirmed (0 while untrusted). */
  correlation = 0;

  constructor(private readonly lags: number) {
    this.lagsPerTurn = Math.ceil((lags + 1) / STRIDE);
    this.stats = new Float64Array(this.lagsPerTurn * STRIDE * FIELDS);
    this.rr = new Float64Array(lags + 1);
  }

  /**
   * One frame in which our audio may be echoing: `inbound` level, and the reference levels as a ring whose
   * newest entry (lag 0) is at `newest`; lag `l` is `newest - l`, wrapping. Updates the lags of this frame's
   * turn, reading the ring and the statistics directly (no call per lag, no modulo).
   */
  update(inboundDb: number, ring: Float64Array, newest: number): void {
    const p = this.turn;
    this.turn = (p + 1) % STRIDE;
    const n = this.updates[p]!;
    const a = n < MIN_UPDATES ? 1 / (n + 1) : FORGET; // plain mean until warmed up
    const x = inboundDb > FLOOR_DBFS ? inboundDb : FLOOR_DBFS;
    const sx = (this.sx[p] = this.sx[p]! + a * (x - this.sx[p]!));
    const sxx = (this.sxx[p] = this.sxx[p]! + a * (x * x - this.sxx[p]!));
    this.updates[p] = n + 1;
    const vx = sxx - sx * sx;
    const { stats, rr } = this;
    const length = ring.length;
    let index = newest - p;
    if (index < 0) index += length;
    let at = p * this.lagsPerTurn * FIELDS;
    for (let l = p; l <= this.lags; l += STRIDE, at += FIELDS) {
      const level = ring[index]!;
      index -= STRIDE;
      if (index < 0) index += length;
      if (level >= ACTIVE_DBFS) stats[at + 3]!++;
      const y = level > FLOOR_DBFS ? level : FLOOR_DBFS;
      const my = (stats[at] = stats[at]! + a * (y - stats[at]!));
      const myy = (stats[at + 1] = stats[at + 1]! + a * (y * y - stats[at + 1]!));
      const mxy = (stats[at + 2] = stats[at + 2]! + a * (x * y - stats[at + 2]!));
      const vy = myy - my * my;
      const c = mxy - sx * my;
      rr[l] = vy > 1e-6 && vx > 1e-6 ? (c * (c < 0 ? -c : c)) / (vx * vy) : 0;
    }
    let best = 0;
    for (let l = 1; l <= this.lags; l++) if (rr[l]! > rr[best]!) best = l;
    const bestR = Math.sign(rr[best]!) * Math.sqrt(Math.abs(rr[best]!));
    // A trusted delay is kept until another lag is trusted: double talk lowers every correlation for a
    // while, and an echo path's delay does not wander during a call.
    const bestActive = stats[((best % STRIDE) * this.lagsPerTurn + Math.floor(best / STRIDE)) * FIELDS + 3]!;
    if (this.updates[best % STRIDE]! >= MIN_UPDATES && bestActive >= MIN_UPDATES && bestR >= MIN_CORRELATION) {
      this.delayFrames = best;
      this.correlation = bestR;
    }
  }
}
