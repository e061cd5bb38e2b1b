// `voiceagent monitor` against a real `voiceagent serve --offline` (spawned, with a token), as a developer
// watching two callers at once: two native WebSocket calls each say a line; the plain monitor, spawned through a
// pipe, prints both calls' events, each line prefixed with its call's short id, and exits 0 on SIGTERM. Pointed
// at a port nobody listens on, or with a wrong or missing token, it says what to do and exits 2.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectWebSocketCall, type WebSocketCallClient } from '../mocks/websocket-call-client.js';
import { killServes, makeDataDir, removeDataDirs, runCli, spawnPipedCli, startServe, type ServeProcess } from '../server/serve-process.js';

const TOKEN = 'monitor-test-token';
let serve: ServeProcess;
const children: ChildProcessWithoutNullStreams[] = [];
const clients: WebSocketCallClient[] = [];

beforeAll(async () => {
  serve = await startServe(['--offline', '--port', '0', '--workers', '1', '--data', makeDataDir(), 'agents/receptionist.yaml'], { env: { VOICEAGENT_TOKEN: TOKEN } });
}, 60_000);
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});
afterAll(async () => {
  await killServes();
  removeDataDirs();
});

/** `voiceagent monitor ...args` from the sources through pipes (stdout is no terminal, so `--plain` would be automatic too). */
function spawnMonitor(args: readonly string[], env: Record<string, string>) {
  const monitor = spawnPipedCli(['monitor', ...args], { env, timeoutMs: 30_000 });
  children.push(monitor.child);
  return monitor;
}

