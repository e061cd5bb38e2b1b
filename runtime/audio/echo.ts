/**
 * Echo handling: the agent's own voice, played on a speakerphone or a poor handset, comes back in the inbound
 * audio 50-300 ms later and 10-40 dB down, through G.711 twice. A VAD hears that echo as a caller talking and
 * the agent would interrupt itself. What the agent sends (each frame playout hands the transport) is the
 * reference; the handler sits between the inbound frame and the VAD and may veto the VAD's "speech".
 *
 * - `reference-gated` (default): a frame counts as caller speech during playout only if it is `marginDb`
 *   louder than the echo predicted from the reference. The prediction uses frame levels only: the echo return
 *   loss (ERL) is a lower bound measured without knowing the delay (`measureBound`: the echo of any reference
 *   frame older than the tail has arrived inside the window, so the loudest inbound frame there is at least
 *   that loud), the highest recent bound kept (`BoundHistory`); the delay comes from correlating level
 *   envelopes (`DelayEstimator`), and once known only the reference frames around it count. Before anything
 *   is measured it assumes a 6 dB ERL. Every estimate errs towards a louder echo, so errors cost missed
 *   double talk, not false barge-ins.
 * - `aec`: a frequency-domain adaptive echo canceller (`echo-canceller.ts`) removes the echo first; the VAD
 *   judges the cleaned frame and the same gate, lowered by the cancellation it has measured, checks the rest.
 * - `off`: trust the line.
 *
 * Measured (bench/echo.bench.ts, `node --import tsx bench/echo.bench.ts`): the agent's voice (speech
 * fixtures, 9.2 s, -22 dBFS RMS) through mu-law, an echo path, mu-law again; WebRTC VAD mode 3; a fresh
 * handler at the first frame. false: echo-only playout frames flagged as caller speech; on: confirmed onsets
 * (60 ms runs, i.e. false barge-ins); dt: frames of a caller (-23 dBFS RMS) talking over the agent from 4.6 s
 * that are detected; ms: that caller's onset confirmed after. "room": three reflections and a bass-less
 * loudspeaker; "noise": pink line noise at -50 dBFS.
 *
 * | echo path               | off: false / on | reference-gated: false / on / dt / ms | aec: false / on / dt / ms |
 * | ----------------------- | --------------- | ------------------------------------- | ------------------------- |
 * | 50 ms / 10 dB           | 86% / 10        | 0% / 0 / 53% / 120                    | 0% / 0 / 89% / 60         |
 * | 120 ms / 18 dB          | 83% / 14        | 0% / 0 / 83% / 60                     | 0% / 0 / 92% / 60         |
 * | 250 ms / 10 dB          | 86% / 10        | 0.7% / 0 / 58% / 120                  | 0% / 0 / 90% / 60         |
 * | 250 ms / 30 dB          | 52% / 23        | 0% / 0 / 99% / 60                     | 0% / 0 / 99% / 60         |
 * | 120 ms / 18 dB, noise   | 56% / 28        | 0% / 0 / 83% / 60                     | 0% / 0 / 91% / 60         |
 * | 250 ms / 10 dB, noise   | 85% / 13        | 0.9% / 0 / 58% / 120                  | 0% / 0 / 91% / 60         |
 * | 120 ms / 18 dB, room    | 75% / 21        | 0% / 0 / 92% / 60                     | 0% / 0 / 95% / 60         |
 * | 250 ms / 10 dB, room    | 84% / 14        | 0.7% / 0 / 66% / 120                  | 0% / 0 / 94% / 60         |
 *
 * All 16 conditions of the bench (these plus 50 ms / 10 dB and 250 ms / 30 dB with room and/or noise): zero
 * false onsets for both modes, at most 0.9% false frames; double talk 53-99% (gated), 89-99% (aec). Cost per
 * 20 ms frame at 8 kHz, p50 (p95): reference-gated 1.7 us (2.3) while the agent talks, 0.7 us when it is
 * silent; aec 44 us (55-60) while the agent talks, about 2 us once it has been silent longer than the tail.
 * The VAD itself is about 1.5 us.
 *
 * Default `reference-gated`: it never barged in on its own echo in any condition, for 2 us a frame, and
 * hears double talk well once the echo is 18 dB down or more (typical handsets and most speakerphones);
 * against a very loud echo (10 dB) it hears about half of a caller's frames over the agent, but still
 * confirms their onset within 120 ms, which is what barge-in needs. `aec` hears 89%+ of double talk on every
 * line but costs about 25 times as much (1,000 calls with the agent talking half the time: about 1.1 cores
 * for the canceller alone), so it is for agents whose callers are mostly on speakerphones.
 *
 * Limits: the first ~320 ms of the first reply assume a loud echo (a caller must be about as loud as the
 * agent to interrupt it then); a caller talking over the agent for more than 5 s in a row is taken for an
 * echo path that got louder; after a barge-in flush the gate stays on for up to `tailMs` for audio the far
 * end never played. The recogniser still receives the raw inbound audio.
 */
