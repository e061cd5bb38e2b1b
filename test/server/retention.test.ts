/*
 * Retention: a server keeping 30 days of records deletes the older ones (with their WAVs) at start and again an
 * hour later on the injected clock, forgets them in the records index, and never touches the newer ones;
 * keeping N calls leaves the newest N.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalCallDirectory } from '../../runtime/server/call-directory.js';
import { silentLogger } from '../../runtime/server/logger.js';
import { pruneRecords, startRetention } from '../../runtime/server/retention.js';
import { createSimulatedClock } from '../../runtime/util/clock.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-07T12:00:00Z');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Writes a record of a call started `daysAgo` before NOW (file written at that time too), with a WAV. */
function writeRecord(callsDir: string, callId: string, startedMs: number, agent = 'receptionist'): void {
  const startedAt = new Date(startedMs).toISOString();
  const day = join(callsDir, startedAt.slice(0, 10));
  mkdirSync(day, { recursive: true });
  const json = join(day, `${callId}.json`);
  writeFileSync(json, JSON.stringify({ callId, agent: { name: agent, mode: 'pipeline', version: 'vabc' }, startedAt, startedAtMs: 0, endedAtMs: 5000, endReason: 'caller-hangup' }));
  writeFileSync(join(day, `${callId}.wav`), 'RIFF');
  utimesSync(json, new Date(startedMs + 5000), new Date(startedMs + 5000));
}

function callsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'voiceagent-retention-'));
  dirs.push(dir);
  return join(dir, 'calls');
}

describe('retention', () => {
  it('--retain-days 30 prunes older records and their WAVs at start and an hour later, and forgets them in the index', async () => {
    const dir = callsDir();
    writeRecord(dir, 'old', NOW - 40 * DAY);
    writeRecord(dir, 'edge-old', NOW - 30 * DAY - 60_000);
    writeRecord(dir, 'edge-new', NOW - 30 * DAY + 30 * 60_000);
    writeRecord(dir, 'recent', NOW - DAY);
    const clock = createSimulatedClock(0);
    const forgotten: string[] = [];
    const cutoffs: number[] = [];
    const index = { remove: async (ids: readonly string[]) => void forgotten.push(...ids), removeStartedBefore: async (ms: number) => (cutoffs.push(ms), 0) };
    const retention = startRetention({ callsDir: dir, retainDays: 30, now: () => NOW + clock.now(), clock, index, log: silentLogger });
    await new Promise((resolve) => setImmediate(resolve));
    expect(forgotten.sort()).toEqual(['edge-old', 'old']);
    expect(cutoffs).toEqual([NOW - 30 * DAY]);
    expect(existsSync(join(dir, new Date(NOW - 40 * DAY).toISOString().slice(0, 10)))).toBe(false);
    const left = (await createLocalCallDirectory(dir).list({})).map((c) => c.callId);
    expect(left).toEqual(['recent', 'edge-new']);

    // An hour on, the boundary call is 30 days old too.
    clock.advance(3_600_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(forgotten).toContain('edge-new');
    expect(readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.wav'))).toHaveLength(1);
    retention.stop();
    expect(clock.pending()).toBe(0);
  });

  it('--retain-calls 2 keeps the newest two', () => {
    const dir = callsDir();
    for (let i = 0; i < 5; i++) writeRecord(dir, `call-${i}`, NOW - (5 - i) * 3_600_000);
    expect(pruneRecords(dir, { retainCalls: 2 }, NOW).sort()).toEqual(['call-0', 'call-1', 'call-2']);
    expect(pruneRecords(dir, { retainCalls: 2 }, NOW)).toEqual([]);
  });

  it('without a policy nothing is pruned and no timer is left', async () => {
    const dir = callsDir();
    writeRecord(dir, 'old', NOW - 400 * DAY);
    const clock = createSimulatedClock(0);
    const retention = startRetention({ callsDir: dir, now: () => NOW, clock, log: silentLogger });
    expect(await retention.prune()).toEqual([]);
    expect(clock.pending()).toBe(0);
  });
});
