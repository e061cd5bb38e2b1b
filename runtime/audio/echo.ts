/**
 * Echo handling: the agent's own voice, played on a speakerphone or a poor handset, comes back in the inbound
 * audio 50-300 ms later (500-800 ms over VoIP legs and speakerphones) and 10-40 dB down, through G.711 twice.
 * A VAD hears that echo as a caller talking and the agent would interrupt itself. What the agent sends (each
 * frame playout hands the transport) is the reference; the handler sits between the inbound frame and the VAD
 * and may veto the VAD's "speech".
 *
 * - `reference-gated` (default): a frame counts as caller speech during playout only if it is `marginDb`
 *   louder than the echo predicted from the reference. The prediction uses frame levels only. The delay is
 *   measured on every call, 0 to {@link MAX_ECHO_DELAY_MS}, by correlating level envelopes while our audio
 *   plays (`DelayEstimator`: a lag is trusted once a second of our audio has gone through it and the
 *   envelopes correlate at 0.6 or more there). Once trusted, the gate's window is the reference frames from
 *   one before to two after it (whole frames, an echo straddling two, room reverberation): they decide when
 *   the gate is on, what it predicts, and where echo return loss bounds are taken. The echo return loss (ERL)
 *   is a lower bound (`measureBound`, over the window, which is every lag up to {@link UNMEASURED_ECHO_PATH_MS}
 *   (or `tailMs`, if longer) before a delay is trusted: the echo of any reference frame older than the window
 *   has arrived inside it, so the loudest inbound frame there is at least that loud), the highest recent
 *   bound kept (`BoundHistory`); bounds taken over a window the measured path does not fit in are forgotten.
 *   Until that bound has a first figure, each lag of the window is gated with its own bound instead
 *   (`learnLagLosses`): a lag that has carried our audio back as silence, or quieter than it, bounds its own
 *   echo, so what stays unknown is only the echo of the first loud frames of the reply, at the lags where
 *   they now are; a frame only those lags would veto is let through if its last 60 ms do not correlate with
 *   the reference there (`EchoOnsetCheck`). Before anything is measured it assumes a 6 dB ERL. Every estimate errs towards a louder
 *   echo, so errors cost missed double talk, not false barge-ins.
 * - `aec`: a frequency-domain adaptive echo canceller (`echo-canceller.ts`, its filter `tailMs` long) removes
 *   the echo first; the VAD judges the cleaned frame and the same gate, lowered by the cancellation it has
 *   measured, checks the rest. An echo beyond the filter is left to the gate.
 * - `off`: trust the line.
 *
 * Measured (bench/echo.bench.ts, `npm run bench:echo -- --tail-ms 800`, as the example agents): the agent's voice (speech fixtures, 9.2 s, -22 dBFS
 * RMS) through mu-law, an echo path, mu-law again; WebRTC VAD mode 3; a fresh handler at the first frame.
 * false: echo-only playout frames flagged as caller speech; on: confirmed onsets (60 ms runs, i.e. false
 * barge-ins); dt: frames of a caller (-23 dBFS RMS) talking over the agent from 4.6 s that are detected; ms:
 * that caller's onset confirmed after. "room": three reflections and a bass-less loudspeaker; "noise": pink
 * line noise at -50 dBFS.
 *
 * | echo path               | off: false / on | reference-gated: false / on / dt / ms | aec: false / on / dt / ms |
 * | ----------------------- | --------------- | ------------------------------------- | ------------------------- |
 * | 50 ms / 10 dB           | 86% / 10        | 0% / 0 / 49% / 120                    | 0% / 0 / 89% / 60         |
 * | 120 ms / 18 dB          | 83% / 14        | 0% / 0 / 81% / 60                     | 0% / 0 / 90% / 60         |
 * | 250 ms / 10 dB          | 86% / 10        | 0% / 0 / 52% / 120                    | 0% / 0 / 88% / 60         |
 * | 250 ms / 30 dB          | 52% / 23        | 0% / 0 / 98% / 60                     | 0% / 0 / 99% / 60         |
 * | 500 ms / 18 dB          | 80% / 14        | 0% / 0 / 72% / 60                     | 0% / 0 / 72% / 60         |
 * | 700 ms / 10 dB          | 82% / 10        | 0% / 0 / 45% / 280                    | 0% / 0 / 45% / 280        |
 * | 120 ms / 18 dB, noise   | 56% / 28        | 0% / 0 / 81% / 60                     | 0% / 0 / 89% / 60         |
 * | 250 ms / 10 dB, noise   | 85% / 13        | 0% / 0 / 50% / 120                    | 0% / 0 / 89% / 60         |
 * | 120 ms / 18 dB, room    | 75% / 21        | 0% / 0 / 87% / 60                     | 0% / 0 / 91% / 60         |
 * | 250 ms / 10 dB, room    | 84% / 14        | 0% / 0 / 63% / 120                    | 0% / 0 / 91% / 60         |
 * | 700 ms / 10 dB, room    | 80% / 13        | 0% / 0 / 56% / 120                    | 0% / 0 / 55% / 120        |
 *
 * All 24 conditions of the bench (6 paths, each with and without room and noise): zero false onsets for
 * both modes, at most 0.2% false frames (reference-gated; with `tailMs` 800, or a path within `tailMs`: at
 * the schema default of 300, the 500 and 700 ms paths get 2-5 false onsets each before their delay is
 * measured, hence 800 in the example agents); double talk 45-99% (gated), 45-99% (aec; 88-99% on paths its
 * filter covers). Before the delay was measured per call, paths of 500 and 700 ms gave 12-27 false onsets
 * per condition (10-30 dB, with or without room) in both modes. Cost per 20 ms frame at 8 kHz, p50: reference-gated about 2 us while the agent
 * talks (1.4-1.7 us with a 300 ms delay search), 0.7 us when it is silent; aec 35-50 us while the agent
 * talks, about 2 us once it has been silent longer than the filter. The VAD itself is about 1.5 us.
 *
 * Default `reference-gated`: it never barged in on its own echo in any condition, for 2 us a frame, and
 * hears double talk well once the echo is 18 dB down or more (typical handsets and most speakerphones);
 * against a very loud echo (10 dB) it hears about half of a caller's frames over the agent, and confirms
 * their onset within 120 ms (280 ms on a 700 ms path). `aec` hears 88%+ of double talk on paths its filter
 * covers but costs about 25 times as much (1,000 calls with the agent talking half the time: about 1.1 cores
 * for the canceller alone), so it is for agents whose callers are mostly on speakerphones.
 *
 * Limits: until the first window-wide bound (the unmeasured path plus 40 ms into the first reply) the echo of
 * the reply's first loud frames is unknown, and a caller is heard over it only when the waveform check clears
 * them (before per-lag bounds: only when as loud as the agent); a path longer than the
 * unmeasured one is gated only once measured (about a second after its echo starts coming back); a second,
 * weaker echo at another delay
 * is gated only around the stronger one's; a caller talking over the agent for more than 5 s in a row is
 * taken for an echo path that got louder; after a barge-in flush the gate stays on, for audio the far end
 * never played, for the measured delay plus 60 ms (800 ms before it is measured). The recogniser still
 * receives the raw inbound audio.
 */
