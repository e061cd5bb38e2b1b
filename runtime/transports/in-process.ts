/**
 * The in-process transport: the far end lives in the same process (the `voiceagent call` TUI, the scenario
 * simulator, tests). It records everything the call sends and simulates the far end's playback on an injected
 * clock, so its owner can ask what the caller has heard at any moment; marks are echoed when the audio before
 * them has played (or at once, as dropped, when a `clear` came first), as Twilio does. The owner plays the
 * caller's side with `pushAudio`, `pressDtmf` and `close`.
 */
import type { CallTransport, TransportCloseReason, TransportListener, TransportStartInfo } from './types.js';
import type { Clock } from '../util/clock.js';
import type { Pcm16 } from '../audio/media.js';

/** Options of {@link createRecordingTransport}. */
export interface RecordingTransportOptions {
  /** Time line for sends and playback; use `createSimulatedClock()` in tests. */
  readonly clock: Clock;
  /** Sample rate of the frames, Hz. Default: 8000 (telephony). */
  readonly sampleRate?: number;
  /** Network + jitter-buffer delay before a sent frame can start playing, ms. Default: 0. */
  readonly playoutDelayMs?: number;
  /**
   * Declare that played reports (mark echoes) are the truth of what the caller heard, so the call cuts its
   * context at the last confirmed mark. Default: false (the call estimates from `bufferedMs()`).
   */
  readonly reportsPlayback?: boolean;
  /** What the far end says at the start (delivered to the call when it starts listening). */
  readonly startInfo?: Omit<TransportStartInfo, 'transport'>;
}

/** One frame the session sent. */
export interface SentFrame {
  /** Clock time of `sendAudio`, ms. */
  readonly atMs: number;
  readonly samples: Pcm16;
  /** Clock time the far end starts playing it: max(atMs + playoutDelayMs, end of the previous frame's playback). */
  readonly playAtMs: number;
  /** Frame length, ms. */
  readonly durationMs: number;
  /** True when a `clear()` dropped it before it started playing. */
  dropped: boolean;
}

/** One `clear()` call. */
export interface ClearRecord {
  readonly atMs: number;
  /** Audio dropped (sent, not yet started playing), ms. */
  readonly droppedMs: number;
}

/** One `mark()` call. */
export interface MarkRecord {
  readonly name: string;
  /** Clock time of `mark()`, ms. */
  readonly atMs: number;
  /** When the far end reports it: the end of playback of the audio sent before it, or the `clear()` time if a clear came first (as Twilio does). */
  playedAtMs: number;
}

/** A {@link CallTransport} that records and simulates far-end playback. */
export interface RecordingTransport extends CallTransport {
  /** Every frame sent, in order. */
  readonly sent: readonly SentFrame[];
  /** Clock times of the `clear()` calls. */
  readonly clears: readonly number[];
  /** `clear()` calls with the audio each dropped. */
  readonly clearRecords: readonly ClearRecord[];
  readonly marks: readonly MarkRecord[];
  readonly hangups: ReadonlyArray<{ readonly atMs: number; readonly reason: string }>;
  /** Clock time of the last `sendAudio`, ms; undefined before the first. */
  readonly lastSendAtMs: number | undefined;
  /** Audio whose playback has started by now and was not dropped, ms (whole frames). */
  heardMs(): number;
  /** The samples of those frames, concatenated: what the caller heard. */
  heardSamples(): Int16Array;
  /** All audio sent, dropped or not, ms. */
  sentMs(): number;
  /** The far end's side: one frame of caller audio into the call. */
  pushAudio(frame: Int16Array): void;
  /** The caller pressed a key. */
  pressDtmf(digit: string): void;
  /** The far end's stream ends (the caller hung up, or the line dropped). */
  close(reason?: TransportCloseReason): void;
}

