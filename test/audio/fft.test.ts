/** The real FFT behind the echo canceller, checked against a plain DFT. */
import { describe, expect, it } from 'vitest';
import { createRealFft } from '../../runtime/audio/fft.js';

describe('createRealFft', () => {
  for (const size of [8, 16, 64, 512]) {
    it(`matches the DFT and inverts exactly at ${size} points`, () => {
      const fft = createRealFft(size);
      const x = Float64Array.from({ length: size }, (_, n) => Math.sin(n * 1.7 + size) * 0.5 + Math.cos(n * n * 0.3) * 0.25); // deterministic, broadband
      const re = new Float64Array(fft.bins);
      const im = new Float64Array(fft.bins);
      fft.forward(x, re, im);
      for (let k = 0; k < fft.bins; k++) {
        let dr = 0;
        let di = 0;
        for (let n = 0; n < size; n++) {
          dr += x[n]! * Math.cos((2 * Math.PI * k * n) / size);
          di -= x[n]! * Math.sin((2 * Math.PI * k * n) / size);
        }
        expect(re[k]).toBeCloseTo(dr, 9);
        expect(im[k]).toBeCloseTo(di, 9);
      }
      const back = new Float64Array(size);
      fft.inverse(re, im, back);
      back.forEach((v, n) => expect(v).toBeCloseTo(x[n]!, 12));
    });
  }

  it('rejects sizes that are not powers of two', () => {
    expect(() => createRealFft(320)).toThrow(/power of two/);
  });
});
