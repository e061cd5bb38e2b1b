// The recording transport plays sent audio out like the far end of a call would, so tests can ask what the
// caller has heard, what is still buffered, and what a barge-in clear() dropped.
import { describe, expect, it } from 'vitest';
import { createRecordingTransport } from '../../runtime/transports/in-process.js';
import { createSimulatedClock } from '../../runtime/util/clock.js';

const frame = (value: number, samples = 160): Int16Array => new Int16Array(samples).fill(value);

describe('createRecordingTransport', () => {
  it('plays frames back to back after playoutDelayMs, in send order', () => {
    const clock = createSimulatedClock(1000);
    const transport = createRecordingTransport({ clock, playoutDelayMs: 40 });
    expect(transport.sampleRate).toBe(8000);
    for (let i = 0; i < 5; i++) transport.sendAudio(frame(i)); // a burst: 100 ms at once
    clock.advance(200);
    transport.sendAudio(frame(5)); // after a gap: waits only for the delay
    expect(transport.sent.map((sent) => [sent.atMs, sent.playAtMs])).toEqual([
      [1000, 1040],
      [1000, 1060],
      [1000, 1080],
      [1000, 1100],
      [1000, 1120],
      [1200, 1240],
    ]);
    expect(transport.lastSendAtMs).toBe(1200);
  });

  it('reports bufferedMs and heardMs from the playback time line', () => {
    const clock = createSimulatedClock();
    const transport = createRecordingTransport({ clock, playoutDelayMs: 30 });
    for (let i = 0; i < 10; i++) transport.sendAudio(frame(i));
    expect(transport.bufferedMs()).toBe(200);
    expect(transport.heardMs()).toBe(0);
    clock.advance(30); // frame 0 starts playing
    expect(transport.bufferedMs()).toBe(180);
    expect(transport.heardMs()).toBe(20);
    clock.advance(69); // 99 ms: frames 0-3 started (at 30, 50, 70, 90)
    expect(transport.heardMs()).toBe(80);
    clock.advance(1000);
    expect(transport.bufferedMs()).toBe(0);
    expect(transport.heardMs()).toBe(200);
    expect(transport.sentMs()).toBe(200);
  });

  it('clear() drops frames not yet started, records it, and the next frame plays after what is playing', () => {
    const clock = createSimulatedClock();
    const transport = createRecordingTransport({ clock });
    for (let i = 1; i <= 10; i++) transport.sendAudio(frame(i));
    clock.advance(50); // frames 1-3 started (0, 20, 40)
    transport.clear();
    expect(transport.sent.map((sent) => sent.dropped)).toEqual([false, false, false, true, true, true, true, true, true, true]);
    expect(transport.clears).toEqual([50]);
    expect(transport.clearRecords).toEqual([{ atMs: 50, droppedMs: 140 }]);
    expect(transport.bufferedMs()).toBe(0);
    transport.sendAudio(frame(99));
    expect(transport.sent.at(-1)?.playAtMs).toBe(60); // after frame 3 finishes
    clock.advance(100);
    expect(transport.heardMs()).toBe(80);
    expect(Array.from(new Set(transport.heardSamples()))).toEqual([1, 2, 3, 99]);
    expect(transport.heardSamples()).toHaveLength(4 * 160);
  });

  it('keeps a copy of each frame, so a reused buffer does not rewrite history', () => {
    const clock = createSimulatedClock();
    const transport = createRecordingTransport({ clock });
    const buffer = frame(7);
    transport.sendAudio(buffer);
    buffer.fill(0);
    expect(transport.sent[0]?.samples[0]).toBe(7);
  });

  it('records marks with when they play, settling pending marks at a clear', () => {
    const clock = createSimulatedClock();
    const transport = createRecordingTransport({ clock, sampleRate: 16000 });
    transport.mark('before-audio');
    for (let i = 0; i < 5; i++) transport.sendAudio(frame(1, 320));
    transport.mark('after-sentence');
    transport.mark('second');
    clock.advance(30);
    transport.clear();
    transport.sendAudio(frame(1, 320));
    transport.mark('after-clear');
    expect(transport.marks).toEqual([
      { name: 'before-audio', atMs: 0, playedAtMs: 0 },
      { name: 'after-sentence', atMs: 0, playedAtMs: 30 },
      { name: 'second', atMs: 0, playedAtMs: 30 },
      { name: 'after-clear', atMs: 30, playedAtMs: 60 },
    ]);
  });

  it('records hangups and handles long calls without slowing down', () => {
    const clock = createSimulatedClock();
    const transport = createRecordingTransport({ clock, playoutDelayMs: 60 });
    const startedAtMs = performance.now();
    // 20 minutes of audio, asking for the buffer at every frame as a playout loop would.
    clock.run(20 * 60_000, 20, () => {
      transport.sendAudio(frame(1));
      transport.bufferedMs();
    });
    expect(performance.now() - startedAtMs).toBeLessThan(2000);
    expect(transport.bufferedMs()).toBe(40); // the frame due to start exactly now counts as playing
    transport.hangup('caller said goodbye');
    expect(transport.hangups).toEqual([{ atMs: 20 * 60_000, reason: 'caller said goodbye' }]);
  });
});
