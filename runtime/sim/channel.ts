/**
 * The simulated phone line of `voiceagent test` (a scenario's `channel`): what the agent hears of the
 * caller. Each 20 ms the caller's frame is mixed with background noise at the scenario's SNR and with an
 * echo of the agent's own voice (delayed, attenuated), clipped to 16 bits, passed through the line's codec
 * (G.711 mu-law or A-law encode and decode; linear PCM untouched), and then sometimes lost.
 *
 * Time advances one frame per `inbound()` call: the simulated call drives the channel from its 20 ms tick,
 * calling `agentFrame()` with the audio the caller hears during the tick, then `inbound()` with what the
 * caller says. Noise, echo and loss are seeded from `seed` on separate streams: the same scenario gives the
 * same line on every run, and a change of loss rate leaves the noise samples as they were.
 */
import { FRAME_MS, msToSamples, samplesPerFrame } from '../audio/frames.js';
import { decodeAlawInto, decodeMulawInto, encodeAlawInto, encodeMulawInto } from '../audio/g711.js';
import { createNoise, deriveSeed, seededRandom, type NoiseType } from './noise.js';
import { createLoopedNoise } from './recorded-audio.js';

/** Codecs of a simulated line (`channel.codec`). */
export type ChannelCodec = 'pcmu' | 'pcma' | 'pcm16';

/** Telephony's nominal speech level (-26 dBov, ITU-T P.56 practice), in dBFS: the default SNR reference. */
export const NOMINAL_SPEECH_DBFS = -26;

/** Sample rate each codec carries, in hertz: G.711 is 8 kHz by definition; linear PCM lines run at 16 kHz. */
export const CODEC_SAMPLE_RATES: Readonly<Record<ChannelCodec, number>> = { pcmu: 8000, pcma: 8000, pcm16: 16000 };

/** Highest `packetLossPct` a scenario may ask for (the scenario schema's limit), in percent. */
export const MAX_PACKET_LOSS_PCT = 50;

/** Longest echo delay a scenario may ask for (the scenario schema's limit), in milliseconds. */
export const MAX_ECHO_DELAY_MS = 1000;

/**
 * Background noise of a line (`channel.noise`, a `setNoise` step): synthetic, a recording looped (its samples
 * already at the line's rate), or none. `snrDb` is the caller's speech level (`speechLevelDbfs`) above the
 * noise's RMS, in decibels; lower is noisier.
 */
export type LineNoise =
  | { readonly type: NoiseType; readonly snrDb: number }
  | { readonly type: 'recording'; readonly samples: Int16Array; readonly snrDb: number }
  | { readonly type: 'none' };

/** Options of {@link createChannel}: a scenario's `channel` plus what the run decides. */
export interface ChannelOptions {
  /** Codec of the line. */
  readonly codec: ChannelCodec;
  /** Background noise mixed into the caller's audio from the start ({@link Channel.setNoise} changes it). Default: none. */
  readonly noise?: LineNoise;
  /** The agent's voice leaking back from the caller's phone. Default: none. */
  readonly echo?: {
    /** Delay after the caller hears the agent's audio, in milliseconds (0-1000). */
    readonly delayMs: number;
    /** How much quieter the echo is than the agent's audio, in decibels (0 or more). */
    readonly attenuationDb: number;
  };
  /** Share of inbound frames lost, in percent (0-50). Default: 0. */
  readonly packetLossPct?: number;
  /** Seed of the noise and of the loss pattern. */
  readonly seed: number;
  /** Sample rate of every frame, in hertz. Default: the codec's ({@link CODEC_SAMPLE_RATES}); G.711 must be 8000. */
  readonly sampleRate?: number;
  /**
   * Level the caller's speech is produced at, in dBFS RMS: the noise sits `snrDb` below it. Default:
   * {@link NOMINAL_SPEECH_DBFS} (-26 dBFS).
   */
  readonly speechLevelDbfs?: number;
}

/** Counts of what went through a channel. */
export interface ChannelStats {
  /** Frames `inbound()` was called for (one per 20 ms of call). */
  readonly frames: number;
  /** Frames lost (returned `undefined`). */
  readonly lostFrames: number;
}

