/*
 * The socket share of bench:serve's CPU breakdown: what one WebSocket message costs the server on a real
 * loopback TCP socket, with `ws` configured as `voiceagent serve` configures it (no permessage-deflate).
 *   - receive: a peer process on 20 sockets sends one masked text frame per socket per millisecond (each
 *     frame arrives on its own, as a call's 20 ms messages do, and one wake-up serves many sockets, as on a
 *     busy server); this process's CPU per message received: the reads, the event-loop wake-ups, unframing
 *     and unmasking, the `message` event;
 *   - send: this process sends messages one after another to a peer process that discards them; CPU per
 *     message: framing, and the write system call each `send` makes.
 * The peer is a few lines of plain Node (`net`), so its work is never in this process's CPU.
 */
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** CPU per WebSocket message, µs. */
export interface SocketCosts {
  readonly receiveUs: number;
  readonly sendUs: number;
}

/** The peer: upgrades by hand, then either sends `count` frames of `text`, one per ms, or reads and discards. */
const PEER = `
const net = require('node:net');
const [port, mode, text, count, sockets] = process.argv.slice(1);
for (let i = 0; i < Number(sockets); i++) connect();
function connect() {
const socket = net.connect(Number(port), '127.0.0.1', () => {
  socket.write('GET / HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n');
  if (mode !== 'source') return;
  const payload = Buffer.from(text);
  const frame = Buffer.concat([Buffer.from([0x81, 0xfe, payload.length >> 8, payload.length & 255, 0, 0, 0, 0]), payload]);
  let sent = 0;
  setTimeout(() => {
    const timer = setInterval(() => {
      socket.write(frame);
      if (++sent >= Number(count)) clearInterval(timer);
    }, 1);
  }, 300);
});
socket.on('data', () => {});
socket.on('error', () => {});
socket.on('close', () => process.exit(0));
}
`;

/** Accepts `sockets` connections from a peer started with `mode`; resolves with the server side of them. */
async function withPeer<T>(mode: 'source' | 'sink', text: string, count: number, sockets: number, use: (ws: WebSocket[]) => Promise<T>): Promise<T> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const { port } = wss.address() as AddressInfo;
  const peer = spawn(process.execPath, ['-e', PEER, String(port), mode, text, String(count), String(sockets)], { stdio: 'ignore' });
  try {
    const accepted: WebSocket[] = [];
    await new Promise<void>((resolve) =>
      wss.on('connection', (ws) => {
        accepted.push(ws);
        if (accepted.length === sockets) resolve();
      }),
    );
    return await use(accepted);
  } finally {
    peer.kill();
    for (const client of wss.clients) client.terminate();
    await new Promise((resolve) => wss.close(resolve));
  }
}

/** CPU per message received, µs, over `count` messages per socket on 20 sockets, one per socket per millisecond. */
function measureReceive(text: string, count: number): Promise<number> {
  const sockets = 20;
  const total = count * sockets;
  return withPeer('source', text, count, sockets, (accepted) => {
    let received = 0;
    let start: NodeJS.CpuUsage | undefined;
    return new Promise<number>((resolve) => {
      const onMessage = (): void => {
        // The first messages warm the path up; counting starts after them.
        if (++received === 1000) start = process.cpuUsage();
        if (received === total - 1000 && start) {
          const used = process.cpuUsage(start);
          resolve((used.user + used.system) / (total - 2000));
        }
      };
      for (const ws of accepted) ws.on('message', onMessage);
    });
  });
}

/** CPU per message sent, µs, over `count` sends (a yield every 50, so the socket drains as between frames). */
function measureSend(text: string, count: number): Promise<number> {
  return withPeer('sink', text, 0, 1, async ([ws]) => {
    if (!ws) throw new Error('no peer connected');
    for (let i = 0; i < 500; i++) ws.send(text);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const start = process.cpuUsage();
    for (let sent = 0; sent < count; sent += 50) {
      for (let k = 0; k < 50; k++) ws.send(text);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const used = process.cpuUsage(start);
    return (used.user + used.system) / count;
  });
}

/** Measures a message like `inbound` received and one like `outbound` sent. */
export async function measureSocketCosts(inbound: string, outbound: string): Promise<SocketCosts> {
  return { receiveUs: await measureReceive(inbound, 2000), sendUs: await measureSend(outbound, 20_000) };
}
