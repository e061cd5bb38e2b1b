/**
 * Echo scenes for test/audio/echo.test.ts and bench/echo.bench.ts: the agent's voice (speech fixtures) sent
 * down a telephone line and coming back as echo, optionally under a caller talking over it and line noise.
 *
 * The line, as on a speakerphone call through Twilio: agent PCM -> mu-law (what the caller's phone decodes)
 * -> echo path (delay, attenuation, optionally a small room response and the phone's loudspeaker band)
 * -> + caller speech + noise -> mu-law again (the phone's uplink) -> the inbound frames we receive. The
 * handler's reference is the agent PCM as sent, before any mu-law, as in the real pipeline.
 */
import { performance } from 'node:perf_hooks';
import type { EchoHandler } from '../../runtime/audio/echo.js';
import { decodeMulaw, encodeMulaw } from '../../runtime/audio/g711.js';
import type { Vad } from '../../runtime/audio/vad.js';
import { framesOf, gainDb, labelFrames, pinkNoise, readFixture } from './vad-signals.js';

export const SAMPLE_RATE = 8000;
export const FRAME = 160;
/** Caller speech level on the line, in dBFS RMS (as in vad.test.ts: near telephony's nominal -26 dBov). */
export const CALLER_DBFS = -23;

/**
 * Frame `i` of a continuous 440 Hz tone at -15 dBFS (amplitude 8000), as the ElevenLabs mock voices a
 * character: a reference as loud on its first frame as on any, the hardest start of a reply for the echo gate.
 */
export function toneFrame(i: number): Int16Array {
  return Int16Array.from({ length: FRAME }, (_, k) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * (i * FRAME + k)) / SAMPLE_RATE)));
}

/** The echo path from the caller's loudspeaker back into their microphone. */
export interface EchoPath {
  /** Round trip from sending a frame to its echo arriving, in milliseconds. */
  readonly delayMs: number;
  /** Echo return loss: how much quieter the echo is than what we sent, in dB. */
  readonly attenuationDb: number;
  /**
   * Add a small room (three reflections within 25 ms) and a loudspeaker that has no bass (first-order
   * high-pass at 300 Hz): an echo that is no longer a scaled copy of the reference.
   */
  readonly room?: boolean;
}

export interface SceneOptions {
  readonly path: EchoPath;
  /** A caller talking over the agent: `en-female` from `startMs`, at {@link CALLER_DBFS} plus `gainDb`. */
  readonly caller?: { readonly startMs: number; readonly gainDb?: number };
  /** Pink line noise at this level, in dBFS. */
  readonly noiseDbfs?: number;
  /**
   * Silence the agent sends after its voice (playout has ended), in milliseconds, rounded to whole frames:
   * the echo tail still comes back during it. Default 0 (the scene ends with the agent's voice).
   */
  readonly trailingMs?: number;
}

export interface Scene {
  /** What the agent sends (the reference), whole frames. */
  readonly outbound: Int16Array;
  /** What comes back from the caller's side, same length. */
  readonly inbound: Int16Array;
  /** Per frame: the caller is speaking (frames of their clean speech within 30 dB of its loudest). */
  readonly callerSpeech: readonly boolean[];
  /** Per frame: the agent's reference is loud enough to echo (the playout frames of the scene). */
  readonly agentSpeaking: readonly boolean[];
}

let agentVoice: Int16Array | undefined;
/** The agent's voice: two fixtures back to back (9.2 s, -22 dBFS RMS, pauses between phrases). */
export function agentSpeech(): Int16Array {
  if (agentVoice) return agentVoice;
  const a = readFixture('speech-en-us-male').samples;
  const b = readFixture('speech-fr-male').samples;
  const out = new Int16Array(Math.floor((a.length + b.length) / FRAME) * FRAME);
  out.set(a);
  out.set(b.subarray(0, out.length - a.length), a.length);
  return (agentVoice = out);
}

