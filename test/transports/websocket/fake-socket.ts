// A socket that records what the transport sends and lets a test play the client: the PcmSocket a `ws`
// WebSocket would be, without a network.
import type { PcmSocket } from '../../../runtime/transports/websocket/index.js';

type Listener = (...args: never[]) => void;

/** A JSON message the transport sent. */
export type SentJson = { readonly type: string } & Record<string, unknown>;

export interface FakeSocket extends PcmSocket {
  readyState: number;
  bufferedAmount: number;
  /** Every text frame sent, parsed. */
  readonly json: SentJson[];
  /** Every binary frame sent, as samples. */
  readonly audio: Int16Array[];
  /** Text and binary in send order: `audio` for a binary frame, else the message type. */
  readonly order: string[];
  /** Everything sent, in order: parsed JSON, or the samples of a binary frame. */
  readonly log: Array<SentJson | Int16Array>;
  /** How the transport closed the socket, if it did. */
  closedWith: { code: number | undefined; reason: string | undefined } | undefined;
  /** The client sends a JSON text frame (an object is stringified, a string sent as is). */
  text(message: object | string): void;
  /** The client sends a binary frame. */
  binary(bytes: Uint8Array | Int16Array): void;
  /** The client's side closes (no hangup message). */
  drop(): void;
  /** JSON messages of one type. */
  sentOf(type: string): SentJson[];
}

export function createFakeSocket(): FakeSocket {
  const listeners = new Map<string, Listener[]>();
  const emit = (event: string, ...args: unknown[]) => {
    for (const listener of listeners.get(event) ?? []) (listener as (...a: unknown[]) => void)(...args);
  };
  const socket: FakeSocket = {
    readyState: 1,
    bufferedAmount: 0,
    json: [],
    audio: [],
    order: [],
    log: [],
    closedWith: undefined,
    send(data) {
      if (typeof data === 'string') {
        const message = JSON.parse(data) as SentJson;
        socket.json.push(message);
        socket.order.push(message.type);
        socket.log.push(message);
      } else {
        const copy = new Uint8Array(data);
        const samples = new Int16Array(copy.buffer, 0, copy.length >> 1);
        socket.audio.push(samples);
        socket.order.push('audio');
        socket.log.push(samples);
      }
    },
    close(code, reason) {
      if (socket.readyState !== 1) return;
      socket.closedWith = { code, reason };
      socket.readyState = 3;
      emit('close', code ?? 1005, Buffer.from(reason ?? ''));
    },
    on(event: string, listener: Listener) {
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
      return socket;
    },
    text(message) {
      const text = typeof message === 'string' ? message : JSON.stringify(message);
      emit('message', Buffer.from(text, 'utf8'), false);
    },
    binary(bytes) {
      const view = bytes instanceof Int16Array ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes;
      emit('message', Buffer.from(view), true);
    },
    drop() {
      if (socket.readyState !== 1) return;
      socket.readyState = 3;
      emit('close', 1006, Buffer.from(''));
    },
    sentOf: (type) => socket.json.filter((message) => message.type === type),
  } as FakeSocket;
  return socket;
}
