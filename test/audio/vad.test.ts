/**
 * VAD on synthesized speech vs noise.
 *
 * Speech is espeak-ng output committed as 8 kHz WAV fixtures (test/fixtures/audio/make-fixtures.sh), so
 * nothing is synthesized at test time. Every speech frame is labelled from the clean file (within 30 dB of
 * its loudest frame), then noise is mixed in. Noise is generated here from a fixed seed: white, pink,
 * babble (reversed speech of six talkers), digital silence, faint dither and a cough-like burst. Speech
 * sits at -23 dBFS RMS (the fixtures' level, near telephony's nominal -26 dBov); "moderate" noise is
 * -40 dBFS. The measured rates are printed as a table at the end.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createVad } from '../../runtime/audio/create-vad.js';
import { samplesPerFrame } from '../../runtime/audio/frames.js';
import { createSileroVad, SileroUnavailableError, type OnnxRuntime, type OnnxSession, type OnnxTensor } from '../../runtime/audio/silero-vad.js';
import { createEnergyVad, type Vad } from '../../runtime/audio/vad.js';
import { createWebRtcVad, DEFAULT_WEBRTC_MODE, webRtcVadMemoryBytes, type WebRtcVadMode } from '../../runtime/audio/webrtc-vad.js';
import {
  babbleNoise,
  coughBurst,
  framesOf,
  gainDb,
  labelFrames,
  mix,
  pinkNoise,
  readFixture,
  SPEECH_FIXTURES,
  upsample,
  whiteNoise,
} from './vad-signals.js';

const SPEECH_DBFS = -23;
const fixtures = SPEECH_FIXTURES.map((name) => readFixture(name).samples);
const report: Array<{ condition: string; webrtc: number; energy: number }> = [];

type Noise = (samples: number, rmsDbfs: number, seed?: number) => Int16Array;
const noises: Record<'white' | 'pink' | 'babble', Noise> = { white: whiteNoise, pink: pinkNoise, babble: (n, level) => babbleNoise(n, level) };

/** Whether each frame's probability reaches `threshold`. */
function decide(vad: Vad, signal: Int16Array, frameSamples: number, threshold = 0.5): boolean[] {
  return framesOf(signal, frameSamples).map((frame) => vad.speechProbability(frame) >= threshold);
}

const percent = (flags: readonly boolean[]) => Math.round((flags.filter(Boolean).length / flags.length) * 1000) / 10;

/**
 * Share of labelled speech frames detected over all fixtures, each preceded by 1 s of lead-in (the noise
 * alone, or silence) so the detector meets the line before the caller speaks, as on a real call.
 */
async function speechDetection(makeVad: () => Vad | Promise<Vad>, opts: { gain?: number; noise?: keyof typeof noises; snrDb?: number; upsampleBy?: number } = {}): Promise<number> {
  const up = opts.upsampleBy ?? 1;
  const detected: boolean[] = [];
  for (const [i, fixture] of fixtures.entries()) {
    const speech = gainDb(fixture, opts.gain ?? 0);
    const line = new Int16Array(8000 + speech.length);
    line.set(speech, 8000);
    const noisy = opts.noise ? mix(line, noises[opts.noise](line.length, SPEECH_DBFS + (opts.gain ?? 0) - opts.snrDb!, 10 + i)) : line;
    const flags = decide(await makeVad(), up === 1 ? noisy : upsample(noisy, up), 160 * up).slice(50);
    labelFrames(fixture, 160).forEach((label, frame) => label === 'speech' && detected.push(flags[frame]!));
  }
  return percent(detected);
}

/** Share of frames flagged over 5 s of noise alone, from the first frame (no time to adapt is granted). */
async function noiseFlagged(makeVad: () => Vad | Promise<Vad>, noise: keyof typeof noises, level: number, up = 1): Promise<number> {
  const signal = noises[noise](8000 * 5, level);
  return percent(decide(await makeVad(), up === 1 ? signal : upsample(signal, up), 160 * up));
}

const webrtc8k = (mode?: WebRtcVadMode) => () => createWebRtcVad({ sampleRate: 8000, ...(mode !== undefined && { mode }) });

afterAll(() => {
  const width = Math.max(...report.map((r) => r.condition.length));
  const lines = report.map((r) => `${r.condition.padEnd(width)}  ${`${r.webrtc}%`.padStart(7)}  ${Number.isNaN(r.energy) ? '      -' : `${r.energy}%`.padStart(7)}`);
  console.log([`${'frames flagged as speech (8 kHz unless said)'.padEnd(width)}   webrtc   energy`, ...lines].join('\n'));
});

