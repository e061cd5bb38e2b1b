import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ServedAgent } from './agent-catalog.js';
import type { Logger } from './logger.js';

/** A request the server answers over HTTP. */
export interface HttpRoute {
  readonly method: 'GET' | 'POST' | 'GET|POST';
  /** Path pattern: segments, `:name` for a parameter (`/twilio/:agent/twiml`). */
  readonly path: string;
  handle(request: HttpRequest): Promise<HttpReply> | HttpReply;
}

/** A WebSocket endpoint (`/twilio/:agent`, `/calls/:agent`, `/v1/events`). */
export interface SocketRoute {
  readonly path: string;
  /**
   * Decides at the upgrade: `{ accept }` takes the socket, else the status to refuse with (nothing started). May
   * answer later (a promise) when it must ask something first (admission.ts: a fleet-wide slot).
   */
  admit(request: HttpRequest): SocketDecision | Promise<SocketDecision>;
}

/** A {@link SocketRoute}'s answer at the upgrade. */
export type SocketDecision = { readonly accept: (socket: WebSocket) => void } | HttpReply;

/** What a handler sees of a request. */
export interface HttpRequest {
  readonly method: string;
  readonly url: URL;
  readonly params: Readonly<Record<string, string>>;
  readonly headers: IncomingMessage['headers'];
  /** The body as text (POST), empty otherwise. */
  readonly body: string;
  /** The client's address. */
  readonly remoteAddress: string | undefined;
  /** The agent named by `:agent`, when there is one (404 before the handler otherwise). */
  readonly agent?: ServedAgent;
}

