/**
 * The Twilio Media Streams transport: one bidirectional `<Connect><Stream>` WebSocket as a {@link CallTransport}.
 *
 * Inbound, Twilio's JSON text frames become the call's far end: `start` (ids and custom parameters), `media`
 * (base64 mu-law, framed to 20 ms, lost chunks filled with silence), `dtmf`, `mark` echoes (played, or dropped
 * when a `clear` went out after the mark) and `stop`. Outbound, each 20 ms frame playout sends becomes one
 * `media` message, each mark a `mark` and a barge-in flush a `clear`, all sent in the same tick as the call
 * asks for them. Pacing is playout's (one frame per 20 ms on the call's clock); this transport forwards.
 *
 * Bad input never throws: malformed JSON, bad base64, binary or oversized frames, media before `start`, mark
 * echoes for marks never sent are counted, reported through `onProtocolError`, and dropped. The socket is
 * closed with 1008 only when the stream is unusable: an unsupported media format, or a flood (more messages or
 * protocol errors in one second than any Twilio stream sends).
 */
import { realClock, type Clock } from '../../util/clock.js';
import type { CallTransport, PlayedReport, TransportCloseReason, TransportListener, TransportStartInfo } from '../types.js';
import { TWILIO_SAMPLE_RATE, TwilioInboundAudio } from './inbound-audio.js';
import { parseTwilioMessage, preview, type TwilioInbound, type TwilioStreamStart } from './messages.js';
import { TwilioOutbound } from './outbound-stream.js';
import { PlaybackLedger } from './playback-ledger.js';
import { byteLengthOf, FloodWindow, textOf, TWILIO_MAX_MESSAGE_BYTES, type TwilioSocket, type TwilioSocketData } from './twilio-socket.js';

/** Options of {@link createTwilioTransport}. */
export interface TwilioTransportOptions {
  /** Time line of the flood windows and deferred reports. Default: the real clock. */
  readonly clock?: Clock;
  /** Told about each bad message (the server logs them). The transport carries on unless the stream is unusable. */
  readonly onProtocolError?: (message: string) => void;
  /** Messages longer than this are dropped (and reported), bytes. Default: 65536. */
  readonly maxMessageBytes?: number;
  /** More messages than this in one second is a flood: closed with 1008. Twilio sends ~100 (50 media, 50 mark echoes). Default: 500. */
  readonly maxMessagesPerSecond?: number;
  /** More protocol errors than this in one second: closed with 1008. Default: 50. */
  readonly maxProtocolErrorsPerSecond?: number;
  /** Longest run of lost inbound audio filled with silence at one gap, ms. Default: 2000. */
  readonly maxGapFillMs?: number;
  /** Outbound audio held while Twilio's `start` (and its streamSid) has not come, ms; beyond, frames are dropped. Default: 10000. */
  readonly maxHeldBeforeStartMs?: number;
  /** Marks kept waiting for their echo (one per 20 ms frame); beyond, the oldest is forgotten. Default: 3000 (60 s). */
  readonly maxPendingMarks?: number;
}

/** Counters of one stream, for logs, metrics and tests. */
export interface TwilioTransportStats {
  readonly messages: number;
  readonly media: number;
  /** 20 ms frames handed to the call (silence fill included). */
  readonly framesDelivered: number;
  /** Frames of silence put in for lost chunks. */
  readonly framesFilled: number;
  /** Frames that came before the call listened (the call had not started: dropped). */
  readonly framesBeforeListen: number;
  readonly dtmf: number;
  readonly marksSent: number;
  readonly marksPlayed: number;
  readonly marksDropped: number;
  readonly clears: number;
  /** Bad messages (reported through `onProtocolError`). */
  readonly protocolErrors: number;
  /** Events ignored by design: unknown events, other tracks' media. */
  readonly ignored: number;
  /** Outbound messages not sent: after the stream ended, to a socket not open, or over the hold before `start`. */
  readonly sendsDropped: number;
}

/** A {@link CallTransport} over a Twilio Media Streams socket. */
export interface TwilioTransport extends CallTransport {
  /** Resolves with Twilio's `start` once it comes, or undefined if the stream ends first. Never rejects. */
  readonly started: Promise<TwilioStreamStart | undefined>;
  /** The stream's id, once `start` came. */
  readonly streamSid: string | undefined;
  stats(): TwilioTransportStats;
}

