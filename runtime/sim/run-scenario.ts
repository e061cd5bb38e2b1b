import { prepareAgent } from '../call/call-session.js';
import type { CallRecord } from '../call/call-record.js';
import type { CallEvent } from '../call/events.js';
import { startCall } from '../call/start-call.js';
import { isBackchannel } from '../call/text-rules.js';
import { loadAgent, type AgentSpec } from '../dsl/index.js';
import { createOfflineProviders, createSimulatedStt } from '../providers/local/index.js';
import { createInProcessTransport } from '../transports/in-process.js';
import { flushMicrotasks } from '../util/flush.js';
import { createSimulatedClock, realClock, type Clock } from '../util/clock.js';
import { createCallerVoice, callerVoiceFor } from './caller-voice.js';
import { createChannel, NOMINAL_SPEECH_DBFS } from './channel.js';
import { AgentAtEar, heardOnTimeline } from './agent-at-ear.js';
import { DEFAULT_DEAD_AIR_MS, evaluateExpectations, measureCall, type CallMeasurements, type CheckResult } from './measure.js';
import type { LineNoiseSpec, Scenario } from './scenario.js';
import { lineNoiseOf, loadScenarioRecordings, recordingOf } from './scenario-recordings.js';
import { SimulatedCaller, type CallerActivity } from './simulated-caller.js';
import { createSound } from './sounds.js';
import { evaluateStepExpectations } from './step-expectations.js';

/** How to run a scenario. */
export interface RunOptions {
  /** Run at wall-clock speed instead of on a simulated clock. Default: false. */
  readonly realtime?: boolean;
  /** Longest call, in call-time ms, before the run is stopped (and fails). Default: 180000. */
  readonly maxCallMs?: number;
  /** Far-end playout delay of the simulated transport (network + jitter buffer), ms. Default: 60. */
  readonly playoutDelayMs?: number;
  /** Seed of the channel's noise and packet loss. Default: 1. */
  readonly seed?: number;
  /** Called with every event of the call, from `call.started` to `call.ended` (to record or watch it). */
  readonly onEvent?: (event: CallEvent) => void;
}

/** Everything a scenario run produced. */
export interface ScenarioResult {
  readonly name: string;
  readonly file: string;
  readonly agent: string;
  readonly passed: boolean;
  readonly checks: readonly CheckResult[];
  readonly measurements: CallMeasurements;
  readonly record: CallRecord;
  readonly activities: readonly CallerActivity[];
  /**
   * The call's audio on one time line (sample `i` is call time `i / sampleRate` s): the caller's line as the
   * agent received it (after the channel; each 20 ms frame where the caller spoke it, the agent has it 20 ms
   * later), and the agent's audio as the caller heard it, each frame where it played at their ear.
   */
  readonly audio: { readonly sampleRate: number; readonly caller: Int16Array; readonly agent: Int16Array };
  /** Call time simulated, ms, and the wall time it took. */
  readonly callMs: number;
  readonly wallMs: number;
  /** Set when the run itself failed (timeout, crash); the record is still complete. */
  readonly error?: string;
}


/** Loads the scenario's agent, its `agentOverrides` merged in; throws an error listing the diagnostics if it is invalid. */
function agentOf(scenario: Scenario): AgentSpec {
  const loaded = loadAgent({ file: scenario.agentFile, ...(scenario.agentOverrides ? { overrides: scenario.agentOverrides } : {}) });
  if (!loaded.ok) throw new Error(`agent ${scenario.agentFile} is invalid:\n${loaded.diagnostics.map((d) => `  ${d.line}:${d.column} ${d.message}`).join('\n')}`);
  return loaded.spec;
}

/**
 * Runs one scenario: a simulated caller talks to the agent over a simulated line, with the offline providers
 * (scripted replies, known-words recognition, eSpeak voices). On a simulated clock by default, so a minute
 * of call takes about a second; every expectation is checked against what the caller actually heard.
 */
