/*
 * A test client of the native WebSocket call protocol (docs/websocket-protocol.md) that behaves like the
 * browser snippet there: its "microphone" sends 20 ms PCM16 frames at real time (silence), its "speaker"
 * plays the agent's audio at real time and echoes each mark as played when playback reaches it, and at a
 * `clear` it drops what it holds and echoes the marks it held as dropped. Everything it received is kept for
 * assertions, and `waitFor` resolves when a message matching a predicate has arrived.
 */
import WebSocket from 'ws';
import type { CallEvent } from '../../runtime/call/events.js';
import type { CallRecord } from '../../runtime/call/call-record.js';
import { realClock, type Clock } from '../../runtime/util/clock.js';

/** A JSON message from the server, or `{ type: 'audio', ms }` for a binary frame. */
export type ReceivedMessage = { readonly type: string; readonly atMs: number } & Record<string, unknown>;

/**
 * The client's speaker: agent audio plays back to back at real time on `clock`; a mark is reported played
 * when the audio queued before it has played; `clear` drops the queue and reports its marks as dropped.
 */
export interface ClientPlayer {
  audio(ms: number): void;
  mark(name: string): void;
  clear(): void;
  /** Plays what is due by now (call it often: every 10-20 ms). */
  advance(): void;
  /** Audio played so far, ms. */
  readonly playedMs: number;
  /** Audio queued and not played, ms. */
  readonly queuedMs: number;
}

/** Creates a {@link ClientPlayer} that reports through `echo`. */
export function createClientPlayer(clock: Clock, echo: (report: { type: 'played'; mark: string; dropped: boolean }) => void): ClientPlayer {
  const queue: Array<{ ms: number } | { mark: string }> = [];
  let lastAtMs = clock.now();
  let playedMs = 0;
  let queuedMs = 0;
  const player: ClientPlayer = {
    audio(ms) {
      player.advance();
      queue.push({ ms });
      queuedMs += ms;
    },
    mark(name) {
      player.advance();
      if (queue.length === 0) echo({ type: 'played', mark: name, dropped: false });
      else queue.push({ mark: name });
    },
    clear() {
      player.advance();
      for (const item of queue.splice(0)) if ('mark' in item) echo({ type: 'played', mark: item.mark, dropped: true });
      queuedMs = 0;
    },
    advance() {
      const nowMs = clock.now();
      // An idle speaker does not bank time: audio arriving later starts playing when it arrives.
      let budgetMs = nowMs - lastAtMs;
      lastAtMs = nowMs;
      while (queue.length > 0) {
        const head = queue[0]!;
        if ('mark' in head) {
          queue.shift();
          echo({ type: 'played', mark: head.mark, dropped: false });
          continue;
        }
        const take = Math.min(budgetMs, head.ms);
        head.ms -= take;
        budgetMs -= take;
        playedMs += take;
        queuedMs -= take;
        if (head.ms > 1e-9) break;
        queue.shift();
      }
    },
    get playedMs() {
      return playedMs;
    },
    get queuedMs() {
      return queuedMs;
    },
  };
  return player;
}

/** A connected test client. */
export interface WebSocketCallClient {
  /** Every message received, in order (binary frames as `{ type: 'audio', ms }`). */
  readonly received: ReceivedMessage[];
  /** The call events received (`{"type":"event"}` messages). */
  readonly events: CallEvent[];
  /** Agent audio received, ms. */
  readonly audioMs: number;
  readonly player: ClientPlayer;
  /** The close code and reason, once the server closed. */
  readonly closed: Promise<{ readonly code: number; readonly reason: string }>;
  /** The record of the `ended` message, once it came. */
  readonly record: CallRecord | undefined;
  send(message: object | string): void;
  say(text: string): void;
  /** Resolves with the first message (received so far or later) matching `predicate`; rejects after `timeoutMs`. */
  waitFor(predicate: (message: ReceivedMessage) => boolean, timeoutMs?: number, what?: string): Promise<ReceivedMessage>;
  /** Resolves with the first call event matching `predicate`. */
  waitForEvent<T extends CallEvent = CallEvent>(predicate: (event: CallEvent) => boolean, timeoutMs?: number, what?: string): Promise<T>;
  /** Stops the microphone and closes the socket (no hangup message). */
  close(): void;
}

