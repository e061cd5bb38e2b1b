/*
 * Twilio's side of a Media Stream reaching the call: what Twilio says at the start, the caller's audio framed
 * to exact 20 ms frames with lost chunks filled by silence (the call's timeline stays true), keys, the end of
 * the stream. And everything a broken or hostile peer can send: counted, reported, survived; the stream is
 * closed (1008) only when it is unusable.
 */
import { describe, expect, it } from 'vitest';
import { MULAW_DECODE_TABLE } from '../../../runtime/audio/g711.js';
import { createTwilioTransport, type TwilioTransportOptions } from '../../../runtime/transports/twilio/index.js';
import type { TransportListener } from '../../../runtime/transports/types.js';
import { createSimulatedClock } from '../../../runtime/util/clock.js';
import { FakeTwilioSocket, STREAM_SID, frameOf, markEcho, mediaMessage, startMessage } from './fake-socket.js';

/** Samples that survive mu-law exactly: every decoded code in turn, from `offset`. */
const exactSamples = (count: number, offset = 0): Int16Array => Int16Array.from({ length: count }, (_, i) => MULAW_DECODE_TABLE[(offset + i) % 256]!);

function setUp(options: TwilioTransportOptions = {}) {
  const socket = new FakeTwilioSocket();
  const errors: string[] = [];
  const transport = createTwilioTransport(socket, { onProtocolError: (message) => errors.push(message), ...options });
  const events: unknown[][] = [];
  const frames: Int16Array[] = [];
  const listener: TransportListener = {
    onStart: (info) => events.push(['start', info]),
    onAudio: (frame) => frames.push(frame),
    onPlayed: (report) => events.push(['played', report]),
    onDtmf: (digit) => events.push(['dtmf', digit]),
    onClose: (reason) => events.push(['close', reason]),
  };
  return { socket, transport, errors, events, frames, listen: () => transport.listen(listener) };
}

const concat = (frames: readonly Int16Array[]): Int16Array => Int16Array.from(frames.flatMap((frame) => Array.from(frame)));

