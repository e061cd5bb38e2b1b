import type { TimedWord } from '../audio/playout.js';
import type { CallEventBody } from './events.js';

/** Frames (20 ms) between two `levels` / `agent.heard` events: 100 ms, enough for meters and a moving cursor. */
const FRAMES_PER_REPORT = 5;
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
 * heard the agent's current utterance. Per frame it only adds up squares (no allocation); every 100 ms of
 * caller audio it reports `levels` and, when it moved, `agent.heard`.
 */
export class CallMeters {
  private inSquares = 0;
  private inSamples = 0;
  private outSquares = 0;
  private outSamples = 0;
  private frames = 0;
  private lastHeardMs = -1;

  constructor(
    private readonly emit: (event: CallEventBody) => void,
    private readonly speech: HeardSource,
  ) {}

  /** One caller frame, as received; reports every 100 ms. */
  onInbound(frame: Int16Array, atMs: number): void {
    this.inSquares += sumOfSquares(frame);
    this.inSamples += frame.length;
    if (++this.frames < FRAMES_PER_REPORT) return;
    this.frames = 0;
    this.emit({ type: 'levels', atMs, inDb: decibels(this.inSquares, this.inSamples), outDb: decibels(this.outSquares, this.outSamples) });
    this.inSquares = this.inSamples = this.outSquares = this.outSamples = 0;
    this.reportHeard(atMs);
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

  private reportHeard(atMs: number): void {
    const heard = this.speech.heard();
    if (!heard || heard.heardMs === this.lastHeardMs) return;
    this.lastHeardMs = heard.heardMs;
    const index = wordAt(heard.words, heard.heardMs);
    const word = heard.words[index]?.text;
    this.emit({ type: 'agent.heard', atMs, utteranceId: heard.utteranceId, heardMs: Math.round(heard.heardMs), heardChars: heard.heardChars, wordIndex: index, ...(word !== undefined ? { word } : {}) });
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
  let index = -1;
  for (let i = 0; i < words.length && words[i]!.startMs <= ms; i++) index = i;
  return index;
}
