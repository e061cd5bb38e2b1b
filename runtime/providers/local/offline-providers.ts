/**
 * Everything a call needs to run offline, with no keys and no network: the agent's scripted replies for every
 * model profile, the simulated recogniser for simulated callers, eSpeak NG voices and the agent's VAD. How
 * `voiceagent call` and `voiceagent test` run out of the box.
 */
import { createVad, type ClosableVad } from '../../audio/create-vad.js';
import type { CallProviders } from '../call-providers.js';
import type { AgentSpec } from '../../dsl/index.js';
import type { Clock } from '../../util/clock.js';
import type { TextToSpeech } from '../types.js';
import { createLocalTts } from './espeak-tts.js';
import { createOfflineLlm, type OfflineLlm } from './offline-llm.js';
import { createSimulatedStt, type SimulatedStt } from './simulated-stt.js';

/** Options of {@link createOfflineProviders}. */
export interface OfflineProvidersOptions {
  /** Drives reply timing and synthesis; a simulated clock for simulated calls. */
  readonly clock: Clock;
  /** Rate of the call's audio, in hertz (8000 for telephony). */
  readonly sampleRate: number;
  /** The recogniser the simulator tells what its caller says. Default: a new `createSimulatedStt()`. */
  readonly stt?: SimulatedStt;
}

/** The offline providers of one call, typed precisely: the simulated recogniser, the scripted model, a closable VAD. */
export interface OfflineProviders extends CallProviders {
  readonly stt: SimulatedStt;
  llm(profile: string): OfflineLlm;
  /** Closed by {@link OfflineProviders.close} (it may hold WebAssembly memory). */
  readonly vad: ClosableVad;
  /** Frees the VAD's WebAssembly memory. Idempotent; `startCall` calls it when the call ends. */
  close(): void;
}

/** eSpeak NG voice for a language (primary subtag) when the agent names no local voice. */
const ESPEAK_VOICE_BY_LANGUAGE: Readonly<Record<string, string>> = { en: 'en-us', fr: 'fr-fr', zh: 'cmn', de: 'de', es: 'es', it: 'it', pt: 'pt', ja: 'ja' };

/**
 * Builds the offline providers of one call (one VAD per call: detectors keep state). The language model is the
 * scripted offline model for every profile, `realtime` included. Offline mode REPLACES the agent's premium voice:
 * when `voice.provider` is not `local`, each language speaks with the agent's local fallback voice for it
 * (`voice.fallback`, when its provider is `local`), else a default eSpeak voice for the language (`en` -> `en-us`,
 * `fr` -> `fr-fr`, `zh` -> `cmn`, `de`, `es`, `it`, `pt`, `ja`, else the language code itself). eSpeak NG is loaded
 * once per process; the synthesiser is bound to this call's clock (with the real clock it synthesises on the
 * process's synthesis thread, see `createLocalTts`). Rejects when eSpeak NG or the VAD cannot load.
 */
export async function createOfflineProviders(spec: AgentSpec, options: OfflineProvidersOptions): Promise<OfflineProviders> {
  const [tts, vad] = await Promise.all([createLocalTts({ clock: options.clock }), createVad(spec.turnTaking.vad, { sampleRate: options.sampleRate })]);
  const llm = createOfflineLlm(spec, { clock: options.clock });
  return {
    stt: options.stt ?? createSimulatedStt(),
    tts: spec.voice.provider === 'local' ? tts : withOfflineVoices(tts, spec),
    llm: () => llm,
    vad,
    close: () => void vad.close(),
  };
}

/** The eSpeak voice offline mode uses for `language` instead of the agent's (non-local) voice. */
export function offlineVoiceFor(spec: AgentSpec, language: string): string {
  const primary = (language.split(/[-_]/)[0] ?? language).toLowerCase();
  const fallback = spec.voice.fallback?.provider === 'local' ? spec.voice.fallback.voices : undefined;
  return fallback?.[language] ?? fallback?.[primary] ?? ESPEAK_VOICE_BY_LANGUAGE[primary] ?? primary;
}

/** The synthesiser with the agent's voice ids (ElevenLabs, OpenAI) replaced by eSpeak voices. */
function withOfflineVoices(tts: TextToSpeech, spec: AgentSpec): TextToSpeech {
  return {
    id: tts.id,
    capabilities: tts.capabilities,
    open: (open, hooks) => tts.open({ ...open, voice: offlineVoiceFor(spec, open.language) }, hooks),
  };
}
