/*
 * The echo gate's waveform check (runtime/audio/echo-onset-check.ts): at the start of a call's first reply
 * it decides whether a caller-like frame could be the echo of the reply's first loud frames. An echo must
 * correlate with the reference at its delay far above the gate's threshold (or the agent would barge in on
 * itself); a caller talking over the agent must not (or the check keeps nobody out and the greeting stays
 * uninterruptible). Figures: echo paths of echo-signals.ts with room and line noise; the caller is the real
 * JFK recording against the agent's voice, and against a tone (the ElevenLabs mock's voice in bench:serve).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EchoOnsetCheck } from '../../runtime/audio/echo-onset-check.js';
import { levelDbfs } from '../../runtime/audio/frames.js';
import { decodeMulaw, encodeMulaw } from '../../runtime/audio/g711.js';
import { readWav } from '../../runtime/audio/wav.js';
import { FRAME, makeScene, toneFrame } from './echo-signals.js';
import { framesOf } from './vad-signals.js';

/** The gate's threshold (runtime/audio/echo.ts ECHO_CORRELATION). */
const THRESHOLD = 0.5;
const quantile = (values: number[], q: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * q))]!;

function jfkFrames(): Int16Array[] {
  const path = new URL('../../scenarios/recordings/jfk.wav', import.meta.url);
  const samples = readWav(readFileSync(path), path.pathname).channels[0]!;
  return framesOf(decodeMulaw(encodeMulaw(samples)), FRAME);
}


describe('EchoOnsetCheck', () => {
  it('finds the echo at its delay: through G.711 twice, a room and line noise', () => {
    const paths = [
      { delayMs: 120, attenuationDb: 18 },
      { delayMs: 250, attenuationDb: 10, room: true },
      { delayMs: 700, attenuationDb: 10, room: true },
      { delayMs: 50, attenuationDb: 10, room: true },
    ];
    for (const path of paths) {
      const scene = makeScene({ path, noiseDbfs: -50 });
      const sent = framesOf(scene.outbound, FRAME);
      const back = framesOf(scene.inbound, FRAME);
      const check = new EchoOnsetCheck(FRAME, 50);
      const lag = Math.floor(path.delayMs / 20);
      const found: number[] = [];
      back.slice(0, 300).forEach((frame, i) => {
        check.push(sent[i]!, frame);
        if (levelDbfs(frame) > -40) found.push(check.correlation(lag));
      });
      expect(found.length).toBeGreaterThan(50);
      console.log(`echo ${JSON.stringify(path)}: p5 ${quantile(found, 0.05).toFixed(2)}, p50 ${quantile(found, 0.5).toFixed(2)}`);
      expect(quantile(found, 0.05), JSON.stringify(path)).toBeGreaterThan(THRESHOLD + 0.05);
    }
  });

  it('finds no echo in a real caller talking over the agent, at any lag, mostly', () => {
    const caller = jfkFrames();
    const agent = framesOf(makeScene({ path: { delayMs: 0, attenuationDb: 80 } }).outbound, FRAME);
    for (const [name, reference] of [
      ['agent voice', (i: number) => agent[i]!],
      ['tone', toneFrame],
    ] as const) {
      const check = new EchoOnsetCheck(FRAME, 41);
      const values: number[] = [];
      for (let i = 0; i < 300; i++) {
        check.push(reference(i), caller[i]!);
        if (i > 45 && levelDbfs(caller[i]!) > -40) for (let lag = 0; lag <= 41; lag += 3) values.push(check.correlation(lag));
      }
      expect(values.length).toBeGreaterThan(500);
      console.log(`caller vs ${name}: p50 ${quantile(values, 0.5).toFixed(2)}, p95 ${quantile(values, 0.95).toFixed(2)}, p99 ${quantile(values, 0.99).toFixed(2)}`);
      expect(quantile(values, 0.5), name).toBeLessThan(THRESHOLD - 0.2);
      expect(quantile(values, 0.95), name).toBeLessThan(THRESHOLD);
    }
  });

  it('says nothing about silence or lags it does not keep, and nothing once released', () => {
    const check = new EchoOnsetCheck(FRAME, 10);
    check.push(toneFrame(0), new Int16Array(FRAME));
    expect(check.correlation(0)).toBe(0);
    check.push(toneFrame(1), toneFrame(1));
    expect(check.correlation(0)).toBeGreaterThan(0.9);
    expect(check.correlation(11)).toBe(0);
    check.release();
    expect(check.correlation(0)).toBe(0);
  });
});
