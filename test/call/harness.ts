/*
 * Runs whole calls in-process on a simulated clock: a scripted caller (speech-like audio frames plus the
 * scripted recogniser's words), the fake LLM and TTS, and the recording transport. A 20-second call takes a
 * few hundred milliseconds of real time and is deterministic.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { createEnergyVad } from '../../runtime/audio/vad.js';
import { createCallSession, prepareAgent, type CallSession } from '../../runtime/call/call-session.js';
import type { CallEvent } from '../../runtime/call/events.js';
import { connectTransport } from '../../runtime/call/start-call.js';
import { loadAgent, formatDiagnostic } from '../../runtime/dsl/index.js';
import {
  createFakeLlm,
  createFakeTts,
  createRecordingTransport,
  createScriptedStt,
  flushMicrotasks,
  type FakeLlmOptions,
  type FakeTtsOptions,
  type RecordingTransport,
  type RecordingTransportOptions,
  type ScriptedUtterance,
} from '../../runtime/testing.js';
import type { LanguageModel } from '../../runtime/providers/types.js';
import type { CallTransport } from '../../runtime/transports/types.js';
import { createSimulatedClock, type SimulatedClock } from '../../runtime/util/clock.js';

const SAMPLE_RATE = 8000;
const FRAME = SAMPLE_RATE / 50;

/** A minimal valid agent; tests override parts with `patch`. */
export const BASE_AGENT = {
  apiVersion: 'voiceagent/v1',
  name: 'test-agent',
  inference: { mode: 'cascade' },
  models: { main: { provider: 'openai', model: 'main-model' } },
  voice: { provider: 'local', voices: { en: 'en-us' } },
  prompt: { system: 'You are a test agent.' },
};

/** Deep-merges plain objects (arrays and scalars replace). */
function merge(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return base;
  if (base && patch && typeof base === 'object' && typeof patch === 'object' && !Array.isArray(base) && !Array.isArray(patch)) {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [k, v] of Object.entries(patch as Record<string, unknown>)) out[k] = v === null ? undefined : merge(out[k], v);
    return out;
  }
  return patch;
}

export interface HarnessOptions {
  /** Overrides merged into {@link BASE_AGENT} (or into `agentFile`). `null` deletes a key. */
  readonly patch?: Record<string, unknown>;
  /** Start from an agent file in agents/ instead of BASE_AGENT. */
  readonly agentFile?: string;
  readonly llm?: Partial<Omit<FakeLlmOptions, 'clock'>>;
  /** Per-profile LLM options (for routing and hedging tests). */
  readonly llmByProfile?: Record<string, Partial<Omit<FakeLlmOptions, 'clock'>>>;
  readonly tts?: Partial<Omit<FakeTtsOptions, 'clock'>>;
  readonly playoutDelayMs?: number;
  /** Clock granularity between frames, ms (default 5). */
  readonly stepMs?: number;
  /** The recogniser reports its own VAD's speech events, this many ms of audio late (see `createScriptedStt`). */
  readonly sttSpeechEventsDelayMs?: number;
  /** The recogniser finalises only when the runtime says the caller stopped (a committing recogniser). */
  readonly sttFinalOnEndOfSpeech?: boolean;
  /** Give the call a second scripted recogniser as `degradedStt` (dualplex `degradeTo`). */
  readonly degradedStt?: boolean;
  /**
   * Per-profile language models used instead of the fake LLM (a model that stalls mid-stream, ...), built on
   * the harness clock. `h.llm(profile)` does not see their requests.
   */
  readonly languageModels?: Readonly<Record<string, (clock: SimulatedClock) => LanguageModel>>;
  /** The recording transport's far end reports every mark played and the call trusts it (`reportsPlayback`). Default: false. */
  readonly reportsPlayback?: boolean;
  /** What the recording transport's far end says at its start (`createRecordingTransport({ startInfo })`). */
  readonly startInfo?: RecordingTransportOptions['startInfo'];
  /**
   * A transport put between the call and the recording transport (one that loses played reports, one that
   * taps them). `h.transport` stays the recording transport, so what was sent is still asserted there.
   */
  readonly wrapTransport?: (transport: RecordingTransport) => CallTransport;
}

