/**
 * Streaming sample-rate conversion between the rates voiceagent meets: 8 kHz (telephony), 16 kHz (many STT
 * engines), 24 kHz (OpenAI Realtime) and 48 kHz (WebRTC, studio TTS).
 *
 * The engine is the SpeexDSP resampler (Jean-Marc Valin's windowed-sinc polyphase resampler, as used by
 * PulseAudio and opus-tools) compiled to WebAssembly with SIMD: `@echogarden/speex-resampler-wasm`.
 * It was chosen over a JavaScript polyphase Kaiser-windowed sinc written for the purpose because it measured
 * better on every axis (Node 20, x64, 2-core machine; best of 60 runs of 200 frames; tones at half full
 * scale; same passband edge, 0.85 of the narrower Nyquist frequency, 3.4 kHz at 8 kHz):
 *
 * | 20 ms frame   | JS sinc, 65 dB design | Speex q3 (SIMD) | Speex q4 (SIMD, default) | Speex q4 (no SIMD) |
 * | ------------- | --------------------- | --------------- | ------------------------ | ------------------ |
 * | 8k -> 24k     | 26 us, images -80 dB  | 4.4 us, -91 dB  | 5.2 us, -91 dB           | 19 us              |
 * | 24k -> 8k     | 27 us, alias -73 dB   | 3.9 us, -83 dB  | 5.1 us, -86 dB           | 23 us              |
 * | 48k -> 8k     | 53 us, alias -74 dB   | 7.5 us, -84 dB  | 10 us, -90 dB            | 49 us              |
 * | 3.4 kHz gain  | 0.00 dB               | -1.05 dB (down) | -0.02 dB                 |                    |
 * | delay         | 3.3-3.4 ms            | 3 ms            | 4 ms                     |                    |
 *
 * (Alias: a 4.5 kHz tone into a converter to 8 kHz would fold to 3.5 kHz; the figure is what is left of it.
 * Images: what upsampling a 1 kHz tone leaves outside 1 kHz. Tones of 6 kHz and above come out as exact
 * zeros for every candidate.) Speex also keeps a 1 kHz tone within 0.001 dB with 88-100 dB signal-to-noise, at the
 * 16-bit floor. A scalar JavaScript dot product cannot match WebAssembly SIMD's four lanes, so the JS
 * version was dropped rather than kept as a fallback; the non-SIMD build of the same module is loaded
 * instead on a host without WebAssembly SIMD.
 *
 * Quality 4 (Speex's own default) is ours: flat to 3.4 kHz, at least 85 dB of alias rejection, 4 ms of delay
 * each way. Quality 3 (Speex's "VoIP" setting) saves 1 ms and about 1 us per frame but droops 1 dB at
 * 3.4 kHz when going down to 8 kHz.
 *
 * Loading WebAssembly is asynchronous, so `createResampler` returns a promise; once any load has finished
 * (`await initResampler()` at startup), `createResamplerSync` creates resamplers synchronously. Per-frame
 * processing is always synchronous. All resamplers in a thread share one WebAssembly instance and one
 * scratch buffer; each owns a small Speex state, freed by `destroy()` (or, as a safety net, when the
 * resampler is garbage-collected). `npm run bench:audio` prints the current per-frame figures.
 */
import createSpeexModuleNoSimd from '@echogarden/speex-resampler-wasm';
import createSpeexModuleSimd, { type SpeexResamplerModule } from '@echogarden/speex-resampler-wasm/simd';

/** Sample rates the resampler converts between, in Hz. */
export const SUPPORTED_SAMPLE_RATES: readonly number[] = [8000, 16000, 24000, 48000];

/** Speex quality used when none is given: flat to 3.4 kHz at 8 kHz, >= 85 dB alias rejection, 4 ms delay. */
export const DEFAULT_RESAMPLER_QUALITY = 4;

