/*
 * A scenario's timing is the caller's: `when: { agentSpeaking: true, sentence, afterMs }` counts from the
 * moment that sentence reaches the caller's ear, and the caller's onset is when they start speaking. Three bugs
 * of issue 18 lived here: `sentence: 2` with a short `afterMs` fired at the start of the reply (sentence 2 was
 * not written yet, so it counted from sentence 1); `afterMs: 0` fired a playout delay (60 ms) before the
 * agent's audio reached the caller (it trusted the runtime's estimate of what was heard); and a caller frame
 * reached the agent before it had been spoken, so the runtime stamped onsets 20 ms before the caller started.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CallEvent } from '../../runtime/call/events.js';
import type { CallerLine, CallerVoice } from '../../runtime/sim/caller-voice.js';
import { heardOnTimeline } from '../../runtime/sim/agent-at-ear.js';
import { runScenario } from '../../runtime/sim/run-scenario.js';
import type { Scenario, ScenarioStep, StepTiming } from '../../runtime/sim/scenario.js';
import { SimulatedCaller, sentenceStarts, type CallerHooks, type CallerView } from '../../runtime/sim/simulated-caller.js';
import type { SentFrame } from '../../runtime/transports/in-process.js';

const FRAME_SAMPLES = 160;
const DEFAULT_TIMING: StepTiming = { agentSpeaking: false, sentence: 1, afterMs: 500, gapMs: 300 };

/** What the fake call shows the caller: the agent's utterance as the runtime has it, and what reached the caller's ear. */
interface FakeLine {
  tags: Set<string>;
  speech: { text: string; words: Array<{ text: string; startMs: number; endMs: number; charStart: number; charEnd: number }>; heardMs: number } | undefined;
  /** Ms of the utterance heard at the caller's ear; undefined before its first frame got there. */
  earMs: number | undefined;
}

/** Words of `text` at 300 ms each from `startMs`, from character `from`. */
function words(text: string, from: number, startMs: number) {
  const out: NonNullable<FakeLine['speech']>['words'] = [];
  const re = /\S+/g;
  for (let m = re.exec(text), i = 0; m; m = re.exec(text), i++) {
    if (m.index < from) continue;
    out.push({ text: m[0], startMs: startMs + out.length * 300, endMs: startMs + out.length * 300 + 280, charStart: m.index, charEnd: m.index + m[0].length });
  }
  return out;
}

/** A caller with one `say` step, driven frame by frame; `tick(nowMs)` lets the test move the line on first. Returns the step's start. */
async function startOfStep(when: Partial<StepTiming>, tick: (line: FakeLine, nowMs: number) => void): Promise<number | undefined> {
  const line: FakeLine = { tags: new Set(), speech: undefined, earMs: undefined };
  const view: CallerView = { hasTag: (tag) => line.tags.has(tag), agentSpeech: () => line.speech };
  const hooks: CallerHooks = {
    expectWords: () => {},
    sound: () => new Int16Array(FRAME_SAMPLES * 10),
    isBackchannel: (text) => text === 'mm-hmm',
    hangup: () => {},
    agentHeardMs: () => line.earMs,
    agentAudible: () => line.earMs !== undefined,
  };
  const script: ScenarioStep[] = [{ kind: 'say', text: 'mm-hmm', when: { ...DEFAULT_TIMING, ...when } }];
  const caller = new SimulatedCaller(script, view, FRAME_SAMPLES, hooks, () => 'en');
  const voice: CallerVoice = { synthesize: async (): Promise<CallerLine> => ({ pcm: new Int16Array(FRAME_SAMPLES * 20), words: [{ text: 'mm-hmm', startMs: 0, endMs: 380 }] }) };
  await caller.prepare(voice, () => 'en-gb', 8000);
  for (let now = 0; now < 10_000 && caller.activities.length === 0; now += 20) {
    tick(line, now);
    caller.nextFrame(now);
  }
  return caller.activities[0]?.startMs;
}

describe('sentence starts', () => {
  it('has no start for a sentence not written yet, and splits CJK sentences without spaces', () => {
    expect(sentenceStarts('We open at nine.')).toEqual([0]);
    expect(sentenceStarts('We open at nine. On Saturdays')).toEqual([0, 17]);
    expect(sentenceStarts('退房时间是十一点。早餐七点开始。')).toEqual([0, 9]);
  });
});

