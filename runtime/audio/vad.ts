import { levelDbfs } from './frames.js';

/** A voice activity detector: the probability (0-1) that a 20 ms frame holds speech. */
export interface Vad {
  readonly engine: string;
  speechProbability(frame: Int16Array): number;
}

/**
 * The `energy` engine: a level gate relative to an adaptive noise floor. Cheap (one pass over the frame) and
 * dependable on clean lines; noisy lines want the WebRTC engine.
 *
 * The floor follows quiet frames quickly and loud frames slowly, so steady background noise is learnt
 * while speech is not. Probability rises from 0 at `floor + 6 dB` to 1 at `floor + 18 dB`.
 */
export function createEnergyVad(options: { readonly absoluteFloorDbfs?: number } = {}): Vad {
  const absoluteFloor = options.absoluteFloorDbfs ?? -60;
  let floor = absoluteFloor;
  return {
    engine: 'energy',
    speechProbability(frame) {
      const level = levelDbfs(frame);
      floor = level < floor ? floor + (level - floor) * 0.3 : floor + (level - floor) * 0.002;
      floor = Math.max(absoluteFloor, floor);
      return Math.min(1, Math.max(0, (level - floor - 6) / 12));
    },
  };
}
