/*
 * A fleet: three `voiceagent serve` processes (standing in for machines) sharing one real redis-server (needs
 * /usr/bin/redis-server), each with its own --data folder.
 *
 * - A version deployed through one server (POST /v1/agents/receptionist/versions, then activate) is what new
 *   calls get on all three within a second.
 * - With `--agent-cap receptionist=N` on each, a burst of 3N simultaneous calls spread over the three admits
 *   exactly N; the others get 503 saying the cap is full.
 * - SIGKILL of a server holding calls: its slots keep counting until the heartbeat timeout (--slot-ttl-ms),
 *   then free up, and exactly that many new calls get in.
 * - The records index: a call recorded on one server is listed and fetched through another.
 * - SIGTERM drains a server: 503 for new calls, and its slots come back as its calls end (not at the timeout).
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../runtime/call/call-record.js';
import { connectWebSocketCall, type WebSocketCallClient } from '../mocks/websocket-call-client.js';
import { warmUp } from '../server/callers.js';
import { killServes, makeDataDir, removeDataDirs, ROOT, sleep, startServe, type ServeProcess } from '../server/serve-process.js';
import { startRedis, type RedisProcess } from './redis-server.js';

/** The cap across the fleet, and the heartbeat timeout (short, so the crash test takes seconds). */
const N = 4;
const SLOT_TTL_MS = 2000;

let redis: RedisProcess;
let servers: ServeProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
  servers = await Promise.all(
    [0, 1, 2].map(() =>
      startServe(['--offline', '--workers', '1', '--port', '0', '--registry', redis.url, '--data', makeDataDir(), '--agent-cap', `receptionist=${N}`, '--slot-ttl-ms', String(SLOT_TTL_MS)], { timeoutMs: 60_000 }),
    ),
  );
  // Each server's first call starts its offline voice (2-3 s from the sources): done before anything is timed.
  for (const server of servers) await warmUp(`${server.ws}/calls/receptionist`, 1);
}, 120_000);

afterAll(async () => {
  await killServes();
  await redis?.stop();
  removeDataDirs();
});

const source = (greeting: string) => readFileSync(`${ROOT}/agents/receptionist.yaml`, 'utf8').replace(/greeting: Thanks for calling Bright Smile Dental, how can I help you today\?/, `greeting: ${greeting}`);

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, any> }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  return { status: response.status, json: (await response.json()) as Record<string, any> };
}

/** Pushes a version through `server` and activates it over `expected`; returns its id. */
async function deploy(server: ServeProcess, greeting: string, expected: string | null): Promise<string> {
  const pushed = await post(`${server.url}/v1/agents/receptionist/versions`, { source: source(greeting), file: 'agents/receptionist.yaml' });
  expect(pushed.status, JSON.stringify(pushed.json)).toBe(201);
  const id = pushed.json.version.id as string;
  const activated = await post(`${server.url}/v1/agents/receptionist/activate`, { version: id, expected });
  expect(activated.status, JSON.stringify(activated.json)).toBe(200);
  return id;
}

/** A call that hangs up at once; resolves with its record. */
async function shortCall(server: ServeProcess): Promise<CallRecord> {
  const client = await connectWebSocketCall(`${server.ws}/calls/receptionist?rate=8000`, { sampleRate: 8000 });
  client.send({ type: 'hangup' });
  await client.waitFor((m) => m.type === 'ended', 15_000, 'the short call ended');
  client.close();
  return client.record!;
}

/** Opens a call and keeps it, or says how the upgrade was refused. */
async function tryCall(server: ServeProcess): Promise<{ client: WebSocketCallClient } | { status: number; body: string }> {
  try {
    return { client: await connectWebSocketCall(`${server.ws}/calls/receptionist?rate=8000`, { sampleRate: 8000 }) };
  } catch (error) {
    const status = Number(/upgrade refused: (\d+)/.exec((error as Error).message)?.[1] ?? 0);
    return { status, body: status === 503 ? await refusalBody(server) : (error as Error).message };
  }
}

