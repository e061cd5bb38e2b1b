/**
 * Types for `@echogarden/fvad-wasm` (libfvad, the WebRTC VAD, built with Emscripten), which ships none.
 * Only what `webrtc-vad.ts` uses; names follow libfvad's C API (`fvad.h`). Pointers are byte offsets into
 * the module's WebAssembly memory.
 */
declare module '@echogarden/fvad-wasm' {
  /** One instantiated WebAssembly module; many VAD instances can live in it. */
  export interface FvadModule {
    /** Allocates a VAD instance (mode 0, 8 kHz); returns 0 when out of memory. */
    _fvad_new(): number;
    _fvad_free(handle: number): void;
    /** 0 on success, -1 for a mode outside 0-3. */
    _fvad_set_mode(handle: number, mode: number): number;
    /** 0 on success, -1 for a rate other than 8000, 16000, 32000 or 48000 Hz. */
    _fvad_set_sample_rate(handle: number, sampleRate: number): number;
    /** 1 = speech, 0 = not speech, -1 = invalid frame length (must be 10, 20 or 30 ms). */
    _fvad_process(handle: number, framePointer: number, length: number): number;
    _malloc(bytes: number): number;
    _free(pointer: number): void;
    /** View of the module memory; replaced when memory grows, so read it afresh after any allocation. */
    readonly HEAP16: Int16Array;
  }
  /** Instantiates the WebAssembly module (reads `fvad.wasm` beside the script). */
  const createFvadModule: (moduleArg?: object) => Promise<FvadModule>;
  export default createFvadModule;
}