import { createEchoCanceller, type EchoCanceller } from './echo-canceller.js';
import { BoundHistory, DelayEstimator } from './echo-path.js';
import { FRAME_MS, levelDbfs, samplesPerFrame } from './frames.js';

/** How the agent's own voice, echoed back by the caller's phone, is kept from counting as caller speech. */
export type EchoMode = 'reference-gated' | 'aec' | 'off';

/** Options of {@link createEchoHandler} (the agent's `echo` section plus the line's sample rate). */
export interface EchoHandlerOptions {
  readonly mode: EchoMode;
  /** Longest echo path considered (send -> echo back), in milliseconds. Default: 300. */
  readonly tailMs?: number;
  /** How far above the predicted echo an inbound frame must be to count as caller speech, in dB. Default: 6. */
  readonly marginDb?: number;
  /** Rate of the frames in both directions, in hertz. */
  readonly sampleRate: number;
}

/** The verdict on one inbound frame. The same object is returned (and overwritten) for every frame. */
export interface EchoVerdict {
  /** The frame the VAD should judge: the inbound frame, or (mode `aec`) the frame with the echo removed. */
  frame: Int16Array;
  /** False when the frame cannot be told apart from the echo of our own audio: it must not count as speech. */
  speechAllowed: boolean;
}

/** What the handler has learnt about the echo path (for logs, tests and benchmarks). */
export interface EchoEstimate {
  /** Echo return loss assumed now (how far the echo sits below our audio), in dB; 6 until measured. */
  readonly erlDb: number;
  /** Echo removed by the canceller (mode `aec`), as assumed by the residual gate, in dB. */
  readonly erleDb: number;
  /** Whether our own audio from the last `tailMs` could be echoing right now. */
  readonly echoActive: boolean;
  /** Echo delay found (a multiple of 20 ms: the frame most of the echo comes from), or undefined until trusted. */
  readonly delayMs: number | undefined;
}

/** Keeps caller speech detection from firing on the echo of the agent's own voice. One per call. */
export interface EchoHandler {
  readonly mode: EchoMode;
  /** Each agent frame, as it is sent to the transport (the echo reference). */
  onOutbound(frame: Int16Array): void;
  /** Each inbound frame, before the VAD. Allocation-free; returns a reused {@link EchoVerdict}. */
  process(inbound: Int16Array): EchoVerdict;
  readonly estimate: EchoEstimate;
}

/** Default `echo.tailMs`, in milliseconds. */
export const DEFAULT_ECHO_TAIL_MS = 300;
/** Default `echo.marginDb`, in dB. */
export const DEFAULT_ECHO_MARGIN_DB = 6;
/**
 * Echo return loss assumed before any has been measured, in dB: a loud speakerphone. The first reply is
 * protected from its first frame, at the price of a caller having to talk about as loud as the agent to
 * interrupt it until the first bound is measured (`tailMs` plus a frame of our audio, heard back or not).
 */
const INITIAL_ERL_DB = 6;
/** Reference frames quieter than this cannot produce an echo worth gating, in dBFS. */
const ACTIVE_REFERENCE_DBFS = -60;
/** Reference frames at least this loud are informative enough to measure the echo return loss from, in dBFS. */
const MEASURING_REFERENCE_DBFS = -45;
/**
 * Once the delay is known, the reference frames from `delay - GATE_LAGS_BEFORE` to `delay + GATE_LAGS_AFTER`
 * are the ones whose echo may be arriving: the estimate is whole frames, an echo straddles two frames, and
 * a room adds a few tens of milliseconds of reverberation.
 */
const GATE_LAGS_BEFORE = 1;
const GATE_LAGS_AFTER = 1;
/** Fastest fall of the predicted echo level, in dB per frame (60 dB in 400 ms). */
const RELEASE_DB_PER_FRAME = 4;
/** Longest run of frames judged caller speech over our audio that bounds leave out, in frames (5 s). */
const MAX_CALLER_RUN_FRAMES = 250;
/** Frames a bound is taken over beyond the tail (see `measureBound`). */
const BOUND_EXTRA_FRAMES = 5;
/**
 * Subtracted from each measured bound, in dB: a frame-level envelope cannot see an echo that straddles two
 * frames exactly (up to 3 dB for an isolated loud frame; much less on real speech).
 */
const BOUND_SAFETY_DB = 1;

