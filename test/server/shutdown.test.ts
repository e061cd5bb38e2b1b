/*
 * A deploy stops `voiceagent serve` in the middle of calls. On SIGTERM the server drains: /healthz turns 503 at
 * once (the load balancer stops sending calls), a new call is refused at its upgrade (503, and the TwiML
 * webhook too), and the calls already running go on: here ten of them, five over Twilio and five over the native
 * WebSocket, across two worker processes, whose callers hang up a second after the signal. Every record is
 * written, as a caller hang-up, and the process exits 0 once the last call has ended, not before.
 *
 * With a short `--drain-timeout-ms`, callers that never hang up are hung up by the server when it runs out:
 * each record says `agent-hangup` (the server ended it, not the caller), each Twilio stream is closed so
 * Twilio can end the call, each WebSocket client gets `ended`, and the process exits 0. A second signal does
 * not wait for anything: the process exits at once, with code 1. A Ctrl-C in a terminal signals the workers as
 * well as the primary: that is still one signal, and the calls drain.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connectTwilioClient, type TwilioTestClient } from '../mocks/twilio-client.js';
import { connectWebSocketCall, type WebSocketCallClient } from '../mocks/websocket-call-client.js';
import { warmUp } from './callers.js';
import { get, killServes, makeDataDir, readRecords, removeDataDirs, sleep, startServe, until, type ServeProcess } from './serve-process.js';

afterEach(killServes);
afterAll(removeDataDirs);

/** Five Twilio and five WebSocket calls (or `each` of each), each hearing its greeting. */
async function tenCalls(serve: ServeProcess, each = 5): Promise<{ twilio: TwilioTestClient[]; websocket: WebSocketCallClient[] }> {
  const agent = serve.listening.agents[0]!;
  const twilio = await Promise.all(
    Array.from({ length: each }, async (_, i) => {
      const client = await connectTwilioClient({ url: agent.twilio, callSid: `CA${String(i).padStart(32, '0')}` });
      client.start();
      client.startStreaming();
      return client;
    }),
  );
  const websocket = await Promise.all(Array.from({ length: each }, () => connectWebSocketCall(`${agent.websocket}?rate=8000`, { sampleRate: 8000 })));
  await Promise.all([
    ...twilio.map((client) => client.until('greeting audio', () => client.messagesOf('media').length >= 5, 10_000)),
    ...websocket.map((client) => client.waitFor((m) => m.type === 'audio', 10_000, 'greeting audio')),
  ]);
  return { twilio, websocket };
}

function closeAll(calls: { twilio: TwilioTestClient[]; websocket: WebSocketCallClient[] }): void {
  for (const client of [...calls.twilio, ...calls.websocket]) client.close();
}

/** The status of a WebSocket upgrade (101 when taken). */
async function upgradeStatus(url: string): Promise<number> {
  try {
    const client = await connectWebSocketCall(url, { sampleRate: 8000 });
    client.close();
    return 101;
  } catch (error) {
    const status = /upgrade refused: (\d+)/.exec((error as Error).message)?.[1];
    if (!status) throw error;
    return Number(status);
  }
}

