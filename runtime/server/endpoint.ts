import { timingSafeEqual } from 'node:crypto';
import type { ServedAgent } from './agent-catalog.js';
import type { AdmissionGate } from './admission-gate.js';
import type { CallDirectory } from './call-directory.js';
import type { CallHost } from './call-host.js';
import type { EventFeed } from './event-feed.js';
import type { HttpReply, HttpRequest } from './http-server.js';
import type { Logger } from './logger.js';
import type { ServerMetrics } from './metrics.js';

/** What the endpoints share. */
export interface EndpointOptions {
  readonly host: CallHost;
  readonly feed: EventFeed;
  readonly metrics: ServerMetrics;
  readonly log: Logger;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly offline: boolean;
  /** The URL callers reach this server at (`https://…`), to build stream URLs and check signatures behind a proxy. */
  readonly publicUrl?: string;
  /** Listening on loopback: no token needed, Twilio signatures checked only when TWILIO_AUTH_TOKEN is set. */
  readonly loopback: boolean;
  /** True once the server drains: healthz 503 and no new calls. */
  draining(): boolean;
  /** Call slots (admission.ts): absent, no caps. Over a cap a new call is refused with 503. */
  readonly admission?: AdmissionGate;
  /** Call records through this server (`GET /v1/calls…`): its own disk, and with Redis every server's (call-directory.ts). */
  readonly calls?: CallDirectory;
  metricsText(): Promise<string>;
  /** The agents served, for pages that list them (the playground's `/`). Absent: an empty list. */
  readonly agents?: () => ReadonlyMap<string, ServedAgent>;
}

/** JSON reply. */
export function json(status: number, body: unknown): HttpReply {
  return { status, type: 'application/json', body: JSON.stringify(body) + '\n' };
}

/**
 * The bearer token check of `/calls` and `/v1/events`: needed off loopback, and whenever VOICEAGENT_TOKEN is
 * set. Taken from `Authorization: Bearer …` or, for browsers (which cannot set headers on a WebSocket), the
 * `token` query parameter. Returns the refusal, or undefined when the request may go on.
 */
export function checkToken(options: Pick<EndpointOptions, 'env' | 'loopback'>, request: HttpRequest): HttpReply | undefined {
  const expected = options.env.VOICEAGENT_TOKEN;
  if (!expected) return options.loopback ? undefined : { status: 401, body: 'VOICEAGENT_TOKEN is not set on this server\n' };
  const header = request.headers.authorization;
  const given = (typeof header === 'string' && /^Bearer\s+/i.test(header) ? header.replace(/^Bearer\s+/i, '') : undefined) ?? request.url.searchParams.get('token') ?? '';
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b) ? undefined : { status: 401, body: 'a bearer token is needed (Authorization: Bearer …, or ?token=)\n' };
}

/** The refusal for a new call while draining (the caller's side can fail over). */
export function refuseWhileDraining(options: Pick<EndpointOptions, 'draining'>): HttpReply | undefined {
  return options.draining() ? { status: 503, body: 'this server is draining: no new calls\n', headers: { 'retry-after': '5' } } : undefined;
}
