/*
 * A speakerphone on a VoIP line returns the agent's voice 500-800 ms late. The echo gate used to cover only
 * `echo.tailMs` (300 ms): the echo of each phrase came back after the phrase, and after the reply, outside
 * the gate, and the VAD took it for the caller (about twenty barge-in attempts in a simulated call, one of
 * them confirmed). The handler now measures the delay on every call (0-1,000 ms, whatever `tailMs` is) and
 * gates around it; until it has, it gates as if the path could be 800 ms long.
 *
 * Each scene plays the agent's voice (9.2 s) down a mu-law line with the echo path, then 1.2 s of silence
 * while the echo tail comes back, through a fresh handler and the real WebRTC VAD, as echo.test.ts does.
 */
import { describe, expect, it } from 'vitest';
import { createEchoHandler, type EchoHandler } from '../../runtime/audio/echo.js';
import { levelDbfs } from '../../runtime/audio/frames.js';
import { createWebRtcVad } from '../../runtime/audio/webrtc-vad.js';
import { agentSpeech, FRAME, makeScene, measureCondition, onsets, toneFrame, type Scene } from './echo-signals.js';
import { framesOf, readFixture } from './vad-signals.js';
import { decodeMulaw, encodeMulaw } from '../../runtime/audio/g711.js';

const mulaw = (samples: Int16Array): Int16Array => decodeMulaw(encodeMulaw(samples));

/** Frames after the agent's voice: playout has ended, only the echo tail comes back. */
const PLAYOUT_END_FRAME = agentSpeech().length / FRAME;

interface Played {
  /** Per frame: VAD speech and allowed by the handler (what the inbound pipeline acts on). */
  readonly speech: boolean[];
  /** Per frame: the handler allowed the frame as speech, VAD aside. */
  readonly allowed: boolean[];
  /** Per frame: the handler's `echoActive`. */
  readonly echoActive: boolean[];
  /** Per frame: the handler's measured delay (undefined until trusted). */
  readonly delayMs: Array<number | undefined>;
}

async function play(scene: Scene, handler: EchoHandler): Promise<Played> {
  const vad = await createWebRtcVad({ sampleRate: 8000 });
  const sent = framesOf(scene.outbound, FRAME);
  const played: Played = { speech: [], allowed: [], echoActive: [], delayMs: [] };
  framesOf(scene.inbound, FRAME).forEach((frame, i) => {
    handler.onOutbound(sent[i]!);
    const verdict = handler.process(frame);
    played.speech.push(vad.speechProbability(verdict.frame) >= 0.5 && verdict.speechAllowed);
    played.allowed.push(verdict.speechAllowed);
    played.echoActive.push(handler.estimate.echoActive);
    played.delayMs.push(handler.estimate.delayMs);
  });
  vad.close();
  return played;
}