/** Connects to `url` (`ws://host/calls/agent?rate=16000`) and starts the microphone and speaker. */
export async function connectWebSocketCall(url: string, options: { readonly sampleRate: number; readonly headers?: Record<string, string> }): Promise<WebSocketCallClient> {
  const clock = realClock;
  const ws = new WebSocket(url, { headers: options.headers ?? {} });
  const startedAtMs = clock.now();
  const received: ReceivedMessage[] = [];
  const events: CallEvent[] = [];
  const waiters = new Set<(message: ReceivedMessage) => void>();
  let audioMs = 0;
  let record: CallRecord | undefined;
  const send = (message: object | string) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  };
  const player = createClientPlayer(clock, send);
  const push = (message: ReceivedMessage) => {
    received.push(message);
    for (const waiter of [...waiters]) waiter(message);
  };
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const atMs = clock.now() - startedAtMs;
    if (isBinary) {
      const ms = (data.length / 2 / options.sampleRate) * 1000;
      audioMs += ms;
      player.audio(ms);
      return push({ type: 'audio', atMs, ms });
    }
    const message = JSON.parse(data.toString('utf8')) as { type: string } & Record<string, unknown>;
    if (message.type === 'mark') player.mark(message.name as string);
    if (message.type === 'clear') player.clear();
    if (message.type === 'event') events.push(message.event as CallEvent);
    if (message.type === 'ended') record = message.record as CallRecord;
    push({ ...message, atMs });
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })));
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused: ${response.statusCode}`)));
    ws.once('error', reject);
  });

  // The microphone: one silent 20 ms frame per 20 ms of wall time, caught up after a late timer.
  const frameBytes = new Uint8Array((options.sampleRate / 50) * 2);
  const micStartMs = clock.now();
  let framesSent = 0;
  const timer = setInterval(() => {
    player.advance();
    const due = Math.floor((clock.now() - micStartMs) / 20);
    for (; framesSent < due && ws.readyState === WebSocket.OPEN; framesSent++) ws.send(frameBytes);
  }, 10);
  void closed.then(() => clearInterval(timer));

  const waitFor = (predicate: (message: ReceivedMessage) => boolean, timeoutMs = 15_000, what = 'a message'): Promise<ReceivedMessage> => {
    const found = received.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = (message: ReceivedMessage) => {
        if (!predicate(message)) return;
        waiters.delete(waiter);
        clearTimeout(timeout);
        resolve(message);
      };
      const timeout = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received: ${received.filter((m) => m.type !== 'audio' && !(m.type === 'event' && ['levels', 'agent.heard'].includes((m.event as CallEvent).type))).map((m) => (m.type === 'event' ? `event:${(m.event as CallEvent).type}` : m.type)).slice(-30).join(', ')}${record ? `; the call ended (${record.endReason}): ${JSON.stringify(record.failures)}` : ''}`));
      }, timeoutMs);
      waiters.add(waiter);
    });
  };
  return {
    received,
    events,
    get audioMs() {
      return audioMs;
    },
    get record() {
      return record;
    },
    player,
    closed,
    send,
    say: (text) => send({ type: 'say', text }),
    waitFor,
    async waitForEvent<T extends CallEvent = CallEvent>(predicate: (event: CallEvent) => boolean, timeoutMs?: number, what = 'an event') {
      const message = await waitFor((m) => m.type === 'event' && predicate(m.event as CallEvent), timeoutMs, what);
      return message.event as T;
    },
    close() {
      clearInterval(timer);
      ws.close();
    },
  };
}

/**
 * Waits until the client has played everything it was sent (the agent quiet for 400 ms and heard in full);
 * throws after `timeoutMs` saying `what` never finished playing.
 */
export async function untilHeard(client: Pick<WebSocketCallClient, 'audioMs' | 'player'>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quietSince = Date.now();
  let lastAudioMs = client.audioMs;
  while (Date.now() - quietSince < 400) {
    if (Date.now() > deadline) throw new Error(`${what} never finished playing`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (client.audioMs !== lastAudioMs || client.player.queuedMs > 0) quietSince = Date.now();
    lastAudioMs = client.audioMs;
  }
}
