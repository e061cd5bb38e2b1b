/**
 * A fake of the server side of Twilio's WebSocket: the test plays Twilio (`receive` a message, `receiveBinary`,
 * `drop` the connection) and reads what the transport sent (`sent`, parsed in `messages`) and how it closed.
 */
import { EventEmitter } from 'node:events';
import { encodeMulaw } from '../../../runtime/audio/g711.js';
import type { TwilioSocket } from '../../../runtime/transports/twilio/index.js';

/** One `send` call: the data and whether it was text (Twilio takes media only as text frames). */
export interface SentFrame {
  readonly data: unknown;
  readonly text: boolean;
}

export class FakeTwilioSocket extends EventEmitter implements TwilioSocket {
  readyState = 1;
  readonly frames: SentFrame[] = [];
  readonly closes: Array<{ code: number | undefined; reason: string | undefined }> = [];

  send(data: string): void {
    this.frames.push({ data, text: typeof data === 'string' });
  }

  close(code?: number, reason?: string): void {
    if (reason !== undefined && Buffer.byteLength(reason) > 123) throw new Error(`close reason longer than 123 bytes: ${reason}`);
    this.closes.push({ code, reason });
    this.readyState = 2;
  }

  /** Every message sent, parsed. */
  get messages(): Array<Record<string, unknown>> {
    return this.frames.map((frame) => JSON.parse(String(frame.data)) as Record<string, unknown>);
  }

  /** Twilio sends a text frame (an object is JSON-encoded). */
  receive(message: object | string): void {
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    this.emit('message', Buffer.from(text, 'utf8'), false);
  }

  receiveBinary(bytes: Uint8Array): void {
    this.emit('message', Buffer.from(bytes), true);
  }

  /** The connection ends (Twilio closed it, or the network dropped). */
  drop(code = 1006): void {
    this.readyState = 3;
    this.emit('close', code, Buffer.alloc(0));
  }
}

export const STREAM_SID = 'MZ00000000000000000000000000000001';

/** Twilio's `start` for a bidirectional stream. */
export function startMessage(customParameters: Record<string, string> = {}, mediaFormat: object = { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 }): object {
  return {
    event: 'start',
    sequenceNumber: '1',
    streamSid: STREAM_SID,
    start: { accountSid: 'AC1', streamSid: STREAM_SID, callSid: 'CA1', tracks: ['inbound'], mediaFormat, customParameters },
  };
}

/** Twilio's `media` carrying `samples` (mu-law, base64) as chunk `chunk`. */
export function mediaMessage(chunk: number, samples: Int16Array): object {
  const payload = Buffer.from(encodeMulaw(samples)).toString('base64');
  return { event: 'media', sequenceNumber: String(chunk + 1), streamSid: STREAM_SID, media: { track: 'inbound', chunk: String(chunk), timestamp: String((chunk - 1) * 20), payload } };
}

/** Twilio's echo of mark `name`. */
export function markEcho(name: string): object {
  return { event: 'mark', sequenceNumber: '9', streamSid: STREAM_SID, mark: { name } };
}

/** A frame of `samples` samples, each `value` (values that survive mu-law exactly: 0, +-8, +-32124...). */
export const frameOf = (value: number, samples = 160): Int16Array => new Int16Array(samples).fill(value);
