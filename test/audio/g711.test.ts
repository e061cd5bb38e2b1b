// G.711 against the ITU-T reference rules (G.191 STL g711.c) and against an independent port of the
// segment-table formulation in Sun Microsystems' g711.c, over every 16-bit input and every code.
import { describe, expect, it } from 'vitest';
import {
  ALAW_DECODE_TABLE,
  ALAW_SILENCE,
  MULAW_DECODE_TABLE,
  MULAW_SILENCE,
  decodeAlaw,
  decodeAlawInto,
  decodeMulaw,
  decodeMulawInto,
  encodeAlaw,
  encodeAlawInto,
  encodeAlawSample,
  encodeMulaw,
  encodeMulawInto,
  encodeMulawSample,
  linearToAlawReference,
  linearToMulawReference,
} from '../../runtime/audio/g711.js';

const ALL_SAMPLES = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
const ALL_CODES = Uint8Array.from({ length: 256 }, (_, i) => i);

/** Sun g711.c `linear2ulaw`, with negatives folded by one's complement as the ITU reference does. */
function sunLinearToMulaw(sample: number): number {
  const segmentEnds = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
  let value = sample >> 2;
  let mask = 0xff;
  if (value < 0) {
    value = -value - 1;
    mask = 0x7f;
  }
  value = Math.min(value, 8159) + (0x84 >> 2);
  const segment = segmentEnds.findIndex((end) => value <= end);
  if (segment < 0) return 0x7f ^ mask;
  return ((segment << 4) | ((value >> (segment + 1)) & 0x0f)) ^ mask;
}

/** Sun g711.c `linear2alaw` (identical to the ITU reference for A-law). */
function sunLinearToAlaw(sample: number): number {
  const segmentEnds = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];
  let value = sample >> 3;
  let mask = 0xd5;
  if (value < 0) {
    value = -value - 1;
    mask = 0x55;
  }
  const segment = segmentEnds.findIndex((end) => value <= end);
  if (segment < 0) return 0x7f ^ mask;
  const mantissa = segment < 2 ? (value >> 1) & 0x0f : (value >> segment) & 0x0f;
  return ((segment << 4) | mantissa) ^ mask;
}

