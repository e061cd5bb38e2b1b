/**
 * The typed form of an agent file after validation, with every default applied.
 *
 * The JSON Schema in `schemas/agent.schema.json` is the source of truth for field meaning, units and
 * defaults; these types mirror it. `test/dsl/agent-spec-types.test.ts` checks that every schema property
 * has a counterpart here, so the two cannot drift apart silently.
 */

/** A BCP 47 language code such as `en`, `fr`, `pt-BR`. */
export type LanguageCode = string;

/** An environment reference `${env:NAME}`, resolved when a call starts. */
export type EnvRef = string;

/** A text, or one text per language code. */
export type LocalizedText = string | Readonly<Record<LanguageCode, string>>;

/** Inference modes: see `inference.mode` in the schema. */
export type InferenceMode = 'dualplex' | 'cascade' | 'speech-to-speech';

/** A condition on the caller's turn; every field given must match. */
export interface Condition {
  readonly intent?: readonly string[];
  readonly language?: readonly LanguageCode[];
  readonly turn?: { readonly min?: number; readonly max?: number };
  /** JavaScript regular expression source, matched case-insensitively. */
  readonly transcript?: string;
}

/** The realtime model of `dualplex` and `speech-to-speech` modes. */
export interface RealtimeSpec {
  readonly provider: 'openai';
  readonly model: string;
  readonly baseURL?: string;
  readonly apiKey?: EnvRef;
  readonly transcriptionModel: string;
  readonly turnDetection: 'local' | 'server_vad' | 'semantic_vad';
  /** Dualplex: the `models` profile that answers realtime turns once the session is lost for good (with `stt`). */
  readonly degradeTo?: string;
}

/** How the caller's speech becomes the agent's speech. */
export interface InferenceSpec {
  readonly mode: InferenceMode;
  readonly realtime?: RealtimeSpec;
}

/** A named language-model profile. */
export interface ModelProfile {
  readonly provider: 'openai' | 'openai-compatible' | 'local';
  readonly model: string;
  readonly baseURL?: string;
  readonly apiKey?: EnvRef;
  readonly temperature: number;
  readonly maxOutputTokens: number;
  readonly firstTokenTimeoutMs: number;
  readonly fallback?: string;
}

/** Reserved routing target: the realtime model answers itself. */
export const REALTIME_PROFILE = 'realtime';

/** One routing rule: the first whose `when` matches picks the profile. */
export interface RoutingRule {
  readonly when?: Condition;
  readonly use: string;
}

/** Voice settings (ElevenLabs semantics). */
export interface VoiceSettings {
  readonly stability: number;
  readonly similarityBoost: number;
  readonly style: number;
  readonly useSpeakerBoost: boolean;
  readonly speed: number;
}

/** A fallback voice. */
export interface VoiceFallbackSpec {
  readonly provider: 'elevenlabs' | 'local';
  readonly model?: string;
  readonly voices: Readonly<Record<LanguageCode, string>>;
}

/** How the agent sounds. */
export interface VoiceSpec {
  readonly provider: 'elevenlabs' | 'local' | 'openai';
  readonly model?: string;
  readonly voices: Readonly<Record<LanguageCode, string>>;
  readonly apiKey?: EnvRef;
  readonly baseURL?: string;
  readonly settings: VoiceSettings;
  readonly fallback?: VoiceFallbackSpec;
}

/** Speech-to-text for cascade mode. */
export interface SttSpec {
  readonly provider: 'openai' | 'local';
  readonly model: string;
  /** Who ends each utterance for the recogniser (`local`: our VAD commits the audio). */
  readonly turnDetection: 'local' | 'server_vad' | 'semantic_vad';
  readonly baseURL?: string;
  readonly apiKey?: EnvRef;
  readonly languageHints: readonly LanguageCode[];
  readonly prompt?: string;
}

