/**
 * Recordings in simulated calls: a real person's line with its transcript timed for the simulated recogniser
 * (a `say` step with `audio`), and a room's ambience looped as the line's noise (`type: recording`).
 */
import { activeLevelDbfs, applyGain, rmsLevelDbfs, voicedRuns, type VoicedRun } from '../audio/recordings.js';
import type { CallerLine } from './caller-voice.js';

/** Length of the cross-fade where a looped recording meets its own start, in ms: no click at the seam. */
export const LOOP_CROSSFADE_MS = 50;

/**
 * Times the words of `text` over the voiced runs of a recording: the runs are laid end to end, each word
 * takes a share of that voiced time in proportion to its letters and digits (at least one), in order, and a
 * word that would straddle a gap between runs is kept whole in the run that holds its middle. Deterministic.
 * With no voiced run the words are spread over the whole recording (`totalMs`).
 */
export function spreadWords(text: string, runs: readonly VoicedRun[], totalMs: number): CallerLine['words'] {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const spans = runs.length ? runs : [{ startMs: 0, endMs: totalMs }];
  const voicedMs = spans.reduce((sum, r) => sum + (r.endMs - r.startMs), 0);
  const weights = words.map((w) => Math.max(1, w.replace(/[^\p{L}\p{N}]/gu, '').length));
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  /** Voiced time (ms from the first run's start, gaps removed) -> the run it falls in and the recording's time. */
  const place = (voiced: number): { run: number; ms: number } => {
    let left = voiced;
    for (let i = 0; i < spans.length; i++) {
      const length = spans[i]!.endMs - spans[i]!.startMs;
      if (left <= length || i === spans.length - 1) return { run: i, ms: spans[i]!.startMs + Math.min(left, length) };
      left -= length;
    }
    return { run: 0, ms: 0 };
  };
  let before = 0;
  return words.map((word, i) => {
    const from = (before / totalWeight) * voicedMs;
    before += weights[i]!;
    const to = (before / totalWeight) * voicedMs;
    const home = spans[place((from + to) / 2).run]!;
    const start = place(from);
    const end = place(to);
    return {
      text: word,
      startMs: Math.max(home.startMs, Math.min(start.ms, home.endMs)),
      endMs: Math.min(home.endMs, Math.max(end.ms, home.startMs)),
    };
  });
}

/**
 * A caller line from a recording of `text`: scaled so its active speech level (over its voiced runs) is
 * `levelDbfs`, with the words timed by {@link spreadWords}.
 */
export function recordedLine(pcm: Int16Array, sampleRate: number, text: string, levelDbfs: number): CallerLine {
  const runs = voicedRuns(pcm, sampleRate);
  const scaled = applyGain(pcm, levelDbfs - activeLevelDbfs(pcm, sampleRate, runs));
  return { pcm: scaled, words: spreadWords(text, runs, (pcm.length * 1000) / sampleRate) };
}

/** A looped recording as line noise: fills frames with it, the level set on the whole recording's RMS. */
export interface LoopedNoise {
  /** Writes the next `output.length` samples into `output`, in 16-bit units, neither rounded nor clipped. */
  fill(output: Float32Array): void;
}

/**
 * Loops `pcm` as background noise at `levelDbfs` RMS (measured over the whole recording), starting
 * `startAt` samples in (taken modulo its length), with a {@link LOOP_CROSSFADE_MS} cross-fade where the end
 * meets the start. Allocates the loop once; `fill` allocates nothing.
 */
export function createLoopedNoise(pcm: Int16Array, options: { readonly sampleRate: number; readonly levelDbfs: number; readonly startAt: number }): LoopedNoise {
  const fade = Math.min(Math.floor((LOOP_CROSSFADE_MS * options.sampleRate) / 1000), Math.floor(pcm.length / 2));
  const length = pcm.length - fade;
  const gain = 10 ** ((options.levelDbfs - rmsLevelDbfs(pcm)) / 20);
  const loop = new Float32Array(length);
  for (let i = 0; i < length; i++) loop[i] = pcm[i]! * gain;
  // The loop's first `fade` samples blend in the recording's last ones, so the step from loop[length - 1]
  // (sample length - 1) to loop[0] (mostly sample length) is one sample of the recording, not a jump.
  for (let i = 0; i < fade; i++) {
    const w = i / fade;
    loop[i] = (pcm[i]! * w + pcm[length + i]! * (1 - w)) * gain;
  }
  let at = length > 0 ? Math.abs(Math.floor(options.startAt)) % length : 0;
  return {
    fill(output) {
      if (length === 0) {
        output.fill(0);
        return;
      }
      for (let i = 0; i < output.length; i++) {
        output[i] = loop[at]!;
        if (++at === length) at = 0;
      }
    },
  };
}
