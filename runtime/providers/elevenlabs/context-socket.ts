/**
 * One `multi-stream-input` socket and the contexts speaking on it: connects lazily (retrying with back-off),
 * queues messages until it is open, routes server messages by context id, and accounts for the 5-context limit.
 *
 * A context holds one of the socket's slots from the moment it is attached until the server's `isFinal` for it,
 * the socket closing, or `releaseAfterCloseMs` after we sent `close_context` without an `isFinal` coming back
 * (the server frees a closed context once it has finished it; the timer keeps a silent server from starving
 * later utterances). Freed slots are reported through `onSlotFreed` so waiting contexts can attach.
 *
 * When the socket drops while contexts are attached, every one of them fails with a retryable
 * {@link ProviderError} (the runtime decides on a fallback) and the socket reconnects in the background with
 * back-off, so the next `open()` finds it ready. A socket that closes with nothing attached (the server's
 * `inactivity_timeout`) simply reopens on the next attach.
 */
import type { Clock } from '../../util/clock.js';
import { ProviderError } from '../errors.js';
import { CLOSE_SOCKET_MESSAGE, closeContextMessage, errorFromConnectFailure, errorFromDrop, errorFromServer, parseServerMessage, type AudioServerMessage, type ClientMessage } from './wire.js';

/** The part of a `ws` WebSocket this adapter uses (so tests may inject another implementation). */
export interface WebSocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'open', listener: () => void): this;
  on(event: 'message', listener: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): this;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
}

/** A constructor compatible with `ws`'s `WebSocket`. */
export type WebSocketConstructor = new (url: string, options: { headers: Record<string, string>; handshakeTimeout?: number; perMessageDeflate?: boolean }) => WebSocketLike;

/** A context as the socket sees it. */
export interface SocketContext {
  readonly id: string;
  /** Audio, alignment and/or `isFinal` for this context. */
  handle(message: AudioServerMessage): void;
  /** The context cannot continue (server error for it, socket lost). Called at most once per attach. */
  fail(error: ProviderError): void;
  /** The socket is being disposed: stop (timers included) without calling any hook. */
  shutdown(): void;
}

/** Settings shared by every socket of a TTS instance. */
export interface ContextSocketSettings {
  readonly WebSocketImpl: WebSocketConstructor;
  readonly apiKey: string;
  readonly clock: Clock;
  /** Retries after a failed connect or a drop; back-off doubles from `backoffMs`. */
  readonly reconnectAttempts: number;
  readonly backoffMs: number;
  readonly connectTimeoutMs: number;
  readonly maxContexts: number;
  readonly releaseAfterCloseMs: number;
}

type State = 'idle' | 'connecting' | 'open' | 'disposed';

/** One socket of a voice's pool. */
export class ContextSocket {
  private state: State = 'idle';
  private ws: WebSocketLike | undefined;
  /** Messages waiting for the socket to open, with the context each belongs to. */
  private outbox: Array<{ readonly contextId: string | undefined; readonly text: string }> = [];
  /** Contexts with at least one message on the wire of the current connection. */
  private readonly onWire = new Set<string>();
  private readonly live = new Map<string, SocketContext>();
  private readonly releaseTimers = new Map<string, unknown>();
  /** Failed tries since the socket was last open. */
  private failures = 0;
  private retryTimer: unknown;
  private serverError: ProviderError | undefined;
  private closed: Promise<void> = Promise.resolve();

  constructor(
    private readonly url: string,
    private readonly settings: ContextSocketSettings,
    private readonly onSlotFreed: () => void,
  ) {}

  /** Slots left for new contexts. */
  get freeSlots(): number {
    return this.state === 'disposed' ? 0 : this.settings.maxContexts - this.live.size;
  }

  /** True while the socket is open. */
  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Takes a slot for `context` and makes sure the socket is (being) opened. */
  attach(context: SocketContext): void {
    this.live.set(context.id, context);
    this.connect();
  }

  /** Opens the socket unless it is open or opening. */
  connect(): void {
    if (this.state !== 'idle' || this.retryTimer !== undefined) return;
    this.state = 'connecting';
    const { WebSocketImpl, apiKey, connectTimeoutMs } = this.settings;
    let ws: WebSocketLike;
    try {
      // No permessage-deflate (`ws` offers it by default): zlib on every audio chunk adds latency, and base64 audio barely compresses.
      ws = new WebSocketImpl(this.url, { headers: { 'xi-api-key': apiKey }, handshakeTimeout: connectTimeoutMs, perMessageDeflate: false });
    } catch (error) {
      this.state = 'idle';
      this.connectFailed(errorFromConnectFailure(error, this.url));
      return;
    }
    this.ws = ws;
    let opened = false;
    let lastError: unknown;
    this.closed = new Promise<void>((resolve) => {
      ws.on('close', (code, reason) => {
        resolve();
        if (this.ws !== ws) return;
        this.ws = undefined;
        if (this.state === 'disposed') return;
        this.state = 'idle';
        if (opened) this.dropped(code, reason.toString());
        else this.connectFailed(errorFromConnectFailure(lastError ?? new Error(`closed with code ${code}`), this.url));
      });
    });
    ws.on('error', (error) => {
      lastError = error;
    });
    ws.on('open', () => {
      if (this.ws !== ws || this.state !== 'connecting') return;
      opened = true;
      this.state = 'open';
      this.failures = 0;
      this.serverError = undefined;
      const queued = this.outbox;
      this.outbox = [];
      for (const { contextId, text } of queued) {
        if (contextId !== undefined) this.onWire.add(contextId);
        ws.send(text);
      }
    });
    ws.on('message', (data, isBinary) => {
      if (this.ws === ws && !isBinary) this.receive(textOf(data));
    });
  }