/** A simulated phone line, driven one 20 ms frame at a time. */
export interface Channel {
  readonly codec: ChannelCodec;
  /** Sample rate of every frame, in hertz. */
  readonly sampleRate: number;
  /** Samples in one 20 ms frame. */
  readonly frameSamples: number;
  /**
   * Records audio the agent sent as the caller hears it, for the echo path. Call it, in order, before
   * `inbound()` of the tick during which the caller hears it; audio given ahead of time (several frames in
   * one tick) is queued to be heard in the following ticks. Frames may be any length. Does nothing
   * without `echo`.
   */
  agentFrame(frame: Int16Array): void;
  /**
   * One tick of the line: the caller's 20 ms (`undefined` when the caller is silent) plus noise and echo,
   * clipped and passed through the codec. Returns a new frame, or `undefined` when the packet is lost.
   * Throws a `RangeError` when the caller's frame is not {@link Channel.frameSamples} long.
   */
  inbound(callerFrame: Int16Array | undefined): Int16Array | undefined;
  /**
   * Changes the background noise from the next `inbound()` on (undefined or `none`: silence), at the same
   * speech level reference. Each change draws from its own seed stream, so the same script gives the same line.
   */
  setNoise(noise: LineNoise | undefined): void;
  /** What went through so far. */
  stats(): ChannelStats;
}

/** Seed streams, so that noise and loss never share draws (see `deriveSeed`). */
const NOISE_STREAM = 1;
const LOSS_STREAM = 2;
/** Stream of the n-th noise change: `CHANGED_NOISE_STREAM + n`. */
const CHANGED_NOISE_STREAM = 1000;

/** Fills a frame with noise, in 16-bit units. */
type NoiseFill = (output: Float32Array) => void;

/** The noise source of a {@link LineNoise} at `levelDbfs` of speech, or undefined for none. */
function createLineNoise(noise: LineNoise | undefined, sampleRate: number, speechLevelDbfs: number, seed: number): NoiseFill | undefined {
  if (!noise || noise.type === 'none') return undefined;
  const levelDbfs = Math.min(0, speechLevelDbfs - noise.snrDb);
  if (noise.type === 'recording') {
    // Where the loop starts depends on the seed: runs with different seeds hear different stretches of the room.
    const looped = createLoopedNoise(noise.samples, { sampleRate, levelDbfs, startAt: Math.floor(seededRandom(seed)() * noise.samples.length) });
    return (output) => looped.fill(output);
  }
  const source = createNoise({ type: noise.type, sampleRate, levelDbfs, seed });
  return (output) => source.fill(output);
}

function checkOptions(options: ChannelOptions, sampleRate: number): void {
  const { codec, noise, echo, packetLossPct = 0 } = options;
  if (!(codec in CODEC_SAMPLE_RATES)) throw new RangeError(`channel.codec ${JSON.stringify(codec)} is unknown: use pcmu, pcma or pcm16`);
  if (codec !== 'pcm16' && sampleRate !== 8000) throw new RangeError(`channel.codec ${codec} is G.711, which carries 8000 Hz audio, but the sample rate is ${sampleRate} Hz: resample to 8000 Hz or use codec pcm16`);
  if (!Number.isInteger(samplesPerFrame(sampleRate)) || sampleRate <= 0) throw new RangeError(`channel sample rate ${sampleRate} Hz does not give whole ${FRAME_MS} ms frames: use a multiple of 50 Hz such as 16000`);
  if (!(packetLossPct >= 0 && packetLossPct <= MAX_PACKET_LOSS_PCT)) throw new RangeError(`channel.packetLossPct must be between 0 and ${MAX_PACKET_LOSS_PCT} (percent), got ${packetLossPct}`);
  if (echo && !(echo.delayMs >= 0 && echo.delayMs <= MAX_ECHO_DELAY_MS)) throw new RangeError(`channel.echo.delayMs must be between 0 and ${MAX_ECHO_DELAY_MS} (milliseconds), got ${echo.delayMs}`);
  if (echo && !(echo.attenuationDb >= 0)) throw new RangeError(`channel.echo.attenuationDb must be 0 dB or more (a quieter echo), got ${echo.attenuationDb}`);
  checkNoise(noise);
}

function checkNoise(noise: LineNoise | undefined): void {
  if (noise && noise.type !== 'none' && !Number.isFinite(noise.snrDb)) throw new RangeError(`channel.noise.snrDb must be a number of decibels, got ${noise.snrDb}`);
  if (noise?.type === 'recording' && noise.samples.length === 0) throw new RangeError('channel.noise: the recording holds no samples; use a WAV file with audio in it');
}

/**
 * The echo path: a ring of the agent's audio indexed by absolute sample time, written when the caller hears
 * it and read `delay` samples later.
 */
interface EchoLine {
  write(frame: Int16Array, now: number): void;
  /** Adds the echo heard during [now, now + output.length) into `output`. */
  addTo(output: Float32Array, now: number): void;
}

