/**
 * The native WebSocket transport (`WS /calls/:agent`): what the server mounts for apps and browsers. See
 * docs/websocket-protocol.md for the protocol.
 *
 * @example
 * ```ts
 * // In the upgrade handler, once the token and the agent are checked:
 * const query = parseCallQuery(url); // 400 when !query.ok
 * const stt = createSimulatedStt();
 * const transport = createWebSocketTransport({
 *   socket, sampleRate: query.sampleRate, parameters: query.parameters,
 *   sayHandler: createOfflineSayer({ voice: callerVoice, stt, sampleRate: query.sampleRate }),
 *   onProtocolError: (message) => log.warn('websocket client error', { message }),
 * });
 * await startCall({ agent, transport, providers: ({ spec, clock, sampleRate }) => createOfflineProviders(spec, { clock, sampleRate, stt }), onEvent: (event) => transport.sendEvent(event) });
 * ```
 */
export { createWebSocketTransport, type ForwardedEvent, type PcmSocket, type WebSocketTransport, type WebSocketTransportOptions } from './websocket-transport.js';
export { createOfflineSayer, type CallerLineAudio, type CallerVoiceLike, type OfflineSayerOptions } from './offline-sayer.js';
export { parseCallQuery, type WebSocketCallQuery } from './call-url.js';
export { DEFAULT_WEBSOCKET_LIMITS, type WebSocketLimits } from './limits.js';
export { DEFAULT_WEBSOCKET_SAMPLE_RATE, MAX_SAY_CHARS, parseClientMessage, WEBSOCKET_SAMPLE_RATES, type ClientMessage, type ParsedClientMessage, type ServerMessage } from './protocol.js';
export type { SayHandler, SpokenLine } from './say-lines.js';
