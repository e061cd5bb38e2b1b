/*
 * Fleet-wide admission in Redis. Every slot is a member `<serverId>|<callId>` of sorted sets scored by the time
 * it expires (Redis's own clock, so servers' clocks may disagree): one per agent, one for the fleet, one per
 * server; webhook holds also sit in a per-agent hold set. ONE Lua script prunes what has expired and checks
 * the server's, the agent's and the fleet's counts and adds the slot, atomically: two servers reserving the
 * last slot at the same instant cannot both get it (LiveKit agents#4884 admitted by a stale load figure).
 *
 * Each server refreshes its slots' expiry every `heartbeatMs` (default 1 s) to `slotTtlMs` ahead (default 5 s):
 * a server that dies (kill -9, a lost machine) stops refreshing, and its slots fall out of every count once
 * they expire. A slot is released (ZREM) only when its call's record has been written.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from './logger.js';
import { capOf, DEFAULT_HOLD_MS, refusalMessage, type Admission, type AdmissionCaps, type CapName, type Reservation, type ReservationKind, type Slot } from './admission.js';

/** Options of {@link createRedisAdmission}. */
export interface RedisAdmissionOptions {
  /** `redis://HOST:PORT[/DB]`. */
  readonly url: string;
  /** Key prefix shared with the registry. Default `voiceagent:`. */
  readonly prefix?: string;
  /** This server's id in slot names (default: a fresh {@link newServerId}). */
  readonly serverId?: string;
  readonly caps: AdmissionCaps;
  /** How often this server refreshes its slots, ms. Default 1000. */
  readonly heartbeatMs?: number;
  /** How long a slot lives without a refresh, ms: a crashed server's calls stop counting after this. Default 5000. */
  readonly slotTtlMs?: number;
  /** How long a webhook's hold waits for its stream, ms. Default 15000. */
  readonly holdMs?: number;
  readonly log: Logger;
}

/** A server id unique in the fleet: host, process and a random tail (a restarted process is a new server). */
export function newServerId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/*
 * KEYS: 1 agent set, 2 fleet set, 3 server set, 4 agent hold set.
 * ARGV: 1 member, 2 slot ttl ms, 3 agent cap, 4 fleet cap, 5 server cap, 6 kind (call|hold|claim), 7 hold ms.
 * Returns { 1, 'reserved' | 'claimed' } or { 0, cap name, limit }. A cap of 0 is no cap.
 */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, 4 do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now) end
local member, ttl, kind = ARGV[1], tonumber(ARGV[2]), ARGV[6]
local serverCap = tonumber(ARGV[5])
if kind ~= 'hold' and serverCap > 0 and redis.call('ZCARD', KEYS[3]) >= serverCap then return {0, 'server', serverCap} end
if kind == 'claim' then
  local held = redis.call('ZRANGE', KEYS[4], 0, 0)
  if #held > 0 then
    for i = 1, 4 do redis.call('ZREM', KEYS[i], held[1]) end
    for i = 1, 3 do redis.call('ZADD', KEYS[i], now + ttl, member) end
    redis.call('PEXPIRE', KEYS[3], ttl * 4)
    return {1, 'claimed'}
  end
end
local agentCap = tonumber(ARGV[3])
if agentCap > 0 and redis.call('ZCARD', KEYS[1]) >= agentCap then return {0, 'agent', agentCap} end
local fleetCap = tonumber(ARGV[4])
if fleetCap > 0 and redis.call('ZCARD', KEYS[2]) >= fleetCap then return {0, 'fleet', fleetCap} end
if kind == 'hold' then
  local expiry = now + tonumber(ARGV[7])
  for _, i in ipairs({1, 2, 4}) do redis.call('ZADD', KEYS[i], expiry, member) end
  return {1, 'reserved'}
end
for i = 1, 3 do redis.call('ZADD', KEYS[i], now + ttl, member) end
redis.call('PEXPIRE', KEYS[3], ttl * 4)
return {1, 'reserved'}
`;

/*
 * KEYS: 1 fleet set, 2 server set, then one agent set per slot. ARGV: 1 ttl ms, then the slots' members in
 * the order of their agent sets. XX: a slot that expired meanwhile (this server stalled past the ttl) is not
 * brought back behind the caps' back.
 */
const HEARTBEAT = `
local t = redis.call('TIME')
local expiry = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
for i = 3, #KEYS do
  local member = ARGV[i - 1]
  redis.call('ZADD', KEYS[i], 'XX', expiry, member)
  redis.call('ZADD', KEYS[1], 'XX', expiry, member)
  redis.call('ZADD', KEYS[2], 'XX', expiry, member)
