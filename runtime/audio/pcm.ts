/**
 * PCM16 conversions: little-endian bytes (what every wire and provider uses) <-> Int16Array, Float32
 * (-1..1) <-> Int16 with clipping, and base64 (Twilio Media Streams and OpenAI Realtime carry audio as
 * base64 text: a 20 ms mu-law frame at 8 kHz is 160 bytes = 216 characters, a 20 ms PCM16 frame at
 * 24 kHz is 960 bytes = 1,280 characters).
 *
 * Bytes arriving from sockets are often views into a pooled buffer at an odd byte offset, where an
 * Int16Array view cannot be made; every function here accepts any offset and falls back to a byte loop.
 * The `...Into` variants write into a caller-provided buffer and are the per-frame path.
 */

/** True on the little-endian hosts Node runs on in practice (x64, arm64); checked so big-endian stays correct. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function checkEvenBytes(what: string, byteLength: number): void {
  if (byteLength % 2 !== 0) {
    throw new RangeError(`${what}: ${byteLength} bytes is not a whole number of 16-bit samples; carry the odd byte over to the next chunk (a Framer's pushBytes does this)`);
  }
}

function checkCapacity(what: string, needed: number, capacity: number, unit: string): void {
  if (capacity < needed) throw new RangeError(`${what}: output holds ${capacity} ${unit} but ${needed} are needed; pass a larger output`);
}

/**
 * Reads little-endian PCM16 `bytes` into `output` (at least `bytes.length / 2` samples). Returns the number
 * of samples written. Throws on an odd byte count.
 */
export function pcm16FromBytesInto(bytes: Uint8Array, output: Int16Array): number {
  checkEvenBytes('pcm16FromBytesInto', bytes.length);
  const count = bytes.length >> 1;
  checkCapacity('pcm16FromBytesInto', count, output.length, 'samples');
  if (HOST_LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) {
    output.set(new Int16Array(bytes.buffer, bytes.byteOffset, count));
    return count;
  }
  for (let i = 0, b = 0; i < count; i++, b += 2) output[i] = (bytes[b]! | (bytes[b + 1]! << 8)) << 16 >> 16;
  return count;
}

/** Reads little-endian PCM16 `bytes` into a new Int16Array that owns its memory. Throws on an odd byte count. */
export function pcm16FromBytes(bytes: Uint8Array): Int16Array {
  checkEvenBytes('pcm16FromBytes', bytes.length);
  const output = new Int16Array(bytes.length >> 1);
  pcm16FromBytesInto(bytes, output);
  return output;
}

/**
 * Little-endian PCM16 `bytes` as an Int16Array without copying when the bytes are 2-byte aligned (the view
 * shares memory with `bytes`: writing one changes the other), or a copy when they are not.
 */
export function pcm16View(bytes: Uint8Array): Int16Array {
  checkEvenBytes('pcm16View', bytes.length);
  if (HOST_LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1);
  return pcm16FromBytes(bytes);
}

/** Writes `samples` as little-endian PCM16 into `output` (at least `2 * samples.length` bytes). Returns bytes written. */
export function pcm16ToBytesInto(samples: Int16Array, output: Uint8Array): number {
  const byteLength = samples.length * 2;
  checkCapacity('pcm16ToBytesInto', byteLength, output.length, 'bytes');
  if (HOST_LITTLE_ENDIAN) {
    output.set(new Uint8Array(samples.buffer, samples.byteOffset, byteLength));
    return byteLength;
  }
  for (let i = 0, b = 0; i < samples.length; i++, b += 2) {
    const s = samples[i]!;
    output[b] = s & 0xff;
    output[b + 1] = (s >> 8) & 0xff;
  }
  return byteLength;
}

/** `samples` as new little-endian PCM16 bytes. */
export function pcm16ToBytes(samples: Int16Array): Uint8Array {
  const output = new Uint8Array(samples.length * 2);
  pcm16ToBytesInto(samples, output);
  return output;
}

/** Converts PCM16 to floats in [-1, 1) (`s / 32768`, exact) into `output`. Returns samples written. */
export function pcm16ToFloat32Into(samples: Int16Array, output: Float32Array): number {
  checkCapacity('pcm16ToFloat32Into', samples.length, output.length, 'samples');
  for (let i = 0; i < samples.length; i++) output[i] = samples[i]! / 32768;
  return samples.length;
}

/** Converts PCM16 to new floats in [-1, 1). */
export function pcm16ToFloat32(samples: Int16Array): Float32Array {
  const output = new Float32Array(samples.length);
  pcm16ToFloat32Into(samples, output);
  return output;
}

/**
 * Converts floats to PCM16 into `output`: scaled by 32768 (the inverse of {@link pcm16ToFloat32}, so a
 * round trip is exact), rounded to nearest, clipped to [-32768, 32767]; NaN becomes 0. Returns samples written.
 */
export function float32ToPcm16Into(samples: Float32Array, output: Int16Array): number {
  checkCapacity('float32ToPcm16Into', samples.length, output.length, 'samples');
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]! * 32768;
    // Int16Array stores truncate toward zero (and NaN -> 0), so +-0.5 rounds half away from zero.
    output[i] = v >= 32767 ? 32767 : v <= -32768 ? -32768 : v < 0 ? v - 0.5 : v + 0.5;
  }
  return samples.length;
}

/** Converts floats to new PCM16 samples, clipping out-of-range values. */
export function float32ToPcm16(samples: Float32Array): Int16Array {
  const output = new Int16Array(samples.length);
  float32ToPcm16Into(samples, output);
  return output;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Bytes (mu-law, A-law or PCM16) as base64 text. */
export function bytesToBase64(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('base64');
}

/** base64 text to new bytes (a Buffer, which is a Uint8Array). Characters outside the base64 alphabet are skipped. */
export function base64ToBytes(text: string): Uint8Array {
  return Buffer.from(text, 'base64');
}

/**
 * Decodes base64 text into `output` without allocating the byte buffer (for a fixed-size frame buffer).
 * Returns the number of bytes written; throws when `output` is too small.
 */
export function base64ToBytesInto(text: string, output: Uint8Array): number {
  const needed = Buffer.byteLength(text, 'base64');
  checkCapacity('base64ToBytesInto', needed, output.length, 'bytes');
  return asBuffer(output).write(text, 'base64');
}

/** PCM16 samples as base64 of their little-endian bytes (OpenAI Realtime `input_audio_buffer.append`). */
export function pcm16ToBase64(samples: Int16Array): string {
  if (HOST_LITTLE_ENDIAN) return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength).toString('base64');
  return bytesToBase64(pcm16ToBytes(samples));
}

/** base64 of little-endian PCM16 bytes to new samples (OpenAI Realtime `response.output_audio.delta`). */
export function base64ToPcm16(text: string): Int16Array {
  if (!HOST_LITTLE_ENDIAN) return pcm16FromBytes(Buffer.from(text, 'base64'));
  // Decode straight into the samples' memory: one pass, no intermediate Buffer.
  const byteLength = Buffer.byteLength(text, 'base64');
  checkEvenBytes('base64ToPcm16', byteLength);
  const samples = new Int16Array(byteLength >> 1);
  const written = Buffer.from(samples.buffer).write(text, 'base64');
  checkEvenBytes('base64ToPcm16', written);
  return written === byteLength ? samples : samples.subarray(0, written >> 1);
}
