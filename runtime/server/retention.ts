/*
 * Retention of call records (`serve --retain-days N`, `--retain-calls N`): at start and then hourly, a server
 * deletes its own records (and WAVs) older than N days, or beyond its newest N, and forgets them in the fleet's
 * records index. Each server deletes only what is on its disk; by age it also forgets every index entry older
 * than the cutoff, so the entries of a server gone for good do not outlive the policy.
 */
import { readdirSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { realClock, type Clock } from '../util/clock.js';
import { localRecordFiles, type LocalRecordFile } from './call-directory.js';
import type { Logger } from './logger.js';
import type { RecordsIndex } from './records-index.js';

/** What to keep. Absent or 0: no limit of that kind. */
export interface RetentionPolicy {
  /** Keep records of calls started in the last N days. */
  readonly retainDays?: number;
  /** Keep the newest N records. */
  readonly retainCalls?: number;
}

/** Options of {@link startRetention}. */
export interface RetentionOptions extends RetentionPolicy {
  /** `<data>/calls`. */
  readonly callsDir: string;
  /** Wall-clock time, ms since the epoch (default `Date.now`). */
  readonly now?: () => number;
  /** Schedules the hourly pass (default: real timers). */
  readonly clock?: Clock;
  /** Between passes, ms. Default 3600000 (an hour). */
  readonly intervalMs?: number;
  /** The fleet's index, to forget pruned calls in. */
  readonly index?: Pick<RecordsIndex, 'remove' | 'removeStartedBefore'>;
  readonly log: Logger;
}

const DAY_MS = 86_400_000;

/**
 * Which of this server's records the policy deletes: by age, the day folders older than the cutoff's day and,
 * on the cutoff's day itself, the files last written before it; by count, all but the newest N (by day, then
 * by when the record was written).
 */
export function recordsToPrune(callsDir: string, policy: RetentionPolicy, nowMs: number): LocalRecordFile[] {
  const files = localRecordFiles(callsDir).map((file) => ({ file, writtenMs: mtimeMs(file.json) }));
  files.sort((a, b) => b.file.day.localeCompare(a.file.day) || b.writtenMs - a.writtenMs);
  const doomed = new Set<LocalRecordFile>();
  const days = policy.retainDays ?? 0;
  if (days > 0) {
    const cutoffMs = nowMs - days * DAY_MS;
    const cutoffDay = new Date(cutoffMs).toISOString().slice(0, 10);
    for (const { file, writtenMs } of files) if (file.day < cutoffDay || (file.day === cutoffDay && writtenMs < cutoffMs)) doomed.add(file);
  }
  const keep = policy.retainCalls ?? 0;
  if (keep > 0) for (const { file } of files.slice(keep)) doomed.add(file);
  return files.map(({ file }) => file).filter((file) => doomed.has(file));
}

/** Deletes the records (with their WAVs) the policy rejects and the day folders left empty; returns their call ids. */
export function pruneRecords(callsDir: string, policy: RetentionPolicy, nowMs: number): string[] {
  const pruned: string[] = [];
  const days = new Set<string>();
  for (const file of recordsToPrune(callsDir, policy, nowMs)) {
    for (const path of [file.json, file.json.replace(/\.json$/, '.wav')]) {
      try {
        unlinkSync(path);
      } catch {
        // No WAV (the usual case), or removed already.
      }
    }
    pruned.push(file.callId);
    days.add(file.day);
  }
  for (const day of days) {
    try {
      if (readdirSync(join(callsDir, day)).length === 0) rmdirSync(join(callsDir, day));
    } catch {
      // A call wrote into it meanwhile: keep it.
    }
  }
  return pruned;
}

/** A running retention: a pass now and every `intervalMs`. */
export interface Retention {
  /** Runs one pass now; resolves with the call ids pruned. */
  prune(): Promise<string[]>;
  stop(): void;
}

/** Starts pruning (a first pass at once). Without a policy it does nothing. Failures are logged, never thrown. */
export function startRetention(options: RetentionOptions): Retention {
  const clock = options.clock ?? realClock;
  const now = options.now ?? Date.now;
  const active = (options.retainDays ?? 0) > 0 || (options.retainCalls ?? 0) > 0;
  let timer: unknown;
  let stopped = false;
  const prune = async (): Promise<string[]> => {
    if (!active) return [];
    try {
      const pruned = pruneRecords(options.callsDir, options, now());
      if (pruned.length > 0) {
        options.log.info('retention: call records pruned', { pruned: pruned.length, retainDays: options.retainDays, retainCalls: options.retainCalls });
        await options.index?.remove(pruned);
      }
      if ((options.retainDays ?? 0) > 0) await options.index?.removeStartedBefore(now() - options.retainDays! * DAY_MS);
      return pruned;
    } catch (error) {
      options.log.warn('retention: pruning failed; trying again at the next pass', { message: (error as Error)?.message });
      return [];
    }
  };
  const schedule = () => {
    if (stopped || !active) return;
    timer = clock.setTimeout(() => void prune().finally(schedule), options.intervalMs ?? 3_600_000);
    // An hourly timer must not keep a drained server alive.
    (timer as { unref?: () => void } | undefined)?.unref?.();
  };
  void prune().finally(schedule);
  return {
    prune,
    stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
    },
  };
}

function mtimeMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
