/**
 * ElevenLabs text-to-speech: {@link createElevenLabsTts} streams over the `multi-stream-input` WebSocket (one
 * context per utterance, `close_context` on barge-in, character alignment); {@link createElevenLabsRestTts}
 * synthesises whole utterances over REST with `@elevenlabs/elevenlabs-js` when the socket cannot be opened, and
 * {@link listElevenLabsVoices} lists the account's voices.
 */
export { createElevenLabsTts, ELEVENLABS_MAX_CONTEXTS_PER_SOCKET } from './tts-websocket.js';
export type { ElevenLabsSocketTarget, ElevenLabsTts, ElevenLabsTtsOptions } from './tts-websocket.js';
export { createElevenLabsRestTts, listElevenLabsVoices } from './tts-rest-fallback.js';
export type { ElevenLabsRestOptions, ElevenLabsRestTts, ElevenLabsVoice } from './tts-rest-fallback.js';
export type { WebSocketConstructor, WebSocketLike } from './context-socket.js';
export type { PhraseChunkerOptions } from './phrase-chunker.js';
export { ELEVENLABS_PROVIDER_ID, planOutput } from './wire.js';
export type { ElevenLabsOutputFormat, ElevenLabsVoiceSettings, OutputPlan } from './wire.js';