/** Options of {@link createResampler}. */
export interface ResamplerOptions {
  /** Input sample rate in Hz: 8000, 16000, 24000 or 48000. */
  readonly fromRate: number;
  /** Output sample rate in Hz: 8000, 16000, 24000 or 48000. */
  readonly toRate: number;
  /**
   * Speex quality, an integer from 0 (cheapest, 8-tap filter) to 10 (256 taps); default 4. Each step
   * lengthens the filter, adding delay and cost; see the table at the top of `resampler.ts`.
   */
  readonly quality?: number;
}

/**
 * A streaming resampler for one direction of one stream. It keeps the filter history between calls, so audio
 * resampled 20 ms at a time is identical to the same audio resampled in one piece (no clicks at frame edges),
 * and whole 20 ms frames in give whole 20 ms frames out (160 samples at 8 kHz in, 480 at 24 kHz out).
 */
export interface Resampler {
  /** Input sample rate in Hz. */
  readonly fromRate: number;
  /** Output sample rate in Hz. */
  readonly toRate: number;
  /** Speex quality, 0-10. */
  readonly quality: number;
  /** `speex-simd`, or `speex` where WebAssembly SIMD is missing, or `copy` when the rates are equal. */
  readonly engine: 'speex-simd' | 'speex' | 'copy';
  /**
   * The filter's delay in output samples (an integer): output sample `n` is the input signal at time
   * `(n - delaySamples) / toRate`. {@link flush} drains the last `delaySamples` samples.
   */
  readonly delaySamples: number;
  /**
   * Upper bound on the samples one `processInto` of `inputSamples` samples writes: `ceil(inputSamples *
   * toRate / fromRate)`, so one 20 ms frame at the output rate for a 20 ms frame in.
   */
  maxOutputSamples(inputSamples: number): number;
  /**
   * Resamples `input` into `output` (size it with `maxOutputSamples`), returning the samples written.
   * Allocation-free: the per-frame path.
   */
  processInto(input: Int16Array, output: Int16Array): number;
  /** Resamples `input` into a new array. */
  process(input: Int16Array): Int16Array;
  /** Ends the stream: returns the samples still in the filter (the input followed by silence), then resets. */
  flush(): Int16Array;
  /** Forgets all history: a new stream starts. */
  reset(): void;
  /** Frees the WebAssembly state. The resampler cannot be used afterwards. */
  destroy(): void;
}

/** Largest output/input rate ratio among the supported rates (8 kHz -> 48 kHz). */
const MAX_RATIO = 6;
/** Input samples handed to WebAssembly per call: 85 ms at 48 kHz, several frames at any rate. */
const SCRATCH_INPUT_SAMPLES = 4096;
const SCRATCH_OUTPUT_SAMPLES = SCRATCH_INPUT_SAMPLES * MAX_RATIO + 16;

/** One WebAssembly instance with a scratch area shared by every resampler (processing is synchronous). */
interface Engine {
  readonly name: 'speex-simd' | 'speex';
  readonly module: SpeexResamplerModule;
  readonly inputPointer: number;
  readonly outputPointer: number;
  /** `uint32` cell: input capacity in, input used out. */
  readonly inputLengthPointer: number;
  /** `uint32` cell: output capacity in, output written out. */
  readonly outputLengthPointer: number;
  readonly errorPointer: number;
  readonly finalizer: FinalizationRegistry<number>;
}

let engine: Engine | undefined;
let loading: Promise<Engine> | undefined;

async function instantiate(): Promise<{ name: Engine['name']; module: SpeexResamplerModule }> {
  try {
    return { name: 'speex-simd', module: await createSpeexModuleSimd() };
  } catch (simdError) {
    // A host without WebAssembly SIMD fails to compile the SIMD build; the plain build runs anywhere.
    try {
      return { name: 'speex', module: await createSpeexModuleNoSimd() };
    } catch {
      throw simdError;
    }
  }
}

