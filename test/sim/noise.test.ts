// Seeded background noise for simulated lines: the level asked for, the same samples for the same seed,
// the spectrum each type is named after, and babble that a VAD mistakes for speech where pink noise is not.
import { describe, expect, it } from 'vitest';
import { createVad } from '../../runtime/audio/create-vad.js';
import { levelDbfs, samplesPerFrame } from '../../runtime/audio/frames.js';
import { createNoise, deriveSeed, NOISE_TYPES, renderNoise, seededRandom, type NoiseType } from '../../runtime/sim/noise.js';
import { octaveSlopeDb, powerSpectrum } from './spectrum.js';

/** `seconds` of a noise stream pulled 20 ms at a time, as a call would. */
function stream(type: NoiseType, sampleRate: number, level: number, seconds: number, seed = 7): Int16Array {
  const noise = createNoise({ type, sampleRate, levelDbfs: level, seed });
  const frame = samplesPerFrame(sampleRate);
  const out = new Int16Array(seconds * sampleRate);
  for (let at = 0; at < out.length; at += frame) noise.nextFrame(out.subarray(at, at + frame));
  return out;
}

describe('createNoise', () => {
  for (const type of NOISE_TYPES) {
    it(`streams ${type} noise within 1 dB of the requested level at 8 and 16 kHz`, () => {
      for (const sampleRate of [8000, 16000]) {
        for (const level of [-20, -46]) {
          for (const seed of [1, 2, 3]) {
            const measured = levelDbfs(stream(type, sampleRate, level, 10, seed));
            expect(Math.abs(measured - level), `${type} at ${sampleRate} Hz, ${level} dBFS, seed ${seed}: ${measured.toFixed(2)}`).toBeLessThan(1);
          }
        }
      }
    });
  }

  it('gives the same samples for the same seed and others for another seed', () => {
    for (const type of NOISE_TYPES) {
      const a = renderNoise({ type, sampleRate: 8000, levelDbfs: -30, seed: 5, samples: 4000 });
      const b = renderNoise({ type, sampleRate: 8000, levelDbfs: -30, seed: 5, samples: 4000 });
      const c = renderNoise({ type, sampleRate: 8000, levelDbfs: -30, seed: 6, samples: 4000 });
      expect(a, type).toEqual(b);
      expect(a, type).not.toEqual(c);
    }
  });

  it('continues the stream frame after frame: 20 ms pulls equal one long render', () => {
    const whole = renderNoise({ type: 'babble', sampleRate: 8000, levelDbfs: -30, seed: 9, samples: 1600 });
    expect(stream('babble', 8000, -30, 0.2, 9)).toEqual(whole);
  });

  it('fills floats for mixing that round to the 16-bit frames', () => {
    const floats = new Float32Array(160);
    createNoise({ type: 'pink', sampleRate: 8000, levelDbfs: -30, seed: 4 }).fill(floats);
    const frame = createNoise({ type: 'pink', sampleRate: 8000, levelDbfs: -30, seed: 4 }).nextFrame();
    expect(frame).toHaveLength(160);
    expect(Array.from(frame)).toEqual(Array.from(floats, (x) => Math.round(x)));
  });

  it('makes pink noise fall 3 dB per octave and white noise stay flat', () => {
    for (const sampleRate of [8000, 16000]) {
      const pink = powerSpectrum(stream('pink', sampleRate, -30, 20), sampleRate, 4096);
      const white = powerSpectrum(stream('white', sampleRate, -30, 20), sampleRate, 4096);
      const top = sampleRate / 2;
      // Six octaves below Nyquist (62.5 Hz-4 kHz at 8 kHz); measured -3.02 and 0.00 dB per octave.
      expect(Math.abs(octaveSlopeDb(pink, top / 64, top) + 3), `pink at ${sampleRate} Hz`).toBeLessThan(0.25);
      expect(Math.abs(octaveSlopeDb(white, top / 64, top)), `white at ${sampleRate} Hz`).toBeLessThan(0.25);
    }
  });

  it('makes babble a VAD hears as speech, where pink noise at the same level is not', async () => {
    // At -40 dBFS (a television in the next room): the hard case channel.noise.type babble exists for.
    const flagged = async (type: NoiseType) => {
      const vad = await createVad({ engine: 'webrtc' }, { sampleRate: 8000 });
      const signal = stream(type, 8000, -40, 10);
      let speech = 0;
      for (let at = 0; at < signal.length; at += 160) if (vad.speechProbability(signal.subarray(at, at + 160)) >= 0.5) speech++;
      await vad.close();
      return speech / (signal.length / 160);
    };
    expect(await flagged('babble')).toBeGreaterThan(0.2);
    expect(await flagged('pink')).toBeLessThan(0.05);
  });

  it('gives babble a syllabic rhythm: frame levels swing far more than in stationary noise', () => {
    const spread = (signal: Int16Array) => {
      const levels = Array.from({ length: signal.length / 160 }, (_, i) => levelDbfs(signal.subarray(i * 160, (i + 1) * 160)));
      const mean = levels.reduce((s, l) => s + l, 0) / levels.length;
      return Math.sqrt(levels.reduce((s, l) => s + (l - mean) ** 2, 0) / levels.length);
    };
    expect(spread(stream('babble', 8000, -30, 10))).toBeGreaterThan(2 * spread(stream('white', 8000, -30, 10)));
  });

  it('refuses an unknown type, a bad rate or a level above full scale, saying what is allowed', () => {
    expect(() => createNoise({ type: 'brown' as NoiseType, sampleRate: 8000, levelDbfs: -30 })).toThrow(/use white, pink, babble/);
    expect(() => createNoise({ type: 'white', sampleRate: 0, levelDbfs: -30 })).toThrow(/sample rate/);
    expect(() => createNoise({ type: 'white', sampleRate: 8000, levelDbfs: 3 })).toThrow(/at most 0 dBFS/);
  });
});

describe('seededRandom and deriveSeed', () => {
  it('draws uniformly in [0, 1) and derives independent streams', () => {
    const draw = seededRandom(42);
    const values = Array.from({ length: 10_000 }, draw);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(values.reduce((s, v) => s + v, 0) / values.length).toBeCloseTo(0.5, 1);
    expect(deriveSeed(42, 1)).not.toBe(deriveSeed(42, 2));
    expect(deriveSeed(42, 1)).not.toBe(deriveSeed(43, 1));
    expect(deriveSeed(42, 1)).toBe(deriveSeed(42, 1));
  });
});
