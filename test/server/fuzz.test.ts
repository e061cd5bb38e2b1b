/*
 * Ten real callers share a server with a hostile crowd. `voiceagent serve --offline --workers 1` (one event
 * loop for everyone: the hardest case) takes ten good native WebSocket calls: each hears the greeting, asks a
 * question with `say`, hears the answer to its end and hangs up. Meanwhile a separate process (fuzz-peer.ts)
 * throws thousands of malformed and hostile messages at it over dozens of sockets: malformed JSON, unknown
 * messages and events, bad base64, frames over 64 KiB and over 1 MiB, Twilio media before `start`, binary
 * frames on the Twilio socket, floods, unknown agents (404 at the upgrade), oversized webhooks, half-open
 * sockets. A twin server, started the same way and placed the same ten calls at the same moment, gets no
 * fuzz: it is the baseline, measured in the same window under the same machine load (other test files, other
 * processes), so the comparison shows what the fuzz does to the fuzzed server's own calls.
 *
 * The fuzzed server stays up (/healthz answers 200 throughout), the hostile input is noticed and counted
 * (voiceagent_protocol_errors_total) and answered as documented (404 for unknown agents, 413 for oversized
 * webhooks, 1008 for abusive sockets, 1009 past the socket limit), every good call's record is complete (the
 * greeting, the question answered, a caller hang-up, no failure), and the good callers' frame timing is
 * unchanged: the inter-arrival jitter of their binary audio frames (|gap - 20 ms| between consecutive frames
 * of one utterance) stays within a generous bound of the twin's. The figures are printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../runtime/call/call-record.js';
import type { CallEventOf } from '../../runtime/call/events.js';
import { connectWebSocketCall, untilHeard, type WebSocketCallClient } from '../mocks/websocket-call-client.js';
import { warmUp } from './callers.js';
import { childEnv, get, killServes, makeDataDir, readRecords, removeDataDirs, ROOT, sleep, startServe, type ServeProcess } from './serve-process.js';

const GOOD_CALLS = 10;
/** How long the hostile peer runs, ms (the good calls take about as long). */
const FUZZ_MS = 10_000;

/** The server under fuzz, and its twin without (the baseline). */
let fuzzedServe: ServeProcess;
let quietServe: ServeProcess;
const data = { fuzzed: '', quiet: '' };
let peer: ChildProcess | undefined;

beforeAll(async () => {
  data.fuzzed = makeDataDir();
  data.quiet = makeDataDir();
  const start = (dir: string) => startServe(['--offline', '--port', '0', '--workers', '1', '--data', dir, 'agents/receptionist.yaml']);
  [fuzzedServe, quietServe] = await Promise.all([start(data.fuzzed), start(data.quiet)]);
  await Promise.all([warmUp(fuzzedServe.listening.agents[0]!.websocket, 2), warmUp(quietServe.listening.agents[0]!.websocket, 2)]);
}, 40_000);

afterAll(async () => {
  peer?.kill('SIGKILL');
  await killServes();
  removeDataDirs();
});

/** One good call: greeting heard, a question answered and heard, hang-up. Resolves with the client (its record set). */
async function goodCall(serve: ServeProcess, label: string): Promise<WebSocketCallClient> {
  const client = await connectWebSocketCall(`${serve.listening.agents[0]!.websocket}?rate=16000&good=${label}`, { sampleRate: 16000 });
  try {
    await client.waitForEvent((e) => e.type === 'agent.utterance' && e.purpose === 'greeting', 10_000, `${label}: the greeting`);
    await client.waitFor((m) => m.type === 'audio', 20_000, `${label}: the greeting's audio`);
    await untilHeard(client, `${label}: the greeting`, 20_000);
    client.say('What are your opening hours?');
    const turn = await client.waitForEvent<CallEventOf<'turn'>>((e) => e.type === 'turn' && e.record.index === 1, 20_000, `${label}: the answer`);
    expect(turn.record.outcome).toBe('answered');
    await untilHeard(client, `${label}: the answer`, 20_000);
    client.send({ type: 'hangup' });
    await client.waitFor((m) => m.type === 'ended', 5000, `${label}: ended`);
    return client;
  } finally {
    client.close();
  }
}


