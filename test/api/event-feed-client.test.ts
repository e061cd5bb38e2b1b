// The event feed client against a stand-in for the server's `WS /v1/events` (a `ws` server on loopback that
// speaks the feed's protocol): it sends the token as a bearer header and the filters as query parameters, hands
// on the live-call list and events, and when the server drops the connection reports it lost with the backoff
// and reconnects by itself (getting the call list again). A first connection that fails is an error that says
// why: nobody listening, or a 401.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { connectEventFeed, eventFeedUrl, EventFeedError, type EventFeedClient, type FeedConnectionState, type FeedMessage } from '../../runtime/index.js';

const servers: Server[] = [];
const clients: EventFeedClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A feed server: 401 unless the bearer token is `good`; each connection gets the call list then one event. */
async function feedServer(): Promise<{ url: string; requests: IncomingMessage[]; sockets: WebSocket[] }> {
  const requests: IncomingMessage[] = [];
  const sockets: WebSocket[] = [];
  const wss = new WebSocketServer({ noServer: true });
  const server = createServer();
  server.on('upgrade', (request, socket, head) => {
    requests.push(request);
    if (request.headers.authorization !== 'Bearer good') {
      socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      sockets.push(ws);
      ws.send(JSON.stringify({ type: 'calls', calls: [{ callId: 'c-1', agent: 'receptionist', startedAt: '2026-01-01T00:00:00.000Z' }] }));
      ws.send(JSON.stringify({ type: 'event', event: { v: 2, callId: 'c-1', agent: 'receptionist', seq: sockets.length, wallTime: '2026-01-01T00:00:01.000Z', type: 'dtmf', atMs: 1000, digit: '1' } }));
      ws.send('not json');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, sockets };
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the event feed client', () => {
  it('builds the feed URL from a server URL and the filters', () => {
    expect(eventFeedUrl('http://127.0.0.1:8080')).toBe('ws://127.0.0.1:8080/v1/events');
    expect(eventFeedUrl('https://voice.example.com/', { agent: 'receptionist', callId: 'c 1' })).toBe('wss://voice.example.com/v1/events?agent=receptionist&call=c+1');
  });

  it('sends the token and filters, hands on calls and events, and reconnects with backoff when the server drops it', async () => {
    const server = await feedServer();
    const messages: FeedMessage[] = [];
    const states: FeedConnectionState[] = [];
    const client = await connectEventFeed({ url: server.url, token: 'good', agent: 'receptionist', retryMs: { first: 20, max: 100 } }, { onMessage: (m) => messages.push(m), onConnection: (s) => states.push(s) });
    clients.push(client);
    await until('the call list and an event', () => messages.length >= 2);
    expect(server.requests[0]!.url).toBe('/v1/events?agent=receptionist');
    expect(messages[0]).toEqual({ type: 'calls', calls: [{ callId: 'c-1', agent: 'receptionist', startedAt: '2026-01-01T00:00:00.000Z' }] });
    expect(messages[1]).toMatchObject({ type: 'event', event: { type: 'dtmf', digit: '1' } });

    server.sockets[0]!.terminate();
    await until('reconnected', () => states.some((s) => s.state === 'open'));
    expect(states[0]).toMatchObject({ state: 'lost', retryInMs: 20, attempt: 1 });
    expect(states.at(-1)).toEqual({ state: 'open', reconnected: true });
    await until('the call list again', () => messages.filter((m) => m.type === 'calls').length === 2);

    // Closed for good: no more retries when the server drops it again.
    client.close();
    await until('closed', () => server.sockets[1]!.readyState === server.sockets[1]!.CLOSED);
    expect(states.filter((s) => s.state === 'lost')).toHaveLength(1);
  });

  it('fails the first connection with why: a 401, or nobody listening', async () => {
    const server = await feedServer();
    const refused = await connectEventFeed({ url: server.url, token: 'bad' }, { onMessage: () => {} }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(EventFeedError);
    expect(refused).toMatchObject({ kind: 'unauthorized', status: 401 });
    expect(server.requests[0]!.headers.authorization).toBe('Bearer bad');

    const port = Number(new URL(server.url).port);
    for (const closing of servers.splice(0)) {
      closing.closeAllConnections();
      await new Promise((resolve) => closing.close(resolve));
    }
    const unreachable = await connectEventFeed({ url: `http://127.0.0.1:${port}` }, { onMessage: () => {} }).catch((error: unknown) => error);
    expect(unreachable).toMatchObject({ kind: 'unreachable', message: `cannot reach http://127.0.0.1:${port} (ECONNREFUSED)` });
  });
});
