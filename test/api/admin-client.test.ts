/*
 * The admin client against a server that answers per the registry contract: a first deploy (push, activate with
 * expected null), an idempotent re-push, drift when someone else activated in between, a rollback, calls and
 * their records and WAVs, and the errors a user meets (nothing listening, a wrong token, an unknown agent,
 * version or call, a server without the admin API) as codes with messages that say what to do.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminApiError, createAdminClient } from '../../runtime/api/admin-client.js';
import { startContractServer, type ContractServer } from './contract-server.js';

const source = readFileSync(new URL('../../templates/receptionist/agents/receptionist.yaml', import.meta.url), 'utf8');
const changed = source.replace('pauseAfterMs: 80', 'pauseAfterMs: 120');

let server: ContractServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function rejection(promise: Promise<unknown>): Promise<AdminApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AdminApiError)) throw new Error(`expected an AdminApiError, got ${String(error)}`);
  return error;
}

describe('createAdminClient', () => {
  it('pushes, activates, re-pushes idempotently and rolls back', async () => {
    server = await startContractServer({ token: 's3cret' });
    const client = createAdminClient({ url: server.url + '/', token: 's3cret' });
    const first = await client.push('receptionist', { source, file: 'agents/receptionist.yaml', git: { commit: 'a'.repeat(40), author: 'Ada' } });
    expect(first.created).toBe(true);
    expect(first.version.id).toMatch(/^v[0-9a-f]{12}$/);
    expect((await client.push('receptionist', { source })).created).toBe(false);
    await client.activate('receptionist', { version: first.version.id, expected: null, by: 'ada' });
    const second = await client.push('receptionist', { source: changed });
    const activation = await client.activate('receptionist', { version: second.version.id, expected: first.version.id });
    expect(activation).toMatchObject({ seq: 2, version: second.version.id, previous: first.version.id, reason: 'deploy' });
    const back = await client.rollback('receptionist', {});
    expect(back).toMatchObject({ seq: 3, version: first.version.id, reason: 'rollback' });
    const listed = await client.versions('receptionist');
    expect(listed.active).toBe(first.version.id);
    expect(listed.versions.map((v) => v.id)).toEqual([second.version.id, first.version.id]);
    expect(listed.history.map((h) => h.reason)).toEqual(['deploy', 'deploy', 'rollback']);
    expect((await client.version('receptionist', second.version.id)).source).toBe(changed);
    expect((await client.agents()).agents).toEqual([{ name: 'receptionist', active: first.version.id, source: 'registry' }]);
  });

  it('turns a concurrent activation into a drift error naming the active version', async () => {
    server = await startContractServer();
    const client = createAdminClient({ url: server.url });
    const mine = (await client.push('receptionist', { source })).version.id;
    const theirs = server.pushDirect(changed);
    server.active.set('receptionist', theirs);
    const error = await rejection(client.activate('receptionist', { version: mine, expected: null }));
    expect(error).toMatchObject({ code: 'drift', status: 409, active: theirs });
  });

  it('lists calls with filters and fetches a record and its WAV', async () => {
    server = await startContractServer();
    server.calls.push(
      { summary: { callId: 'c2', agent: 'receptionist', version: 'v2', startedAt: '2026-12-01T10:05:00Z', server: { id: 's1', url: 'http://127.0.0.1:1' } }, record: { callId: 'c2' }, wav: new Uint8Array([82, 73, 70, 70]) },
      { summary: { callId: 'c1', agent: 'receptionist', version: 'v1', startedAt: '2026-12-01T09:00:00Z' }, record: { callId: 'c1' } },
    );
    const client = createAdminClient({ url: server.url });
    expect((await client.calls()).map((c) => c.callId)).toEqual(['c2', 'c1']);
    expect((await client.calls({ version: 'v1' })).map((c) => c.callId)).toEqual(['c1']);
    expect((await client.calls({ since: '2026-12-01T10:00:00Z', agent: 'receptionist' })).map((c) => c.callId)).toEqual(['c2']);
    expect(server.requests).toContain('GET /v1/calls?since=2026-12-01T10%3A00%3A00Z&agent=receptionist');
    expect(await client.call('c1')).toEqual({ callId: 'c1' });
    expect([...(await client.callWav('c2'))]).toEqual([82, 73, 70, 70]);
    expect(await rejection(client.callWav('c1'))).toMatchObject({ code: 'unknown-call', status: 404 });
  });

  it('names unknown agents and versions, and invalid YAML with its diagnostics', async () => {
    server = await startContractServer();
    const client = createAdminClient({ url: server.url });
    expect(await rejection(client.versions('nobody'))).toMatchObject({ code: 'unknown-agent', status: 404 });
    await client.push('receptionist', { source });
    expect(await rejection(client.version('receptionist', 'v000000000000'))).toMatchObject({ code: 'unknown-version' });
    const invalid = await rejection(client.push('receptionist', { source: source.replace('name: receptionist', 'name: receptionist\nbogusField: 1') }));
    expect(invalid.code).toBe('invalid-agent');
    expect(invalid.diagnostics.length).toBeGreaterThan(0);
  });

  it('says a wrong token is refused and how to set it', async () => {
    server = await startContractServer({ token: 'right' });
    const error = await rejection(createAdminClient({ url: server.url, token: 'wrong' }).agents());
    expect(error.code).toBe('unauthorized');
    expect(error.message).toContain('VOICEAGENT_TOKEN');
  });

  it('says where nothing listens and how to start a server there', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const error = await rejection(createAdminClient({ url: `http://127.0.0.1:${port}` }).agents());
    expect(error.code).toBe('unreachable');
    expect(error.message).toContain(`http://127.0.0.1:${port}`);
    expect(error.message).toContain('voiceagent serve --data');
  });

  it('says a server without the admin API is not one', async () => {
    const plain = createServer((_request, response) => response.writeHead(404).end('not found\n'));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
      const error = await rejection(createAdminClient({ url }).agents());
      expect(error).toMatchObject({ code: 'bad-response', status: 404 });
      expect(error.message).toContain('/v1 admin API');
    } finally {
      await new Promise<void>((resolve) => plain.close(() => resolve()));
    }
  });
});
