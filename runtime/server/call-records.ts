import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { CallRecord } from '../call/call-record.js';

/**
 * Call records on disk, under `<data>/calls/<YYYY-MM-DD>/<callId>.json` (the day the call started, UTC): written
 * whole to a temporary file, flushed and renamed, so a reader (or a crash) never sees half a record.
 */
export interface RecordStore {
  /** The folder records go to. */
  readonly dir: string;
  /** Writes a call's record; returns its path. Throws on I/O failure (the caller logs it). */
  write(record: CallRecord): string;
  /** Where a call's stereo WAV goes (beside its record). */
  wavPath(record: Pick<CallRecord, 'callId' | 'startedAt'>): string;
}

/** Creates the record store of a server's `--data` folder. */
export function createRecordStore(dataDir: string): RecordStore {
  const dir = join(dataDir, 'calls');
  const dayDir = (startedAt: string) => {
    const day = join(dir, startedAt.slice(0, 10) || 'unknown-day');
    mkdirSync(day, { recursive: true });
    return day;
  };
  return {
    dir,
    write(record) {
      const path = join(dayDir(record.startedAt), `${record.callId}.json`);
      const temp = `${path}.${process.pid}.tmp`;
      const fd = openSync(temp, 'w');
      try {
        writeFileSync(fd, JSON.stringify(record, null, 2) + '\n');
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, path);
      return path;
    },
    wavPath(record) {
      return join(dayDir(record.startedAt), `${record.callId}.wav`);
    },
  };
}

/**
 * A stereo 16-bit WAV written as the call goes (left: the caller as received, right: the agent as sent), so a
 * long call is never held in memory. The header's sizes are patched when it is closed; a crash leaves a file
 * whose header says 0 bytes of data, which players and `sox` still read up to its end with a warning.
 */
export interface StreamingWav {
  /** One frame of the timeline: the caller's frame and the agent's audio sent during it (each padded to `frame`). */
  write(caller: Int16Array, agent: Int16Array): void;
  close(): void;
}

/** Opens a streaming stereo WAV at `path`. */
export function openStreamingWav(path: string, sampleRate: number): StreamingWav {
  const fd = openSync(path, 'w');
  writeSync(fd, header(sampleRate, 0));
  let dataBytes = 0;
  let closed = false;
  return {
    write(caller, agent) {
      if (closed) return;
      const n = Math.max(caller.length, agent.length);
      const out = Buffer.alloc(n * 4);
      for (let i = 0; i < n; i++) {
        out.writeInt16LE(caller[i] ?? 0, i * 4);
        out.writeInt16LE(agent[i] ?? 0, i * 4 + 2);
      }
      writeSync(fd, out);
      dataBytes += out.length;
    },
    close() {
      if (closed) return;
      closed = true;
      writeSync(fd, header(sampleRate, dataBytes), 0, 44, 0);
      closeSync(fd);
    },
  };
}

function header(sampleRate: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(2, 22); // stereo
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 4, 28);
  h.writeUInt16LE(4, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}
