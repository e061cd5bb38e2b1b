import type { WebSocket } from 'ws';
import type { CallEvent } from '../call/events.js';

/** A call as the feed lists it. */
export interface LiveCall {
  readonly callId: string;
  readonly agent: string;
  readonly version?: string;
  readonly startedAt: string;
}

/** Which events a subscriber wants. */
export interface FeedFilter {
  readonly agent?: string;
  readonly callId?: string;
}

/** Bytes a subscriber may have waiting before its events are dropped (a slow `monitor` must not grow the server). */
const MAX_BUFFERED_BYTES = 1 << 20;

/**
 * The live event feed (`WS /v1/events`): every event of every call on this server, as JSON, to each subscriber
 * whose filter matches. A subscriber first gets `{ type: 'calls', calls }` (the calls in progress), then
 * `{ type: 'event', event }` messages; a subscriber too slow to keep up has events dropped and is told how many
 * (`{ type: 'dropped', count }`) rather than slowing the calls.
 */
export interface EventFeed {
  /** Tells every matching subscriber; keeps the list of live calls. */
  publish(event: CallEvent): void;
  /** A new subscriber socket. */
  subscribe(socket: WebSocket, filter: FeedFilter): void;
  /** Calls in progress. */
  liveCalls(): LiveCall[];
  /** Subscribers connected. */
  readonly subscribers: number;
  /** Closes every subscriber (shutdown). */
  close(): void;
}

/** Creates a feed for one process. */
export function createEventFeed(): EventFeed {
  const subscribers = new Map<WebSocket, { filter: FeedFilter; dropped: number }>();
  const live = new Map<string, LiveCall>();
  const matches = (filter: FeedFilter, event: CallEvent) => (!filter.agent || filter.agent === event.agent) && (!filter.callId || filter.callId === event.callId);
  return {
    publish(event) {
      if (event.type === 'call.started') live.set(event.callId, { callId: event.callId, agent: event.agent, ...(event.version ? { version: event.version } : {}), startedAt: event.wallTime });
      else if (event.type === 'call.ended') live.delete(event.callId);
      if (subscribers.size === 0) return;
      let text: string | undefined;
      for (const [socket, state] of subscribers) {
        if (!matches(state.filter, event) || socket.readyState !== socket.OPEN) continue;
        if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
          state.dropped++;
          continue;
        }
        if (state.dropped > 0) {
          socket.send(JSON.stringify({ type: 'dropped', count: state.dropped }));
          state.dropped = 0;
        }
        text ??= JSON.stringify({ type: 'event', event });
        socket.send(text);
      }
    },
    subscribe(socket, filter) {
      subscribers.set(socket, { filter, dropped: 0 });
      socket.on('close', () => subscribers.delete(socket));
      socket.on('error', () => subscribers.delete(socket));
      // A feed takes no input; anything sent is ignored (and never parsed).
      socket.on('message', () => {});
      const calls = [...live.values()].filter((call) => (!filter.agent || call.agent === filter.agent) && (!filter.callId || call.callId === filter.callId));
      socket.send(JSON.stringify({ type: 'calls', calls }));
    },
    liveCalls: () => [...live.values()],
    get subscribers() {
      return subscribers.size;
    },
    close() {
      for (const socket of subscribers.keys()) socket.close(1001, 'server shutting down');
      subscribers.clear();
    },
  };
}
