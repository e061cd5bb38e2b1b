/*
 * One simulated Twilio caller of bench:serve, lean enough for a thousand in one process: no timers of its own
 * (the load generator's shared ticker calls `tick`), payloads base64-encoded once for every caller, outbound
 * messages read by their first bytes instead of JSON.parse, nothing kept per frame but the figures.
 *
 * Twilio's side of a bidirectional Media Stream, as test/mocks/twilio-client.ts plays it: `connected` and
 * `start`, one 20 ms mu-law `media` chunk per 20 ms (silence, or the caller's line), and the agent's audio
 * played at real time with no added delay: a `mark` is echoed once the audio sent before it has played, a
 * `clear` drops what has not played and echoes every pending mark at once.
 *
 * The script: hear the greeting; barge in with speech at a random point of it; hang up (`stop`, then close)
 * `holdMs` after the greeting began. What it measures:
 *   - jitter: |inter-arrival - 20 ms| of consecutive `media` messages of one utterance (the utterance is the
 *     one of the `mark` that follows each frame, `<utterance>:<samples>`); a `clear` (pause) starts a new run;
 *   - reaction: the caller's speech onset -> `clear` received. The onset is when the first speech chunk was due
 *     minus its 20 ms (Twilio sends a chunk once its audio has been captured), so a late ticker counts against
 *     the server, never for it;
 *   - response: the end of the caller's speech (when its last chunk was due) -> the first `media` of a later
 *     utterance than the greeting.
 */
import type { WebSocket } from 'ws';

/** Frame length of Twilio's media chunks, ms. */
export const CHUNK_MS = 20;

/** What every caller of a phase shares. */
export interface CallerScript {
  /** base64 of 160 mu-law bytes of silence. */
  readonly silence: string;
  /** The caller's line, one base64 payload per 20 ms chunk. */
  readonly speech: readonly string[];
  /** Hang up this long after the greeting's first frame, ms. */
  readonly holdMs: number;
  /** The barge-in starts this long after the greeting's first frame: uniform in [from, to], ms. */
  readonly bargeInFromMs: number;
  readonly bargeInToMs: number;
  /** Hang up when no greeting came this long after `start`, ms. */
  readonly greetingTimeoutMs: number;
}

/** Where a caller's figures go (shared by the callers of a phase, so nothing is kept per caller). */
export interface CallerSink {
  jitterMs(value: number): void;
  reactionMs(value: number): void;
  responseMs(value: number): void;
  greetingWaitMs(value: number): void;
  /** How late the ticker sent a chunk after it was due, ms. */
  sendLagMs(value: number): void;
  count(what: CallerCount): void;
}

/** Events a phase counts. */
export type CallerCount = 'media' | 'marks' | 'clears' | 'no-greeting' | 'barge-in-after-greeting' | 'no-clear' | 'no-reply' | 'closed-by-server' | 'protocol';

const PREFIX = '{"event":"';
const NAME = Buffer.from('"name":"');