describe('WebRTC VAD (libfvad in WebAssembly), default mode', () => {
  it('uses mode 3', () => {
    expect(DEFAULT_WEBRTC_MODE).toBe(3);
  });

  it('detects most speech frames of synthesized speech, clean, quiet and in noise', async () => {
    const conditions: Array<[string, Parameters<typeof speechDetection>[1], number]> = [
      ['speech -23 dBFS, clean', {}, 90],
      ['speech -33 dBFS, clean', { gain: -10 }, 90],
      ['speech -43 dBFS, clean', { gain: -20 }, 80],
      ['speech -23 dBFS + white noise, SNR 20 dB', { noise: 'white', snrDb: 20 }, 90],
      ['speech -23 dBFS + pink noise, SNR 20 dB', { noise: 'pink', snrDb: 20 }, 90],
      ['speech -23 dBFS + pink noise, SNR 10 dB', { noise: 'pink', snrDb: 10 }, 80],
      ['speech -23 dBFS + white noise, SNR 10 dB', { noise: 'white', snrDb: 10 }, 80],
    ];
    for (const [condition, opts, atLeast] of conditions) {
      const webrtc = await speechDetection(webrtc8k(), opts);
      report.push({ condition, webrtc, energy: await speechDetection(createEnergyVad, opts) });
      expect(webrtc, condition).toBeGreaterThan(atLeast);
    }
  });

  it('flags under 10% of stationary white and pink noise at quiet and moderate levels', async () => {
    for (const noise of ['white', 'pink'] as const) {
      for (const level of [-50, -40]) {
        const webrtc = await noiseFlagged(webrtc8k(), noise, level);
        report.push({ condition: `${noise} noise ${level} dBFS`, webrtc, energy: await noiseFlagged(createEnergyVad, noise, level) });
        expect(webrtc, `${noise} ${level} dBFS`).toBeLessThan(10);
      }
      // Loud noise (SNR 7 dB against nominal speech) is reported, not asserted: pink noise this loud
      // sounds like speech to libfvad.
      report.push({ condition: `${noise} noise -30 dBFS (loud)`, webrtc: await noiseFlagged(webrtc8k(), noise, -30), energy: await noiseFlagged(createEnergyVad, noise, -30) });
    }
  });

  it('ignores quiet background babble, where mode 2 hears a caller who never stops', async () => {
    const mode3 = await noiseFlagged(webrtc8k(3), 'babble', -50);
    const mode2 = await noiseFlagged(webrtc8k(2), 'babble', -50);
    report.push({ condition: 'babble -50 dBFS', webrtc: mode3, energy: await noiseFlagged(createEnergyVad, 'babble', -50) });
    report.push({ condition: 'babble -50 dBFS, webrtc mode 2', webrtc: mode2, energy: NaN });
    report.push({ condition: 'babble -40 dBFS (a nearby TV)', webrtc: await noiseFlagged(webrtc8k(), 'babble', -40), energy: await noiseFlagged(createEnergyVad, 'babble', -40) });
    expect(mode3).toBeLessThan(10);
    expect(mode2).toBeGreaterThan(50);
  });

  it('stays silent on digital silence and faint dither', async () => {
    const silence = new Int16Array(8000 * 3);
    const dither = whiteNoise(8000 * 3, -70);
    const webrtcSilence = percent(decide(await webrtc8k()(), silence, 160));
    const webrtcDither = percent(decide(await webrtc8k()(), dither, 160));
    report.push({ condition: 'digital silence', webrtc: webrtcSilence, energy: percent(decide(createEnergyVad(), silence, 160)) });
    report.push({ condition: 'dither -70 dBFS', webrtc: webrtcDither, energy: percent(decide(createEnergyVad(), dither, 160)) });
    expect(webrtcSilence).toBe(0);
    expect(webrtcDither).toBe(0);
  });

  it('flags a cough-like burst no longer than it lasts and lets go within 100 ms', async () => {
    // No frame-level VAD tells a cough from a syllable; barge-in confirmation (words from STT) does.
    const cough = coughBurst(8000, { leadMs: 400, durationMs: 300, tailMs: 600, peakDbfs: -10 });
    const flags = decide(await webrtc8k()(), cough, 160);
    const energyFlags = decide(createEnergyVad(), cough, 160);
    const ofBurst = (f: boolean[]) => Math.round((f.filter(Boolean).length / 15) * 1000) / 10;
    report.push({ condition: 'cough-like burst, % of its 15 frames', webrtc: ofBurst(flags), energy: ofBurst(energyFlags) });
    expect(flags.slice(0, 20).some(Boolean)).toBe(false); // the 400 ms lead-in
    expect(flags.filter(Boolean).length).toBeLessThanOrEqual(15); // 300 ms = 15 frames
    expect(flags.slice(20 + 15 + 5).some(Boolean)).toBe(false); // from 100 ms after the burst
  });

  it('works at 16, 24 and 48 kHz (24 kHz is decimated to 8 kHz inside)', async () => {
    const at8k = await speechDetection(webrtc8k());
    for (const rate of [16000, 24000, 48000]) {
      const make = () => createWebRtcVad({ sampleRate: rate });
      const speech = await speechDetection(make, { upsampleBy: rate / 8000 });
      const noisy = await speechDetection(make, { upsampleBy: rate / 8000, noise: 'pink', snrDb: 20 });
      const noise = await noiseFlagged(make, 'pink', -40, rate / 8000);
      report.push({ condition: `${rate / 1000} kHz: speech -23 dBFS, clean`, webrtc: speech, energy: NaN });
      report.push({ condition: `${rate / 1000} kHz: speech + pink noise, SNR 20 dB`, webrtc: noisy, energy: NaN });
      report.push({ condition: `${rate / 1000} kHz: pink noise -40 dBFS`, webrtc: noise, energy: NaN });
      expect(speech, `${rate} Hz`).toBeGreaterThan(Math.min(90, at8k - 5));
      expect(noisy, `${rate} Hz`).toBeGreaterThan(80);
      expect(noise, `${rate} Hz`).toBeLessThan(10);
    }
    const at24k = await createWebRtcVad({ sampleRate: 24000 });
    expect(at24k.analysisRate).toBe(8000);
    expect(samplesPerFrame(24000)).toBe(480);
    at24k.close();
  });

  it('smooths decisions so that threshold 0.5 is libfvad decision and 0.75 needs two voiced frames in a row', async () => {
    const vad = await webrtc8k()();
    const line = mix(fixtures[0]!, pinkNoise(fixtures[0]!.length, -40));
    let previous = 0;
    let runOfSpeech = 0;
    for (const frame of framesOf(line, 160)) {
      const p = vad.speechProbability(frame);
      const d = vad.lastDecision;
      runOfSpeech = d === 1 ? runOfSpeech + 1 : 0;
      expect(p).toBeCloseTo(0.5 * Math.min(previous, 0.999) + 0.5 * d, 12);
      expect(p >= 0.5).toBe(d === 1);
      expect(p >= 0.75).toBe(runOfSpeech >= 2);
      previous = p;
    }
    vad.close();
  });

  it('accepts frames of any multiple of 10 ms, and views into a larger buffer', async () => {
    const speech = fixtures[1]!;
    for (const samples of [80, 160, 240, 320, 480]) {
      const vad = await webrtc8k()();
      expect(percent(decide(vad, speech, samples)), `${samples} samples`).toBeGreaterThan(80);
      vad.close();
    }
    // Frames as views at odd byte offsets must read the view, not the start of the underlying buffer.
    const padded = new Int16Array(speech.length + 1);
    padded.set(speech, 1);
    const views = await webrtc8k()();
    const copies = await webrtc8k()();
    for (let at = 0; at + 160 <= speech.length; at += 160) {
      expect(views.speechProbability(padded.subarray(at + 1, at + 161))).toBe(copies.speechProbability(speech.slice(at, at + 160)));
    }
  });

  it('rejects unusable frames, rates and modes with a message that says what to do', async () => {
    const vad = await createWebRtcVad({ sampleRate: 8000 });
    expect(() => vad.speechProbability(new Int16Array(100))).toThrow(/multiple of 10 ms \(80 samples at 8000 Hz\), got 100 samples/);
    const at24k = await createWebRtcVad({ sampleRate: 24000 });
    expect(() => at24k.speechProbability(new Int16Array(481))).toThrow(/multiple of 10 ms \(240 samples at 24000 Hz\)/);
    await expect(createWebRtcVad({ sampleRate: 44100 })).rejects.toThrow(/does not support 44100 Hz: use 8000, 16000, 32000 or 48000 Hz/);
    await expect(createWebRtcVad({ sampleRate: 8000, mode: 4 as WebRtcVadMode })).rejects.toThrow(/mode must be 0, 1, 2 or 3/);
    vad.close();
    at24k.close();
  });

  it('frees its WebAssembly memory on close() and refuses frames afterwards', async () => {
    const vad = await createWebRtcVad({ sampleRate: 8000 });
    vad.close();
    vad.close(); // idempotent
    expect(() => vad.speechProbability(new Int16Array(160))).toThrow(/after close/);
    // About 1.4 KB each: 30,000 VADs left open would grow the memory by ~25 MB.
    const before = webRtcVadMemoryBytes();
    for (let i = 0; i < 30_000; i++) {
      const v = await createWebRtcVad({ sampleRate: i % 2 ? 8000 : 24000 });
      v.speechProbability(new Int16Array(v.sampleRate / 50));
      v.close();
    }
    expect(webRtcVadMemoryBytes()).toBe(before);
  });
});

