/**
 * The agent's side of a Twilio stream: each frame playout sends becomes one `media` message (mu-law, base64),
 * each mark a `mark`, a barge-in flush a `clear`, in the same tick as the call asks, with the mark bookkeeping
 * of the {@link PlaybackLedger}. Every message carries the streamSid, which only Twilio's `start` gives: what
 * the call sends earlier (a greeting started as the socket opened) is held, bounded, and sent in order at the
 * start; a `clear` before then drops it, and its marks are reported dropped as Twilio would report them.
 */
import { encodeMulawInto } from '../../audio/g711.js';
import type { Clock } from '../../util/clock.js';
import type { PlayedReport } from '../types.js';
import { TWILIO_SAMPLE_RATE } from './inbound-audio.js';
import { clearMessage, markMessage, mediaMessage } from './messages.js';
import type { PlaybackLedger } from './playback-ledger.js';

/** Outbound counters (part of the transport's stats). */
export interface OutboundCounters {
  marksSent: number;
  clears: number;
  sendsDropped: number;
}

/** What the outbound side needs from its transport. */
export interface OutboundOptions {
  readonly clock: Clock;
  readonly ledger: PlaybackLedger;
  /** Sends one text frame (never throws). */
  readonly send: (text: string) => void;
  /** A held mark dropped by a clear before `start`: reported later, never inside `clear()`. */
  readonly onDroppedHeld: (report: PlayedReport) => void;
  /** Told once when marks stop being echoed and the oldest are forgotten. */
  readonly onMarksForgotten: () => void;
  /** Audio held before `start`, ms; beyond, frames are dropped. */
  readonly maxHeldMs: number;
  readonly counters: OutboundCounters;
}

type Held = { readonly kind: 'media'; readonly payload: string } | { readonly kind: 'mark'; readonly name: string };

/** One stream's outbound messages. */
export class TwilioOutbound {
  private streamSid: string | undefined;
  private ended = false;
  private held: Held[] = [];
  private heldMs = 0;
  private encoded = Buffer.alloc(TWILIO_SAMPLE_RATE / 50);
  private readonly timers = new Set<unknown>();
  private marksForgotten = false;
  /** Media sent to Twilio since the last `clear`: a second clear with none between has nothing to drop. */
  private sentSinceClear = false;

  constructor(private readonly options: OutboundOptions) {}

  /** Twilio's `start` gave the streamSid: what was held goes out, in order. */
  start(streamSid: string): void {
    this.streamSid = streamSid;
    const held = this.held;
    this.held = [];
    this.heldMs = 0;
    for (const item of held) {
      if (item.kind === 'media') this.sentSinceClear = true;
      this.options.send(item.kind === 'media' ? mediaMessage(streamSid, item.payload) : markMessage(streamSid, item.name));
    }
  }

  /** The stream is over: nothing more is sent, nothing held is reported. */
  end(): void {
    this.ended = true;
    this.held = [];
    for (const timer of this.timers) this.options.clock.clearTimeout(timer);
    this.timers.clear();
  }

  sendAudio(frame: Int16Array): void {
    const { counters, ledger } = this.options;
    if (this.ended) {
      counters.sendsDropped++;
      return;
    }
    if (this.encoded.length < frame.length) this.encoded = Buffer.alloc(frame.length);
    encodeMulawInto(frame, this.encoded);
    // Encoded now: playout may hand a view into its buffer and reuse it.
    const payload = this.encoded.toString('base64', 0, frame.length);
    const durationMs = (frame.length * 1000) / TWILIO_SAMPLE_RATE;
    if (this.streamSid !== undefined) {
      ledger.noteSent(durationMs);
      this.sentSinceClear = true;
      return this.options.send(mediaMessage(this.streamSid, payload));
    }
    if (this.heldMs + durationMs > this.options.maxHeldMs) {
      counters.sendsDropped++;
      return;
    }
    this.heldMs += durationMs;
    ledger.noteSent(durationMs);
    this.held.push({ kind: 'media', payload });
  }

  mark(name: string): void {
    const { counters, ledger } = this.options;
    if (this.ended) {
      counters.sendsDropped++;
      return;
    }
    counters.marksSent++;
    if (!ledger.noteMark(name) && !this.marksForgotten) {
      this.marksForgotten = true;
      this.options.onMarksForgotten();
    }
    if (this.streamSid !== undefined) this.options.send(markMessage(this.streamSid, name));
    else this.held.push({ kind: 'mark', name });
  }

  clear(): void {
    this.options.counters.clears++;
    this.options.ledger.noteClear();
    if (this.ended) return;
    if (this.streamSid !== undefined) {
      // A barge-in pauses (clear) and then cuts (clear again) with nothing sent between: Twilio's buffer is
      // already empty, so the second message is not sent.
      if (!this.sentSinceClear) return;
      this.sentSinceClear = false;
      return this.options.send(clearMessage(this.streamSid));
    }
    // Nothing reached Twilio yet: drop what is held, and report its marks dropped as Twilio would, later
    // (never inside clear(): playout is in the middle of its barge-in path).
    const held = this.held;
    this.held = [];
    this.heldMs = 0;
    for (const item of held) if (item.kind === 'mark') this.reportDroppedLater(item.name);
  }

  private reportDroppedLater(name: string): void {
    const timer = this.options.clock.setTimeout(() => {
      this.timers.delete(timer);
      const report = this.options.ledger.echo(name);
      if (report && !this.ended) this.options.onDroppedHeld(report);
    }, 0);
    this.timers.add(timer);
  }
}
