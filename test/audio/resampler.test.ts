// The resampler against what sampling theory says it must do: tones keep their frequency, level and timing;
// tones the output rate cannot carry are removed rather than folded into speech band; frames stay frames;
// and chunking never changes the result.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RESAMPLER_QUALITY,
  SUPPORTED_SAMPLE_RATES,
  createResampler,
  createResamplerSync,
  initResampler,
  resample,
  type Resampler,
} from '../../runtime/audio/resampler.js';

const PAIRS = SUPPORTED_SAMPLE_RATES.flatMap((from) => SUPPORTED_SAMPLE_RATES.filter((to) => to !== from).map((to) => [from, to] as const));

function tone(rate: number, frequency: number, amplitude: number, seconds: number, delaySamples = 0): Int16Array {
  return Int16Array.from({ length: Math.round(rate * seconds) }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * frequency * (i - delaySamples)) / rate)));
}

/** Least-squares fit of a sine at `frequency` to `y` from sample `skip`: amplitude, phase (rad), residual RMS. */
function fitTone(y: Int16Array, rate: number, frequency: number, skip: number) {
  let ss = 0, cc = 0, sc = 0, ys = 0, yc = 0;
  const w = (2 * Math.PI * frequency) / rate;
  for (let n = skip; n < y.length; n++) {
    const s = Math.sin(w * n), c = Math.cos(w * n);
    ss += s * s; cc += c * c; sc += s * c; ys += y[n]! * s; yc += y[n]! * c;
  }
  const det = ss * cc - sc * sc;
  const a = (ys * cc - yc * sc) / det;
  const b = (yc * ss - ys * sc) / det;
  let residual = 0;
  for (let n = skip; n < y.length; n++) residual += (y[n]! - a * Math.sin(w * n) - b * Math.cos(w * n)) ** 2;
  return { amplitude: Math.hypot(a, b), phase: Math.atan2(b, a), residualRms: Math.sqrt(residual / (y.length - skip)) };
}

function rms(y: Int16Array, skip = 0): number {
  let sum = 0;
  for (let n = skip; n < y.length; n++) sum += y[n]! ** 2;
  return Math.sqrt(sum / (y.length - skip));
}

const db = (ratio: number) => 20 * Math.log10(ratio);

/** Runs `input` through `resampler` in 20 ms frames and returns everything it produced. */
function inFrames(resampler: Resampler, input: Int16Array): Int16Array {
  const frame = resampler.fromRate / 50;
  const out = new Int16Array(resampler.maxOutputSamples(input.length) + 16);
  const scratch = new Int16Array(resampler.maxOutputSamples(frame));
  let written = 0;
  for (let i = 0; i < input.length; i += frame) {
    const n = resampler.processInto(input.subarray(i, i + frame), scratch);
    out.set(scratch.subarray(0, n), written);
    written += n;
  }
  return out.slice(0, written);
}

describe('before the engine is loaded', () => {
  // Runs first in this file's fresh module graph (vitest isolates test files).
  it('createResamplerSync says how to load it; equal rates need no engine', () => {
    expect(() => createResamplerSync({ fromRate: 8000, toRate: 24000 })).toThrow(/await initResampler\(\)/);
    const copy = createResamplerSync({ fromRate: 8000, toRate: 8000 });
    const frame = tone(8000, 1000, 1000, 0.02);
    expect(copy.engine).toBe('copy');
    expect(copy.process(frame)).toEqual(frame);
  });
});

describe('createResampler', () => {
  it('loads Speex (SIMD on Node 20) and then creates synchronously too', async () => {
    const r = await createResampler({ fromRate: 8000, toRate: 24000 });
    expect(r.engine).toBe('speex-simd');
    expect(r.quality).toBe(DEFAULT_RESAMPLER_QUALITY);
    await initResampler();
    expect(createResamplerSync({ fromRate: 24000, toRate: 8000 }).delaySamples).toBe(32);
  });

  it('rejects rates and qualities it does not support, listing what it does', async () => {
    await expect(createResampler({ fromRate: 44100, toRate: 8000 })).rejects.toThrow(/8000, 16000, 24000, 48000 Hz/);
    await expect(createResampler({ fromRate: 8000, toRate: 24000, quality: 11 })).rejects.toThrow(/integer from 0 to 10/);
  });
});

