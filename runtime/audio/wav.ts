/**
 * WAV files (RIFF, 16-bit linear PCM, little-endian): call recordings (`--record DIR` writes one stereo file
 * per call, caller left and agent right) and test fixtures. Only 16-bit PCM is read; anything else is
 * refused with the command that converts it.
 */
import { readFile, writeFile } from 'node:fs/promises';

/** Audio held as one Int16Array per channel (for stereo: left, then right). */
export interface WavAudio {
  /** Sample rate, in hertz. */
  readonly sampleRate: number;
  /** Samples of each channel, at least one. Channels may differ in length: the writer pads with silence. */
  readonly channels: readonly Int16Array[];
}

/** Size of the header {@link writeWav} writes (RIFF + fmt + data chunk headers), in bytes. */
export const WAV_HEADER_BYTES = 44;

const PCM_FORMAT = 1;
const EXTENSIBLE_FORMAT = 0xfffe;
const HOW_TO_CONVERT = 'convert it with `sox in.wav -b 16 -e signed-integer out.wav` or `ffmpeg -i in.wav -c:a pcm_s16le out.wav`';

/**
 * Encodes audio as a 16-bit PCM WAV file. Channels are interleaved; a shorter channel is padded with
 * silence to the length of the longest. Throws a `RangeError` when there is no channel, the rate is not a
 * positive whole number, or the data would not fit the format's 4 GiB limit.
 */
export function writeWav(audio: WavAudio): Uint8Array {
  const { sampleRate, channels } = audio;
  if (channels.length === 0) throw new RangeError('writeWav: no channels; pass at least one Int16Array');
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new RangeError(`writeWav: sample rate must be a positive whole number of hertz, got ${sampleRate}`);
  const frames = Math.max(...channels.map((c) => c.length));
  const blockAlign = channels.length * 2;
  const dataBytes = frames * blockAlign;
  if (dataBytes + WAV_HEADER_BYTES - 8 > 0xffffffff) throw new RangeError(`writeWav: ${dataBytes} bytes of audio exceed the WAV limit of 4 GiB; split the recording`);

  const bytes = new Uint8Array(WAV_HEADER_BYTES + dataBytes);
  const view = new DataView(bytes.buffer);
  const tag = (at: number, text: string) => {
    for (let i = 0; i < 4; i++) bytes[at + i] = text.charCodeAt(i);
  };
  tag(0, 'RIFF');
  view.setUint32(4, WAV_HEADER_BYTES - 8 + dataBytes, true);
  tag(8, 'WAVE');
  tag(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, PCM_FORMAT, true);
  view.setUint16(22, channels.length, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, 16, true);
  tag(36, 'data');
  view.setUint32(40, dataBytes, true);
  channels.forEach((channel, c) => {
    // Samples past the end of a shorter channel stay 0: the buffer starts zeroed.
    for (let i = 0, at = WAV_HEADER_BYTES + c * 2; i < channel.length; i++, at += blockAlign) view.setInt16(at, channel[i]!, true);
  });
  return bytes;
}

interface FormatChunk {
  readonly channels: number;
  readonly sampleRate: number;
}

/** Reads and checks the `fmt ` chunk at `at` (its header included): 16-bit PCM, plain or WAVE_FORMAT_EXTENSIBLE. */
function readFormat(view: DataView, at: number, size: number, name: string): FormatChunk {
  if (size < 16) throw new Error(`${name}: its fmt chunk is ${size} bytes, shorter than the 16 a WAV needs; the file is damaged`);
  let format = view.getUint16(at + 8, true);
  const channels = view.getUint16(at + 10, true);
  const sampleRate = view.getUint32(at + 12, true);
  const bits = view.getUint16(at + 22, true);
  // WAVE_FORMAT_EXTENSIBLE keeps the real format in the first two bytes of its sub-format GUID.
  if (format === EXTENSIBLE_FORMAT && size >= 40) format = view.getUint16(at + 8 + 24, true);
  if (format !== PCM_FORMAT || bits !== 16) {
    throw new Error(`${name}: only 16-bit PCM WAV is supported, this one is ${format === PCM_FORMAT ? `${bits}-bit PCM` : `format ${format}${format === 3 ? ' (floating point)' : ''}`}; ${HOW_TO_CONVERT}`);
  }
  if (channels === 0 || sampleRate === 0) throw new Error(`${name}: its fmt chunk says ${channels} channels at ${sampleRate} Hz; the file is damaged`);
  return { channels, sampleRate };
}

/**
 * Decodes a 16-bit PCM WAV file into one Int16Array per channel. Chunks other than `fmt ` and `data` are
 * skipped; a `data` size running past the end of the file (left so by a recorder that was killed) is cut to
 * the whole frames present. `name` (a path) goes into error messages. Throws when the bytes are not such a
 * WAV file, saying what they are instead.
 */
export function readWav(bytes: Uint8Array, name = 'WAV data'): WavAudio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error(`${name} is not a WAV file (no RIFF/WAVE header)`);
  let format: FormatChunk | undefined;
  for (let at = 12; at + 8 <= bytes.length; ) {
    const size = view.getUint32(at + 4, true);
    if (tag(at) === 'fmt ') {
      format = readFormat(view, at, size, name);
    } else if (tag(at) === 'data') {
      if (!format) throw new Error(`${name}: the data chunk comes before the fmt chunk; ${HOW_TO_CONVERT}`);
      const blockAlign = format.channels * 2;
      const frames = Math.floor(Math.min(size, bytes.length - at - 8) / blockAlign);
      const channels = Array.from({ length: format.channels }, () => new Int16Array(frames));
      for (let i = 0, offset = at + 8; i < frames; i++) {
        for (const channel of channels) {
          channel[i] = view.getInt16(offset, true);
          offset += 2;
        }
      }
      return { sampleRate: format.sampleRate, channels };
    }
    at += 8 + size + (size % 2); // chunks are padded to an even length
  }
  throw new Error(`${name} has no data chunk`);
}

/** Writes `audio` to `path` as a 16-bit PCM WAV file (see {@link writeWav}). The folder must exist. */
export async function writeWavFile(path: string, audio: WavAudio): Promise<void> {
  await writeFile(path, writeWav(audio));
}

/** Reads a 16-bit PCM WAV file (see {@link readWav}). */
export async function readWavFile(path: string): Promise<WavAudio> {
  return readWav(await readFile(path), path);
}