/** Creates a call with fakes and returns the controls a scenario needs. */
export function createHarness(options: HarnessOptions = {}) {
  const base = options.agentFile ? parse(readFileSync(join(import.meta.dirname, '../../agents', options.agentFile), 'utf8')) : BASE_AGENT;
  const text = stringify(merge(base, options.patch));
  const loaded = loadAgent({ file: 'test-agent.yaml', text });
  if (!loaded.ok) throw new Error('harness agent invalid:\n' + loaded.diagnostics.map(formatDiagnostic).join('\n'));
  const spec = loaded.spec;
  const clock = createSimulatedClock();
  const stt = createScriptedStt({
    ...(options.sttSpeechEventsDelayMs !== undefined ? { speechEventsDelayMs: options.sttSpeechEventsDelayMs } : {}),
    ...(options.sttFinalOnEndOfSpeech ? { finalOnEndOfSpeech: true } : {}),
  });
  const degradedStt = options.degradedStt ? createScriptedStt({ id: 'degraded-stt' }) : undefined;
  const tts = createFakeTts({ clock, ...options.tts });
  const llms = new Map<string, ReturnType<typeof createFakeLlm>>();
  const customLlms = new Map<string, LanguageModel>();
  const llmFor = (profile: string): LanguageModel => {
    const custom = options.languageModels?.[profile];
    if (custom) {
      if (!customLlms.has(profile)) customLlms.set(profile, custom(clock));
      return customLlms.get(profile)!;
    }
    let llm = llms.get(profile);
    if (!llm) {
      llm = createFakeLlm({ clock, id: `fake-${profile}`, replies: [], defaultReply: 'Okay.', ...options.llm, ...options.llmByProfile?.[profile] });
      llms.set(profile, llm);
    }
    return llm;
  };
  const transport = createRecordingTransport({
    clock,
    sampleRate: SAMPLE_RATE,
    playoutDelayMs: options.playoutDelayMs ?? 0,
    ...(options.reportsPlayback !== undefined ? { reportsPlayback: options.reportsPlayback } : {}),
    ...(options.startInfo ? { startInfo: options.startInfo } : {}),
  });
  const callTransport: CallTransport = options.wrapTransport ? options.wrapTransport(transport) : transport;
  const agent = prepareAgent(spec);
  const session: CallSession = createCallSession({ agent, providers: { stt, tts, llm: llmFor, vad: createEnergyVad(), ...(degradedStt ? { degradedStt } : {}) }, transport: callTransport, clock });
  const events: CallEvent[] = [];
  session.onEvent((e) => events.push(e));
  connectTransport(session, callTransport);

  /** Audio time until which the caller produces speech-like audio. */
  let speechUntil = 0;
  let audioMs = 0;
  const stepMs = options.stepMs ?? 5;
  const speechFrame = new Int16Array(FRAME);
  for (let i = 0; i < FRAME; i++) speechFrame[i] = Math.round(3000 * Math.sin((2 * Math.PI * 220 * i) / SAMPLE_RATE) + 1500 * Math.sin((2 * Math.PI * 710 * i) / SAMPLE_RATE));
  const silenceFrame = new Int16Array(FRAME);

  const h = {
    clock,
    session,
    spec,
    stt,
    degradedStt,
    tts,
    transport,
    events,
    llm: (profile = 'main') => {
      llmFor(profile);
      return llms.get(profile)!;
    },
    /** Call time, ms. */
    now: () => clock.now(),
    start() {
      session.start();
    },
    /** Runs the call for `ms`, one inbound frame every 20 ms. */
    async run(ms: number) {
      for (let elapsed = 0; elapsed < ms; elapsed += 20) {
        session.pushAudio(audioMs < speechUntil ? speechFrame : silenceFrame);
        audioMs += 20;
        for (let t = 0; t < 20; t += stepMs) {
          clock.advance(stepMs);
          await flushMicrotasks();
        }
      }
    },
    /** Runs until `predicate` holds (checked every frame), at most `maxMs`; returns the time it took. */
    async runUntil(predicate: () => boolean, maxMs = 20_000): Promise<number> {
      const start = clock.now();
      while (!predicate()) {
        if (clock.now() - start > maxMs) throw new Error(`runUntil: condition not met within ${maxMs} ms; states: ${session.states().join(', ')}`);
        await h.run(20);
      }
      return clock.now() - start;
    },
    /** The caller says `text` starting now: speech audio for its words plus the recogniser's transcript. */
    say(text: string, utterance: Omit<ScriptedUtterance, 'text'> = {}) {
      const words = text.split(/\s+/).filter(Boolean).length;
      speechUntil = audioMs + words * (utterance.wordMs ?? 300);
      // Once the call has degraded to its second recogniser, that one hears the caller.
      (degradedStt && degradedStt.streamsStarted > 0 ? degradedStt : stt).utter({ text, ...utterance });
    },
    /** Speech-like audio with no words (a cough, a door). */
    noise(durationMs: number) {
      speechUntil = audioMs + durationMs;
    },
    /** Agent audio sent so far, ms. */
    agentAudioMs: () => transport.sentMs(),
    statesInclude: (fragment: string) => session.states().some((s) => s.includes(fragment)),
    eventsOf<T extends CallEvent['type']>(type: T) {
      return events.filter((e): e is Extract<CallEvent, { type: T }> => e.type === type);
    },
  };
  return h;
}

export type Harness = ReturnType<typeof createHarness>;
