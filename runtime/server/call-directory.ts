/*
 * Finding call records: the ones on this server's disk (`<data>/calls/<day>/<callId>.json`), and with a fleet
 * the ones on any server, through the records index (records-index.ts) and a forwarded request to the server
 * that holds the record. `GET /v1/calls`, `GET /v1/calls/:id` and `/wav` answer from a {@link CallDirectory}.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallRecord } from '../call/call-record.js';

/** Which server holds a call's record. */
export interface CallHolder {
  readonly id: string;
  /** The base URL the other servers reach it at (`serve --advertise-url`). */
  readonly url: string;
}

/** One call in a listing. */
export interface CallSummary {
  readonly callId: string;
  readonly agent: string;
  readonly version?: string;
  /** ISO 8601. */
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly endReason?: string;
  /** The server holding the record (fleet listings). */
  readonly server?: CallHolder;
}

/** Filters of a listing (`GET /v1/calls?agent=&version=&since=&until=&endReason=&limit=`). */
export interface CallQuery {
  readonly agent?: string;
  readonly version?: string;
  /** ISO 8601: calls started at or after. */
  readonly since?: string;
  /** ISO 8601: calls started before. */
  readonly until?: string;
  readonly endReason?: string;
  /** At most this many, newest first. Default 100. */
  readonly limit?: number;
}

/** A fetched record or WAV, as the holder answered it. */
export interface FetchedFile {
  readonly status: number;
  readonly type: string;
  readonly body: Buffer;
}

/** Lists and fetches call records. */
export interface CallDirectory {
  /** Calls matching `query`, newest first. */
  list(query: CallQuery): Promise<CallSummary[]>;
  /** A call's record JSON; undefined when no server has it. `local`: only this server's disk (a forwarded request). */
  record(callId: string, options?: { readonly local?: boolean }): Promise<FetchedFile | undefined>;
  /** A call's stereo WAV (`serve --record`); undefined when there is none. */
  wav(callId: string, options?: { readonly local?: boolean }): Promise<FetchedFile | undefined>;
}

/** Default and largest `limit` of a listing. */
export const DEFAULT_CALL_LIMIT = 100;
export const MAX_CALL_LIMIT = 1000;

/** The summary of a record, for listings and the index. */
export function summaryOfRecord(record: CallRecord, server?: CallHolder): CallSummary {
  const endedAt = record.endedAtMs !== undefined ? new Date(Date.parse(record.startedAt) + record.endedAtMs).toISOString() : undefined;
  return {
    callId: record.callId,
    agent: record.agent.name,
    ...(record.agent.version ? { version: record.agent.version } : {}),
    startedAt: record.startedAt,
    ...(endedAt ? { endedAt } : {}),
    ...(record.endReason ? { endReason: record.endReason } : {}),
    ...(server ? { server } : {}),
  };
}

/** True when `summary` passes `query`'s filters (not its limit). */
export function matchesQuery(summary: CallSummary, query: CallQuery): boolean {
  if (query.agent && summary.agent !== query.agent) return false;
  if (query.version && summary.version !== query.version) return false;
  if (query.endReason && summary.endReason !== query.endReason) return false;
  const started = Date.parse(summary.startedAt);
  if (query.since && !(started >= Date.parse(query.since))) return false;
  if (query.until && !(started < Date.parse(query.until))) return false;
  return true;
}

/** The call ids are UUIDs: anything else never names a file (no `../`). */
const CALL_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** A record file on this server's disk. */
export interface LocalRecordFile {
  readonly callId: string;
  /** `YYYY-MM-DD` folder. */
  readonly day: string;
  readonly json: string;
}

/** Every record file under `<calls>/<day>/`, newest day first (unordered within a day). */
export function localRecordFiles(callsDir: string): LocalRecordFile[] {
  if (!existsSync(callsDir)) return [];
  const out: LocalRecordFile[] = [];
  for (const day of readdirSync(callsDir).sort().reverse()) {
    let names: string[];
    try {
      names = readdirSync(join(callsDir, day));
    } catch {
      continue; // not a folder
    }
    for (const name of names) if (name.endsWith('.json')) out.push({ callId: name.slice(0, -5), day, json: join(callsDir, day, name) });
  }
  return out;
}

/** The records on this server's disk (`callsDir` is `<data>/calls`). */
export function createLocalCallDirectory(callsDir: string): CallDirectory {
  const find = (callId: string, ext: '.json' | '.wav'): string | undefined => {
    if (!CALL_ID.test(callId) || !existsSync(callsDir)) return undefined;
    for (const day of readdirSync(callsDir).sort().reverse()) {
      const path = join(callsDir, day, `${callId}${ext}`);
      if (existsSync(path)) return path;
    }
    return undefined;
  };
  return {
    async list(query) {
      const limit = Math.min(query.limit ?? DEFAULT_CALL_LIMIT, MAX_CALL_LIMIT);
      const found: CallSummary[] = [];
      let day: string | undefined;
      for (const file of localRecordFiles(callsDir)) {
        // Days come newest first: once `limit` calls are in and a day is done, older days cannot place.
        if (file.day !== day && found.length >= limit) break;
        day = file.day;
        let summary: CallSummary;
        try {
          summary = summaryOfRecord(JSON.parse(readFileSync(file.json, 'utf8')) as CallRecord);
        } catch {
          continue; // a record being pruned, or not ours
        }
        if (matchesQuery(summary, query)) found.push(summary);
      }
      return found.sort((a, b) => b.startedAt.localeCompare(a.startedAt)).slice(0, limit);
    },
    async record(callId) {
      const path = find(callId, '.json');
      return path ? { status: 200, type: 'application/json', body: readFileSync(path) } : undefined;
    },
    async wav(callId) {
      const path = find(callId, '.wav');
      return path ? { status: 200, type: 'audio/wav', body: readFileSync(path) } : undefined;
    },
  };
}
