import type { Clock } from '../util/clock.js';
import type { CharAlignment, Pcm16 } from './media.js';
import { FRAME_MS, msToSamples, samplesPerFrame, samplesToMs } from './frames.js';

/** A word of the current utterance on the playout time line (ms from the utterance's first sample). */
export interface TimedWord {
  readonly text: string;
  readonly startMs: number;
  readonly endMs: number;
  /** Offset of the word in the utterance text. */
  readonly charStart: number;
  readonly charEnd: number;
}

/**
 * Where playout sends audio: the synchronous outbound side of a call transport (`runtime/transports`), so a
 * barge-in pauses and clears in the same tick as the frame that triggered it.
 */
export interface AudioSink {
  /** Sample rate of the frames, Hz. */
  readonly sampleRate: number;
  /** Sends one frame (20 ms). The frame may be a view into playout's buffer: copy or encode what you keep. */
  sendAudio(frame: Pcm16): void;
  /** Drops audio sent but not yet played by the far end (Twilio `clear`). */
  clear(): void;
  /** Asks to be told (see `CallTransport.listen`) when the audio sent so far has been played. */
  mark(name: string): void;
  /** Milliseconds of audio sent but not yet played by the far end. */
  bufferedMs(): number;
  /**
   * The far end reports every mark played: playout then marks each frame and takes the heard position from
   * the reports ({@link Playout.notePlayed}) instead of estimating it from `bufferedMs()`.
   */
  readonly reportsPlayback?: boolean;
}

/** What playout reports to its owner. */
export interface PlayoutHooks {
  /** The first frame of an utterance went out. */
  onFirstFrame(utteranceId: number): void;
  /** Every frame of a complete utterance has been sent. */
  onDrained(utteranceId: number): void;
  /**
   * Each frame just handed to the transport, as sent (gain and fade applied): the echo reference. Called
   * synchronously; the frame may be a view into playout's buffer, so copy what you keep.
   */
  onFrameSent?(frame: Int16Array): void;
  /** The utterance ran out of audio before its voice said it was done (a stalled stream). */
  onStarved?(): void;
  /** Audio came again after `onStarved`. */
  onFed?(): void;
}

/** What a played report meant for the current utterance. */
export type PlayedOutcome = 'progress' | 'end' | 'ignored';

/**
 * Paced, cancellable playout of agent speech: one 20 ms frame per clock tick to the transport, with
 * pause/resume (nothing repeated, nothing lost), duck, and cut at a word boundary with a short fade.
 * Tracks the character alignment of the utterance so the session can tell exactly which words were heard.
 *
 * All control methods are synchronous: the barge-in path calls `pause()` in the same tick as the frame
 * that triggered it.
 */
export class Playout {
  private readonly frameSamples: number;
  private utteranceId = 0;
  private samples: Int16Array = new Int16Array(0);
  private length = 0;
  /** Next sample to send. */
  private position = 0;
  /** Samples after which nothing is sent (set by a cut). */
  private stopAt = Infinity;
  private fadeSamples = 0;
  private text = '';
  private words: TimedWord[] = [];
  private pendingWord: { text: string; startMs: number; charStart: number } | undefined;
  private alignedMs = 0;
  private inputComplete = false;
  private paused = false;
  private gain = 1;
  private firstFrameSent = false;
  private timer: unknown;
  private nextTickAt = 0;
  /** Samples of this utterance the far end reported played (marks echoed, not dropped). */
  private confirmedSamples = 0;
  private starved = false;

  constructor(
    private readonly clock: Clock,
    private readonly transport: AudioSink,
    private readonly hooks: PlayoutHooks,
  ) {
    this.frameSamples = samplesPerFrame(transport.sampleRate);
  }

  /** Starts a new utterance, dropping whatever was left of the previous one. Returns its id. */
  begin(): number {
    this.stopTimer();
    this.utteranceId++;
    this.samples = new Int16Array(this.frameSamples * 50);
    this.length = 0;
    this.position = 0;
    this.stopAt = Infinity;
    this.fadeSamples = 0;
    this.text = '';
    this.words = [];
    this.pendingWord = undefined;
    this.alignedMs = 0;
    this.inputComplete = false;
    this.paused = false;
    this.gain = 1;
    this.firstFrameSent = false;
    this.confirmedSamples = 0;
    this.starved = false;
    return this.utteranceId;
  }

  /** Appends synthesised audio (and its alignment) to the current utterance and starts sending if idle. */
  append(pcm: Pcm16, alignment?: CharAlignment): void {
    if (this.length + pcm.length > this.samples.length) {
      const grown = new Int16Array(Math.max(this.samples.length * 2, this.length + pcm.length));
      grown.set(this.samples.subarray(0, this.length));
      this.samples = grown;
    }
    const chunkStartMs = samplesToMs(this.length, this.transport.sampleRate);
    this.samples.set(pcm, this.length);
    this.length += pcm.length;
    if (alignment) this.addAlignment(alignment, chunkStartMs);
    if (this.starved) {
      this.starved = false;
      this.hooks.onFed?.();
    }
    this.ensureTicking();
  }

