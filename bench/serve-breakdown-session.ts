/*
 * The "chart and playout" share of bench:serve's CPU breakdown: whole calls of the served agent run in this
 * process on a simulated clock (so nothing waits and the loop measures only work), with the agent's real VAD
 * timed apart, a replayed greeting (synthesised once with the offline voice, so eSpeak is not counted here), a
 * recogniser that hears no words (as offline calls over Twilio) and a transport that does nothing but echo its
 * marks 20 ms after each frame, as a caller playing at real time does. Each call follows bench:serve's script:
 * the greeting, the caller's line (the same fixture) from 1 s into it, silence until the hang-up.
 *
 * What is left after the VAD (and the echo gate, measured apart by the caller of this module) is the session's
 * own work per frame: the statechart, turn and barge-in bookkeeping, events, and playout's ticks and marks.
 */
import type { CallProviders } from '../runtime/providers/call-providers.js';
import { createVad } from '../runtime/audio/create-vad.js';
import { prepareAgent } from '../runtime/call/call-session.js';
import { startCall } from '../runtime/call/start-call.js';
import type { AgentSpec } from '../runtime/dsl/index.js';
import { createLocalTts, createOfflineLlm, createSimulatedStt } from '../runtime/providers/local/index.js';
import type { TextToSpeech, TtsChunk } from '../runtime/providers/types.js';
import type { CallTransport, TransportListener } from '../runtime/transports/types.js';
import { createSimulatedClock, type SimulatedClock } from '../runtime/util/clock.js';

/** CPU of simulated calls, µs, over `callSeconds` of call time. */
export interface SessionCost {
  readonly callSeconds: number;
  readonly inboundFrames: number;
  readonly outboundFrames: number;
  /** Everything the loop did (pushAudio, clock advances: playout ticks, marks, timers). */
  readonly totalUs: number;
  /** Of which the VAD (timed around each call to it). */
  readonly vadUs: number;
}

/** The greeting as the offline voice says it at 8 kHz (synthesised once, on a simulated clock). */
export async function synthesiseOnce(text: string, voice: string, language: string): Promise<TtsChunk[]> {
  const clock = createSimulatedClock();
  const tts = await createLocalTts({ clock });
  const chunks: TtsChunk[] = [];
  const context = tts.open({ voice, language, sampleRate: 8000, speed: 1 }, { onAudio: (chunk) => chunks.push(chunk), onDone: () => {}, onError: () => {} });
  context.pushText(text);
  context.end();
  clock.advance(60_000);
  return chunks;
}

/** A voice that replays `chunks` for any text, one timer later (as a synthesis thread would answer). */
function replayTts(chunks: readonly TtsChunk[], clock: SimulatedClock): TextToSpeech {
  return {
    id: 'bench-replay',
    capabilities: { alignment: 'char', maxContexts: 5 },
    open(_options, hooks) {
      let cancelled = false;
      let started = false;
      let ended = false;
      let delivered = false;
      const deliver = () => {
        if (cancelled) return;
        for (const chunk of chunks) hooks.onAudio(chunk);
        delivered = true;
        if (ended) hooks.onDone();
      };
      return {
        pushText() {
          if (started) return;
          started = true;
          clock.setTimeout(deliver, 0);
        },
        end() {
          ended = true;
          if (delivered && !cancelled) hooks.onDone();
        },
        cancel() {
          cancelled = true;
        },
      };
    },
  };
}

/** A transport that sends nowhere and echoes each mark 20 ms later (dropped at once after a clear). */
function echoingTransport(clock: SimulatedClock): CallTransport & { far?: TransportListener; sent: number } {
  const pending = new Set<{ name: string; timer: unknown }>();
  const transport: CallTransport & { far?: TransportListener; sent: number } = {
    sampleRate: 8000,
    reportsPlayback: true,
    sent: 0,
    listen: (listener) => void (transport.far = listener),
    sendAudio: () => void transport.sent++,
    mark(name) {
      const entry = { name, timer: undefined as unknown };
      entry.timer = clock.setTimeout(() => {
        pending.delete(entry);
        transport.far?.onPlayed({ mark: name, dropped: false });
      }, 20);
      pending.add(entry);
    },
    clear() {
      for (const entry of pending) {
        clock.clearTimeout(entry.timer);
        clock.setTimeout(() => transport.far?.onPlayed({ mark: entry.name, dropped: true }), 0);
      }
      pending.clear();
    },
    bufferedMs: () => pending.size * 20,
    hangup: () => {},
  };
  return transport;
}

/**
 * Runs `calls` simulated calls of `holdMs` each with `speech` (8 kHz frames) from `bargeInMs` on, and
 * returns their CPU cost.
 */
export async function measureSessions(spec: AgentSpec, greeting: readonly TtsChunk[], speech: readonly Int16Array[], options: { calls: number; holdMs: number; bargeInMs: number }): Promise<SessionCost> {
  const agent = prepareAgent(spec);
  const silence = new Int16Array(160);
  let totalUs = 0;
  let vadUs = 0;
  let inboundFrames = 0;
  let outboundFrames = 0;
  for (let i = 0; i < options.calls; i++) {
    const clock = createSimulatedClock();
    const transport = echoingTransport(clock);
    const vad = await createVad(spec.turnTaking.vad, { sampleRate: 8000 });
    const timedVad = {
      engine: vad.engine,
      speechProbability(frame: Int16Array) {
        const t0 = performance.now();
        const p = vad.speechProbability(frame);
        vadUs += (performance.now() - t0) * 1000;
        return p;
      },
    };
    const llm = createOfflineLlm(spec, { clock });
    const providers: CallProviders = { stt: createSimulatedStt(), tts: replayTts(greeting, clock), llm: () => llm, vad: timedVad, close: () => void vad.close() };
    const started = process.cpuUsage();
    const call = await startCall({ agent, providers, transport, clock, onEvent: () => {} });
    for (let atMs = 0, frame = 0; atMs < options.holdMs; atMs += 20, frame++) {
      clock.advance(20);
      const index = Math.floor((atMs - options.bargeInMs) / 20);
      transport.far?.onAudio(index >= 0 && index < speech.length ? speech[index]! : silence);
      inboundFrames++;
    }
    call.hangup();
    clock.advance(1000);
    await call.done;
    const used = process.cpuUsage(started);
    totalUs += used.user + used.system;
    outboundFrames += transport.sent;
  }
  return { callSeconds: (options.calls * options.holdMs) / 1000, inboundFrames, outboundFrames, totalUs, vadUs };
}
