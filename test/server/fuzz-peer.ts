/*
 * A hostile peer of `voiceagent serve`, run as its own process by fuzz.test.ts (so its sending never skews the
 * timing the test measures at the good callers):
 *
 *   node --import tsx test/server/fuzz-peer.ts http://127.0.0.1:PORT <agent> <durationMs> <seed>
 *
 * Over many sockets at once it sends what a broken or malicious client sends: malformed JSON, unknown
 * messages and events, bad fields and base64, odd-length and oversized frames (over 64 KiB, and over the
 * socket limit of 1 MiB), Twilio media before `start`, binary frames on the Twilio socket, floods, upgrades
 * to agents and paths that do not exist, oversized webhook bodies, and half-open sockets (an upgrade that never
 * finishes, a client that never sends, a TCP connection that says nothing). Everything is bounded in count
 * and in time (`durationMs`); the junk is drawn from a seeded generator, so a run is repeatable.
 *
 * On exit it prints one JSON line: messages sent by kind, sockets opened, close codes and HTTP statuses seen.
 */
import { connect, type Socket } from 'node:net';
import { WebSocket } from 'ws';

const [base = '', agent = 'receptionist', durationText = '8000', seedText = '1'] = process.argv.slice(2);
const url = new URL(base);
const ws = base.replace(/^http/, 'ws');
const deadline = Date.now() + Number(durationText);

/** A seeded generator (mulberry32): the same junk on every run. */
let seed = Number(seedText) >>> 0;
function random(): number {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));

const summary = {
  sent: {} as Record<string, number>,
  sockets: 0,
  closes: {} as Record<string, number>,
  statuses: {} as Record<string, number>,
};
const count = (table: Record<string, number>, key: string | number, n = 1): void => void (table[String(key)] = (table[String(key)] ?? 0) + n);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const open = (): boolean => Date.now() < deadline;
const duration = Number(durationText);
/**
 * The long-lived hostile sockets open over this first stretch, not all in one instant: each accepted socket
 * starts a call, and a connection storm measures the cost of call set-up, not of bad input.
 */
const RAMP_MS = Math.min(2000, duration / 4);
/** Waits so that `n` paced messages spread over the whole run (0.5-1.5 times the mean gap, at random). */
const paced = (n: number): Promise<void> => sleep((duration / n) * (0.5 + random()));

