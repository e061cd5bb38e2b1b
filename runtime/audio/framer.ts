import { samplesPerFrame } from './frames.js';

/**
 * Cuts PCM16 audio arriving in chunks of any length (TTS streams, WebSocket messages) into exact 20 ms
 * frames of `samplesPerFrame(sampleRate)` samples. Byte chunks may split a sample: the odd byte is carried
 * over to the next chunk. Every frame returned is a new array the caller may keep; the chunks passed in are
 * never retained, so callers may reuse their buffers.
 */
export class Framer {
  /** Samples in one frame (160 at 8 kHz, 480 at 24 kHz). */
  readonly frameSamples: number;
  private pending: Int16Array;
  private pendingLength = 0;
  /** Low byte of a sample whose high byte has not arrived yet, or -1. */
  private carryByte = -1;

  /** @param sampleRate Sample rate of the audio pushed, in Hz (a multiple of 50, so frames are whole). */
  constructor(readonly sampleRate: number) {
    const frameSamples = samplesPerFrame(sampleRate);
    if (!Number.isInteger(frameSamples) || frameSamples <= 0) {
      throw new RangeError(`Framer: ${sampleRate} Hz does not give a whole number of samples per 20 ms frame; use a rate that is a multiple of 50 Hz (8000, 16000, 24000, 48000)`);
    }
    this.frameSamples = frameSamples;
    this.pending = new Int16Array(frameSamples);
  }

  /** Samples waiting for the rest of their frame (0 to `frameSamples - 1`). */
  get pendingSamples(): number {
    return this.pendingLength;
  }

  /** Adds samples; returns the frames completed by them, oldest first (often none, or one). */
  push(chunk: Int16Array): Int16Array[] {
    const frames: Int16Array[] = [];
    const size = this.frameSamples;
    let offset = 0;
    if (this.pendingLength > 0) {
      const take = Math.min(size - this.pendingLength, chunk.length);
      this.pending.set(chunk.subarray(0, take), this.pendingLength);
      this.pendingLength += take;
      offset = take;
      if (this.pendingLength === size) {
        frames.push(this.pending.slice());
        this.pendingLength = 0;
      }
    }
    for (; offset + size <= chunk.length; offset += size) frames.push(chunk.slice(offset, offset + size));
    if (offset < chunk.length) {
      this.pending.set(chunk.subarray(offset), this.pendingLength);
      this.pendingLength += chunk.length - offset;
    }
    return frames;
  }

  /** Adds little-endian PCM16 bytes of any length and alignment; returns the frames completed by them. */
  pushBytes(bytes: Uint8Array): Int16Array[] {
    let start = 0;
    const carried = this.carryByte >= 0 ? 1 : 0;
    const total = carried + bytes.length;
    const samples = new Int16Array(total >> 1);
    let s = 0;
    if (carried && bytes.length > 0) {
      samples[s++] = this.carryByte | (bytes[0]! << 8);
      start = 1;
      this.carryByte = -1;
    }
    for (let b = start; b + 1 < bytes.length; b += 2) samples[s++] = bytes[b]! | (bytes[b + 1]! << 8);
    if ((bytes.length - start) % 2 === 1) this.carryByte = bytes[bytes.length - 1]!;
    return this.push(samples);
  }

  /**
   * Ends the stream: returns the last partial frame padded with silence (or nothing when no sample is
   * pending) and resets. A dangling odd byte, half a sample, is dropped.
   */
  flush(): Int16Array[] {
    this.carryByte = -1;
    if (this.pendingLength === 0) return [];
    const frame = new Int16Array(this.frameSamples);
    frame.set(this.pending.subarray(0, this.pendingLength));
    this.pendingLength = 0;
    return [frame];
  }

  /** Drops pending audio without emitting it (for example when playout is cancelled). */
  reset(): void {
    this.pendingLength = 0;
    this.carryByte = -1;
  }
}
