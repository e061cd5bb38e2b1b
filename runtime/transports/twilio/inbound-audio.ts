/**
 * The caller's side of a Twilio stream: base64 mu-law `media` payloads in, exact 20 ms PCM16 frames out, with
 * lost chunks filled by silence so the call's timeline stays true.
 *
 * Twilio sends 160-byte chunks (20 ms at 8 kHz), but nothing here relies on it: any length is framed. `chunk`
 * is a per-stream sequence number; a jump means chunks were lost on Twilio's side, and the missing audio is
 * replaced by silence of the same length (the length of the chunk before the gap), bounded by `maxGapFillMs` so a
 * hostile jump cannot make the call swallow hours of silence. A chunk number that goes backwards is a repeat:
 * playing it again would put the caller's words twice on the timeline, so it is dropped.
 */
import { decodeMulawInto } from '../../audio/g711.js';
import { Framer } from '../../audio/framer.js';

/** Telephony rate: Twilio Media Streams carry 8 kHz mu-law. */
export const TWILIO_SAMPLE_RATE = 8000;
/** Samples of one 20 ms frame at 8 kHz. */
const FRAME_SAMPLES = TWILIO_SAMPLE_RATE / 50;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** What one payload did. */
export interface InboundResult {
  /** Why the payload was refused (nothing delivered), when it was. */
  readonly error?: string;
  /** Frames of silence put in for lost chunks before this payload's audio. */
  readonly filledFrames: number;
}

/** Decodes and frames one stream's inbound audio. */
export class TwilioInboundAudio {
  private readonly framer = new Framer(TWILIO_SAMPLE_RATE);
  private readonly maxGapSamples: number;
  private bytes = Buffer.alloc(FRAME_SAMPLES);
  private samples = new Int16Array(FRAME_SAMPLES);
  private expectedChunk: number | undefined;
  /** Samples of the last chunk received: the assumed length of each lost one. */
  private lastChunkSamples = FRAME_SAMPLES;

  /** @param maxGapFillMs Longest stretch of lost audio filled with silence at one gap, ms. */
  constructor(maxGapFillMs: number) {
    this.maxGapSamples = Math.round((maxGapFillMs * TWILIO_SAMPLE_RATE) / 1000);
  }

  /**
   * Takes one `media` payload; hands each completed 20 ms frame (a new array the call may keep) to `deliver`,
   * silence for lost chunks first. Never throws.
   */
  receive(payload: string, chunk: number | undefined, deliver: (frame: Int16Array) => void): InboundResult {
    if (payload.length === 0) return { error: 'media with an empty payload', filledFrames: 0 };
    if (payload.length % 4 !== 0 || !BASE64.test(payload)) return { error: `media payload is not base64 (${payload.length} chars)`, filledFrames: 0 };
    let gapError: string | undefined;
    let filledFrames = 0;
    if (chunk !== undefined) {
      const expected = this.expectedChunk;
      if (expected !== undefined && chunk < expected) return { error: `media chunk ${chunk} repeated or out of order (expected ${expected}): dropped`, filledFrames: 0 };
      if (expected !== undefined && chunk > expected) {
        const lostSamples = (chunk - expected) * this.lastChunkSamples;
        const filled = Math.min(lostSamples, this.maxGapSamples);
        if (filled < lostSamples) gapError = `media chunk jumped from ${expected - 1} to ${chunk}: filled ${msOf(filled)} ms of the ${msOf(lostSamples)} ms lost`;
        filledFrames = this.fillSilence(filled, deliver);
      }
      this.expectedChunk = chunk + 1;
    }
    const byteCount = this.decode(payload);
    this.lastChunkSamples = byteCount;
    const pcm = this.samples.subarray(0, byteCount);
    if (byteCount === FRAME_SAMPLES && this.framer.pendingSamples === 0) deliver(pcm.slice());
    else for (const frame of this.framer.push(pcm)) deliver(frame);
    return gapError ? { error: gapError, filledFrames } : { filledFrames };
  }

  /** Decodes base64 mu-law into the reused sample buffer; returns the sample count. */
  private decode(payload: string): number {
    const size = (payload.length / 4) * 3;
    if (size > this.bytes.length) {
      this.bytes = Buffer.alloc(size);
      this.samples = new Int16Array(size);
    }
    const byteCount = this.bytes.write(payload, 0, 'base64');
    decodeMulawInto(this.bytes.subarray(0, byteCount), this.samples);
    return byteCount;
  }

  /** Pushes `count` samples of silence through the framer; returns the frames completed. */
  private fillSilence(count: number, deliver: (frame: Int16Array) => void): number {
    let frames = 0;
    for (let left = count; left > 0; left -= FRAME_SAMPLES) {
      const take = Math.min(left, FRAME_SAMPLES);
      for (const frame of this.framer.push(new Int16Array(take))) {
        deliver(frame);
        frames++;
      }
    }
    return frames;
  }
}

const msOf = (samples: number): number => Math.round((samples * 1000) / TWILIO_SAMPLE_RATE);
