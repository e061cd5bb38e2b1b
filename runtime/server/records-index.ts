/*
 * The fleet's records index, in the registry's Redis: a call's record stays on the server that ran it, and the
 * index says which server (id and base URL) holds which call, with what a listing needs.
 *
 *   <p>calls:index        hash  callId -> CallSummary JSON (with `server`)
 *   <p>calls:by-start     zset  callId scored by its start (ms since the epoch), for newest-first listings
 *
 * A listing reads the index only; fetching a record forwards the request to its holder (with the admin token
 * and `x-voiceagent-forwarded`, so the holder answers from its disk and never forwards again).
 */
import type { Redis } from 'ioredis';
import type { CallRecord } from '../call/call-record.js';
import { DEFAULT_CALL_LIMIT, matchesQuery, MAX_CALL_LIMIT, summaryOfRecord, type CallDirectory, type CallHolder, type CallQuery, type CallSummary, type FetchedFile } from './call-directory.js';

/** The header a forwarded record request carries: the holder answers from its own disk. */
export const FORWARDED_HEADER = 'x-voiceagent-forwarded';

/** Where calls are, fleet-wide. */
export interface RecordsIndex {
  /** Indexes a written record as held by this server. */
  add(record: CallRecord): Promise<void>;
  /** Who holds a call, and its summary. */
  get(callId: string): Promise<CallSummary | undefined>;
  /** Matching calls, newest first. */
  list(query: CallQuery): Promise<CallSummary[]>;
  /** Forgets calls (retention pruned their records). */
  remove(callIds: readonly string[]): Promise<void>;
  /** Forgets every call started before `ms` (epoch), whichever server held it; returns how many. */
  removeStartedBefore(ms: number): Promise<number>;
}

/** The index in Redis under `prefix`, written as `server`. */
export function createRedisRecordsIndex(options: { readonly redis: Redis; readonly prefix: string; readonly server: CallHolder }): RecordsIndex {
  const { redis, server } = options;
  const hash = `${options.prefix}calls:index`;
  const byStart = `${options.prefix}calls:by-start`;
  const parse = (text: string | null | undefined): CallSummary | undefined => {
    if (!text) return undefined;
    try {
      return JSON.parse(text) as CallSummary;
    } catch {
      return undefined;
    }
  };
  return {
    async add(record) {
      const summary = summaryOfRecord(record, server);
      await redis.multi().hset(hash, record.callId, JSON.stringify(summary)).zadd(byStart, Date.parse(record.startedAt) || 0, record.callId).exec();
    },
    async get(callId) {
      return parse(await redis.hget(hash, callId));
    },
    async list(query) {
      const limit = Math.min(query.limit ?? DEFAULT_CALL_LIMIT, MAX_CALL_LIMIT);
      const max = query.until ? `(${Date.parse(query.until)}` : '+inf';
      const min = query.since ? String(Date.parse(query.since)) : '-inf';
      const found: CallSummary[] = [];
      // Pages of ids newest first, filtered here (agent, version, end reason) until `limit` match.
      for (let offset = 0; found.length < limit; offset += 200) {
        const ids = await redis.zrevrangebyscore(byStart, max, min, 'LIMIT', offset, 200);
        if (ids.length === 0) break;
        const summaries = await redis.hmget(hash, ...ids);
        for (const text of summaries) {
          const summary = parse(text);
          if (summary && matchesQuery(summary, query)) found.push(summary);
          if (found.length >= limit) break;
        }
        if (ids.length < 200) break;
      }
      return found;
    },
    async remove(callIds) {
      if (callIds.length === 0) return;
      await redis.multi().hdel(hash, ...callIds).zrem(byStart, ...callIds).exec();
    },
    async removeStartedBefore(ms) {
      let removed = 0;
      for (;;) {
        const ids = await redis.zrangebyscore(byStart, '-inf', `(${ms}`, 'LIMIT', 0, 500);
        if (ids.length === 0) return removed;
        await this.remove(ids);
        removed += ids.length;
      }
    },
  };
}

/** Options of {@link createFleetCallDirectory}. */
export interface FleetCallDirectoryOptions {
  /** This server's own records. */
  readonly local: CallDirectory;
  readonly index: RecordsIndex;
  /** This server, so a call indexed as its own is never forwarded to itself. */
  readonly self: CallHolder;
  /** The admin token sent to the holder (`VOICEAGENT_TOKEN`: the fleet shares one). */
  readonly token?: string;
  /** How long a forwarded request may take, ms. Default 10000. */
  readonly timeoutMs?: number;
  /** Default: the global fetch. */
  readonly fetch?: typeof fetch;
}

/**
 * Records of the whole fleet: listings from the index, records and WAVs from this server's disk when they are
 * here, else forwarded to the server the index names. A holder that is down answers 502 with its URL.
 */
export function createFleetCallDirectory(options: FleetCallDirectoryOptions): CallDirectory {
  const doFetch = options.fetch ?? fetch;
  const forward = async (callId: string, suffix: '' | '/wav', local: { readonly local?: boolean } | undefined, here: () => Promise<FetchedFile | undefined>): Promise<FetchedFile | undefined> => {
    const mine = await here();
    if (mine || local?.local) return mine;
    const summary = await options.index.get(callId);
    if (!summary?.server || summary.server.id === options.self.id) return undefined;
    const url = `${summary.server.url.replace(/\/+$/, '')}/v1/calls/${encodeURIComponent(callId)}${suffix}`;
    try {
      const response = await doFetch(url, {
        headers: { [FORWARDED_HEADER]: '1', ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      if (response.status === 404) return undefined;
      return { status: response.status, type: response.headers.get('content-type') ?? 'application/octet-stream', body: Buffer.from(await response.arrayBuffer()) };
    } catch (error) {
      const message = `the server holding call ${callId} (${summary.server.id} at ${summary.server.url}) did not answer: ${(error as Error).message}`;
      return { status: 502, type: 'application/json', body: Buffer.from(JSON.stringify({ error: 'holder-unreachable', message }) + '\n') };
    }
  };
  return {
    list: (query) => options.index.list(query),
    record: (callId, local) => forward(callId, '', local, () => options.local.record(callId)),
    wav: (callId, local) => forward(callId, '/wav', local, () => options.local.wav(callId)),
  };
}
