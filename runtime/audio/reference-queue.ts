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
    for (let i = 0; i < frame.length; i++) {
      if (this.count === ring.length) {
        // Far more queued than any tail: the oldest is beyond reach of the echo anyway.
        this.start = (this.start + 1) % ring.length;
        this.count--;
      }
      ring[(this.start + this.count) % ring.length] = frame[i]!;
      this.count++;
    }
  }

  /** Fills `out` with the next samples, silence past what is queued. */
  take(out: Int16Array): void {
    const ring = this.ring;
    const n = Math.min(out.length, this.count);
    for (let i = 0; i < n; i++) out[i] = ring[(this.start + i) % ring.length]!;
    out.fill(0, n);
    this.start = (this.start + n) % ring.length;
    this.count -= n;
  }
}
