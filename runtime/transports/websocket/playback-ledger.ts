/**
 * What the client has played, from its own reports: the marks sent and not yet echoed, each with the audio sent
 * before it, and the audio confirmed played. `bufferedMs()` is the audio sent but not reported played, never a
 * local guess (DESIGN.md section 6). Positions are ms of all audio ever sent on the socket, dropped or not, so
 * marks before and after a `clear` compare on one line.
 */
export interface PlaybackLedger {
  /** Audio sent, `ms` long. */
  sent(ms: number): void;
  /** A mark went out after the audio sent so far. Returns false when the oldest pending mark had to be forgotten. */
  marked(name: string): boolean;
  /** A `clear` went out: what the client held is gone, so nothing before now counts as buffered any more. */
  cleared(): void;
  /**
   * The client echoed `name`. Played: the position moves to the mark, and older pending marks, played in order
   * before it, are settled too. Dropped: only that mark is settled. Returns false for a mark not pending (never
   * sent, or echoed already): the report is then ignored.
   */
  echoed(name: string, dropped: boolean): boolean;
  /** Audio sent and not reported played (nor dropped by a `clear`), ms. */
  bufferedMs(): number;
  /** Marks sent and not echoed yet. */
  readonly pendingMarks: number;
}

/** Creates an empty {@link PlaybackLedger} tracking at most `maxPendingMarks` unechoed marks. */
export function createPlaybackLedger(maxPendingMarks: number): PlaybackLedger {
  // Insertion order is send order: the oldest pending mark is the first key.
  const pending = new Map<string, number>();
  let sentMs = 0;
  let playedMs = 0;
  let clearedAtMs = 0;
  return {
    sent(ms) {
      sentMs += ms;
    },
    marked(name) {
      // A repeated name (playout never repeats one) would be ambiguous: the newer position wins.
      pending.delete(name);
      pending.set(name, sentMs);
      if (pending.size <= maxPendingMarks) return true;
      pending.delete(pending.keys().next().value as string);
      return false;
    },
    cleared() {
      clearedAtMs = sentMs;
    },
    echoed(name, dropped) {
      const atMs = pending.get(name);
      if (atMs === undefined) return false;
      if (dropped) {
        pending.delete(name);
        return true;
      }
      for (const key of pending.keys()) {
        pending.delete(key);
        if (key === name) break;
      }
      playedMs = Math.max(playedMs, atMs);
      return true;
    },
    bufferedMs() {
      return Math.max(0, sentMs - Math.max(playedMs, clearedAtMs));
    },
    get pendingMarks() {
      return pending.size;
    },
  };
}
