import type { ClientOptions } from 'ws';
import { createVad } from '../audio/create-vad.js';
import type { CallProviders } from './call-providers.js';
import type { AgentSpec } from '../dsl/index.js';
import { REALTIME_PROFILE } from '../dsl/index.js';
import type { Clock } from '../util/clock.js';
import { createElevenLabsRestTts, createElevenLabsTts } from './elevenlabs/index.js';
import { createLocalTts, createOfflineLlm } from './local/index.js';
import { createOpenAiChatLlm } from './openai/chat-llm.js';
import { createOpenAiRealtime } from './openai/realtime.js';
import { createRealtimeChannel, realtimeLanguageModel, realtimeSpeechToText, realtimeTranscriptionStt, type RealtimeChannel } from './openai/realtime-adapters.js';
import { realtimeVoice } from './openai/realtime-voice.js';
import { withFallbackTts } from './fallback-tts.js';
import { withResilience, withTtsResilience, type ProviderMetric } from './resilient.js';
import { elevenLabsKey, modelKey, realtimeKey, resolveKey, sttKey, type KeyUse } from './provider-keys.js';
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
  // Which key each provider sends: runtime/providers/provider-keys.ts, shared with `validate --online`.
  const key = (use: KeyUse) => resolveKey(use, ctx.env, ctx.agentFile);
  const wire = ctx.sampleRate === 8000 ? ('pcmu' as const) : ('pcm24k' as const);
  const closers: Array<() => void> = [];
  // Measurements of the wrapped providers go to the call once it has attached (see CallProviders.attach).
  let metricSink: ((metric: ProviderMetric) => void) | undefined;
  const onMetric = (metric: ProviderMetric) => metricSink?.(metric);

  let channel: RealtimeChannel | undefined;
  const realtime = spec.inference.realtime;
  if (spec.inference.mode !== 'cascade' && realtime) {
    const inference = createOpenAiRealtime({
      apiKey: key(realtimeKey(spec)!),
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

  const sttSectionKey = sttKey(spec);
  if (!channel && !sttSectionKey) {
    throw new Error(`${ctx.agentFile}: \`stt.provider: ${spec.stt.provider}\` is the offline simulated recogniser, which hears only simulated callers (\`voiceagent test\`); a call with real audio needs \`stt.provider: openai\``);
  }
  // The `stt` section's recogniser: cascade's, or dualplex's once degraded (`inference.realtime.degradeTo`).
  const sectionStt = (): SpeechToText =>
    realtimeTranscriptionStt({
      apiKey: key(sttSectionKey!),
      ...(spec.stt.baseURL ? { baseURL: spec.stt.baseURL } : {}),
      model: spec.stt.model,
      turnDetection: spec.stt.turnDetection,
      inputFormat: wire,
      ...(spec.stt.prompt ? { prompt: spec.stt.prompt } : {}),
      ...(ctx.clientOptions ? { clientOptions: ctx.clientOptions } : {}),
      clock: ctx.clock,
    });
  const stt: SpeechToText = channel ? realtimeSpeechToText(channel, { turnDetection: realtime?.turnDetection ?? 'local' }) : sectionStt();
  // Built (its key resolved) now, so a missing key fails the call's start rather than its rescue.
  const degradedStt = channel && sttSectionKey ? sectionStt() : undefined;

  const llms = new Map<string, LanguageModel>();
  const offline = createOfflineLlm(spec, { clock: ctx.clock });
  const llm = (profile: string): LanguageModel => {
    let model = llms.get(profile);
    if (model) return model;
    const p = spec.models[profile];
    if (profile === REALTIME_PROFILE && channel) model = realtimeLanguageModel(channel);
    else if (!p || p.provider === 'local') model = offline;
    else {
      const use = modelKey(spec, profile);
      const apiKey = use ? key(use) : undefined;
      model = withResilience(createOpenAiChatLlm({ ...(apiKey ? { apiKey } : {}), ...(p.baseURL ? { baseURL: p.baseURL } : {}), id: `openai:${profile}`, endCallTool: true }), { clock: ctx.clock, onMetric });
    }
    llms.set(profile, model);
    return model;
  };

  let report: ((source: 'tts', error: { message: string; retryable: boolean }) => void) | undefined;
  const reportTts = (message: string, retryable: boolean) => report?.('tts', { message, retryable });
  const primaryTts = spec.inference.mode === 'speech-to-speech' && channel ? realtimeVoice(channel) : await createTts(spec, ctx, key, closers, reportTts, onMetric);
  const fallbackVoice = spec.voice.fallback;
  const tts = fallbackVoice
    ? withFallbackTts(
        primaryTts,
        await createTts({ ...spec, voice: { ...spec.voice, ...fallbackVoice, fallback: undefined } } as AgentSpec, ctx, key, closers, reportTts, onMetric),
        (error) => reportTts(`${error.message}; the fallback voice (${fallbackVoice.provider}) speaks this utterance${coolDownNote}`, error.retryable),
        { clock: ctx.clock, coolDownMs: FALLBACK_COOL_DOWN_MS },
      )
    : primaryTts;
  const vad = await createVad(spec.turnTaking.vad, { sampleRate: ctx.sampleRate });
  closers.push(() => vad.close?.());
  return {
    stt,
    ...(degradedStt ? { degradedStt } : {}),
    tts,
    llm,
    vad,
    attach: (sink, metrics) => {
      report = sink;
      metricSink = metrics;
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

/**
 * After a switch to a stand-by voice (ElevenLabs over REST, or the YAML fallback voice), the next utterances
 * use it for this long before the primary is tried again: an unreachable socket costs its reconnect attempts
 * (about 2 s) before each failure, and a caller should not wait that at every reply.
 */
const FALLBACK_COOL_DOWN_MS = 30_000;
const coolDownNote = ` (and the next ${FALLBACK_COOL_DOWN_MS / 1000} s of replies)`;

async function createTts(
  spec: AgentSpec,
  ctx: ProviderContext,
  key: (use: KeyUse) => string,
  closers: Array<() => void>,
  report: (message: string, retryable: boolean) => void,
  onMetric: (metric: ProviderMetric) => void,
): Promise<TextToSpeech> {
  const { voice } = spec;
  if (voice.provider === 'elevenlabs') {
    const s = voice.settings;
    const options = {
      apiKey: key(elevenLabsKey(spec)!),
      ...(voice.baseURL ? { baseURL: voice.baseURL } : {}),
      ...(voice.model ? { model: voice.model } : {}),
      voiceSettings: { stability: s.stability, similarityBoost: s.similarityBoost, style: s.style, useSpeakerBoost: s.useSpeakerBoost, speed: s.speed },
    };
    const socket = createElevenLabsTts({ ...options, clock: ctx.clock });
    // Its socket belongs to this call: left open, it would outlive the call until the server's inactivity timeout.
    closers.push(() => void socket.dispose());
    // When the socket cannot be opened (or drops) even after reconnecting, the same voice over REST
    // (streamWithTimestamps) speaks the utterance: its first audio comes only after the whole reply text, but
    // the caller hears the agent's own voice. A refused key or a bad request would fail there too, so those go
    // on to the YAML fallback voice, if any.
    const rest = createElevenLabsRestTts(options);
    return withFallbackTts(
      withTtsResilience(socket, { clock: ctx.clock, onMetric }),
      withTtsResilience(rest, { clock: ctx.clock, onMetric }),
      (error) => report(`${error.message}; ElevenLabs over REST speaks this utterance${coolDownNote}`, error.retryable),
      { when: (error) => error.retryable, clock: ctx.clock, coolDownMs: FALLBACK_COOL_DOWN_MS },
    );
  }
  // `local` (and `openai`, which the DSL allows only in speech-to-speech mode, where the model speaks).
  return createLocalTts({ clock: ctx.clock });
}
