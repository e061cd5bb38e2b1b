import createFvadModule, { type FvadModule } from '@echogarden/fvad-wasm';
import { createDecimator, type Decimator } from './decimator.js';
import type { Vad } from './vad.js';

/**
 * libfvad aggressiveness: 0 (quality: flags the most as speech) to 3 (very aggressive: fewest false alarms
 * in noise, may clip soft speech onsets).
 */
export type WebRtcVadMode = 0 | 1 | 2 | 3;

/** Options of {@link createWebRtcVad}. */
export interface WebRtcVadOptions {
  /**
   * Sample rate of the frames given to `speechProbability`, in hertz. 8000, 16000, 32000 and 48000 go to
   * libfvad as they are; any other multiple of 8000 (24000 in particular) is low-passed and decimated to
   * 8 kHz first. That loses nothing: libfvad itself downsamples every rate to 8 kHz and only analyses
   * 0-4 kHz.
   */
  readonly sampleRate: number;
  /** Aggressiveness (0-3). Default: {@link DEFAULT_WEBRTC_MODE}. */
  readonly mode?: WebRtcVadMode;
}

/** The WebRTC VAD: libfvad in WebAssembly. Owns WebAssembly memory: call `close()` when the call ends. */
export interface WebRtcVad extends Vad {
  readonly engine: 'webrtc';
  readonly mode: WebRtcVadMode;
  /** Rate of the frames it accepts, in hertz. */
  readonly sampleRate: number;
  /** Rate libfvad runs at (differs from `sampleRate` when frames are decimated), in hertz. */
  readonly analysisRate: number;
  /**
   * libfvad's verdict on the last frame: 1 speech, 0 not speech; a fraction when the frame was judged in
   * several 10 ms pieces. `speechProbability` is this decision smoothed over frames.
   */
  readonly lastDecision: number;
  /** Frees the WebAssembly memory. Idempotent; the VAD must not be used afterwards. */
  close(): void;
}

/**
 * Default aggressiveness: 3, chosen for telephony by measuring modes 2 and 3 on the signals of
 * test/audio/vad.test.ts (8 kHz; speech frames as labelled there; 10 s of each noise, after its first 0.5 s):
 *
 * | mode | speech at -23 / -43 dBFS, clean | -43 dBFS in pink noise, SNR 10 dB | white / pink / babble at -40 dBFS | babble at -50 dBFS |
 * | --- | --- | --- | --- | --- |
 * | 2 | 99.8% / 98.9% | 93% | 0% / 0% / 90% | 86% |
 * | 3 | 99.2% / 92.1% | 58% | 0% / 0% / 24% | 0% |
 *
 * Mode 2 hears a television in the background as a caller who never stops talking, which stalls
 * endpointing; mode 3 only loses speech that is both very quiet and noisy. Quiet, clean lines can use 2.
 */
export const DEFAULT_WEBRTC_MODE: WebRtcVadMode = 3;

/** Rates libfvad accepts as they are, in hertz. */
const NATIVE_RATES = new Set([8000, 16000, 32000, 48000]);

/**
 * Weight of the newest decision in the smoothed probability. At 0.5 the probability is
 * `p = 0.5 x p_previous + 0.5 x decision`, which gives `threshold` a simple, exact meaning:
 *
 * | threshold | a frame counts as speech when |
 * | --- | --- |
 * | 0.5 (default) | libfvad says speech for this frame (exactly its raw decision, no delay) |
 * | 0.75 | this frame and the previous one are speech (0.875: the last 3; 0.9375: the last 4) |
 * | 0.25 | this frame or the one before is speech (a 20 ms hangover that bridges one-frame gaps) |
 *
 * Higher thresholds trade 20 ms of onset per step for fewer isolated false alarms (clicks, coughs).
 */
const SMOOTHING = 0.5;
/**
 * The history term is capped just below 1: after a long run of speech `p` would round to exactly 1 in
 * floating point, and one silent frame would then score exactly 0.5 and still count as speech. Capped,
 * the probability stays in [0, 0.9995], and the table above holds however long the caller talks.
 */
const HISTORY_CEILING = 0.999;

let shared: Promise<FvadModule> | undefined;
let loaded: FvadModule | undefined;

/**
 * Size of the WebAssembly memory shared by all WebRTC VADs, in bytes (0 before the first one). Memory only
 * grows, so a steady figure across many calls shows that `close()` returns what each VAD took.
 */
export function webRtcVadMemoryBytes(): number {
  return loaded?.HEAP16.buffer.byteLength ?? 0;
}

/**
 * The WebAssembly module is compiled once per process and shared: each VAD is only a libfvad state and a
 * frame buffer inside it (about 1.4 KB together), so a thousand calls cost a thousand small allocations.
 */
