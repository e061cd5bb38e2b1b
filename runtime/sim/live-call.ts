/**
 * A live call with a person at the keyboard as the caller (`voiceagent call`): the call runs in-process on the
 * real clock, and a 20 ms ticker plays the caller's side: silence, or the typed lines spoken with the offline
 * caller voice, sounds (a cough), backchannels, and optionally a scenario's caller. Lines go in as audio, so
 * VAD, barge-in and endpointing behave as on a phone; the simulated recogniser is told each line's words as its
 * first frame enters the call, as the WebSocket endpoint's `say` does.
 *
 * The TUI and `--plain` both drive this; tests drive it on a simulated clock.
 */
import type { CallRecord } from '../call/call-record.js';
import { prepareAgent } from '../call/call-session.js';
import type { CallEvent } from '../call/events.js';
import { startCall, type Call, type ProvidersSource } from '../call/start-call.js';
import type { CallProviders } from '../providers/call-providers.js';
import { isBackchannel } from '../call/text-rules.js';
import type { AgentSpec } from '../dsl/index.js';
import { createProviders } from '../providers/lazy.js';
import { createOfflineProviders, createSimulatedStt, type SimulatedStt } from '../providers/local/index.js';
import { keysNeeded, resolveKey } from '../providers/provider-keys.js';
import { createInProcessTransport, type RecordingTransport } from '../transports/in-process.js';
import { createOfflineSayer } from '../transports/websocket/offline-sayer.js';
import { createSayLines, type SayLines } from '../transports/websocket/say-lines.js';
import { realClock, type Clock } from '../util/clock.js';
import { AgentAtEar, heardOnTimeline } from './agent-at-ear.js';
import { callerVoiceFor, createCallerVoice, type CallerVoice } from './caller-voice.js';
import type { Scenario } from './scenario.js';
import { SimulatedCaller } from './simulated-caller.js';
import { createSound, type CallerSound } from './sounds.js';

/** Length of one caller frame, ms: the ticker's period. */
const FRAME_MS = 20;
/** Lines (or sounds) waiting at once before more are refused: a typist far ahead of the call is told so. */
const MAX_QUEUED = 8;
/** Frames the ticker sends at once to catch up after the event loop stalled; beyond, the lost time is skipped. */
const MAX_CATCH_UP_FRAMES = 10;

/** Which providers a live call runs on, and why. */
export interface ProviderChoice {
  /** True: the offline providers (scripted replies, simulated recogniser, eSpeak voice). */
  readonly offline: boolean;
  /** One line for the user when the call falls back to offline because a key is missing. */
  readonly note?: string;
}

/**
 * The offline providers when asked for, or when a key the agent's real providers need is not set (with a
 * one-line note naming it); the real ones otherwise.
 */
export function chooseLiveProviders(spec: AgentSpec, options: { readonly offline?: boolean; readonly env: Readonly<Record<string, string | undefined>>; readonly agentFile: string }): ProviderChoice {
  if (options.offline) return { offline: true };
  for (const use of keysNeeded(spec)) {
    try {
      resolveKey(use, options.env, options.agentFile);
    } catch {
      const what = use.ref ? `${use.ref} is not set` : `no key in ${use.field}`;
      return { offline: true, note: `no API key for ${use.provider} (${what}): running on the offline providers (scripted replies, eSpeak voice)` };
    }
  }
  return { offline: false };
}

