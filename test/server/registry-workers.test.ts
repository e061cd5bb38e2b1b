/*
 * `serve --data DIR --workers 2` started with no agent file: each worker process reads the file registry under
 * DIR itself. A version pushed and activated through the admin API (answered by one worker) must reach the other
 * worker too: every call placed a second later, whichever worker accepts it, runs the new version; and after a
 * second activation, every new call runs that one.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectWebSocketCall } from '../mocks/websocket-call-client.js';
import { receptionistRevision } from '../registry/agent-versions.js';
import { killServes, makeDataDir, removeDataDirs, sleep, startServe, type ServeProcess } from './serve-process.js';

let serve: ServeProcess;

beforeAll(async () => {
  serve = await startServe(['--offline', '--port', '0', '--workers', '2', '--data', makeDataDir(), 'agents/dispatch.yaml']);
}, 30_000);
afterAll(async () => {
  await killServes();
  removeDataDirs();
});

async function post(path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${serve.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  return (await response.json()) as Record<string, unknown>;
}

/** The versions of `n` calls placed at once (each hangs up once it has started). */
async function versionsOfCalls(n: number): Promise<Array<string | undefined>> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const client = await connectWebSocketCall(`${serve.ws}/calls/receptionist?rate=8000`, { sampleRate: 8000 });
      try {
        const started = await client.waitForEvent((e) => e.type === 'call.started', 10_000, 'call.started');
        client.send({ type: 'hangup' });
        await client.waitFor((m) => m.type === 'ended', 10_000, 'ended');
        return started.version;
      } finally {
        client.close();
      }
    }),
  );
}

it('an activation through one worker reaches every worker within a second', { timeout: 60_000 }, async () => {
  const first = ((await post('/v1/agents/receptionist/versions', { source: receptionistRevision(1).source })).version as { id: string }).id;
  await post('/v1/agents/receptionist/activate', { version: first, expected: null });
  await sleep(1000);
  expect(new Set(await versionsOfCalls(6))).toEqual(new Set([first]));

  const second = ((await post('/v1/agents/receptionist/versions', { source: receptionistRevision(2).source })).version as { id: string }).id;
  expect((await post('/v1/agents/receptionist/activate', { version: second, expected: first })).activation).toMatchObject({ version: second });
  await sleep(1000);
  expect(new Set(await versionsOfCalls(6))).toEqual(new Set([second]));
  // Both workers took calls (the primary hands connections out in turn), so both switched.
  const workers = new Set(serve.logs().filter((l) => l.msg === 'agent version active' && l.version === second).map((l) => l.worker));
  expect(workers.size).toBe(2);
});
