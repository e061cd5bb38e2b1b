import type { BargeInRecord } from './call-record.js';
import type { CallEventBody } from './events.js';

type Decision = Extract<CallEventBody, { type: 'barge-in' }>['decision'];

/**
 * Keeps the record of each barge-in attempt: onset (first caller speech frame while the agent speaks), when
 * playout reacted, and how it ended (interrupt, backchannel, false). Reports each decision as a call event.
 */
export class BargeInTracker {
  private pending: BargeInRecord | undefined;

  constructor(
    private readonly records: BargeInRecord[],
    private readonly emit: (event: CallEventBody) => void,
  ) {}

  /** Onset (call time) of the attempt not yet decided, if any. */
  get pendingOnsetMs(): number | undefined {
    return this.pending?.onsetMs;
  }

  /** Caller speech began while the agent was speaking (one attempt until it is decided). */
  onset(onsetMs: number): void {
    if (this.pending) return;
    this.pending = { onsetMs, kind: 'pending' };
    this.records.push(this.pending);
  }

  /** Playout paused, ducked or carried on. */
  reacted(mode: 'pause' | 'duck' | 'continue', nowMs: number): void {
    const b = this.pending;
    if (!b) return;
    b.reactedAtMs = nowMs;
    b.reactionMs = nowMs - b.onsetMs;
    this.report(mode === 'pause' ? 'paused' : mode === 'duck' ? 'ducked' : 'continued', b, nowMs);
  }

  /** Playout resumed: the speech was a backchannel or noise. */
  resumed(kind: 'false' | 'backchannel', nowMs: number, reason?: string): void {
    const b = this.pending;
    this.pending = undefined;
    if (!b) return;
    b.kind = kind;
    if (reason) b.reason = reason;
    this.report('resumed', b, nowMs);
  }

  /** Confirmed interruption, with what the caller had heard of the agent's utterance. */
  interrupted(reason: string, nowMs: number, heard?: { text: string; intended: string }): void {
    const b = this.pending ?? { onsetMs: nowMs, kind: 'pending' as const };
    if (!this.pending) this.records.push(b);
    this.pending = undefined;
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

  private report(decision: Decision, record: BargeInRecord, atMs: number): void {
    this.emit({ type: 'barge-in', atMs, decision, record });
  }
}
