// A client that sends garbage, too much, or too fast costs its own call at most: every bad message is refused
// and reported (onProtocolError and a JSON error), the call goes on with the good messages around it, and
// only a client past its error budget, or one that stops reading, is closed with 1008.
import { describe, expect, it } from 'vitest';
import { setup } from './harness.js';

describe('the WebSocket transport survives bad input', () => {
  it('refuses malformed, unknown and oversized messages and odd-length audio, and carries on', () => {
    const t = setup({ sampleRate: 8000 });
    t.listen();
    const bad: Array<[string, () => void]> = [
      ['not JSON', () => t.socket.text('{"type":')],
      ['an array', () => t.socket.text('[1,2]')],
      ['null', () => t.socket.text('null')],
      ['no type', () => t.socket.text({ digit: '5' })],
      ['an unknown type', () => t.socket.text({ type: 'start', streamSid: 'x' })],
      ['a played report without a mark', () => t.socket.text({ type: 'played' })],
      ['a played report with a bad dropped', () => t.socket.text({ type: 'played', mark: 'm', dropped: 'yes' })],
      ['an empty say', () => t.socket.text({ type: 'say', text: '  ' })],
      ['an oversized frame', () => t.socket.binary(new Uint8Array(64 * 1024 + 2))],
      ['an oversized text', () => t.socket.text(`{"type":"say","text":"${'a'.repeat(70_000)}"}`)],
      ['odd-length audio', () => t.socket.binary(new Uint8Array(321))],
      ['binary control bytes', () => t.socket.text('\u0000\u0001\u0002')],
    ];
    for (const [, send] of bad) expect(send).not.toThrow();
    expect(t.errors).toHaveLength(bad.length);
    expect(t.socket.sentOf('error')).toHaveLength(bad.length);
    expect(t.errors.join('\n')).toMatch(/not JSON/);
    expect(t.errors.join('\n')).toMatch(/unknown message type "start"/);
    expect(t.errors.join('\n')).toMatch(/65538 bytes refused: the limit is 65536/);
    expect(t.errors.join('\n')).toMatch(/321 bytes is not whole 16-bit samples/);
    // Nothing leaked into the call, and the audio after the odd frame is still aligned.
    expect(t.got.frames).toEqual([]);
    t.socket.binary(new Int16Array(160).fill(7));
    expect(t.got.frames.map((frame) => frame[0])).toEqual([7]);
    expect(t.socket.closedWith).toBeUndefined();
    expect(t.got.closes).toEqual([]);
  });

  it('closes with 1008 once the error budget is spent, and the call hears the line drop', async () => {
    const t = setup({ limits: { maxErrorsPerSecond: 5 } });
    t.listen();
    for (let i = 0; i < 10; i++) t.socket.text('garbage');
    expect(t.socket.closedWith).toBeUndefined();
    t.clock.advance(1000); // five more allowed a second later
    for (let i = 0; i < 5; i++) t.socket.text('garbage');
    expect(t.socket.closedWith).toBeUndefined();
    t.socket.text('garbage');
    expect(t.socket.closedWith).toEqual({ code: 1008, reason: 'too many protocol errors' });
    await Promise.resolve();
    expect(t.got.closes).toEqual(['transport-closed']);
    t.socket.text('garbage'); // after the close: ignored, not reported
    expect(t.errors.filter((e) => e === 'too many protocol errors (over 5 a second); closing')).toHaveLength(1);
  });

  it('drops a flood of messages beyond the rate limit', () => {
    const t = setup({ limits: { maxMessagesPerSecond: 10, maxErrorsPerSecond: 100 } });
    t.listen();
    for (let i = 0; i < 25; i++) t.socket.text({ type: 'dtmf', digit: '1' });
    expect(t.got.dtmf).toHaveLength(20); // a burst of twice the rate
    expect(t.errors.filter((e) => /flood/.test(e))).toHaveLength(5);
    t.clock.advance(500);
    t.socket.text({ type: 'dtmf', digit: '2' });
    expect(t.got.dtmf).toHaveLength(21);
  });

  it('drops audio that runs ahead of real time', () => {
    const t = setup({ sampleRate: 8000, limits: { maxAudioBurstMs: 100 } });
    t.listen();
    for (let i = 0; i < 8; i++) t.socket.binary(new Int16Array(160)); // 160 ms at once: 100 ms get through
    expect(t.got.frames).toHaveLength(5);
    expect(t.errors).toEqual([expect.stringMatching(/faster than real time/), expect.stringMatching(/faster than real time/), expect.stringMatching(/faster than real time/)]);
    t.clock.advance(40);
    t.socket.binary(new Int16Array(320));
    expect(t.got.frames).toHaveLength(7);
  });

  it('closes with 1008 a client that stops reading, telling the call after the send returns', async () => {
    const t = setup({ limits: { maxSendBufferBytes: 1000 } });
    t.listen();
    t.transport.sendAudio(new Int16Array(320));
    t.socket.bufferedAmount = 1001;
    t.transport.sendAudio(new Int16Array(320));
    expect(t.socket.closedWith).toEqual({ code: 1008, reason: 'client is not reading' });
    expect(t.got.closes).toEqual([]); // never inside sendAudio: playout is mid-tick
    await Promise.resolve();
    expect(t.got.closes).toEqual(['transport-closed']);
    expect(t.errors).toEqual([expect.stringMatching(/not reading/)]);
  });

  it('refuses say when no handler was given', () => {
    const t = setup();
    t.listen();
    t.socket.text({ type: 'say', text: 'hello' });
    expect(t.socket.sentOf('error').map((m) => m.message)).toEqual([expect.stringMatching(/cannot speak typed lines/)]);
  });
});
