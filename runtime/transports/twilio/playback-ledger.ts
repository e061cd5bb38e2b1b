/**
 * What the caller has heard, from Twilio's mark echoes: the bookkeeping of a bidirectional stream's outbound
 * audio, after openai-agents-js's `TwilioRealtimeTransportLayer`.
 *
 * Twilio echoes a mark once the audio sent before it has played, in the order the marks were sent. After a
 * `clear` it drops the audio it holds and echoes every pending mark at once: those echoes look exactly like
 * the others on the wire, but they mean "dropped", not "played". So every mark remembers whether a `clear`
 * went out after it; its echo is reported `dropped` if so. A mark played just before a `clear` whose echo
 * crosses the `clear` on the wire is reported dropped too: the caller may have heard up to 20 ms more than the
 * record says, never less (the words kept in the context are never words the caller did not hear).
 *
 * `bufferedMs` is audio sent minus audio confirmed played: the truth as far as the server can know it (it
 * lags the far end by the echo's trip back), and 0 right after a `clear`.
 */
import type { PlayedReport } from '../types.js';

interface PendingMark {
  readonly name: string;
  /** Audio sent before the mark, ms (on the ledger's running total). */
  readonly sentMs: number;
  /** A `clear` went out after it: its echo means dropped. */
  cleared: boolean;
}

/** Mark bookkeeping of one stream. */
export class PlaybackLedger {
  private sentMs = 0;
  private playedMs = 0;
  private pending: PendingMark[] = [];
  /** Index of the oldest pending mark in `pending` (echoes come in order: removal from the front is O(1)). */
  private head = 0;

  /** @param maxPendingMarks Marks kept waiting for their echo; beyond, the oldest is forgotten (a far end that never echoes must not grow memory). */
  constructor(private readonly maxPendingMarks: number) {}

  /** Audio handed to the far end (or queued for it), ms. */
  noteSent(durationMs: number): void {
    this.sentMs += durationMs;
  }

  /** A mark went out after the audio sent so far. Returns false when the oldest pending mark had to be forgotten. */
  noteMark(name: string): boolean {
    this.pending.push({ name, sentMs: this.sentMs, cleared: false });
    if (this.pendingCount <= this.maxPendingMarks) return true;
    this.head++;
    this.compact();
    return false;
  }

  /**
   * A `clear` went out: everything buffered is dropped, and every pending mark will come back as dropped.
   * Returns the audio dropped (as far as the echoes had told), ms.
   */
  noteClear(): number {
    const droppedMs = this.bufferedMs();
    this.playedMs = this.sentMs;
    for (let index = this.head; index < this.pending.length; index++) this.pending[index]!.cleared = true;
    return droppedMs;
  }

  /** Twilio echoed mark `name`: what it means, or undefined for a mark that is not pending (never sent, or echoed twice). */
  echo(name: string): PlayedReport | undefined {
    let index = this.head;
    while (index < this.pending.length && this.pending[index]!.name !== name) index++;
    const mark = this.pending[index];
    if (!mark) return undefined;
    if (index === this.head) this.head++;
    else this.pending.splice(index, 1);
    this.compact();
    if (mark.cleared) return { mark: name, dropped: true };
    this.playedMs = Math.max(this.playedMs, mark.sentMs);
    return { mark: name, dropped: false };
  }

  /** Audio sent and not yet confirmed played (or dropped by a clear), ms. */
  bufferedMs(): number {
    return Math.max(0, this.sentMs - this.playedMs);
  }

  /** Marks waiting for their echo. */
  get pendingCount(): number {
    return this.pending.length - this.head;
  }

  private compact(): void {
    if (this.head > 256 && this.head * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
  }
}
