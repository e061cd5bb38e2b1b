import { callSocketRoute } from './call-socket-route.js';
import { checkToken, json, type EndpointOptions } from './endpoint.js';
import type { HttpRoute, SocketRoute } from './http-server.js';
import { playgroundRoutes } from './playground/playground-routes.js';
import { twilioRoutes } from './twilio-routes.js';

/** Every route of `voiceagent serve`. */
export function serverRoutes(options: EndpointOptions): { routes: HttpRoute[]; sockets: SocketRoute[] } {
  const twilio = twilioRoutes(options);
  return {
    routes: [
      {
        method: 'GET',
        path: '/healthz',
        handle: () => {
          const draining = options.draining();
          return json(draining ? 503 : 200, { status: draining ? 'draining' : 'ok', activeCalls: options.host.activeCalls });
        },
      },
      {
        method: 'GET',
        path: '/metrics',
        handle: async () => ({ status: 200, type: 'text/plain; version=0.0.4; charset=utf-8', body: await options.metricsText() }),
      },
      ...twilio.routes,
      ...playgroundRoutes(options, { agents: options.agents ?? (() => new Map()) }),
    ],
    sockets: [
      ...twilio.sockets,
      callSocketRoute(options),
      {
        path: '/v1/events',
        admit: (request) => {
          const denied = checkToken(options, request);
          if (denied) return denied;
          const agent = request.url.searchParams.get('agent') ?? undefined;
          const callId = request.url.searchParams.get('call') ?? undefined;
          return { accept: (socket) => options.feed.subscribe(socket, { ...(agent ? { agent } : {}), ...(callId ? { callId } : {}) }) };
        },
      },
    ],
  };
}

export type { EndpointOptions } from './endpoint.js';
