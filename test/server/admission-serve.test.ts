/*
 * `serve --max-calls 1`: the first caller gets through; while that call runs, a second WebSocket upgrade, a
 * Twilio webhook and a Twilio stream upgrade are each refused with 503 and a body saying the cap is full, and
 * nothing starts; once the first call has ended and its record is on disk, the next caller gets in. A draining
 * server refuses new calls with 503 too.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { connectWebSocketCall } from '../mocks/websocket-call-client.js';
import { warmUp } from './callers.js';
import { killServes, makeDataDir, readRecords, removeDataDirs, sleep, startServe, until } from './serve-process.js';

afterEach(async () => {
  await killServes();
  removeDataDirs();
});

/** Asks for a WebSocket upgrade: 101 when accepted (the socket is then dropped), else the refusal's status and body. */
function upgrade(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve({ status: 101, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serve with admission caps', () => {
  it('--max-calls 1 refuses the second call with 503 on every endpoint until the first has ended and is recorded', async () => {
    const dataDir = makeDataDir();
    const server = await startServe(['agents/receptionist.yaml', '--offline', '--workers', '1', '--port', '0', '--data', dataDir, '--max-calls', '1']);
    await warmUp(server.listening.agents[0]!.websocket, 1);
    const ws = server.url.replace(/^http/, 'ws');
    const first = await connectWebSocketCall(`${ws}/calls/receptionist?rate=8000`, { sampleRate: 8000 });
    const second = await upgrade(`${server.url}/calls/receptionist?rate=8000`);
    expect(second.status).toBe(503);
    expect(second.body).toContain('this server is at its cap of 1 concurrent calls');
    const webhook = await fetch(`${server.url}/twilio/receptionist/twiml`, { method: 'POST', body: 'CallSid=CA1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(webhook.status).toBe(503);
    expect(await webhook.text()).toContain('at its cap');
    expect((await upgrade(`${server.url}/twilio/receptionist`)).status).toBe(503);
    expect(server.logs().filter((l) => l.msg === 'call refused: over the cap (503)').map((l) => l.endpoint)).toEqual(['websocket', 'twilio-webhook', 'twilio']);

    first.send({ type: 'hangup' });
    await first.waitFor((m) => m.type === 'ended', 10_000, 'the first call ended');
    await until('the first record on disk', () => readRecords(dataDir).length === 2);
    const third = await connectWebSocketCall(`${ws}/calls/receptionist?rate=8000`, { sampleRate: 8000 });
    third.send({ type: 'hangup' });
    await third.waitFor((m) => m.type === 'ended', 10_000, 'the third call ended');
    first.close();
    third.close();

    await until('the third record on disk', () => readRecords(dataDir).length === 3);
    expect(readRecords(dataDir).filter((r) => r.endReason === 'caller-hangup')).toHaveLength(3);
    // Draining: a long call keeps the server up while new ones are refused.
    const long = await connectWebSocketCall(`${ws}/calls/receptionist?rate=8000`, { sampleRate: 8000 });
    server.signal('SIGTERM');
    for (let i = 0; i < 100 && (await fetch(`${server.url}/healthz`)).status !== 503; i++) await sleep(20);
    const refused = await upgrade(`${server.url}/calls/receptionist?rate=8000`);
    expect(refused).toMatchObject({ status: 503, body: expect.stringContaining('draining') });
    long.send({ type: 'hangup' });
    expect((await server.exited).code).toBe(0);
    expect(readRecords(dataDir)).toHaveLength(4);
  });
});