/** Creates the echo handler an agent's `echo` section asks for. */
export function createEchoHandler(options: EchoHandlerOptions): EchoHandler {
  const tailMs = options.tailMs ?? DEFAULT_ECHO_TAIL_MS;
  const marginDb = options.marginDb ?? DEFAULT_ECHO_MARGIN_DB;
  if (!(tailMs >= 0 && tailMs <= 1000)) throw new RangeError(`echo.tailMs must be between 0 and 1000 ms, got ${tailMs}`);
  if (!(marginDb >= 0 && marginDb <= 40)) throw new RangeError(`echo.marginDb must be between 0 and 40 dB, got ${marginDb}`);
  const frameSamples = samplesPerFrame(options.sampleRate);
  if (!Number.isInteger(frameSamples) || frameSamples <= 0) throw new RangeError(`echo handling needs whole 20 ms frames; ${options.sampleRate} Hz does not give them`);
  switch (options.mode) {
    case 'off':
      return createPassThrough();
    case 'reference-gated':
    case 'aec':
      return createGatedHandler(options.mode, tailMs, marginDb, options.sampleRate, frameSamples);
    default: {
      const unknown: never = options.mode;
      throw new RangeError(`unknown echo mode ${JSON.stringify(unknown)}: use reference-gated, aec or off`);
    }
  }
}

function createPassThrough(): EchoHandler {
  const verdict: EchoVerdict = { frame: new Int16Array(0), speechAllowed: true };
  const estimate: EchoEstimate = { erlDb: 0, erleDb: 0, echoActive: false, delayMs: undefined };
  return {
    mode: 'off',
    onOutbound() {},
    process(inbound) {
      verdict.frame = inbound;
      return verdict;
    },
    estimate,
  };
}

/**
 * The reference: agent samples sent but not yet matched with an inbound frame. Each inbound frame takes one
 * frame of it (silence when playout is idle), so the reference runs on the inbound clock, the clock the
 * caller's phone plays and records on.
 */
class ReferenceQueue {
  private readonly ring: Int16Array;
  private start = 0;
  private count = 0;

  constructor(capacity: number) {
    this.ring = new Int16Array(capacity);
  }

  push(frame: Int16Array): void {
    const ring = this.ring;
    for (let i = 0; i < frame.length; i++) {
      if (this.count === ring.length) {
        // Far more queued than any tail: the oldest is beyond reach of the echo anyway.
        this.start = (this.start + 1) % ring.length;
        this.count--;
      }
      ring[(this.start + this.count) % ring.length] = frame[i]!;
      this.count++;
    }
  }

  /** Fills `out` with the next samples, silence past what is queued. */
  take(out: Int16Array): void {
    const ring = this.ring;
    const n = Math.min(out.length, this.count);
    for (let i = 0; i < n; i++) out[i] = ring[(this.start + i) % ring.length]!;
    out.fill(0, n);
    this.start = (this.start + n) % ring.length;
    this.count -= n;
  }
}