const mulawRoundTrip = (signal: Int16Array): Int16Array => decodeMulaw(encodeMulaw(signal));

/** The echo of `sent` through `path` (before the uplink's mu-law). */
function echoOf(sent: Int16Array, path: EchoPath): Float64Array {
  const delay = Math.round((path.delayMs * SAMPLE_RATE) / 1000);
  const gain = 10 ** (-path.attenuationDb / 20);
  const taps: Array<[number, number]> = path.room ? [[0, 1], [24, 0.5], [88, -0.3], [200, 0.2]] : [[0, 1]];
  const norm = path.room ? 1 / Math.sqrt(taps.reduce((s, [, g]) => s + g * g, 0)) : 1;
  const out = new Float64Array(sent.length);
  let previousIn = 0;
  let previousOut = 0;
  const highPass = Math.exp((-2 * Math.PI * 300) / SAMPLE_RATE);
  for (let i = 0; i < sent.length; i++) {
    let x = 0;
    for (const [lag, g] of taps) {
      const j = i - delay - lag;
      if (j >= 0) x += g * sent[j]!;
    }
    x *= gain * norm;
    if (path.room) {
      const y = highPass * (previousOut + x - previousIn);
      previousIn = x;
      previousOut = y;
      x = y;
    }
    out[i] = x;
  }
  return out;
}

/** Builds one scene: the agent talks for its whole voice (9.2 s, then `trailingMs` of silence), the caller maybe over it. */
export function makeScene(options: SceneOptions): Scene {
  const agent = agentSpeech();
  const outbound = options.trailingMs ? new Int16Array(agent.length + Math.round(options.trailingMs / 20) * FRAME) : agent;
  if (outbound !== agent) outbound.set(agent);
  const length = outbound.length;
  const echo = echoOf(mulawRoundTrip(outbound), options.path);
  const line = new Float64Array(length);
  for (let i = 0; i < length; i++) line[i] = echo[i]!;
  const frames = length / FRAME;
  const callerSpeech = new Array<boolean>(frames).fill(false);
  if (options.caller) {
    const clean = readFixture('speech-en-female').samples;
    const level = CALLER_DBFS + (options.caller.gainDb ?? 0);
    const voice = gainDb(clean, level - rmsDbfs(clean));
    const startFrame = Math.round(options.caller.startMs / 20);
    const start = startFrame * FRAME;
    for (let i = 0; i < voice.length && start + i < length; i++) line[start + i]! += voice[i]!;
    labelFrames(clean, FRAME).forEach((label, f) => {
      if (startFrame + f < frames) callerSpeech[startFrame + f] = label === 'speech';
    });
  }
  if (options.noiseDbfs !== undefined) {
    const noise = pinkNoise(length, options.noiseDbfs, 7);
    for (let i = 0; i < length; i++) line[i]! += noise[i]!;
  }
  const pcm = new Int16Array(length);
  for (let i = 0; i < length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(line[i]!)));
  const agentSpeaking = framesOf(outbound, FRAME).map((f) => rmsDbfsOf(f) > -60);
  return { outbound, inbound: mulawRoundTrip(pcm), callerSpeech, agentSpeaking };
}

function rmsDbfsOf(frame: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < frame.length; i++) sum += frame[i]! * frame[i]!;
  return sum === 0 ? -100 : 10 * Math.log10(sum / frame.length / 32768 ** 2);
}

function rmsDbfs(signal: Int16Array): number {
  return rmsDbfsOf(signal);
}

/** Per-frame outcome of running a scene through a handler and a VAD. */
export interface SceneRun {
  /** Per frame: VAD says speech and the echo handler allows it (what the inbound pipeline acts on). */
  readonly speech: readonly boolean[];
  /** Time spent in `handler.process` (plus `onOutbound`), per frame, in microseconds. */
  readonly handlerUs: number;
}

/**
 * Plays a scene frame by frame, as the call does: the agent frame goes out (`onOutbound`), then the inbound
 * frame of the same 20 ms is processed and judged by the VAD (threshold 0.5).
 */