async function loadEngine(): Promise<Engine> {
  const { name, module } = await instantiate();
  const allocate = (bytes: number): number => {
    const pointer = module._malloc(bytes);
    if (pointer === 0) throw new Error('resampler: the WebAssembly module could not allocate its scratch buffers');
    return pointer;
  };
  const loaded: Engine = {
    name,
    module,
    inputPointer: allocate(SCRATCH_INPUT_SAMPLES * 2),
    outputPointer: allocate(SCRATCH_OUTPUT_SAMPLES * 2),
    inputLengthPointer: allocate(4),
    outputLengthPointer: allocate(4),
    errorPointer: allocate(4),
    finalizer: new FinalizationRegistry((state) => module._speex_resampler_destroy(state)),
  };
  engine = loaded;
  return loaded;
}

/**
 * Loads the WebAssembly resampler once per thread (later calls return the same promise). Call it at startup
 * to use {@link createResamplerSync}; {@link createResampler} calls it for you.
 */
export async function initResampler(): Promise<void> {
  loading ??= loadEngine().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  await loading;
}

function checkOptions(options: ResamplerOptions): number {
  for (const [name, rate] of [['fromRate', options.fromRate], ['toRate', options.toRate]] as const) {
    if (!SUPPORTED_SAMPLE_RATES.includes(rate)) {
      throw new RangeError(`createResampler: ${name} ${rate} Hz is not supported; use one of ${SUPPORTED_SAMPLE_RATES.join(', ')} Hz`);
    }
  }
  const quality = options.quality ?? DEFAULT_RESAMPLER_QUALITY;
  if (!Number.isInteger(quality) || quality < 0 || quality > 10) {
    throw new RangeError(`createResampler: quality ${quality} is not an integer from 0 to 10; leave it out for the default (${DEFAULT_RESAMPLER_QUALITY})`);
  }
  return quality;
}

/** Creates a streaming resampler from `fromRate` to `toRate`, loading the engine on first use. */
export async function createResampler(options: ResamplerOptions): Promise<Resampler> {
  checkOptions(options);
  await initResampler();
  return createResamplerSync(options);
}

/**
 * Creates a streaming resampler synchronously. The engine must already be loaded (`await initResampler()`
 * or any earlier `createResampler`), except when the rates are equal (a plain copy).
 */
export function createResamplerSync(options: ResamplerOptions): Resampler {
  const quality = checkOptions(options);
  if (options.fromRate === options.toRate) return passThrough(options.fromRate, quality);
  if (!engine) {
    throw new Error('createResamplerSync: the resampler engine is not loaded yet; `await initResampler()` once at startup, or use `await createResampler(...)`');
  }
  return new SpeexResampler(engine, options.fromRate, options.toRate, quality);
}

/**
 * Resamples a whole buffer with the filter delay removed: the result has `ceil(n * toRate / fromRate)`
 * samples, time-aligned with the input. For files and tests; streams use {@link createResampler}.
 */
export async function resample(input: Int16Array, options: ResamplerOptions): Promise<Int16Array> {
  const resampler = await createResampler(options);
  try {
    const body = resampler.process(input);
    const tail = resampler.flush();
    const all = new Int16Array(body.length + tail.length);
    all.set(body);
    all.set(tail, body.length);
    const length = Math.ceil((input.length * options.toRate) / options.fromRate);
    return all.slice(resampler.delaySamples, resampler.delaySamples + length);
  } finally {
    resampler.destroy();
  }
}

function outputTooSmall(capacity: number, inputSamples: number, bound: number): RangeError {
  return new RangeError(`Resampler.processInto: output holds ${capacity} samples but ${inputSamples} input samples may produce ${bound}; size it with maxOutputSamples()`);
}

function passThrough(rate: number, quality: number): Resampler {
  return {
    fromRate: rate,
    toRate: rate,
    quality,
    engine: 'copy',
    delaySamples: 0,
    maxOutputSamples: (inputSamples) => inputSamples,
    processInto(input, output) {
      if (output.length < input.length) throw outputTooSmall(output.length, input.length, input.length);
      output.set(input);
      return input.length;
    },
    process: (input) => input.slice(),
    flush: () => new Int16Array(0),
    reset() {},
    destroy() {},
  };
}

