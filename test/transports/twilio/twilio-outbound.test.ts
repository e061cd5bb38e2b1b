/*
 * The agent's side of a Twilio Media Stream: every message exactly as Twilio takes it (text frames only, the
 * streamSid on each, 160 mu-law bytes per 20 ms), and the echoed marks as the truth of what the caller heard:
 * `bufferedMs` is audio sent minus audio confirmed played, and marks still pending at a `clear` come back
 * meaning "dropped", never "played" (Twilio echoes them all at once, and the echo looks the same on the wire).
 */
import { describe, expect, it } from 'vitest';
import { encodeMulaw } from '../../../runtime/audio/g711.js';
import { createTwilioTransport } from '../../../runtime/transports/twilio/index.js';
import type { TransportListener } from '../../../runtime/transports/types.js';
import { createSimulatedClock } from '../../../runtime/util/clock.js';
import { FakeTwilioSocket, STREAM_SID, frameOf, markEcho, startMessage } from './fake-socket.js';

function setUp(started = true) {
  const socket = new FakeTwilioSocket();
  const clock = createSimulatedClock();
  const errors: string[] = [];
  const transport = createTwilioTransport(socket, { clock, onProtocolError: (message) => errors.push(message) });
  const played: Array<{ mark: string; dropped: boolean }> = [];
  const closes: string[] = [];
  const listener: TransportListener = { onStart: () => {}, onAudio: () => {}, onPlayed: (report) => played.push(report), onDtmf: () => {}, onClose: (reason) => closes.push(reason) };
  transport.listen(listener);
  if (started) socket.receive(startMessage());
  return { socket, clock, transport, errors, played, closes };
}

const speech = Int16Array.from({ length: 160 }, (_, i) => Math.round(9000 * Math.sin(i / 5)));

