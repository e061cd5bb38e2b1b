// Caller sounds for scenario `noise` steps. The point of a cough in a scenario is that it fools the VAD like
// a real one does (the agent must then pause at most and resume), so the WebRTC VAD the agents use by
// default must flag most of it as speech, and let go soon after it ends.
import { describe, expect, it } from 'vitest';
import { createVad } from '../../runtime/audio/create-vad.js';
import { samplesPerFrame } from '../../runtime/audio/frames.js';
import { CALLER_SOUND_DEFAULT_LEVEL_DBFS, CALLER_SOUND_DEFAULT_MS, CALLER_SOUNDS, loudestFrameDbfs, createSound, type CallerSound } from '../../runtime/sim/sounds.js';
import { bandPowerDb, powerSpectrum } from './spectrum.js';

/** VAD decisions (threshold 0.5) per 20 ms frame over 500 ms of silence, the sound, then 500 ms of silence. */
async function vadFlags(sound: Int16Array, sampleRate: number): Promise<{ during: boolean[]; after: boolean[] }> {
  const frame = samplesPerFrame(sampleRate);
  const lead = 25 * frame;
  const line = new Int16Array(lead + sound.length + lead);
  line.set(sound, lead);
  const vad = await createVad({ engine: 'webrtc' }, { sampleRate });
  const flags: boolean[] = [];
  for (let at = 0; at + frame <= line.length; at += frame) flags.push(vad.speechProbability(line.subarray(at, at + frame)) >= 0.5);
  await vad.close();
  const soundFrames = Math.ceil(sound.length / frame);
  expect(flags.slice(0, 25).some(Boolean)).toBe(false);
  return { during: flags.slice(25, 25 + soundFrames), after: flags.slice(25 + soundFrames) };
}

const share = (flags: boolean[]) => flags.filter(Boolean).length / flags.length;

describe('createSound', () => {
  it('lasts the natural length of each sound by default, or durationMs', () => {
    expect(CALLER_SOUND_DEFAULT_MS).toEqual({ cough: 400, door: 250, breath: 600 });
    for (const sound of CALLER_SOUNDS) {
      expect(createSound(sound, { sampleRate: 8000 }), sound).toHaveLength((CALLER_SOUND_DEFAULT_MS[sound] * 8000) / 1000);
      expect(createSound(sound, { sampleRate: 16000, durationMs: 1500 }), sound).toHaveLength(24000);
      expect(createSound(sound, { sampleRate: 8000, durationMs: 20 }), sound).toHaveLength(160);
    }
  });

  it('puts the loudest 20 ms frame at the requested level', () => {
    for (const sound of CALLER_SOUNDS) {
      for (const sampleRate of [8000, 16000]) {
        expect(loudestFrameDbfs(createSound(sound, { sampleRate }), sampleRate), sound).toBeCloseTo(CALLER_SOUND_DEFAULT_LEVEL_DBFS[sound], 0);
        expect(loudestFrameDbfs(createSound(sound, { sampleRate, levelDbfs: -35 }), sampleRate), sound).toBeCloseTo(-35, 1);
      }
    }
  });

  it('gives the same samples for the same seed and others for another seed', () => {
    for (const sound of CALLER_SOUNDS) {
      const a = createSound(sound, { sampleRate: 8000, seed: 3 });
      expect(createSound(sound, { sampleRate: 8000, seed: 3 }), sound).toEqual(a);
      expect(createSound(sound, { sampleRate: 8000, seed: 4 }), sound).not.toEqual(a);
    }
  });

  it('makes a cough out of bursts with fast attacks, loudest between 1 and 3 kHz', () => {
    const cough = createSound('cough', { sampleRate: 16000 });
    const frameLevels = Array.from({ length: 20 }, (_, i) => loudestFrameDbfs(cough.subarray(i * 320, (i + 1) * 320), 16000));
    expect(frameLevels[0]).toBeGreaterThan(Math.max(...frameLevels) - 3); // the blast is in the first 20 ms
    const secondBurst = frameLevels.slice(10).reduce((best, l, i) => (l > frameLevels[10 + best]! ? i : best), 0) + 10;
    expect(frameLevels[secondBurst]!).toBeGreaterThan(frameLevels[secondBurst - 1]! + 6); // a second, sudden onset
    const spectrum = powerSpectrum(cough, 16000, 256);
    const emphasis = bandPowerDb(spectrum, 1000, 3000) - 10 * Math.log10(2000);
    expect(emphasis).toBeGreaterThan(bandPowerDb(spectrum, 100, 1000) - 10 * Math.log10(900));
    expect(emphasis).toBeGreaterThan(bandPowerDb(spectrum, 3000, 8000) - 10 * Math.log10(5000));
  });

  it('makes a door a low thud and a breath mostly low-frequency air', () => {
    const density = (pcm: Int16Array, low: number, high: number) => bandPowerDb(powerSpectrum(pcm, 8000, 256), low, high) - 10 * Math.log10(high - low);
    const door = createSound('door', { sampleRate: 8000 });
    expect(density(door, 30, 200)).toBeGreaterThan(density(door, 500, 4000) + 10);
    const breath = createSound('breath', { sampleRate: 8000 });
    expect(density(breath, 100, 900)).toBeGreaterThan(density(breath, 2000, 4000) + 6);
  });

  for (const sampleRate of [8000, 16000]) {
    it(`fools the WebRTC VAD at ${sampleRate / 1000} kHz like the real sounds, and lets it go within 100 ms`, async () => {
      const least: Record<CallerSound, number> = { cough: 0.8, door: 0.6, breath: 0.6 };
      for (const sound of CALLER_SOUNDS) {
        for (const seed of [1, 2, 3]) {
          const { during, after } = await vadFlags(createSound(sound, { sampleRate, seed }), sampleRate);
          expect(share(during), `${sound} seed ${seed}`).toBeGreaterThanOrEqual(least[sound]);
          expect(after.slice(5).some(Boolean), `${sound} seed ${seed}`).toBe(false);
        }
      }
    });
  }

  it('refuses an unknown sound, a non-positive length or a level above full scale, saying what is allowed', () => {
    expect(() => createSound('sneeze' as CallerSound, { sampleRate: 8000 })).toThrow(/use cough, door, breath/);
    expect(() => createSound('cough', { sampleRate: 8000, durationMs: 0 })).toThrow(/positive/);
    expect(() => createSound('cough', { sampleRate: 8000, levelDbfs: 1 })).toThrow(/at most 0 dBFS/);
  });
});