/** The body of a refused upgrade (the test client only reports the status). */
function refusalBody(server: ServeProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}/calls/receptionist?rate=8000`, { headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve('(accepted)');
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Slots of the agent in use fleet-wide, read from Redis (the serve processes' own key layout). */
async function slotsInUse(): Promise<number> {
  const client = new Redis(redis.url);
  try {
    return await client.zcount('voiceagent:slots:agent:receptionist', Date.now(), '+inf');
  } finally {
    client.disconnect();
  }
}

/** Waits until every call placed so far has written its record and given its slot back. */
async function untilNoSlots(): Promise<void> {
  for (let i = 0; i < 250 && (await slotsInUse()) > 0; i++) await sleep(20);
  expect(await slotsInUse()).toBe(0);
}

const hangUpAll = async (clients: WebSocketCallClient[]) => {
  for (const client of clients) client.send({ type: 'hangup' });
  // A call on the killed server never says `ended`: its socket closing is enough.
  await Promise.all(clients.map((client) => Promise.race([client.waitFor((m) => m.type === 'ended', 15_000, 'ended').catch(() => undefined), client.closed])));
  for (const client of clients) client.close();
};

describe('a fleet of three servers sharing one redis', () => {
  it('a version deployed through one server is what new calls get on all three within 1 s', async () => {
    const first = await deploy(servers[0]!, 'Hello from version one.', null);
    const second = await deploy(servers[1]!, 'Hello from version two.', first);
    expect(second).not.toBe(first);
    const activatedAt = performance.now();
    // Calls placed on every server 1 s after the activation answered (the slowest a server may switch).
    await sleep(Math.max(0, 1000 - (performance.now() - activatedAt)));
    const records = await Promise.all(servers.map((server) => shortCall(server)));
    expect(records.map((r) => r.agent.version)).toEqual([second, second, second]);
  });

  it(`a burst of ${3 * N} simultaneous calls over the three admits exactly ${N}; killing a server frees its slots after the heartbeat timeout`, async () => {
    // The calls before have told their callers `ended`; their slots go back a moment later, with their records.
    await untilNoSlots();
    const burst = await Promise.all(Array.from({ length: 3 * N }, (_, i) => tryCall(servers[i % 3]!).then((result) => ({ server: i % 3, result }))));
    const admitted = burst.filter((b) => 'client' in b.result);
    const refused = burst.map((b) => b.result).filter((r): r is { status: number; body: string } => 'status' in r);
    const clients = admitted.map((b) => (b.result as { client: WebSocketCallClient }).client);
    let victim = -1;
    try {
      expect(admitted).toHaveLength(N);
      expect(refused).toHaveLength(2 * N);
      expect(new Set(refused.map((r) => r.status))).toEqual(new Set([503]));
      expect(refused[0]!.body).toContain(`agent receptionist is at its cap of ${N} concurrent calls`);

      // The server holding the most calls dies without a word (a lost machine).
      const perServer = [0, 1, 2].map((s) => admitted.filter((b) => b.server === s).length);
      victim = perServer.indexOf(Math.max(...perServer));
      const lost = perServer[victim]!;
      const survivors = servers.filter((_, i) => i !== victim);
      servers[victim]!.signalGroup('SIGKILL');
      await servers[victim]!.exited;
      const killedAt = performance.now();
      // Its slots still count for a moment: the fleet cannot know yet that those calls are gone.
      const early = await tryCall(survivors[0]!);
      expect('status' in early ? early.status : 'admitted').toBe(503);
      expect(performance.now() - killedAt).toBeLessThan(SLOT_TTL_MS);

      // Once they expire, exactly as many new calls get in as the dead server held.
      let freedAfterMs = 0;
      for (;;) {
        const probe = await tryCall(survivors[0]!);
        if ('client' in probe) {
          freedAfterMs = performance.now() - killedAt;
          clients.push(probe.client);
          break;
        }
        expect(performance.now() - killedAt, 'slots freed within the heartbeat timeout (plus a beat)').toBeLessThan(SLOT_TTL_MS + 1500);
        await sleep(100);
      }
      const more = await Promise.all(Array.from({ length: lost }, (_, i) => tryCall(survivors[i % 2]!)));
      clients.push(...more.flatMap((r) => ('client' in r ? [r.client] : [])));
      expect(more.filter((r) => 'client' in r)).toHaveLength(lost - 1);
      console.log(`fleet: slots of the killed server (${lost} calls) freed ${Math.round(freedAfterMs)} ms after SIGKILL (slot ttl ${SLOT_TTL_MS} ms)`);
    } finally {
      await hangUpAll(clients);
    }
    servers.splice(victim, 1);
  });

  it('a call recorded on one server is listed and fetched through another (the records index)', async () => {
    const [a, b] = servers as [ServeProcess, ServeProcess];
    const record = await shortCall(b);
    let listed: Array<Record<string, any>> = [];
    for (let i = 0; i < 50 && !listed.some((c) => c.callId === record.callId); i++) {
      listed = ((await (await fetch(`${a.url}/v1/calls?agent=receptionist&limit=100`)).json()) as { calls: Array<Record<string, any>> }).calls;
      if (!listed.some((c) => c.callId === record.callId)) await sleep(50);
    }
    const entry = listed.find((c) => c.callId === record.callId)!;
    expect(entry).toMatchObject({ agent: 'receptionist', version: record.agent.version, endReason: 'caller-hangup', server: { url: b.url } });
    const fetched = await fetch(`${a.url}/v1/calls/${record.callId}`);
    expect(fetched.status).toBe(200);
    expect(((await fetched.json()) as CallRecord).callId).toBe(record.callId);
    expect((await fetch(`${a.url}/v1/calls/no-such-call`)).status).toBe(404);
  });

  it('a draining server refuses new calls with 503 and gives its slots back as its calls end, not at the heartbeat timeout', async () => {
    await untilNoSlots();
    const [a, b] = servers as [ServeProcess, ServeProcess];
    const onA = await Promise.all(Array.from({ length: N - 1 }, () => tryCall(a)));
    const onB = await tryCall(b);
    const clients = [...onA, onB].flatMap((r) => ('client' in r ? [r.client] : []));
    try {
      expect(clients).toHaveLength(N);
      b.signal('SIGTERM');
      for (let i = 0; i < 100 && (await fetch(`${b.url}/healthz`)).status !== 503; i++) await sleep(20);
      const refused = await tryCall(b);
      expect(refused).toMatchObject({ status: 503, body: expect.stringContaining('draining') });
      // b's running call still holds its slot: the fleet is full.
      expect('status' in (await tryCall(a))).toBe(true);
      const bClient = (onB as { client: WebSocketCallClient }).client;
      bClient.send({ type: 'hangup' });
      expect((await b.exited).code).toBe(0);
      // Released with the record, not left to expire (that would take up to SLOT_TTL_MS more).
      const after = await tryCall(a);
      expect('client' in after).toBe(true);
      if ('client' in after) clients.push(after.client);
    } finally {
      await hangUpAll(clients);
    }
  });
});
