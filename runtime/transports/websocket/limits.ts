import type { Clock } from '../../util/clock.js';

/**
 * What one client may make the server do, so a broken or hostile client costs its own call at most. Every
 * excess is refused and reported (`onProtocolError`, a JSON `error`); only an exhausted error budget or a
 * client that stops reading closes the socket (1008).
 */
export interface WebSocketLimits {
  /** Largest message accepted, bytes; a larger one is dropped and reported. Default: 65536 (64 KiB). */
  readonly maxMessageBytes: number;
  /** Messages (binary and text) per second, sustained; twice as many may come in a burst. Default: 1000. */
  readonly maxMessagesPerSecond: number;
  /**
   * How far caller audio may run ahead of real time, ms: a client cannot push minutes of audio in a second
   * (the call would hear it all at once). Audio past this is dropped and reported. Default: 2000.
   */
  readonly maxAudioBurstMs: number;
  /** Errors a client may cause per second, sustained; twice as many in a burst, then the socket is closed (1008). Default: 10. */
  readonly maxErrorsPerSecond: number;
  /** Marks sent and not yet echoed that are tracked; older ones are forgotten (the client is not echoing). Default: 3000 (60 s of 20 ms marks). */
  readonly maxPendingMarks: number;
  /** `say` lines waiting to be spoken; more are refused. Default: 8. */
  readonly maxQueuedSays: number;
  /** Outbound bytes the socket may hold unsent before the client counts as not reading and is closed (1008). Default: 1048576 (1 MiB, 32 s of 16 kHz audio). */
  readonly maxSendBufferBytes: number;
}

/** The limits used when none are given. */
export const DEFAULT_WEBSOCKET_LIMITS: WebSocketLimits = {
  maxMessageBytes: 64 * 1024,
  maxMessagesPerSecond: 1000,
  maxAudioBurstMs: 2000,
  maxErrorsPerSecond: 10,
  maxPendingMarks: 3000,
  maxQueuedSays: 8,
  maxSendBufferBytes: 1024 * 1024,
};

/** A token bucket on an injected clock: `capacity` tokens, refilled at `perSecond`. */
export interface TokenBucket {
  /** Takes `amount` tokens when there are that many (true), else takes none (false). */
  take(amount?: number): boolean;
}

/** Creates a full {@link TokenBucket}. */
export function createTokenBucket(clock: Clock, perSecond: number, capacity: number): TokenBucket {
  if (!(perSecond > 0 && capacity > 0)) throw new RangeError(`createTokenBucket: perSecond and capacity must be > 0 (got ${perSecond}, ${capacity})`);
  let tokens = capacity;
  let refilledAtMs = clock.now();
  return {
    take(amount = 1) {
      const nowMs = clock.now();
      tokens = Math.min(capacity, tokens + ((nowMs - refilledAtMs) * perSecond) / 1000);
      refilledAtMs = nowMs;
      if (tokens < amount) return false;
      tokens -= amount;
      return true;
    },
  };
}
