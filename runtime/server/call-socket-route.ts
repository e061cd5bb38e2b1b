import { createOfflineProviders, createSimulatedStt } from '../providers/local/index.js';
import { callerVoiceFor, createCallerVoice, type CallerVoice } from '../sim/caller-voice.js';
import { createOfflineSayer, createWebSocketTransport, parseCallQuery } from '../transports/websocket/index.js';
import type { PendingSlot } from './admission-gate.js';
import type { SocketDecision, SocketRoute } from './http-server.js';
import { checkToken, refuseWhileDraining, type EndpointOptions } from './endpoint.js';

/**
 * `WS /calls/:agent?rate=…`: the native PCM16 WebSocket for apps and browsers (docs/websocket-protocol.md).
 * Offline, typed `say` lines are spoken into the call with the offline caller voice and told to the call's
 * simulated recogniser, so an offline agent can be called with no microphone and no recogniser.
 */
export function callSocketRoute(options: EndpointOptions): SocketRoute {
  // The caller voice loads eSpeak NG on this event loop (0.5-0.8 s): loaded now, at start, rather than at the
  // first `say`, where it would stall the audio of every call on this process. A failure is the `say`'s to report.
  let voice: Promise<CallerVoice> | undefined = options.offline ? createCallerVoice() : undefined;
  voice?.catch(() => {});
  return {
    path: '/calls/:agent',
    admit(request) {
      const denied = checkToken(options, request) ?? refuseWhileDraining(options);
      if (denied) return denied;
      const query = parseCallQuery(request.url);
      if (!query.ok) return { status: query.status, body: `${query.message}\n` };
      const served = request.agent!;
      const decide = (slot?: PendingSlot): SocketDecision => ({
        accept(socket) {
          const log = options.log.with({ agent: served.name, endpoint: 'websocket' });
          const stt = options.offline ? createSimulatedStt() : undefined;
          const language = served.agent.spec.languages.default;
          const transport = createWebSocketTransport({
            socket,
            sampleRate: query.sampleRate,
            parameters: query.parameters,
            ...(stt
              ? {
                  sayHandler: async (text: string) => {
                    voice ??= createCallerVoice();
                    return createOfflineSayer({ voice: await voice, stt, sampleRate: query.sampleRate, language, voiceName: callerVoiceFor(language) })(text);
                  },
                }
              : {}),
            onProtocolError: (message) => {
              options.metrics.protocolError('websocket');
              log.warn('websocket client error', { message });
            },
          });
          void options.host.run({
            served,
            transport,
            endpoint: 'websocket',
            onEvent: (event) => transport.sendEvent(event),
            ...(stt ? { providers: ({ spec, clock, sampleRate }) => createOfflineProviders(spec, { clock, sampleRate, stt }) } : {}),
            ...(slot ? { slot: slot.bind() } : {}),
          });
        },
      });
      // Without caps the decision stays synchronous; with them it waits for a slot (503 over a cap).
      if (!options.admission) return decide();
      return options.admission.admit(served.name, 'websocket').then((slot) => ('bind' in slot ? decide(slot) : slot));
    },
  };
}
