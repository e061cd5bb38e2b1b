/*
 * Call records through any server: this server's records come from its disk; a call the index says another
 * server holds is fetched from that server with the token and the forwarded header (so it answers from its own
 * disk and never forwards again); a holder that is down is a 502 naming it; a forwarded request never leaves.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalCallDirectory, type CallSummary } from '../../runtime/server/call-directory.js';
import { createFleetCallDirectory, FORWARDED_HEADER, type RecordsIndex } from '../../runtime/server/records-index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function callsDirWith(records: Array<{ callId: string; startedAt: string; agent: string; endReason?: string }>): string {
  const dir = mkdtempSync(join(tmpdir(), 'voiceagent-calls-'));
  dirs.push(dir);
  for (const r of records) {
    const day = join(dir, 'calls', r.startedAt.slice(0, 10));
    mkdirSync(day, { recursive: true });
    writeFileSync(join(day, `${r.callId}.json`), JSON.stringify({ callId: r.callId, agent: { name: r.agent, mode: 'pipeline' }, startedAt: r.startedAt, startedAtMs: 0, endReason: r.endReason }));
  }
  return join(dir, 'calls');
}

const fakeIndex = (summaries: CallSummary[]): RecordsIndex => ({
  add: async () => {},
  get: async (callId) => summaries.find((s) => s.callId === callId),
  list: async () => summaries,
  remove: async () => {},
  removeStartedBefore: async () => 0,
});

describe('call directory', () => {
  it('lists this server’s records newest first with filters, and refuses ids that are not call ids', async () => {
    const dir = callsDirWith([
      { callId: 'a', startedAt: '2026-12-01T09:00:00.000Z', agent: 'receptionist', endReason: 'caller-hangup' },
      { callId: 'b', startedAt: '2026-12-02T09:00:00.000Z', agent: 'dispatch', endReason: 'silence' },
      { callId: 'c', startedAt: '2026-12-02T10:00:00.000Z', agent: 'receptionist', endReason: 'caller-hangup' },
    ]);
    const local = createLocalCallDirectory(dir);
    expect((await local.list({})).map((c) => c.callId)).toEqual(['c', 'b', 'a']);
    expect((await local.list({ agent: 'receptionist', limit: 1 })).map((c) => c.callId)).toEqual(['c']);
    expect((await local.list({ endReason: 'silence' })).map((c) => c.callId)).toEqual(['b']);
    expect((await local.list({ since: '2026-12-02T00:00:00Z' })).map((c) => c.callId)).toEqual(['c', 'b']);
    expect(JSON.parse((await local.record('b'))!.body.toString()).agent.name).toBe('dispatch');
    expect(await local.record('../../etc/passwd')).toBeUndefined();
    expect(await local.wav('b')).toBeUndefined();
  });

  it('forwards to the holder with the token, answers its own records locally, and says 502 when the holder is down', async () => {
    const local = createLocalCallDirectory(callsDirWith([{ callId: 'mine', startedAt: '2026-12-02T09:00:00.000Z', agent: 'receptionist' }]));
    const self = { id: 'server-a', url: 'http://a:8080' };
    const index = fakeIndex([
      { callId: 'theirs', agent: 'receptionist', startedAt: '2026-12-02T09:00:00.000Z', server: { id: 'server-b', url: 'http://b:8080/' } },
      { callId: 'down', agent: 'receptionist', startedAt: '2026-12-02T09:00:00.000Z', server: { id: 'server-c', url: 'http://c:8080' } },
      { callId: 'pruned', agent: 'receptionist', startedAt: '2026-12-02T09:00:00.000Z', server: self },
    ]);
    const asked: Array<{ url: string; headers: Record<string, string> }> = [];
    const fakeFetch = (async (url: string, init: { headers: Record<string, string> }) => {
      asked.push({ url, headers: init.headers });
      if (url.startsWith('http://c:')) throw new Error('connect ECONNREFUSED');
      return new Response(JSON.stringify({ callId: 'theirs' }), { status: 200, headers: { 'content-type': 'application/json' } });
    }) as unknown as typeof fetch;
    const fleet = createFleetCallDirectory({ local, index, self, token: 'secret', fetch: fakeFetch });

    expect((await fleet.record('mine'))?.status).toBe(200);
    expect(asked).toHaveLength(0);
    const theirs = await fleet.record('theirs');
    expect(JSON.parse(theirs!.body.toString())).toEqual({ callId: 'theirs' });
    expect(asked[0]).toEqual({ url: 'http://b:8080/v1/calls/theirs', headers: { [FORWARDED_HEADER]: '1', authorization: 'Bearer secret' } });
    await fleet.wav('theirs');
    expect(asked[1]!.url).toBe('http://b:8080/v1/calls/theirs/wav');
    const down = await fleet.record('down');
    expect(down?.status).toBe(502);
    expect(down?.body.toString()).toContain('server-c at http://c:8080');
    // Indexed as this server's own but gone from its disk (pruned): unknown, never a request to itself.
    expect(await fleet.record('pruned')).toBeUndefined();
    // A forwarded request is answered from the disk only.
    expect(await fleet.record('theirs', { local: true })).toBeUndefined();
    expect(asked).toHaveLength(3);
    expect((await fleet.list({})).map((c) => c.callId)).toEqual(['theirs', 'down', 'pruned']);
  });
});
