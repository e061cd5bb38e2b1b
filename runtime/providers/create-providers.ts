import type { ClientOptions } from 'ws';
import { createVad } from '../audio/create-vad.js';
import type { CallProviders } from '../call/call-controller.js';
import type { AgentSpec } from '../dsl/index.js';
import { REALTIME_PROFILE } from '../dsl/index.js';
import type { Clock } from '../util/clock.js';
import { createElevenLabsTts } from './elevenlabs/index.js';
import { createLocalTts, createOfflineLlm } from './local/index.js';
import { createOpenAiChatLlm } from './openai/chat-llm.js';
import { createOpenAiRealtime } from './openai/realtime.js';
import { createRealtimeChannel, realtimeLanguageModel, realtimeSpeechToText, realtimeTranscriptionStt, type RealtimeChannel } from './openai/realtime-adapters.js';
import { realtimeVoice } from './openai/realtime-voice.js';
import { withFallbackTts } from './fallback-tts.js';
import { withResilience, withTtsResilience } from './resilient.js';
import { resolveSecret } from './secrets.js';
import type { LanguageModel, SpeechToText, TextToSpeech } from './types.js';

/** Where a call's providers come from and what they may use. */
export interface ProviderContext {
  /** Environment for `${env:...}` references (pass `process.env` at the edge). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The agent file, for messages about missing keys. */
  readonly agentFile: string;
  readonly clock: Clock;
  /** Sample rate of the call's audio (8000 on telephony lines). */
  readonly sampleRate: number;
  /** `ws` client options for the realtime and ElevenLabs sockets (e.g. `{ ca }` for a private endpoint). */
  readonly clientOptions?: ClientOptions;
}

/** A call's real providers, and how to release their sockets when the call ends. */
export interface RealProviders extends CallProviders {
  close(): void;
}

/**
 * Builds the providers an agent's YAML asks for: OpenAI Realtime (dualplex and speech-to-speech), Chat
 * Completions on any OpenAI-compatible endpoint (cascade and routed profiles), ElevenLabs or the offline
 * voice, and the agent's VAD. Keys come only from `${env:...}` references (a missing one fails here, naming
 * the variable, the agent file and the field). Retries, timeouts and metrics come from one wrapper.
 */
