/** Every audio path in voiceagent moves 20 ms frames (telephony's packet size). */
export const FRAME_MS = 20;

/** Samples in one 20 ms frame at `sampleRate` (160 at 8 kHz, 480 at 24 kHz). */
export function samplesPerFrame(sampleRate: number): number {
  return (sampleRate * FRAME_MS) / 1000;
}

/** Duration of `samples` samples at `sampleRate`, in milliseconds. */
export function samplesToMs(samples: number, sampleRate: number): number {
  return (samples * 1000) / sampleRate;
}

/** Number of samples in `ms` milliseconds at `sampleRate` (rounded down). */
export function msToSamples(ms: number, sampleRate: number): number {
  return Math.floor((ms * sampleRate) / 1000);
}

/** Root-mean-square level of a frame in dBFS (-100 for digital silence). Allocation-free: it runs per frame. */
export function levelDbfs(frame: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < frame.length; i++) {
    const s = frame[i]!;
    sum += s * s;
  }
  if (sum === 0 || frame.length === 0) return -100;
  const rms = Math.sqrt(sum / frame.length) / 32768;
  return Math.max(-100, 20 * Math.log10(rms));
}