  /** Sends now if open, else queues for when it opens (dropped if the socket fails for good). */
  send(message: ClientMessage): void {
    const text = JSON.stringify(message);
    const contextId = 'context_id' in message ? message.context_id : undefined;
    if (this.state === 'open' && this.ws) {
      if (contextId !== undefined) this.onWire.add(contextId);
      this.ws.send(text);
    } else if (this.state !== 'disposed') {
      this.outbox.push({ contextId, text });
    }
  }

  /** Sends `close_context`; the slot is freed on the server's `isFinal`, or after `releaseAfterCloseMs`. */
  closeContext(id: string): void {
    if (!this.live.has(id)) return;
    this.send(closeContextMessage(id));
    if (this.releaseTimers.has(id)) return;
    this.releaseTimers.set(id, this.settings.clock.setTimeout(() => this.release(id), this.settings.releaseAfterCloseMs));
  }

  /**
   * Gives up a context (barge-in): if nothing of it reached the server yet, its queued messages are dropped and
   * the slot is freed at once; otherwise `close_context` is sent as in {@link closeContext}.
   */
  abandon(id: string): void {
    if (!this.live.has(id)) return;
    if (this.onWire.has(id)) return this.closeContext(id);
    this.outbox = this.outbox.filter((queued) => queued.contextId !== id);
    this.release(id);
  }

  /** Frees a context's slot at once (it no longer counts against the limit). */
  release(id: string): void {
    const timer = this.releaseTimers.get(id);
    if (timer !== undefined) this.settings.clock.clearTimeout(timer);
    this.releaseTimers.delete(id);
    this.onWire.delete(id);
    if (this.live.delete(id)) this.onSlotFreed();
  }

  /** Sends `close_socket`, closes the socket and forgets every context without calling it. */
  dispose(): Promise<void> {
    if (this.state === 'disposed') return this.closed;
    const { ws, state } = this;
    this.state = 'disposed';
    if (this.retryTimer !== undefined) this.settings.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    for (const timer of this.releaseTimers.values()) this.settings.clock.clearTimeout(timer);
    this.releaseTimers.clear();
    const contexts = [...this.live.values()];
    this.live.clear();
    this.outbox = [];
    for (const context of contexts) context.shutdown();
    if (!ws) return Promise.resolve();
    try {
      if (state === 'open') {
        ws.send(JSON.stringify(CLOSE_SOCKET_MESSAGE));
        ws.close(1000, 'done');
      } else {
        ws.terminate();
      }
    } catch {
      ws.terminate();
    }
    // If the server never answers the close handshake, stop waiting for it.
    return new Promise<void>((resolve) => {
      const fallback = this.settings.clock.setTimeout(() => {
        ws.terminate();
        resolve();
      }, this.settings.connectTimeoutMs);
      void this.closed.then(() => {
        this.settings.clock.clearTimeout(fallback);
        resolve();
      });
    });
  }

  private receive(text: string): void {
    const message = parseServerMessage(text);
    if (!message) return;
    if (message.kind === 'error') {
      const error = errorFromServer(message);
      const context = message.contextId === undefined ? undefined : this.live.get(message.contextId);
      if (context) {
        this.release(context.id);
        context.fail(error);
      } else {
        // Socket-level (e.g. max_active_conversations): the server closes the socket next; the drop reports it.
        this.serverError = error;
      }
      return;
    }
    const id = message.contextId ?? (this.live.size === 1 ? this.live.keys().next().value : undefined);
    const context = id === undefined ? undefined : this.live.get(id);
    if (!context) return; // a context we already let go of (cancelled, failed) or never had
    if (message.isFinal) this.release(context.id);
    context.handle(message);
  }

  private dropped(code: number, reason: string): void {
    const hadContexts = this.live.size > 0;
    this.outbox = [];
    this.failAll(errorFromDrop(code, reason, this.serverError));
    this.serverError = undefined;
    // With nothing attached this was an idle close (inactivity_timeout): reopen lazily on the next attach.
    if (hadContexts) this.scheduleRetry(false);
  }

  private connectFailed(error: ProviderError): void {
    this.failures++;
    if (error.retryable && this.failures <= this.settings.reconnectAttempts) {
      this.scheduleRetry(true);
      return;
    }
    const tries = this.failures;
    this.failures = 0;
    this.outbox = [];
    const message = `${error.message.replace(/^elevenlabs: /, '')} (after ${tries} ${tries === 1 ? 'try' : 'tries'}); fall back to createElevenLabsRestTts or retry later`;
    this.failAll(new ProviderError({ provider: error.provider, kind: error.kind, message, retryable: error.retryable, cause: error }));
  }

  private scheduleRetry(afterFailure: boolean): void {
    const attempt = afterFailure ? this.failures : 1;
    if (!afterFailure) this.failures = 1;
    const delayMs = this.settings.backoffMs * 2 ** (attempt - 1);
    this.retryTimer = this.settings.clock.setTimeout(() => {
      this.retryTimer = undefined;
      if (this.state === 'idle') this.connect();
    }, delayMs);
  }

  private failAll(error: ProviderError): void {
    const contexts = [...this.live.values()];
    this.onWire.clear();
    for (const timer of this.releaseTimers.values()) this.settings.clock.clearTimeout(timer);
    this.releaseTimers.clear();
    this.live.clear();
    for (const context of contexts) context.fail(error);
    if (contexts.length > 0) this.onSlotFreed();
  }
}

function textOf(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
