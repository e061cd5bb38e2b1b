/*
 * Recordings in simulated calls. A real voice's transcript is timed over the recording's voiced runs, so the
 * simulated recogniser reveals each word while it is being said and the caller's speech end is where the
 * speech ends; a recorded room is looped at a stated SNR without a click where it wraps; and the line's noise
 * can change mid-call (a `setNoise` step), each change on its own seed stream.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { levelDbfs } from '../../runtime/audio/frames.js';
import { readRecording, rmsLevelDbfs, voicedRuns } from '../../runtime/audio/recordings.js';
import { createChannel, NOMINAL_SPEECH_DBFS } from '../../runtime/sim/channel.js';
import { createLoopedNoise, recordedLine, spreadWords } from '../../runtime/sim/recorded-audio.js';
import { packageRoot } from '../../runtime/util/package-root.js';

const RECORDINGS = join(packageRoot(), 'scenarios', 'recordings');
const JFK = 'And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.';

describe('spreadWords', () => {
  const runs = [{ startMs: 300, endMs: 2100 }, { startMs: 3300, endMs: 4300 }];

  it('keeps every word inside one run, in order, sharing the voiced time by letters', () => {
    const words = spreadWords('aa bbbb, cc dddd eeee', runs, 5000);
    expect(words.map((w) => w.text)).toEqual(['aa', 'bbbb,', 'cc', 'dddd', 'eeee']);
    for (const w of words) expect(runs.some((r) => w.startMs >= r.startMs && w.endMs <= r.endMs && w.endMs > w.startMs)).toBe(true);
    for (let i = 1; i < words.length; i++) expect(words[i]!.startMs).toBeGreaterThanOrEqual(words[i - 1]!.endMs);
    // 16 letters over 2800 ms of voiced time: 175 ms a letter; "bbbb," counts its 4 letters, not the comma.
    expect(words[0]).toEqual({ text: 'aa', startMs: 300, endMs: 650 });
    expect(words[1]).toEqual({ text: 'bbbb,', startMs: 650, endMs: 1350 });
    // "dddd" would straddle the gap (1400-2100 ms of voiced time, the first run holding 1800): its middle is in
    // the first run, so it ends with it; "eeee" takes the rest of the second.
    expect(words[3]).toEqual({ text: 'dddd', startMs: 1700, endMs: 2100 });
    expect(words[4]).toEqual({ text: 'eeee', startMs: 3600, endMs: 4300 });
  });

  it('spreads the words over the whole recording when it has no voiced run', () => {
    expect(spreadWords('one two', [], 1000)).toEqual([{ text: 'one', startMs: 0, endMs: 500 }, { text: 'two', startMs: 500, endMs: 1000 }]);
  });
});

describe('recordedLine', () => {
  it('times the JFK transcript over his four phrases and sets his speech at the caller level', async () => {
    const pcm = await readRecording(join(RECORDINGS, 'jfk.wav'), 8000);
    const line = recordedLine(pcm, 8000, JFK, NOMINAL_SPEECH_DBFS);
    const runs = voicedRuns(line.pcm, 8000);
    expect(line.words).toHaveLength(22);
    expect(line.words[0]!.startMs).toBe(runs[0]!.startMs);
    expect(line.words.at(-1)!.endMs).toBe(runs.at(-1)!.endMs);
    expect(line.words.at(-1)!.text).toBe('country.');
    // Words in each phrase as timed. He says 5, 2, 7 and 8 ("And so my fellow Americans," / "ask not" / "what
    // your country can do for you," / "ask what ... country."): timing by letters puts one word a phrase early.
    expect(runs.map((r) => line.words.filter((w) => w.startMs >= r.startMs && w.endMs <= r.endMs).length)).toEqual([5, 3, 6, 8]);
    let sum = 0;
    let count = 0;
    for (const r of runs) for (let i = (r.startMs * 8); i < r.endMs * 8; i++, count++) sum += line.pcm[i]! ** 2;
    expect(10 * Math.log10(sum / count / 32768 ** 2)).toBeCloseTo(NOMINAL_SPEECH_DBFS, 0);
  });
});

describe('createLoopedNoise', () => {
  it('plays the recording at the stated RMS, wraps around, and has no jump at the seam', async () => {
    const office = await readRecording(join(RECORDINGS, 'office-ambience.wav'), 8000);
    const looped = createLoopedNoise(office, { sampleRate: 8000, levelDbfs: -40, startAt: office.length - 4000 });
    const out = new Float32Array(office.length * 2);
    looped.fill(out);
    const pcm = Int16Array.from(out, (x) => Math.round(x));
    expect(rmsLevelDbfs(pcm)).toBeCloseTo(-40, 0);
    // The seam sits 4000 - 400 (cross-fade) samples in: no step there bigger than the recording's own steps.
    const steps = (from: number, to: number) => {
      let max = 0;
      for (let i = from; i < to; i++) max = Math.max(max, Math.abs(out[i + 1]! - out[i]!));
      return max;
    };
    expect(steps(3500, 3700)).toBeLessThanOrEqual(steps(0, office.length - 1));
  });
});

describe('channel noise', () => {
  const frames = (channel: ReturnType<typeof createChannel>, n: number) => Array.from({ length: n }, () => channel.inbound(undefined)!);
  const level = (list: Int16Array[]) => levelDbfs(Int16Array.from(list.flatMap((f) => [...f])));

  it('plays recorded noise snrDb below the caller level, and changes noise mid-call with setNoise', async () => {
    const office = await readRecording(join(RECORDINGS, 'office-ambience.wav'), 16000);
    const channel = createChannel({ codec: 'pcm16', seed: 1, noise: { type: 'recording', samples: office, snrDb: 10 }, speechLevelDbfs: -30 });
    expect(level(frames(channel, 1100))).toBeCloseTo(-40, 0); // the whole 22 s loop: the level is its RMS
    channel.setNoise({ type: 'babble', snrDb: 0 });
    expect(level(frames(channel, 250))).toBeCloseTo(-30, 0);
    channel.setNoise({ type: 'none' });
    expect(level(frames(channel, 10))).toBe(-100);
    channel.setNoise(undefined);
    expect(level(frames(channel, 10))).toBe(-100);
  });

  it('gives the same line for the same seed and script', async () => {
    const run = () => {
      const channel = createChannel({ codec: 'pcmu', seed: 7, noise: { type: 'pink', snrDb: 20 } });
      const before = frames(channel, 5);
      channel.setNoise({ type: 'white', snrDb: 10 });
      return [...before, ...frames(channel, 5)];
    };
    expect(run()).toEqual(run());
  });
});