/** Creates an in-process {@link RecordingTransport}. */
export function createInProcessTransport(options: RecordingTransportOptions): RecordingTransport {
  const { clock } = options;
  const sampleRate = options.sampleRate ?? 8000;
  const playoutDelayMs = options.playoutDelayMs ?? 0;
  if (!(sampleRate > 0)) throw new Error(`createRecordingTransport: sampleRate must be > 0 (got ${sampleRate})`);
  if (!(playoutDelayMs >= 0)) throw new Error(`createRecordingTransport: playoutDelayMs must be >= 0 (got ${playoutDelayMs})`);
  const sent: SentFrame[] = [];
  const clears: number[] = [];
  const clearRecords: ClearRecord[] = [];
  const marks: MarkRecord[] = [];
  const hangups: Array<{ atMs: number; reason: string }> = [];
  let lastSendAtMs: number | undefined;
  // End of playback of the last frame not dropped: where the next frame queues up.
  let playbackEndMs = -Infinity;
  // Audio sent and not dropped, ms.
  let liveSentMs = 0;
  let listener: TransportListener | undefined;
  let closed = false;
  // Echo timers of marks not reported yet, by mark record.
  const pendingEchoes = new Map<MarkRecord, unknown>();
  const echo = (mark: MarkRecord, dropped: boolean) => {
    pendingEchoes.delete(mark);
    if (!closed) listener?.onPlayed({ mark: mark.name, dropped });
  };

  // Frames not dropped play in send order (playAtMs never decreases), and dropped frames all come after the
  // last frame that started; so scanning back from the newest frame finds the buffer without walking the call.
  const bufferedMsAt = (nowMs: number): number => {
    let bufferedMs = 0;
    for (let index = sent.length - 1; index >= 0; index--) {
      const frame = sent[index] as SentFrame;
      if (frame.dropped) continue;
      if (frame.playAtMs <= nowMs) break;
      bufferedMs += frame.durationMs;
    }
    return bufferedMs;
  };
  const heardFrames = (): SentFrame[] => {
    const nowMs = clock.now();
    return sent.filter((frame) => !frame.dropped && frame.playAtMs <= nowMs);
  };

  return {
    sampleRate,
    sent,
    clears,
    clearRecords,
    marks,
    hangups,
    get lastSendAtMs() {
      return lastSendAtMs;
    },
    sendAudio(frame) {
      const atMs = clock.now();
      const durationMs = (frame.length * 1000) / sampleRate;
      const playAtMs = Math.max(atMs + playoutDelayMs, playbackEndMs);
      // Copy: the sender may reuse its buffer.
      sent.push({ atMs, samples: frame.slice(), playAtMs, durationMs, dropped: false });
      playbackEndMs = playAtMs + durationMs;
      liveSentMs += durationMs;
      lastSendAtMs = atMs;
    },
    clear() {
      const nowMs = clock.now();
      let droppedMs = 0;
      for (let index = sent.length - 1; index >= 0; index--) {
        const frame = sent[index] as SentFrame;
        if (frame.dropped) continue;
        if (frame.playAtMs <= nowMs) break;
        frame.dropped = true;
        droppedMs += frame.durationMs;
      }
      liveSentMs -= droppedMs;
      const lastLive = sent.findLast((frame) => !frame.dropped);
      playbackEndMs = lastLive ? lastLive.playAtMs + lastLive.durationMs : -Infinity;
      for (const mark of marks) if (mark.playedAtMs > nowMs) mark.playedAtMs = nowMs;
      // Twilio echoes every pending mark at once after a clear: they were dropped, not played. The echo comes
      // back over the wire, so never inside this call (playout is in the middle of its barge-in path).
      for (const [mark, timer] of pendingEchoes) {
        clock.clearTimeout(timer);
        pendingEchoes.set(mark, clock.setTimeout(() => echo(mark, true), 0));
      }
      clears.push(nowMs);
      clearRecords.push({ atMs: nowMs, droppedMs });
    },
    mark(name) {
      const atMs = clock.now();
      const mark = { name, atMs, playedAtMs: Math.max(atMs, playbackEndMs) };
      marks.push(mark);
      pendingEchoes.set(mark, clock.setTimeout(() => echo(mark, false), mark.playedAtMs - atMs));
    },
    bufferedMs() {
      return bufferedMsAt(clock.now());
    },
    hangup(reason) {
      hangups.push({ atMs: clock.now(), reason });
    },
    reportsPlayback: options.reportsPlayback ?? false,
    listen(next) {
      listener = next;
      next.onStart({ transport: 'in-process', ...options.startInfo });
    },
    pushAudio(frame) {
      if (!closed) listener?.onAudio(frame);
    },
    pressDtmf(digit) {
      if (!closed) listener?.onDtmf(digit);
    },
    close(reason = 'caller-hangup') {
      if (closed) return;
      closed = true;
      for (const timer of pendingEchoes.values()) clock.clearTimeout(timer);
      pendingEchoes.clear();
      listener?.onClose(reason);
    },
    heardMs() {
      return liveSentMs - bufferedMsAt(clock.now());
    },
    heardSamples() {
      const frames = heardFrames();
      const out = new Int16Array(frames.reduce((total, frame) => total + frame.samples.length, 0));
      let offset = 0;
      for (const frame of frames) {
        out.set(frame.samples, offset);
        offset += frame.samples.length;
      }
      return out;
    },
    sentMs() {
      return sent.reduce((totalMs, frame) => totalMs + frame.durationMs, 0);
    },
  };
}

/** The in-process transport under the name tests have always used: it records what the call sends. */
export const createRecordingTransport = createInProcessTransport;
