import type { Vad } from '../audio/vad.js';
import type { ProviderMetric } from './resilient.js';
import type { LanguageModel, SpeechToText, TextToSpeech } from './types.js';

/** The providers a call uses. `llm` resolves a model profile name (or `realtime`) to a language model. */
export interface CallProviders {
  readonly stt: SpeechToText;
  readonly tts: TextToSpeech;
  llm(profile: string): LanguageModel;
  /** Voice activity detector for this call (one per call: detectors keep state). */
  readonly vad: Vad;
  /**
   * Told what the caller heard when the agent is cut off (barge-in or hang-up): speech-to-speech providers
   * truncate the model's audio item to `heardMs` so the model's own history matches what was heard.
   */
  onAgentCut?(cut: { readonly heardMs: number; readonly heardText: string }): void;
  /**
   * Called once when the call starts: degradations the providers handle themselves (a fallback voice taking
   * over) are reported through `report`, and measurements (time to first token, retries, errors) through
   * `onMetric`, so they appear as call events and in the record.
   */
  attach?(report: (source: 'stt' | 'llm' | 'tts', error: { readonly message: string; readonly retryable: boolean }) => void, onMetric?: (metric: ProviderMetric) => void): void;
  /**
   * Dualplex with `inference.realtime.degradeTo`: the recogniser that takes over when `stt` is lost for good
   * (the call goes on as a cascade; realtime turns are answered by the `degradeTo` profile).
   */
  readonly degradedStt?: SpeechToText;
  /** Releases what the providers hold (sockets, WebAssembly memory). Called once by `startCall` at the end. */
  close?(): void;
}