describe('framing and latency', () => {
  it.each(PAIRS)('%i -> %i Hz: every 20 ms frame in gives exactly one 20 ms frame out, from the first', async (from, to) => {
    const r = await createResampler({ fromRate: from, toRate: to });
    const input = tone(from, 440, 8000, 0.2);
    const frame = from / 50;
    const out = new Int16Array(r.maxOutputSamples(frame));
    for (let i = 0; i < input.length; i += frame) expect(r.processInto(input.subarray(i, i + frame), out)).toBe(to / 50);
    // At most 5 ms of filter delay at the default quality.
    expect(r.delaySamples / to).toBeLessThanOrEqual(0.005);
    r.destroy();
  });

  it.each(PAIRS)('%i -> %i Hz: output is the input delayed by exactly delaySamples', async (from, to) => {
    const r = await createResampler({ fromRate: from, toRate: to });
    const y = inFrames(r, tone(from, 440, 10000, 0.5));
    const expected = tone(to, 440, 10000, 0.5, r.delaySamples);
    let worst = 0;
    for (let n = Math.round(to * 0.05); n < y.length; n++) worst = Math.max(worst, Math.abs(y[n]! - expected[n]!));
    expect(worst).toBeLessThan(10); // of 10000: -60 dB
    r.destroy();
  });

  it('resample() removes the delay: whole buffers come back aligned and of the exact length', async () => {
    const input = tone(8000, 440, 10000, 0.3);
    const up = await resample(input, { fromRate: 8000, toRate: 24000 });
    expect(up.length).toBe(7200);
    const expected = tone(24000, 440, 10000, 0.3);
    for (let n = 200; n < up.length - 200; n++) expect(Math.abs(up[n]! - expected[n]!)).toBeLessThan(10);
  });
});

describe('signal quality', () => {
  it('8k -> 24k -> 8k keeps a 1 kHz tone: same frequency, level within 0.05 dB, >= 60 dB clean', async () => {
    const input = tone(8000, 1000, 16384, 1);
    const up = inFrames(await createResampler({ fromRate: 8000, toRate: 24000 }), input);
    const back = inFrames(await createResampler({ fromRate: 24000, toRate: 8000 }), up);
    const fit = fitTone(back, 8000, 1000, 800);
    expect(Math.abs(db(fit.amplitude / 16384))).toBeLessThan(0.05);
    expect(db(fit.residualRms / (fit.amplitude / Math.SQRT2))).toBeLessThan(-60);
    // Frequency by zero crossings over the steady part: 1000 Hz is 2 crossings per 8 samples.
    let crossings = 0;
    for (let n = 801; n < back.length; n++) if ((back[n - 1]! < 0) !== (back[n]! < 0)) crossings++;
    expect(crossings / 2 / ((back.length - 801) / 8000)).toBeCloseTo(1000, -1);
  });

  it.each([
    [24000, 8000],
    [8000, 24000],
    [48000, 8000],
    [16000, 8000],
  ])('%i -> %i Hz is flat over the telephone band (300-3400 Hz within 0.1 dB)', async (from, to) => {
    for (const frequency of [300, 1000, 2000, 3000, 3400]) {
      const y = inFrames(await createResampler({ fromRate: from, toRate: to }), tone(from, frequency, 16384, 0.5));
      expect(Math.abs(db(fitTone(y, to, frequency, Math.round(to * 0.05)).amplitude / 16384)), `${frequency} Hz`).toBeLessThan(0.1);
    }
  });

  it.each([
    // [from, to, tone Hz, where it would fold to]
    [48000, 8000, 4100, 3900],
    [48000, 8000, 4500, 3500],
    [48000, 8000, 6000, 2000],
    [24000, 8000, 4500, 3500],
    [24000, 8000, 11000, 3000],
    [16000, 8000, 5000, 3000],
    [24000, 16000, 9000, 7000],
  ])('%i -> %i Hz rejects a %i Hz tone instead of folding it to %i Hz', async (from, to, frequency) => {
    const y = inFrames(await createResampler({ fromRate: from, toRate: to }), tone(from, frequency, 16384, 0.5));
    // Even 4.1 kHz, just past 8 kHz's Nyquist frequency, is down 83 dB (a 3.9 kHz tone, which 8 kHz can
    // carry, is passed at -33 dB: the filter's transition band sits just below Nyquist).
    expect(db(rms(y, Math.round(to * 0.05)) / (16384 / Math.SQRT2))).toBeLessThan(-80);
  });

  it('8k -> 24k leaves no images: a 1 kHz tone comes out with everything else below -80 dB', async () => {
    const y = inFrames(await createResampler({ fromRate: 8000, toRate: 24000 }), tone(8000, 1000, 16384, 0.5));
    const fit = fitTone(y, 24000, 1000, 1200);
    expect(db(fit.residualRms / (16384 / Math.SQRT2))).toBeLessThan(-80);
  });

  it('keeps silence silent and clips a full-scale square wave instead of wrapping it', async () => {
    const r = await createResampler({ fromRate: 8000, toRate: 24000 });
    expect(inFrames(r, new Int16Array(1600)).every((s) => s === 0)).toBe(true);
    const square = Int16Array.from({ length: 1600 }, (_, i) => (Math.floor(i / 20) % 2 ? -32768 : 32767));
    const y = inFrames(r, square);
    // Overshoot past full scale would wrap to the opposite sign without clipping: none of that mid-plateau.
    const delay = r.delaySamples;
    for (let n = delay + 600; n < y.length; n++) {
      const inputIndex = Math.floor((n - delay) / 3);
      const plateau = inputIndex % 20;
      if (plateau > 3 && plateau < 16) expect(Math.sign(y[n]!)).toBe(Math.sign(square[inputIndex]!));
    }
  });
});

