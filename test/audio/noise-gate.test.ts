/*
 * The noise gate after the VAD: a frame VAD calls a constant room "speech" (babble, office air), so on a noisy
 * line the caller's pauses vanish and the room pauses the agent. The gate lets a frame through only when it
 * stands above the line's own floor, so speech still passes and the room does not.
 */
import { describe, expect, it } from 'vitest';
import { createNoiseGatedVad } from '../../runtime/audio/noise-gate.js';
import type { Vad } from '../../runtime/audio/vad.js';
import { renderNoise } from '../../runtime/sim/noise.js';
import { babbleNoise, framesOf, mix, pinkNoise, readFixture } from './vad-signals.js';

/** A VAD that calls every frame speech: what WebRTC does with babble. */
const alwaysSpeech: Vad = { engine: 'always', speechProbability: () => 1 };
const speechFrames = (vad: Vad, frames: readonly Int16Array[]) => frames.filter((f) => vad.speechProbability(f) >= 0.5).length;

describe('noise gate', () => {
  it('lets little of a constant room through once it has heard one window of it', () => {
    // The simulator's six-talker babble at -36 dBFS: a VAD that calls all of it speech, as WebRTC nearly does.
    const frames = framesOf(renderNoise({ type: 'babble', sampleRate: 8000, levelDbfs: -36, samples: 8000 * 12, seed: 3 }), 160);
    const gate = createNoiseGatedVad(alwaysSpeech);
    for (const frame of frames.slice(0, 150)) gate.speechProbability(frame);
    const rest = frames.slice(150);
    expect(speechFrames(gate, rest) / rest.length).toBeLessThan(0.25);
    expect(gate.noiseFloorDbfs).toBeLessThan(-36);
    // The espeak-made babble of the VAD tests swings more (its talkers pause): still most of it is kept out.
    const swinging = createNoiseGatedVad(alwaysSpeech);
    const more = framesOf(babbleNoise(8000 * 12, -36), 160);
    for (const frame of more.slice(0, 150)) swinging.speechProbability(frame);
    expect(speechFrames(swinging, more.slice(150)) / (more.length - 150)).toBeLessThan(0.3);
  });

  it('keeps a room out from the start of a call, not only once it has heard a whole window (3 s)', () => {
    // Waiting for the whole window let the first 3 s of every noisy line through: the greeting paused for the room.
    const frames = framesOf(renderNoise({ type: 'babble', sampleRate: 8000, levelDbfs: -36, samples: 8000 * 3, seed: 5 }), 160);
    const gate = createNoiseGatedVad(alwaysSpeech);
    const start = frames.slice(0, 150);
    expect(speechFrames(gate, start) / start.length).toBeLessThan(0.6); // 0.98 when it waited for the window
    // Pink line noise at 20 dB below speech (bench:quality's base line): never a run of four frames (80 ms).
    const pink = framesOf(pinkNoise(8000 * 3, -45), 160);
    const line = createNoiseGatedVad(alwaysSpeech);
    const verdicts = pink.map((frame) => line.speechProbability(frame) >= 0.5);
    expect(verdicts.some((_, i) => verdicts.slice(i, i + 4).length === 4 && verdicts.slice(i, i + 4).every(Boolean))).toBe(false);
  });

  it('passes speech standing 10 dB above the room, and keeps the pauses between its phrases', () => {
    const speech = readFixture('speech-en-female').samples;
    const line = mix(new Int16Array(speech.length + 16000).map((_, i) => speech[i - 16000] ?? 0), pinkNoise(speech.length + 16000, -46));
    const gate = createNoiseGatedVad(alwaysSpeech, { windowMs: 1500 });
    const verdicts = framesOf(line, 160).map((frame) => gate.speechProbability(frame) >= 0.5);
    const speechPart = verdicts.slice(100 + 2, 100 + 95); // 40-1900 ms into the fixture: its first phrase
    expect(speechPart.filter(Boolean).length / speechPart.length).toBeGreaterThan(0.7);
    // 1900-2180 ms: the pause between its two phrases is heard as silence, though the VAD says speech.
    expect(verdicts.slice(100 + 97, 100 + 108).some((v) => !v)).toBe(true);
  });

  it('holds speech open over quieter frames, and judges from the first frame by what it has heard so far', () => {
    const gate = createNoiseGatedVad(alwaysSpeech, { marginDb: 12, holdMarginDb: 3, windowMs: 200 });
    const quiet = new Int16Array(160).fill(30);
    const loud = new Int16Array(160).fill(3000);
    const medium = new Int16Array(160).fill(300); // 20 dB above quiet: opens; 10 dB under loud
    expect(gate.speechProbability(loud)).toBeLessThan(0.5); // the only level heard is the floor
    const opening = createNoiseGatedVad(alwaysSpeech, { marginDb: 12, holdMarginDb: 3, windowMs: 200 });
    opening.speechProbability(quiet);
    expect(opening.speechProbability(loud)).toBe(1); // a caller talking 40 dB over the first frame
    for (let i = 0; i < 10; i++) gate.speechProbability(quiet);
    expect(gate.speechProbability(quiet)).toBeLessThan(0.5);
    expect(gate.speechProbability(medium)).toBe(1); // 20 dB over the floor
    const gated = createNoiseGatedVad(alwaysSpeech, { marginDb: 12, holdMarginDb: 3, windowMs: 200 });
    for (let i = 0; i < 10; i++) gated.speechProbability(quiet);
    const justAbove = new Int16Array(160).fill(60); // 6 dB over the floor: under the 12 dB start margin
    expect(gated.speechProbability(justAbove)).toBeLessThan(0.5);
    expect(gated.speechProbability(medium)).toBe(1);
    expect(gated.speechProbability(justAbove)).toBe(1); // held: above the 3 dB hold margin
  });
});
