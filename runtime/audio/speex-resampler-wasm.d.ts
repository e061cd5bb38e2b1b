/**
 * Types for `@echogarden/speex-resampler-wasm` (the SpeexDSP resampler built with Emscripten), which ships
 * none. Only what `resampler.ts` uses; names follow SpeexDSP's C API (`speex_resampler.h`). Pointers are byte
 * offsets into the module's WebAssembly memory; `...Pointer` length arguments point at `uint32` cells that
 * hold the capacity on entry and the count used on return.
 */
declare module '@echogarden/speex-resampler-wasm/simd' {
  /** One instantiated WebAssembly module; many resampler states can live in it. */
  export interface SpeexResamplerModule {
    /** Creates a state (`quality` 0-10); writes an error code to `errorPointer`; returns 0 on failure. */
    _speex_resampler_init(channels: number, inRate: number, outRate: number, quality: number, errorPointer: number): number;
    _speex_resampler_destroy(state: number): void;
    /** Resamples 16-bit samples of one channel; returns 0 on success. */
    _speex_resampler_process_int(state: number, channel: number, input: number, inputLengthPointer: number, output: number, outputLengthPointer: number): number;
    /** Filter delay in output samples. */
    _speex_resampler_get_output_latency(state: number): number;
    /** Filter delay in input samples. */
    _speex_resampler_get_input_latency(state: number): number;
    /** Clears the filter memory (a new stream starts). */
    _speex_resampler_reset_mem(state: number): number;
    _malloc(bytes: number): number;
    _free(pointer: number): void;
    /** Views of the module memory; replaced when memory grows, so read them afresh after any allocation. */
    readonly HEAP16: Int16Array;
    readonly HEAPU32: Uint32Array;
  }
  /** Instantiates the WebAssembly module (reads the `.wasm` beside the script). */
  const createSpeexResamplerModule: (moduleArg?: object) => Promise<SpeexResamplerModule>;
  export default createSpeexResamplerModule;
}

declare module '@echogarden/speex-resampler-wasm' {
  export type { SpeexResamplerModule } from '@echogarden/speex-resampler-wasm/simd';
  import type { SpeexResamplerModule } from '@echogarden/speex-resampler-wasm/simd';
  /** The same module built without WebAssembly SIMD, for hosts that lack it. */
  const createSpeexResamplerModule: (moduleArg?: object) => Promise<SpeexResamplerModule>;
  export default createSpeexResamplerModule;
}
