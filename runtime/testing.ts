/**
 * `voiceagent/testing`: test doubles for voice agents and for programs built on voiceagent, with no network,
 * keys or real time. A table-driven language model (`ttftMs`, `tokensPerSecond`, failure injection), a
 * scripted recogniser driven by audio time, a voice producing real PCM with exact character alignment, the
 * in-process transport that records what a call sent and simulates the caller's playback, and a simulated
 * clock so a whole call runs in milliseconds, deterministically.
 *
 * @example
 * ```ts
 * import { prepareAgent, startCall, loadAgent } from 'voiceagent';
 * import { createSimulatedClock, createFakeLlm, createFakeTts, createScriptedStt, createRecordingTransport, advanceAndFlush } from 'voiceagent/testing';
 * const clock = createSimulatedClock();
 * const llm = createFakeLlm({ clock, replies: [{ match: 'opening hours', reply: 'We open at nine.' }] });
 * const transport = createRecordingTransport({ clock });
 * const call = await startCall({ agent, transport, clock, providers: { stt: createScriptedStt(), tts: createFakeTts({ clock }), llm: () => llm, vad } });
 * await advanceAndFlush(clock, 5_000, 20);
 * ```
 *
 * @packageDocumentation
 */
export { createFakeLlm, splitIntoTokens, createScriptedStt, SCRIPTED_STT_FRAME_MS, createFakeTts } from './providers/testing/index.js';
export type {
  FakeLlm,
  FakeLlmFailure,
  FakeLlmMatch,
  FakeLlmOptions,
  FakeLlmReply,
  FakeLlmRequestRecord,
  ScriptedStt,
  ScriptedSttOptions,
  ScriptedUtterance,
  FakeTts,
  FakeTtsContextRecord,
  FakeTtsFailure,
  FakeTtsOptions,
} from './providers/testing/index.js';
export { createInProcessTransport, createRecordingTransport } from './transports/in-process.js';
export type { ClearRecord, MarkRecord, RecordingTransport, RecordingTransportOptions, SentFrame } from './transports/in-process.js';
export { createSimulatedClock, realClock, type Clock, type SimulatedClock } from './util/clock.js';
export { advanceAndFlush, flushMicrotasks } from './util/flush.js';
export { createEnergyVad, type Vad } from './audio/vad.js';
