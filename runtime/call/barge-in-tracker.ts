import type { BargeInRecord } from './call-record.js';
import type { CallEventBody } from './events.js';

type Decision = Extract<CallEventBody, { type: 'barge-in' }>['decision'];

/** How playout reacted to an attempt's onset. */
export type OnsetReaction = 'pause' | 'duck' | 'continue';

/**
 * Keeps the record of each barge-in attempt: onset (first caller speech frame while the agent speaks), when
 * playout reacted, and how it ended (interrupt, backchannel, false). Reports each decision as a call event.
 *
 * Every attempt ends: at most one is pending, a newer onset closes it, and so does the end of the reply it
 * was heard over ({@link close}). Each decision goes to the attempt whose speech caused it, so its reaction
 * is measured from its own onset.
 */
export class BargeInTracker {
  private pending: BargeInRecord | undefined;
  /** How playout reacted to the pending attempt, once it has (a pause still in force, say). */
  private reaction: OnsetReaction | undefined;

  constructor(
    private readonly records: BargeInRecord[],
    private readonly emit: (event: CallEventBody) => void,
  ) {}

  /** Onset (call time) of the attempt not yet decided, if any. */
  get pendingOnsetMs(): number | undefined {
    return this.pending?.onsetMs;
  }

  /** Whether playout has reacted (paused, ducked, carried on) to the attempt not yet decided. */
  get pendingReacted(): boolean {
    return this.reaction !== undefined;
  }

  /**
   * Caller speech began while the agent was speaking. An onset always follows silence, so an attempt still
   * pending is over: it is closed as `false` and this one opens. If playout had reacted to it (paused), that
   * reaction is still in force and carries over: the new attempt finds playout already paused (reaction 0).
   */
  onset(onsetMs: number, nowMs: number): void {
    const carried = this.reaction;
    if (this.pending) this.close('false', `the caller went silent, then spoke again at ${Math.round(onsetMs)} ms: a newer attempt took over`, nowMs);
    this.pending = { onsetMs, kind: 'pending' };
    this.records.push(this.pending);
    if (carried) this.markReacted(carried, onsetMs, nowMs);
  }

  /** Playout paused, ducked or carried on. */
  reacted(mode: OnsetReaction, nowMs: number): void {
    this.markReacted(mode, nowMs, nowMs);
  }

  /** Playout resumed: the speech was a backchannel or noise. */
  resumed(kind: 'false' | 'backchannel', nowMs: number, reason?: string): void {
    const b = this.take();
    if (!b) return;
    b.kind = kind;
    if (reason) b.reason = reason;
    this.report('resumed', b, nowMs);
  }

  /**
   * The pending attempt is over without playout resuming: its utterance was dropped before playout reacted
   * (noise, a backchannel), a newer attempt took over, the reply it was heard over ended, or the call did.
   * It is closed as `kind` (`false` unless its words were a backchannel), with why. Nothing pending: no-op.
   */
  /**
   * The caller's speech was dropped without a turn. An attempt playout never reacted to (speech shorter than
   * pauseAfterMs) ends with it; one that paused playout is decided by the chart's `paused` state instead.
   */
  speechDropped(reason: 'backchannel' | 'no-words' | 'not-a-turn', text: string, nowMs: number): void {
    if (this.pendingReacted) return;
    const why = reason === 'backchannel' ? `"${text}"` : reason === 'no-words' ? 'no words' : `"${text}", not a turn`;
    this.close(reason === 'backchannel' ? 'backchannel' : 'false', `${why}, too short to pause playout`, nowMs);
  }

  close(kind: 'false' | 'backchannel', reason: string, nowMs: number): void {
    const b = this.take();
    if (!b) return;
    b.kind = kind;
    b.reason = reason;
    this.report('dismissed', b, nowMs);
  }

  /** Confirmed interruption, with what the caller had heard of the agent's utterance. */
  interrupted(reason: string, nowMs: number, heard?: { text: string; intended: string }): void {
    const pending = this.take();
    const b = pending ?? { onsetMs: nowMs, kind: 'pending' as const };
    if (!pending) this.records.push(b);
    b.kind = 'interrupt';
    b.reason = reason;
    if (b.reactedAtMs === undefined) {
      b.reactedAtMs = nowMs;
      b.reactionMs = nowMs - b.onsetMs;
    }
    if (heard) {
      b.heardText = heard.text;
      b.intendedText = heard.intended;
    }
    this.report('interrupted', b, nowMs);
  }

  private markReacted(mode: OnsetReaction, reactedAtMs: number, nowMs: number): void {
    const b = this.pending;
    if (!b) return;
    this.reaction = mode;
    b.reactedAtMs = reactedAtMs;
    b.reactionMs = reactedAtMs - b.onsetMs;
    this.report(mode === 'pause' ? 'paused' : mode === 'duck' ? 'ducked' : 'continued', b, nowMs);
  }

  /** The pending attempt, now no longer pending. */
  private take(): BargeInRecord | undefined {
    const b = this.pending;
    this.pending = undefined;
    this.reaction = undefined;
    return b;
  }

  private report(decision: Decision, record: BargeInRecord, atMs: number): void {
    this.emit({ type: 'barge-in', atMs, decision, record });
  }
}
