import { describe, expect, it } from 'vitest';
import { ReferenceQueue } from '../../runtime/audio/reference-queue.js';

describe('ReferenceQueue', () => {
  it('behaves as a plain FIFO of samples that keeps the newest `capacity` ones, across wraps and overflows', () => {
    const capacity = 50;
    const queue = new ReferenceQueue(capacity);
    const model: number[] = [];
    let seed = 3;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    let next = 1;
    for (let step = 0; step < 5000; step++) {
      if (random(2) === 0) {
        const frame = Int16Array.from({ length: random(120) }, () => next++ % 32000);
        queue.push(frame);
        model.push(...frame);
        if (model.length > capacity) model.splice(0, model.length - capacity);
      } else {
        const out = new Int16Array(random(40)).fill(-1);
        queue.take(out);
        const expected = model.splice(0, out.length);
        while (expected.length < out.length) expected.push(0);
        expect(Array.from(out)).toEqual(expected);
      }
    }
  });
});
