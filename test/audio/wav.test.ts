// WAV files: what `--record DIR` writes (stereo, caller left, agent right) and what fixtures are read with.
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readWav, writeWav, readWavFile, WAV_HEADER_BYTES, writeWavFile } from '../../runtime/audio/wav.js';

const ascii = (bytes: Uint8Array, at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));

/** A hand-built WAV: RIFF header, then the given chunks (id and body), padded to even length. */
function riff(chunks: Array<[string, Uint8Array]>): Uint8Array {
  const parts: number[] = [];
  const u32 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
  for (const [id, body] of chunks) {
    parts.push(...Array.from(id, (c) => c.charCodeAt(0)), ...u32(body.length), ...body);
    if (body.length % 2) parts.push(0);
  }
  return Uint8Array.from([...Array.from('RIFF', (c) => c.charCodeAt(0)), ...u32(4 + parts.length), ...Array.from('WAVE', (c) => c.charCodeAt(0)), ...parts]);
}

/** A `fmt ` chunk body: format tag, channels, rate, bits (and, for WAVE_FORMAT_EXTENSIBLE, the sub-format). */
function fmt(format: number, channels: number, sampleRate: number, bits: number, subFormat?: number): Uint8Array {
  const body = new DataView(new ArrayBuffer(subFormat === undefined ? 16 : 40));
  body.setUint16(0, format, true);
  body.setUint16(2, channels, true);
  body.setUint32(4, sampleRate, true);
  body.setUint32(8, (sampleRate * channels * bits) / 8, true);
  body.setUint16(12, (channels * bits) / 8, true);
  body.setUint16(14, bits, true);
  if (subFormat !== undefined) body.setUint16(24, subFormat, true);
  return new Uint8Array(body.buffer);
}

const pcm = (...samples: number[]) => new Uint8Array(Int16Array.from(samples).buffer);

describe('writeWav', () => {
  it('writes a canonical 44-byte header for mono 8 kHz', () => {
    const bytes = writeWav({ sampleRate: 8000, channels: [Int16Array.from([1, -2, 32767, -32768])] });
    const view = new DataView(bytes.buffer);
    expect(bytes).toHaveLength(WAV_HEADER_BYTES + 8);
    expect([ascii(bytes, 0), ascii(bytes, 8), ascii(bytes, 12), ascii(bytes, 36)]).toEqual(['RIFF', 'WAVE', 'fmt ', 'data']);
    expect(view.getUint32(4, true)).toBe(bytes.length - 8);
    expect(view.getUint32(16, true)).toBe(16);
    expect(view.getUint16(20, true)).toBe(1); // PCM
    expect(view.getUint16(22, true)).toBe(1); // channels
    expect(view.getUint32(24, true)).toBe(8000);
    expect(view.getUint32(28, true)).toBe(16000); // bytes per second
    expect(view.getUint16(32, true)).toBe(2); // block align
    expect(view.getUint16(34, true)).toBe(16);
    expect(view.getUint32(40, true)).toBe(8);
    expect([1, -2, 32767, -32768].map((_, i) => view.getInt16(44 + 2 * i, true))).toEqual([1, -2, 32767, -32768]);
  });

  it('interleaves stereo left then right, padding the shorter channel with silence', () => {
    const bytes = writeWav({ sampleRate: 16000, channels: [Int16Array.from([1, 2, 3]), Int16Array.from([10])] });
    const view = new DataView(bytes.buffer);
    expect(view.getUint16(22, true)).toBe(2);
    expect(view.getUint32(28, true)).toBe(64000);
    expect(view.getUint16(32, true)).toBe(4);
    expect(view.getUint32(40, true)).toBe(12);
    expect(Array.from({ length: 6 }, (_, i) => view.getInt16(44 + 2 * i, true))).toEqual([1, 10, 2, 0, 3, 0]);
  });

  it('refuses audio it cannot describe', () => {
    expect(() => writeWav({ sampleRate: 8000, channels: [] })).toThrow(/at least one/);
    expect(() => writeWav({ sampleRate: 0, channels: [new Int16Array(1)] })).toThrow(/sample rate/);
  });
});

