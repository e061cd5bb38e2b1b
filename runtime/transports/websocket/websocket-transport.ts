/**
 * The native WebSocket transport (`WS /calls/:agent?rate=`), for apps and browsers: PCM16 little-endian mono
 * binary frames both ways at the call's rate, JSON text frames for control and for the call's events. The
 * protocol is documented for client authors in docs/websocket-protocol.md; its messages are in `protocol.ts`.
 *
 * The client's binary frames are the call's audio clock: whatever their length, they are cut into 20 ms frames
 * and handed to the call as they arrive. What the caller heard is what the client reports: the transport
 * sends a `mark` after audio, the client echoes `played` when its playback reaches it (or `dropped: true` for
 * marks it held when a `clear` came), so `reportsPlayback` is true and `bufferedMs()` follows those reports.
 *
 * Nothing a client sends can throw out of here: bad input is refused, reported to `onProtocolError` and to the
 * client as `{"type":"error"}`, and only a client past its error budget, or one that stops reading, is closed
 * with 1008.
 */
import { Framer } from '../../audio/framer.js';
import type { Pcm16 } from '../../audio/media.js';
import { pcm16ToBytes } from '../../audio/pcm.js';
import { realClock, type Clock } from '../../util/clock.js';
import type { CallTransport, TransportCloseReason, TransportListener } from '../types.js';
import { createTokenBucket, DEFAULT_WEBSOCKET_LIMITS, type WebSocketLimits } from './limits.js';
import { createPlaybackLedger } from './playback-ledger.js';
import { DEFAULT_WEBSOCKET_SAMPLE_RATE, parseClientMessage, serverMessageText, WEBSOCKET_SAMPLE_RATES, type ClientMessage, type ServerMessage } from './protocol.js';
import { createSayLines, type SayHandler } from './say-lines.js';