describe('streaming', () => {
  it.each(PAIRS)('%i -> %i Hz: 20 ms frames, odd-sized chunks and one whole buffer give identical output', async (from, to) => {
    const input = Int16Array.from({ length: from / 2 }, (_, i) => Math.round(9000 * Math.sin(i / 3.1) + 6000 * Math.sin(i / 17.3) + ((i * 7919) % 2001) - 1000));
    const whole = (await createResampler({ fromRate: from, toRate: to })).process(input);
    const framed = inFrames(await createResampler({ fromRate: from, toRate: to }), input);
    const chunked = await createResampler({ fromRate: from, toRate: to });
    const parts: Int16Array[] = [];
    const sizes = [1, 7, 33, 100, 2, 499, 3, 1000];
    for (let i = 0, k = 0; i < input.length; k++) {
      const chunk = input.subarray(i, i + sizes[k % sizes.length]!);
      const out = chunked.process(chunk);
      expect(out.length).toBeLessThanOrEqual(Math.ceil((chunk.length * to) / from));
      parts.push(out);
      i += chunk.length;
    }
    const joined = Int16Array.from(parts.flatMap((p) => Array.from(p)));
    expect(whole.length).toBe((input.length * to) / from);
    expect(framed).toEqual(whole);
    expect(joined).toEqual(whole);
  });

  it('flush drains the filter so nothing of the input is lost, then the stream starts afresh', async () => {
    const r = await createResampler({ fromRate: 24000, toRate: 8000 });
    const input = tone(24000, 440, 10000, 0.1);
    const body = r.process(input);
    const tail = r.flush();
    expect(body.length + tail.length).toBe(800 + r.delaySamples);
    expect(rms(tail)).toBeGreaterThan(1000); // the delayed end of the tone, not silence
    const fresh = await createResampler({ fromRate: 24000, toRate: 8000 });
    expect(r.process(input)).toEqual(fresh.process(input));
  });

  it('reset forgets history; destroy frees the state and later use says so', async () => {
    const r = await createResampler({ fromRate: 8000, toRate: 16000 });
    const input = tone(8000, 700, 12000, 0.04);
    const first = r.process(input);
    r.process(tone(8000, 300, 30000, 0.1));
    r.reset();
    expect(r.process(input)).toEqual(first);
    r.destroy();
    r.destroy();
    expect(() => r.process(input)).toThrow(/destroyed; create a new one/);
  });

  it('refuses an output buffer that may be too small, pointing at maxOutputSamples', async () => {
    const r = await createResampler({ fromRate: 8000, toRate: 48000 });
    expect(() => r.processInto(new Int16Array(160), new Int16Array(959))).toThrow(/maxOutputSamples/);
    expect(r.maxOutputSamples(160)).toBe(960);
    expect(r.processInto(new Int16Array(160), new Int16Array(960))).toBe(960);
  });
});
