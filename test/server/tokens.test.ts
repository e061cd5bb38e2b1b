/*
 * Apps and dashboards reach a server with a bearer token. With VOICEAGENT_TOKEN set, `WS /calls/:agent` and
 * `WS /v1/events` refuse an upgrade without it, or with a wrong one, with 401 and start nothing; they take
 * `Authorization: Bearer <token>` (servers, native apps) and `?token=<token>` (browsers cannot set headers on a
 * WebSocket), the header winning when both are given, and the token never becomes one of the call's parameters.
 *
 * Off loopback the tokens are not optional: `serve --host 0.0.0.0` without TWILIO_AUTH_TOKEN and
 * VOICEAGENT_TOKEN must refuse to start, saying what is missing and how to fix it, with exit code 2 and before
 * it listens (no listening line; it is the one test here that names a non-loopback host, and it never binds).
 * The tests never listen beyond 127.0.0.1, so the token checks themselves run on loopback with the token set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connectWebSocketCall } from '../mocks/websocket-call-client.js';
import { filesUnder, killServes, makeDataDir, readRecords, removeDataDirs, runCli, startServe, until, type ServeProcess } from './serve-process.js';

const TOKEN = 'voiceagent-token-of-the-tests';

/** Opens `url`; resolves with 101 and the first text message when taken, or the refusal's status. */
function upgrade(url: string, headers: Record<string, string> = {}): Promise<{ status: number; first?: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const timer = setTimeout(() => reject(new Error(`no answer from ${url}`)), 5000);
    socket.once('message', (data) => {
      clearTimeout(timer);
      socket.close();
      resolve({ status: 101, first: JSON.parse(data.toString()) as Record<string, unknown> });
    });
    socket.once('unexpected-response', (_request, response) => {
      clearTimeout(timer);
      socket.terminate();
      resolve({ status: response.statusCode ?? 0 });
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

afterAll(async () => {
  await killServes();
  removeDataDirs();
});

describe('with VOICEAGENT_TOKEN set', () => {
  let serve: ServeProcess;
  let data: string;

  beforeAll(async () => {
    data = makeDataDir();
    serve = await startServe(['--offline', '--port', '0', '--workers', '1', '--data', data, 'agents/receptionist.yaml'], { env: { VOICEAGENT_TOKEN: TOKEN } });
  }, 30_000);

  it('/calls refuses a missing or wrong token with 401 and starts nothing', async () => {
    const calls = `${serve.ws}/calls/receptionist`;
    expect(await upgrade(calls)).toEqual({ status: 401 });
    expect(await upgrade(`${calls}?token=wrong`)).toEqual({ status: 401 });
    expect(await upgrade(calls, { Authorization: `Bearer ${TOKEN}x` })).toEqual({ status: 401 });
    expect(await upgrade(calls, { Authorization: TOKEN })).toEqual({ status: 401 });
    // The header wins over the query.
    expect(await upgrade(`${calls}?token=${TOKEN}`, { Authorization: 'Bearer wrong' })).toEqual({ status: 401 });
    expect(filesUnder(data)).toEqual([]);
  });

  it('/calls takes Authorization: Bearer and ?token=, and the token is not a call parameter', { timeout: 20_000 }, async () => {
    const byHeader = await connectWebSocketCall(`${serve.ws}/calls/receptionist?rate=8000&via=header`, { sampleRate: 8000, headers: { Authorization: `Bearer ${TOKEN}` } });
    const byQuery = await connectWebSocketCall(`${serve.ws}/calls/receptionist?rate=8000&via=query&token=${TOKEN}`, { sampleRate: 8000 });
    try {
      for (const client of [byHeader, byQuery]) {
        await client.waitFor((m) => m.type === 'audio', 5000, 'greeting audio');
        client.send({ type: 'hangup' });
        await client.waitFor((m) => m.type === 'ended', 5000, 'ended');
      }
    } finally {
      byHeader.close();
      byQuery.close();
    }
    const records = await until('both records on disk', () => (readRecords(data).length === 2 ? readRecords(data) : undefined), 5000);
    expect(records.map((r) => r.transport?.parameters).sort((a, b) => String(a?.via).localeCompare(String(b?.via)))).toEqual([{ via: 'header' }, { via: 'query' }]);
    expect(records.every((r) => r.endReason === 'caller-hangup')).toBe(true);
  });

  it('/v1/events refuses a missing or wrong token with 401, and takes Bearer and ?token=', async () => {
    const events = `${serve.ws}/v1/events`;
    expect(await upgrade(events)).toEqual({ status: 401 });
    expect(await upgrade(`${events}?token=wrong`)).toEqual({ status: 401 });
    expect(await upgrade(events, { Authorization: 'Bearer wrong' })).toEqual({ status: 401 });
    expect(await upgrade(events, { Authorization: `Bearer ${TOKEN}` })).toEqual({ status: 101, first: { type: 'calls', calls: [] } });
    expect(await upgrade(`${events}?token=${TOKEN}&agent=receptionist`)).toEqual({ status: 101, first: { type: 'calls', calls: [] } });
  });
});

describe('off loopback', () => {
  it('refuses to start on --host 0.0.0.0 without the tokens: the message, exit code 2, never listening', { timeout: 40_000 }, async () => {
    const data = makeDataDir();
    const args = ['serve', '--offline', '--host', '0.0.0.0', '--port', '0', '--data', data, 'agents/receptionist.yaml'];
    // The default worker count (the cluster's primary checks first) and one worker in this process.
    const [neither, oneWorker, twilioOnly, voiceagentOnly] = await Promise.all([
      runCli(args),
      runCli([...args, '--workers', '1']),
      runCli(args, { env: { TWILIO_AUTH_TOKEN: 'set' } }),
      runCli([...args, '--workers', '1'], { env: { VOICEAGENT_TOKEN: 'set' } }),
    ]);
    for (const refused of [neither, oneWorker, twilioOnly, voiceagentOnly]) {
      expect(refused.code).toBe(2);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(/^voiceagent: refusing to listen on 0\.0\.0\.0 \(not loopback\) without /m);
      expect(refused.stderr).toContain('or listen on 127.0.0.1 behind a proxy');
      expect(refused.stderr).not.toMatch(/internal error|\n\s+at /);
    }
    expect(neither.stderr).toContain('without TWILIO_AUTH_TOKEN and VOICEAGENT_TOKEN:');
    expect(oneWorker.stderr).toContain('without TWILIO_AUTH_TOKEN and VOICEAGENT_TOKEN:');
    expect(twilioOnly.stderr).toContain('without VOICEAGENT_TOKEN:');
    expect(voiceagentOnly.stderr).toContain('without TWILIO_AUTH_TOKEN:');
    expect(filesUnder(data)).toEqual([]);
  });
});
