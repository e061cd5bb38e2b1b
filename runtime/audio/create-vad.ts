import { createNoiseGatedVad } from './noise-gate.js';
import { createSileroVad, type SileroVadOptions } from './silero-vad.js';
import { createEnergyVad, type Vad } from './vad.js';
import { createWebRtcVad, type WebRtcVadMode } from './webrtc-vad.js';

/** VAD engines an agent can choose (`turnTaking.vad.engine`). */
export type VadEngine = 'webrtc' | 'energy' | 'silero';

/** The agent's `turnTaking.vad` as far as building a VAD goes. */
export interface VadSpec {
  readonly engine: VadEngine;
  /**
   * Speech probability threshold (0-1). Only checked here: the inbound pipeline compares each frame's
   * probability with it. What it means per engine is documented with each engine (for `webrtc`, see
   * `webrtc-vad.ts`: 0.5 is libfvad's own decision).
   */
  readonly threshold?: number;
  /** The noise-adaptive gate after the engine (`turnTaking.vad.noiseGate`). Absent or disabled: none. */
  readonly noiseGate?: { readonly enabled: boolean; readonly marginDb?: number; readonly holdMarginDb?: number; readonly windowMs?: number; readonly floorPercentile?: number };
}

/** Where the VAD runs, and engine-specific tuning not (yet) in the agent YAML. */
export interface CreateVadOptions {
  /** Rate of the inbound frames, in hertz (8000 for telephony). */
  readonly sampleRate: number;
  /** WebRTC aggressiveness 0-3. Default: `DEFAULT_WEBRTC_MODE` (3). */
  readonly webrtcMode?: WebRtcVadMode;
  /** Silero options (model path, runtime loader); see `createSileroVad`. */
  readonly silero?: Omit<SileroVadOptions, 'sampleRate'>;
}

/** A VAD whose resources (WebAssembly memory, an ONNX session) are released by `close()` at the end of a call. */
export interface ClosableVad extends Vad {
  close(): void | Promise<void>;
}

/**
 * Builds the VAD an agent asked for. `webrtc` and `energy` need nothing beyond the default install;
 * `silero` imports onnxruntime-node on demand and rejects with `SileroUnavailableError` (saying what to
 * install) when it or the model is missing.
 */
export async function createVad(spec: VadSpec, options: CreateVadOptions): Promise<ClosableVad> {
  const vad = await createEngine(spec, options);
  const gate = spec.noiseGate;
  if (!gate?.enabled) return vad;
  const gated = createNoiseGatedVad(vad, gate);
  // The engine is still the agent's; the gate is a stage after it.
  return { engine: vad.engine, speechProbability: (frame) => gated.speechProbability(frame), close: () => vad.close() };
}

async function createEngine(spec: VadSpec, options: CreateVadOptions): Promise<ClosableVad> {
  if (spec.threshold !== undefined && !(spec.threshold >= 0 && spec.threshold <= 1)) {
    throw new RangeError(`turnTaking.vad.threshold must be between 0 and 1, got ${spec.threshold}`);
  }
  switch (spec.engine) {
    case 'webrtc':
      return createWebRtcVad({ sampleRate: options.sampleRate, ...(options.webrtcMode !== undefined && { mode: options.webrtcMode }) });
    case 'silero':
      return createSileroVad({ ...options.silero, sampleRate: options.sampleRate });
    case 'energy': {
      const energy = createEnergyVad();
      return { engine: energy.engine, speechProbability: (frame) => energy.speechProbability(frame), close() {} };
    }
    default: {
      const unknown: never = spec.engine;
      throw new RangeError(`unknown VAD engine ${JSON.stringify(unknown)}: use webrtc, energy or silero`);
    }
  }
}