export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<ScenarioResult> {
  const started = performance.now();
  const spec = agentOf(scenario);
  // Telephony codecs run at 8 kHz; a linear pcm16 line (a native WebSocket client) at 16 kHz.
  const SAMPLE_RATE = scenario.channel.codec === 'pcm16' ? 16_000 : 8000;
  const FRAME = SAMPLE_RATE / 50;
  // Read before the call starts: the line is driven 20 ms at a time and never waits for a file.
  const recordings = await loadScenarioRecordings(scenario, SAMPLE_RATE);
  const simulated = options.realtime ? undefined : createSimulatedClock();
  const clock: Clock = simulated ?? realClock;
  const t0 = clock.now();
  const stt = createSimulatedStt({ seed: options.seed ?? 1 });
  const providers = await createOfflineProviders(spec, { clock, sampleRate: SAMPLE_RATE, stt });
  const transport = createInProcessTransport({ clock, sampleRate: SAMPLE_RATE, playoutDelayMs: options.playoutDelayMs ?? 60 });
  let ended = false;
  const ear = new AgentAtEar(transport.sent, t0);
  const call = await startCall({
    agent: prepareAgent(spec),
    providers,
    transport,
    clock,
    onEvent: (e) => {
      if (e.type === 'call.ended') ended = true;
      // Emitted as an utterance's first frame is sent: the caller times its steps from that frame.
      if (e.type === 'agent.audio' && e.started) ear.utteranceStarted();
      options.onEvent?.(e);
    },
  });
  const session = call.session!;
  // The caller's speech level is the SNR reference: a louder caller (`caller.levelDb`) has louder noise too.
  const speechLevelDbfs = NOMINAL_SPEECH_DBFS + (scenario.caller.levelDb ?? 0);
  const channel = createChannel({ ...scenario.channel, noise: lineNoiseOf(scenario.channel.noise, recordings), seed: options.seed ?? 1, sampleRate: SAMPLE_RATE, speechLevelDbfs });
  let lineNoise: LineNoiseSpec | undefined = scenario.channel.noise;
  const callerLanguage = scenario.caller.language ?? spec.languages.default;
  let callerHungUp = false;
  const caller = new SimulatedCaller(scenario.script, session, FRAME, {
    expectWords: (line, language) => stt.expect({ words: line.words, language }),
    sound: (kind, durationMs) => createSound(kind, { sampleRate: SAMPLE_RATE, ...(durationMs ? { durationMs } : {}) }),
    isBackchannel: (text) => isBackchannel(text, session.controller.backchannels()),
    hangup: () => {
      callerHungUp = true;
      transport.close('caller-hangup');
    },
    agentHeardMs: (nowMs) => ear.heardMs(nowMs),
    agentAudible: (nowMs) => ear.audible(nowMs),
    setNoise: (noise) => {
      const before = lineNoise;
      lineNoise = noise;
      channel.setNoise(lineNoiseOf(noise, recordings));
      return before;
    },
  }, (step) => (step.kind === 'say' && step.language) || callerLanguage);
  const voice = await createCallerVoice();
  await caller.prepare(voice, (language) => (language === callerLanguage && scenario.caller.voice) || callerVoiceFor(language), SAMPLE_RATE, {
    ...(scenario.caller.rate !== undefined ? { rate: scenario.caller.rate } : {}),
    ...(scenario.caller.levelDb !== undefined ? { levelDb: scenario.caller.levelDb } : {}),
    recording: recordingOf(recordings),
  });

  const inboundFrames: Int16Array[] = [];
  let echoed = 0;
  const maxCallMs = options.maxCallMs ?? 180_000;
  // After their last step the caller waits for an answer longer than the dead-air bound: a line answered late
  // is then measured as late, and one never answered is not cut short by the caller hanging up first.
  const waitAfterLastStepMs = Math.max(3000, (scenario.expect.deadAirMs ?? DEFAULT_DEAD_AIR_MS) + 1000);
  let error: string | undefined;
  try {
    for (;;) {
      const now = clock.now() - t0;
      // The caller's phone plays agent audio as it arrives; that is what echoes back.
      echoed = feedEcho(transport, echoed, clock.now(), channel);
      // The caller speaks this frame over [now, now + 20); it reaches the agent once spoken, at now + 20 (the
      // runtime takes a frame as ending when it arrives, so onsets on both sides agree).
      const clean = callerHungUp || ended ? undefined : caller.nextFrame(now);
      const inbound = channel.inbound(clean);
      // A lost packet reaches the agent as silence (what a jitter buffer without concealment plays out).
      const frame = inbound ?? new Int16Array(FRAME);
      inboundFrames.push(frame);
      await advance(clock, simulated, 20);
      if (ended) break;
      transport.pushAudio(frame);
      const idle = !session.hasTag('agent-speaking') && !session.hasTag('agent-thinking') && !ear.audible(now + 20);
      if (caller.finished && idle && now - (caller.lastActivityEndMs ?? now) > waitAfterLastStepMs) {
        transport.close('caller-hangup');
        break;
      }
      if (now > maxCallMs) {
        error = `the call did not end within ${maxCallMs} ms (script step ${caller.activities.length} of ${scenario.script.length})`;
        transport.close('caller-hangup');
        break;
      }
    }
  } catch (thrown) {
    error = `run failed: ${(thrown as Error).stack ?? String(thrown)}`;
    transport.close('caller-hangup');
  }
  await advance(clock, simulated, 200); // let the far end play what it holds
  const record = await call.done;
  const measurements = measureCall(record, caller.activities, transport, t0, { deadAirMs: scenario.expect.deadAirMs ?? DEFAULT_DEAD_AIR_MS });
  const checks = evaluateExpectations(scenario.expect, record, measurements);
  checks.push(...evaluateStepExpectations(scenario.script, { record, measurements, activities: caller.activities, sent: transport.sent, t0 }));
  if (error) checks.push({ name: 'call completes', passed: false, detail: error });
  return {
    name: scenario.name,
    file: scenario.file,
    agent: spec.name,
    passed: checks.every((c) => c.passed),
    checks,
    measurements,
    record,
    activities: caller.activities,
    audio: { sampleRate: SAMPLE_RATE, caller: concat(inboundFrames), agent: heardOnTimeline(transport.sent, t0, SAMPLE_RATE, clock.now() - t0) },
    callMs: clock.now() - t0,
    wallMs: performance.now() - started,
    ...(error ? { error } : {}),
  };
}

/** Feeds the channel's echo path with agent frames whose playback has started at the caller's phone. */
function feedEcho(transport: ReturnType<typeof createInProcessTransport>, from: number, nowMs: number, channel: ReturnType<typeof createChannel>): number {
  let i = from;
  const sent = transport.sent;
  while (i < sent.length && sent[i]!.playAtMs <= nowMs) {
    if (!sent[i]!.dropped) channel.agentFrame(sent[i]!.samples);
    i++;
  }
  return i;
}

async function advance(clock: Clock, simulated: ReturnType<typeof createSimulatedClock> | undefined, ms: number): Promise<void> {
  if (!simulated) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return;
  }
  for (let t = 0; t < ms; t += 5) {
    simulated.advance(5);
    await flushMicrotasks();
  }
  void clock;
}

function concat(frames: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let offset = 0;
  for (const f of frames) {
    out.set(f, offset);
    offset += f.length;
  }
  return out;
}
