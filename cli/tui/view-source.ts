/*
 * Where the TUI reads a call from: the events folded into a `CallView` as they arrive (cheap: the reducer is
 * O(1) per event), and notes for the user. The screen subscribes and repaints at its own pace (see
 * `useThrottledView`), so a burst of events costs one render, not one per event.
 */
import { callView, initialCallView, type CallEvent, type CallView } from '../../runtime/index.js';

/** A live view of one call, and the notes to show under it. */
export interface ViewSource {
  getView(): CallView;
  /** Notes for the user, oldest first (the last few are shown). */
  getNotes(): readonly string[];
  /** Called after each change; returns the function that stops it. */
  subscribe(listener: () => void): () => void;
}

/** A {@link ViewSource} fed by hand: `push` each event of the call, `note` what the user should read. */
export interface ViewFeed extends ViewSource {
  push(event: CallEvent): void;
  note(message: string): void;
  /** Starts over (another call is followed). */
  reset(): void;
}

/** How many notes are kept. */
const MAX_NOTES = 20;

/** Creates an empty {@link ViewFeed}. */
export function createViewFeed(): ViewFeed {
  let view = initialCallView();
  let notes: string[] = [];
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of listeners) listener();
  };
  return {
    getView: () => view,
    getNotes: () => notes,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    push(event) {
      view = callView(view, event);
      changed();
    },
    note(message) {
      notes = [...notes.slice(-(MAX_NOTES - 1)), message];
      changed();
    },
    reset() {
      view = initialCallView();
      notes = [];
      changed();
    },
  };
}
