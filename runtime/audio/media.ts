/*
 * Media types shared by every layer above `audio/`: providers produce them, playout and transports consume them.
 */

/** Mono 16-bit PCM samples at the session's sample rate. */
export type Pcm16 = Int16Array;

/** Character alignment of a TTS audio chunk, times relative to the start of that chunk. */
export interface CharAlignment {
  readonly chars: readonly string[];
  readonly startMs: readonly number[];
  readonly durationMs: readonly number[];
}
