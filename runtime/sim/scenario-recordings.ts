/**
 * The recordings a scenario plays, read once before the call (the line is driven synchronously, 20 ms at a
 * time, so nothing is read mid-call): `say` steps' `audio`, and recorded noise in `channel.noise` and
 * `setNoise` steps, each as mono samples at the line's rate.
 */
import { statSync } from 'node:fs';
import { readRecording } from '../audio/recordings.js';
import type { LineNoise } from './channel.js';
import type { LineNoiseSpec, Scenario } from './scenario.js';

/** Samples of each recording a scenario plays, by absolute path, at one sample rate. */
export type RecordingSamples = ReadonlyMap<string, Int16Array>;

/**
 * Recordings already read, by path, rate, size and modification time: a benchmark runs hundreds of calls over
 * the same few files. The samples are never written to (lines and loops are made from copies).
 */
const cache = new Map<string, Promise<Int16Array>>();

function read(file: string, sampleRate: number): Promise<Int16Array> {
  let stamp = '';
  try {
    const stat = statSync(file);
    stamp = `${stat.size}:${stat.mtimeMs}`;
  } catch {
    return readRecording(file, sampleRate); // missing: let it say so
  }
  const key = `${file}@${sampleRate}@${stamp}`;
  let samples = cache.get(key);
  if (!samples) {
    samples = readRecording(file, sampleRate);
    samples.catch(() => cache.delete(key));
    cache.set(key, samples);
  }
  return samples;
}

/** Reads every recording `scenario` plays at `sampleRate` (see `readRecording`). Throws with the file's problem. */
export async function loadScenarioRecordings(scenario: Scenario, sampleRate: number): Promise<RecordingSamples> {
  const files = new Set<string>();
  if (scenario.channel.noise?.type === 'recording') files.add(scenario.channel.noise.file);
  for (const step of scenario.script) {
    if (step.kind === 'say' && step.audio !== undefined) files.add(step.audio);
    if (step.kind === 'set-noise' && step.noise.type === 'recording') files.add(step.noise.file);
  }
  const out = new Map<string, Int16Array>();
  for (const file of files) out.set(file, await read(file, sampleRate));
  return out;
}

/** A scenario's noise as the channel takes it: a recording's samples in place of its path. */
export function lineNoiseOf(spec: LineNoiseSpec | undefined, recordings: RecordingSamples): LineNoise | undefined {
  if (!spec || spec.type !== 'recording') return spec;
  const samples = recordings.get(spec.file);
  if (!samples) throw new Error(`the recording ${spec.file} was not loaded before the call; load it with loadScenarioRecordings()`);
  return { type: 'recording', samples, snrDb: spec.snrDb };
}

/** The samples of one loaded recording (a `say` step's `audio`). */
export function recordingOf(recordings: RecordingSamples): (file: string) => Int16Array {
  return (file) => {
    const samples = recordings.get(file);
    if (!samples) throw new Error(`the recording ${file} was not loaded before the call; load it with loadScenarioRecordings()`);
    return samples;
  };
}
