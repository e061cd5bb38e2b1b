/*
 * Recorded call event streams: one JSON event per line (JSONL), as the runtime's event feed or a recorded
 * simulated call writes them. Drop a `*.jsonl` file into `test/observe/streams/` and the recorded-streams test
 * folds it and checks the view's invariants.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CallEvent } from '../../runtime/call/events.js';
import { deepFreeze } from './events.js';

/** Folder of recorded streams checked by the tests. */
export const STREAMS_DIR = new URL('./streams/', import.meta.url);

/**
 * The events of a JSONL file, in file order, deep-frozen like the emitter's. Blank lines are skipped; a line
 * that is not a JSON object with a `type` and a numeric `seq` fails with its file and line number.
 */
export function readEventStream(path: string | URL): CallEvent[] {
  const events: CallEvent[] = [];
  readFileSync(path, 'utf8').split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new Error(`${String(path)}:${i + 1}: not JSON (${(error as Error).message}); each line must hold one call event`);
    }
    const event = value as Partial<CallEvent> | null;
    if (!event || typeof event !== 'object' || typeof event.type !== 'string' || typeof event.seq !== 'number') {
      throw new Error(`${String(path)}:${i + 1}: not a call event (it needs a "type" and a numeric "seq")`);
    }
    events.push(deepFreeze(event as CallEvent));
  });
  return events;
}

/** Events as JSONL text (one event per line), the format `readEventStream` reads. */
export function toJsonl(events: readonly CallEvent[]): string {
  return events.map((event) => JSON.stringify(event)).join('\n') + '\n';
}

/** Paths of the recorded streams in {@link STREAMS_DIR}, sorted. */
export function recordedStreams(): string[] {
  const dir = fileURLToPath(STREAMS_DIR);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((name) => name.endsWith('.jsonl')).sort().map((name) => join(dir, name));
}
