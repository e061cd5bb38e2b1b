/*
 * What the server's own call records say about a bench:serve phase: the calls are found by the `callSid` the
 * callers gave them (`CA<label>-<n>`), under `<data>/calls/<day>/<callId>.json`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallRecord } from '../runtime/call/call-record.js';
import { summarize, type Summary } from './stats.js';

/** Figures from a phase's call records. */
export interface RecordFigures {
  readonly records: number;
  /** Caller turns whose reply started (answered, or cut by a hang-up or a barge-in after its first frame). */
  readonly answeredTurns: number;
  /** Turn spans as the runtime measured them (turns whose reply started), ms. */
  readonly spans: { readonly endpointingMs: Summary; readonly sttFinalMs: Summary; readonly llmFirstTokenMs: Summary; readonly ttsFirstAudioMs: Summary; readonly responseMs: Summary };
  /** Barge-ins by kind (`interrupt`, `false`, `backchannel`, `pending`). */
  readonly bargeIns: Readonly<Record<string, number>>;
  /** Onset -> playout reacted, as the server measured it (audio time), ms. */
  readonly serverReactionMs: Summary;
  readonly failures: number;
  readonly endReasons: Readonly<Record<string, number>>;
}

/** Reads the records of the calls whose callSid starts with `CA<label>-`. */
export function readRecordFigures(dataDir: string, label: string): RecordFigures {
  const records: CallRecord[] = [];
  const callsDir = join(dataDir, 'calls');
  let days: string[] = [];
  try {
    days = readdirSync(callsDir);
  } catch {
    // No record yet.
  }
  const prefix = `CA${label}-`;
  for (const day of days) {
    for (const name of readdirSync(join(callsDir, day))) {
      if (!name.endsWith('.json')) continue;
      const text = readFileSync(join(callsDir, day, name), 'utf8');
      // Cheap filter before parsing every record of every phase.
      if (!text.includes(`"${prefix}`)) continue;
      const record = JSON.parse(text) as CallRecord;
      if (record.transport?.ids?.callSid?.startsWith(prefix)) records.push(record);
    }
  }
  const turns = records.flatMap((r) => r.turns).filter((t) => t.spans.responseMs !== undefined);
  const span = (key: keyof (typeof turns)[number]['spans']) => summarize(turns.map((t) => t.spans[key]).filter((v): v is number => v !== undefined));
  const tally = (values: readonly string[]) => values.reduce<Record<string, number>>((acc, v) => ((acc[v] = (acc[v] ?? 0) + 1), acc), {});
  const bargeIns = records.flatMap((r) => r.bargeIns);
  return {
    records: records.length,
    answeredTurns: turns.length,
    spans: { endpointingMs: span('endpointingMs'), sttFinalMs: span('sttFinalMs'), llmFirstTokenMs: span('llmFirstTokenMs'), ttsFirstAudioMs: span('ttsFirstAudioMs'), responseMs: span('responseMs') },
    bargeIns: tally(bargeIns.map((b) => b.kind)),
    serverReactionMs: summarize(bargeIns.map((b) => b.reactionMs).filter((v): v is number => v !== undefined)),
    failures: records.reduce((n, r) => n + r.failures.length, 0),
    endReasons: tally(records.map((r) => r.endReason ?? 'unknown')),
  };
}