describe('Twilio transport, inbound', () => {
  it('holds the start until the call listens, then tells its ids and custom parameters', async () => {
    const { socket, transport, events, listen } = setUp();
    socket.receive({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    socket.receive(startMessage({ From: '+15550100', lang: 'en' }));
    socket.receive({ event: 'dtmf', streamSid: STREAM_SID, dtmf: { digit: '1' } });
    expect(events).toEqual([]);
    await expect(transport.started).resolves.toMatchObject({ streamSid: STREAM_SID, callSid: 'CA1', customParameters: { From: '+15550100', lang: 'en' } });
    expect(transport.streamSid).toBe(STREAM_SID);
    listen();
    expect(events).toEqual([
      ['start', { transport: 'twilio', ids: { streamSid: STREAM_SID, callSid: 'CA1', accountSid: 'AC1' }, parameters: { From: '+15550100', lang: 'en' } }],
      ['dtmf', '1'],
    ]);
    expect(transport.sampleRate).toBe(8000);
    expect(transport.reportsPlayback).toBe(true);
  });

  it('decodes mu-law to exact 20 ms frames, whatever the length of the chunks', () => {
    const { socket, transport, frames, errors, listen } = setUp();
    listen();
    socket.receive(startMessage());
    const audio = exactSamples(160 + 320 + 100 + 60 + 150);
    socket.receive(mediaMessage(1, audio.subarray(0, 160)));
    expect(frames).toHaveLength(1);
    socket.receive(mediaMessage(2, audio.subarray(160, 480))); // 40 ms at once: two frames
    socket.receive(mediaMessage(3, audio.subarray(480, 580))); // 12.5 ms: waits for the rest of its frame
    expect(frames).toHaveLength(3);
    socket.receive(mediaMessage(4, audio.subarray(580, 640)));
    socket.receive(mediaMessage(5, audio.subarray(640)));
    expect(frames.map((frame) => frame.length)).toEqual([160, 160, 160, 160]);
    expect(concat(frames)).toEqual(audio.subarray(0, 640));
    expect(errors).toEqual([]);
    expect(transport.stats()).toMatchObject({ media: 5, framesDelivered: 4, framesFilled: 0 });
  });

  it('fills lost chunks with silence of their length, and drops a repeated chunk', () => {
    const { socket, transport, frames, errors, listen } = setUp();
    listen();
    socket.receive(startMessage());
    socket.receive(mediaMessage(1, frameOf(32124)));
    socket.receive(mediaMessage(2, frameOf(-32124)));
    socket.receive(mediaMessage(5, frameOf(8))); // chunks 3 and 4 were lost
    expect(frames.map((frame) => frame[0])).toEqual([32124, -32124, 0, 0, 8]);
    expect(frames[2]).toEqual(new Int16Array(160));
    expect(errors).toEqual([]);
    socket.receive(mediaMessage(5, frameOf(16))); // the same chunk again: would put the caller's audio twice
    socket.receive(mediaMessage(6, frameOf(24)));
    expect(frames.map((frame) => frame[0])).toEqual([32124, -32124, 0, 0, 8, 24]);
    expect(errors).toEqual([expect.stringContaining('media chunk 5 repeated or out of order')]);
    expect(transport.stats()).toMatchObject({ framesFilled: 2, framesDelivered: 6 });
  });

  it('bounds the silence filled at one gap', () => {
    const { socket, frames, errors, listen } = setUp({ maxGapFillMs: 100 });
    listen();
    socket.receive(startMessage());
    socket.receive(mediaMessage(1, frameOf(8)));
    socket.receive(mediaMessage(1_000_000, frameOf(16)));
    expect(frames).toHaveLength(1 + 5 + 1);
    expect(errors).toEqual([expect.stringMatching(/chunk jumped from 1 to 1000000: filled 100 ms/)]);
  });

  it('gives DTMF keys to the call', () => {
    const { socket, events, listen } = setUp();
    listen();
    socket.receive(startMessage());
    socket.receive({ event: 'dtmf', streamSid: STREAM_SID, sequenceNumber: '5', dtmf: { track: 'inbound_track', digit: '7' } });
    socket.receive({ event: 'dtmf', streamSid: STREAM_SID, dtmf: { digit: '#' } });
    expect(events.slice(1)).toEqual([
      ['dtmf', '7'],
      ['dtmf', '#'],
    ]);
  });

  it('ends the call as caller-hangup on stop, once, and hears nothing after', () => {
    const { socket, events, frames, listen } = setUp();
    listen();
    socket.receive(startMessage());
    socket.receive({ event: 'stop', sequenceNumber: '3', streamSid: STREAM_SID, stop: { accountSid: 'AC1', callSid: 'CA1' } });
    socket.receive(mediaMessage(1, frameOf(8)));
    socket.drop(1000);
    expect(events.slice(1)).toEqual([['close', 'caller-hangup']]);
    expect(frames).toEqual([]);
    expect(socket.closes).toEqual([{ code: 1000, reason: 'stream stopped' }]);
  });

  it('ends the call as transport-closed when the socket drops without a stop', async () => {
    const { socket, transport, events, listen } = setUp();
    socket.drop();
    await expect(transport.started).resolves.toBeUndefined();
    listen();
    expect(events).toEqual([['close', 'transport-closed']]);
  });

  it('counts, reports and survives bad input, then carries on', () => {
    const { socket, transport, errors, events, frames, listen } = setUp();
    listen();
    socket.receive(mediaMessage(1, frameOf(8))); // before start
    socket.receive({ event: 'dtmf', dtmf: { digit: '1' } }); // before start
    socket.receive(startMessage());
    socket.receive('{"event":"media",'); // malformed JSON
    socket.receive('[1,2]');
    socket.receive({ nope: true });
    socket.receiveBinary(new Uint8Array(160));
    socket.receive({ event: 'connected', padding: 'x'.repeat(70 * 1024) });
    socket.receive({ event: 'media', streamSid: STREAM_SID, media: { chunk: '1', payload: 'not base64!!' } });
    socket.receive({ event: 'media', streamSid: STREAM_SID, media: { chunk: '1', payload: '' } });
    socket.receive({ event: 'media', streamSid: STREAM_SID, media: { chunk: '1' } });
    socket.receive({ event: 'dtmf', dtmf: { digit: 'X' } });
    socket.receive(markEcho('never-sent'));
    socket.receive(startMessage());
    socket.receive({ event: 'futureEvent', whatever: 1 }); // unknown: ignored, not an error
    socket.receive({ event: 'media', streamSid: STREAM_SID, media: { track: 'outbound', chunk: '1', payload: 'AAAA' } });
    expect(errors.map((e) => e.replace(/^twilio stream [^:]+: /, '').split(/[:(]/)[0]!.trim())).toEqual([
      'media before start',
      'dtmf before start',
      'malformed JSON',
      'not a JSON object',
      'no "event" name',
      'binary frame',
      'oversized frame',
      'media payload is not base64',
      'media with an empty payload',
      'media without a "media.payload" string',
      'dtmf with an invalid "dtmf.digit"',
      'mark echo for "never-sent", which is not pending',
      'a second start',
    ]);
    expect(transport.stats()).toMatchObject({ protocolErrors: 13, ignored: 2, framesDelivered: 0 });
    // The stream is still good: the next media reaches the call.
    socket.receive(mediaMessage(1, frameOf(8)));
    expect(frames).toHaveLength(1);
    expect(socket.closes).toEqual([]);
    expect(events.filter(([kind]) => kind !== 'start')).toEqual([]);
  });

  it('closes with 1008 on a flood of messages', () => {
    const clock = createSimulatedClock();
    const { socket, events, listen } = setUp({ clock, maxMessagesPerSecond: 100 });
    listen();
    socket.receive(startMessage());
    for (let i = 0; i < 99; i++) socket.receive({ event: 'connected' });
    clock.advance(1000); // a new second: the count starts again
    for (let i = 0; i < 100; i++) socket.receive({ event: 'connected' });
    expect(socket.closes).toEqual([]);
    socket.receive({ event: 'connected' });
    expect(socket.closes).toEqual([{ code: 1008, reason: 'flood: more than 100 messages in 1 s' }]);
    expect(events.slice(1)).toEqual([['close', 'transport-closed']]);
  });

  it('closes with 1008 on a flood of protocol errors', () => {
    const { socket, events, errors, listen } = setUp({ maxProtocolErrorsPerSecond: 10 });
    listen();
    for (let i = 0; i < 11; i++) socket.receive('garbage');
    expect(socket.closes).toEqual([{ code: 1008, reason: 'more than 10 protocol errors in 1 s' }]);
    expect(events).toEqual([['close', 'transport-closed']]);
    expect(errors.at(-1)).toContain('closing the stream (1008)');
    socket.receive('garbage'); // after the end: nothing more happens
    expect(errors).toHaveLength(12);
  });

  it('closes with 1008 when the stream is not mu-law 8 kHz', () => {
    const { socket, events, listen } = setUp();
    listen();
    socket.receive(startMessage({}, { encoding: 'audio/l16', sampleRate: 16000, channels: 1 }));
    expect(socket.closes[0]?.code).toBe(1008);
    expect(socket.closes[0]?.reason).toContain('unsupported media format audio/l16 16000 Hz');
    expect(events).toEqual([['close', 'transport-closed']]);
  });

  it('reports a throw in the call instead of letting it into the socket library', () => {
    const socket = new FakeTwilioSocket();
    const errors: string[] = [];
    const transport = createTwilioTransport(socket, { onProtocolError: (message) => errors.push(message) });
    transport.listen({ onStart: () => {}, onAudio: () => { throw new Error('boom'); }, onPlayed: () => {}, onDtmf: () => {}, onClose: () => {} });
    socket.receive(startMessage());
    expect(() => socket.receive(mediaMessage(1, frameOf(8)))).not.toThrow();
    expect(errors).toEqual([expect.stringContaining('the call failed handling caller audio: boom')]);
  });
});