const OPEN = 1;
const MAX_HELD_EVENTS = 64;

/** Wraps the socket Twilio opened. Listens at once; the call connects with `listen` (what came earlier is held). */
export function createTwilioTransport(socket: TwilioSocket, options: TwilioTransportOptions = {}): TwilioTransport {
  const clock = options.clock ?? realClock;
  const maxMessageBytes = options.maxMessageBytes ?? TWILIO_MAX_MESSAGE_BYTES;
  const maxMessagesPerSecond = options.maxMessagesPerSecond ?? 500;
  const maxErrorsPerSecond = options.maxProtocolErrorsPerSecond ?? 50;
  const inbound = new TwilioInboundAudio(options.maxGapFillMs ?? 2000);
  const ledger = new PlaybackLedger(options.maxPendingMarks ?? 3000);
  const stats = { messages: 0, media: 0, framesDelivered: 0, framesFilled: 0, framesBeforeListen: 0, dtmf: 0, marksSent: 0, marksPlayed: 0, marksDropped: 0, clears: 0, protocolErrors: 0, ignored: 0, sendsDropped: 0 };
  let listener: TransportListener | undefined;
  // Far-end events that came before `listen` (start, keys, the end), delivered in order when the call listens.
  const heldEvents: Array<(to: TransportListener) => void> = [];
  let streamSid: string | undefined;
  let ended = false;
  const flood = new FloodWindow(clock);
  let resolveStarted: (start: TwilioStreamStart | undefined) => void = () => {};
  const started = new Promise<TwilioStreamStart | undefined>((resolve) => (resolveStarted = resolve));
  const outbound = new TwilioOutbound({
    clock,
    ledger,
    send: (text) => sendText(text),
    onDroppedHeld: (dropped) => deliverPlayed(dropped),
    onMarksForgotten: () => report(`more than ${options.maxPendingMarks ?? 3000} marks await their echo (the far end does not echo them): the oldest are forgotten`),
    maxHeldMs: options.maxHeldBeforeStartMs ?? 10_000,
    counters: stats,
  });

  const report = (message: string): void => {
    try {
      options.onProtocolError?.(`twilio stream ${streamSid ?? '(not started)'}: ${message}`);
    } catch {
      // A failing logger must not take the stream down.
    }
  };
  const protocolError = (message: string): void => {
    stats.protocolErrors++;
    report(message);
    if (flood.error() > maxErrorsPerSecond) closeUnusable(`more than ${maxErrorsPerSecond} protocol errors in 1 s`);
  };
  /**
   * Hands an event to the call, or holds it until the call listens (keys beyond a bound are dropped; the start
   * and the end never are). A throw in the call is reported, never let into `ws`.
   */
  const toCall = (event: (to: TransportListener) => void, what: string, essential = false): void => {
    if (!listener) {
      if (essential || heldEvents.length < MAX_HELD_EVENTS) heldEvents.push(event);
      return;
    }
    try {
      event(listener);
    } catch (error) {
      report(`the call failed handling ${what}: ${(error as Error)?.message ?? String(error)}`);
    }
  };
  const endFromFarEnd = (reason: TransportCloseReason): void => {
    if (ended) return;
    finish();
    toCall((to) => to.onClose(reason), 'the end of the stream', true);
  };
  const finish = (): void => {
    ended = true;
    outbound.end();
    resolveStarted(undefined);
  };
  const closeSocket = (code: number, reason: string): void => {
    try {
      // A close reason is at most 123 bytes (RFC 6455); ours are ASCII.
      socket.close(code, reason.slice(0, 120));
    } catch {
      // Already closing.
    }
  };
  const closeUnusable = (why: string): void => {
    if (ended) return;
    report(`closing the stream (1008): ${why}`);
    endFromFarEnd('transport-closed');
    closeSocket(1008, why);
  };
  const sendText = (text: string): void => {
    if (socket.readyState !== OPEN) {
      stats.sendsDropped++;
      return;
    }
    try {
      socket.send(text);
    } catch {
      stats.sendsDropped++;
    }
  };

  const deliverAudio = (frame: Int16Array): void => {
    if (ended) return;
    if (!listener) {
      stats.framesBeforeListen++;
      return;
    }
    stats.framesDelivered++;
    toCall((to) => to.onAudio(frame), 'caller audio');
  };
  const onStart = (start: TwilioStreamStart): void => {
    if (streamSid !== undefined) return protocolError(`a second start (stream ${preview(start.streamSid, 40)}): ignored`);
    const format = start.mediaFormat;
    if (format && (format.encoding !== 'audio/x-mulaw' || format.sampleRate !== TWILIO_SAMPLE_RATE || format.channels !== 1)) {
      return closeUnusable(`unsupported media format ${preview(format.encoding, 30)} ${format.sampleRate} Hz x${format.channels} (need audio/x-mulaw 8000 Hz mono)`);
    }
    streamSid = start.streamSid;
    const ids: Record<string, string> = { streamSid: start.streamSid };
    if (start.callSid) ids.callSid = start.callSid;
    if (start.accountSid) ids.accountSid = start.accountSid;
    const info: TransportStartInfo = { transport: 'twilio', ids, parameters: { ...start.customParameters } };
    toCall((to) => to.onStart(info), 'the stream start', true);
    resolveStarted(start);
    outbound.start(start.streamSid);
  };
  const onMarkEcho = (name: string): void => {
    const played = ledger.echo(name);
    if (!played) return protocolError(`mark echo for "${preview(name, 40)}", which is not pending (never sent, or echoed twice): ignored`);
    deliverPlayed(played);
  };
  const deliverPlayed = (played: PlayedReport): void => {
    if (played.dropped) stats.marksDropped++;
    else stats.marksPlayed++;
    toCall((to) => to.onPlayed(played), `the echo of mark ${played.mark}`);
  };
  const handle = (message: TwilioInbound): void => {
    switch (message.event) {
      case 'connected':
        return;
      case 'start':
        return onStart(message);
      case 'media': {
        if (streamSid === undefined) return protocolError('media before start: dropped');
        if (message.track !== undefined && message.track !== 'inbound') {
          stats.ignored++;
          return;
        }
        stats.media++;
        const result = inbound.receive(message.payload, message.chunk, deliverAudio);
        stats.framesFilled += result.filledFrames;
        if (result.error) protocolError(result.error);
        return;
      }
      case 'mark':
        return onMarkEcho(message.name);
      case 'dtmf':
        if (streamSid === undefined) return protocolError('dtmf before start: dropped');
        stats.dtmf++;
        return toCall((to) => to.onDtmf(message.digit), 'a key press');
      case 'stop':
        endFromFarEnd('caller-hangup');
        // Twilio closes the socket next; a peer that would keep it open gets it closed.
        return closeSocket(1000, 'stream stopped');
      case 'other':
        stats.ignored++;
        return;
    }
  };
  const onMessage = (data: TwilioSocketData, isBinary: boolean): void => {
    if (ended) return;
    stats.messages++;
    if (flood.message() > maxMessagesPerSecond) return closeUnusable(`flood: more than ${maxMessagesPerSecond} messages in 1 s`);
    const bytes = byteLengthOf(data);
    if (isBinary) return protocolError(`binary frame (${bytes} bytes): Twilio sends JSON text frames only`);
    if (bytes > maxMessageBytes) return protocolError(`oversized frame (${bytes} bytes, limit ${maxMessageBytes}): dropped`);
    const parsed = parseTwilioMessage(textOf(data));
    if (!parsed.ok) return protocolError(parsed.error);
    handle(parsed.message);
  };

  socket.on('message', (data, isBinary) => onMessage(data, isBinary));
  socket.on('close', () => endFromFarEnd('transport-closed'));
  socket.on('error', (error) => report(`socket error: ${error?.message ?? String(error)}`));

  return {
    sampleRate: TWILIO_SAMPLE_RATE,
    reportsPlayback: true,
    started,
    get streamSid() {
      return streamSid;
    },
    sendAudio: (frame) => outbound.sendAudio(frame),
    mark: (name) => outbound.mark(name),
    clear: () => outbound.clear(),
    bufferedMs: () => ledger.bufferedMs(),
    hangup(reason) {
      if (ended) return;
      finish();
      // Closing the stream ends `<Connect>`; Twilio then ends the call (nothing follows it in our TwiML).
      closeSocket(1000, `hangup: ${reason}`);
    },
    listen(next) {
      listener = next;
      for (const event of heldEvents.splice(0)) toCall(event, 'a held event');
    },
    stats: () => ({ ...stats }),
  };
}
