/**
 * The socket a Twilio transport reads and writes: the server side of the WebSocket Twilio opened. Anything with
 * `ws`'s shape fits (a `ws` `WebSocket`, a test fake), and its frames are measured and read without trusting them.
 */
import type { Clock } from '../../util/clock.js';

/** What `ws` hands a `message` listener. */
export type TwilioSocketData = Buffer | ArrayBuffer | Buffer[];

/** The server side of the WebSocket Twilio opened (a `ws` `WebSocket` fits; tests pass a fake). */
export interface TwilioSocket {
  /** 1 when open (`WebSocket.OPEN`). */
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  on(event: 'message', listener: (data: TwilioSocketData, isBinary: boolean) => void): unknown;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** Largest message read, bytes: a 20 ms media message is ~300; `start` with parameters a few KiB. */
export const TWILIO_MAX_MESSAGE_BYTES = 64 * 1024;

/** Size of a received frame, bytes. */
export function byteLengthOf(data: TwilioSocketData): number {
  if (Array.isArray(data)) return data.reduce((total, part) => total + part.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

/** A received frame as UTF-8 text. */
export function textOf(data: TwilioSocketData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return data instanceof ArrayBuffer ? Buffer.from(data).toString('utf8') : data.toString('utf8');
}

/** Messages and protocol errors of the current one-second window: what the flood bounds are checked against. */
export class FloodWindow {
  private startMs: number;
  private messages = 0;
  private errors = 0;

  constructor(private readonly clock: Clock) {
    this.startMs = clock.now();
  }

  /** A message came: the count of messages in this window, it included. */
  message(): number {
    this.roll();
    return ++this.messages;
  }

  /** A protocol error: the count of errors in this window, it included. */
  error(): number {
    this.roll();
    return ++this.errors;
  }

  private roll(): void {
    const now = this.clock.now();
    if (now - this.startMs < 1000) return;
    this.startMs = now;
    this.messages = 0;
    this.errors = 0;
  }
}
