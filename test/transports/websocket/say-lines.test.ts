// A `say` line is spoken into the call as if the caller said it into their microphone: mixed into the frames
// the client sends, one frame per frame, so the client's audio stays the call's clock; the recogniser is told
// just before the line's first frame; lines play in the order asked for, and a failed one is reported.
import { describe, expect, it } from 'vitest';
import { flushMicrotasks } from '../../../runtime/util/flush.js';
import type { SpokenLine } from '../../../runtime/transports/websocket/index.js';
import { setup } from './harness.js';

const FRAME = 160; // 20 ms at 8 kHz

describe('say lines', () => {
  it('mixes each line into the next frames the client sends, announcing it just before its first frame', async () => {
    const announced: number[] = [];
    const lines: Record<string, SpokenLine> = {
      one: { pcm: new Int16Array(FRAME + 40).fill(1000), onStart: () => announced.push(t.got.frames.length) },
      two: { pcm: new Int16Array(FRAME).fill(-2000), onStart: () => announced.push(t.got.frames.length) },
    };
    // `two` is made faster than `one`; it still plays second.
    const t = setup({ sampleRate: 8000, sayHandler: (text) => (text === 'one' ? new Promise((resolve) => setTimeout(() => resolve(lines.one!), 5)) : lines.two!) });
    t.listen();
    t.socket.text({ type: 'say', text: 'one' });
    t.socket.text({ type: 'say', text: 'two' });
    t.socket.binary(new Int16Array(FRAME).fill(5)); // before the lines are made: the microphone alone
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (let i = 0; i < 4; i++) t.socket.binary(new Int16Array(FRAME).fill(5));
    const firstSamples = t.got.frames.map((frame) => [frame[0], frame[FRAME - 1]]);
    expect(firstSamples).toEqual([
      [5, 5],
      [1005, 1005],
      [1005, 5], // the last 40 samples of `one`, then the microphone
      [-1995, -1995],
      [5, 5],
    ]);
    expect(announced).toEqual([1, 3]);
    expect(t.errors).toEqual([]);
  });

  it('saturates instead of wrapping when the line and the microphone add up past full scale', async () => {
    const t = setup({ sampleRate: 8000, sayHandler: () => ({ pcm: new Int16Array(FRAME).fill(30000) }) });
    t.listen();
    t.socket.text({ type: 'say', text: 'loud' });
    await flushMicrotasks();
    t.socket.binary(new Int16Array(FRAME).fill(10000));
    expect(t.got.frames[0]![0]).toBe(32767);
  });

  it('reports a line that cannot be made, or announced, and refuses too many at once', async () => {
    const t = setup({
      sampleRate: 8000,
      limits: { maxQueuedSays: 2 },
      sayHandler: (text) => {
        if (text === 'fail') throw new Error('no voice for that');
        return { pcm: new Int16Array(FRAME), onStart: () => {
          throw new Error('no stream open');
        } };
      },
    });
    t.listen();
    t.socket.text({ type: 'say', text: 'fail' });
    t.socket.text({ type: 'say', text: 'ok' });
    t.socket.text({ type: 'say', text: 'one too many' });
    await flushMicrotasks();
    t.socket.binary(new Int16Array(FRAME));
    expect(t.got.frames).toHaveLength(1);
    expect(t.socket.sentOf('error').map((m) => m.message)).toEqual([
      expect.stringMatching(/2 lines are already waiting/),
      'say: could not speak "fail": no voice for that',
      'say: the line plays, but its words could not be announced: no stream open',
    ]);
  });

  it('drops the lines waiting when the caller hangs up', async () => {
    let started = 0;
    const t = setup({ sampleRate: 8000, sayHandler: () => ({ pcm: new Int16Array(FRAME), onStart: () => started++ }) });
    t.listen();
    t.socket.text({ type: 'say', text: 'bye' });
    t.socket.text({ type: 'hangup' });
    await flushMicrotasks();
    t.socket.binary(new Int16Array(FRAME));
    expect(started).toBe(0);
    expect(t.got.frames).toEqual([]);
  });
});
