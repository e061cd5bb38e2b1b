/*
 * Fleet admission and the records index in a real redis-server (needs /usr/bin/redis-server). Three admissions
 * stand for three servers: a burst of 3N reservations spread over them against an agent cap of N admits exactly
 * N (one Lua script decides); a server that keeps beating keeps its slots past the ttl; a server that stops
 * (its connection cut, as a crash does) loses them once the ttl has passed; a webhook's hold made on one server
 * is claimed by a stream landing on another. The records index lists newest first with filters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisAdmission } from '../../runtime/server/admission-redis.js';
import type { Admission, Reservation } from '../../runtime/server/admission.js';
import { createRedisRecordsIndex } from '../../runtime/server/records-index.js';
import { silentLogger } from '../../runtime/server/logger.js';
import type { CallRecord } from '../../runtime/call/call-record.js';
import { startRedis, type RedisProcess } from './redis-server.js';

let redis: RedisProcess;
let n = 0;
const open: Array<Admission> = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(open.map((a) => a.close().catch(() => {})));
  await redis?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function fleetOf(count: number, caps: Parameters<typeof createRedisAdmission>[0]['caps'], slotTtlMs = 1000) {
  const prefix = `adm${++n}:`;
  return Array.from({ length: count }, (_, i) => {
    const admission = createRedisAdmission({ url: redis.url, prefix, serverId: `server-${i}`, caps, slotTtlMs, heartbeatMs: slotTtlMs / 5, log: silentLogger });
    open.push(admission);
    return admission;
  });
}

describe('redis admission', () => {
  it('a burst of 3N simultaneous reservations over three servers admits exactly N against an agent cap of N', async () => {
    const N = 5;
    const servers = fleetOf(3, { agentCaps: { receptionist: N } });
    const burst = await Promise.all(Array.from({ length: 3 * N }, (_, i) => servers[i % 3]!.reserve('receptionist', `call-${i}`)));
    expect(burst.filter((r) => r.ok)).toHaveLength(N);
    const refused = burst.filter((r): r is Extract<Reservation, { ok: false }> => !r.ok);
    expect(new Set(refused.map((r) => `${r.cap}:${r.limit}`))).toEqual(new Set([`agent:${N}`]));
    expect(servers.reduce((sum, s) => sum + s.held, 0)).toBe(N);
    // A release (the record written) lets exactly one more in.
    const one = burst.find((r) => r.ok)!;
    if (one.ok) await one.slot.release();
    const next = await Promise.all([servers[0]!.reserve('receptionist', 'x'), servers[1]!.reserve('receptionist', 'y')]);
    expect(next.filter((r) => r.ok)).toHaveLength(1);
  });

  it('the fleet cap and a server cap are checked in the same script', async () => {
    const servers = fleetOf(2, { fleetMaxCalls: 3, serverMaxCalls: 2 });
    expect((await servers[0]!.reserve('a', '1')).ok).toBe(true);
    expect((await servers[0]!.reserve('b', '2')).ok).toBe(true);
    expect(await servers[0]!.reserve('c', '3')).toMatchObject({ ok: false, cap: 'server', limit: 2 });
    expect((await servers[1]!.reserve('c', '4')).ok).toBe(true);
    expect(await servers[1]!.reserve('c', '5')).toMatchObject({ ok: false, cap: 'fleet', limit: 3 });
  });

  it("a server that keeps beating keeps its slots past the ttl; one that stops loses them after it", async () => {
    const [alive, crashed, other] = fleetOf(3, { agentCaps: { receptionist: 2 } }, 600);
    expect((await alive!.reserve('receptionist', 'alive-call')).ok).toBe(true);
    expect((await crashed!.reserve('receptionist', 'crashed-call')).ok).toBe(true);
    expect((await other!.reserve('receptionist', 'refused')).ok).toBe(false);
    // The crash: its connection is cut, so its heartbeat stops reaching Redis.
    (crashed as unknown as { redis: { disconnect(): void } }).redis.disconnect();
    await sleep(300);
    expect((await other!.reserve('receptionist', 'still-refused')).ok).toBe(false);
    await sleep(600);
    // 900 ms on: the crashed server's slot expired, the beating one's did not.
    expect((await other!.reserve('receptionist', 'after-crash')).ok).toBe(true);
    expect((await other!.reserve('receptionist', 'over')).ok).toBe(false);
  });

  it("a webhook's hold on one server is claimed by the stream landing on another, and lapses when none comes", async () => {
    const [webhookServer, streamServer] = fleetOf(2, { agentCaps: { receptionist: 1 } });
    expect((await webhookServer!.reserve('receptionist', 'CA1', 'hold')).ok).toBe(true);
    expect((await streamServer!.reserve('receptionist', 'app-call')).ok).toBe(false);
    expect((await streamServer!.reserve('receptionist', 'stream-1', 'claim')).ok).toBe(true);
    expect((await streamServer!.reserve('receptionist', 'stream-2', 'claim')).ok).toBe(false);

    const prefix = `adm${++n}:`;
    const short = createRedisAdmission({ url: redis.url, prefix, serverId: 's', caps: { agentCaps: { receptionist: 1 } }, holdMs: 300, log: silentLogger });
    open.push(short);
    expect((await short.reserve('receptionist', 'CA2', 'hold')).ok).toBe(true);
    expect((await short.reserve('receptionist', 'app')).ok).toBe(false);
    await sleep(400);
    expect((await short.reserve('receptionist', 'app')).ok).toBe(true);
  });

  it('an unreachable Redis refuses a capped call (fails closed) saying so, and admits an uncapped one uncounted', async () => {
    const admission = createRedisAdmission({ url: 'redis://127.0.0.1:1', caps: { agentCaps: { receptionist: 5 } }, slotTtlMs: 1000, log: silentLogger });
    open.push(admission);
    const answer = await admission.reserve('receptionist', 'x');
    expect(answer).toMatchObject({ ok: false, cap: 'unavailable' });
    expect(!answer.ok && answer.message).toContain('the admission store (redis) cannot be reached');
    expect((await admission.reserve('dispatch', 'y')).ok).toBe(true);
  });
});

describe('records index', () => {
  it('lists newest first with filters, names the holder, and forgets by id and by age', async () => {
    const [server] = fleetOf(1, {});
    const redisClient = (server as unknown as { redis: import('ioredis').Redis }).redis;
    const index = createRedisRecordsIndex({ redis: redisClient, prefix: `idx${++n}:`, server: { id: 'server-a', url: 'http://10.0.0.1:8080' } });
    const record = (callId: string, startedAt: string, agent: string, endReason: CallRecord['endReason'], version?: string) =>
      ({ callId, agent: { name: agent, mode: 'pipeline', ...(version ? { version } : {}) }, startedAt, startedAtMs: 0, endedAtMs: 2000, endReason }) as unknown as CallRecord;
    await index.add(record('c1', '2026-12-01T10:00:00.000Z', 'receptionist', 'caller-hangup', 'v1'));
    await index.add(record('c2', '2026-12-02T10:00:00.000Z', 'dispatch', 'agent-hangup'));
    await index.add(record('c3', '2026-12-03T10:00:00.000Z', 'receptionist', 'silence', 'v2'));
    expect((await index.list({})).map((c) => c.callId)).toEqual(['c3', 'c2', 'c1']);
    expect((await index.list({ agent: 'receptionist' })).map((c) => c.callId)).toEqual(['c3', 'c1']);
    expect((await index.list({ version: 'v1' })).map((c) => c.callId)).toEqual(['c1']);
    expect((await index.list({ since: '2026-12-02T00:00:00Z', until: '2026-12-03T10:00:00Z' })).map((c) => c.callId)).toEqual(['c2']);
    expect((await index.list({ limit: 1 })).map((c) => c.callId)).toEqual(['c3']);
    expect(await index.get('c3')).toMatchObject({ agent: 'receptionist', version: 'v2', endReason: 'silence', endedAt: '2026-12-03T10:00:02.000Z', server: { id: 'server-a', url: 'http://10.0.0.1:8080' } });
    await index.remove(['c3']);
    expect(await index.get('c3')).toBeUndefined();
    expect(await index.removeStartedBefore(Date.parse('2026-12-02T10:00:00Z'))).toBe(1);
    expect((await index.list({})).map((c) => c.callId)).toEqual(['c2']);
  });
});
