/*
 * The admin API of `serve` (docs/registry.md), in process on a free loopback port with offline agents and a
 * file registry under a temporary --data folder.
 *
 * An operator pushes the receptionist (the server compiles it and answers its version), activates it, and a
 * caller dials in: the call runs that version, and its events say so. While the call goes on, a second version
 * is pushed and activated: a new call gets the new version, the running call keeps its own to the end, and a
 * call pinned with ?version= gets the old one. The calls are then listed and filtered by version, their records
 * and WAVs fetched. A rollback appends to the history. Drift, bad YAML, a wrong name, unknown agents and
 * versions, a missing token (which changes nothing) and a server without a registry each get their error code.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../runtime/call/call-record.js';
import { silentLogger, startServer, type RunningServer } from '../../runtime/server/index.js';
import { connectWebSocketCall, type WebSocketCallClient } from '../mocks/websocket-call-client.js';
import { WebSocket } from 'ws';
import { versionIdOf } from '../../runtime/registry/version-id.js';
import { receptionistRevision } from '../registry/agent-versions.js';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const TOKEN = 'admin-token-of-the-tests';
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'va-admin-'));
  dirs.push(dir);
  return dir;
};

async function start(options: { token?: string; registry?: string; recordWav?: boolean } = {}): Promise<RunningServer> {
  return startServer({
    paths: [],
    cwd: tempDir(),
    host: '127.0.0.1',
    port: 0,
    dataDir: tempDir(),
    offline: true,
    recordWav: options.recordWav ?? false,
    drainTimeoutMs: 1000,
    env: options.token ? { VOICEAGENT_TOKEN: options.token } : {},
    log: silentLogger,
    allowNoAgents: true,
    ...(options.registry ? { registry: options.registry } : {}),
  });
}

/** A JSON request to the admin API. */
async function api(server: RunningServer, method: 'GET' | 'POST', path: string, body?: unknown, token: string | null = TOKEN): Promise<{ status: number; body: Record<string, unknown> & { error?: string } }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A call on the native WebSocket, once the greeting is heard: its id and version from the events. */
async function dial(server: RunningServer, query = ''): Promise<{ client: WebSocketCallClient; callId: string; version?: string }> {
  const client = await connectWebSocketCall(`${server.url.replace(/^http/, 'ws')}/calls/receptionist?rate=8000${query}&token=${TOKEN}`, { sampleRate: 8000 });
  const event = await client.waitForEvent((e) => e.type === 'call.started', 10_000, 'call.started');
  await client.waitFor((m) => m.type === 'audio', 10_000, 'greeting audio');
  return { client, callId: event.callId, ...(event.version ? { version: event.version } : {}) };
}

/** The status a WebSocket upgrade is refused with (101 when taken). */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => {
      socket.terminate();
      resolve(response.statusCode ?? 0);
    });
    socket.once('error', reject);
  });
}