describe('an echo path longer than the canceller filter (VoIP, speakerphone)', () => {
  for (const mode of ['reference-gated', 'aec'] as const) {
    for (const delayMs of [500, 700]) {
      it(`${mode}, ${delayMs} ms / 10 dB: the delay is measured within a frame and no echo frame counts as speech, during or after playout`, async () => {
        const scene = makeScene({ path: { delayMs, attenuationDb: 10 }, trailingMs: 1200 });
        const handler = createEchoHandler({ mode, sampleRate: 8000, tailMs: 800 });
        const { speech, allowed } = await play(scene, handler);

        expect(Math.abs(handler.estimate.delayMs! - delayMs)).toBeLessThanOrEqual(20);
        expect(onsets(speech)).toEqual([]);
        // After playout ends, every frame is pure echo (or silence): none may pass, VAD or not.
        const inbound = framesOf(scene.inbound, FRAME);
        const echoPassed = inbound.map((frame, i) => i >= PLAYOUT_END_FRAME && levelDbfs(frame) > -60 && allowed[i]!);
        expect(echoPassed.filter(Boolean)).toEqual([]);
        expect(speech.slice(PLAYOUT_END_FRAME).filter(Boolean)).toEqual([]);
      });

      it(`${mode}, ${delayMs} ms / 18 dB: a caller talking over the agent at a normal level is still heard`, async () => {
        const figures = await measureCondition(
          () => createEchoHandler({ mode, sampleRate: 8000, tailMs: 800 }),
          () => createWebRtcVad({ sampleRate: 8000 }),
          { path: { delayMs, attenuationDb: 18 } },
        );
        expect(figures.falseOnsets).toBe(0);
        expect(figures.doubleTalkPct).toBeGreaterThan(60);
        expect(figures.onsetLatencyMs).toBeLessThanOrEqual(120);
      });
    }
  }

  it('gates a 700 ms echo before its delay is measured (the first second of the first reply)', async () => {
    const scene = makeScene({ path: { delayMs: 700, attenuationDb: 10 } });
    const handler = createEchoHandler({ mode: 'reference-gated', sampleRate: 8000, tailMs: 800 });
    const { speech, delayMs } = await play(scene, handler);
    // The delay cannot be trusted before the echo has come back for a while; the gate covers it meanwhile.
    const trustedAt = delayMs.findIndex((d) => d !== undefined);
    expect(trustedAt * 20).toBeGreaterThan(700);
    expect(onsets(speech.slice(0, trustedAt + 10))).toEqual([]);
  });

  it('hears a caller interrupting 400 ms into the first reply on a line without echo (tailMs 800, nothing measured yet)', async () => {
    // Until the 800 ms window had gone by, the gate assumed a 6 dB echo of everything it had sent: a caller had
    // to be about as loud as the agent to be heard in the first ~840 ms of a call. Each lag that has already
    // carried the agent's audio back as silence now bounds its own echo; only the first loud frames' echo is
    // still unknown.
    const scene = makeScene({ path: { delayMs: 0, attenuationDb: 80 }, caller: { startMs: 400 } });
    const handler = createEchoHandler({ mode: 'reference-gated', sampleRate: 8000, tailMs: 800 });
    const { speech, delayMs } = await play(scene, handler);
    const callerFrom = scene.callerSpeech.indexOf(true);
    const heardFrom = speech.findIndex((s, i) => s && i >= callerFrom);
    expect(delayMs[heardFrom]).toBeUndefined();
    expect(callerFrom * 20).toBeLessThan(840 - 200);
    expect((heardFrom - callerFrom) * 20).toBeLessThanOrEqual(40);
  });

  it('lets a caller barge in 300-700 ms into a greeting that starts loud (a tone: the first frames are as loud as any)', () => {
    // The echo of the greeting's first loud frames is unknown until the window has gone by: by level alone a
    // caller starting to talk is the echo of that start arriving. The waveform check tells them apart.
    const caller = framesOf(mulaw(readFixture('speech-en-female').samples), FRAME).slice(2, 8);
    for (const startFrame of [15, 25, 35]) {
      const handler = createEchoHandler({ mode: 'reference-gated', sampleRate: 8000, tailMs: 800 });
      const allowed: boolean[] = [];
      for (let i = 0; i < startFrame + caller.length; i++) {
        handler.onOutbound(mulaw(toneFrame(i)));
        const verdict = handler.process(i < startFrame ? new Int16Array(FRAME) : caller[i - startFrame]!);
        if (i >= startFrame) allowed.push(verdict.speechAllowed);
      }
      expect(allowed, `caller from ${startFrame * 20} ms`).toEqual(caller.map(() => true));
    }
  });

  it('keeps hearing a caller who talks on over the start of the greeting (their frames are no echo evidence)', () => {
    // Frames vetoed by the unknown lags alone used to count as echo for the bounds: a caller talking over the
    // greeting taught the gate a loud echo and was shut out within ~200 ms, and cut into pieces (false
    // barge-ins, a line answered twice in bench:serve).
    const line = framesOf(mulaw(readFixture('speech-en-female').samples), FRAME).slice(2, 42);
    const handler = createEchoHandler({ mode: 'reference-gated', sampleRate: 8000, tailMs: 800 });
    const vetoed: number[] = [];
    for (let i = 0; i < 15 + line.length; i++) {
      handler.onOutbound(mulaw(toneFrame(i)));
      const frame = i < 15 ? new Int16Array(FRAME) : line[i - 15]!;
      const verdict = handler.process(frame);
      if (i >= 15 && levelDbfs(frame) > -40 && !verdict.speechAllowed) vetoed.push(i - 15);
    }
    expect(vetoed).toEqual([]);
  });

  it('keeps the gate on a short path no longer than the path needs (120 ms: off 60 ms after its echo, not 300 ms)', async () => {
    const scene = makeScene({ path: { delayMs: 120, attenuationDb: 18 }, trailingMs: 1200 });
    const handler = createEchoHandler({ mode: 'reference-gated', sampleRate: 8000, tailMs: 800 });
    const { echoActive } = await play(scene, handler);
    const lastLoud = framesOf(scene.outbound, FRAME).findLastIndex((frame) => levelDbfs(frame) > -60);
    const lastActive = echoActive.lastIndexOf(true);
    expect(handler.estimate.delayMs).toBe(120);
    expect((lastActive - lastLoud) * 20).toBeLessThanOrEqual(120 + 60);
  });
});