/** A reply: status, content type and body. */
export interface HttpReply {
  readonly status: number;
  readonly type?: string;
  readonly body?: string;
  /** Bytes to send instead of `body` (a call's WAV). */
  readonly bytes?: Buffer;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Largest request body read, bytes (webhooks are small). */
const MAX_BODY_BYTES = 64 * 1024;
/**
 * Largest WebSocket message the socket layer reads, bytes: past it `ws` closes the socket (1009). The call
 * transports enforce their own 64 KiB cap below this, dropping an oversized message with an error and keeping
 * the call; this bound only stops a peer from making the server buffer megabytes.
 */
export const MAX_SOCKET_MESSAGE_BYTES = 1024 * 1024;

/**
 * The HTTP side of `voiceagent serve`: plain routes and WebSocket upgrades, matched by path. An unknown path is
 * 404; a path naming an agent that is not served is 404 at the upgrade, before any call starts. Handler
 * failures are 500 and logged; they never take the process down.
 */
export function createHttpServer(options: {
  readonly routes: readonly HttpRoute[];
  readonly sockets: readonly SocketRoute[];
  readonly agents: () => ReadonlyMap<string, ServedAgent>;
  /**
   * The agent a request names (`:agent`), pinned to `version` when the request asks (`?version=ID`, or a
   * `:version` path parameter); default: `agents()` by name (agent-directory.ts loads pinned versions).
   */
  readonly resolveAgent?: (name: string, version: string | undefined) => ServedAgent | undefined | Promise<ServedAgent | undefined>;
  readonly log: Logger;
}): Server {
  const { log } = options;
  const lookup = (params: Readonly<Record<string, string>>, url: URL) => {
    const version = params.version ?? url.searchParams.get('version') ?? undefined;
    return options.resolveAgent ? options.resolveAgent(params.agent!, version) : options.agents().get(params.agent!);
  };
  const notServed = (params: Readonly<Record<string, string>>, url: URL) => {
    const version = params.version ?? url.searchParams.get('version');
    return `no agent named "${params.agent}"${version ? ` with version ${version}` : ''} is served here\n`;
  };
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_SOCKET_MESSAGE_BYTES, perMessageDeflate: false });
  const server = createServer((req, res) => {
    void handleHttp(req, res).catch((error: unknown) => {
      log.error('request failed', { path: req.url, message: (error as Error)?.message });
      if (!res.headersSent) send(res, { status: 500, type: 'text/plain', body: 'internal error\n' });
    });
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const found = match(options.routes, url.pathname);
    if (!found) return send(res, { status: 404, type: 'text/plain', body: `no such endpoint: ${url.pathname}\n` });
    const { route, params } = found;
    if (!route.method.split('|').includes(req.method ?? 'GET')) return send(res, { status: 405, type: 'text/plain', body: `use ${route.method}\n`, headers: { allow: route.method.replace('|', ', ') } });
    const agent = params.agent !== undefined ? await lookup(params, url) : undefined;
    if (params.agent !== undefined && !agent) return send(res, { status: 404, type: 'text/plain', body: notServed(params, url) });
    const body = req.method === 'POST' ? await readBody(req) : '';
    if (body === undefined) return send(res, { status: 413, type: 'text/plain', body: 'request body too large\n', headers: { connection: 'close' } });
    send(res, await route.handle({ method: req.method ?? 'GET', url, params, headers: req.headers, body, remoteAddress: req.socket.remoteAddress, ...(agent ? { agent } : {}) }));
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refuse = (reply: HttpReply) => {
      socket.end(`HTTP/1.1 ${reply.status} ${reply.status === 404 ? 'Not Found' : reply.status === 403 ? 'Forbidden' : reply.status === 401 ? 'Unauthorized' : 'Service Unavailable'}\r\nConnection: close\r\nContent-Type: text/plain\r\n${Object.entries(reply.headers ?? {}).map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n${reply.body ?? ''}`);
    };
    const found = match(options.sockets, url.pathname);
    if (!found) return refuse({ status: 404, body: `no such endpoint: ${url.pathname}\n` });
    const resolved = found.params.agent !== undefined ? lookup(found.params, url) : undefined;
    // A pinned version may be loaded from the registry first: the rest of the upgrade waits for it.
    if (resolved instanceof Promise) {
      resolved.then(
        (agent) => admitWith(agent),
        () => refuse({ status: 500, body: 'internal error\n' }),
      );
      return;
    }
    admitWith(resolved);
    function admitWith(agent: ServedAgent | undefined): void {
      if (!found) return; // narrowed for the closure
      if (found.params.agent !== undefined && !agent) return refuse({ status: 404, body: notServed(found.params, url) });
      const upgrade = (decided: SocketDecision) => {
        if (!('accept' in decided)) return refuse(decided);
        const { accept } = decided;
        wss.handleUpgrade(req, socket, head, (ws) => {
          try {
            accept(ws);
          } catch (error) {
            log.error('socket handler failed', { path: url.pathname, message: (error as Error)?.message });
            ws.close(1011, 'internal error');
          }
        });
      };
      let decision: SocketDecision | Promise<SocketDecision>;
      try {
        decision = found.route.admit({ method: 'GET', url, params: found.params, headers: req.headers, body: '', remoteAddress: req.socket.remoteAddress, ...(agent ? { agent } : {}) });
      } catch (error) {
        log.error('upgrade failed', { path: url.pathname, message: (error as Error)?.message });
        return refuse({ status: 500, body: 'internal error\n' });
      }
      if (decision instanceof Promise) {
        decision.then(
          (decided) => upgrade(decided),
          (error: unknown) => {
            log.error('upgrade failed', { path: url.pathname, message: (error as Error)?.message });
            refuse({ status: 500, body: 'internal error\n' });
          },
        );
        return;
      }
      upgrade(decision);
    }
  });
  return server;
}

function send(res: ServerResponse, reply: HttpReply): void {
  res.writeHead(reply.status, { 'content-type': reply.type ?? 'text/plain; charset=utf-8', ...reply.headers });
  res.end(reply.bytes ?? reply.body ?? '');
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Stop keeping it and answer 413 (with Connection: close, which ends the upload): destroying the request
        // here would reset the connection before the answer could go out.
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(undefined));
  });
}

/** The first route whose pattern matches `pathname`, with its parameters. */
export function match<R extends { readonly path: string }>(routes: readonly R[], pathname: string): { route: R; params: Record<string, string> } | undefined {
  const parts = pathname.split('/').filter(Boolean);
  for (const route of routes) {
    const pattern = route.path.split('/').filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pattern.length && ok; i++) {
      const p = pattern[i]!;
      if (p.startsWith(':')) {
        try {
          params[p.slice(1)] = decodeURIComponent(parts[i]!);
        } catch {
          ok = false;
        }
      } else ok = p === parts[i];
    }
    if (ok) return { route, params };
  }
  return undefined;
}
