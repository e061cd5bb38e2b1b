/*
 * Admission: how many calls a server (and, with Redis, a fleet) takes at once. A call needs a slot before its
 * socket is accepted; over a cap the upgrade or the Twilio webhook is answered 503, so the caller's side (a
 * load balancer, Twilio's fallback URL, an app) can try elsewhere. The slot is released only once the call's
 * record has been written: a call counts until it has provably ended.
 *
 * Two stores implement {@link Admission}: this file's in-process one (one server), and admission-redis.ts
 * (a fleet, one Lua script deciding atomically, slots kept alive by a heartbeat).
 */
import { realClock, type Clock } from '../util/clock.js';

/** The caps. Absent or 0: no cap. */
export interface AdmissionCaps {
  /** Calls this server runs at once (`serve --max-calls`). */
  readonly serverMaxCalls?: number;
  /** Calls of one agent at once (`serve --agent-cap name=N`); fleet-wide with Redis. */
  readonly agentCaps?: Readonly<Record<string, number>>;
  /** Calls at once across the fleet (`serve --fleet-max-calls`); without Redis the fleet is this server. */
  readonly fleetMaxCalls?: number;
}

/**
 * What a reservation is for. `call`: a call starting now (its socket is being accepted). `hold`: a Twilio
 * webhook answered with TwiML, whose media stream will connect in a moment (perhaps to another server of the
 * fleet): it counts for `holdMs`, or until a `claim` turns it into that stream's call. `claim`: a Twilio stream
 * takes the agent's oldest hold if there is one (it was counted at the webhook), else reserves like `call`.
 */
export type ReservationKind = 'call' | 'hold' | 'claim';

/** A reserved place for one call. */
export interface Slot {
  /** The call id the slot was reserved for (the call runs under it). */
  readonly callId: string;
  readonly agent: string;
  /** Frees the slot. Idempotent; never rejects (a store that cannot be reached lets the slot expire). */
  release(): Promise<void>;
}

/** Which cap refused a call. */
export type CapName = 'server' | 'agent' | 'fleet';

/** The answer to a reservation. */
export type Reservation =
  | { readonly ok: true; readonly slot: Slot }
  | { readonly ok: false; readonly cap: CapName | 'unavailable'; readonly limit: number; readonly message: string };

/** Reserves and releases call slots. */
export interface Admission {
  /** `local` (this process) or `redis` (the fleet). */
  readonly kind: 'local' | 'redis';
  /** Reserves a slot for `callId` of `agent`, or says which cap is full. */
  reserve(agent: string, callId: string, kind?: ReservationKind): Promise<Reservation>;
  /** Slots this process holds now (calls and unclaimed holds it made). */
  readonly held: number;
  /** Stops heartbeats and timers; slots still held are released. */
  close(): Promise<void>;
}

/** How long a webhook's hold waits for its media stream, ms: Twilio connects it within a second or two. */
export const DEFAULT_HOLD_MS = 15_000;

/** The sentence a refusal says, for logs and the 503 body. */
export function refusalMessage(agent: string, cap: CapName, limit: number): string {
  const what = cap === 'agent' ? `agent ${agent} is at its cap of ${limit} concurrent call${limit === 1 ? '' : 's'}` : cap === 'server' ? `this server is at its cap of ${limit} concurrent calls` : `the fleet is at its cap of ${limit} concurrent calls`;
  return `${what}; try again later or another server`;
}

/** Reads a cap: a positive whole number, else none. */
export function capOf(value: number | undefined): number {
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : 0;
}

interface LocalEntry {
  readonly agent: string;
  readonly kind: 'call' | 'hold';
  /** Holds expire (clock ms); calls do not (Infinity): one process needs no heartbeat. */
  readonly expiresAt: number;
}

/**
 * The in-process admission of one server: caps counted in a map, decided synchronously (so two upgrades in one
 * tick cannot both take the last slot). Holds expire on `clock`.
 */
export function createLocalAdmission(options: { readonly caps: AdmissionCaps; readonly clock?: Clock; readonly holdMs?: number }): Admission {
  const clock = options.clock ?? realClock;
  const holdMs = options.holdMs ?? DEFAULT_HOLD_MS;
  // Without a fleet, the fleet cap and the server cap both bound this process's total: the smaller one speaks.
  const server = capOf(options.caps.serverMaxCalls) || Infinity;
  const fleet = capOf(options.caps.fleetMaxCalls) || Infinity;
  const serverCap = Math.min(server, fleet);
  const serverCapName: CapName = server <= fleet ? 'server' : 'fleet';
  const entries = new Map<string, LocalEntry>();
  const prune = () => {
    const now = clock.now();
    for (const [id, entry] of entries) if (entry.expiresAt <= now) entries.delete(id);
  };
  const count = (agent?: string) => {
    let n = 0;
    for (const entry of entries.values()) if (agent === undefined || entry.agent === agent) n++;
    return n;
  };
  const slotFor = (agent: string, callId: string): Slot => ({
    callId,
    agent,
    release: async () => {
      entries.delete(callId);
    },
  });
  return {
    kind: 'local',
    reserve(agent, callId, kind = 'call') {
      prune();
      if (count() >= serverCap) return Promise.resolve({ ok: false, cap: serverCapName, limit: serverCap, message: refusalMessage(agent, serverCapName, serverCap) });
      if (kind === 'claim') {
        let oldest: [string, LocalEntry] | undefined;
        for (const pair of entries) if (pair[1].agent === agent && pair[1].kind === 'hold' && (!oldest || pair[1].expiresAt < oldest[1].expiresAt)) oldest = pair;
        if (oldest) {
          entries.delete(oldest[0]);
          entries.set(callId, { agent, kind: 'call', expiresAt: Infinity });
          return Promise.resolve({ ok: true, slot: slotFor(agent, callId) });
        }
      }
      const agentCap = capOf(options.caps.agentCaps?.[agent]);
      if (agentCap && count(agent) >= agentCap) return Promise.resolve({ ok: false, cap: 'agent', limit: agentCap, message: refusalMessage(agent, 'agent', agentCap) });
      entries.set(callId, { agent, kind: kind === 'hold' ? 'hold' : 'call', expiresAt: kind === 'hold' ? clock.now() + holdMs : Infinity });
      return Promise.resolve({ ok: true, slot: slotFor(agent, callId) });
    },
    get held() {
      prune();
      return entries.size;
    },
    async close() {
      entries.clear();
    },
  };
}

/**
 * Parses `--agent-cap name=N` values. Throws an Error naming the bad value (the CLI turns it into a usage error).
 */
export function parseAgentCaps(values: readonly string[]): Record<string, number> {
  const caps: Record<string, number> = {};
  for (const value of values) {
    const match = /^([^=\s]+)=(\d+)$/.exec(value.trim());
    const n = match ? Number(match[2]) : NaN;
    if (!match || !Number.isInteger(n) || n < 1) throw new Error(`--agent-cap takes NAME=N with N a whole number of 1 or more (e.g. --agent-cap receptionist=20), got ${JSON.stringify(value)}`);
    caps[match[1]!] = n;
  }
  return caps;
}
