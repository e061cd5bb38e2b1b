/**
 * ITU-T G.711 companding: mu-law (North America, Japan; what Twilio Media Streams carry) and A-law
 * (Europe and most other PSTNs), 8 bits per sample, between 16-bit linear PCM and one byte a sample.
 *
 * The rules follow the ITU-T reference implementation (G.191 Software Tools Library, `g711.c`:
 * `ulaw_compress`/`ulaw_expand`, `alaw_compress`/`alaw_expand`). Negative samples are folded with the
 * one's complement (`~x`), as in the reference, so the quantiser is symmetric about -0.5:
 * `encode(-x - 1) === encode(x) ^ 0x80`. (Sun's widely copied `linear2ulaw` negates instead, which sends
 * every negative mu-law sample one step too far; for A-law the two agree.)
 *
 * Decoding is a 256-entry table lookup. Encoding is a lookup too: mu-law uses only the top 14 bits of a
 * sample and A-law the top 12, so a 16 Ki-entry and a 4 Ki-entry byte table (20 KiB, built once on first
 * use) cover every input. Measured on Node 20 (x64), 160 samples (one 20 ms frame at 8 kHz): table encode
 * ~0.20 us a frame, a branch-free `Math.clz32` segment search ~0.27 us, the reference's shift loop ~2.2 us;
 * decode ~0.14 us. See bench/audio.bench.ts for the current figures.
 *
 * The `...Into` functions write into a caller-provided buffer and allocate nothing: they are the per-frame
 * path. The others allocate their result and suit tests, files and one-off conversions.
 */

/** mu-law code of linear 0 (positive zero); digital silence on a mu-law line is a run of these. */
export const MULAW_SILENCE = 0xff;
/** A-law code of linear 0 (the smallest positive level, +8); digital silence on an A-law line. */
export const ALAW_SILENCE = 0xd5;

/** Reference mu-law expansion of one code (G.191 `ulaw_expand`), 14-bit left-justified in 16 bits. */
function mulawToLinear(code: number): number {
  const inverted = ~code & 0xff;
  const exponent = (inverted >> 4) & 0x07;
  const mantissa = inverted & 0x0f;
  const step = 4 << (exponent + 1);
  const magnitude = (0x80 << exponent) + step * mantissa + step / 2 - 4 * 33;
  return code < 0x80 ? -magnitude : magnitude;
}

/** Reference A-law expansion of one code (G.191 `alaw_expand`), 13-bit left-justified in 16 bits. */
function alawToLinear(code: number): number {
  const ix = (code ^ 0x55) & 0x7f;
  const exponent = ix >> 4;
  let mantissa = ix & 0x0f;
  if (exponent > 0) mantissa += 16;
  mantissa = (mantissa << 4) + 0x08;
  if (exponent > 1) mantissa <<= exponent - 1;
  return code > 0x7f ? mantissa : -mantissa;
}

/**
 * Reference mu-law compression of one 16-bit sample (G.191 `ulaw_compress`). Depends only on `sample >> 2`,
 * which is what lets the encoder be a table indexed by the top 14 bits.
 */
export function linearToMulawReference(sample: number): number {
  let magnitude = (sample < 0 ? ~sample >> 2 : sample >> 2) + 33;
  if (magnitude > 0x1fff) magnitude = 0x1fff;
  let segment = 1;
  for (let i = magnitude >> 6; i !== 0; i >>= 1) segment++;
  const high = 8 - segment;
  const low = 0x0f - ((magnitude >> segment) & 0x0f);
  const code = (high << 4) | low;
  return sample >= 0 ? code | 0x80 : code;
}

/** Reference A-law compression of one 16-bit sample (G.191 `alaw_compress`). Depends only on `sample >> 4`. */
export function linearToAlawReference(sample: number): number {
  let ix = sample < 0 ? ~sample >> 4 : sample >> 4;
  if (ix > 15) {
    let exponent = 1;
    while (ix > 16 + 15) {
      ix >>= 1;
      exponent++;
    }
    ix = ix - 16 + (exponent << 4);
  }
  if (sample >= 0) ix |= 0x80;
  return ix ^ 0x55;
}

function buildDecodeTable(expand: (code: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) table[code] = expand(code);
  return table;
}