describe('energy VAD (compared in the table above)', () => {
  it('detects clean speech but, starting on a noisy line, takes seconds to learn the floor', async () => {
    expect(await speechDetection(createEnergyVad)).toBeGreaterThan(80);
    // Its floor climbs slowly so as not to learn speech; WebRTC needs no warm-up. This is why webrtc is the default.
    expect(await noiseFlagged(createEnergyVad, 'white', -40)).toBeGreaterThan(await noiseFlagged(webrtc8k(), 'white', -40));
  });
});

const onnxInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve('onnxruntime-node');
    return true;
  } catch {
    return false;
  }
})();

/** A stand-in for onnxruntime-node: scores a window by its level and echoes what it was fed. */
function fakeOnnx(options: { fail?: boolean; inputNames?: string[] } = {}) {
  const calls: Array<{ input: Float32Array; state: Float32Array; sr: bigint }> = [];
  let released = false;
  class Tensor implements OnnxTensor {
    constructor(
      readonly type: string,
      readonly data: Float32Array | BigInt64Array,
      readonly dims?: readonly number[],
    ) {}
  }
  const session: OnnxSession = {
    inputNames: options.inputNames ?? ['input', 'state', 'sr'],
    async run(feeds) {
      if (options.fail) throw new Error('model exploded');
      const input = Float32Array.from(feeds.input!.data as Float32Array);
      const state = Float32Array.from(feeds.state!.data as Float32Array);
      calls.push({ input, state, sr: (feeds.sr!.data as BigInt64Array)[0]! });
      let peak = 0;
      for (const x of input) peak = Math.max(peak, Math.abs(x));
      return { output: new Tensor('float32', Float32Array.of(peak > 0.01 ? 0.9 : 0.1)), stateN: new Tensor('float32', state.map((s) => s + 1)) };
    },
    async release() {
      released = true;
    },
  };
  const runtime: OnnxRuntime = { InferenceSession: { create: async () => session }, Tensor };
  return { runtime, calls, released: () => released };
}

function fakeModelFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'silero-')), 'silero_vad.onnx');
  writeFileSync(path, '');
  return path;
}

describe('Silero VAD (optional, loaded only when chosen)', () => {
  it.skipIf(onnxInstalled)('without onnxruntime-node, says what to install', async () => {
    const failure = createVad({ engine: 'silero', threshold: 0.5 }, { sampleRate: 8000 });
    await expect(failure).rejects.toBeInstanceOf(SileroUnavailableError);
    await expect(failure).rejects.toThrow(/needs the optional package onnxruntime-node.*`npm install onnxruntime-node`.*silero_vad\.onnx/s);
  });

  it('names a missing model file, or says where models come from', async () => {
    const { runtime } = fakeOnnx();
    const loadRuntime = async () => runtime;
    await expect(createSileroVad({ sampleRate: 8000, modelPath: '/nowhere/silero_vad.onnx', loadRuntime })).rejects.toThrow(
      /model file not found: \/nowhere\/silero_vad\.onnx \(from modelPath\)/,
    );
    await expect(createSileroVad({ sampleRate: 8000, env: {}, searchFrom: [tmpdir()], loadRuntime })).rejects.toThrow(
      /needs a Silero model file.*npm install @jjhbw\/silero-vad.*VOICEAGENT_SILERO_MODEL/s,
    );
    await expect(createSileroVad({ sampleRate: 8000, modelPath: fakeModelFile(), loadRuntime: async () => fakeOnnx({ inputNames: ['x'] }).runtime })).rejects.toThrow(
      /is not a Silero VAD model: its inputs are x/,
    );
  });

  it('feeds the model 32 ms windows in order, with the v5 context and state carried across', async () => {
    const fake = fakeOnnx();
    const vad = await createSileroVad({ sampleRate: 24000, modelPath: fakeModelFile(), loadRuntime: async () => fake.runtime });
    expect([vad.analysisRate, vad.modelVersion]).toEqual([8000, 'v5']);
    const speech = upsample(fixtures[0]!, 3);
    const line = new Int16Array(24000 + speech.length); // 1 s of silence, then speech
    line.set(speech, 24000);
    const probabilities: number[] = [];
    for (const frame of framesOf(line, 480)) {
      probabilities.push(vad.speechProbability(frame));
      await vad.whenIdle();
    }
    expect(fake.calls.length).toBe(Math.floor((line.length / 3) / 256));
    fake.calls.forEach((call, i) => {
      expect(call.input.length).toBe(32 + 256);
      expect(call.sr).toBe(8000n);
      expect(call.state.every((s) => s === i)).toBe(true);
      if (i > 0) expect(call.input.subarray(0, 32)).toEqual(fake.calls[i - 1]!.input.subarray(256));
    });
    expect(probabilities.slice(0, 50).every((p) => p < 0.5)).toBe(true); // the silent second
    expect(probabilities[60]).toBeCloseTo(0.9, 6); // 0.2 s into the speech
    await vad.close();
    await vad.close();
    expect(fake.released()).toBe(true);
    expect(() => vad.speechProbability(new Int16Array(480))).toThrow(/after close/);
  });

  it('reports a failed inference on the next frame instead of an unhandled rejection', async () => {
    const vad = await createSileroVad({ sampleRate: 8000, modelPath: fakeModelFile(), loadRuntime: async () => fakeOnnx({ fail: true }).runtime });
    for (let i = 0; i < 2; i++) vad.speechProbability(new Int16Array(160));
    await expect(vad.whenIdle()).rejects.toThrow(/inference failed: Error: model exploded/);
    expect(() => vad.speechProbability(new Int16Array(160))).toThrow(/inference failed/);
  });

  it.skipIf(!onnxInstalled)('with onnxruntime-node and a model installed, detects speech and ignores noise', async () => {
    let vad;
    try {
      vad = await createSileroVad({ sampleRate: 8000 });
    } catch (error) {
      if (error instanceof SileroUnavailableError && /model file/.test(error.message)) return; // runtime but no model
      throw error;
    }
    const decideAsync = async (signal: Int16Array) => {
      const flags: boolean[] = [];
      for (const frame of framesOf(signal, 160)) {
        flags.push(vad.speechProbability(frame) >= 0.5);
        await vad.whenIdle();
      }
      return flags;
    };
    const speech: boolean[] = [];
    for (const fixture of fixtures) {
      const flags = await decideAsync(fixture);
      // Scores lag by up to one window (two frames): compare each label with the score two frames later.
      labelFrames(fixture, 160).forEach((label, i) => label === 'speech' && speech.push(flags[i + 2] ?? false));
    }
    expect(percent(speech)).toBeGreaterThan(80);
    expect(percent(await decideAsync(pinkNoise(8000 * 5, -40)))).toBeLessThan(10);
    await vad.close();
  });
});

