/**
 * `npm run bench:loopback`: the floor under bench:e2e. How long one message takes between two idle Node processes
 * on this machine over a loopback TCP socket (Nagle off), with nothing else to do: no HTTP, no WebSocket, no JSON.
 *
 * A cascade turn at 0 ms mocks crosses the process boundary four times on its critical path (chat request out,
 * first token in, phrase out to the TTS, first audio in); dualplex three, speech-to-speech two. Each crossing wakes
 * a sleeping process. This measures that wake-up and copy, the part of bench:e2e's "added" latency no client code
 * can remove, so its p95 can be read against the budget.
 *
 * Measured: round trips of a 1-byte message to an echo server in a child process, `--gap-ms` apart (default 300,
 * so both processes are asleep when each message arrives, as between the steps of a turn); one-way = half.
 * Usage: npm run bench:loopback [-- --rounds 400 --gap-ms 300 --json]
 */
import { fork } from 'node:child_process';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { printTable, summarize } from './stats.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Math.max(1, Number(args[at + 1]) || fallback) : fallback;
};

if (args.includes('--echo-server')) {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (data) => socket.write(data));
  });
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as AddressInfo).port));
  process.on('disconnect', () => process.exit(0));
} else {
  const rounds = option('--rounds', 400);
  const gapMs = option('--gap-ms', 300);
  const json = args.includes('--json');
  const child = fork(fileURLToPath(import.meta.url), ['--echo-server'], { execArgv: process.execArgv });
  const port = await new Promise<number>((resolve) => child.once('message', (message) => resolve(message as number)));
  const socket = createConnection({ port, host: '127.0.0.1', noDelay: true });
  await new Promise((resolve) => socket.once('connect', resolve));
  const roundTrips: number[] = [];
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  for (let round = 0; round < rounds + 10; round++) {
    const sentAt = performance.now();
    await new Promise<void>((resolve) => {
      socket.once('data', () => resolve());
      socket.write('x');
    });
    if (round >= 10) roundTrips.push(performance.now() - sentAt); // 10 warm-up rounds
    if (!json && round % 50 === 0) process.stderr.write(`\r${round}/${rounds + 10} round trips`);
    await sleep(gapMs);
  }
  socket.destroy();
  child.disconnect();
  const rtt = summarize(roundTrips);
  const oneWay = summarize(roundTrips.map((ms) => ms / 2));
  // Four crossings = two round trips: consecutive pairs, so the tail is not doubled as 2x one sample would.
  const fourHops = summarize(roundTrips.slice(1).map((ms, index) => ms + roundTrips[index]!));
  if (!json) {
    process.stderr.write('\n');
    process.stdout.write(`Loopback TCP between two idle Node processes, ${rounds} round trips ${gapMs} ms apart (Node ${process.version})\n`);
    printTable([
      ['round trip, ms', rtt],
      ['one way (half a round trip), ms', oneWay],
      ['four one-way crossings (a cascade turn), ms', fourHops],
    ]);
  }
  process.stdout.write(`${JSON.stringify({ bench: 'loopback', node: process.version, rounds, gapMs, roundTripMs: rtt, oneWayMs: oneWay, fourCrossingsMs: fourHops })}\n`);
}