/** Options of {@link startLiveCall}. */
export interface LiveCallOptions {
  readonly spec: AgentSpec;
  /** The agent's file: key references resolve against it. */
  readonly agentFile: string;
  /** Default: the real clock. Tests pass a simulated one and advance it. */
  readonly clock?: Clock;
  /** Sample rate of the call, Hz. Default: 16000 (a linear PCM line, as the native WebSocket). */
  readonly sampleRate?: number;
  /** Run on the offline providers even when keys are set. Default: false (see {@link chooseLiveProviders}). */
  readonly offline?: boolean;
  /** Environment for `${env:...}` keys. Default: none (so offline). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A scenario whose caller speaks its script into the call; typed lines still mix in. */
  readonly scenario?: Scenario;
  /** The caller's voice. Default: `createCallerVoice()` (loads eSpeak NG once). */
  readonly voice?: CallerVoice;
  /** Far-end playout delay of the in-process line, ms. Default: 40. */
  readonly playoutDelayMs?: number;
  /** Every call event, from `call.started` to `call.ended`. */
  readonly onEvent?: (event: CallEvent) => void;
  /** Every 20 ms: the caller frame sent into the call, and the agent audio that started playing at the caller's ear since the last tick. */
  readonly onAudio?: (caller: Int16Array, agent: readonly Int16Array[]) => void;
  /** Something the user should know that is not a call event (a line that could not be spoken, the scenario ended). */
  readonly onNote?: (message: string) => void;
  /** Providers instead of the chosen ones (tests). */
  readonly providers?: ProvidersSource;
  /** Call id. Default: a random UUID. */
  readonly callId?: string;
}

/** What a finished live call leaves: its record and both sides' audio on one time line. */
export interface LiveCallResult {
  readonly record: CallRecord;
  /**
   * `caller`: the line as the agent received it (sample `i` is call time `i / sampleRate` s); `agent`: the
   * agent's audio where it played at the caller's ear. As a `voiceagent test --record` WAV.
   */
  readonly audio: { readonly sampleRate: number; readonly caller: Int16Array; readonly agent: Int16Array };
}

/** A call in progress with a keyboard caller. */
export interface LiveCall {
  readonly callId: string;
  readonly offline: boolean;
  readonly sampleRate: number;
  /** The language the caller's lines are spoken in (see {@link LiveCall.switchLanguage}). */
  readonly language: string;
  /** The agent's languages, default first. */
  readonly languages: readonly string[];
  /** Speaks `text` into the call as the caller (queued after lines still playing). Returns why it was refused, or undefined. */
  say(text: string): string | undefined;
  /** A backchannel of the call's language ("uh-huh"): returns the words said, or why it was refused. */
  backchannel(): { readonly text?: string; readonly refused?: string };
  /** A caller sound over whatever the caller is saying. Returns why it was refused, or undefined. */
  sound(kind?: CallerSound): string | undefined;
  /** The caller speaks `to` from the next line (default: the agent's next language); returns the new language. */
  switchLanguage(to?: string): string;
  /** The caller hangs up; `done` resolves once the call has ended. */
  hangup(): void;
  /** The call is over (the agent or the caller hung up). */
  readonly ended: boolean;
  /** Resolves when the call has ended and its providers are closed. Never rejects. */
  readonly done: Promise<LiveCallResult>;
}

