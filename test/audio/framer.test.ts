import { describe, expect, it } from 'vitest';
import { Framer } from '../../runtime/audio/framer.js';
import { pcm16ToBytes } from '../../runtime/audio/pcm.js';

/** Deterministic pseudo-random integers, so failures replay. */
function random(seed: number): (max: number) => number {
  let state = seed;
  return (max) => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state % max;
  };
}

function concat(frames: Int16Array[]): Int16Array {
  const all = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let offset = 0;
  for (const frame of frames) {
    all.set(frame, offset);
    offset += frame.length;
  }
  return all;
}

const signal = Int16Array.from({ length: 24000 + 123 }, (_, i) => ((i * 7919) % 65536) - 32768);

describe('Framer', () => {
  it('cuts chunks of any length into exact 20 ms frames, in order, nothing lost', () => {
    for (const rate of [8000, 16000, 24000, 48000]) {
      const framer = new Framer(rate);
      const next = random(rate);
      const frames: Int16Array[] = [];
      for (let offset = 0; offset < signal.length; ) {
        const length = Math.min(next(3 * framer.frameSamples), signal.length - offset);
        frames.push(...framer.push(signal.subarray(offset, offset + length)));
        offset += length;
      }
      expect(framer.frameSamples).toBe((rate * 20) / 1000);
      for (const frame of frames) expect(frame.length).toBe(framer.frameSamples);
      const whole = Math.floor(signal.length / framer.frameSamples) * framer.frameSamples;
      expect(concat(frames)).toEqual(signal.subarray(0, whole));
      expect(framer.pendingSamples).toBe(signal.length - whole);
    }
  });

  it('flushes the tail padded with silence, then starts afresh', () => {
    const framer = new Framer(8000);
    expect(framer.push(signal.subarray(0, 200))).toHaveLength(1);
    const [tail, ...rest] = framer.flush();
    expect(rest).toHaveLength(0);
    expect(tail!.length).toBe(160);
    expect(tail!.subarray(0, 40)).toEqual(signal.subarray(160, 200));
    expect(tail!.subarray(40).every((s) => s === 0)).toBe(true);
    expect(framer.flush()).toEqual([]);
    expect(framer.pendingSamples).toBe(0);
  });

  it('passes a stream of exact frames straight through', () => {
    const framer = new Framer(8000);
    const frame = signal.subarray(0, 160);
    const [out] = framer.push(frame);
    expect(out).toEqual(frame);
    expect(framer.pendingSamples).toBe(0);
  });

  it('returns frames the caller owns: reusing the input buffer changes nothing', () => {
    const framer = new Framer(8000);
    const buffer = signal.slice(0, 250);
    const [first] = framer.push(buffer);
    buffer.fill(0);
    const [second] = framer.push(signal.subarray(250, 320));
    expect(first).toEqual(signal.subarray(0, 160));
    expect(second).toEqual(signal.subarray(160, 320));
  });

  it('accepts little-endian bytes split anywhere, even inside a sample', () => {
    const bytes = pcm16ToBytes(signal);
    const framer = new Framer(16000);
    const next = random(7);
    const frames: Int16Array[] = [];
    for (let offset = 0; offset < bytes.length; ) {
      const length = Math.min(1 + next(1001), bytes.length - offset);
      frames.push(...framer.pushBytes(bytes.subarray(offset, offset + length)));
      offset += length;
    }
    frames.push(...framer.flush());
    const all = concat(frames);
    expect(all.subarray(0, signal.length)).toEqual(signal);
    expect(all.length % 320).toBe(0);
  });

  it('reset drops pending audio and any half sample', () => {
    const framer = new Framer(8000);
    framer.pushBytes(Uint8Array.from([1, 0, 7]));
    framer.reset();
    expect(framer.pendingSamples).toBe(0);
    expect(framer.pushBytes(pcm16ToBytes(signal.subarray(0, 160)))[0]).toEqual(signal.subarray(0, 160));
  });

  it('refuses a rate without a whole number of samples per frame', () => {
    expect(() => new Framer(44110)).toThrow(/multiple of 50 Hz/);
  });
});
