/**
 * One OpenAI Realtime WebSocket, opened with the `openai` SDK (`openai/realtime/ws`), with what the SDK leaves
 * to its user:
 *
 * - Events sent before the socket is open (and before the audio stages are ready) are queued in order and sent
 *   on open; the SDK itself would fail them (`ws` throws while CONNECTING). Queued audio is encoded lazily.
 * - An `error` listener is always attached: without one the SDK turns every error into an unhandled rejection.
 * - A socket that closes without our `close()` is reported once, as a retryable `network` error.
 * - Frames the SDK cannot parse are reported as retryable `protocol` errors; the socket stays up.
 *
 * The SDK builds the URL from the client's `baseURL` (`<baseURL>/realtime?model=...`) and forces `wss:`.
 * Transcription sessions need `?intent=transcription` instead, which the Node SDK has no option for, so the
 * request line is rewritten in `ws`'s documented `finishRequest` hook, before the request is sent.
 */
import type { ClientRequest } from 'node:http';
import type OpenAI from 'openai';
import type { RealtimeClientEvent } from 'openai/resources/realtime/realtime';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import type { ClientOptions, WebSocket } from 'ws';
import { ProviderError } from '../errors.js';
import { errorFromClose, errorFromServerEvent, errorFromSocket, type RealtimeServerError } from './realtime-errors.js';

/** A server event as received: known fields are read defensively, unknown events are ignored. */
export interface InboundEvent {
  readonly type: string;
  readonly [field: string]: unknown;
}

/** An event to send, or a function building it when it is sent (audio queued before the socket opened). */
export type OutboundEvent = RealtimeClientEvent | (() => RealtimeClientEvent | undefined);

/** Options of {@link RealtimeConnection}. */
export interface RealtimeConnectionOptions {
  /** Provider id used in errors. */
  readonly provider: string;
  /** The SDK client (its `apiKey` and `baseURL` are used). */
  readonly client: OpenAI;
  /** `?model=` of the URL. */
  readonly model: string;
  /** `transcription`: connect with `?intent=transcription` (a transcription session) instead of `?model=`. */
  readonly intent?: 'transcription';
  /** `ws` client options, e.g. `{ ca }` for a private endpoint's certificate. */
  readonly clientOptions?: ClientOptions;
  /** Sending and event delivery wait for this promise (audio resamplers loading); rejection is fatal. */
  readonly ready?: Promise<unknown>;
  /** Events queued before the socket opens, at most; beyond that the oldest audio is dropped. Default: 3,000 (a minute of 20 ms frames). */
  readonly maxQueuedEvents?: number;
  /** Every server event except `error`, in order. */
  onEvent(event: InboundEvent): void;
  /** A server `error` event (never fatal), before it is turned into a ProviderError. Return true to swallow it. */
  onServerError(error: RealtimeServerError): boolean;
  /** A ProviderError; `fatal` when the socket is gone. Called at most once with `fatal`. */
  onError(error: ProviderError, fatal: boolean): void;
}

/** The open (or opening) socket of one session. */
export class RealtimeConnection {
  private readonly rt: OpenAIRealtimeWS;
  private readonly queue: OutboundEvent[] = [];
  private readonly backlog: InboundEvent[] = [];
  private socketOpen = false;
  private ready: boolean;
  private closedByUs = false;
  private failed = false;
  /** Audio events dropped from a full queue (the socket took too long to open). */
  droppedEvents = 0;

  constructor(private readonly options: RealtimeConnectionOptions) {
    this.ready = options.ready === undefined;
    // No permessage-deflate unless asked (`ws` offers it by default): zlib on every 20 ms append and audio delta adds latency.
    const clientOptions = { perMessageDeflate: false, ...(options.intent ? withIntent(options.clientOptions, options.intent) : options.clientOptions) };
    this.rt = new OpenAIRealtimeWS({ model: options.model, options: clientOptions }, options.client);
    this.rt.on('event', (event) => this.receive(event as unknown as InboundEvent));
    this.rt.on('error', (error) => {
      // Server `error` events arrive through 'event' too (in order with the rest); only socket-level errors here.
      if (error.error) return;
      const mapped = errorFromSocket(options.provider, error.message, error.cause);
      if (mapped.kind === 'protocol') this.report(mapped);
      else this.fail(mapped);
    });
    const socket: WebSocket = this.rt.socket;
    socket.on('open', () => {
      this.socketOpen = true;
      this.flush();
    });
    socket.on('close', (code: number, reason: Buffer) => {
      this.socketOpen = false;
      if (!this.closedByUs) this.fail(errorFromClose(options.provider, code, reason.toString()));
    });
    options.ready?.then(
      () => {
        this.ready = true;
        this.drainBacklog();
        this.flush();
      },
      (error: unknown) =>
        this.fail(new ProviderError({ provider: options.provider, kind: 'server', retryable: false, message: `audio setup failed: ${(error as Error)?.message ?? String(error)}`, cause: error })),
    );
  }