/** Linear value of every mu-law code, indexed by code (0x00 -> -32124, 0x80 -> 32124, 0xFF and 0x7F -> 0). */
export const MULAW_DECODE_TABLE: Readonly<Int16Array> = buildDecodeTable(mulawToLinear);
/** Linear value of every A-law code, indexed by code (0xD5 -> 8, 0x55 -> -8, 0xAA -> 32256, 0x2A -> -32256). */
export const ALAW_DECODE_TABLE: Readonly<Int16Array> = buildDecodeTable(alawToLinear);

let mulawEncodeTable: Uint8Array | undefined;
let alawEncodeTable: Uint8Array | undefined;

/** mu-law code for every value of `sample >> 2`, indexed by its low 14 bits (two's complement). */
function mulawTable(): Uint8Array {
  if (mulawEncodeTable) return mulawEncodeTable;
  const table = new Uint8Array(1 << 14);
  for (let index = 0; index < table.length; index++) {
    // Any sample whose top 14 bits are `index`: the reference looks at nothing else.
    const sample = ((index << 18) >> 16) | 0;
    table[index] = linearToMulawReference(sample);
  }
  return (mulawEncodeTable = table);
}

/** A-law code for every value of `sample >> 4`, indexed by its low 12 bits (two's complement). */
function alawTable(): Uint8Array {
  if (alawEncodeTable) return alawEncodeTable;
  const table = new Uint8Array(1 << 12);
  for (let index = 0; index < table.length; index++) {
    const sample = ((index << 20) >> 16) | 0;
    table[index] = linearToAlawReference(sample);
  }
  return (alawEncodeTable = table);
}

function checkOutput(what: string, inputLength: number, output: { readonly length: number }): void {
  if (output.length < inputLength) {
    throw new RangeError(`${what}: output holds ${output.length} samples but the input has ${inputLength}; pass an output at least as long as the input`);
  }
}

/** Encodes one 16-bit sample to a mu-law code. */
export function encodeMulawSample(sample: number): number {
  return mulawTable()[(sample >> 2) & 0x3fff]!;
}

/** Encodes one 16-bit sample to an A-law code. */
export function encodeAlawSample(sample: number): number {
  return alawTable()[(sample >> 4) & 0x0fff]!;
}

/** Decodes mu-law bytes into `output` (at least `input.length` long). Allocation-free; returns samples written. */
export function decodeMulawInto(input: Uint8Array, output: Int16Array): number {
  checkOutput('decodeMulawInto', input.length, output);
  const table = MULAW_DECODE_TABLE;
  for (let i = 0; i < input.length; i++) output[i] = table[input[i]!]!;
  return input.length;
}

/** Decodes A-law bytes into `output` (at least `input.length` long). Allocation-free; returns samples written. */
export function decodeAlawInto(input: Uint8Array, output: Int16Array): number {
  checkOutput('decodeAlawInto', input.length, output);
  const table = ALAW_DECODE_TABLE;
  for (let i = 0; i < input.length; i++) output[i] = table[input[i]!]!;
  return input.length;
}

/** Encodes PCM16 samples into mu-law bytes in `output` (at least `input.length` long). Allocation-free. */
export function encodeMulawInto(input: Int16Array, output: Uint8Array): number {
  checkOutput('encodeMulawInto', input.length, output);
  const table = mulawTable();
  for (let i = 0; i < input.length; i++) output[i] = table[(input[i]! >> 2) & 0x3fff]!;
  return input.length;
}

/** Encodes PCM16 samples into A-law bytes in `output` (at least `input.length` long). Allocation-free. */
export function encodeAlawInto(input: Int16Array, output: Uint8Array): number {
  checkOutput('encodeAlawInto', input.length, output);
  const table = alawTable();
  for (let i = 0; i < input.length; i++) output[i] = table[(input[i]! >> 4) & 0x0fff]!;
  return input.length;
}

/** Decodes mu-law bytes to a new Int16Array. */
export function decodeMulaw(input: Uint8Array): Int16Array {
  const output = new Int16Array(input.length);
  decodeMulawInto(input, output);
  return output;
}

/** Decodes A-law bytes to a new Int16Array. */
export function decodeAlaw(input: Uint8Array): Int16Array {
  const output = new Int16Array(input.length);
  decodeAlawInto(input, output);
  return output;
}

/** Encodes PCM16 samples to new mu-law bytes. */
export function encodeMulaw(input: Int16Array): Uint8Array {
  const output = new Uint8Array(input.length);
  encodeMulawInto(input, output);
  return output;
}

/** Encodes PCM16 samples to new A-law bytes. */
export function encodeAlaw(input: Int16Array): Uint8Array {
  const output = new Uint8Array(input.length);
  encodeAlawInto(input, output);
  return output;
}
