/*
 * What `serve` adds to run as one of a fleet: admission caps (in-process, or fleet-wide over Redis), the records
 * index and the fleet-wide call directory, and retention. One place builds them from the serve options, so
 * serve.ts only wires them in.
 */
import { join } from 'node:path';
import type { CallRecord } from '../call/call-record.js';
import { createLocalAdmission, type Admission } from './admission.js';
import { createAdmissionGate, type AdmissionGate } from './admission-gate.js';
import { createRedisAdmission, newServerId } from './admission-redis.js';
import { createLocalCallDirectory, type CallDirectory, type CallHolder } from './call-directory.js';
import type { Logger } from './logger.js';
import { createFleetCallDirectory, createRedisRecordsIndex, type RecordsIndex } from './records-index.js';
import { startRetention, type Retention } from './retention.js';

/** Fleet settings of `voiceagent serve`. Every field is optional: none of them, one server and no caps. */
export interface FleetSettings {
  /** Calls this server runs at once (`--max-calls`); with `--workers` and no Redis, per worker process. */
  readonly maxCalls?: number;
  /** Calls of one agent at once, by agent name (`--agent-cap name=N`); fleet-wide with Redis. */
  readonly agentCaps?: Readonly<Record<string, number>>;
  /** Calls at once across the fleet (`--fleet-max-calls`, Redis). */
  readonly fleetMaxCalls?: number;
  /** `redis://…` shared by the fleet (`--registry`): slots and the records index live there. */
  readonly redisUrl?: string;
  /** Key prefix in Redis. Default `voiceagent:` (the registry's). */
  readonly redisPrefix?: string;
  /** This server's id in the fleet (the workers of one `serve` share it). Default: host-pid-random. */
  readonly serverId?: string;
  /** The base URL other servers reach this one at, to fetch its records (`--advertise-url`). Default: the listening URL. */
  readonly advertiseUrl?: string;
  /** How long a slot lives without a heartbeat, ms (`--slot-ttl-ms`, default 5000); heartbeats every fifth of it. */
  readonly slotTtlMs?: number;
  /** Keep records of the last N days (`--retain-days`). */
  readonly retainDays?: number;
  /** Keep the newest N records of this server (`--retain-calls`). */
  readonly retainCalls?: number;
}

/** The fleet parts of one running server. */
export interface ServerFleet {
  readonly serverId: string;
  readonly admission?: Admission;
  /** What the endpoints ask before a call starts (absent: no caps at all). */
  readonly gate?: AdmissionGate;
  /** Records through this server: its own disk, and with Redis the whole fleet. */
  readonly calls: CallDirectory;
  /** Indexes a written record (Redis only). */
  readonly onRecordWritten?: (record: CallRecord) => Promise<void>;
  /** Call once listening: the URL the index gives for this server unless `advertiseUrl` is set. */
  listening(url: string): void;
  /** Stops heartbeats and retention, releases what is still held, closes connections. */
  close(): Promise<void>;
}

/** Builds the fleet parts from `settings`. Connects to Redis lazily: a server starts even while Redis is down. */
export function createServerFleet(settings: FleetSettings, context: { readonly dataDir: string; readonly log: Logger; readonly token?: string }): ServerFleet {
  const { log } = context;
  const serverId = settings.serverId ?? newServerId();
  const caps = {
    ...(settings.maxCalls ? { serverMaxCalls: settings.maxCalls } : {}),
    ...(settings.agentCaps ? { agentCaps: settings.agentCaps } : {}),
    ...(settings.fleetMaxCalls ? { fleetMaxCalls: settings.fleetMaxCalls } : {}),
  };
  const capped = Object.keys(caps).length > 0;
  const slotTtlMs = settings.slotTtlMs ?? 5000;
  const prefix = settings.redisPrefix ?? 'voiceagent:';
  const redisAdmission = settings.redisUrl ? createRedisAdmission({ url: settings.redisUrl, prefix, serverId, caps, slotTtlMs, heartbeatMs: Math.max(50, Math.round(slotTtlMs / 5)), log }) : undefined;
  // Without caps there is nothing to count; with Redis the slots are still reserved so the fleet sees the calls.
  const admission: Admission | undefined = redisAdmission ?? (capped ? createLocalAdmission({ caps }) : undefined);
  const self: { id: string; url: string } = { id: serverId, url: settings.advertiseUrl ?? '' };
  const holder: CallHolder = {
    id: serverId,
    get url() {
      return self.url;
    },
  };
  const callsDir = join(context.dataDir, 'calls');
  const local = createLocalCallDirectory(callsDir);
  const index: RecordsIndex | undefined = redisAdmission ? createRedisRecordsIndex({ redis: redisAdmission.redis, prefix, server: holder }) : undefined;
  const calls = index ? createFleetCallDirectory({ local, index, self: holder, ...(context.token ? { token: context.token } : {}) }) : local;
  let retention: Retention | undefined;
  const startRetentionOnce = () => {
    if (retention || !(settings.retainDays || settings.retainCalls)) return;
    retention = startRetention({
      callsDir,
      ...(settings.retainDays ? { retainDays: settings.retainDays } : {}),
      ...(settings.retainCalls ? { retainCalls: settings.retainCalls } : {}),
      ...(index ? { index } : {}),
      log,
    });
  };
  return {
    serverId,
    ...(admission ? { admission, gate: createAdmissionGate(admission, log) } : {}),
    calls,
    ...(index
      ? {
          onRecordWritten: async (record: CallRecord) => {
            await index.add(record);
          },
        }
      : {}),
    listening(url) {
      if (!settings.advertiseUrl) self.url = url;
      if (admission) log.info('admission', { kind: admission.kind, serverId, maxCalls: settings.maxCalls, fleetMaxCalls: settings.fleetMaxCalls, agentCaps: settings.agentCaps ? JSON.stringify(settings.agentCaps) : undefined, slotTtlMs: redisAdmission ? slotTtlMs : undefined });
      startRetentionOnce();
    },
    async close() {
      retention?.stop();
      await admission?.close();
    },
  };
}