describe('readWav', () => {
  it('round-trips mono and stereo, padded channels included', () => {
    const mono = { sampleRate: 8000, channels: [Int16Array.from({ length: 1000 }, (_, i) => (i * 97) % 65536 - 32768)] };
    expect(readWav(writeWav(mono))).toEqual(mono);
    const stereo = readWav(writeWav({ sampleRate: 16000, channels: [Int16Array.from([5, 6, 7]), Int16Array.from([-1])] }));
    expect(stereo).toEqual({ sampleRate: 16000, channels: [Int16Array.from([5, 6, 7]), Int16Array.from([-1, 0, 0])] });
  });

  it('skips other chunks (odd-sized ones padded), reads WAVE_FORMAT_EXTENSIBLE and cuts a data size that runs past the end', () => {
    const withList = riff([['LIST', new Uint8Array(5)], ['fmt ', fmt(1, 1, 8000, 16)], ['data', pcm(1, 2, 3)]]);
    expect(readWav(withList).channels).toEqual([Int16Array.from([1, 2, 3])]);
    const extensible = riff([['fmt ', fmt(0xfffe, 2, 48000, 16, 1)], ['data', pcm(1, 2, 3, 4)]]);
    expect(readWav(extensible)).toEqual({ sampleRate: 48000, channels: [Int16Array.from([1, 3]), Int16Array.from([2, 4])] });
    const killedRecorder = writeWav({ sampleRate: 8000, channels: [Int16Array.from([7, 8, 9])] });
    new DataView(killedRecorder.buffer).setUint32(40, 0xffffffff, true);
    expect(readWav(killedRecorder.subarray(0, killedRecorder.length - 1)).channels).toEqual([Int16Array.from([7, 8])]);
  });

  it('reads from a view at an odd offset of a larger buffer', () => {
    const bytes = writeWav({ sampleRate: 8000, channels: [Int16Array.from([300, -300])] });
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(readWav(shifted.subarray(1)).channels).toEqual([Int16Array.from([300, -300])]);
  });

  it('says what is wrong with a file it cannot read, and how to convert it', () => {
    expect(() => readWav(new TextEncoder().encode('ID3 not a wave file'), 'song.mp3')).toThrow('song.mp3 is not a WAV file');
    expect(() => readWav(riff([['fmt ', fmt(3, 1, 8000, 32)], ['data', new Uint8Array(8)]]), 'float.wav')).toThrow(/float.wav: only 16-bit PCM.*floating point.*sox/);
    expect(() => readWav(riff([['fmt ', fmt(1, 1, 8000, 8)], ['data', new Uint8Array(8)]]))).toThrow(/8-bit PCM/);
    expect(() => readWav(riff([['fmt ', fmt(1, 1, 8000, 16)]]), 'empty.wav')).toThrow('empty.wav has no data chunk');
    expect(() => readWav(riff([['data', pcm(1)], ['fmt ', fmt(1, 1, 8000, 16)]]))).toThrow(/before the fmt chunk/);
  });

  it('reads the committed speech fixtures', async () => {
    const fixture = await readWavFile(fileURLToPath(new URL('../fixtures/audio/speech-en-us-male.wav', import.meta.url)));
    expect(fixture.sampleRate).toBe(8000);
    expect(fixture.channels).toHaveLength(1);
    expect(fixture.channels[0]!.length).toBeGreaterThan(8000);
  });
});

describe('writeWavFile and readWavFile', () => {
  it('write a stereo call recording that reads back the same', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'voiceagent-wav-')), 'call.wav');
    const caller = Int16Array.from({ length: 800 }, (_, i) => Math.round(8000 * Math.sin(i / 5)));
    const agent = Int16Array.from({ length: 1600 }, (_, i) => Math.round(4000 * Math.sin(i / 9)));
    await writeWavFile(path, { sampleRate: 8000, channels: [caller, agent] });
    expect((await readFile(path)).length).toBe(WAV_HEADER_BYTES + 1600 * 4);
    const back = await readWavFile(path);
    expect(back.channels[0]!.subarray(0, 800)).toEqual(caller);
    expect(back.channels[0]!.subarray(800).every((s) => s === 0)).toBe(true);
    expect(back.channels[1]).toEqual(agent);
  });
});