/** Starts a live call; resolves once it runs (its greeting under way). */
export async function startLiveCall(options: LiveCallOptions): Promise<LiveCall> {
  const { spec } = options;
  // Call time on the clock itself (0 at the start): every event's `atMs`, even one stamped from the clock
  // directly, is then call time, whatever the process did before the call.
  const base = options.clock ?? realClock;
  let origin = base.now();
  const clock: Clock = { now: () => base.now() - origin, setTimeout: (fn, ms) => base.setTimeout(fn, ms), clearTimeout: (handle) => base.clearTimeout(handle) };
  const sampleRate = options.sampleRate ?? 16_000;
  const frameSamples = (sampleRate * FRAME_MS) / 1000;
  const note = (message: string) => options.onNote?.(message);
  const choice = options.providers ? { offline: true } : chooseLiveProviders(spec, { offline: options.offline, env: options.env ?? {}, agentFile: options.agentFile });
  if (choice.note) note(choice.note);
  const stt = createSimulatedStt();
  const voicePromise = options.voice ? Promise.resolve(options.voice) : createCallerVoice();
  const providers: ProvidersSource =
    options.providers ??
    (choice.offline
      ? ({ clock: c, sampleRate: rate }) => createOfflineProviders(spec, { clock: c, sampleRate: rate, stt })
      : ({ clock: c, sampleRate: rate }) => createProviders(spec, { env: options.env ?? {}, agentFile: options.agentFile, clock: c, sampleRate: rate }));
  const languages = [spec.languages.default, ...(spec.languages.supported ?? []).filter((l) => l !== spec.languages.default)];
  let language = options.scenario?.caller.language ?? spec.languages.default;
  const voice = await voicePromise;
  const speech = createSayLines({ handler: speakerFor(voice, stt, sampleRate, () => language, choice.offline), maxQueued: MAX_QUEUED, onError: note });
  const sounds = createSayLines({ handler: (kind) => ({ pcm: createSound(kind as CallerSound, { sampleRate }) }), maxQueued: MAX_QUEUED, onError: note });

  const transport = createInProcessTransport({ clock, sampleRate, playoutDelayMs: options.playoutDelayMs ?? 40 });
  // Built before the call starts, so call time 0 (the origin, reset here) is when the call itself starts.
  let built: CallProviders | undefined;
  let buildError: unknown;
  try {
    built = typeof providers === 'function' ? await providers({ spec, clock, sampleRate }) : providers;
  } catch (error) {
    buildError = error;
  }
  origin = base.now();
  const t0 = clock.now();
  const ear = new AgentAtEar(transport.sent, t0);
  let ended = false;
  const call = await startCall({
    agent: prepareAgent(spec),
    transport,
    providers: built ?? (() => Promise.reject(buildError)),
    clock,
    ...(options.callId ? { callId: options.callId } : {}),
    onEvent: (event) => {
      if (event.type === 'call.ended') ended = true;
      if (event.type === 'agent.audio' && event.started) ear.utteranceStarted();
      if (event.type === 'language') language = event.to;
      options.onEvent?.(event);
    },
  });
  const scripted = options.scenario && call.session ? await scenarioCaller(options.scenario, call, transport, ear, stt, voice, sampleRate) : undefined;
  const ticker = createTicker({ clock, t0, frameSamples, transport, speech, sounds, scripted, onAudio: options.onAudio, isEnded: () => ended, note });
  const done = call.done.then((record): LiveCallResult => {
    ticker.stop();
    speech.close();
    sounds.close();
    const untilMs = clock.now() - t0;
    return { record, audio: { sampleRate, caller: ticker.callerAudio(), agent: heardOnTimeline(transport.sent, t0, sampleRate, untilMs) } };
  });

  return {
    callId: call.callId,
    offline: choice.offline,
    sampleRate,
    get language() {
      return language;
    },
    languages,
    say: (text) => (ended ? 'the call is over' : text.trim() === '' ? 'nothing to say' : speech.say(text.trim())),
    backchannel() {
      if (ended) return { refused: 'the call is over' };
      const text = call.session?.controller.backchannels()[0] ?? 'uh-huh';
      const refused = speech.say(text);
      return refused ? { refused } : { text };
    },
    sound: (kind = 'cough') => (ended ? 'the call is over' : sounds.say(kind)),
    switchLanguage(to) {
      const at = languages.indexOf(language);
      language = to ?? languages[(at + 1) % languages.length] ?? language;
      return language;
    },
    hangup() {
      if (!ended) transport.close('caller-hangup');
    },
    get ended() {
      return ended;
    },
    done,
  };
}

/**
 * Turns a typed line into caller audio: offline, the recogniser is told the line's words as its first frame
 * enters the call; with a real recogniser, the audio is all it gets.
 */
function speakerFor(voice: CallerVoice, stt: SimulatedStt, sampleRate: number, languageNow: () => string, offline: boolean) {
  return (text: string) => {
    const language = languageNow();
    const sayer = createOfflineSayer({ voice, stt, sampleRate, language, voiceName: callerVoiceFor(language) });
    if (offline) return sayer(text);
    return Promise.resolve(sayer(text)).then((line) => ({ pcm: line.pcm }));
  };
}

