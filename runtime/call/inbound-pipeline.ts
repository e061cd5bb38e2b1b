import type { EchoHandler } from '../audio/echo.js';
import { FRAME_MS } from '../audio/frames.js';
import type { Vad } from '../audio/vad.js';

/** Speech hangover: silence needed before caller speech is declared over, in milliseconds. */
export const SPEECH_END_HANGOVER_MS = 120;

/** What the inbound pipeline reports; each method is called synchronously from `pushFrame`. */
export interface InboundHooks {
  /** Speech confirmed (after `minSpeechMs`); `onsetMs` is the audio time of its first speech frame. */
  onSpeechStart(onsetMs: number): void;
  /**
   * The current onset's speech reached a milestone: `speechMs` is the speech since this onset (its run, gaps
   * shorter than the hangover included), not the utterance's total, so earlier noise never uses a step up.
   */
  onSpeechMilestone(speechMs: number): void;
  /** Speech stopped; `lastSpeechMs` is the audio time at the end of the last speech frame. */
  onSpeechEnd(lastSpeechMs: number): void;
}

/** Tuning of the pipeline, from the agent's `turnTaking.vad`. */
export interface InboundOptions {
  readonly threshold: number;
  readonly minSpeechMs: number;
  /** Speech per onset at which `onSpeechMilestone` fires (from the compiled agent), once each per onset. */
  readonly milestonesMs: readonly number[];
  /**
   * Echo handling (the agent's `echo`), applied before the VAD: the VAD judges the frame it returns, and a
   * frame it cannot tell from our own echo never counts as speech. None: every frame is trusted.
   */
  readonly echo?: EchoHandler;
}

/**
 * Per-frame caller audio analysis: echo handling -> VAD -> onset/offset with hysteresis -> speech-duration milestones.
 * Milestones measure the current onset's run: each onset (speech after the hangover's silence) re-arms them, so
 * a barge-in attempt's pause step is reached on its own speech, whatever noise came before in the utterance.
 * Time is audio time (frames x 20 ms), so decisions do not depend on network jitter.
 *
 * Per-frame cost is one VAD call and a few comparisons; nothing allocates.
 */
export class InboundPipeline {
  private audioMs = 0;
  private speaking = false;
  private runMs = 0;
  private runStartMs = 0;
  private silenceMs = 0;
  private lastSpeechEndMs = 0;
  /** Speech accumulated in the current utterance (reset by `resetUtterance`); confirmation reads it. */
  private utteranceSpeechMs = 0;
  private nextMilestone = 0;

  constructor(
    private readonly vad: Vad,
    private readonly options: InboundOptions,
    private readonly hooks: InboundHooks,
  ) {}

  /** Audio time processed so far, in milliseconds. */
  get nowMs(): number {
    return this.audioMs;
  }

  /** Speech in the current utterance, in milliseconds. */
  get speechMs(): number {
    return this.utteranceSpeechMs;
  }

  get isSpeaking(): boolean {
    return this.speaking;
  }

  /** Starts counting speech for a new utterance (after a turn is committed or discarded); re-arms the milestones. */
  resetUtterance(): void {
    this.utteranceSpeechMs = this.speaking ? this.runMs : 0;
    this.nextMilestone = 0;
  }

  /**
   * The current run was judged no interruption while it goes on (a false pause timed out over continuing noise):
   * its remaining milestones do not fire, so the same noise cannot pause playout again. The next onset re-arms them.
   */
  settleRun(): void {
    if (this.speaking) this.nextMilestone = this.options.milestonesMs.length;
  }

  /** Processes one 20 ms frame. */
  pushFrame(frame: Int16Array): void {
    const echo = this.options.echo?.process(frame);
    // The VAD sees every frame (it keeps state), echo or not; the echo verdict can only veto its decision.
    const isSpeech = this.vad.speechProbability(echo ? echo.frame : frame) >= this.options.threshold && (echo?.speechAllowed ?? true);
    const frameStart = this.audioMs;
    this.audioMs += FRAME_MS;
    if (isSpeech) {
      this.silenceMs = 0;
      if (this.runMs === 0) this.runStartMs = frameStart;
      this.runMs += FRAME_MS;
      this.lastSpeechEndMs = this.audioMs;
      if (!this.speaking && this.runMs >= this.options.minSpeechMs) {
        this.speaking = true;
        this.utteranceSpeechMs += this.runMs;
        // A new onset: its own speech must reach each milestone (the previous one's was decided, or was noise).
        this.nextMilestone = 0;
        this.hooks.onSpeechStart(this.runStartMs);
        this.checkMilestones();
      } else if (this.speaking) {
        this.utteranceSpeechMs += FRAME_MS;
        this.checkMilestones();
      }
      return;
    }
    if (!this.speaking) {
      this.runMs = 0;
      return;
    }
    this.silenceMs += FRAME_MS;
    if (this.silenceMs >= SPEECH_END_HANGOVER_MS) {
      this.speaking = false;
      this.runMs = 0;
      this.hooks.onSpeechEnd(this.lastSpeechEndMs);
    }
  }

  private checkMilestones(): void {
    const milestones = this.options.milestonesMs;
    while (this.nextMilestone < milestones.length && this.runMs >= milestones[this.nextMilestone]!) {
      this.hooks.onSpeechMilestone(this.runMs);
      this.nextMilestone++;
    }
  }
}