/** Languages and mid-call switching. */
export interface LanguagesSpec {
  readonly default: LanguageCode;
  readonly supported: readonly LanguageCode[];
  readonly switching: { readonly enabled: boolean; readonly minConfidence: number; readonly minWords: number };
}

/** Turn-taking: VAD, endpointing, preemptive generation, caller silence. */
export interface TurnTakingSpec {
  readonly vad: {
    readonly engine: 'webrtc' | 'energy' | 'silero';
    readonly threshold: number;
    readonly minSpeechMs: number;
    /** The noise-adaptive gate after the VAD (see `runtime/audio/noise-gate.ts`). */
    readonly noiseGate: { readonly enabled: boolean; readonly marginDb: number; readonly holdMarginDb: number; readonly windowMs: number; readonly floorPercentile: number };
  };
  readonly endpointing: { readonly minSilenceMs: number; readonly maxSilenceMs: number; readonly textCues: boolean };
  readonly preemptiveGeneration: boolean;
  readonly callerSilence: { readonly repromptAfterMs: number; readonly hangupAfterMs: number };
}

/** What playout does at caller speech onset. */
export type OnSpeechStart = 'pause' | 'duck' | 'continue';

/** Barge-in: how the caller interrupts the agent. */
export interface BargeInSpec {
  readonly enabled: boolean;
  readonly onSpeechStart: OnSpeechStart;
  readonly duckGainDb: number;
  readonly pauseAfterMs: number;
  readonly confirm: { readonly minSpeechMs: number; readonly minWords: number; readonly minConfidence: number; readonly serverVad: boolean };
  /**
   * The agent's changes to the built-in backchannels, as written: phrases added, `-phrase` removing a built-in
   * one, `-*` removing them all. The list of a call's language is `backchannelsFor(spec, language)`.
   */
  readonly backchannels: readonly string[];
  readonly interruptPhrases: readonly string[];
  readonly falseInterruption: { readonly resumeAfterMs: number };
  readonly cut: { readonly at: 'word-boundary' | 'immediate'; readonly maxWordTailMs: number; readonly fadeMs: number };
}

/** Echo handling. */
export interface EchoSpec {
  readonly mode: 'reference-gated' | 'aec' | 'off';
  /** Echo path the `aec` canceller's filter covers, in ms; the gate measures each call's delay itself (0-1000 ms). */
  readonly tailMs: number;
  readonly marginDb: number;
}

/** Prompts. */
export interface PromptSpec {
  readonly system: string;
  readonly greeting?: LocalizedText;
  readonly instructions: Readonly<Record<LanguageCode, string>>;
  readonly reprompt: LocalizedText;
  readonly goodbye: LocalizedText;
  readonly unavailable: LocalizedText;
}

/** A scripted reply of the offline model. */
export interface OfflineReply {
  readonly when?: Condition;
  readonly say: LocalizedText;
  readonly capture?: Readonly<Record<string, string>>;
  readonly hangup: boolean;
}

/** The offline scripted model. */
export interface OfflineSpec {
  readonly replies: readonly OfflineReply[];
  readonly default: LocalizedText;
  readonly ttftMs: number;
  readonly tokensPerSecond: number;
}

/** A validated agent with all defaults applied. Deeply frozen. */
export interface AgentSpec {
  readonly apiVersion: 'voiceagent/v1';
  readonly name: string;
  readonly description?: string;
  readonly inference: InferenceSpec;
  readonly models: Readonly<Record<string, ModelProfile>>;
  readonly routing: readonly RoutingRule[];
  readonly intents: Readonly<Record<string, readonly string[]>>;
  readonly voice: VoiceSpec;
  readonly stt: SttSpec;
  readonly languages: LanguagesSpec;
  readonly turnTaking: TurnTakingSpec;
  readonly bargeIn: BargeInSpec;
  readonly echo: EchoSpec;
  readonly prompt: PromptSpec;
  readonly offline: OfflineSpec;
  readonly secrets: Readonly<Record<string, EnvRef>>;
}