  /** True while events go straight out (socket open, audio ready). */
  get flowing(): boolean {
    return this.socketOpen && this.ready && !this.failed && !this.closedByUs;
  }

  /** True once closed by us or failed: sends are ignored. */
  get closed(): boolean {
    return this.failed || this.closedByUs;
  }

  /** The URL the SDK built (before any intent rewrite). */
  get url(): string {
    return this.rt.url.toString();
  }

  /** Sends an event now, or queues it until the socket is open. Ignored once closed. */
  send(event: OutboundEvent): void {
    if (this.closed) return;
    if (!this.flowing) {
      this.queue.push(event);
      const max = this.options.maxQueuedEvents ?? 3000;
      if (this.queue.length > max) {
        // Old audio goes first; configuration and conversation events are never dropped.
        const index = this.queue.findIndex((queued) => typeof queued === 'function' || queued.type === 'input_audio_buffer.append');
        if (index >= 0) {
          this.queue.splice(index, 1);
          this.droppedEvents++;
        }
      }
      return;
    }
    this.write(event);
  }

  /** Closes the socket (code 1000); no error is reported for it. */
  close(): void {
    if (this.closedByUs) return;
    this.closedByUs = true;
    this.queue.length = 0;
    // The SDK's close() reports a socket still CONNECTING as an error; terminate() ends it quietly.
    if (this.rt.socket.readyState === this.rt.socket.CONNECTING) this.rt.socket.terminate();
    else this.rt.close({ code: 1000, reason: 'client closed' });
  }

  private write(event: OutboundEvent): void {
    const built = typeof event === 'function' ? event() : event;
    if (built) this.rt.send(built);
  }

  private flush(): void {
    if (!this.flowing) return;
    // Events queued by sends made during the flush go after the ones already queued.
    while (this.queue.length > 0 && this.flowing) this.write(this.queue.shift()!);
  }

  private receive(event: InboundEvent): void {
    if (this.closed) return;
    if (!this.ready) {
      this.backlog.push(event);
      return;
    }
    this.deliver(event);
  }

  private drainBacklog(): void {
    while (this.backlog.length > 0 && !this.closed) this.deliver(this.backlog.shift()!);
  }

  private deliver(event: InboundEvent): void {
    // This runs inside the socket's 'message' handler: anything thrown here would be an uncaught exception.
    try {
      if (event.type !== 'error') {
        this.options.onEvent(event);
        return;
      }
      const error = (event.error ?? {}) as RealtimeServerError;
      if (!this.options.onServerError(error)) this.options.onError(errorFromServerEvent(this.options.provider, error), false);
    } catch (error) {
      this.report(new ProviderError({ provider: this.options.provider, kind: 'protocol', retryable: false, message: `handling \`${event.type}\` threw: ${(error as Error)?.message ?? String(error)}`, cause: error }));
    }
  }

  /** Reports a non-fatal error; a hook that throws while handling it is not given a second chance. */
  private report(error: ProviderError): void {
    try {
      this.options.onError(error, false);
    } catch {
      // Nothing sensible is left to tell.
    }
  }

  private fail(error: ProviderError): void {
    if (this.failed || this.closedByUs) return;
    this.failed = true;
    this.queue.length = 0;
    if (this.rt.socket.readyState === this.rt.socket.OPEN) this.rt.socket.terminate();
    try {
      this.options.onError(error, true);
    } catch {
      // Called from socket handlers: a throwing hook must not become an uncaught exception.
    }
  }
}

/** `ws` options whose request line asks for `?intent=<intent>` instead of the SDK's `?model=`. */
function withIntent(options: ClientOptions | undefined, intent: string): ClientOptions {
  const finish = options?.finishRequest;
  return {
    ...options,
    finishRequest(request: ClientRequest, socket: WebSocket) {
      const [path = '/', query = ''] = request.path.split('?');
      const params = new URLSearchParams(query);
      params.delete('model');
      params.set('intent', intent);
      // Headers are written on end(), so the new request line is the one sent.
      request.path = `${path}?${params.toString()}`;
      if (finish) finish(request, socket);
      else request.end();
    },
  };
}