function loadModule(): Promise<FvadModule> {
  shared ??= createFvadModule().then((module) => (loaded = module)).catch((error: unknown) => {
    shared = undefined;
    throw new Error(`could not load the WebRTC VAD (@echogarden/fvad-wasm): ${String(error)}. Reinstall dependencies with \`npm install\`.`);
  });
  return shared;
}

/**
 * Creates a WebRTC VAD (libfvad compiled to WebAssembly). Async because the WebAssembly module is
 * instantiated on first use; `speechProbability` is synchronous and allocation-free. Per 20 ms frame on
 * the 2-core CI machine (`npm run bench:vad`, p50): 1.5 us at 8 kHz, 2 us at 16 kHz, 10 us at 24 kHz
 * (mostly the decimation), 19 us at 48 kHz (libfvad's own downsampling).
 *
 * Frames may be 10, 20 or 30 ms long, or any multiple of 10 ms (judged in 10 ms pieces).
 */
export async function createWebRtcVad(options: WebRtcVadOptions): Promise<WebRtcVad> {
  const { sampleRate } = options;
  const mode = options.mode ?? DEFAULT_WEBRTC_MODE;
  if (![0, 1, 2, 3].includes(mode)) throw new RangeError(`WebRTC VAD mode must be 0, 1, 2 or 3, got ${String(mode)}`);
  const decimator = decimatorFor(sampleRate);
  const analysisRate = decimator?.outputRate ?? sampleRate;
  const fvad = await loadModule();

  const handle = fvad._fvad_new();
  if (handle === 0) throw new Error('WebRTC VAD: out of WebAssembly memory');
  if (fvad._fvad_set_mode(handle, mode) < 0 || fvad._fvad_set_sample_rate(handle, analysisRate) < 0) {
    fvad._fvad_free(handle);
    throw new Error(`WebRTC VAD rejected mode ${mode} at ${analysisRate} Hz`);
  }
  const tenMs = analysisRate / 100;
  let capacity = 3 * tenMs; // 30 ms, libfvad's longest frame; grows if longer frames arrive
  let buffer = fvad._malloc(capacity * 2);
  let probability = 0;
  let decision = 0;
  let closed = false;

  const ensureCapacity = (samples: number): void => {
    if (samples <= capacity) return;
    fvad._free(buffer);
    capacity = samples;
    buffer = fvad._malloc(capacity * 2);
  };

  return {
    engine: 'webrtc',
    mode,
    sampleRate,
    analysisRate,
    get lastDecision() {
      return decision;
    },
    speechProbability(frame) {
      if (closed) throw new Error('WebRTC VAD used after close()');
      const length = decimator ? frame.length / decimator.factor : frame.length;
      if (length === 0 || length % tenMs !== 0) {
        throw new RangeError(`WebRTC VAD: frames must last a multiple of 10 ms (${tenMs * (sampleRate / analysisRate)} samples at ${sampleRate} Hz), got ${frame.length} samples`);
      }
      ensureCapacity(length);
      // HEAP16 is re-read on every frame: it is replaced whenever any VAD's allocation grows the memory.
      const heap = fvad.HEAP16;
      if (decimator) decimator.process(frame, heap, buffer >> 1);
      else heap.set(frame, buffer >> 1);
      decision = length <= 3 * tenMs ? judge(buffer, length) : judgeInPieces(length);
      probability = SMOOTHING * decision + (1 - SMOOTHING) * Math.min(probability, HISTORY_CEILING);
      return probability;
    },
    close() {
      if (closed) return;
      closed = true;
      fvad._free(buffer);
      fvad._fvad_free(handle);
    },
  };

  function judge(pointer: number, length: number): number {
    const verdict = fvad._fvad_process(handle, pointer, length);
    if (verdict < 0) throw new Error(`WebRTC VAD rejected a frame of ${length} samples at ${analysisRate} Hz`);
    return verdict;
  }

  function judgeInPieces(length: number): number {
    let voiced = 0;
    for (let offset = 0; offset < length; offset += tenMs) voiced += judge(buffer + offset * 2, tenMs);
    return voiced / (length / tenMs);
  }
}

function decimatorFor(sampleRate: number): Decimator | undefined {
  if (NATIVE_RATES.has(sampleRate)) return undefined;
  if (Number.isInteger(sampleRate) && sampleRate > 0 && sampleRate % 8000 === 0) return createDecimator(sampleRate, sampleRate / 8000);
  throw new RangeError(
    `WebRTC VAD does not support ${sampleRate} Hz: use 8000, 16000, 32000 or 48000 Hz, or another multiple of 8000 (decimated to 8000). ` +
      'Resample the audio first, or choose `turnTaking.vad.engine: energy`.',
  );
}
