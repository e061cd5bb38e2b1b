import type { Pcm16 } from '../audio/media.js';
import type { AudioSink } from '../audio/playout.js';

/**
 * A call's two-way audio transport (Twilio Media Streams, native PCM WebSocket, in-process).
 *
 * The outbound side ({@link AudioSink} plus `hangup`) is synchronous, so a barge-in pauses playout and clears
 * the far end's buffer in the same tick as the caller frame that triggered it. What comes back from the far end
 * reaches the call through the {@link TransportListener} given to `listen`: caller audio, played reports (the
 * ground truth of what the caller heard), DTMF and the end of the stream.
 */
export interface CallTransport extends AudioSink {
  /** Ends the call from our side (the far end is told, then the stream closes). */
  hangup(reason: string): void;
  /**
   * Connects the far end's side to the call. `startCall` calls it once, before the call starts; a transport
   * holds what arrives earlier (a Twilio `start`) and delivers it then.
   */
  listen(listener: TransportListener): void;
  /**
   * True when the far end reports how far it has played (`onPlayed` for every mark): Twilio's mark echoes, a
   * browser's played position. The words kept in the context after a cut then follow those reports rather
   * than the local estimate (audio sent minus `bufferedMs()`).
   */
  readonly reportsPlayback: boolean;
}

/** What the far end of a call reports. Every method is called on the call's own event loop turn, never re-entrantly. */
export interface TransportListener {
  /** Metadata the far end sent when its stream started (Twilio `start`). At most once, before any audio. */
  onStart(info: TransportStartInfo): void;
  /** One 20 ms frame of caller audio at the transport's `sampleRate`. */
  onAudio(frame: Pcm16): void;
  /**
   * The far end reached mark `name` (asked for with `mark(name)`). `dropped` is true for a mark that was still
   * pending when a `clear` went out: Twilio echoes those at once, and they mean "never played", not "played".
   */
  onPlayed(report: PlayedReport): void;
  /** A DTMF key the caller pressed (`0`-`9`, `*`, `#`, `A`-`D`). */
  onDtmf(digit: string): void;
  /** The stream ended from the far end's side (the caller hung up, the socket dropped). Called at most once. */
  onClose(reason: TransportCloseReason): void;
}

/** A mark reported back by the far end. */
export interface PlayedReport {
  readonly mark: string;
  /** True when the mark was pending at a `clear`: the audio before it was dropped, not played. */
  readonly dropped: boolean;
}

/** Why the far end's stream ended. */
export type TransportCloseReason = 'caller-hangup' | 'transport-closed';

/** What the far end says about the call when its stream starts. All optional: an in-process call has none. */
export interface TransportStartInfo {
  /** The transport kind, e.g. `twilio`, `websocket`, `in-process`. */
  readonly transport: string;
  /** Provider ids of the call (Twilio `callSid`, `streamSid`, `accountSid`). */
  readonly ids?: Readonly<Record<string, string>>;
  /** Custom parameters passed by the caller's side (Twilio `<Parameter>`s, WebSocket query). */
  readonly parameters?: Readonly<Record<string, string>>;
}