/** One caller on one socket. */
export class BenchCaller {
  private sequence = 0;
  private chunk = 0;
  private nextDueAt = 0;
  private startedAt = 0;
  private greetingAt: number | undefined;
  private greetingUtterance: number | undefined;
  private bargeInAt = Infinity;
  private speechChunk = -1;
  private onsetAt: number | undefined;
  private speechEndAt: number | undefined;
  private cleared = false;
  /** The barge-in began while the greeting was still being sent (one after it is no barge-in at all). */
  private onsetInGreeting = false;
  private replied = false;
  private lastMediaAt: number | undefined;
  private pendingGapMs: number | undefined;
  private lastUtterance: number | undefined;
  private greetingEndedAt: number | undefined;
  private playEndAt = 0;
  private readonly pendingMarks: Array<{ name: string; atMs: number }> = [];
  private hungUp = false;
  /** The socket closed (by either side). */
  done = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly streamSid: string,
    private readonly callSid: string,
    private readonly script: CallerScript,
    private readonly sink: CallerSink,
    private readonly random: () => number,
  ) {
    socket.on('message', (data: Buffer, binary: boolean) => this.onMessage(data, binary, performance.now()));
  }

  /** Sends `connected` and `start`; the first chunk is due now. */
  begin(now: number): void {
    this.startedAt = now;
    this.nextDueAt = now;
    this.send(`{"event":"connected","protocol":"Call","version":"1.0.0"}`);
    const start = { accountSid: 'AC00000000000000000000000000000000', streamSid: this.streamSid, callSid: this.callSid, tracks: ['inbound'], mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 }, customParameters: {} };
    this.send(JSON.stringify({ event: 'start', sequenceNumber: String(++this.sequence), streamSid: this.streamSid, start }));
  }

  /** The shared ticker: sends every chunk due by `now` (catching up after a late tick), echoes played marks. */
  tick(now: number): void {
    if (this.hungUp) return;
    const holdEnd = this.greetingAt === undefined ? this.startedAt + this.script.greetingTimeoutMs : this.greetingAt + this.script.holdMs;
    if (now >= holdEnd) return this.hangUp();
    const due = this.nextDueAt <= now;
    const echoes = this.pendingMarks.length > 0 && this.pendingMarks[0]!.atMs <= now;
    if (!due && !echoes) return;
    // One write for the chunk and the echoes of this tick: the load generator's syscalls are not what is measured.
    const tcp = (this.socket as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    tcp?.cork();
    if (due) this.sink.sendLagMs(now - this.nextDueAt);
    while (this.nextDueAt <= now) {
      this.sendChunk(this.nextDueAt);
      this.nextDueAt += CHUNK_MS;
    }
    while (this.pendingMarks.length > 0 && this.pendingMarks[0]!.atMs <= now) this.echo(this.pendingMarks.shift()!.name);
    tcp?.uncork();
  }

  /** `stop`, then close: what Twilio does when the caller hangs up. Counts what never happened. */
  hangUp(): void {
    if (this.hungUp) return;
    this.hungUp = true;
    if (this.greetingAt === undefined) this.sink.count('no-greeting');
    else if (this.onsetInGreeting && !this.cleared) this.sink.count('no-clear');
    if (this.speechEndAt !== undefined && !this.replied) this.sink.count('no-reply');
    this.send(JSON.stringify({ event: 'stop', sequenceNumber: String(++this.sequence), streamSid: this.streamSid, stop: { accountSid: 'AC00000000000000000000000000000000', callSid: this.callSid } }));
    this.socket.close(1000);
  }

  /** The socket closed before the caller hung up: the server ended the call. */
  closedByServer(): void {
    if (this.hungUp) return;
    this.sink.count('closed-by-server');
    this.hungUp = true;
  }

  private sendChunk(dueAt: number): void {
    let payload = this.script.silence;
    if (this.speechChunk < 0 && dueAt >= this.bargeInAt) {
      this.speechChunk = 0;
      this.onsetAt = dueAt - CHUNK_MS;
      this.onsetInGreeting = this.greetingEndedAt === undefined;
      // Counted apart: a barge-in after the greeting ended is no barge-in at all.
      if (!this.onsetInGreeting) this.sink.count('barge-in-after-greeting');
    }
    if (this.speechChunk >= 0 && this.speechChunk < this.script.speech.length) {
      payload = this.script.speech[this.speechChunk++]!;
      if (this.speechChunk === this.script.speech.length) this.speechEndAt = dueAt;
    }
    const chunk = ++this.chunk;
    this.send(
      `{"event":"media","sequenceNumber":"${++this.sequence}","streamSid":"${this.streamSid}","media":{"track":"inbound","chunk":"${chunk}","timestamp":"${(chunk - 1) * CHUNK_MS}","payload":"${payload}"}}`,
    );
  }

  private send(text: string): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(text);
  }

  private echo(name: string): void {
    this.sink.count('marks');
    this.send(`{"event":"mark","sequenceNumber":"${++this.sequence}","streamSid":"${this.streamSid}","mark":{"name":${JSON.stringify(name)}}}`);
  }

  private onMessage(data: Buffer, binary: boolean, now: number): void {
    if (binary || data.length < 12 || data.toString('latin1', 0, 10) !== PREFIX) return this.sink.count('protocol');
    const a = data[10];
    const b = data[11];
    if (a === 0x6d && b === 0x65) return this.onMedia(now); // "me"dia
    if (a === 0x6d && b === 0x61) return this.onMark(markName(data), now); // "ma"rk
    if (a === 0x63) return this.onClear(now); // "c"lear
    this.sink.count('protocol');
  }

  private onMedia(now: number): void {
    this.sink.count('media');
    if (this.greetingAt === undefined) {
      this.greetingAt = now;
      this.sink.greetingWaitMs(now - this.startedAt);
      const { bargeInFromMs: from, bargeInToMs: to } = this.script;
      this.bargeInAt = now + from + this.random() * (to - from);
    }
    this.pendingGapMs = this.lastMediaAt === undefined ? undefined : now - this.lastMediaAt;
    this.lastMediaAt = now;
    this.playEndAt = Math.max(this.playEndAt, now) + CHUNK_MS;
  }

  private onMark(name: string | undefined, now: number): void {
    if (name === undefined) return this.sink.count('protocol');
    const colon = name.indexOf(':');
    const utterance = Number(name.slice(0, colon));
    if (name.endsWith(':end')) {
      if (utterance === this.greetingUtterance) this.greetingEndedAt ??= now;
    } else {
      if (utterance !== this.lastUtterance) this.onUtteranceStart(utterance);
      else if (this.pendingGapMs !== undefined) this.sink.jitterMs(Math.abs(this.pendingGapMs - CHUNK_MS));
      this.pendingGapMs = undefined;
      this.lastUtterance = utterance;
    }
    if (this.playEndAt <= now) this.echo(name);
    else this.pendingMarks.push({ name, atMs: this.playEndAt });
  }

  /** The frame just before this mark was the first of `utterance`. */
  private onUtteranceStart(utterance: number): void {
    if (this.greetingUtterance === undefined) this.greetingUtterance = utterance;
    else if (!this.replied && this.speechEndAt !== undefined && this.lastMediaAt !== undefined && this.lastMediaAt > this.speechEndAt) {
      this.replied = true;
      this.sink.responseMs(this.lastMediaAt - this.speechEndAt);
    }
  }

  private onClear(now: number): void {
    this.sink.count('clears');
    if (this.onsetAt !== undefined && this.onsetInGreeting && !this.cleared) {
      this.cleared = true;
      this.sink.reactionMs(now - this.onsetAt);
    }
    // A new run of frames after the pause; what had not played is dropped, its marks echoed at once.
    this.lastMediaAt = undefined;
    this.pendingGapMs = undefined;
    this.playEndAt = now;
    for (const mark of this.pendingMarks.splice(0)) this.echo(mark.name);
  }
}

/** The `mark.name` of a mark message, found by its bytes (the server writes `"name":"…"` without escapes). */
function markName(data: Buffer): string | undefined {
  const at = data.indexOf(NAME);
  if (at < 0) return undefined;
  const end = data.indexOf(0x22, at + NAME.length);
  return end < 0 ? undefined : data.toString('latin1', at + NAME.length, end);
}
