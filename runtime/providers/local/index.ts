/**
 * The embedded default providers: they work offline, with no keys and no system packages.
 *
 * {@link createLocalTts} is an **offline speech synthesiser for simulation and keyless use, not a premium
 * voice**: eSpeak NG formant synthesis, robotic but intelligible, in 100+ languages (`en-us`, `fr-fr`, `de`,
 * `es`, `cmn`...), installed from npm as an Emscripten build (`@echogarden/espeak-ng-emscripten`, GPL-3.0). It
 * streams text in, returns audio at any sample rate with character alignment taken from eSpeak's word events,
 * and synthesises far faster than real time on the calling thread. For callers who will hear the agent, use a
 * hosted voice (`elevenlabs`, `openai`).
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
 */
export { createLocalTts, LOCAL_TTS_ID } from './espeak-tts.js';
export type { LocalTts, LocalTtsOptions } from './espeak-tts.js';
export type { LocalVoice } from './espeak-engine.js';
