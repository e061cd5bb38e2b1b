/*
 * The client side of a server's live event feed (`WS /v1/events`, runtime/server/event-feed.ts), for
 * `voiceagent monitor` and scripts: connects with the bearer token, hands on the live-call list and each call
 * event, and when the server goes away mid-session reconnects with backoff (the server sends the live-call list
 * again on each connection, so nothing has to be replayed). The first connection is not retried: a wrong URL or
 * token must be said at once, not hidden behind retries.
 */
import WebSocket from 'ws';
import type { CallEvent } from '../call/events.js';

/** A call in progress, as the feed lists it. */
export interface FeedCall {
  readonly callId: string;
  readonly agent: string;
  readonly version?: string;
  /** ISO wall time the call started. */
  readonly startedAt: string;
}

/** What the feed says, one message at a time. */
export type FeedMessage =
  | { readonly type: 'calls'; readonly calls: readonly FeedCall[] }
  | { readonly type: 'event'; readonly event: CallEvent }
  | { readonly type: 'dropped'; readonly count: number };

/** The connection, as the client reports it after the first one succeeded. */
export type FeedConnectionState =
  | { readonly state: 'open'; readonly reconnected: boolean }
  | { readonly state: 'lost'; readonly reason: string; readonly retryInMs: number; readonly attempt: number };

/** Why the first connection failed. */
export type EventFeedErrorKind = 'unreachable' | 'unauthorized' | 'refused';

/** The first connection to the feed failed; `kind` says whether the server, the token or something else is at fault. */
export class EventFeedError extends Error {
  override readonly name = 'EventFeedError';
  constructor(
    message: string,
    readonly kind: EventFeedErrorKind,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Where and how to connect. */
export interface EventFeedClientOptions {
  /** The server: `http://host:port` (or `ws://`); `/v1/events` is appended. */
  readonly url: string;
  /** Sent as `Authorization: Bearer …`. */
  readonly token?: string;
  /** Only this agent's calls. */
  readonly agent?: string;
  /** Only this call. */
  readonly callId?: string;
  /** Reconnect backoff: first wait and cap, ms (default 250 ms doubling up to 5 s). */
  readonly retryMs?: { readonly first: number; readonly max: number };
  /** Give up on the first connection after this long, ms (default 5000). */
  readonly connectTimeoutMs?: number;
}

/** What the client tells its user. */
export interface EventFeedHandlers {
  onMessage(message: FeedMessage): void;
  /** The connection was lost (and will be retried) or is open again. */
  onConnection?(state: FeedConnectionState): void;
}

/** A connected feed. */
export interface EventFeedClient {
  /** The WebSocket URL it connects to (`ws://host:port/v1/events?agent=…`). */
  readonly url: string;
  /** Stops for good: closes the socket and cancels any retry. */
  close(): void;
}

/** `http://host:port[/]` plus filters -> `ws://host:port/v1/events?agent=…&call=…`. */
export function eventFeedUrl(base: string, filter: { readonly agent?: string; readonly callId?: string } = {}): string {
  const url = new URL(base.replace(/^http(s?):/i, 'ws$1:'));
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/events`;
  if (filter.agent) url.searchParams.set('agent', filter.agent);
  if (filter.callId) url.searchParams.set('call', filter.callId);
  return url.toString();
}

/**
 * Connects to the feed; resolves once the first connection is open.
 * @throws EventFeedError when the server cannot be reached, refuses the token (401) or the upgrade.
 */
export async function connectEventFeed(options: EventFeedClientOptions, handlers: EventFeedHandlers): Promise<EventFeedClient> {
  const url = eventFeedUrl(options.url, options);
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const first = options.retryMs?.first ?? 250;
  const max = options.retryMs?.max ?? 5000;
  let stopped = false;
  let socket: WebSocket | undefined;
  let retry: NodeJS.Timeout | undefined;
  let attempt = 0;

  /** One connection: resolves when open, rejects with why it never opened. */
  const open = () =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url, { headers, handshakeTimeout: options.connectTimeoutMs ?? 5000 });
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (isBinary || stopped) return;
        let message: FeedMessage;
        try {
          message = JSON.parse(data.toString('utf8')) as FeedMessage;
        } catch {
          return; // not ours to crash on: a feed speaks JSON, anything else is skipped
        }
        if (message && typeof message === 'object' && (message.type === 'calls' || message.type === 'event' || message.type === 'dropped')) handlers.onMessage(message);
      });
      ws.once('open', () => resolve(ws));
      ws.once('unexpected-response', (_request, response) => {
        const status = response.statusCode ?? 0;
        response.resume();
        ws.terminate();
        reject(
          status === 401
            ? new EventFeedError(`the server at ${options.url} refused the token (401): set VOICEAGENT_TOKEN to the server's token`, 'unauthorized', status)
            : new EventFeedError(`the server at ${options.url} refused the event feed (HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''})`, 'refused', status),
        );
      });
      ws.once('error', (error: NodeJS.ErrnoException) => reject(new EventFeedError(`cannot reach ${options.url} (${error.code ?? error.message})`, 'unreachable')));
    });

  const watch = (ws: WebSocket) => {
    socket = ws;
    ws.on('error', () => {}); // the close that follows is what counts
    ws.once('close', (code: number, reason: Buffer) => {
      if (stopped) return;
      lost(reason.length ? reason.toString() : code === 1006 ? 'connection lost' : `closed (${code})`);
    });
  };

  const lost = (reason: string) => {
    attempt++;
    const retryInMs = Math.min(max, first * 2 ** Math.min(attempt - 1, 16));
    handlers.onConnection?.({ state: 'lost', reason, retryInMs, attempt });
    retry = setTimeout(() => {
      retry = undefined;
      open().then(
        (ws) => {
          if (stopped) return ws.close();
          attempt = 0;
          watch(ws);
          handlers.onConnection?.({ state: 'open', reconnected: true });
        },
        (error: Error) => {
          if (!stopped) lost(error.message);
        },
      );
    }, retryInMs);
  };

  watch(await open());
  return {
    url,
    close() {
      stopped = true;
      if (retry) clearTimeout(retry);
      socket?.close(1000, 'monitor closed');
    },
  };
}
