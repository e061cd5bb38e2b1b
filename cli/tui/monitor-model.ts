/*
 * What `voiceagent monitor` knows of a server: the calls it lists (live ones, and the last few that ended), each
 * call's events folded into its own `ViewFeed` (so switching to another call shows it since the monitor
 * attached, not from the switch on), which call is followed, and the notes to show (connection lost, events
 * dropped). Free of React and of the socket: the screen and `--plain` both read it, tests feed it by hand.
 */
import { initialCallView, type CallEvent, type FeedCall, type FeedMessage } from '../../runtime/index.js';
import { createViewFeed, type ViewFeed, type ViewSource } from './view-source.js';

/** Ended calls kept in the list (newest), so a call that just hung up can still be read. */
const KEEP_ENDED = 5;
/** Notes kept. */
const MAX_NOTES = 20;

/** One call in the monitor's list. */
export interface MonitoredCall {
  readonly callId: string;
  readonly agent: string;
  readonly version?: string;
  readonly startedAt: string;
  readonly feed: ViewFeed;
  /** Ended (its `call.ended` came, or the server no longer lists it after a reconnect). */
  ended: boolean;
}

/** A row of the calls list as shown. */
export interface MonitorRow {
  readonly callId: string;
  readonly agent: string;
  readonly version?: string;
  readonly startedAt: string;
  /** The agent's activity (`LISTENING`, `SPEAKING`…), or `ended (reason)`. */
  readonly state: string;
  readonly followed: boolean;
}

/** The monitor's state; `apply` each feed message. */
export interface MonitorModel {
  /** Takes one feed message; returns the call an event belongs to (for `--plain`). */
  apply(message: FeedMessage): MonitoredCall | undefined;
  /** A note for the user (connection lost, reconnected). */
  note(message: string): void;
  /** The calls, oldest first. */
  rows(): MonitorRow[];
  /** Follows this call (and stops following new calls automatically). */
  follow(callId: string): void;
  followedId(): string | undefined;
  /** The followed call's view and the monitor's notes: what the call panes show. */
  readonly source: ViewSource;
  /** Called after any change (the list, the followed call, a note). */
  subscribe(listener: () => void): () => void;
}

/**
 * Creates an empty model. `followCallId` (`--call`) is followed from the start; otherwise the first call seen
 * is, and a new call is followed whenever the followed one has ended and the user has not picked one.
 */
export function createMonitorModel(options: { readonly followCallId?: string } = {}): MonitorModel {
  const calls = new Map<string, MonitoredCall>();
  const listeners = new Set<() => void>();
  let followed = options.followCallId;
  let pinned = options.followCallId !== undefined;
  let notes: string[] = [];
  const empty = initialCallView();
  const changed = () => {
    for (const listener of listeners) listener();
  };

  const add = (call: FeedCall): MonitoredCall => {
    let entry = calls.get(call.callId);
    if (!entry) {
      entry = { callId: call.callId, agent: call.agent, ...(call.version ? { version: call.version } : {}), startedAt: call.startedAt, feed: createViewFeed(), ended: false };
      calls.set(call.callId, entry);
      const current = followed !== undefined ? calls.get(followed) : undefined;
      if (!pinned && (!current || current.ended)) followed = call.callId;
      prune();
    }
    return entry;
  };
  const prune = () => {
    const ended = [...calls.values()].filter((c) => c.ended && c.callId !== followed);
    for (const call of ended.slice(0, Math.max(0, ended.length - KEEP_ENDED))) calls.delete(call.callId);
  };
  const onEvent = (event: CallEvent): MonitoredCall => {
    const entry = add({ callId: event.callId, agent: event.agent, ...(event.version ? { version: event.version } : {}), startedAt: event.wallTime });
    entry.feed.push(event);
    if (event.type === 'call.ended') {
      entry.ended = true;
      prune();
    }
    return entry;
  };

  const source: ViewSource = {
    getView: () => (followed !== undefined ? calls.get(followed)?.feed.getView() : undefined) ?? empty,
    getNotes: () => notes,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };

  return {
    apply(message) {
      let entry: MonitoredCall | undefined;
      if (message.type === 'calls') {
        // On each (re)connection: the server's list is the truth; calls it no longer has ended while we were away.
        const live = new Set(message.calls.map((c) => c.callId));
        for (const call of calls.values()) if (!call.ended && !live.has(call.callId)) call.ended = true;
        for (const call of message.calls) add(call);
        prune();
      } else if (message.type === 'event') entry = onEvent(message.event);
      else notes = [...notes.slice(-(MAX_NOTES - 1)), `the server dropped ${message.count} events: this monitor was too slow to keep up`];
      changed();
      return entry;
    },
    note(message) {
      notes = [...notes.slice(-(MAX_NOTES - 1)), message];
      changed();
    },
    rows: () =>
      [...calls.values()].map((call) => {
        const view = call.feed.getView();
        const state = call.ended ? `ended${view.call.endReason ? ` (${view.call.endReason})` : ''}` : view.regions.agentActivity.toUpperCase();
        return { callId: call.callId, agent: call.agent, ...(call.version ? { version: call.version } : {}), startedAt: call.startedAt, state, followed: call.callId === followed };
      }),
    follow(callId) {
      followed = callId;
      pinned = true;
      changed();
    },
    followedId: () => followed,
    source,
    subscribe: source.subscribe,
  };
}