describe('SIGTERM during ten calls', () => {
  it('drains: healthz 503, new calls refused, the running calls end as their callers hang up, every record written, exit 0', { timeout: 60_000 }, async () => {
    const data = makeDataDir();
    const serve = await startServe(['--offline', '--port', '0', '--workers', '2', '--data', data, 'agents/receptionist.yaml']);
    // Both workers' offline voices started (a worker's first greeting waits for its synthesis thread).
    const warmUps = await warmUp(serve.listening.agents[0]!.websocket, 4);
    const calls = await tenCalls(serve);
    try {
      expect((await get(`${serve.url}/healthz`)).status).toBe(200);
      const audioBefore = calls.websocket.map((client) => client.audioMs);
      serve.signal('SIGTERM');
      const signalledAt = performance.now();
      let exitedAt = 0;
      void serve.exited.then(() => (exitedAt = performance.now()));

      // healthz turns 503; no new call gets in, on either endpoint.
      let health = await get(`${serve.url}/healthz`);
      for (let tries = 0; health.status !== 503 && tries < 50; tries++) {
        await sleep(20);
        health = await get(`${serve.url}/healthz`);
      }
      expect(health.status).toBe(503);
      expect(JSON.parse(health.body)).toMatchObject({ status: 'draining' });
      const agent = serve.listening.agents[0]!;
      expect(await upgradeStatus(`${agent.websocket}?rate=8000`)).toBe(503);
      await expect(connectTwilioClient({ url: agent.twilio })).rejects.toThrow('upgrade refused: 503');
      expect((await fetch(agent.twiml, { method: 'POST', body: new URLSearchParams({ CallSid: 'CA1' }), signal: AbortSignal.timeout(5000) })).status).toBe(503);

      // The running calls go on: the agent keeps talking after the signal.
      await sleep(1000);
      expect(exitedAt).toBe(0);
      for (const client of calls.twilio) expect(client.messagesOf('media').some((m) => m.atMs > signalledAt + 500)).toBe(true);
      calls.websocket.forEach((client, i) => expect(client.audioMs).toBeGreaterThan(audioBefore[i]! + 500));

      // The callers hang up; each call ends normally and the process goes once the last has.
      for (const client of calls.websocket) client.send({ type: 'hangup' });
      for (const client of calls.twilio) client.stop();
      const hungUpAt = performance.now();
      for (const client of calls.websocket) expect((await client.waitFor((m) => m.type === 'ended', 5000, 'ended')).record).toMatchObject({ endReason: 'caller-hangup' });
      expect(await serve.exited).toEqual({ code: 0, signal: null });
      expect(exitedAt).toBeGreaterThan(hungUpAt);
    } finally {
      closeAll(calls);
    }
    const records = readRecords(data).filter((r) => !warmUps.includes(r.callId));
    expect(records).toHaveLength(10);
    expect(records.map((r) => r.endReason)).toEqual(Array(10).fill('caller-hangup'));
    expect(records.filter((r) => r.transport?.transport === 'twilio')).toHaveLength(5);
  });

  it('a Ctrl-C in a terminal (SIGINT to the whole process group) drains the workers too, not as a second signal', { timeout: 40_000 }, async () => {
    const data = makeDataDir();
    const serve = await startServe(['--offline', '--port', '0', '--workers', '2', '--data', data, 'agents/receptionist.yaml']);
    await warmUp(serve.listening.agents[0]!.websocket, 4);
    const callers = await Promise.all([0, 1].map(() => connectWebSocketCall(`${serve.listening.agents[0]!.websocket}?rate=8000&ctrl=c`, { sampleRate: 8000 })));
    try {
      await Promise.all(callers.map((client) => client.waitFor((m) => m.type === 'audio', 10_000, 'greeting audio')));
      serve.signalGroup('SIGINT');
      await sleep(1500);
      // Both calls still run on their workers (each got SIGINT from the terminal and the primary's request).
      expect(serve.child.exitCode).toBeNull();
      for (const client of callers) expect(client.record).toBeUndefined();
      for (const client of callers) client.send({ type: 'hangup' });
      for (const client of callers) expect((await client.waitFor((m) => m.type === 'ended', 5000, 'ended')).record).toMatchObject({ endReason: 'caller-hangup' });
      expect(await serve.exited).toEqual({ code: 0, signal: null });
      expect(serve.logs().filter((line) => line.msg === 'worker exited')).toEqual([]);
    } finally {
      for (const client of callers) client.close();
    }
    expect(readRecords(data).filter((r) => r.transport?.parameters?.ctrl === 'c').map((r) => r.endReason)).toEqual(['caller-hangup', 'caller-hangup']);
  });

  it('with a short --drain-timeout-ms, the calls still running are hung up by the server and recorded so, exit 0', { timeout: 60_000 }, async () => {
    const data = makeDataDir();
    const serve = await startServe(['--offline', '--port', '0', '--workers', '1', '--drain-timeout-ms', '1500', '--data', data, 'agents/receptionist.yaml']);
    const calls = await tenCalls(serve);
    try {
      serve.signal('SIGTERM');
      const signalledAt = performance.now();
      // Nobody hangs up: the drain times out and the server ends the calls.
      for (const client of calls.websocket) expect((await client.waitFor((m) => m.type === 'ended', 6000, 'ended')).record).toMatchObject({ endReason: 'agent-hangup' });
      for (const client of calls.twilio) expect(await client.closed).toMatchObject({ code: 1000 });
      expect(await serve.exited).toEqual({ code: 0, signal: null });
      const tookMs = performance.now() - signalledAt;
      expect(tookMs).toBeGreaterThanOrEqual(1400);
      expect(tookMs).toBeLessThan(6000);
    } finally {
      closeAll(calls);
    }
    const records = readRecords(data);
    expect(records).toHaveLength(10);
    expect(records.map((r) => r.endReason)).toEqual(Array(10).fill('agent-hangup'));
  });

  it('a second signal forces the exit at once (code 1)', { timeout: 30_000 }, async () => {
    const data = makeDataDir();
    const serve = await startServe(['--offline', '--port', '0', '--workers', '1', '--data', data, 'agents/receptionist.yaml']);
    const calls = await tenCalls(serve, 1);
    try {
      serve.signal('SIGTERM');
      await until('draining', () => serve.stderr().includes('draining'), 2000);
      await sleep(200);
      expect(serve.child.exitCode).toBeNull();
      serve.signal('SIGTERM');
      const forcedAt = performance.now();
      expect(await serve.exited).toEqual({ code: 1, signal: null });
      expect(performance.now() - forcedAt).toBeLessThan(2000);
    } finally {
      closeAll(calls);
    }
  });
});