class SpeexResampler implements Resampler {
  readonly engine: Engine['name'];
  readonly delaySamples: number;
  private state: number;
  private inputCount = 0;
  private outputCount = 0;

  constructor(
    private readonly wasm: Engine,
    readonly fromRate: number,
    readonly toRate: number,
    readonly quality: number,
  ) {
    const { module } = wasm;
    this.state = module._speex_resampler_init(1, fromRate, toRate, quality, wasm.errorPointer);
    if (this.state === 0) {
      throw new Error(`createResampler: Speex could not create a ${fromRate} -> ${toRate} Hz resampler (error ${module.HEAPU32[wasm.errorPointer >> 2]})`);
    }
    this.engine = wasm.name;
    this.delaySamples = module._speex_resampler_get_output_latency(this.state);
    wasm.finalizer.register(this, this.state, this);
  }

  maxOutputSamples(inputSamples: number): number {
    // Speex has produced ceil(N * to / from) samples after N inputs, so a chunk adds at most this many.
    return Math.ceil((inputSamples * this.toRate) / this.fromRate);
  }

  processInto(input: Int16Array, output: Int16Array): number {
    const bound = this.maxOutputSamples(input.length);
    if (output.length < bound) throw outputTooSmall(output.length, input.length, bound);
    const state = this.liveState();
    const { module, inputPointer, outputPointer, inputLengthPointer, outputLengthPointer } = this.wasm;
    const heap16 = module.HEAP16;
    const heapU32 = module.HEAPU32;
    const inputBase = inputPointer >> 1;
    const outputBase = outputPointer >> 1;
    let consumed = 0;
    let written = 0;
    while (consumed < input.length) {
      const chunk = Math.min(SCRATCH_INPUT_SAMPLES, input.length - consumed);
      // Element loops rather than set(subarray()): no view objects, so nothing is allocated per frame.
      for (let i = 0; i < chunk; i++) heap16[inputBase + i] = input[consumed + i]!;
      heapU32[inputLengthPointer >> 2] = chunk;
      heapU32[outputLengthPointer >> 2] = Math.min(SCRATCH_OUTPUT_SAMPLES, output.length - written);
      module._speex_resampler_process_int(state, 0, inputPointer, inputLengthPointer, outputPointer, outputLengthPointer);
      const used = heapU32[inputLengthPointer >> 2]!;
      const produced = heapU32[outputLengthPointer >> 2]!;
      for (let i = 0; i < produced; i++) output[written + i] = heap16[outputBase + i]!;
      if (used === 0 && produced === 0) throw new Error(`Resampler.processInto: Speex made no progress (${this.fromRate} -> ${this.toRate} Hz); this is a bug`);
      consumed += used;
      written += produced;
    }
    this.inputCount += input.length;
    this.outputCount += written;
    return written;
  }

  process(input: Int16Array): Int16Array {
    const output = new Int16Array(this.maxOutputSamples(input.length));
    const written = this.processInto(input, output);
    return written === output.length ? output : output.slice(0, written);
  }

  flush(): Int16Array {
    const target = Math.ceil((this.inputCount * this.toRate) / this.fromRate) + this.delaySamples;
    const missing = target - this.outputCount;
    let tail = new Int16Array(0);
    if (missing > 0) {
      const latency = this.wasm.module._speex_resampler_get_input_latency(this.liveState());
      const silence = new Int16Array(Math.ceil((missing * this.fromRate) / this.toRate) + latency + 1);
      tail = this.process(silence).slice(0, missing);
    }
    this.reset();
    return tail;
  }

  reset(): void {
    this.wasm.module._speex_resampler_reset_mem(this.liveState());
    this.inputCount = 0;
    this.outputCount = 0;
  }

  destroy(): void {
    if (this.state === 0) return;
    this.wasm.finalizer.unregister(this);
    this.wasm.module._speex_resampler_destroy(this.state);
    this.state = 0;
  }

  private liveState(): number {
    if (this.state === 0) throw new Error(`Resampler (${this.fromRate} -> ${this.toRate} Hz) was destroyed; create a new one`);
    return this.state;
  }
}