function createGatedHandler(mode: 'reference-gated' | 'aec', tailMs: number, marginDb: number, sampleRate: number, frameSamples: number): EchoHandler {
  // Lags 0..tail, plus one frame: an echo whose delay is not a whole number of frames straddles two of them.
  const lagFrames = Math.ceil(tailMs / FRAME_MS) + 1;
  const boundFrames = lagFrames + BOUND_EXTRA_FRAMES;
  const levels = boundFrames + 1;
  const refDb = new Float64Array(levels).fill(-100);
  const inDb = new Float64Array(levels).fill(-100);
  const outDb = new Float64Array(levels).fill(-100);
  // Frames judged caller speech over our audio (1) are left out of the bounds: see `measureBound`.
  const callerFrame = new Uint8Array(levels);
  let callerRun = 0;
  let now = 0; // index of the current frame in the level rings
  const queue = new ReferenceQueue(Math.max(sampleRate, frameSamples * (lagFrames + 2)));
  const reference = new Int16Array(frameSamples);
  const cleaned = new Int16Array(frameSamples);
  const canceller: EchoCanceller | undefined =
    mode === 'aec' ? createEchoCanceller({ frameSamples, tailSamples: Math.round((tailMs * sampleRate) / 1000) + frameSamples, sampleRate }) : undefined;
  const erl = new BoundHistory(INITIAL_ERL_DB);
  const erle = new BoundHistory(0);
  const delay = new DelayEstimator(lagFrames);
  const verdict: EchoVerdict = { frame: cleaned, speechAllowed: true };
  let echoActive = false;
  let predictedEcho = -100;

  const at = (age: number): number => (now - age + levels) % levels;
  const referenceAt = (age: number): number => refDb[at(age)]!;

  /**
   * A lower bound on the echo return loss from the last `boundFrames` frames, delay unknown: the echo of any
   * reference frame in [t - boundFrames + 1, t - lagFrames] has arrived inside that window whatever its delay,
   * so the loudest inbound frame of the window is at least that loud. Double talk only lowers the bound
   * (the caller adds level), which errs on the safe side; `BoundHistory` keeps the highest recent bound.
   * Frames already judged caller speech are left out (a window of mostly such frames measures nothing), or
   * a caller talking over the agent for a few seconds would lower the figure until the gate shut them out.
   * Left out for at most `MAX_CALLER_RUN_FRAMES` in a row: past that the "caller" is more likely an echo
   * path that just got louder (a switch to speakerphone), and the bounds must be allowed to say so.
   */
  const measureBound = (): number => {
    let inner = -100;
    for (let age = lagFrames; age < boundFrames; age++) inner = Math.max(inner, refDb[at(age)]!);
    if (inner < MEASURING_REFERENCE_DBFS) return Number.NaN;
    let loudestIn = -100;
    let counted = 0;
    for (let age = 0; age < boundFrames; age++) {
      if (callerFrame[at(age)]) continue;
      loudestIn = Math.max(loudestIn, inDb[at(age)]!);
      counted++;
    }
    return counted >= boundFrames / 2 ? Math.max(0, inner - loudestIn - BOUND_SAFETY_DB) : Number.NaN;
  };

  /** Canceller gain bound: how much quieter the loudest cleaned frame is than the loudest inbound one. */
  const measureCancellation = (): number => {
    let loudestIn = -100;
    let loudestOut = -100;
    for (let age = 0; age < boundFrames; age++) {
      loudestIn = Math.max(loudestIn, inDb[at(age)]!);
      loudestOut = Math.max(loudestOut, outDb[at(age)]!);
    }
    return loudestIn > -70 ? Math.max(0, loudestIn - loudestOut - BOUND_SAFETY_DB) : Number.NaN;
  };

  return {
    mode,
    onOutbound(frame) {
      queue.push(frame);
    },
    process(inbound) {
      if (inbound.length !== frameSamples) throw new RangeError(`echo handler: frames must be ${frameSamples} samples (20 ms at ${sampleRate} Hz), got ${inbound.length}`);
      queue.take(reference);
      now = (now + 1) % levels;
      callerFrame[now] = 0; // judged below, after this frame's bound
      refDb[now] = levelDbfs(reference);
      const level = levelDbfs(inbound);
      inDb[now] = level;
      let judged = level;
      if (canceller) {
        canceller.process(reference, inbound, cleaned);
        judged = levelDbfs(cleaned);
        outDb[now] = judged;
        verdict.frame = cleaned;
      } else {
        verdict.frame = inbound;
      }

      let loudestRef = -100;
      for (let age = 0; age <= lagFrames; age++) loudestRef = Math.max(loudestRef, refDb[at(age)]!);
      echoActive = loudestRef >= ACTIVE_REFERENCE_DBFS;
      erl.push(measureBound());
      if (canceller) erle.push(echoActive ? measureCancellation() : Number.NaN);
      if (!echoActive) {
        callerFrame[now] = 0;
        callerRun = 0;
        predictedEcho = -100;
        verdict.speechAllowed = true;
        return verdict;
      }
      delay.update(level, referenceAt);
      if (delay.delayFrames >= 0) {
        // The delay is known: only the reference frames around it can be echoing now.
        loudestRef = -100;
        const last = Math.min(lagFrames, delay.delayFrames + GATE_LAGS_AFTER);
        for (let age = Math.max(0, delay.delayFrames - GATE_LAGS_BEFORE); age <= last; age++) loudestRef = Math.max(loudestRef, refDb[at(age)]!);
      }
      // The echo does not stop dead (room reverberation, and the VAD's own hangover carries a loud frame's
      // verdict into the next few): the prediction falls off at RELEASE_DB_PER_FRAME at most.
      predictedEcho = Math.max(loudestRef - erl.value - (canceller ? erle.value : 0), predictedEcho - RELEASE_DB_PER_FRAME);
      verdict.speechAllowed = judged > predictedEcho + marginDb;
      callerRun = verdict.speechAllowed ? callerRun + 1 : 0;
      callerFrame[now] = verdict.speechAllowed && callerRun <= MAX_CALLER_RUN_FRAMES ? 1 : 0;
      return verdict;
    },
    estimate: {
      get erlDb() {
        return erl.value;
      },
      get erleDb() {
        return erle.value;
      },
      get echoActive() {
        return echoActive;
      },
      get delayMs() {
        return delay.delayFrames >= 0 ? delay.delayFrames * FRAME_MS : undefined;
      },
    },
  };
}
