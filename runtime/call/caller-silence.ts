import type { AgentSpec } from '../dsl/index.js';

/**
 * The caller's silence: when they were last heard, and how many reprompts they got since. Drives the chart's
 * `callerSilenceMs` delay (reprompt, then goodbye after `hangupAfterMs`).
 */
export class CallerSilence {
  private lastActivityAtMs = 0;
  private reprompts = 0;

  constructor(private readonly spec: AgentSpec) {}

  /** The caller spoke: silence counts from now and the reprompts start over. */
  callerSpoke(nowMs: number): void {
    this.lastActivityAtMs = nowMs;
    this.reprompts = 0;
  }

  /** Something restarts the count without being the caller (a reply ended, a failure). */
  restart(nowMs: number): void {
    this.lastActivityAtMs = nowMs;
  }

  /** A reprompt is queued. */
  reprompted(): void {
    this.reprompts++;
  }

  /**
   * A reply was played. A reprompt is the agent talking to a silent caller: the caller's silence keeps
   * counting through it, or `hangupAfterMs` would never be reached; any other reply restarts the count.
   */
  replyPlayed(nowMs: number, last: boolean): void {
    if (this.reprompts === 0 || last) this.lastActivityAtMs = nowMs;
  }

  /** The `callerSilenceMs` delay: until the next reprompt, or until the goodbye is due. */
  delayMs(nowMs: number): number {
    const { repromptAfterMs, hangupAfterMs } = this.spec.turnTaking.callerSilence;
    const silentFor = nowMs - this.lastActivityAtMs;
    return this.reprompts === 0 ? Math.max(0, repromptAfterMs - silentFor) : Math.max(0, Math.min(repromptAfterMs, hangupAfterMs - silentFor));
  }

  reachedHangup(nowMs: number): boolean {
    return nowMs - this.lastActivityAtMs >= this.spec.turnTaking.callerSilence.hangupAfterMs;
  }
}