  /** No more audio will come for this utterance: drained once the rest is sent. */
  complete(): void {
    if (this.pendingWord) this.closeWord(this.alignedMs);
    this.inputComplete = true;
    this.ensureTicking();
    this.checkDrained();
  }

  /**
   * Stops sending at once. Audio the transport has buffered but not played is cleared and will be sent again
   * on resume, so the caller hears every word once.
   */
  pause(): void {
    if (this.paused) return;
    this.stopTimer();
    this.flushTransport();
    this.paused = true;
  }

  /**
   * Clears the transport's unplayed audio (Twilio `clear`) and rewinds to what the caller heard, so anything
   * still to be played (a resume, a word-boundary tail) is sent again rather than lost.
   */
  flushTransport(): void {
    const bufferedSamples = this.paused ? 0 : msToSamples(this.transport.bufferedMs(), this.transport.sampleRate);
    this.transport.clear();
    // Where the far end reports playback, what it confirmed is what was heard; the rest is sent again.
    if (this.transport.reportsPlayback && !this.paused) this.position = Math.min(this.position, this.confirmedSamples);
    else this.position = Math.max(0, this.position - bufferedSamples);
  }

  /**
   * The far end reached a mark playout asked for. A frame mark (`<utterance>:<sample>`) not dropped advances
   * the heard position; the end mark (`<utterance>:end`) played means the whole utterance was heard. Marks of
   * earlier utterances, and dropped ones, change nothing.
   */
  notePlayed(mark: string, dropped: boolean): PlayedOutcome {
    const colon = mark.indexOf(':');
    if (colon < 0 || Number(mark.slice(0, colon)) !== this.utteranceId || dropped) return 'ignored';
    const at = mark.slice(colon + 1);
    if (at === 'end') return 'end';
    const samples = Number(at);
    if (Number.isFinite(samples) && samples > this.confirmedSamples) this.confirmedSamples = samples;
    return 'progress';
  }