describe('Twilio transport, outbound', () => {
  it('sends each frame as one text media message: 160 mu-law bytes, base64, with the streamSid', () => {
    const { socket, transport } = setUp();
    transport.sendAudio(speech);
    transport.mark('1:160');
    transport.clear();
    expect(socket.frames.every((frame) => frame.text)).toBe(true);
    const [media, mark, clear] = socket.frames.map((frame) => String(frame.data));
    expect(JSON.parse(media!)).toEqual({ event: 'media', streamSid: STREAM_SID, media: { payload: expect.any(String) } });
    const payload = Buffer.from(JSON.parse(media!).media.payload, 'base64');
    expect(payload).toHaveLength(160);
    expect(new Uint8Array(payload)).toEqual(encodeMulaw(speech));
    expect(mark).toBe(`{"event":"mark","streamSid":"${STREAM_SID}","mark":{"name":"1:160"}}`);
    expect(clear).toBe(`{"event":"clear","streamSid":"${STREAM_SID}"}`);
  });

  it('a barge-in that pauses and then cuts sends one clear: the second would find Twilio\'s buffer already empty', () => {
    const { socket, transport } = setUp();
    transport.sendAudio(speech);
    transport.clear(); // the pause
    transport.clear(); // the confirmed cut, nothing sent between
    const clears = () => socket.messages.filter((m) => m.event === 'clear').length;
    expect(clears()).toBe(1);
    transport.sendAudio(speech); // resumed
    transport.clear();
    expect(clears()).toBe(2);
  });

  it('encodes what it was given at the time, so playout may reuse its buffer', () => {
    const { socket, transport } = setUp();
    const buffer = frameOf(32124);
    transport.sendAudio(buffer);
    buffer.fill(0);
    transport.sendAudio(buffer);
    const payloads = socket.messages.map((m) => (m.media as { payload: string }).payload);
    expect(payloads[0]).not.toBe(payloads[1]);
  });

  it('bufferedMs is the audio sent minus the audio the mark echoes confirm played', () => {
    const { socket, transport, played } = setUp();
    for (let i = 1; i <= 5; i++) {
      transport.sendAudio(speech);
      transport.mark(`1:${i * 160}`);
    }
    expect(transport.bufferedMs()).toBe(100);
    socket.receive(markEcho('1:160'));
    socket.receive(markEcho('1:320'));
    expect(transport.bufferedMs()).toBe(60);
    expect(played).toEqual([
      { mark: '1:160', dropped: false },
      { mark: '1:320', dropped: false },
    ]);
    socket.receive(markEcho('1:320')); // echoed twice: not pending any more
    expect(transport.bufferedMs()).toBe(60);
    expect(transport.stats()).toMatchObject({ marksSent: 5, marksPlayed: 2, protocolErrors: 1 });
  });

  it('reports marks pending at a clear as dropped, and marks sent after it as played', () => {
    const { socket, transport, played } = setUp();
    for (let i = 1; i <= 4; i++) {
      transport.sendAudio(speech);
      transport.mark(`1:${i * 160}`);
    }
    socket.receive(markEcho('1:160'));
    transport.clear();
    expect(transport.bufferedMs()).toBe(0);
    transport.sendAudio(speech);
    transport.mark('1:800');
    // Twilio echoes every mark pending at the clear at once; then the new one when it has played.
    for (const name of ['1:320', '1:480', '1:640', '1:800']) socket.receive(markEcho(name));
    expect(played).toEqual([
      { mark: '1:160', dropped: false },
      { mark: '1:320', dropped: true },
      { mark: '1:480', dropped: true },
      { mark: '1:640', dropped: true },
      { mark: '1:800', dropped: false },
    ]);
    expect(transport.bufferedMs()).toBe(0);
    expect(transport.stats()).toMatchObject({ marksPlayed: 2, marksDropped: 3, clears: 1 });
  });

  it('forgets the oldest marks when the far end stops echoing them, and says so once', () => {
    const socket = new FakeTwilioSocket();
    const errors: string[] = [];
    const transport = createTwilioTransport(socket, { maxPendingMarks: 3, onProtocolError: (message) => errors.push(message) });
    transport.listen({ onStart: () => {}, onAudio: () => {}, onPlayed: () => {}, onDtmf: () => {}, onClose: () => {} });
    socket.receive(startMessage());
    for (let i = 1; i <= 5; i++) transport.mark(`m${i}`);
    expect(errors).toEqual([expect.stringContaining('more than 3 marks await their echo')]);
    socket.receive(markEcho('m1')); // forgotten: no longer pending
    socket.receive(markEcho('m3'));
    expect(transport.stats()).toMatchObject({ marksPlayed: 1, protocolErrors: 1 });
  });

  it('holds what the call sends before Twilio says start, then sends it in order with the streamSid', () => {
    const { socket, transport } = setUp(false);
    transport.sendAudio(speech);
    transport.mark('1:160');
    transport.sendAudio(speech);
    expect(socket.frames).toEqual([]);
    expect(transport.bufferedMs()).toBe(40);
    socket.receive(startMessage());
    expect(socket.messages.map((m) => [m.event, m.streamSid])).toEqual([
      ['media', STREAM_SID],
      ['mark', STREAM_SID],
      ['media', STREAM_SID],
    ]);
  });

  it('a clear before start drops the held audio and reports its marks dropped later, never inside clear()', () => {
    const { socket, clock, transport, played } = setUp(false);
    transport.sendAudio(speech);
    transport.mark('1:160');
    transport.clear();
    expect(played).toEqual([]);
    clock.advance(0);
    expect(played).toEqual([{ mark: '1:160', dropped: true }]);
    socket.receive(startMessage());
    expect(socket.frames).toEqual([]);
  });

  it('hangs up by closing the socket, without reporting a close to the call; sends after it do nothing', () => {
    const { socket, transport, closes } = setUp();
    transport.hangup('agent-hangup');
    expect(socket.closes).toEqual([{ code: 1000, reason: 'hangup: agent-hangup' }]);
    socket.drop(1000);
    expect(closes).toEqual([]);
    expect(() => {
      transport.sendAudio(speech);
      transport.mark('x');
      transport.clear();
      transport.hangup('again');
    }).not.toThrow();
    expect(socket.frames).toEqual([]);
    expect(socket.closes).toHaveLength(1);
    expect(transport.stats().sendsDropped).toBe(2);
  });

  it('never throws sending to a socket that is closing or broken', () => {
    const { socket, transport } = setUp();
    socket.readyState = 2;
    transport.sendAudio(speech);
    socket.readyState = 1;
    socket.send = () => {
      throw new Error('write after end');
    };
    expect(() => transport.sendAudio(speech)).not.toThrow();
    expect(transport.stats().sendsDropped).toBe(2);
  });
});