import { createEchoCanceller, type EchoCanceller } from './echo-canceller.js';
import { EchoOnsetCheck } from './echo-onset-check.js';
import { BoundHistory, DelayEstimator } from './echo-path.js';
import { FRAME_MS, levelDbfs, samplesPerFrame } from './frames.js';
import { ReferenceQueue } from './reference-queue.js';

/** How the agent's own voice, echoed back by the caller's phone, is kept from counting as caller speech. */
export type EchoMode = 'reference-gated' | 'aec' | 'off';

/** Options of {@link createEchoHandler} (the agent's `echo` section plus the line's sample rate). */
export interface EchoHandlerOptions {
  readonly mode: EchoMode;
  /**
   * Echo path (send -> echo back) the `aec` canceller's filter covers, in milliseconds; the gate also assumes
   * paths this long before it has measured the line's delay, if that is longer than
   * {@link UNMEASURED_ECHO_PATH_MS}. Default: 300.
   */
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
  /**
   * Whether our own audio could be echoing right now: a loud reference frame around the measured delay (or
   * anywhere within the unmeasured path before a delay is trusted). After it, the predicted echo still dies
   * away for a few frames, vetoing only frames quieter than it.
   */
  readonly echoActive: boolean;
  /**
   * Echo delay found (a multiple of 20 ms: the frame most of the echo comes from, 0 to
   * {@link MAX_ECHO_DELAY_MS}), or undefined until trusted.
   */
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
 * Longest echo delay measured, in milliseconds: the delay search covers 0 to this on every call, whatever
 * `tailMs` is. A VoIP leg plus a speakerphone rarely exceeds 800 ms; past a second it is a broken line.
 */
export const MAX_ECHO_DELAY_MS = 1000;
/**
 * Longest echo path the gate assumes until it has measured the line's delay (or `tailMs`, if longer), in
 * milliseconds. The echo return loss is bounded over this window; its first window-wide bound comes this
 * plus two frames into a call's first reply, and per-lag bounds gate the window until then. A longer path is
 * gated only once measured (within about 1.7 s of the agent's audio; bench:echo, default `tailMs`: 3-5 false
 * onsets on each 500 and 700 ms path); agents for VoIP and speakerphone lines set `echo.tailMs: 800`.
 * (Before per-lag bounds the gate predicted a 6 dB echo of everything in this window until its first bound:
 * with 800, the first ~840 ms of every greeting were nearly uninterruptible, bench:serve's barge-ins there
 * reacting ~1 s late.)
 */
export const UNMEASURED_ECHO_PATH_MS = 300;
/**
 * Echo return loss assumed before any has been measured, in dB: a loud speakerphone. The first reply is
 * protected from its first frame, at the price of a caller having to talk about as loud as the agent's
 * first loud frames to be heard while their echo could still come back (the unmeasured path).
 */
const INITIAL_ERL_DB = 6;
/** Reference frames quieter than this cannot produce an echo worth gating, in dBFS. */
const ACTIVE_REFERENCE_DBFS = -60;
/**
 * After our audio has left the gate's window, the predicted echo dies away at `RELEASE_DB_PER_FRAME` until it
 * is quieter than this, in dBFS: the VAD's hangover can call a few frames of near silence after an echo
 * "speech" and only that prediction vetoes them. A caller is far louder and is heard within a frame or two.
 */
const QUIET_ECHO_DBFS = -80;
/**
 * How fast a per-lag loss bound moves down towards lower evidence, in dB per frame that measured that lag: a
 * single lower bound (a louder echo path) brings the figure down over about a second of our audio, as
 * `BoundHistory` forgets. Frames that measure nothing (our audio quiet there, the caller talking) hold it.
 */
const LAG_LOSS_RELEASE_DB = 0.1;
/**
 * Correlation of the last 60 ms of inbound audio with the reference at an unknown lag from which it counts as
 * that lag's echo (`EchoOnsetCheck`). test/audio/echo-onset-check.test.ts: an echo through G.711 twice, a room
 * and line noise correlates at 0.58-0.89 (p5) at its delay; a real caller (JFK) over the agent's voice at 0.32
 * (p95) and 0.44 (p99) at any lag, over a tone at 0.18 (p99).
 */
const ECHO_CORRELATION = 0.5;
/** Correlation at which one frame is enough to count as echo (below it, two running are needed: see `predictByLag`). */
const STRONG_ECHO_CORRELATION = 0.7;
/**
 * Quietest frame the waveform check may let through, in dBFS: a caller barging in is far louder, and line
 * noise the VAD takes for speech (pink noise at -50 dBFS in bench:echo) is no echo either, so the check would
 * let it start a barge-in attempt the prediction used to keep out.
 */
const ONSET_CHECK_MIN_DBFS = -40;
/**
 * Unknown lags checked per frame at most; past that the frame stays vetoed (bounds the cost). A caller talking
 * over the start of the reply keeps the lags their speech covers unknown (their frames are no evidence), so
 * the set grows by about a lag a frame: 42 is the whole window at `tailMs: 800`, about 1.4 ms of checks on the
 * worst frame, only in the first ~840 ms of a call. (At 12, a caller was shut out ~240 ms into their line.)
 */
const MAX_ONSET_CHECKS = 42;
/** Largest per-lag echo return loss believed, in dB (as `BoundHistory`). */
const MAX_LAG_LOSS_DB = 60;
/** Reference frames at least this loud are informative enough to measure the echo return loss from, in dBFS. */
const MEASURING_REFERENCE_DBFS = -45;
/**
 * Once the delay is known, the reference frames from `delay - GATE_LAGS_BEFORE` to `delay + GATE_LAGS_AFTER`
 * are the ones whose echo may be arriving: the estimate is whole frames, an echo straddles two frames, and
 * a room adds a few tens of milliseconds of reverberation. They size the whole gate: when it is on, what it
 * predicts, and the window echo return loss bounds are measured over.
 */
const GATE_LAGS_BEFORE = 1;
const GATE_LAGS_AFTER = 2;
/**
 * Frames after our audio last played in which the delay estimate still learns, in frames (200 ms): pauses
 * between words and phrases, but not the caller's answer after the reply.
 */
const ESTIMATE_GAP_FRAMES = 10;
/** Fastest fall of the predicted echo level, in dB per frame (60 dB in 300 ms). */
const RELEASE_DB_PER_FRAME = 4;
/** Longest run of frames judged caller speech over our audio that bounds leave out, in frames (5 s). */
const MAX_CALLER_RUN_FRAMES = 250;
/** Frames a bound is taken over beyond the gate's window (see `measureBound`). */
const BOUND_EXTRA_FRAMES = 5;
/**
 * Shortest lag a bound's window starts from, in frames (320 ms), however short the measured path: over fewer
 * frames an echo split across two of them reads up to 3 dB quiet too often, and the bound comes out too high.
 */
const MIN_BOUND_LAGS = 16;
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

function createGatedHandler(mode: 'reference-gated' | 'aec', tailMs: number, marginDb: number, sampleRate: number, frameSamples: number): EchoHandler {
  // Lags in frames, plus one: an echo whose delay is not a whole number of frames straddles two of them.
  const unmeasuredLags = Math.ceil(Math.max(tailMs, UNMEASURED_ECHO_PATH_MS) / FRAME_MS) + 1;
  const searchLags = Math.max(unmeasuredLags, Math.ceil(MAX_ECHO_DELAY_MS / FRAME_MS) + 1);
  const levels = searchLags + BOUND_EXTRA_FRAMES + 1;
  const refDb = new Float64Array(levels).fill(-100);
  const inDb = new Float64Array(levels).fill(-100);
  const outDb = new Float64Array(levels).fill(-100);
  // Frames judged caller speech over our audio (1) are left out of the bounds: see `measureBound`.
  const callerFrame = new Uint8Array(levels);
  let callerRun = 0;
  let now = 0; // index of the current frame in the level rings
  const queue = new ReferenceQueue(Math.max(sampleRate, frameSamples * (searchLags + 2)));
  const reference = new Int16Array(frameSamples);
  const cleaned = new Int16Array(frameSamples);
  // The canceller's filter stays at `tailMs` (its cost and convergence time grow with it); the gate behind
  // it covers what the filter does not reach.
  const canceller: EchoCanceller | undefined =
    mode === 'aec' ? createEchoCanceller({ frameSamples, tailSamples: Math.round((tailMs * sampleRate) / 1000) + frameSamples, sampleRate }) : undefined;
  const erl = new BoundHistory(INITIAL_ERL_DB);
  // Per-lag echo return loss bounds until the first window-wide one (see `learnLagLosses`): entry `d` bounds
  // the loss of an echo path between `d` and `d + 1` frames.
  const lagLoss = new Float64Array(unmeasuredLags + 1).fill(INITIAL_ERL_DB);
  const erle = new BoundHistory(0);
  const delay = new DelayEstimator(searchLags);
  const verdict: EchoVerdict = { frame: cleaned, speechAllowed: true };
  // The gate's window: reference frames `firstLag`..`lastLag` ago may be echoing now. Every lag up to the
  // unmeasured path until a delay is trusted, then the few frames around it.
  let firstLag = 0;
  let lastLag = unmeasuredLags;
  let windowBounded = false; // a window-wide bound has been measured (see `learnLagLosses`)
  // This frame's reference levels per lag pair (`d`, `d + 1`): the louder and the quieter (see `predictByLag`).
  const pairLouder = new Float64Array(unmeasuredLags + 1);
  const pairQuieter = new Float64Array(unmeasuredLags + 1);
  let onsetCheck: EchoOnsetCheck | undefined = new EchoOnsetCheck(frameSamples, unmeasuredLags + 1);
  let boundsLag = lastLag; // shortest lag the bounds held were taken from (since they were last forgotten)
  let echoActive = false;
  let sinceActiveReference = levels; // frames since the last reference frame loud enough to echo
  let predictedEcho = -100;
  // Early (see `learnLagLosses`): the prediction from the lags with evidence alone, and whether this frame's
  // waveform check cleared the lags without (then their earlier predictions do not linger either).
  let knownEcho = -100;
  let predictedKnownEcho = -100;
  let lagsCleared = false;
  let lagsAmbiguous = false; // vetoed, if at all, by lags without evidence alone: the frame measures nothing
  // Per lag: the waveform check's last figure, and the frame it was taken on (see `predictByLag`).
  const correlation = new Float64Array(unmeasuredLags + 2);
  const correlatedAt = new Float64Array(unmeasuredLags + 2).fill(-2);
  let frameCount = 0;

  const at = (age: number): number => (now - age + levels) % levels;
  const loudestReference = (from: number, to: number): number => {
    let loudest = -100;
    for (let age = from; age <= to; age++) loudest = Math.max(loudest, refDb[at(age)]!);
    return loudest;
  };
  const boundLag = (): number => Math.max(lastLag, MIN_BOUND_LAGS);

  /** Sizes the gate's window from the trusted delay, if any (called each frame, after the delay's update). */
  const followDelay = (): void => {
    if (delay.delayFrames < 0) return;
    firstLag = Math.max(0, delay.delayFrames - GATE_LAGS_BEFORE);
    lastLag = Math.min(searchLags, delay.delayFrames + GATE_LAGS_AFTER);
    // Bounds taken from a lag the echo path does not fit in (a path longer than the unmeasured one) looked
    // for the echo before it came back: too high, so unsafe. Forget them. Longer lags only err low, and the
    // estimate moving by one frame (a delay between two) still fits in the window it had.
    if (delay.delayFrames + 1 > boundsLag) {
      erl.restart(INITIAL_ERL_DB);
      boundsLag = boundLag();
    }
    boundsLag = Math.min(boundsLag, boundLag());
  };

  /**
   * A lower bound on the echo return loss from the last `boundLag() + BOUND_EXTRA_FRAMES` frames: the echo of
   * any reference frame older than the window's last lag has arrived inside them, so the loudest inbound frame
   * there is at least that loud. Double talk only lowers the bound (the caller adds level), which errs on
   * the safe side; `BoundHistory` keeps the highest recent bound. A measured short delay shortens the window
   * (to `MIN_BOUND_LAGS`), so fewer unrelated frames (caller, older echo) loosen the bound.
   * Frames already judged caller speech are left out (a window of mostly such frames measures nothing), or
   * a caller talking over the agent for a few seconds would lower the figure until the gate shut them out.
   * Left out for at most `MAX_CALLER_RUN_FRAMES` in a row: past that the "caller" is more likely an echo
   * path that just got louder (a switch to speakerphone), and the bounds must be allowed to say so.
   */
  const measureBound = (): number => {
    const from = boundLag();
    const boundFrames = from + BOUND_EXTRA_FRAMES;
    const inner = loudestReference(from, boundFrames - 1);
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

  /**
   * Per-lag lower bounds on the echo return loss, for the gate until the window-wide bound (`measureBound`)
   * has its first figure, the unmeasured path plus two frames into the first reply (about 340 ms, 840 ms with
   * `tailMs: 800`). Before per-lag bounds the gate assumed until then that everything in its window could
   * come back 6 dB down: a caller barging in on the greeting had to be as loud as the agent. But a lag that
   * has already carried our audio back as silence has no loud echo: an echo path between `d` and `d + 1`
   * frames returns at least the quieter of the reference frames `d` and `d + 1` back, less its loss, so
   * `loss >= min(ref[d], ref[d + 1]) - inbound` on every frame (double talk and noise only make the inbound
   * louder: the bound errs low). What stays unknown is the echo of the first loud frames of the reply, at the
   * lags where they are now. A bound moves down towards lower evidence at `LAG_LOSS_RELEASE_DB` a frame;
   * frames judged caller speech measure nothing.
   *
   * Only until then, and only over the window: the window-wide bound compares the loudest inbound frame with
   * the loudest reference, so on a line with impulsive noise (typing, babble) it comes out low and keeps that
   * noise from pausing the agent while it talks. Per-lag bounds, taken between the clicks, are truer about the
   * echo and let that noise through (used instead of it for the whole call, bench:quality's keyboard lines
   * went from 0 to 15-20 % false barge-ins). Over every lag of the delay search (0-1,000 ms) they would gate
   * paths longer than `tailMs` before these are measured (bench:echo's 500 and 700 ms paths at the default
   * 300: no false onset instead of 3-5), but the echo of the reply's first loud frames would stay unknown for
   * a whole second, and callers who interrupt in it would have to be louder than those frames.
   */
  const learnLagLosses = (level: number): void => {
    // Called after predictByLag on the same frame: it read the lag pairs' levels.
    const inbound = level > -100 ? level : -100;
    for (let lag = 0; lag <= lastLag; lag++) {
      const quieter = pairQuieter[lag]!;
      if (quieter >= MEASURING_REFERENCE_DBFS) {
        const bound = quieter - inbound - BOUND_SAFETY_DB;
        const faded = lagLoss[lag]! - LAG_LOSS_RELEASE_DB;
        const loss = bound > faded ? bound : faded;
        lagLoss[lag] = loss > MAX_LAG_LOSS_DB ? MAX_LAG_LOSS_DB : loss < INITIAL_ERL_DB ? INITIAL_ERL_DB : loss;
      }
    }
  };

  /**
   * The echo predicted by lag (see `learnLagLosses`): over the window's lags, the louder of each lag pair's
   * reference frames less that lag's own bound. A frame vetoed only by lags with no evidence yet (where the
   * first loud frames of the reply now sit) is checked against the reference's waveform at those lags
   * (`EchoOnsetCheck`): if it is not their echo, those lags do not veto it.
   */
  const predictByLag = (judged: number): number => {
    let known = -100;
    let unknown = -100;
    lagsCleared = false;
    lagsAmbiguous = false;
    // Each lag pair's reference levels, read once for this frame (learnLagLosses uses the quieter ones).
    let index = now;
    let next = at(1);
    for (let lag = 0; lag <= lastLag; lag++) {
      const a = refDb[index]!;
      const b = refDb[next]!;
      pairLouder[lag] = a > b ? a : b;
      pairQuieter[lag] = a < b ? a : b;
      const echo = pairLouder[lag]! - lagLoss[lag]!;
      if (lagLoss[lag] === INITIAL_ERL_DB) {
        if (echo > unknown) unknown = echo;
      } else if (echo > known) known = echo;
      index = next;
      next = next === 0 ? levels - 1 : next - 1;
    }
    knownEcho = known;
    if (unknown <= known || judged <= known + marginDb || judged > unknown + marginDb || judged < ONSET_CHECK_MIN_DBFS) {
      return known > unknown ? known : unknown;
    }
    // Vetoed by unknown lags alone: each of those that would veto must be shown not to be echoing. Either way
    // the frame is no evidence: a caller the check did not clear would pass for a loud echo at every lag.
    // An echo comes back on one path, frame after frame; a caller's voice matches some tone or syllable of ours
    // at one lag now and another the next. So a lag vetoes when it correlates strongly, or at the threshold
    // twice running (itself or a neighbour): with dozens of lags checked a frame, single chance matches at 0.5
    // shut a caller out of a frame in five (bench:serve's espeak voice).
    lagsAmbiguous = true;
    let checked = 0;
    let echoing = false;
    for (let lag = 0; lag <= lastLag; lag++) {
      if (lagLoss[lag] !== INITIAL_ERL_DB || pairLouder[lag]! - INITIAL_ERL_DB + marginDb < judged) continue;
      if (!onsetCheck || ++checked > MAX_ONSET_CHECKS) return unknown;
      const r = onsetCheck.correlation(lag);
      let before = 0;
      for (let l = lag > 0 ? lag - 1 : 0; l <= lag + 1; l++) if (correlatedAt[l] === frameCount - 1 && correlation[l]! > before) before = correlation[l]!;
      correlation[lag] = r;
      correlatedAt[lag] = frameCount;
      if (r >= STRONG_ECHO_CORRELATION || (r >= ECHO_CORRELATION && before >= ECHO_CORRELATION)) echoing = true;
    }
    if (echoing) return unknown;
    lagsCleared = true;
    return known;
  };

  /** Canceller gain bound: how much quieter the loudest cleaned frame is than the loudest inbound one. */
  const measureCancellation = (): number => {
    let loudestIn = -100;
    let loudestOut = -100;
    for (let age = 0; age < boundLag() + BOUND_EXTRA_FRAMES; age++) {
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
      frameCount++;
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

      // The delay is searched over the whole range, whatever window the gate uses, while our audio plays (and
      // through its short pauses), not after: a caller answering within a second of the agent's last words
      // would look like an echo of them at every lag longer than their pause. The window follows the result.
      sinceActiveReference = refDb[now]! >= ACTIVE_REFERENCE_DBFS ? 0 : sinceActiveReference + 1;
      if (sinceActiveReference <= ESTIMATE_GAP_FRAMES) delay.update(level, refDb, now);
      followDelay();
      // Until the window-wide bound has a first figure (or a delay is trusted), each lag has its own bound.
      const early = !windowBounded && delay.delayFrames < 0;
      const loudestRef = loudestReference(firstLag, lastLag);
      echoActive = loudestRef >= ACTIVE_REFERENCE_DBFS;
      const bound = measureBound();
      if (bound === bound && !windowBounded) {
        windowBounded = true;
        onsetCheck?.release();
        onsetCheck = undefined;
      }
      if (early) onsetCheck?.push(reference, inbound);
      erl.push(bound);
      if (canceller) erle.push(echoActive ? measureCancellation() : Number.NaN);
      // The echo does not stop dead (room reverberation, and the VAD's own hangover carries a loud frame's
      // verdict into the next few): the prediction falls off at RELEASE_DB_PER_FRAME at most, also once our
      // audio has left the window, until it is too quiet to matter.
      const released = predictedEcho - RELEASE_DB_PER_FRAME;
      const releasedKnown = predictedKnownEcho - RELEASE_DB_PER_FRAME;
      if (!echoActive && released < QUIET_ECHO_DBFS) {
        callerFrame[now] = 0;
        callerRun = 0;
        predictedEcho = -100;
        predictedKnownEcho = -100;
        verdict.speechAllowed = true;
        return verdict;
      }
      const echo = early ? predictByLag(judged) : loudestRef - erl.value;
      const cancelled = canceller ? erle.value : 0;
      if (early) predictedKnownEcho = Math.max(echoActive ? knownEcho - cancelled : -100, releasedKnown);
      // Early, the unknown lags are judged afresh on every frame (their reference is still in the window), so
      // only the known part of a prediction lingers into the next frames.
      predictedEcho = early && lagsCleared ? predictedKnownEcho : Math.max(echoActive ? echo - cancelled : -100, early ? releasedKnown : released);
      verdict.speechAllowed = judged > predictedEcho + marginDb;
      callerRun = verdict.speechAllowed ? callerRun + 1 : 0;
      // A frame vetoed by the unknown lags alone measures nothing either (see `predictByLag`): the window-wide
      // bound leaves it out as it does caller speech.
      callerFrame[now] = (verdict.speechAllowed && callerRun <= MAX_CALLER_RUN_FRAMES) || (early && lagsAmbiguous) ? 1 : 0;
      if (early && callerFrame[now] === 0) learnLagLosses(level);
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
