import type { Clock } from '../../util/clock.js';

/** Attempts to re-open a dropped Realtime socket before giving up. */
export const RECONNECT_ATTEMPTS = 3;
/** Back-off before the first attempt; it doubles with each one (250, 500, 1000 ms). */
const RECONNECT_BACKOFF_MS = 250;

/**
 * The reconnect policy of the Realtime sockets (the call's session, the cascade transcription session): a new
 * socket after a back-off that doubles from 250 ms, at most {@link RECONNECT_ATTEMPTS} times in a row. A socket
 * that works again ({@link succeeded}) earns the attempts back.
 */
export class Reconnect {
  private attempts = 0;
  private timer: ReturnType<Clock['setTimeout']> | undefined;

  /** `reopen` opens the new socket, or returns false when none is wanted any more (then no attempt is spent). */
  constructor(
    private readonly clock: Clock,
    private readonly reopen: () => boolean,
  ) {}

  /** An attempt is scheduled and has not run yet. */
  get pending(): boolean {
    return this.timer !== undefined;
  }

  /** Schedules the next attempt after its back-off; false when every attempt is spent. One at a time. */
  schedule(): boolean {
    if (this.timer !== undefined) return true;
    if (this.attempts >= RECONNECT_ATTEMPTS) return false;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.reopen()) this.attempts++;
    }, RECONNECT_BACKOFF_MS * 2 ** this.attempts);
    return true;
  }

  /** The socket works again: the next drop starts from the first attempt. */
  succeeded(): void {
    this.attempts = 0;
  }

  /** Drops a scheduled attempt. */
  cancel(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