/** A native WebSocket call with the token, its id once its first event came. */
async function placeCall(): Promise<{ client: WebSocketCallClient; callId: string }> {
  const client = await connectWebSocketCall(`${serve.ws}/calls/receptionist?rate=16000`, { sampleRate: 16000, headers: { Authorization: `Bearer ${TOKEN}` } });
  clients.push(client);
  const started = await client.waitForEvent((e) => e.type === 'call.started', 20_000, 'call.started');
  return { client, callId: started.callId };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('voiceagent monitor against a running serve', () => {
  it('--plain through a pipe shows both calls\' events, each line with its call id, and exits 0 on SIGTERM', { timeout: 90_000 }, async () => {
    const monitor = spawnMonitor(['--plain', '--url', serve.url], { VOICEAGENT_TOKEN: TOKEN });
    await monitor.waitFor(/^note: 0 live calls$/m);
    await monitor.waitFor(/^note: watching ws:\/\/127\.0\.0\.1:\d+\/v1\/events;/m);

    const [a, b] = await Promise.all([placeCall(), placeCall()]);
    const idA = escape(a.callId.slice(0, 8));
    const idB = escape(b.callId.slice(0, 8));
    expect(idA).not.toBe(idB);
    await monitor.waitFor(new RegExp(`^${idA} +[\\d.]+s call started: agent receptionist, .* call ${escape(a.callId)}$`, 'm'));
    await monitor.waitFor(new RegExp(`^${idB} +[\\d.]+s call started: agent receptionist, .* call ${escape(b.callId)}$`, 'm'));

    // Each caller says its line once the greeting plays; both turns show up under their own ids.
    await Promise.all([a, b].map(({ client }) => client.waitForEvent((e) => e.type === 'agent.audio' && e.started, 20_000, 'the greeting audio')));
    a.client.say('What are your opening hours?');
    b.client.say('How much is a check-up?');
    await monitor.waitFor(new RegExp(`^${idA} +[\\d.]+s turn #1 committed "What are your opening hours\\?"`, 'm'));
    await monitor.waitFor(new RegExp(`^${idB} +[\\d.]+s turn #1 committed "How much is a check-up\\?"`, 'm'));
    await monitor.waitFor(new RegExp(`^${idA} +[\\d.]+s latency turn #1 `, 'm'));
    await monitor.waitFor(new RegExp(`^${idB} +[\\d.]+s latency turn #1 `, 'm'));

    for (const { client } of [a, b]) client.send({ type: 'hangup' });
    await monitor.waitFor(new RegExp(`^${idA} +[\\d.]+s call ended \\(caller-hangup\\)`, 'm'));
    await monitor.waitFor(new RegExp(`^${idB} +[\\d.]+s call ended \\(caller-hangup\\)`, 'm'));
    // Every event line belongs to one of the two calls; no screen escapes in a pipe.
    const eventLines = monitor.output().split('\n').filter((line) => line && !line.startsWith('note:'));
    expect(eventLines.every((line) => line.startsWith(a.callId.slice(0, 8)) || line.startsWith(b.callId.slice(0, 8)))).toBe(true);
    expect(monitor.output()).not.toMatch(/\u001b\[/);

    monitor.child.kill('SIGTERM');
    expect(await monitor.exited).toBe(0);
  });

  it('--plain --call follows that call only, without prefixes, and exits 0 when it ends', { timeout: 60_000 }, async () => {
    const [a, b] = await Promise.all([placeCall(), placeCall()]);
    const monitor = spawnMonitor(['--plain', '--call', a.callId], { VOICEAGENT_URL: serve.url, VOICEAGENT_TOKEN: TOKEN });
    await monitor.waitFor(new RegExp(`^note:   ${escape(a.callId)} agent receptionist since `, 'm'));
    a.client.say('What are your opening hours?');
    await monitor.waitFor(/^ +[\d.]+s turn #1 committed "What are your opening hours\?"/m);
    b.client.send({ type: 'hangup' });
    a.client.send({ type: 'hangup' });
    expect(await monitor.exited).toBe(0);
    expect(monitor.output()).toMatch(/^ +[\d.]+s call ended \(caller-hangup\)/m);
    expect(monitor.output()).not.toContain(b.callId);
  });

  it('--plain says when the server goes away, reconnects by itself once it is back, and shows the new calls', { timeout: 90_000 }, async () => {
    const first = await startServe(['--offline', '--port', '0', '--workers', '1', '--data', makeDataDir(), 'agents/receptionist.yaml']);
    const port = new URL(first.url).port;
    const monitor = spawnMonitor(['--plain', '--url', first.url], {});
    await monitor.waitFor(/^note: watching /m);
    first.signalGroup('SIGKILL');
    await first.exited;
    await monitor.waitFor(new RegExp(`^note: lost the server at ${escape(first.url)} \\(.+\\); reconnecting in 0\\.25 s \\(attempt 1\\)$`, 'm'));
    const second = await startServe(['--offline', '--port', port, '--workers', '1', '--data', makeDataDir(), 'agents/receptionist.yaml']);
    await monitor.waitFor(new RegExp(`^note: reconnected to ${escape(first.url)}$`, 'm'));
    const client = await connectWebSocketCall(`${second.ws}/calls/receptionist?rate=16000`, { sampleRate: 16000 });
    clients.push(client);
    const started = await client.waitForEvent((e) => e.type === 'call.started', 20_000, 'call.started');
    await monitor.waitFor(new RegExp(`^${escape(started.callId.slice(0, 8))} +[\\d.]+s call started: agent receptionist`, 'm'));
    monitor.child.kill('SIGTERM');
    expect(await monitor.exited).toBe(0);
  });

  it('says how to start a server when none listens, and how to set the token on a 401; exit 2', { timeout: 60_000 }, async () => {
    // A port that was free a moment ago: nobody listens there.
    const probe = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => probe.once('listening', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));

    const [unreachable, wrongToken, noToken] = await Promise.all([
      runCli(['monitor', '--plain', '--url', `http://127.0.0.1:${port}`]),
      runCli(['monitor', '--plain', '--url', serve.url], { env: { VOICEAGENT_TOKEN: 'not-the-token' } }),
      runCli(['monitor', '--plain', '--url', serve.url]),
    ]);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toContain(`voiceagent: cannot reach http://127.0.0.1:${port} (ECONNREFUSED): is the server running? Start one with \`voiceagent serve --offline agents/<agent>.yaml\``);
    expect(wrongToken.code).toBe(2);
    expect(wrongToken.stderr).toContain(`voiceagent: the server at ${serve.url} refused the token (401): VOICEAGENT_TOKEN must be the server's token`);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain(`voiceagent: the server at ${serve.url} needs a token (401): set VOICEAGENT_TOKEN`);
    for (const result of [unreachable, wrongToken, noToken]) {
      expect(result.stdout).toBe('');
      expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
    }
  });

  it('--help lists the options, the keys and examples', { timeout: 20_000 }, async () => {
    const help = await runCli(['monitor', '--help']);
    expect(help.code).toBe(0);
    for (const text of ['--url <url>', '--agent <name>', '--call <id>', '--plain', 'VOICEAGENT_TOKEN', 'WS /v1/events', 'reconnects', 'Enter', 'Examples:', 'voiceagent monitor --agent receptionist']) expect(help.stdout).toContain(text);
  });
});
