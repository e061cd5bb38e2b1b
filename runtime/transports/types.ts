import type { Pcm16 } from '../providers/types.js';

/**
 * The outbound side of a call's audio transport (Twilio Media Streams, native PCM WebSocket, in-process).
 * Inbound audio reaches the session through `CallSession.pushAudio`, one 20 ms frame at a time.
 */
export interface CallTransport {
  /** Sample rate of the PCM frames exchanged with the session. */
  readonly sampleRate: number;
  /** Sends one frame of agent audio (20 ms). */
  sendAudio(frame: Pcm16): void;
  /** Drops audio sent but not yet played by the far end (Twilio `clear`): the barge-in flush. */
  clear(): void;
  /** Asks to be told when the audio sent so far has been played (Twilio `mark`). */
  mark(name: string): void;
  /** Milliseconds of audio sent but not yet played by the far end (its playout buffer). */
  bufferedMs(): number;
  /** Ends the call from our side. */
  hangup(reason: string): void;
}
