// The native WebSocket transport on a fake socket: every message both ways, caller audio reframed to 20 ms,
// the client's played reports as the truth of bufferedMs, and the end of the call from either side.
import { describe, expect, it } from 'vitest';
import { setup } from './harness.js';

const ramp = (from: number, count: number): Int16Array => Int16Array.from({ length: count }, (_, i) => from + i);

describe('createWebSocketTransport', () => {
  it('runs at the rate asked for, reports playback, and tells the call its query parameters', () => {
    const t = setup({ sampleRate: 24000, parameters: { from: 'app' } });
    t.listen();
    expect(t.transport.sampleRate).toBe(24000);
    expect(t.transport.reportsPlayback).toBe(true);
    expect(t.got.starts).toEqual([{ transport: 'websocket', parameters: { from: 'app' } }]);
    const plain = setup({ parameters: {} });
    plain.listen();
    expect(plain.transport.sampleRate).toBe(16000);
    expect(plain.got.starts).toEqual([{ transport: 'websocket' }]);
    expect(() => setup({ sampleRate: 22050 })).toThrow(/22050 Hz is not supported; use one of 8000, 16000, 24000, 48000/);
  });

  it('reframes binary frames of any length into 20 ms frames, in order', () => {
    const t = setup({ sampleRate: 8000 });
    t.listen();
    const samples = ramp(0, 500);
    t.socket.binary(samples.subarray(0, 100)); // 12.5 ms: nothing yet
    expect(t.got.frames).toHaveLength(0);
    t.socket.binary(samples.subarray(100, 350)); // completes frames 1 and 2
    t.socket.binary(samples.subarray(350, 500)); // 500 samples in all: 3 frames, 20 samples pending
    expect(t.got.frames.map((frame) => frame.length)).toEqual([160, 160, 160]);
    expect(Array.from(t.got.frames.flatMap((frame) => Array.from(frame)))).toEqual(Array.from(samples.subarray(0, 480)));
  });

  it('sends audio as PCM16 LE binary frames, and marks, clears and events as JSON', () => {
    const t = setup({ sampleRate: 8000 });
    t.listen();
    t.transport.sendAudio(ramp(-80, 160));
    t.transport.mark('1:160');
    t.transport.clear();
    t.transport.sendEvent({ type: 'state', atMs: 5, states: ['active.agent.idle'] } as never);
    expect(t.socket.order).toEqual(['audio', 'mark', 'clear', 'event']);
    expect(Array.from(t.socket.audio[0]!)).toEqual(Array.from(ramp(-80, 160)));
    expect(t.socket.json).toEqual([{ type: 'mark', name: '1:160' }, { type: 'clear' }, { type: 'event', event: { type: 'state', atMs: 5, states: ['active.agent.idle'] } }]);
  });

  it('counts buffered audio until the client reports it played, and nothing held before a clear', () => {
    const t = setup({ sampleRate: 8000 });
    t.listen();
    for (let i = 1; i <= 5; i++) {
      t.transport.sendAudio(new Int16Array(160));
      t.transport.mark(`1:${i * 160}`);
    }
    expect(t.transport.bufferedMs()).toBe(100);
    t.socket.text({ type: 'played', mark: '1:320' }); // playback reached 40 ms; 1:160 played before it
    expect(t.transport.bufferedMs()).toBe(60);
    expect(t.got.played).toEqual([{ mark: '1:320', dropped: false }]);
    t.transport.clear(); // barge-in: the client drops 60 ms and echoes its three marks as dropped
    expect(t.transport.bufferedMs()).toBe(0);
    t.transport.sendAudio(new Int16Array(160));
    t.transport.mark('2:160');
    expect(t.transport.bufferedMs()).toBe(20);
    for (const mark of ['1:480', '1:640', '1:800']) t.socket.text({ type: 'played', mark, dropped: true });
    expect(t.transport.bufferedMs()).toBe(20);
    t.socket.text({ type: 'played', mark: '2:160', dropped: false });
    expect(t.transport.bufferedMs()).toBe(0);
    expect(t.got.played.slice(1)).toEqual([
      { mark: '1:480', dropped: true },
      { mark: '1:640', dropped: true },
      { mark: '1:800', dropped: true },
      { mark: '2:160', dropped: false },
    ]);
    // 1:160 was settled by 1:320; an echo of it now, or of a mark never sent, is refused and not passed on.
    t.socket.text({ type: 'played', mark: '1:160' });
    t.socket.text({ type: 'played', mark: '9:999999' });
    expect(t.got.played).toHaveLength(5);
    expect(t.socket.sentOf('error').map((m) => m.message)).toEqual([expect.stringMatching(/no mark "1:160" is waiting/), expect.stringMatching(/no mark "9:999999" is waiting/)]);
  });

  it('warns once when the client echoes no marks, and keeps a bounded list of them', () => {
    const t = setup({ limits: { maxPendingMarks: 3 } });
    t.listen();
    for (let i = 0; i < 10; i++) t.transport.mark(`1:${i}`);
    expect(t.socket.sentOf('error')).toHaveLength(1);
    expect(t.errors).toEqual([expect.stringMatching(/echoes no marks/)]);
    t.socket.text({ type: 'played', mark: '1:0' }); // forgotten
    expect(t.got.played).toEqual([]);
    t.socket.text({ type: 'played', mark: '1:9' });
    expect(t.got.played).toEqual([{ mark: '1:9', dropped: false }]);
  });

  it('passes DTMF keys on and refuses anything that is not a key', () => {
    const t = setup();
    t.listen();
    t.socket.text({ type: 'dtmf', digit: '5' });
    t.socket.text({ type: 'dtmf', digit: 'a' });
    t.socket.text({ type: 'dtmf', digit: '55' });
    t.socket.text({ type: 'dtmf' });
    expect(t.got.dtmf).toEqual(['5', 'A']);
    expect(t.socket.sentOf('error')).toHaveLength(2);
  });

  it('ends the call on a hangup message, then sends the event, ended with the record, and closes', () => {
    const t = setup();
    t.listen();
    t.socket.text({ type: 'hangup' });
    t.socket.text({ type: 'dtmf', digit: '1' }); // after the hangup: not the call's any more
    expect(t.got.closes).toEqual(['caller-hangup']);
    expect(t.got.dtmf).toEqual([]);
    const record = { callId: 'c1', endReason: 'caller-hangup' };
    t.transport.sendEvent({ type: 'call.ended', atMs: 10, record } as never);
    expect(t.socket.order).toEqual(['event', 'ended']);
    expect(t.socket.sentOf('ended')).toEqual([{ type: 'ended', record }]);
    expect(t.socket.closedWith).toEqual({ code: 1000, reason: 'caller-hangup' });
    expect(t.got.closes).toEqual(['caller-hangup']);
  });

  it('tells the call the line dropped when the socket closes without a hangup', () => {
    const t = setup();
    t.listen();
    t.socket.drop();
    expect(t.got.closes).toEqual(['transport-closed']);
    expect(t.transport.closed).toBe(true);
    t.transport.sendAudio(new Int16Array(320));
    t.transport.sendEvent({ type: 'call.ended', atMs: 1, record: { endReason: 'transport-closed' } } as never);
    expect(t.socket.order).toEqual([]);
  });

  it('closes after the agent hangs up: with the record when the events are wired, else after a grace period', () => {
    const wired = setup();
    wired.listen();
    wired.transport.hangup('agent-hangup');
    wired.socket.text({ type: 'dtmf', digit: '1' });
    wired.transport.sendEvent({ type: 'call.ended', atMs: 9, record: { endReason: 'agent-hangup' } } as never);
    expect(wired.socket.closedWith).toEqual({ code: 1000, reason: 'agent-hangup' });
    expect(wired.got).toMatchObject({ dtmf: [], closes: [] });

    const failed = setup();
    failed.listen();
    failed.transport.sendEvent({ type: 'call.ended', atMs: 9, record: { endReason: 'error' } } as never);
    expect(failed.socket.closedWith?.code).toBe(1011);

    const unwired = setup();
    unwired.listen();
    unwired.transport.hangup('agent-hangup');
    unwired.clock.advance(999);
    expect(unwired.socket.closedWith).toBeUndefined();
    unwired.clock.advance(1);
    expect(unwired.socket.closedWith).toEqual({ code: 1000, reason: 'agent-hangup' });
    expect(unwired.got.closes).toEqual([]);
  });

  it('delivers what the client did before the call listened once the call has started', async () => {
    const t = setup();
    t.socket.binary(new Int16Array(320)); // no call time to put it on yet: dropped
    t.socket.text({ type: 'dtmf', digit: '7' });
    t.socket.text({ type: 'hangup' });
    t.listen();
    expect(t.got.starts).toHaveLength(1);
    expect(t.got.dtmf).toEqual([]); // not inside listen(): startCall has not started the session yet
    await Promise.resolve();
    expect(t.got).toMatchObject({ frames: [], dtmf: ['7'], closes: ['caller-hangup'] });
    expect(() => t.listen()).toThrow(/listen\(\) was called twice/);
  });
});
