import { describe, expect, it } from 'vitest';
import {
  base64ToBytes,
  base64ToBytesInto,
  base64ToPcm16,
  bytesToBase64,
  float32ToPcm16,
  float32ToPcm16Into,
  pcm16FromBytes,
  pcm16FromBytesInto,
  pcm16ToBase64,
  pcm16ToBytes,
  pcm16ToBytesInto,
  pcm16ToFloat32,
  pcm16View,
} from '../../runtime/audio/pcm.js';

const LE_BYTES = [0x01, 0x00, 0xff, 0xff, 0x00, 0x80, 0xff, 0x7f, 0x34, 0x12];
const SAMPLES = [1, -1, -32768, 32767, 0x1234];

/** `bytes` placed at an odd byte offset inside a larger buffer, as pooled socket buffers often are. */
function atOddOffset(bytes: number[]): Uint8Array {
  const backing = new Uint8Array(bytes.length + 3);
  backing.set(bytes, 1);
  return backing.subarray(1, 1 + bytes.length);
}

describe('PCM16 bytes', () => {
  it('reads little-endian samples', () => {
    expect(Array.from(pcm16FromBytes(Uint8Array.from(LE_BYTES)))).toEqual(SAMPLES);
  });

  it('reads from an odd byte offset, where no Int16Array view can be made', () => {
    const odd = atOddOffset(LE_BYTES);
    expect(odd.byteOffset % 2).toBe(1);
    expect(Array.from(pcm16FromBytes(odd))).toEqual(SAMPLES);
    expect(Array.from(pcm16View(odd))).toEqual(SAMPLES);
    expect(Array.from(pcm16FromBytes(Buffer.from(odd)))).toEqual(SAMPLES);
  });

  it('shares memory in pcm16View when aligned, and copies in pcm16FromBytes', () => {
    const bytes = Uint8Array.from(LE_BYTES);
    const view = pcm16View(bytes);
    const copy = pcm16FromBytes(bytes);
    bytes[0] = 0x02;
    expect(view[0]).toBe(2);
    expect(copy[0]).toBe(1);
  });

  it('refuses an odd number of bytes, saying how to fix it', () => {
    expect(() => pcm16FromBytes(new Uint8Array(3))).toThrow(/carry the odd byte/);
  });

  it('writes little-endian bytes, also into a larger buffer at an odd offset', () => {
    expect(Array.from(pcm16ToBytes(Int16Array.from(SAMPLES)))).toEqual(LE_BYTES);
    const target = atOddOffset(new Array(LE_BYTES.length + 2).fill(0xee));
    expect(pcm16ToBytesInto(Int16Array.from(SAMPLES), target)).toBe(LE_BYTES.length);
    expect(Array.from(target)).toEqual([...LE_BYTES, 0xee, 0xee]);
    const into = new Int16Array(6);
    expect(pcm16FromBytesInto(target.subarray(0, LE_BYTES.length), into)).toBe(5);
    expect(Array.from(into)).toEqual([...SAMPLES, 0]);
    expect(() => pcm16ToBytesInto(new Int16Array(4), new Uint8Array(7))).toThrow(RangeError);
  });

  it('round-trips every 16-bit value', () => {
    const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    expect(pcm16FromBytes(pcm16ToBytes(all))).toEqual(all);
  });

  it('converts from a subarray view of a larger Int16Array', () => {
    const big = Int16Array.from([9, ...SAMPLES, 9]);
    expect(Array.from(pcm16ToBytes(big.subarray(1, 1 + SAMPLES.length)))).toEqual(LE_BYTES);
  });
});

describe('Float32 <-> PCM16', () => {
  it('scales by 32768, rounds to nearest, clips, and maps NaN to 0', () => {
    const floats = Float32Array.from([0, 0.5, -0.5, 1, -1, 1.5, -2, NaN, 0.4 / 32768, -0.6 / 32768, 100.5 / 32768]);
    expect(Array.from(float32ToPcm16(floats))).toEqual([0, 16384, -16384, 32767, -32768, 32767, -32768, 0, 0, -1, 101]);
  });

  it('round-trips every 16-bit value exactly', () => {
    const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    const floats = pcm16ToFloat32(all);
    expect(floats[0]).toBe(-1);
    expect(Math.max(...floats)).toBeLessThan(1);
    const back = new Int16Array(all.length);
    expect(float32ToPcm16Into(floats, back)).toBe(all.length);
    expect(back).toEqual(all);
  });
});

describe('base64', () => {
  it('encodes little-endian PCM16 as the providers expect', () => {
    expect(pcm16ToBase64(Int16Array.from([1, -1]))).toBe('AQD//w==');
    expect(Array.from(base64ToPcm16('AQD//w=='))).toEqual([1, -1]);
  });

  it('sizes 20 ms frames as the wire does: 160 mu-law bytes = 216 chars, 480 PCM16 samples = 1,280 chars', () => {
    const mulawFrame = Uint8Array.from({ length: 160 }, (_, i) => (i * 37) & 0xff);
    const mulawText = bytesToBase64(mulawFrame);
    expect(mulawText).toHaveLength(216);
    expect(Array.from(base64ToBytes(mulawText))).toEqual(Array.from(mulawFrame));

    const pcmFrame = Int16Array.from({ length: 480 }, (_, i) => Math.round(20000 * Math.sin(i / 7)));
    const pcmText = pcm16ToBase64(pcmFrame);
    expect(pcmText).toHaveLength(1280);
    expect(base64ToPcm16(pcmText)).toEqual(pcmFrame);
    expect(pcm16ToBase64(pcmFrame.subarray(240))).toBe(bytesToBase64(pcm16ToBytes(pcmFrame.subarray(240))));
  });

  it('decodes into a fixed frame buffer and refuses one that is too small', () => {
    const frame = new Uint8Array(160);
    const text = bytesToBase64(Uint8Array.from({ length: 160 }, (_, i) => i));
    expect(base64ToBytesInto(text, frame)).toBe(160);
    expect(frame[159]).toBe(159);
    expect(() => base64ToBytesInto(text, new Uint8Array(100))).toThrow(RangeError);
  });

  it('refuses base64 that holds half a sample', () => {
    expect(() => base64ToPcm16(bytesToBase64(Uint8Array.from([1, 2, 3])))).toThrow(/not a whole number of 16-bit samples/);
  });
});
