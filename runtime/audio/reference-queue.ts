/**
 * The reference: agent samples sent but not yet matched with an inbound frame. Each inbound frame takes one
 * frame of it (silence when playout is idle), so the reference runs on the inbound clock, the clock the
 * caller's phone plays and records on.
 */
export class ReferenceQueue {
  private readonly ring: Int16Array;
  private start = 0;
  private count = 0;

  constructor(capacity: number) {
    this.ring = new Int16Array(capacity);
  }

  push(frame: Int16Array): void {
    const ring = this.ring;
    // Far more queued than any tail: the oldest is beyond reach of the echo anyway.
    const source = frame.length > ring.length ? frame.subarray(frame.length - ring.length) : frame;
    const overflow = this.count + source.length - ring.length;
    if (overflow > 0) {
      this.start = (this.start + overflow) % ring.length;
      this.count -= overflow;
    }
    // Copied in at most two runs (the ring wraps once at most): this runs for every frame the agent sends.
    const end = (this.start + this.count) % ring.length;
    const first = Math.min(source.length, ring.length - end);
    ring.set(source.subarray(0, first), end);
    if (first < source.length) ring.set(source.subarray(first), 0);
    this.count += source.length;
  }

  /** Fills `out` with the next samples, silence past what is queued. */
  take(out: Int16Array): void {
    const ring = this.ring;
    const n = Math.min(out.length, this.count);
    const first = Math.min(n, ring.length - this.start);
    out.set(ring.subarray(this.start, this.start + first), 0);
    if (first < n) out.set(ring.subarray(0, n - first), first);
    out.fill(0, n);
    this.start = (this.start + n) % ring.length;
    this.count -= n;
  }
}
