/**
 * Recorded audio for simulated calls: a real person's voice played as a caller line, or a room's ambience
 * looped as the line's noise (scenario `say` + `audio`, `channel.noise.type: recording`). Files are 16-bit
 * PCM WAV at a rate the resampler takes (8, 16, 24 or 48 kHz); stereo is mixed down to mono.
 *
 * Where a recording's speech is, and how loud it is, comes from its energy alone, by a rule simple enough to
 * state in the scenario reference: the same file always gives the same runs, the same level and so the same
 * word timings for the simulated recogniser.
 */
import { readFileSync } from 'node:fs';
import { FRAME_MS, samplesPerFrame } from './frames.js';
import { resample, SUPPORTED_SAMPLE_RATES } from './resampler.js';
import { readWav, readWavFile, type WavAudio } from './wav.js';

/** A run of speech in a recording: [startMs, endMs) from its first sample. */
export interface VoicedRun {
  readonly startMs: number;
  readonly endMs: number;
}

/** A voiced frame is within this many dB of the recording's loudest 20 ms frame... */
export const VOICED_BELOW_PEAK_DB = 30;
/** ...and at least this many dB above its floor (the 10th percentile of frame levels: the room between words). */
export const VOICED_ABOVE_FLOOR_DB = 12;
/** Quieter stretches shorter than this inside speech (stops, breaths between words) do not split a run, in ms. */
export const VOICED_BRIDGE_MS = 500;
/** Voiced stretches shorter than this (a click, a knock) are not speech, in ms. */
export const VOICED_MIN_MS = 60;

/**
 * Why a recording cannot be used, or undefined when it can: it is missing, not a 16-bit PCM WAV, at a rate
 * the resampler does not take, or empty. Reads the whole file (recordings for scenarios are small).
 */
export function recordingProblem(path: string): string | undefined {
  let audio: WavAudio;
  try {
    audio = readWav(readFileSync(path), path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `recording not found: ${path}` : (error as Error).message;
  }
  if (!SUPPORTED_SAMPLE_RATES.includes(audio.sampleRate)) {
    return `${path} is sampled at ${audio.sampleRate} Hz; recordings must be 8000, 16000, 24000 or 48000 Hz (convert with \`sox in.wav -r 16000 out.wav\`)`;
  }
  if ((audio.channels[0]?.length ?? 0) < samplesPerFrame(audio.sampleRate)) return `${path} holds less than ${FRAME_MS} ms of audio`;
  return undefined;
}

/** Reads a recording as mono 16-bit PCM at `sampleRate` (channels averaged, then resampled). Throws with the file's problem. */
export async function readRecording(path: string, sampleRate: number): Promise<Int16Array> {
  const problem = recordingProblem(path);
  if (problem) throw new Error(problem);
  const audio = await readWavFile(path);
  const mono = mixDown(audio.channels);
  return audio.sampleRate === sampleRate ? mono : resample(mono, { fromRate: audio.sampleRate, toRate: sampleRate });
}

function mixDown(channels: readonly Int16Array[]): Int16Array {
  if (channels.length === 1) return channels[0]!;
  const out = new Int16Array(channels[0]!.length);
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (const c of channels) sum += c[i] ?? 0;
    out[i] = Math.round(sum / channels.length);
  }
  return out;
}

/** Level of each whole 20 ms frame, in dB of mean power (full scale 0 dB; digital silence -120). */
function frameLevels(pcm: Int16Array, sampleRate: number): number[] {
  const n = samplesPerFrame(sampleRate);
  const levels: number[] = [];
  for (let at = 0; at + n <= pcm.length; at += n) {
    let sum = 0;
    for (let i = at; i < at + n; i++) sum += pcm[i]! * pcm[i]!;
    levels.push(sum === 0 ? -120 : 10 * Math.log10(sum / n / 32768 ** 2));
  }
  return levels;
}

/**
 * Where a recording's speech is, from its energy: 20 ms frames within {@link VOICED_BELOW_PEAK_DB} of the
 * loudest frame and {@link VOICED_ABOVE_FLOOR_DB} above the floor (the 10th percentile of frame levels) are
 * voiced; voiced stretches closer than {@link VOICED_BRIDGE_MS} are joined, and runs shorter than
 * {@link VOICED_MIN_MS} dropped. Deterministic. Empty for a recording with no such frame.
 */
export function voicedRuns(pcm: Int16Array, sampleRate: number): VoicedRun[] {
  const levels = frameLevels(pcm, sampleRate);
  if (levels.length === 0) return [];
  const sorted = [...levels].sort((a, b) => a - b);
  const floor = sorted[Math.floor(0.1 * (sorted.length - 1))]!;
  const threshold = Math.max(sorted[sorted.length - 1]! - VOICED_BELOW_PEAK_DB, floor + VOICED_ABOVE_FLOOR_DB);
  const runs: Array<{ startMs: number; endMs: number }> = [];
  levels.forEach((level, i) => {
    if (level < threshold) return;
    const last = runs[runs.length - 1];
    if (last && i * FRAME_MS - last.endMs < VOICED_BRIDGE_MS) last.endMs = (i + 1) * FRAME_MS;
    else runs.push({ startMs: i * FRAME_MS, endMs: (i + 1) * FRAME_MS });
  });
  return runs.filter((r) => r.endMs - r.startMs >= VOICED_MIN_MS);
}

/**
 * Active speech level of a recording, in dBFS RMS: the mean power of its voiced runs (what ITU-T P.56 calls
 * the active level, on the runs of {@link voicedRuns}); the whole recording's RMS when it has none.
 */
export function activeLevelDbfs(pcm: Int16Array, sampleRate: number, runs: readonly VoicedRun[]): number {
  const spans = runs.length ? runs : [{ startMs: 0, endMs: (pcm.length * 1000) / sampleRate }];
  let sum = 0;
  let count = 0;
  for (const run of spans) {
    const end = Math.min(pcm.length, Math.round((run.endMs * sampleRate) / 1000));
    for (let i = Math.round((run.startMs * sampleRate) / 1000); i < end; i++) sum += pcm[i]! * pcm[i]!;
    count += Math.max(0, end - Math.round((run.startMs * sampleRate) / 1000));
  }
  return sum === 0 ? -120 : 10 * Math.log10(sum / count / 32768 ** 2);
}

/** RMS level of a whole recording, in dBFS (0 dBFS: a full-scale square wave, as `levelDbfs`). */
export function rmsLevelDbfs(pcm: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += pcm[i]! * pcm[i]!;
  return sum === 0 ? -120 : 20 * Math.log10(Math.sqrt(sum / pcm.length) / 32768);
}

/** `pcm` scaled by `gainDb`, clipped to 16 bits. */
export function applyGain(pcm: Int16Array, gainDb: number): Int16Array {
  const gain = 10 ** (gainDb / 20);
  const out = new Int16Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) {
    const s = Math.round(pcm[i]! * gain);
    out[i] = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
  }
  return out;
}
