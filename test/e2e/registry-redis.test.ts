/*
 * The shared registry suite on the Redis registry, against a real redis-server (needs /usr/bin/redis-server).
 * Each test gets its own key prefix, so tests share one server and never see each other's agents; a second
 * `open` is a second connection, as a second server process would have.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, startServer } from '../../runtime/server/index.js';
import { connectWebSocketCall } from '../mocks/websocket-call-client.js';
import { receptionistRevision } from '../registry/agent-versions.js';
import { createRedisRegistry } from '../../runtime/registry/redis-registry.js';
import { registrySuite } from '../registry/registry-suite.js';
import { startRedis, type RedisProcess } from './redis-server.js';

let redis: RedisProcess;
let n = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

registrySuite('redis', async () => {
  const prefix = `test${++n}:`;
  return { open: (options: { now?: () => Date } = {}) => createRedisRegistry({ url: redis.url, prefix, ...options }) };
});

/*
 * Two servers sharing the Redis registry (standing in for two machines): a version deployed through one is
 * served for new calls by the other within a second, and a call running there keeps the version it started on.
 */
describe('serve --registry redis://', () => {
  it('a deploy through one server switches the other within a second; a running call keeps its version', { timeout: 60_000 }, async () => {
    const dirs = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'va-redis-serve-')));
    const servers = await Promise.all(
      dirs.map((dir) => startServer({ paths: [], cwd: dir, host: '127.0.0.1', port: 0, dataDir: dir, offline: true, recordWav: false, drainTimeoutMs: 1000, env: {}, log: silentLogger, registry: redis.url, allowNoAgents: true })),
    );
    const [a, b] = servers as [(typeof servers)[0], (typeof servers)[0]];
    const post = async (path: string, body: unknown) => (await (await fetch(`${a.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as Record<string, { id: string }>;
    const dial = async () => {
      const client = await connectWebSocketCall(`${b.url.replace(/^http/, 'ws')}/calls/receptionist?rate=8000`, { sampleRate: 8000 });
      const started = await client.waitForEvent((e) => e.type === 'call.started', 10_000, 'call.started');
      return { client, version: started.version };
    };
    try {
      const first = (await post('/v1/agents/receptionist/versions', { source: receptionistRevision(1).source })).version!.id;
      await post('/v1/agents/receptionist/activate', { version: first, expected: null });
      const deployedAt = Date.now();
      while (b.agents.get('receptionist')?.version !== first && Date.now() - deployedAt < 2000) await new Promise((r) => setTimeout(r, 10));
      expect(Date.now() - deployedAt).toBeLessThan(1000);
      const running = await dial();
      expect(running.version).toBe(first);

      const second = (await post('/v1/agents/receptionist/versions', { source: receptionistRevision(2).source })).version!.id;
      await post('/v1/agents/receptionist/activate', { version: second, expected: first });
      const switchedAt = Date.now();
      while (b.agents.get('receptionist')?.version !== second && Date.now() - switchedAt < 2000) await new Promise((r) => setTimeout(r, 10));
      expect(Date.now() - switchedAt).toBeLessThan(1000);
      const fresh = await dial();
      expect(fresh.version).toBe(second);
      for (const call of [running, fresh]) call.client.send({ type: 'hangup' });
      const ended = await Promise.all([running, fresh].map((call) => call.client.waitFor((m) => m.type === 'ended', 10_000, 'ended')));
      expect(ended.map((m) => (m.record as { agent: { version?: string } }).agent.version)).toEqual([first, second]);
      for (const call of [running, fresh]) call.client.close();
    } finally {
      await Promise.all(servers.map((server) => server.close()));
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });
});