end
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[1]) * 4)
return #KEYS - 2
`;

/** KEYS: agent set, fleet set, server set, agent hold set. ARGV: member. */
const RELEASE = `
for i = 1, 4 do redis.call('ZREM', KEYS[i], ARGV[1]) end
return 1
`;

type ScriptCommand = (...args: Array<string | number>) => Promise<unknown>;

/** Creates the fleet admission over Redis and starts its heartbeat. Connects lazily; never throws at start. */
export function createRedisAdmission(options: RedisAdmissionOptions): Admission & { readonly serverId: string; readonly redis: Redis } {
  const prefix = options.prefix ?? 'voiceagent:';
  const serverId = options.serverId ?? newServerId();
  const slotTtlMs = options.slotTtlMs ?? 5000;
  const heartbeatMs = options.heartbeatMs ?? 1000;
  const holdMs = options.holdMs ?? DEFAULT_HOLD_MS;
  const redis = new Redis(options.url, { maxRetriesPerRequest: 1, commandTimeout: Math.max(1000, slotTtlMs / 2), lazyConnect: false });
  redis.on('error', (error: Error) => options.log.warn('admission: redis error', { message: error.message }));
  redis.defineCommand('vaReserve', { numberOfKeys: 4, lua: RESERVE });
  redis.defineCommand('vaRelease', { numberOfKeys: 4, lua: RELEASE });
  redis.defineCommand('vaHeartbeat', { lua: HEARTBEAT });
  const script = (name: string) => (redis as unknown as Record<string, ScriptCommand>)[name]!.bind(redis);
  const reserveScript = script('vaReserve');
  const releaseScript = script('vaRelease');
  const heartbeatScript = script('vaHeartbeat');

  const keys = {
    agent: (agent: string) => `${prefix}slots:agent:${agent}`,
    fleet: `${prefix}slots:fleet`,
    server: `${prefix}slots:server:${serverId}`,
    holds: (agent: string) => `${prefix}slots:holds:${agent}`,
  };
  /** This server's call slots (not holds: they expire on their own, wherever their stream lands). */
  const live = new Map<string, { agent: string; member: string }>();

  const beat = async () => {
    if (live.size === 0) return;
    const slots = [...live.values()];
    try {
      await heartbeatScript(2 + slots.length, keys.fleet, keys.server, ...slots.map((s) => keys.agent(s.agent)), slotTtlMs, ...slots.map((s) => s.member));
    } catch (error) {
      options.log.warn('admission: heartbeat failed; slots expire if it keeps failing', { message: (error as Error).message, slots: slots.length });
    }
  };
  const timer = setInterval(() => void beat(), heartbeatMs);
  timer.unref();

  const slotFor = (agent: string, callId: string, member: string): Slot => {
    let released = false;
    return {
      callId,
      agent,
      async release() {
        if (released) return;
        released = true;
        live.delete(callId);
        try {
          await releaseScript(keys.agent(agent), keys.fleet, keys.server, keys.holds(agent), member);
        } catch (error) {
          options.log.warn('admission: release failed; the slot expires by itself', { callId, message: (error as Error).message, slotTtlMs });
        }
      },
    };
  };

  return {
    kind: 'redis',
    serverId,
    redis,
    async reserve(agent: string, callId: string, kind: ReservationKind = 'call'): Promise<Reservation> {
      const member = `${serverId}|${callId}`;
      const caps = options.caps;
      let answer: unknown;
      try {
        answer = await reserveScript(keys.agent(agent), keys.fleet, keys.server, keys.holds(agent), member, slotTtlMs, capOf(caps.agentCaps?.[agent]), capOf(caps.fleetMaxCalls), capOf(caps.serverMaxCalls), kind, holdMs);
      } catch (error) {
        const message = `the admission store (redis) cannot be reached: ${(error as Error).message}`;
        // No cap applies to this call: Redis only counts it, and a count is not worth refusing a caller for.
        if (!capOf(caps.agentCaps?.[agent]) && !capOf(caps.fleetMaxCalls) && !capOf(caps.serverMaxCalls)) {
          options.log.warn('admission: call admitted uncounted', { agent, callId, message });
          return { ok: true, slot: { callId, agent, release: async () => {} } };
        }
        // Fail closed: a cap that cannot be checked is not a cap. The caller's side fails over on 503.
        return { ok: false, cap: 'unavailable', limit: 0, message };
      }
      const [ok, what, limit] = answer as [number, string, number?];
      if (ok !== 1) {
        const cap = what as CapName;
        return { ok: false, cap, limit: Number(limit), message: refusalMessage(agent, cap, Number(limit)) };
      }
      if (kind === 'hold') {
        // A hold is not this server's to refresh or release: its stream may land anywhere and claim it.
        return { ok: true, slot: { callId, agent, release: async () => {} } };
      }
      live.set(callId, { agent, member });
      return { ok: true, slot: slotFor(agent, callId, member) };
    },
    get held() {
      return live.size;
    },
    async close() {
      clearInterval(timer);
      const slots = [...live.entries()];
      await Promise.all(slots.map(([callId, { agent, member }]) => slotFor(agent, callId, member).release()));
      redis.disconnect();
    },
  };
}