/**
 * |gap - 20 ms| between consecutive binary frames of one utterance, at each client, ms; only utterance
 * `utterance` when given (1: the greeting). A frame's utterance is named by the mark that follows it
 * (`<utterance>:<samples>`); the gap before an utterance's first frame is not a frame's timing and is left out.
 */
function frameJitterMs(clients: readonly WebSocketCallClient[], utterance?: string): number[] {
  const out: number[] = [];
  for (const client of clients) {
    let last: { atMs: number; utterance: string } | undefined;
    const received = client.received;
    for (let i = 0; i < received.length; i++) {
      if (received[i]!.type !== 'audio') continue;
      const mark = received.slice(i + 1, i + 4).find((m) => m.type === 'mark');
      const id = String(mark?.name ?? '').split(':')[0]!;
      const atMs = received[i]!.atMs;
      if (last && last.utterance === id && (utterance === undefined || id === utterance)) out.push(Math.abs(atMs - last.atMs - 20));
      last = { atMs, utterance: id };
    }
  }
  return out.sort((a, b) => a - b);
}

/** Connect to the greeting's first frame, at each client, ms (sorted). */
const greetingDelaysMs = (clients: readonly WebSocketCallClient[]): number[] => clients.map((client) => round(client.received.find((m) => m.type === 'audio')!.atMs)).sort((a, b) => a - b);

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const figures = (sorted: readonly number[]) => ({ frames: sorted.length, p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? NaN), over10ms: sorted.filter((j) => j > 10).length });
const round = (ms: number): number => Math.round(ms * 100) / 100;