/** Sun g711.c `ulaw2linear`. */
function sunMulawToLinear(code: number): number {
  const u = ~code & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

/** Sun g711.c `alaw2linear`. */
function sunAlawToLinear(code: number): number {
  const a = code ^ 0x55;
  let t = (a & 0x0f) << 4;
  const segment = (a & 0x70) >> 4;
  if (segment === 0) t += 8;
  else t = (t + 0x108) << (segment - 1);
  return a & 0x80 ? t : -t;
}

/** Quantisation step (in 16-bit units) of the segment a code belongs to. */
const mulawStep = (code: number) => 8 << ((~code >> 4) & 0x07);
const alawStep = (code: number) => {
  const exponent = ((code ^ 0x55) >> 4) & 0x07;
  return exponent <= 1 ? 16 : 16 << (exponent - 1);
};

describe('mu-law', () => {
  it('decodes the known reference values', () => {
    expect(MULAW_DECODE_TABLE[0x00]).toBe(-32124);
    expect(MULAW_DECODE_TABLE[0x80]).toBe(32124);
    expect(MULAW_DECODE_TABLE[0xff]).toBe(0);
    expect(MULAW_DECODE_TABLE[0x7f]).toBe(0); // "negative zero"
    expect(MULAW_DECODE_TABLE[0xfe]).toBe(8);
    expect(MULAW_DECODE_TABLE[0x7e]).toBe(-8);
    expect(MULAW_DECODE_TABLE[0x8f]).toBe(16764); // first level of the top segment: 4191 in G.711's 14-bit units
    expect(MULAW_DECODE_TABLE[0xef]).toBe(132); // 0x84, the bias, 33 in 14-bit units
  });

  it('encodes the known reference values', () => {
    expect(encodeMulawSample(0)).toBe(0xff);
    expect(MULAW_SILENCE).toBe(0xff);
    expect(encodeMulawSample(-1)).toBe(0x7f);
    expect(encodeMulawSample(32767)).toBe(0x80);
    expect(encodeMulawSample(-32768)).toBe(0x00);
    expect(encodeMulawSample(8)).toBe(0xfe);
    expect(encodeMulawSample(-9)).toBe(0x7e);
  });

  it('decodes every code as Sun g711.c does', () => {
    for (const code of ALL_CODES) expect(MULAW_DECODE_TABLE[code], `code ${code}`).toBe(sunMulawToLinear(code));
  });

  it('encodes every 16-bit input as the ITU reference and the segment-table formulation do', () => {
    const encoded = encodeMulaw(ALL_SAMPLES);
    const mismatches = ALL_SAMPLES.filter((x, i) => encoded[i] !== linearToMulawReference(x) || encoded[i] !== sunLinearToMulaw(x));
    expect(mismatches.length).toBe(0);
  });

  it('is symmetric about -0.5: encode(-x - 1) is encode(x) with the sign bit flipped', () => {
    for (let x = 0; x < 32768; x++) expect(encodeMulawSample(-x - 1)).toBe(encodeMulawSample(x) ^ 0x80);
  });

  it('keeps every in-range input within half a quantisation step, and clips beyond the top level', () => {
    const decoded = decodeMulaw(encodeMulaw(ALL_SAMPLES));
    ALL_SAMPLES.forEach((x, i) => {
      const y = decoded[i]!;
      if (Math.abs(x) <= 32124) expect(Math.abs(y - x), `x=${x}`).toBeLessThanOrEqual(mulawStep(encodeMulawSample(x)) / 2);
      else expect(y).toBe(Math.sign(x) * 32124);
    });
    for (let i = 1; i < decoded.length; i++) expect(decoded[i]!).toBeGreaterThanOrEqual(decoded[i - 1]!);
  });

  it('re-encodes every decoded code to itself (negative zero 0x7F becomes 0xFF)', () => {
    const again = encodeMulaw(decodeMulaw(ALL_CODES));
    ALL_CODES.forEach((code) => expect(again[code]).toBe(code === 0x7f ? 0xff : code));
  });
});

describe('A-law', () => {
  it('decodes the known reference values', () => {
    expect(ALAW_DECODE_TABLE[0xd5]).toBe(8);
    expect(ALAW_DECODE_TABLE[0x55]).toBe(-8);
    expect(ALAW_DECODE_TABLE[0xaa]).toBe(32256); // sign bit set = positive in A-law
    expect(ALAW_DECODE_TABLE[0x2a]).toBe(-32256);
    expect(ALAW_DECODE_TABLE[0xd4]).toBe(24);
    expect(ALAW_DECODE_TABLE[0xc5]).toBe(264);
  });

  it('encodes the known reference values', () => {
    expect(encodeAlawSample(0)).toBe(0xd5);
    expect(ALAW_SILENCE).toBe(0xd5);
    expect(encodeAlawSample(-1)).toBe(0x55);
    expect(encodeAlawSample(32767)).toBe(0xaa);
    expect(encodeAlawSample(-32768)).toBe(0x2a);
  });

  it('decodes every code as Sun g711.c does', () => {
    for (const code of ALL_CODES) expect(ALAW_DECODE_TABLE[code], `code ${code}`).toBe(sunAlawToLinear(code));
  });

  it('encodes every 16-bit input as the ITU reference and Sun g711.c do', () => {
    const encoded = encodeAlaw(ALL_SAMPLES);
    const mismatches = ALL_SAMPLES.filter((x, i) => encoded[i] !== linearToAlawReference(x) || encoded[i] !== sunLinearToAlaw(x));
    expect(mismatches.length).toBe(0);
  });

  it('is symmetric about -0.5: encode(-x - 1) is encode(x) with the sign bit flipped', () => {
    for (let x = 0; x < 32768; x++) expect(encodeAlawSample(-x - 1)).toBe(encodeAlawSample(x) ^ 0x80);
  });

  it('keeps every in-range input within half a quantisation step, and clips beyond the top level', () => {
    const decoded = decodeAlaw(encodeAlaw(ALL_SAMPLES));
    ALL_SAMPLES.forEach((x, i) => {
      const y = decoded[i]!;
      if (Math.abs(x) <= 32256) expect(Math.abs(y - x), `x=${x}`).toBeLessThanOrEqual(alawStep(encodeAlawSample(x)) / 2);
      else expect(y).toBe(Math.sign(x) * 32256);
    });
    for (let i = 1; i < decoded.length; i++) expect(decoded[i]!).toBeGreaterThanOrEqual(decoded[i - 1]!);
  });

  it('re-encodes every decoded code to itself', () => {
    expect(Array.from(encodeAlaw(decodeAlaw(ALL_CODES)))).toEqual(Array.from(ALL_CODES));
  });
});

describe('companding quality', () => {
  // 1020 Hz, the telephony test tone: not a sub-multiple of 8 kHz, so the error is not one repeated pattern.
  it('gives the ~38 dB signal-to-noise ratio G.711 is known for on a 1020 Hz tone 10 dB below full scale', () => {
    const tone = Int16Array.from({ length: 8000 }, (_, i) => Math.round(32767 * 10 ** (-10 / 20) * Math.sin((2 * Math.PI * 1020 * i) / 8000)));
    for (const roundTrip of [(x: Int16Array) => decodeMulaw(encodeMulaw(x)), (x: Int16Array) => decodeAlaw(encodeAlaw(x))]) {
      const y = roundTrip(tone);
      let signal = 0;
      let noise = 0;
      tone.forEach((x, i) => {
        signal += x * x;
        noise += (y[i]! - x) ** 2;
      });
      const snrDb = 10 * Math.log10(signal / noise);
      expect(snrDb).toBeGreaterThan(35);
      expect(snrDb).toBeLessThan(40);
    }
  });
});

describe('buffers', () => {
  it('writes into a caller-provided buffer and returns the count', () => {
    const pcm = Int16Array.from([0, 1000, -1000, 32767]);
    const bytes = new Uint8Array(6).fill(0x11);
    expect(encodeMulawInto(pcm, bytes)).toBe(4);
    expect(Array.from(bytes.subarray(4))).toEqual([0x11, 0x11]);
    const back = new Int16Array(5);
    expect(decodeMulawInto(bytes.subarray(0, 4), back)).toBe(4);
    expect(Array.from(back.subarray(0, 4))).toEqual(Array.from(decodeMulaw(encodeMulaw(pcm))));
    expect(encodeAlawInto(pcm, bytes)).toBe(4);
    expect(decodeAlawInto(bytes.subarray(0, 4), back)).toBe(4);
    expect(Array.from(back.subarray(0, 4))).toEqual(Array.from(decodeAlaw(encodeAlaw(pcm))));
  });

  it('refuses an output shorter than the input, saying what to pass', () => {
    expect(() => encodeMulawInto(new Int16Array(160), new Uint8Array(159))).toThrow(/at least as long as the input/);
    expect(() => decodeAlawInto(new Uint8Array(160), new Int16Array(10))).toThrow(RangeError);
  });
});