describe('createVad', () => {
  it('builds the engine the agent chose', async () => {
    const webrtc = await createVad({ engine: 'webrtc', threshold: 0.5 }, { sampleRate: 8000 });
    const energy = await createVad({ engine: 'energy', threshold: 0.5 }, { sampleRate: 8000 });
    const gentle = await createVad({ engine: 'webrtc' }, { sampleRate: 16000, webrtcMode: 1 });
    expect([webrtc.engine, energy.engine, gentle.engine]).toEqual(['webrtc', 'energy', 'webrtc']);
    expect(gentle).toMatchObject({ mode: 1, sampleRate: 16000 });
    expect(energy.speechProbability(new Int16Array(160))).toBe(0);
    for (const vad of [webrtc, energy, gentle]) await vad.close();
  });

  it('passes Silero options through', async () => {
    const fake = fakeOnnx();
    const vad = await createVad({ engine: 'silero' }, { sampleRate: 16000, silero: { modelPath: fakeModelFile(), loadRuntime: async () => fake.runtime } });
    expect(vad.engine).toBe('silero');
    await vad.close();
  });

  it('rejects a threshold outside 0-1', async () => {
    await expect(createVad({ engine: 'webrtc', threshold: 1.5 }, { sampleRate: 8000 })).rejects.toThrow(/threshold must be between 0 and 1, got 1.5/);
  });
});