/** A scenario's caller on this call: its lines made up front, its steps timed as the caller hears the agent. */
async function scenarioCaller(scenario: Scenario, call: Call, transport: RecordingTransport, ear: AgentAtEar, stt: SimulatedStt, voice: CallerVoice, sampleRate: number): Promise<SimulatedCaller> {
  const session = call.session!;
  const callerLanguage = scenario.caller.language ?? session.controller.spec.languages.default;
  const caller = new SimulatedCaller(
    scenario.script,
    session,
    (sampleRate * FRAME_MS) / 1000,
    {
      expectWords: (line, language) => stt.expect({ words: line.words, language }),
      sound: (kind, durationMs) => createSound(kind, { sampleRate, ...(durationMs ? { durationMs } : {}) }),
      isBackchannel: (text) => isBackchannel(text, session.controller.backchannels()),
      hangup: () => transport.close('caller-hangup'),
      agentHeardMs: (nowMs) => ear.heardMs(nowMs),
      agentAudible: (nowMs) => ear.audible(nowMs),
    },
    (step) => (step.kind === 'say' && step.language) || callerLanguage,
  );
  await caller.prepare(voice, (language) => (language === callerLanguage && scenario.caller.voice) || callerVoiceFor(language), sampleRate, {
    ...(scenario.caller.rate !== undefined ? { rate: scenario.caller.rate } : {}),
    ...(scenario.caller.levelDb !== undefined ? { levelDb: scenario.caller.levelDb } : {}),
  });
  return caller;
}

interface TickerOptions {
  readonly clock: Clock;
  readonly t0: number;
  readonly frameSamples: number;
  readonly transport: RecordingTransport;
  readonly speech: SayLines;
  readonly sounds: SayLines;
  readonly scripted: SimulatedCaller | undefined;
  readonly onAudio: LiveCallOptions['onAudio'];
  readonly isEnded: () => boolean;
  readonly note: (message: string) => void;
}

/**
 * The caller's line, one frame every 20 ms on the call's clock. Frames are due at fixed times from the start
 * (no drift); after a stall the missing frames are sent at once, up to a bound, so call time keeps pace.
 */
function createTicker(o: TickerOptions): { stop(): void; callerAudio(): Int16Array } {
  const frames: Int16Array[] = [];
  let sentIndex = 0;
  let nextDueMs = o.clock.now();
  let timer: unknown;
  let stopped = false;
  let scriptDone = false;
  const tickOnce = (): void => {
    const nowMs = nextDueMs - o.t0;
    const frame = o.scripted?.nextFrame(nowMs)?.slice() ?? new Int16Array(o.frameSamples);
    o.speech.mixInto(frame);
    o.sounds.mixInto(frame);
    frames.push(frame);
    o.transport.pushAudio(frame);
    if (o.onAudio) o.onAudio(frame, agentFramesUntil(o.clock.now()));
    if (o.scripted?.finished && !scriptDone) {
      scriptDone = true;
      o.note('the scenario\'s script is done: type to go on, or hang up');
    }
  };
  const agentFramesUntil = (clockMs: number): Int16Array[] => {
    const out: Int16Array[] = [];
    const sent = o.transport.sent;
    while (sentIndex < sent.length && sent[sentIndex]!.playAtMs <= clockMs) {
      if (!sent[sentIndex]!.dropped) out.push(sent[sentIndex]!.samples);
      sentIndex++;
    }
    return out;
  };
  const loop = (): void => {
    if (stopped || o.isEnded()) return;
    let sent = 0;
    while (o.clock.now() >= nextDueMs && !o.isEnded()) {
      if (sent++ >= MAX_CATCH_UP_FRAMES) {
        nextDueMs = o.clock.now();
        break;
      }
      tickOnce();
      nextDueMs += FRAME_MS;
    }
    if (!stopped && !o.isEnded()) timer = o.clock.setTimeout(loop, Math.max(0, nextDueMs - o.clock.now()));
  };
  timer = o.clock.setTimeout(loop, 0);
  return {
    stop() {
      stopped = true;
      o.clock.clearTimeout(timer);
    },
    callerAudio() {
      const out = new Int16Array(frames.length * o.frameSamples);
      frames.forEach((f, i) => out.set(f, i * o.frameSamples));
      return out;
    },
  };
}
