/**
 * Fakes for testing voice agents and the runtime without network, keys or real time: a table-driven language
 * model, a scripted recogniser driven by audio time, a synthesiser producing real PCM with exact character
 * alignment, and a transport that records what was sent and simulates the caller's playback.
 *
 * All timing comes from an injected `Clock`: under `createSimulatedClock()` a test advances time and asserts on
 * what the fakes recorded, deterministically.
 *
 * @example
 * ```ts
 * const clock = createSimulatedClock();
 * const llm = createFakeLlm({ clock, replies: [{ match: 'opening hours', reply: 'We open at nine.' }] });
 * // ... run the call, clock.advance(...), await flushMicrotasks() ...
 * expect(llm.requests[0]?.text).toBe('We open at nine.');
 * ```
 */
export { createFakeLlm, splitIntoTokens } from './fake-llm.js';
export type { FakeLlm, FakeLlmFailure, FakeLlmMatch, FakeLlmOptions, FakeLlmReply, FakeLlmRequestRecord } from './fake-llm.js';
export { createScriptedStt, SCRIPTED_STT_FRAME_MS } from './scripted-stt.js';
export type { ScriptedStt, ScriptedSttOptions, ScriptedUtterance } from './scripted-stt.js';
export { createFakeTts } from './fake-tts.js';
export type { FakeTts, FakeTtsContextRecord, FakeTtsFailure, FakeTtsOptions } from './fake-tts.js';