export async function createProviders(spec: AgentSpec, ctx: ProviderContext): Promise<RealProviders> {
  const secret = (ref: string | undefined, fallbackSecret: string, field: string, provider: string) =>
    resolveSecret(ref ?? spec.secrets[fallbackSecret], { env: ctx.env, agentFile: ctx.agentFile, field: ref ? field : `secrets.${fallbackSecret}`, provider });
  const wire = ctx.sampleRate === 8000 ? ('pcmu' as const) : ('pcm24k' as const);
  const closers: Array<() => void> = [];

  let channel: RealtimeChannel | undefined;
  const realtime = spec.inference.realtime;
  if (spec.inference.mode !== 'cascade' && realtime) {
    const inference = createOpenAiRealtime({
      apiKey: secret(realtime.apiKey, 'openai', 'inference.realtime.apiKey', 'openai-realtime'),
      ...(realtime.baseURL ? { baseURL: realtime.baseURL } : {}),
      model: realtime.model,
      transcriptionModel: realtime.transcriptionModel,
      turnDetection: realtime.turnDetection,
      outputAudio: spec.inference.mode === 'speech-to-speech',
      inputFormat: wire,
      ...(spec.inference.mode === 'speech-to-speech' ? { voice: spec.voice.voices[spec.languages.default] } : {}),
      ...(ctx.clientOptions ? { clientOptions: ctx.clientOptions } : {}),
      clock: ctx.clock,
    });
    channel = createRealtimeChannel(inference, { instructions: spec.prompt.system, clock: ctx.clock });
    closers.push(() => channel?.close());
  }

  const stt: SpeechToText = channel
    ? realtimeSpeechToText(channel, { commitOnEndOfSpeech: realtime?.turnDetection === 'local' })
    : realtimeTranscriptionStt({
        apiKey: secret(spec.stt.apiKey, 'openai', 'stt.apiKey', 'openai-transcribe'),
        ...(spec.stt.baseURL ? { baseURL: spec.stt.baseURL } : {}),
        model: spec.stt.model,
        turnDetection: spec.stt.turnDetection,
        inputFormat: wire,
        ...(spec.stt.prompt ? { prompt: spec.stt.prompt } : {}),
        ...(ctx.clientOptions ? { clientOptions: ctx.clientOptions } : {}),
      });

  const llms = new Map<string, LanguageModel>();
  const offline = createOfflineLlm(spec, { clock: ctx.clock });
  const llm = (profile: string): LanguageModel => {
    let model = llms.get(profile);
    if (model) return model;
    const p = spec.models[profile];
    if (profile === REALTIME_PROFILE && channel) model = realtimeLanguageModel(channel);
    else if (!p || p.provider === 'local') model = offline;
    else {
      const apiKey = p.provider === 'openai' || p.apiKey ? secret(p.apiKey, 'openai', `models.${profile}.apiKey`, `openai:${profile}`) : undefined;
      model = withResilience(createOpenAiChatLlm({ ...(apiKey ? { apiKey } : {}), ...(p.baseURL ? { baseURL: p.baseURL } : {}), id: `openai:${profile}`, endCallTool: true }), { clock: ctx.clock });
    }
    llms.set(profile, model);
    return model;
  };

  let report: ((source: string, error: { message: string; retryable: boolean }) => void) | undefined;
  const primaryTts = spec.inference.mode === 'speech-to-speech' && channel ? realtimeVoice(channel) : await createTts(spec, ctx, secret, closers);
  const fallbackVoice = spec.voice.fallback;
  const tts = fallbackVoice
    ? withFallbackTts(primaryTts, await createTts({ ...spec, voice: { ...spec.voice, ...fallbackVoice, fallback: undefined } } as AgentSpec, ctx, secret, closers), (error) =>
        report?.('tts', { message: `${error.message}; the fallback voice (${fallbackVoice.provider}) speaks this utterance`, retryable: error.retryable }),
      )
    : primaryTts;
  const vad = await createVad(spec.turnTaking.vad, { sampleRate: ctx.sampleRate });
  closers.push(() => vad.close?.());
  return {
    stt,
    tts,
    llm,
    vad,
    attach: (sink) => {
      report = sink;
    },
    // Keep the model's own history equal to what the caller heard: speech-to-speech cuts the audio item at the
    // heard position (conversation.item.truncate); dualplex replaces the text item by the heard words.
    ...(channel
      ? {
          onAgentCut: ({ heardMs, heardText }) => {
            if (spec.inference.mode === 'speech-to-speech') channel?.session?.truncate('', Math.round(heardMs));
            else channel?.session?.truncateText('', heardText);
          },
        }
      : {}),
    close: () => closers.forEach((close) => close()),
  };
}

async function createTts(
  spec: AgentSpec,
  ctx: ProviderContext,
  secret: (ref: string | undefined, fallbackSecret: string, field: string, provider: string) => string,
  closers: Array<() => void>,
): Promise<TextToSpeech> {
  const { voice } = spec;
  if (voice.provider === 'elevenlabs') {
    const s = voice.settings;
    const tts = createElevenLabsTts({
      apiKey: secret(voice.apiKey, 'elevenlabs', 'voice.apiKey', 'elevenlabs'),
      ...(voice.baseURL ? { baseURL: voice.baseURL } : {}),
      ...(voice.model ? { model: voice.model } : {}),
      voiceSettings: { stability: s.stability, similarityBoost: s.similarityBoost, style: s.style, useSpeakerBoost: s.useSpeakerBoost, speed: s.speed },
      clock: ctx.clock,
    });
    // Its socket belongs to this call: left open, it would outlive the call until the server's inactivity timeout.
    closers.push(() => void tts.dispose());
    return withTtsResilience(tts, { clock: ctx.clock });
  }
  // `local` (and `openai`, which the DSL allows only in speech-to-speech mode, where the model speaks).
  return createLocalTts({ clock: ctx.clock });
}