/** Opens a WebSocket; resolves with it once open, or with the refusal's status. */
function openSocket(path: string): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${ws}${path}`, { maxPayload: 8 * 1024 * 1024 });
    summary.sockets++;
    socket.on('error', () => {});
    socket.once('open', () => {
      socket.once('close', (code) => count(summary.closes, code));
      resolve(socket);
    });
    socket.once('unexpected-response', (_request, response) => {
      count(summary.statuses, response.statusCode ?? 0);
      socket.terminate();
      resolve(response.statusCode ?? 0);
    });
    socket.once('close', () => resolve(0));
  });
}

/** Sends `data` while the socket is open; counts it under `kind`. */
function send(socket: WebSocket, kind: string, data: string | Buffer, binary = typeof data !== 'string'): boolean {
  if (socket.readyState !== WebSocket.OPEN) return false;
  socket.send(data, { binary });
  count(summary.sent, kind);
  return true;
}

const CALL_JUNK: ReadonlyArray<readonly [string, () => string | Buffer]> = [
  ['malformed-json', () => pick(['{', '{"type":', 'nul', '}{', '{"type":"say","text":"unterminated']) + bytes(4).toString('latin1')],
  ['not-an-object', () => pick(['[]', '"say"', '42', 'null', 'true'])],
  ['unknown-type', () => JSON.stringify({ type: pick(['explode', 'HANGUP', 'sudo', '', '__proto__']), x: random() })],
  ['bad-field', () => JSON.stringify(pick([{ type: 'dtmf', digit: 'X' }, { type: 'dtmf' }, { type: 'say', text: 5 }, { type: 'say', text: '' }, { type: 'played', mark: 7 }, { type: 'say', text: 'x'.repeat(600) }]))],
  ['unknown-mark', () => JSON.stringify({ type: 'played', mark: `9:${Math.floor(random() * 1e6)}`, dropped: random() < 0.5 })],
  ['odd-binary', () => bytes(1 + 2 * Math.floor(random() * 50))],
  ['oversized-binary', () => bytes(64 * 1024 + 2)],
  ['oversized-text', () => JSON.stringify({ type: 'say', text: 'y'.repeat(70 * 1024) })],
];

/** Native WebSocket calls that send junk at a bad client's pace, reconnecting when the server closes them (1008). */
async function badCallClients(sockets: number, messagesEach: number): Promise<void> {
  await Promise.all(
    Array.from({ length: sockets }, async (_, i) => {
      await sleep(RAMP_MS * (i / sockets));
      let sent = 0;
      while (sent < messagesEach && open()) {
        const socket = await openSocket(`/calls/${agent}?rate=${pick([8000, 16000, 24000])}&fuzz=${i}`);
        if (typeof socket === 'number') break;
        while (sent < messagesEach && open() && socket.readyState === WebSocket.OPEN) {
          const [kind, make] = pick(CALL_JUNK);
          if (send(socket, `calls:${kind}`, make())) sent++;
          await paced(messagesEach);
        }
        socket.terminate();
      }
    }),
  );
}

/** Floods, in `rounds` spread over the run: audio far faster than real time, and control messages past 1,000 a second. */
async function callFloods(rounds: number, sockets: number, messagesEach: number): Promise<void> {
  for (let round = 0; round < rounds && open(); round++) {
    await paced(rounds);
    await Promise.all(
      Array.from({ length: sockets }, async (_, i) => {
        const socket = await openSocket(`/calls/${agent}?rate=16000&flood=${round}-${i}`);
        if (typeof socket === 'number') return;
        const frame = Buffer.alloc(640);
        for (let n = 0; n < messagesEach && open() && socket.readyState === WebSocket.OPEN; n++) {
          if (i % 2 === 0) send(socket, 'calls:flood-audio', frame, true);
          else send(socket, 'calls:flood-text', JSON.stringify({ type: 'played', mark: `1:${n}` }));
          // Yield now and then so the flood goes out while it is sent, not all at the end.
          if (n % 200 === 199) await sleep(1);
        }
        await sleep(200);
        socket.terminate();
      }),
    );
  }
}

const START = (streamSid: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ event: 'start', sequenceNumber: '1', streamSid, start: { streamSid, callSid: `CAfuzz${streamSid}`, accountSid: 'ACfuzz', tracks: ['inbound'], mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 }, customParameters: { fuzz: '1' }, ...extra } });
const media = (streamSid: string, chunk: string | number, payload: string) => JSON.stringify({ event: 'media', streamSid, media: { track: 'inbound', chunk: String(chunk), timestamp: '0', payload } });
const SILENCE = Buffer.alloc(160, 0xff).toString('base64');

/** Twilio streams that misbehave in every way the transport must survive, one message every few ms. */
async function badTwilioStreams(sockets: number, messagesEach: number): Promise<void> {
  await Promise.all(
    Array.from({ length: sockets }, async (_, i) => {
      await sleep(RAMP_MS * ((i + 0.5) / sockets));
      const socket = await openSocket(`/twilio/${agent}`);
      if (typeof socket === 'number') return;
      const sid = `MZfuzz${i}`;
      const steps: Array<readonly [string, () => string | Buffer]> = [
        ['media-before-start', () => media(sid, 1, SILENCE)],
        ['dtmf-before-start', () => JSON.stringify({ event: 'dtmf', streamSid: sid, dtmf: { digit: '1' } })],
        ['binary-frame', () => bytes(160)],
        ['malformed-json', () => pick(['{"event":', 'media', '{]', '{"event":"media","media":{"payload":'])],
        ['unknown-event', () => JSON.stringify({ event: pick(['party', 'connected2', 'START', '']), streamSid: sid })],
        ['start-bad-format', () => START(sid, { mediaFormat: { encoding: 'audio/l16', sampleRate: 16000, channels: 2 } })],
      ];
      const started: Array<readonly [string, () => string | Buffer]> = [
        ['bad-base64', () => media(sid, Math.floor(random() * 50), pick(['!!!!', 'abc', '====', 'a'.repeat(161), '@'.repeat(8)]))],
        ['media', () => media(sid, Math.floor(random() * 1e5), SILENCE)],
        ['chunk-jump', () => media(sid, 999_999_999, SILENCE)],
        ['bad-dtmf', () => JSON.stringify({ event: 'dtmf', streamSid: sid, dtmf: { digit: pick(['x', '12', '', 5]) } })],
        ['unknown-mark', () => JSON.stringify({ event: 'mark', streamSid: sid, mark: { name: `nope-${random()}` } })],
        ['second-start', () => START(`${sid}b`)],
        ['oversized-text', () => media(sid, 1, 'A'.repeat(70 * 1024))],
        ['binary-frame', () => bytes(200)],
      ];
      let sent = 0;
      // Before start: junk only; start goes out a third of the way in (unless the stream was closed first).
      for (; sent < messagesEach / 3 && open(); sent++) {
        const [kind, make] = i % 4 === 0 && sent === 2 ? (['start-bad-format', () => START(sid, { mediaFormat: { encoding: 'audio/l16', sampleRate: 16000, channels: 2 } })] as const) : pick(steps.filter(([kind]) => kind !== 'start-bad-format'));
        if (!send(socket, `twilio:${kind}`, make())) break;
        await paced(messagesEach);
      }
      send(socket, 'twilio:start', START(sid));
      for (; sent < messagesEach && open(); sent++) {
        const [kind, make] = pick(started);
        if (!send(socket, `twilio:${kind}`, make())) break;
        await paced(messagesEach);
      }
      // Half of them vanish without `stop`.
      if (i % 2 === 0) send(socket, 'twilio:stop', JSON.stringify({ event: 'stop', streamSid: sid }));
      socket.terminate();
    }),
  );
}

/** Twilio streams flooding media past 500 messages a second (the transport closes them, 1008), in `rounds`. */
async function twilioFloods(rounds: number, messagesEach: number): Promise<void> {
  for (let round = 0; round < rounds && open(); round++) {
    await paced(rounds);
    const socket = await openSocket(`/twilio/${agent}`);
    if (typeof socket === 'number') continue;
    const sid = `MZflood${round}`;
    send(socket, 'twilio:start', START(sid));
    for (let n = 1; n <= messagesEach && open() && socket.readyState === WebSocket.OPEN; n++) {
      send(socket, 'twilio:flood-media', media(sid, n, SILENCE));
      if (n % 200 === 0) await sleep(1);
    }
    await sleep(200);
    socket.terminate();
  }
}

/** Messages past the socket layer's 1 MiB limit: `ws` closes with 1009. */
async function hugeMessages(sockets: number): Promise<void> {
  await Promise.all(
    Array.from({ length: sockets }, async (_, i) => {
      await sleep((duration / sockets) * i);
      const socket = await openSocket(i % 2 === 0 ? `/calls/${agent}` : `/twilio/${agent}`);
      if (typeof socket === 'number') return;
      send(socket, 'huge-message', Buffer.alloc(2 * 1024 * 1024), true);
      const closed = new Promise((resolve) => (socket.readyState === WebSocket.CLOSED ? resolve(undefined) : socket.once('close', resolve)));
      await Promise.race([closed, sleep(Math.max(0, deadline - Date.now()) + 1000)]);
      socket.terminate();
    }),
  );
}

/** Upgrades to agents and paths that do not exist (404 at the upgrade), and refused query strings (400). */
async function unknownTargets(upgrades: number): Promise<void> {
  const paths = ['/calls/nobody', '/twilio/nobody', '/calls/nobody?rate=16000', '/nope', '/calls/', '/twilio/%E0%A4%A', `/calls/${agent}?rate=11025`, `/v1/events/${agent}`];
  for (let i = 0; i < upgrades && open(); i++) {
    const socket = await openSocket(paths[i % paths.length]!);
    if (typeof socket !== 'number') socket.terminate();
    await paced(upgrades);
  }
}

/** Junk over plain HTTP: webhook bodies over 64 KiB (413), unknown paths (404), wrong methods (405). */
async function httpJunk(requests: number): Promise<void> {
  for (let i = 0; i < requests && open(); i++) {
    const kind = i % 3;
    const response = await fetch(kind === 0 ? `${base}/twilio/${agent}/twiml` : kind === 1 ? `${base}/no/such/path` : `${base}/healthz`, {
      method: kind === 1 ? 'GET' : 'POST',
      ...(kind === 0 ? { body: 'x='.concat('y'.repeat(100 * 1024)) } : {}),
      signal: AbortSignal.timeout(5000),
    }).catch(() => undefined);
    count(summary.statuses, response?.status ?? 'error');
    await response?.text().catch(() => undefined);
    count(summary.sent, 'http-junk');
    await paced(requests);
  }
}

/** Sockets left half-open: an upgrade request that never ends, a finished upgrade that then says nothing, a bare TCP connection. */
async function halfOpen(sockets: number): Promise<void> {
  const held: Socket[] = [];
  for (let i = 0; i < sockets; i++) {
    const socket = connect(Number(url.port), url.hostname);
    socket.on('error', () => {});
    held.push(socket);
    summary.sockets++;
    const key = Buffer.from(bytes(16)).toString('base64');
    const upgrade = `GET /calls/${agent}?rate=8000&halfopen=${i} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n`;
    if (i % 3 === 0) socket.write(upgrade); // the blank line that ends the headers never comes
    else if (i % 3 === 1) socket.write(`${upgrade}\r\n`); // upgraded, then silent: never sends a frame, never reads
    count(summary.sent, `half-open:${i % 3}`);
    if (i % 3 === 1) socket.pause();
  }
  while (open()) await sleep(100);
  for (const socket of held) socket.destroy();
}

await Promise.all([
  badCallClients(16, 150),
  callFloods(5, 2, 2000),
  badTwilioStreams(16, 150),
  twilioFloods(5, 1500),
  hugeMessages(4),
  unknownTargets(60),
  httpJunk(30),
  halfOpen(12),
]);
const total = Object.values(summary.sent).reduce((sum, n) => sum + n, 0);
process.stdout.write(JSON.stringify({ total, ...summary }) + '\n');
process.exit(0);