/** What the transport needs of a socket: a `ws` WebSocket fits, and so does a test's fake. */
export interface PcmSocket {
  /** 1 while open (the WebSocket `OPEN` state). */
  readonly readyState: number;
  /** Bytes queued to send and not yet written to the network. */
  readonly bufferedAmount: number;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  on(event: 'message', listener: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): unknown;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** A call event as the transport forwards it: any JSON-safe object with a `type` (a `CallEvent`). */
export interface ForwardedEvent {
  readonly type: string;
}

/** Options of {@link createWebSocketTransport}. */
export interface WebSocketTransportOptions {
  /** The accepted socket (from `WebSocketServer`). */
  readonly socket: PcmSocket;
  /** The call's sample rate (`?rate=`), Hz: 8000, 16000, 24000 or 48000. Default: 16000. */
  readonly sampleRate?: number;
  /** The connect URL's other query parameters: in the call's `transport.started` event and its record. */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Speaks a client's `say` line into the call (`createOfflineSayer`). Without it, `say` is refused. */
  readonly sayHandler?: SayHandler;
  /** Every input refused, with what was wrong (for the server's log). */
  readonly onProtocolError?: (message: string) => void;
  /** Rate limits run on it. Default: the real clock. */
  readonly clock?: Clock;
  /** Default: {@link DEFAULT_WEBSOCKET_LIMITS}. */
  readonly limits?: Partial<WebSocketLimits>;
}

/** The native WebSocket transport of one call. */
export interface WebSocketTransport extends CallTransport {
  /** Forwards a call event to the client; wire it to `startCall`'s `onEvent`. `call.ended` also sends `ended` and closes. */
  sendEvent(event: ForwardedEvent): void;
  /** True once the socket has closed (or was closed by us). */
  readonly closed: boolean;
}

/** `WebSocket.OPEN`. */
const OPEN = 1;
/** Without `sendEvent` wired, the socket closes this long after the call was hung up, ms. */
const END_GRACE_MS = 1000;

/** Creates the transport of one accepted socket. Throws only on a bad option (an unsupported rate). */
export function createWebSocketTransport(options: WebSocketTransportOptions): WebSocketTransport {
  const sampleRate = options.sampleRate ?? DEFAULT_WEBSOCKET_SAMPLE_RATE;
  if (!WEBSOCKET_SAMPLE_RATES.includes(sampleRate)) {
    throw new RangeError(`createWebSocketTransport: sampleRate ${sampleRate} Hz is not supported; use one of ${WEBSOCKET_SAMPLE_RATES.join(', ')}`);
  }
  const { socket } = options;
  const clock = options.clock ?? realClock;
  const limits = { ...DEFAULT_WEBSOCKET_LIMITS, ...options.limits };
  const framer = new Framer(sampleRate);
  const ledger = createPlaybackLedger(limits.maxPendingMarks);
  const messages = createTokenBucket(clock, limits.maxMessagesPerSecond, 2 * limits.maxMessagesPerSecond);
  const audioBudget = createTokenBucket(clock, 1000, limits.maxAudioBurstMs);
  const errorBudget = createTokenBucket(clock, limits.maxErrorsPerSecond, 2 * limits.maxErrorsPerSecond);
  const decoder = new TextDecoder();
  const sayLines = options.sayHandler ? createSayLines({ handler: options.sayHandler, maxQueued: limits.maxQueuedSays, onError: (message) => protocolError(message) }) : undefined;
  let listener: TransportListener | undefined;
  // What the far end did before the call listened, delivered once it does.
  const early: Array<(to: TransportListener) => void> = [];
  let socketClosed = false;
  let callOver = false;
  let closeDelivered = false;
  let warnedUnechoed = false;
  let graceTimer: unknown;

  const isOpen = () => !socketClosed && socket.readyState === OPEN;
  const send = (message: ServerMessage | Uint8Array): void => {
    if (!isOpen()) return;
    try {
      socket.send(message instanceof Uint8Array ? message : serverMessageText(message));
    } catch {
      // The socket is going away; its close event ends the call.
      return;
    }
    if (socket.bufferedAmount > limits.maxSendBufferBytes) shut(1008, 'client is not reading', `the client is not reading: over ${limits.maxSendBufferBytes} bytes are waiting to be sent; closing`);
  };
  const stopInput = (): void => {
    clock.clearTimeout(graceTimer);
    sayLines?.close();
  };
  const shut = (code: number, reason: string, report?: string): void => {
    if (report) options.onProtocolError?.(report);
    if (socketClosed) return;
    socketClosed = true;
    stopInput();
    try {
      socket.close(code, reason);
    } catch {
      // Already closing.
    }
    // Not from inside the call's own send path (a playout tick sending audio): the call hears of it next.
    queueMicrotask(() => deliverClose('transport-closed'));
  };
  const deliver = (action: (to: TransportListener) => void): void => {
    if (listener) action(listener);
    else early.push(action);
  };
  const deliverClose = (reason: TransportCloseReason): void => {
    if (closeDelivered || callOver) return;
    closeDelivered = true;
    deliver((to) => to.onClose(reason));
  };
  const protocolError = (message: string): void => {
    options.onProtocolError?.(message);
    if (!errorBudget.take()) return shut(1008, 'too many protocol errors', `too many protocol errors (over ${limits.maxErrorsPerSecond} a second); closing`);
    send({ type: 'error', message });
  };
  // The call is ending: the `call.ended` event normally closes the socket at once; this is the backstop.
  const expectEnd = (reason: string): void => {
    if (graceTimer === undefined) graceTimer = clock.setTimeout(() => shut(1000, reason.slice(0, 100)), END_GRACE_MS);
  };

  const receiveAudio = (bytes: Uint8Array): void => {
    if (bytes.length % 2 !== 0) return protocolError(`audio: a binary frame of ${bytes.length} bytes is not whole 16-bit samples; send PCM16 little-endian, an even number of bytes per frame`);
    if (!audioBudget.take((bytes.length / 2 / sampleRate) * 1000)) return protocolError(`audio: arriving faster than real time (more than ${limits.maxAudioBurstMs} ms ahead); frame dropped`);
    // Before the call listens there is no call time to put the audio on.
    if (!listener || closeDelivered || callOver) return;
    for (const frame of framer.pushBytes(bytes)) {
      sayLines?.mixInto(frame);
      listener.onAudio(frame);
    }
  };
  const receiveControl = (message: ClientMessage): void => {
    switch (message.type) {
      case 'hangup':
        deliverClose('caller-hangup');
        sayLines?.close();
        return expectEnd('caller-hangup');
      case 'dtmf':
        return deliver((to) => to.onDtmf(message.digit));
      case 'say': {
        if (!sayLines) return protocolError('say: this endpoint cannot speak typed lines (its agent listens with a real recogniser); send audio instead');
        const refused = sayLines.say(message.text);
        return refused ? protocolError(refused) : undefined;
      }
      case 'played':
        if (!ledger.echoed(message.mark, message.dropped)) return protocolError(`played: no mark ${JSON.stringify(message.mark.slice(0, 40))} is waiting for a report; echo each mark the server sent, once`);
        return deliver((to) => to.onPlayed({ mark: message.mark, dropped: message.dropped }));
    }
  };
  const receive = (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void => {
    if (socketClosed || closeDelivered || callOver) return;
    if (!messages.take()) return protocolError(`flood: more than ${limits.maxMessagesPerSecond} messages a second; message dropped`);
    const bytes = bytesOf(data);
    if (bytes.length > limits.maxMessageBytes) return protocolError(`message of ${bytes.length} bytes refused: the limit is ${limits.maxMessageBytes}; send audio in 20-100 ms frames`);
    if (isBinary) return receiveAudio(bytes);
    const parsed = parseClientMessage(decoder.decode(bytes));
    return parsed.ok ? receiveControl(parsed.message) : protocolError(parsed.error);
  };

  socket.on('message', (data, isBinary) => {
    try {
      receive(data, isBinary);
    } catch (error) {
      // A bug here must cost this call at most, never the process.
      protocolError(`the server failed on a message: ${(error as Error)?.message ?? String(error)}`);
    }
  });
  socket.on('close', () => {
    // Closed by us: `shut` tells the call.
    if (socketClosed) return;
    socketClosed = true;
    stopInput();
    deliverClose('transport-closed');
  });
  // `ws` raises an error event before closing on a protocol violation; the close that follows ends the call.
  socket.on('error', () => {});

  return {
    sampleRate,
    reportsPlayback: true,
    get closed() {
      return socketClosed;
    },
    sendAudio(frame: Pcm16) {
      if (!isOpen()) return;
      // A copy: the frame may be a view into playout's buffer.
      send(pcm16ToBytes(frame));
      ledger.sent((frame.length * 1000) / sampleRate);
    },
    mark(name) {
      send({ type: 'mark', name });
      if (ledger.marked(name) || warnedUnechoed) return;
      warnedUnechoed = true;
      options.onProtocolError?.(`the client echoes no marks (over ${limits.maxPendingMarks} waiting): what the caller heard is unknown`);
      send({ type: 'error', message: 'echo every mark as {"type":"played","mark":name} when your playback reaches it: the agent cannot tell what you heard' });
    },
    clear() {
      send({ type: 'clear' });
      ledger.cleared();
    },
    bufferedMs: () => ledger.bufferedMs(),
    hangup(reason) {
      // The `ended` record that follows (sendEvent) says why and closes the socket; this stops taking input.
      callOver = true;
      sayLines?.close();
      expectEnd(reason);
    },
    listen(next) {
      if (listener) throw new Error('createWebSocketTransport: listen() was called twice; one call per socket');
      listener = next;
      const { parameters } = options;
      next.onStart({ transport: 'websocket', ...(parameters && Object.keys(parameters).length > 0 ? { parameters } : {}) });
      // Deliver what came early after startCall has started the session (it starts it right after listen).
      const pending = early.splice(0);
      if (pending.length > 0) queueMicrotask(() => pending.forEach((action) => action(next)));
    },
    sendEvent(event) {
      send({ type: 'event', event });
      if (event.type !== 'call.ended') return;
      const record = (event as ForwardedEvent & { readonly record?: { readonly endReason?: string } }).record;
      callOver = true;
      send({ type: 'ended', record });
      shut(record?.endReason === 'error' ? 1011 : 1000, record?.endReason ?? 'call ended');
    },
  };
}

/** The bytes of a `ws` message, whatever form it came in. */
function bytesOf(data: Buffer | ArrayBuffer | Buffer[]): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}