describe('when: { agentSpeaking: true }', () => {
  it('sentence 2 with a short afterMs waits for sentence 2 to be heard, even while the model is still writing it', async () => {
    const first = 'We open at nine.';
    const both = 'We open at nine. On Saturdays we close at one.';
    const start = await startOfStep({ agentSpeaking: true, sentence: 2, afterMs: 100 }, (line, now) => {
      line.tags.add('agent-speaking');
      // The reply streams: sentence 2 arrives 600 ms in; its first word is 1200 ms into the audio.
      const text = now < 600 ? first : both;
      line.speech = { text, words: [...words(first, 0, 0), ...(now < 600 ? [] : words(both, first.length + 1, 1200))], heardMs: now };
      line.earMs = now;
    });
    expect(start).toBe(1300);
  });

  it('afterMs: 0 starts when the agent\'s first audio reaches the caller, not when the runtime sends it', async () => {
    const text = 'We open at nine.';
    const start = await startOfStep({ agentSpeaking: true, sentence: 1, afterMs: 0 }, (line, now) => {
      // The runtime sends from 0 ms and counts a sent frame as heard at once; the caller hears it 60 ms later.
      line.tags.add('agent-speaking');
      line.speech = { text, words: words(text, 0, 0), heardMs: now };
      line.earMs = now >= 60 ? now - 60 : undefined;
    });
    expect(start).toBe(60);
  });

  it('counts from the caller\'s ear, not from the runtime\'s estimate of it', async () => {
    const text = 'We open at nine.';
    const start = await startOfStep({ agentSpeaking: true, sentence: 1, afterMs: 500 }, (line, now) => {
      line.tags.add('agent-speaking');
      line.speech = { text, words: words(text, 0, 0), heardMs: now };
      line.earMs = now >= 60 ? now - 60 : undefined;
    });
    expect(start).toBe(560);
  });
});

describe('a scenario run', () => {
  const receptionist = join(import.meta.dirname, '../../agents/receptionist.yaml');

  it('starts an afterMs: 0 step as the reply reaches the caller, and the runtime hears no onset before the caller spoke', async () => {
    const firstFrames: number[] = [];
    const scenario: Scenario = {
      file: 'timing.yaml',
      name: 'timing',
      agentFile: receptionist,
      caller: {},
      channel: { codec: 'pcmu', packetLossPct: 0 },
      script: [
        { kind: 'say', text: 'How much is a check-up?', when: DEFAULT_TIMING },
        { kind: 'say', text: 'Sorry, can I book for Tuesday?', when: { ...DEFAULT_TIMING, agentSpeaking: true, afterMs: 0 } },
      ],
      expect: {},
    };
    const playoutDelayMs = 60;
    const result = await runScenario(scenario, { playoutDelayMs, onEvent: (e: CallEvent) => void (e.type === 'agent.audio' && e.started && firstFrames.push(e.atMs)) });
    const interruption = result.activities[1]!;
    // The reply's first frame went out after the question; the caller heard it playoutDelayMs later, and
    // starts on the next 20 ms frame of their own.
    const replySentAt = firstFrames.find((at) => at > result.activities[0]!.endMs)!;
    expect(interruption.startMs).toBeGreaterThanOrEqual(replySentAt + playoutDelayMs);
    expect(interruption.startMs).toBeLessThan(replySentAt + playoutDelayMs + 20);
    const confirmed = result.record.bargeIns.find((b) => b.kind === 'interrupt')!;
    expect(confirmed.onsetMs).toBeGreaterThanOrEqual(interruption.startMs);
    const reactionMs = result.measurements.bargeIns.find((b) => b.kind === 'interrupt')!.reactionHeardMs!;
    expect(reactionMs).toBeGreaterThan(0);
    // The recording has both sides on one time line: the agent is heard up to the onset plus the reaction, then silent.
    const { agent, caller, sampleRate } = result.audio;
    expect(Math.abs(agent.length - caller.length)).toBeLessThanOrEqual((sampleRate * 220) / 1000);
    const energy = (fromMs: number, toMs: number) => agent.subarray(Math.round((fromMs * sampleRate) / 1000), Math.round((toMs * sampleRate) / 1000)).reduce((n, x) => n + Math.abs(x), 0);
    expect(energy(interruption.onsetMs, interruption.onsetMs + reactionMs)).toBeGreaterThan(0);
    expect(energy(interruption.onsetMs + reactionMs, interruption.onsetMs + reactionMs + 500)).toBe(0);
  });
});

describe('the recording\'s agent channel', () => {
  it('puts each frame where it played at the caller\'s ear, silence between, dropped frames nowhere', () => {
    const frame = (playAtMs: number, value: number, dropped = false): SentFrame => ({ atMs: playAtMs - 60, samples: new Int16Array(160).fill(value), playAtMs, durationMs: 20, dropped });
    // t0 = 1000: the call started at clock 1000. A reply plays from 100 ms of call time, is paused after one
    // frame (the next one dropped by the clear) and resumes at 300 ms.
    const out = heardOnTimeline([frame(1100, 1), frame(1120, 2, true), frame(1300, 3)], 1000, 8000, 400);
    expect(out).toHaveLength(3200);
    const at = (ms: number) => out[ms * 8]!;
    expect([at(0), at(99), at(100), at(119), at(120), at(299), at(300), at(319), at(320)]).toEqual([0, 0, 1, 1, 0, 0, 3, 3, 0]);
  });
});
