/*
 * The agent must not interrupt itself. On a speakerphone or a poor handset the agent's own voice comes back in
 * the inbound audio, 50-300 ms late and 10-40 dB down, through G.711 twice. A VAD hears that echo as a caller
 * who starts talking the moment the agent does, and without echo handling the agent pauses for its own voice.
 *
 * These tests play the agent's voice (speech fixtures) down such a line (test/audio/echo-signals.ts), feed
 * what was sent to the echo handler as the reference, and run the real WebRTC VAD on what comes back, as the
 * inbound pipeline does. Echo alone must never produce a confirmed onset (a 60 ms run, `minSpeechMs`); a
 * caller talking over the agent at a normal level must still be heard. Figures for every mode and more lines
 * come from `node --import tsx bench/echo.bench.ts` and are recorded at the top of runtime/audio/echo.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createEchoHandler, type EchoMode } from '../../runtime/audio/echo.js';
import { levelDbfs } from '../../runtime/audio/frames.js';
import { Playout } from '../../runtime/audio/playout.js';
import type { Vad } from '../../runtime/audio/vad.js';
import { createWebRtcVad } from '../../runtime/audio/webrtc-vad.js';
import { InboundPipeline } from '../../runtime/call/inbound-pipeline.js';
import { createRecordingTransport } from '../../runtime/testing.js';
import { createSimulatedClock } from '../../runtime/util/clock.js';
import { CALLER_DBFS, FRAME, makeScene, measureCondition, onsets, shareOf, type EchoFigures, type SceneOptions } from './echo-signals.js';
import { framesOf, gainDb, readFixture } from './vad-signals.js';

const webrtc = () => createWebRtcVad({ sampleRate: 8000 });
const handlerFor = (mode: EchoMode) => () => createEchoHandler({ mode, sampleRate: 8000 });
const report: Array<{ mode: EchoMode; condition: string; figures: EchoFigures }> = [];

async function measure(mode: EchoMode, condition: string, options: Omit<SceneOptions, 'caller'>): Promise<EchoFigures> {
  const figures = await measureCondition(handlerFor(mode), webrtc, options);
  report.push({ mode, condition, figures });
  return figures;
}

afterAll(() => {
  const width = Math.max(...report.map((r) => `${r.mode}: ${r.condition}`.length));
  console.log(
    [
      `${'echo handling (WebRTC VAD mode 3)'.padEnd(width)}  false%  onsets  double-talk%`,
      ...report.map((r) => `${`${r.mode}: ${r.condition}`.padEnd(width)}  ${String(r.figures.falseSpeechPct).padStart(6)}  ${String(r.figures.falseOnsets).padStart(6)}  ${String(r.figures.doubleTalkPct).padStart(12)}`),
    ].join('\n'),
  );
});

const ECHO_LINES: Array<[string, Omit<SceneOptions, 'caller'>]> = [
  ['120 ms / 18 dB', { path: { delayMs: 120, attenuationDb: 18 } }],
  ['250 ms / 10 dB', { path: { delayMs: 250, attenuationDb: 10 } }],
  ['50 ms / 10 dB', { path: { delayMs: 50, attenuationDb: 10 } }],
  ['250 ms / 30 dB, line noise', { path: { delayMs: 250, attenuationDb: 30 }, noiseDbfs: -50 }],
  ['120 ms / 18 dB, room, line noise', { path: { delayMs: 120, attenuationDb: 18, room: true }, noiseDbfs: -50 }],
  ['250 ms / 10 dB, room', { path: { delayMs: 250, attenuationDb: 10, room: true } }],
];

describe('echo of our own voice', () => {
  it('is heard as caller speech when echo handling is off (the problem is real)', async () => {
    for (const [name, options] of ECHO_LINES.slice(0, 2)) {
      const figures = await measure('off', name, options);
      expect(figures.falseOnsets, name).toBeGreaterThan(5);
    }
  });

  for (const mode of ['reference-gated', 'aec'] as const) {
    describe(mode, () => {
      for (const [name, options] of ECHO_LINES) {
        it(`never confirms caller speech on echo alone: ${name}`, async () => {
          const figures = await measure(mode, name, options);
          expect(figures.falseOnsets).toBe(0);
          expect(figures.falseSpeechPct).toBeLessThan(2);
        });
      }

      it('still hears a caller talking over the agent at a normal level (120 ms / 18 dB)', async () => {
        const figures = await measure(mode, '120 ms / 18 dB (double talk)', { path: { delayMs: 120, attenuationDb: 18 } });
        expect(figures.doubleTalkPct).toBeGreaterThan(80);
        expect(figures.onsetLatencyMs).toBeLessThanOrEqual(120);
      });
    });
  }

  it('aec hears double talk over a loud echo that the gate alone cannot see past (250 ms / 10 dB)', async () => {
    const gated = await measure('reference-gated', '250 ms / 10 dB (double talk)', { path: { delayMs: 250, attenuationDb: 10 } });
    const aec = await measure('aec', '250 ms / 10 dB (double talk)', { path: { delayMs: 250, attenuationDb: 10 } });
    expect(aec.doubleTalkPct).toBeGreaterThan(80);
    expect(gated.doubleTalkPct).toBeGreaterThan(40);
    expect(gated.onsetLatencyMs).toBeLessThanOrEqual(200);
  });
});

describe('a caller talking over the start of a later reply', () => {
  for (const mode of ['reference-gated', 'aec'] as const) {
    it(`${mode}: is heard with the echo path learnt on the first reply`, async () => {
      const path = { delayMs: 120, attenuationDb: 18 };
      const first = makeScene({ path });
      const second = makeScene({ path, caller: { startMs: 300 } });
      const handler = createEchoHandler({ mode, sampleRate: 8000 });
      const vad = await webrtc();
      const play = (sent: Int16Array[], received: Int16Array[]) =>
        received.map((frame, i) => {
          if (sent[i]) handler.onOutbound(sent[i]!);
          const verdict = handler.process(frame);
          return vad.speechProbability(verdict.frame) >= 0.5 && verdict.speechAllowed;
        });
      expect(onsets(play(framesOf(first.outbound, FRAME), framesOf(first.inbound, FRAME)))).toEqual([]);
      play([], Array.from({ length: 50 }, () => new Int16Array(FRAME))); // one second of the caller's turn
      const speech = play(framesOf(second.outbound, FRAME), framesOf(second.inbound, FRAME));
      const callerStartMs = second.callerSpeech.indexOf(true) * 20;
      expect(onsets(speech)[0]! + 60 - callerStartMs).toBeLessThanOrEqual(120);
      expect(shareOf(speech, second.callerSpeech)).toBeGreaterThan(0.8);
      vad.close();
    });
  }
});

describe('createEchoHandler', () => {
  it('learns the echo path: delay and loss', () => {
    const scene = makeScene({ path: { delayMs: 120, attenuationDb: 18 } });
    const handler = createEchoHandler({ mode: 'reference-gated', sampleRate: 8000 });
    expect(handler.estimate.erlDb).toBe(6); // before measuring: a loud speakerphone
    const sent = framesOf(scene.outbound, FRAME);
    framesOf(scene.inbound, FRAME).forEach((frame, i) => {
      handler.onOutbound(sent[i]!);
      handler.process(frame);
    });
    // The echo's frame is 120 ms back; the loss bound errs low (safe side) by at most a few dB.
    expect(handler.estimate.delayMs).toBe(120);
    expect(handler.estimate.erlDb).toBeGreaterThan(14);
    expect(handler.estimate.erlDb).toBeLessThanOrEqual(18);
  });

  it('lets a caller interrupt at a normal level once a line without echo has shown it (after the unmeasured path)', () => {
    const handler = createEchoHandler({ mode: 'reference-gated', sampleRate: 8000 });
    const agent = framesOf(makeScene({ path: { delayMs: 0, attenuationDb: 80 } }).outbound, FRAME);
    const silence = new Int16Array(FRAME);
    const caller = framesOf(gainDb(readFixture('speech-en-female').samples, CALLER_DBFS + 19), FRAME).filter((f) => levelDbfs(f) > -30);
    // The agent talks 900 ms over a line that returns nothing (a handset with good echo cancellation): until
    // then an echo up to 800 ms long could still be on its way, so the line has not shown it has none.
    for (let i = 0; i < 45; i++) {
      handler.onOutbound(agent[i + 20]!);
      handler.process(silence);
    }
    let allowed = 0;
    for (let i = 0; i < 10; i++) {
      handler.onOutbound(agent[i + 65]!);
      if (handler.process(caller[i]!).speechAllowed) allowed++;
    }
    expect(allowed).toBe(10);
  });

  it('off passes frames through and allows everything', () => {
    const handler = createEchoHandler({ mode: 'off', sampleRate: 8000 });
    const frame = new Int16Array(FRAME).fill(1000);
    handler.onOutbound(frame);
    const verdict = handler.process(frame);
    expect(verdict.frame).toBe(frame);
    expect(verdict.speechAllowed).toBe(true);
  });

  it('aec hands the VAD the frame with the echo removed', () => {
    const scene = makeScene({ path: { delayMs: 120, attenuationDb: 18 } });
    const handler = createEchoHandler({ mode: 'aec', sampleRate: 8000 });
    const sent = framesOf(scene.outbound, FRAME);
    let inEnergy = 0;
    let outEnergy = 0;
    framesOf(scene.inbound, FRAME).forEach((frame, i) => {
      handler.onOutbound(sent[i]!);
      const { frame: cleaned } = handler.process(frame);
      if (i < 150) return; // converging
      for (let s = 0; s < FRAME; s++) {
        inEnergy += frame[s]! ** 2;
        outEnergy += cleaned[s]! ** 2;
      }
    });
    expect(10 * Math.log10(inEnergy / outEnergy)).toBeGreaterThan(20);
  });

  it('reuses one verdict object and checks frame sizes', () => {
    for (const mode of ['reference-gated', 'aec', 'off'] as const) {
      const handler = createEchoHandler({ mode, sampleRate: 16000 });
      const frame = new Int16Array(320);
      expect(handler.process(frame)).toBe(handler.process(frame));
    }
    expect(() => createEchoHandler({ mode: 'aec', sampleRate: 8000 }).process(new Int16Array(100))).toThrow(/160 samples/);
  });

  it('rejects out-of-range settings with the field name', () => {
    expect(() => createEchoHandler({ mode: 'reference-gated', sampleRate: 8000, tailMs: 5000 })).toThrow(/echo.tailMs/);
    expect(() => createEchoHandler({ mode: 'reference-gated', sampleRate: 8000, marginDb: -1 })).toThrow(/echo.marginDb/);
  });
});

describe('wiring', () => {
  it('the inbound pipeline starts no caller speech on echo when given the handler, and does without it', async () => {
    const scene = makeScene({ path: { delayMs: 120, attenuationDb: 18 } });
    const sent = framesOf(scene.outbound, FRAME);
    const onsetsWith = async (mode: EchoMode | undefined) => {
      const vad: Vad & { close(): void } = await webrtc();
      const echo = mode ? createEchoHandler({ mode, sampleRate: 8000 }) : undefined;
      let starts = 0;
      const pipeline = new InboundPipeline(vad, { threshold: 0.5, minSpeechMs: 60, milestonesMs: [], ...(echo && { echo }) }, { onSpeechStart: () => starts++, onSpeechMilestone() {}, onSpeechEnd() {} });
      framesOf(scene.inbound, FRAME).forEach((frame, i) => {
        echo?.onOutbound(sent[i]!);
        pipeline.pushFrame(frame);
      });
      vad.close();
      return starts;
    };
    expect(await onsetsWith(undefined)).toBeGreaterThan(1); // the pipeline's 120 ms hangover joins some runs
    expect(await onsetsWith('reference-gated')).toBe(0);
  });

  it('playout hands every frame it sends to onFrameSent, as sent', () => {
    const clock = createSimulatedClock();
    const transport = createRecordingTransport({ clock, sampleRate: 8000 });
    const seen: Int16Array[] = [];
    const playout = new Playout(clock, transport, { onFirstFrame() {}, onDrained() {}, onFrameSent: (frame) => seen.push(Int16Array.from(frame)) });
    playout.begin();
    playout.append(new Int16Array(FRAME * 3).fill(1200));
    playout.complete();
    clock.advance(100);
    expect(seen).toHaveLength(3);
    expect(seen.every((frame) => frame.length === FRAME && frame[0] === 1200)).toBe(true);
  });
});
