import type { PendingSlot } from './admission-gate.js';
import type { HttpRequest, HttpRoute, SocketDecision, SocketRoute } from './http-server.js';
import { refuseWhileDraining, type EndpointOptions } from './endpoint.js';
import { createTwilioTransport, publicRequestUrl, TWILIO_SIGNATURE_HEADER, twimlFor, validateTwilioSignature, validateTwilioUpgrade } from '../transports/twilio/index.js';

/**
 * Twilio: `GET|POST /twilio/:agent/twiml` (the number's "A call comes in" webhook) answers TwiML that connects
 * the call to `WS /twilio/:agent` (Media Streams), passing every webhook parameter on as a `<Parameter>`. With
 * TWILIO_AUTH_TOKEN set, both are signature-checked (HMAC-SHA1 over the public URL and the POST parameters)
 * and a bad or missing signature is refused (403) with nothing started.
 */
export function twilioRoutes(options: EndpointOptions): { routes: HttpRoute[]; sockets: SocketRoute[] } {
  const authToken = options.env.TWILIO_AUTH_TOKEN;
  const twiml: HttpRoute = {
    method: 'GET|POST',
    path: '/twilio/:agent/twiml',
    async handle(request) {
      const params = request.method === 'POST' ? new URLSearchParams(request.body) : new URLSearchParams();
      if (authToken && !validateTwilioSignature(authToken, request.headers[TWILIO_SIGNATURE_HEADER], publicUrlOf(request, options, 'http'), params)) {
        options.log.warn('twilio webhook refused: bad or missing signature', { agent: request.agent!.name });
        return { status: 403, body: 'bad or missing X-Twilio-Signature\n' };
      }
      const draining = refuseWhileDraining(options);
      if (draining) return draining;
      // Over a cap: 503, and Twilio tries the number's fallback URL. Else a hold counts this call until its stream claims it.
      const held = await options.admission?.admit(request.agent!.name, 'twilio-webhook', 'hold');
      if (held && !('bind' in held)) return held;
      // Every parameter of the webhook, GET query or POST form, goes on to the stream's `start`.
      const parameters = new URLSearchParams(request.url.search);
      for (const [name, value] of params) parameters.append(name, value);
      // A webhook pinned to a version (`?version=ID`) pins its stream in the path: Twilio drops query strings there.
      const pinned = request.url.searchParams.get('version') && request.agent!.version ? `/versions/${encodeURIComponent(request.agent!.version)}` : '';
      const streamUrl = publicUrlOf({ ...request, url: new URL(`/twilio/${encodeURIComponent(request.agent!.name)}${pinned}`, request.url) }, options, 'websocket');
      return {
        status: 200,
        type: 'text/xml; charset=utf-8',
        body: twimlFor({ streamUrl, parameters, onSkipped: (skipped) => options.log.warn('twiml parameter skipped', { name: skipped.name, reason: skipped.reason }) }),
      };
    },
  };
  const stream: SocketRoute = {
    path: '/twilio/:agent',
    admit(request) {
      if (authToken && !validateTwilioUpgrade(authToken, request.headers[TWILIO_SIGNATURE_HEADER], publicUrlOf(request, options, 'websocket'))) {
        options.log.warn('twilio stream refused: bad or missing signature', { agent: request.agent!.name });
        return { status: 403, body: 'bad or missing X-Twilio-Signature\n' };
      }
      const draining = refuseWhileDraining(options);
      if (draining) return draining;
      const served = request.agent!;
      const decide = (slot?: PendingSlot): SocketDecision => ({
        accept(socket) {
          const log = options.log.with({ agent: served.name, endpoint: 'twilio' });
          const transport = createTwilioTransport(socket, {
            onProtocolError: (message) => {
              options.metrics.protocolError('twilio');
              log.warn('twilio stream error', { message });
            },
          });
          void options.host.run({ served, transport, endpoint: 'twilio', ...(slot ? { slot: slot.bind() } : {}) });
        },
      });
      // The stream takes the hold its webhook made, when there is one (anywhere in the fleet), else a new slot.
      if (!options.admission) return decide();
      return options.admission.admit(served.name, 'twilio', 'claim').then((slot) => ('bind' in slot ? decide(slot) : slot));
    },
  };
  return { routes: [twiml], sockets: [stream, { ...stream, path: '/twilio/:agent/versions/:version' }] };
}

/**
 * The URL Twilio used for this request: `--public-url` plus the request's path and query when the server sits
 * behind a proxy or tunnel; else rebuilt from the Host header (and X-Forwarded-Proto, when a proxy sets it).
 */
function publicUrlOf(request: HttpRequest, options: Pick<EndpointOptions, 'publicUrl'>, kind: 'http' | 'websocket'): string {
  const target = `${request.url.pathname}${request.url.search}`;
  if (options.publicUrl) return publicRequestUrl(options.publicUrl, target, kind);
  const forwarded = request.headers['x-forwarded-proto'];
  const secure = (typeof forwarded === 'string' ? forwarded.split(',')[0]!.trim() : '') === 'https';
  const host = request.headers.host ?? 'localhost';
  return publicRequestUrl(`${secure ? 'https' : 'http'}://${host}`, target, kind);
}