/** `name{endpoint="..."} value` lines of `/metrics` summed, by the `endpoint` label. */
async function protocolErrors(serve: ServeProcess): Promise<Record<string, number>> {
  const { body } = await get(`${serve.url}/metrics`);
  const out: Record<string, number> = {};
  for (const match of body.matchAll(/^voiceagent_protocol_errors_total\{endpoint="([^"]+)"\} (\S+)$/gm)) out[match[1]!] = Number(match[2]);
  return out;
}

/** The server's largest event-loop delay since start (prom-client's `nodejs_eventloop_lag_max_seconds`), ms. */
async function eventLoopLag(serve: ServeProcess): Promise<number> {
  const { body } = await get(`${serve.url}/metrics`);
  return round(Number(/^voiceagent_nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(body)?.[1]) * 1000);
}

/** Checks a good call's record: the greeting, the question answered, hung up by the caller, no failure. */
function expectComplete(record: CallRecord | undefined, label: string): void {
  expect(record, `${label}: record`).toBeDefined();
  expect(record!.endReason).toBe('caller-hangup');
  expect(record!.failures).toEqual([]);
  expect(record!.transcript[0]).toMatchObject({ role: 'assistant', text: expect.stringContaining('Bright Smile Dental') });
  expect(record!.turns[0]).toMatchObject({ index: 1, outcome: 'answered', userText: expect.stringMatching(/opening hours/i) });
  expect(record!.transcript.filter((entry) => entry.role === 'assistant').length).toBeGreaterThanOrEqual(2);
}

describe('thousands of hostile messages while ten good calls run', () => {
  it('keeps the server up, the good calls complete, and their frame timing unchanged', { timeout: 80_000 }, async () => {
    const errorsBefore = await protocolErrors(fuzzedServe);
    await Promise.all([eventLoopLag(fuzzedServe), eventLoopLag(quietServe)]);
    // /healthz of the fuzzed server, asked every 200 ms.
    const health: number[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        health.push(await get(`${fuzzedServe.url}/healthz`).then((r) => r.status, () => 0));
        await sleep(200);
      }
    })();
    const started = performance.now();
    peer = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fuzz-peer.ts', import.meta.url)), fuzzedServe.url, 'receptionist', String(FUZZ_MS), '19'], { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
    let peerOut = '';
    peer.stdout!.on('data', (chunk: Buffer) => (peerOut += chunk.toString()));
    const peerDone = new Promise<number | null>((resolve) => peer!.once('exit', (code) => resolve(code)));
    await sleep(500);
    // The same ten calls on both servers, at the same moment.
    const [fuzzed, quiet] = await Promise.all([
      Promise.all(Array.from({ length: GOOD_CALLS }, (_, i) => goodCall(fuzzedServe, `fuzzed-${i}`))),
      Promise.all(Array.from({ length: GOOD_CALLS }, (_, i) => goodCall(quietServe, `quiet-${i}`))),
    ]);
    const goodCallsMs = performance.now() - started;
    // Read first: prom-client resets the event-loop histogram at each scrape (the last was just before the calls).
    const lag = { fuzzed: await eventLoopLag(fuzzedServe), quiet: await eventLoopLag(quietServe) };
    const peerCode = await Promise.race([peerDone, sleep(FUZZ_MS + 15_000).then(() => 'timeout' as const)]);
    polling = false;
    await poller;
    const fuzz = JSON.parse(peerOut.trim().split('\n').at(-1) ?? '{}') as { total: number; sent: Record<string, number>; sockets: number; closes: Record<string, number>; statuses: Record<string, number> };
    const errorsAfter = await protocolErrors(fuzzedServe);

    // Every frame of every utterance, and the greetings alone (all ten playing at once, before any `say`).
    const quietJitter = frameJitterMs(quiet);
    const fuzzedJitter = frameJitterMs(fuzzed);
    const report = {
      allFrames: { quiet: figures(quietJitter), fuzzed: figures(fuzzedJitter) },
      greetings: { quiet: figures(frameJitterMs(quiet, '1')), fuzzed: figures(frameJitterMs(fuzzed, '1')) },
      greetingFirstFrameMs: { quiet: greetingDelaysMs(quiet), fuzzed: greetingDelaysMs(fuzzed) },
      serverEventLoopLagMaxMs: lag,
      fuzz: { messages: fuzz.total, sockets: fuzz.sockets, closes: fuzz.closes, statuses: fuzz.statuses, goodCallsMs: Math.round(goodCallsMs) },
      protocolErrors: Object.fromEntries(Object.entries(errorsAfter).map(([endpoint, n]) => [endpoint, n - (errorsBefore[endpoint] ?? 0)])),
    };
    // The figures for the record (inter-arrival jitter of the good callers' 20 ms frames, ms).
    console.log(`frame jitter at the good callers, |gap - 20 ms|, ms (quiet: the twin server, same moment, no fuzz):\n${JSON.stringify(report, null, 2)}`);

    // The fuzz ran, in its thousands, and the server noticed it.
    expect(peerCode).toBe(0);
    expect(fuzz.total).toBeGreaterThan(3000);
    expect(fuzz.sockets).toBeGreaterThan(50);
    expect(fuzz.statuses['404']).toBeGreaterThan(10);
    expect(fuzz.statuses['413']).toBeGreaterThan(0);
    expect(fuzz.closes['1008']).toBeGreaterThan(0);
    expect(fuzz.closes['1009']).toBeGreaterThan(0);
    expect(report.protocolErrors.websocket).toBeGreaterThan(100);
    expect(report.protocolErrors.twilio).toBeGreaterThan(100);

    // The server stayed up throughout and is still healthy.
    expect(health.length).toBeGreaterThan(20);
    expect(health.filter((status) => status !== 200)).toEqual([]);
    expect((await get(`${fuzzedServe.url}/healthz`)).status).toBe(200);
    expect(fuzzedServe.child.exitCode).toBeNull();
    // Every call the hostile sockets started has ended with them: none is left behind.
    let active = -1;
    for (let tries = 0; active !== 0 && tries < 100; tries++) {
      if (tries > 0) await sleep(50);
      active = (JSON.parse((await get(`${fuzzedServe.url}/healthz`)).body) as { activeCalls: number }).activeCalls;
    }
    expect(active).toBe(0);

    // Every good call is complete, as its client got it and as it is on disk.
    const onDisk = new Map([...readRecords(data.fuzzed), ...readRecords(data.quiet)].map((r) => [r.callId, r]));
    for (const [i, client] of [...fuzzed, ...quiet].entries()) {
      expectComplete(client.record, `call ${i}`);
      expectComplete(onDisk.get(client.record!.callId), `call ${i} on disk`);
    }

    // Frame timing: as many frames, and jitter within a generous bound of the twin's.
    const { quiet: baseline, fuzzed: under } = report.allFrames;
    expect(fuzzedJitter.length).toBeGreaterThan(quietJitter.length * 0.9);
    expect(under.p50).toBeLessThanOrEqual(baseline.p50 + 5);
    expect(under.p99).toBeLessThanOrEqual(Math.max(3 * baseline.p99, baseline.p99 + 25));
  });
});
