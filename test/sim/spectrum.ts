/**
 * Spectrum measurements for the simulation tests: a Welch power spectrum (Hann window, 50 % overlap, the
 * runtime's real FFT) and band powers read from it.
 */
import { createRealFft } from '../../runtime/audio/fft.js';

/** A power spectrum: mean power per FFT bin from 0 Hz to Nyquist, `binHz` apart. */
export interface Spectrum {
  readonly power: Float64Array;
  readonly binHz: number;
}

/** Welch power spectrum of `signal` with `fftSize`-point Hann-windowed segments overlapping by half. */
export function powerSpectrum(signal: ArrayLike<number>, sampleRate: number, fftSize = 1024): Spectrum {
  const fft = createRealFft(fftSize);
  const [segment, re, im, power] = [new Float64Array(fftSize), new Float64Array(fft.bins), new Float64Array(fft.bins), new Float64Array(fft.bins)];
  const window = Float64Array.from({ length: fftSize }, (_, i) => Math.sin((Math.PI * i) / fftSize) ** 2);
  let segments = 0;
  for (let at = 0; at + fftSize <= signal.length; at += fftSize / 2, segments++) {
    for (let i = 0; i < fftSize; i++) segment[i] = signal[at + i]! * window[i]!;
    fft.forward(segment, re, im);
    for (let k = 0; k < power.length; k++) power[k] = power[k]! + re[k]! ** 2 + im[k]! ** 2;
  }
  return { power: power.map((p) => p / Math.max(1, segments)), binHz: sampleRate / fftSize };
}

/** Total power of the bins in [lowHz, highHz), in decibels (arbitrary reference). */
export function bandPowerDb(spectrum: Spectrum, lowHz: number, highHz: number): number {
  let sum = 0;
  for (let k = Math.ceil(lowHz / spectrum.binHz); k * spectrum.binHz < highHz && k < spectrum.power.length; k++) sum += spectrum.power[k]!;
  return 10 * Math.log10(sum);
}

/**
 * Slope of the power spectral density over octave bands from `lowHz` up to `highHz`, in dB per octave,
 * by least squares on the density (band power over bandwidth) at each band's centre: 0 for white noise,
 * -3 for pink.
 */
export function octaveSlopeDb(spectrum: Spectrum, lowHz: number, highHz: number): number {
  const points: Array<[number, number]> = [];
  for (let f = lowHz; f * 2 <= highHz; f *= 2) points.push([Math.log2(f * Math.SQRT2), bandPowerDb(spectrum, f, 2 * f) - 10 * Math.log10(f)]);
  const meanX = points.reduce((s, [x]) => s + x, 0) / points.length;
  const meanY = points.reduce((s, [, y]) => s + y, 0) / points.length;
  const num = points.reduce((s, [x, y]) => s + (x - meanX) * (y - meanY), 0);
  const den = points.reduce((s, [x]) => s + (x - meanX) ** 2, 0);
  return num / den;
}