export function runScene(scene: Scene, handler: EchoHandler, vad: Vad): SceneRun {
  const sent = framesOf(scene.outbound, FRAME);
  const received = framesOf(scene.inbound, FRAME);
  const speech: boolean[] = [];
  let spent = 0;
  for (let f = 0; f < received.length; f++) {
    const start = performance.now();
    handler.onOutbound(sent[f]!);
    const verdict = handler.process(received[f]!);
    spent += performance.now() - start;
    speech.push(vad.speechProbability(verdict.frame) >= 0.5 && verdict.speechAllowed);
  }
  return { speech, handlerUs: (spent * 1000) / received.length };
}

/** Speech onsets as the inbound pipeline confirms them: runs of at least `minSpeechMs` of speech frames. */
export function onsets(speech: readonly boolean[], minSpeechMs = 60): number[] {
  const need = Math.ceil(minSpeechMs / 20);
  const found: number[] = [];
  let run = 0;
  for (let f = 0; f < speech.length; f++) {
    run = speech[f] ? run + 1 : 0;
    if (run === need) found.push((f - need + 1) * 20);
  }
  return found;
}

/** Share (0-1) of the frames where `where` holds that `flags` holds too. */
export function shareOf(flags: readonly boolean[], where: readonly boolean[]): number {
  let n = 0;
  let hit = 0;
  for (let f = 0; f < flags.length; f++) {
    if (!where[f]) continue;
    n++;
    if (flags[f]) hit++;
  }
  return n === 0 ? 0 : hit / n;
}

/** What one echo condition gives for one mode: the figures of the bench table. */
export interface EchoFigures {
  /** Share of echo-only playout frames where VAD + echo verdict said caller speech, in percent. */
  readonly falseSpeechPct: number;
  /** Speech onsets confirmed (60 ms runs) on echo alone: each would be a false barge-in. */
  readonly falseOnsets: number;
  /** Share of the caller's speech frames detected while the agent keeps talking (double talk), in percent. */
  readonly doubleTalkPct: number;
  /**
   * From the start of the caller's first speech frame to the confirmation of the first onset around it (the
   * end of its 60 ms run), in ms; undefined when none is confirmed (or it merged into an echo run).
   */
  readonly onsetLatencyMs: number | undefined;
}

/** When the caller starts talking over the agent in double-talk scenes (the agent has talked 4.6 s by then). */
export const CALLER_START_MS = 4600;

/**
 * Runs the echo-only and the double-talk scene of one condition through fresh handlers and VADs made by
 * the given factories.
 */
export async function measureCondition(
  makeHandler: () => EchoHandler,
  makeVad: () => Promise<Vad & { close?(): void }>,
  condition: Omit<SceneOptions, 'caller'> & { readonly callerGainDb?: number },
): Promise<EchoFigures> {
  const echoOnly = makeScene(condition);
  const vad1 = await makeVad();
  const alone = runScene(echoOnly, makeHandler(), vad1);
  vad1.close?.();
  const talk = makeScene({ ...condition, caller: { startMs: CALLER_START_MS, gainDb: condition.callerGainDb ?? 0 } });
  const vad2 = await makeVad();
  const over = runScene(talk, makeHandler(), vad2);
  vad2.close?.();
  const firstCallerFrame = talk.callerSpeech.indexOf(true);
  const onset = onsets(over.speech).find((ms) => ms >= (firstCallerFrame - 2) * 20);
  const round = (x: number) => Math.round(x * 1000) / 10;
  return {
    falseSpeechPct: round(alone.speech.filter(Boolean).length / alone.speech.length),
    falseOnsets: onsets(alone.speech).length,
    doubleTalkPct: round(shareOf(over.speech, talk.callerSpeech)),
    onsetLatencyMs: onset === undefined ? undefined : onset + 60 - firstCallerFrame * 20,
  };
}
