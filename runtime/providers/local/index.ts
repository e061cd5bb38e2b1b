/**
 * The embedded default providers: they work offline, with no keys and no system packages.
 *
 * **Offline simulation providers, not real AI.** {@link createOfflineLlm} plays the agent's scripted `offline:`
 * replies (keyword intents, patterns, slot capture): it understands nothing the agent file does not declare.
 * {@link createSimulatedStt} reveals the words a simulated caller is known to say, in step with the audio: it
 * never recognises speech. {@link createOfflineProviders} puts them together with eSpeak NG and the agent's VAD
 * so `voiceagent call` and `voiceagent test` run out of the box; it replaces the agent's premium voice with
 * eSpeak NG. For real callers, use hosted providers (`openai`, `elevenlabs`).
 *
 * {@link createLocalTts} is an **offline speech synthesiser for simulation and keyless use, not a premium
 * voice**: eSpeak NG formant synthesis, robotic but intelligible, in 100+ languages (`en-us`, `fr-fr`, `de`,
 * `es`, `cmn`...), installed from npm as an Emscripten build (`@echogarden/espeak-ng-emscripten`, GPL-3.0). It
 * streams text in, returns audio at any sample rate with character alignment taken from eSpeak's word events,
 * and synthesises far faster than real time: on a worker thread ({@link createSynthesisPool}) with the real
 * clock, so no call's frames wait for another call's phrase; on the calling thread with a simulated clock, so
 * simulated calls stay deterministic. For callers who will hear the agent, use a hosted voice (`elevenlabs`,
 * `openai`).
 *
 * @example
 * ```ts
 * const tts = await createLocalTts();
 * const context = tts.open({ voice: 'en-us', language: 'en', sampleRate: 8000, speed: 1 }, {
 *   onAudio: ({ pcm, alignment }) => playout.append(pcm, alignment),
 *   onDone: () => {},
 *   onError: (error) => console.error(error.message),
 * });
 * context.pushText('Hello there. ');
 * context.pushText('How can I help you today?');
 * context.end();
 * ```
 *
 * @example
 * ```ts
 * const stt = createSimulatedStt({ seed: 7, wordErrorRate: 0.1 });
 * const providers = await createOfflineProviders(spec, { clock, sampleRate: 8000, stt });
 * // ... the call has started recognition; the simulated caller starts saying "unit 12" with the next frame:
 * stt.expect({ words: [{ text: 'unit', startMs: 0, endMs: 300 }, { text: '12', startMs: 300, endMs: 700 }], language: 'en' });
 * ```
 */
export { createLocalTts, LOCAL_TTS_ID } from './espeak-tts.js';
export type { LocalTts, LocalTtsOptions } from './espeak-tts.js';
export type { LocalVoice } from './espeak-engine.js';
export { createSynthesisPool, sharedSynthesisPool } from './synthesis-pool.js';
export type { SynthesisPool, SynthesisPoolOptions } from './synthesis-pool.js';
export { createOfflineLlm, OFFLINE_LLM_ID } from './offline-llm.js';
export type { OfflineLlm, OfflineLlmOptions, OfflineReplyChoice } from './offline-llm.js';
export { createSimulatedStt, SIMULATED_STT_ID } from './simulated-stt.js';
export type { SimulatedStt, SimulatedSttOptions, SimulatedUtterance, SimulatedWord } from './simulated-stt.js';
export { createOfflineProviders, offlineVoiceFor } from './offline-providers.js';
export type { OfflineProviders, OfflineProvidersOptions } from './offline-providers.js';
