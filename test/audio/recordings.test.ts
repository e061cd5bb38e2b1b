/*
 * Recorded audio for simulated calls: where a real speaker's speech is, found from energy alone (it must
 * land on the runs `scenarios/recordings/NOTICE.md` gives for the JFK clip, whatever the line's rate), how
 * loud it is, and which files can be played at all.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { activeLevelDbfs, applyGain, readRecording, recordingProblem, rmsLevelDbfs, voicedRuns } from '../../runtime/audio/recordings.js';
import { writeWav } from '../../runtime/audio/wav.js';
import { packageRoot } from '../../runtime/util/package-root.js';

const RECORDINGS = join(packageRoot(), 'scenarios', 'recordings');
/** The JFK clip's speech, by hand from its energy envelope (NOTICE.md), seconds. */
const JFK_RUNS_S = [[0.3, 2.2], [3.2, 4.45], [5.4, 7.8], [8.1, 10.9]];

/** A tone of `ms` at `dbfs` RMS (a sine's RMS is its amplitude / sqrt 2). */
function tone(ms: number, dbfs: number, sampleRate = 8000): Int16Array {
  const amplitude = 32768 * 10 ** (dbfs / 20) * Math.SQRT2;
  return Int16Array.from({ length: (ms * sampleRate) / 1000 }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * 440 * i) / sampleRate)));
}

describe('voicedRuns', () => {
  it.each([16000, 8000])('finds the four phrases of the JFK clip at %i Hz, within 0.35 s of the hand-set runs', async (rate) => {
    const runs = voicedRuns(await readRecording(join(RECORDINGS, 'jfk.wav'), rate), rate);
    expect(runs).toHaveLength(4);
    runs.forEach((run, i) => {
      expect(Math.abs(run.startMs / 1000 - JFK_RUNS_S[i]![0]!)).toBeLessThan(0.35);
      expect(Math.abs(run.endMs / 1000 - JFK_RUNS_S[i]![1]!)).toBeLessThan(0.35);
    });
  });

  it('joins gaps under 500 ms, splits longer ones, and finds nothing in silence', () => {
    const quiet = new Int16Array(8000 * 0.45);
    const longQuiet = new Int16Array(8000 * 0.8);
    const speech = tone(300, -20);
    const signal = Int16Array.from([...quiet, ...speech, ...quiet, ...speech, ...longQuiet, ...speech, ...quiet]);
    expect(voicedRuns(signal, 8000)).toEqual([{ startMs: 440, endMs: 1500 }, { startMs: 2300, endMs: 2600 }]);
    expect(voicedRuns(new Int16Array(8000), 8000)).toEqual([]);
  });
});

describe('levels', () => {
  it('measures the active level over the voiced runs only, and the RMS over everything', () => {
    const signal = Int16Array.from([...new Int16Array(8000), ...tone(1000, -20)]);
    const runs = voicedRuns(signal, 8000);
    expect(activeLevelDbfs(signal, 8000, runs)).toBeCloseTo(-20, 1);
    expect(rmsLevelDbfs(signal)).toBeCloseTo(-23, 0);
    expect(rmsLevelDbfs(applyGain(signal, -6))).toBeCloseTo(-29, 0);
  });
});

describe('recordingProblem and readRecording', () => {
  const dir = mkdtempSync(join(tmpdir(), 'voiceagent-recording-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts the shipped recordings, and says what is wrong with others', () => {
    for (const name of ['jfk', 'office-ambience', 'keyboard-typing']) expect(recordingProblem(join(RECORDINGS, `${name}.wav`))).toBeUndefined();
    expect(recordingProblem(join(dir, 'missing.wav'))).toBe(`recording not found: ${join(dir, 'missing.wav')}`);
    writeFileSync(join(dir, 'odd.wav'), writeWav({ sampleRate: 22050, channels: [new Int16Array(22050)] }));
    expect(recordingProblem(join(dir, 'odd.wav'))).toContain('is sampled at 22050 Hz; recordings must be 8000, 16000, 24000 or 48000 Hz');
    writeFileSync(join(dir, 'empty.wav'), writeWav({ sampleRate: 8000, channels: [new Int16Array(10)] }));
    expect(recordingProblem(join(dir, 'empty.wav'))).toContain('holds less than 20 ms of audio');
  });

  it('mixes stereo down and resamples to the line rate', async () => {
    const left = tone(1000, -20, 16000);
    writeFileSync(join(dir, 'stereo.wav'), writeWav({ sampleRate: 16000, channels: [left, new Int16Array(left.length)] }));
    const pcm = await readRecording(join(dir, 'stereo.wav'), 8000);
    expect(pcm.length).toBe(8000);
    expect(rmsLevelDbfs(pcm.subarray(400, 7600))).toBeCloseTo(-26, 0); // half of one channel: -6 dB
  });
});