  /** Continues from where `pause()` left off. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.gain = 1;
    this.ensureTicking();
  }

  /** Keeps playing at `gainDb` (negative) until `resume()` or a cut. */
  duck(gainDb: number): void {
    this.gain = Math.pow(10, gainDb / 20);
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * Cuts the utterance. `word-boundary`: when playing, finish the current word if it ends within
   * `maxWordTailMs`, else stop now; when paused, stop where it paused. Fades the last `fadeMs` out.
   * Returns the position (ms into the utterance) the caller will have heard up to. Follow with
   * `flushTransport()` to drop what the transport buffered beyond it.
   */
  cut(options: { readonly at: 'word-boundary' | 'immediate'; readonly maxWordTailMs: number; readonly fadeMs: number }): number {
    const heardNow = this.heardPositionMs();
    let stopMs = heardNow;
    if (!this.paused && options.at === 'word-boundary') {
      const word = this.words.find((w) => w.startMs < heardNow && w.endMs > heardNow) ?? this.pendingIfSpeaking(heardNow);
      if (word && word.endMs - heardNow <= options.maxWordTailMs) stopMs = word.endMs;
    }
    if (stopMs <= heardNow) {
      // Nothing more to play; what the transport still holds beyond `heardNow` goes with `flushTransport()`.
      this.stopAt = Math.min(this.length, msToSamples(heardNow, this.transport.sampleRate));
      this.stopTimer();
    } else {
      this.stopAt = Math.min(this.length, msToSamples(stopMs, this.transport.sampleRate));
      this.fadeSamples = msToSamples(options.fadeMs, this.transport.sampleRate);
      this.paused = false;
      this.ensureTicking();
    }
    this.inputComplete = true;
    return stopMs;
  }

  /** Milliseconds of this utterance the caller has heard by now (sent minus what the transport still buffers). */
  heardPositionMs(): number {
    if (this.transport.reportsPlayback) return samplesToMs(this.confirmedSamples, this.transport.sampleRate);
    const sentMs = samplesToMs(this.position, this.transport.sampleRate);
    return this.paused ? sentMs : Math.max(0, sentMs - this.transport.bufferedMs());
  }

  /**
   * Characters of the utterance text covered by the words completely heard up to `positionMs`: the end of the
   * last such word, 0 before any. Scans back from the newest aligned word (playback trails the alignment by
   * a chunk at most), with no allocation: meters ask for this ten times a second per call.
   */
  heardCharCount(positionMs: number): number {
    for (let i = this.words.length - 1; i >= 0; i--) {
      const word = this.words[i]!;
      if (word.endMs <= positionMs + 1) return word.charEnd;
    }
    return 0;
  }

  /** The part of `text` (the utterance's text) made of the words completely heard by `positionMs`. */
  heardPrefix(text: string, positionMs: number): string {
    return text.slice(0, this.heardCharCount(positionMs));
  }

  /** Audio of the current utterance received so far, ms (all of it once the voice is done). */
  get voicedMs(): number {
    return samplesToMs(this.length, this.transport.sampleRate);
  }

  /** Every word aligned so far for the current utterance. */
  get alignedWords(): readonly TimedWord[] {
    return this.words;
  }

  /** Stops everything (call over). */
  stop(): void {
    this.stopTimer();
    this.stopAt = this.position;
  }

  private pendingIfSpeaking(atMs: number): TimedWord | undefined {
    const p = this.pendingWord;
    return p && p.startMs < atMs ? { text: p.text, startMs: p.startMs, endMs: this.alignedMs, charStart: p.charStart, charEnd: p.charStart + p.text.length } : undefined;
  }

  private addAlignment(alignment: CharAlignment, chunkStartMs: number): void {
    for (let i = 0; i < alignment.chars.length; i++) {
      const ch = alignment.chars[i]!;
      const start = chunkStartMs + alignment.startMs[i]!;
      const end = start + alignment.durationMs[i]!;
      if (isSpace(ch)) {
        if (this.pendingWord) this.closeWord(start);
      } else if (isCjk(ch)) {
        // Chinese and Japanese have no spaces: each character is a unit the caller hears (and a cut point).
        if (this.pendingWord) this.closeWord(start);
        this.pendingWord = { text: ch, startMs: start, charStart: this.text.length };
        this.text += ch;
        this.alignedMs = end;
        this.closeWord(end);
        continue;
      } else if (this.pendingWord) {
        this.pendingWord.text += ch;
      } else {
        this.pendingWord = { text: ch, startMs: start, charStart: this.text.length };
      }
      this.text += ch;
      this.alignedMs = end;
    }
  }

  private closeWord(endMs: number): void {
    const p = this.pendingWord!;
    this.words.push({ text: p.text, startMs: p.startMs, endMs, charStart: p.charStart, charEnd: p.charStart + p.text.length });
    this.pendingWord = undefined;
  }

  private ensureTicking(): void {
    if (this.timer !== undefined || this.paused) return;
    if (this.position >= Math.min(this.length, this.stopAt)) return;
    // Send the first frame now (no added latency), then pace on the clock.
    this.nextTickAt = this.clock.now();
    this.tick();
  }

  private tick(): void {
    this.timer = undefined;
    if (this.paused) return;
    const end = Math.min(this.length, this.stopAt);
    if (this.position >= end) {
      if (!this.inputComplete && this.firstFrameSent && !this.starved) {
        this.starved = true;
        this.hooks.onStarved?.();
      }
      this.checkDrained();
      return;
    }
    const n = Math.min(this.frameSamples, end - this.position);
    const plain = n === this.frameSamples && this.gain === 1 && this.fadeSamples === 0;
    // Zero-copy for the common case; transports copy or encode what they keep.
    const frame = plain ? this.samples.subarray(this.position, this.position + n) : new Int16Array(this.frameSamples);
    if (!plain) {
      frame.set(this.samples.subarray(this.position, this.position + n));
      this.applyGainAndFade(frame, n, end);
    }
    this.position += n;
    this.transport.sendAudio(frame);
    if (this.transport.reportsPlayback) this.transport.mark(`${this.utteranceId}:${this.position}`);
    this.hooks.onFrameSent?.(frame);
    if (!this.firstFrameSent) {
      this.firstFrameSent = true;
      this.hooks.onFirstFrame(this.utteranceId);
    }
    this.nextTickAt += FRAME_MS;
    const delay = Math.max(0, this.nextTickAt - this.clock.now());
    this.timer = this.clock.setTimeout(() => this.tick(), delay);
  }

  private applyGainAndFade(frame: Int16Array, n: number, end: number): void {
    const fadeStart = this.stopAt === end && this.fadeSamples > 0 ? end - this.fadeSamples : Infinity;
    if (this.gain === 1 && this.position + n <= fadeStart) return;
    for (let i = 0; i < n; i++) {
      const abs = this.position + i;
      const fade = abs >= fadeStart ? Math.max(0, (end - abs) / this.fadeSamples) : 1;
      frame[i] = Math.round(frame[i]! * this.gain * fade);
    }
  }

  private checkDrained(): void {
    if (!this.inputComplete || this.timer !== undefined || this.paused) return;
    if (this.position >= Math.min(this.length, this.stopAt)) {
      const id = this.utteranceId;
      this.inputComplete = false; // report once
      // The far end tells when it has played the whole utterance (a goodbye before the hang-up).
      this.transport.mark(`${id}:end`);
      this.hooks.onDrained(id);
    }
  }

  private stopTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** Whitespace test without a regular expression (runs per aligned character). */
function isSpace(ch: string): boolean {
  const c = ch.charCodeAt(0);
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 0xa0;
}

/** Chinese/Japanese characters (kana, CJK unified ideographs, compatibility ideographs). */
function isCjk(ch: string): boolean {
  const c = ch.charCodeAt(0);
  return (c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff);
}
