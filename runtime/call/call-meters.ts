import type { TimedWord } from '../audio/playout.js';
import type { Clock } from '../util/clock.js';
import type { CallEventBody } from './events.js';

/** Between two `levels` / `agent.heard` reports, ms: enough for meters and a moving cursor. */
const REPORT_MS = 100;
const FULL_SCALE_SQUARED = 32768 * 32768;
const SILENCE_DB = -100;

/** What the meters read of the agent's speech. */
export interface HeardSource {
  /**
   * The current utterance: its id, heard position (ms into it), the characters of its text heard in full
   * words, and its aligned words; undefined when the agent is not speaking.
   */
  heard(): { readonly utteranceId: number; readonly heardMs: number; readonly heardChars: number; readonly words: readonly TimedWord[] } | undefined;
}

/**
 * Throttled meters of a call for views: the caller's and the agent's audio levels, and how far the caller has
 * heard the agent's current utterance. Per frame it only adds up squares (no allocation); a timer reports
 * (`levels` and, when it moved, `agent.heard`) every 100 ms while caller audio arrives, re-arming itself, and
 * stops after 100 ms without any (the next frame starts it again). So the work for views stays off the
 * frame's path to the chart (bench:calls: reporting inline from every fifth frame doubled the per-frame p95),
 * and a call with no audio arriving has no timer running.
 */
export class CallMeters {
  private inSquares = 0;
  private inSamples = 0;
  private outSquares = 0;
  private outSamples = 0;
  private lastHeardMs = -1;
  private timer: unknown;
  private stopped = false;
  private readonly report = () => {
    this.timer = undefined;
    if (this.inSamples === 0) return; // no caller audio for 100 ms: the next frame re-arms
    const atMs = this.now();
    this.emit({ type: 'levels', atMs, inDb: decibels(this.inSquares, this.inSamples), outDb: decibels(this.outSquares, this.outSamples) });
    this.inSquares = this.inSamples = this.outSquares = this.outSamples = 0;
    this.reportHeard(atMs);
    // Re-armed here, off the frame path, while audio keeps coming.
    if (!this.stopped) this.timer = this.clock.setTimeout(this.report, REPORT_MS);
  };

  constructor(
    private readonly emit: (event: CallEventBody) => void,
    private readonly speech: HeardSource,
    /** Schedules the reports. */
    private readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>,
    /** Call time, ms (what events are stamped with; the clock's own time line may start anywhere). */
    private readonly now: () => number,
  ) {}

  /** One caller frame, as received. */
  onInbound(frame: Int16Array): void {
    this.inSquares += sumOfSquares(frame);
    this.inSamples += frame.length;
    if (this.timer === undefined && !this.stopped) this.timer = this.clock.setTimeout(this.report, REPORT_MS);
  }

  /** One agent frame, as sent. */
  onOutbound(frame: Int16Array): void {
    this.outSquares += sumOfSquares(frame);
    this.outSamples += frame.length;
  }

  /** A new utterance starts: its progress is reported from 0. */
  resetHeard(): void {
    this.lastHeardMs = -1;
  }

  /** The call is over: no more reports. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private reportHeard(atMs: number): void {
    const heard = this.speech.heard();
    if (!heard || heard.heardMs === this.lastHeardMs) return;
    this.lastHeardMs = heard.heardMs;
    const index = wordAt(heard.words, heard.heardMs);
    const word = heard.words[index]?.text;
    const event = { type: 'agent.heard' as const, atMs, utteranceId: heard.utteranceId, heardMs: Math.round(heard.heardMs), heardChars: heard.heardChars, wordIndex: index };
    this.emit(word !== undefined ? { ...event, word } : event);
  }
}

function sumOfSquares(frame: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < frame.length; i++) sum += frame[i]! * frame[i]!;
  return sum;
}

/** RMS level in dBFS, rounded to 0.1 dB; -100 for silence or no audio. */
function decibels(squares: number, samples: number): number {
  if (samples === 0 || squares === 0) return SILENCE_DB;
  return Math.max(SILENCE_DB, Math.round(100 * Math.log10(squares / samples / FULL_SCALE_SQUARED)) / 10);
}

/** Index of the word being heard at `ms` (the last word started by then); -1 before the first. */
function wordAt(words: readonly TimedWord[], ms: number): number {
  for (let i = words.length - 1; i >= 0; i--) if (words[i]!.startMs <= ms) return i;
  return -1;
}