function createEchoLine(delaySamples: number, gain: number, frameSamples: number): EchoLine {
  // Room for the delay, one tick, and a second of audio queued ahead; grown if the agent queues more.
  let ring = new Float32Array(2 ** Math.ceil(Math.log2(delaySamples + frameSamples * 51)));
  let writeAt = 0;
  let oldest = 0; // earliest sample time still needed by a read
  const grow = (needed: number) => {
    const bigger = new Float32Array(2 ** Math.ceil(Math.log2(needed)));
    for (let t = oldest; t < writeAt; t++) bigger[t & (bigger.length - 1)] = ring[t & (ring.length - 1)]!;
    ring = bigger;
  };
  return {
    write(frame, now) {
      writeAt = Math.max(writeAt, now); // after a silence, audio is heard from now on, not in the past
      if (writeAt + frame.length - oldest > ring.length) grow(writeAt + frame.length - oldest);
      const mask = ring.length - 1;
      for (let i = 0; i < frame.length; i++) ring[(writeAt + i) & mask] = frame[i]! * gain;
      writeAt += frame.length;
    },
    addTo(output, now) {
      const mask = ring.length - 1;
      const from = now - delaySamples;
      for (let i = 0; i < output.length; i++) {
        const t = from + i;
        if (t < 0) continue;
        output[i] = output[i]! + ring[t & mask]!;
        ring[t & mask] = 0; // read once: clear so a silent agent later echoes silence
      }
      oldest = Math.max(oldest, from + output.length);
      if (writeAt < oldest) writeAt = oldest;
    },
  };
}

/** The codec round trip of a frame, in place. */
type CodecRoundTrip = (frame: Int16Array) => void;

function codecRoundTrip(codec: ChannelCodec, frameSamples: number): CodecRoundTrip {
  if (codec === 'pcm16') return () => {};
  const bytes = new Uint8Array(frameSamples);
  const [encode, decode] = codec === 'pcmu' ? [encodeMulawInto, decodeMulawInto] : [encodeAlawInto, decodeAlawInto];
  return (frame) => {
    encode(frame, bytes);
    decode(bytes, frame);
  };
}

/**
 * Creates a simulated phone line. Throws a `RangeError` with the field to fix on options a scenario cannot
 * have: an unknown codec, G.711 at a rate other than 8000 Hz, a loss rate outside 0-50 %, an echo delay
 * outside 0-1000 ms or a negative attenuation.
 */
export function createChannel(options: ChannelOptions): Channel {
  const { codec, seed } = options;
  const sampleRate = options.sampleRate ?? CODEC_SAMPLE_RATES[codec];
  checkOptions(options, sampleRate);
  const frameSamples = samplesPerFrame(sampleRate);
  const lossRate = (options.packetLossPct ?? 0) / 100;
  const speechLevel = options.speechLevelDbfs ?? NOMINAL_SPEECH_DBFS;
  let noise = createLineNoise(options.noise, sampleRate, speechLevel, deriveSeed(seed, NOISE_STREAM));
  let noiseChanges = 0;
  const echo = options.echo && createEchoLine(msToSamples(options.echo.delayMs, sampleRate), 10 ** (-options.echo.attenuationDb / 20), frameSamples);
  const lossDraw = seededRandom(deriveSeed(seed, LOSS_STREAM));
  const roundTrip = codecRoundTrip(codec, frameSamples);
  const mix = new Float32Array(frameSamples);
  let now = 0;
  let frames = 0;
  let lostFrames = 0;

  return {
    codec,
    sampleRate,
    frameSamples,
    agentFrame(frame) {
      echo?.write(frame, now);
    },
    inbound(callerFrame) {
      if (callerFrame && callerFrame.length !== frameSamples) {
        throw new RangeError(`channel.inbound: the caller frame has ${callerFrame.length} samples, but a ${FRAME_MS} ms frame at ${sampleRate} Hz has ${frameSamples}; cut the caller's audio into ${FRAME_MS} ms frames`);
      }
      if (noise) noise(mix);
      else mix.fill(0);
      echo?.addTo(mix, now);
      now += frameSamples;
      frames++;
      // Drawn every tick, lost or not, so the loss pattern depends on the seed and the tick alone.
      if (lossRate > 0 && lossDraw() < lossRate) {
        lostFrames++;
        return undefined;
      }
      const out = new Int16Array(frameSamples);
      for (let i = 0; i < frameSamples; i++) {
        const s = Math.round(mix[i]! + (callerFrame ? callerFrame[i]! : 0));
        out[i] = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
      }
      roundTrip(out);
      return out;
    },
    setNoise(next) {
      checkNoise(next);
      noise = createLineNoise(next, sampleRate, speechLevel, deriveSeed(seed, CHANGED_NOISE_STREAM + ++noiseChanges));
    },
    stats: () => ({ frames, lostFrames }),
  };
}