async function hangUp(client: WebSocketCallClient): Promise<CallRecord> {
  client.send({ type: 'hangup' });
  const ended = await client.waitFor((m) => m.type === 'ended', 10_000, 'ended');
  client.close();
  return ended.record as CallRecord;
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('admin API on serve --data', () => {
  let server: RunningServer;
  const v1 = receptionistRevision(1);
  const v2 = receptionistRevision(2);

  beforeAll(async () => {
    server = await start({ token: TOKEN, recordWav: true });
  }, 30_000);
  afterAll(async () => {
    await server?.close();
  });

  it('deploys, switches new calls, keeps a running call on its version, pins, lists calls, rolls back', { timeout: 60_000 }, async () => {
    // Nothing deployed yet: the server started empty and lists no agents.
    expect(await api(server, 'GET', '/v1/agents')).toEqual({ status: 200, body: { env: 'production', agents: [] } });

    const pushed = await api(server, 'POST', '/v1/agents/receptionist/versions', { source: v1.source, file: 'agents/receptionist.yaml', git: { commit: 'c'.repeat(40), author: 'Ada', message: 'first' } });
    expect(pushed.status).toBe(201);
    const first = (pushed.body.version as { id: string }).id;
    expect(pushed.body.version).toMatchObject({ id: first, agent: 'receptionist', active: false, file: 'agents/receptionist.yaml', git: { commit: 'c'.repeat(40), author: 'Ada', message: 'first' } });
    // The same YAML again: the same version, 200.
    const again = await api(server, 'POST', '/v1/agents/receptionist/versions', { source: v1.source, file: 'agents/receptionist.yaml' });
    expect(again.status).toBe(200);
    expect((again.body.version as { id: string }).id).toBe(first);

    expect((await api(server, 'POST', '/v1/agents/receptionist/activate', { version: first, expected: null, by: 'ada' })).body.activation).toMatchObject({ seq: 1, version: first, env: 'production', reason: 'deploy', by: 'ada' });
    expect((await api(server, 'GET', '/v1/agents')).body.agents).toEqual([{ name: 'receptionist', active: first, source: 'registry' }]);

    const running = await dial(server);
    expect(running.version).toBe(first);

    const second = ((await api(server, 'POST', '/v1/agents/receptionist/versions', { source: v2.source })).body.version as { id: string }).id;
    expect(second).not.toBe(first);
    // Planned against no version: someone (us) deployed since, so this is drift, and nothing changes.
    const drift = await api(server, 'POST', '/v1/agents/receptionist/activate', { version: second, expected: null });
    expect(drift).toMatchObject({ status: 409, body: { error: 'drift', active: first } });
    const activated = await api(server, 'POST', '/v1/agents/receptionist/activate', { version: second, expected: first });
    expect(activated.body.activation).toMatchObject({ seq: 2, version: second, previous: first });

    const fresh = await dial(server);
    expect(fresh.version).toBe(second);
    const pinned = await dial(server, `&version=${first}`);
    expect(pinned.version).toBe(first);
    expect(await upgradeStatus(`${server.url.replace(/^http/, 'ws')}/calls/receptionist?rate=8000&version=v000000000000&token=${TOKEN}`)).toBe(404);

    // The running call was never switched: its record says the version it started with.
    const records = [await hangUp(running.client), await hangUp(fresh.client), await hangUp(pinned.client)];
    expect(records.map((r) => r.agent.version)).toEqual([first, second, first]);

    const listed = await api(server, 'GET', `/v1/calls?agent=receptionist&version=${first}`);
    expect(listed.status).toBe(200);
    expect((listed.body.calls as Array<{ callId: string }>).map((c) => c.callId).sort()).toEqual([running.callId, pinned.callId].sort());
    expect((listed.body.calls as Array<{ version: string; endReason: string }>)[0]).toMatchObject({ version: first, endReason: 'caller-hangup' });
    expect((await api(server, 'GET', '/v1/calls?since=yesterday')).body.error).toBe('bad-request');
    const record = await api(server, 'GET', `/v1/calls/${fresh.callId}`);
    expect(record.body).toMatchObject({ callId: fresh.callId, agent: { name: 'receptionist', version: second } });
    const wav = await fetch(`${server.url}/v1/calls/${fresh.callId}/wav`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(wav.status).toBe(200);
    expect(wav.headers.get('content-type')).toBe('audio/wav');
    expect(Buffer.from(await wav.arrayBuffer()).subarray(0, 4).toString('ascii')).toBe('RIFF');
    expect((await api(server, 'GET', '/v1/calls/no-such-call')).body.error).toBe('unknown-call');

    // Roll back to the version active before: a third activation; the history keeps all three.
    const rollback = await api(server, 'POST', '/v1/agents/receptionist/rollback', { by: 'oncall' });
    expect(rollback.body.activation).toMatchObject({ seq: 3, version: first, previous: second, reason: 'rollback', by: 'oncall' });
    expect((await dial(server).then(async (call) => (await hangUp(call.client), call))).version).toBe(first);
    const versions = await api(server, 'GET', '/v1/agents/receptionist/versions');
    expect(versions.body).toMatchObject({ agent: 'receptionist', env: 'production', active: first });
    expect((versions.body.versions as Array<{ id: string; active: boolean }>).map((v) => [v.id, v.active])).toEqual([
      [second, false],
      [first, true],
    ]);
    expect((versions.body.history as Array<{ version: string; reason: string }>).map((h) => [h.version, h.reason])).toEqual([
      [first, 'deploy'],
      [second, 'deploy'],
      [first, 'rollback'],
    ]);
    const full = await api(server, 'GET', `/v1/agents/receptionist/versions/${second}`);
    expect(full.body).toMatchObject({ id: second, agent: 'receptionist', source: v2.source, compiled: { format: 'voiceagent/compiled-agent@1' } });
    // Another environment is untouched.
    expect((await api(server, 'GET', '/v1/agents/receptionist/versions?env=staging')).body).toMatchObject({ env: 'staging', history: [] });
  });

  it('answers bad requests with their error codes, and a refused request changes nothing', async () => {
    const before = await api(server, 'GET', '/v1/agents');
    const noToken = await api(server, 'POST', '/v1/agents/receptionist/versions', { source: receptionistRevision(9).source }, null);
    expect(noToken).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    expect((await api(server, 'POST', '/v1/agents/receptionist/rollback', {}, 'wrong')).status).toBe(401);
    expect(await api(server, 'GET', '/v1/agents')).toEqual(before);
    expect(((await api(server, 'GET', '/v1/agents/receptionist/versions')).body.versions as Array<{ id: string }>).map((v) => v.id)).not.toContain(versionIdOf(receptionistRevision(9).compiled));

    const invalid = await api(server, 'POST', '/v1/agents/receptionist/versions', { source: 'apiVersion: voiceagent/v1\nname: receptionist\nbargeIn: 7\n', file: 'agents/receptionist.yaml' });
    expect(invalid.status).toBe(422);
    expect(invalid.body.error).toBe('invalid-agent');
    expect((invalid.body.diagnostics as Array<{ file: string; line: number }>)[0]).toMatchObject({ file: 'agents/receptionist.yaml' });
    expect((invalid.body.diagnostics as Array<{ line: number }>).some((d) => d.line > 0)).toBe(true);

    expect(await api(server, 'POST', '/v1/agents/dispatch/versions', { source: receptionistRevision(1).source })).toMatchObject({ status: 400, body: { error: 'bad-request' } });
    expect(await api(server, 'POST', '/v1/agents/receptionist/versions', { nope: 1 })).toMatchObject({ status: 400, body: { error: 'bad-request' } });
    expect(await api(server, 'GET', '/v1/agents/nobody/versions')).toMatchObject({ status: 404, body: { error: 'unknown-agent' } });
    expect(await api(server, 'GET', '/v1/agents/receptionist/versions/v0123456789ab')).toMatchObject({ status: 404, body: { error: 'unknown-version' } });
    expect(await api(server, 'POST', '/v1/agents/receptionist/activate', { version: 'v0123456789ab', expected: null })).toMatchObject({ status: 404, body: { error: 'unknown-version' } });
    expect(await api(server, 'POST', '/v1/agents/receptionist/activate', { version: 'v0123456789ab' })).toMatchObject({ status: 400, body: { error: 'bad-request' } });
    expect(await api(server, 'POST', '/v1/agents/nobody/rollback', {})).toMatchObject({ status: 404, body: { error: 'unknown-agent' } });
  });
});

describe('admin API without a registry', () => {
  it('answers 501 no-registry for the registry endpoints and still lists calls', async () => {
    const server = await startServer({ paths: ['agents/receptionist.yaml'], cwd: ROOT, host: '127.0.0.1', port: 0, dataDir: tempDir(), offline: true, recordWav: false, drainTimeoutMs: 1000, env: {}, log: silentLogger, registry: 'none' });
    try {
      expect(await api(server, 'GET', '/v1/agents', undefined, null)).toMatchObject({ status: 501, body: { error: 'no-registry' } });
      expect(await api(server, 'GET', '/v1/calls', undefined, null)).toEqual({ status: 200, body: { calls: [] } });
    } finally {
      await server.close();
    }
  });
});
