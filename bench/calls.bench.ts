/*
 * 1,000 concurrent in-process calls on the real clock, with fixed, published provider latencies: LLM ttft
 * 150 ms at 60 tokens/s (the shipped fake LLM), TTS first audio 80 ms then a 200 ms chunk every 50 ms. The TTS
 * replays audio synthesised once by the shipped fake TTS (real PCM with exact alignment), so the benchmark
 * measures the runtime rather than 1,000 sine-wave synthesisers.
 *
 * Calls connect spread over the first 2 s. Every call: the agent greets (a ~6 s utterance); the caller barges in between 0.6 and 1.6 s after the
 * agent's first frame ("wait a moment please"). One shared 20 ms ticker delivers a frame to every call, as a
 * transport would. Measured:
 *   - per-frame cost: wall time from a Twilio-style mu-law payload to the chart: G.711 decode, then
 *     `pushAudio` (recogniser push, reference-gated echo gate, WebRTC VAD, dispatch), µs;
 *   - barge-in processing: wall time from the arrival of the frame that completes pauseAfterMs to playout
 *     paused, µs (the same-tick path);
 *   - barge-in reaction minus pauseAfterMs: wall time from the moment the onset frame was due to playout
 *     paused, minus pauseAfterMs, ms: what scheduling lag under load adds to the reaction.
 *
 * Usage: npm run bench:calls [-- --calls 1000 --seconds 5 --json]
 */
import { performance } from 'node:perf_hooks';
import { createVad } from '../runtime/audio/create-vad.js';
import { decodeMulawInto, encodeMulaw } from '../runtime/audio/g711.js';
import { prepareAgent, type CallSession } from '../runtime/call/call-session.js';
import type { CallRecord } from '../runtime/call/call-record.js';
import { startCall } from '../runtime/call/start-call.js';
import { loadAgent } from '../runtime/dsl/index.js';
import { createFakeLlm, createFakeTts, createScriptedStt } from '../runtime/providers/testing/index.js';
import type { CallTransport, TransportListener } from '../runtime/transports/types.js';
import type { TextToSpeech, TtsChunk } from '../runtime/providers/types.js';
import { createSimulatedClock, realClock } from '../runtime/util/clock.js';
import { summarize, printTable } from './stats.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const CALLS = arg('calls', 1000);
const SECONDS = arg('seconds', 6);
const PAUSE_AFTER_MS = 80;

const agentYaml = `
apiVersion: voiceagent/v1
name: bench-agent
inference: { mode: cascade }
models: { main: { provider: openai, model: bench } }
voice: { provider: local, voices: { en: en-us } }
bargeIn: { pauseAfterMs: ${PAUSE_AFTER_MS} }
prompt:
  system: Benchmark agent.
  greeting: Thank you for calling the benchmark line, every one of our agents is busy measuring latency right now, please hold.
`;
const loaded = loadAgent({ file: 'bench-agent.yaml', text: agentYaml });
if (!loaded.ok) throw new Error('bench agent invalid');
const agent = prepareAgent(loaded.spec);

/** Synthesises `text` once with the fake TTS on a simulated clock and returns its chunks. */
function presynthesise(text: string): TtsChunk[] {
  const clock = createSimulatedClock();
  const chunks: TtsChunk[] = [];
  const ctx = createFakeTts({ clock }).open({ voice: 'en-us', language: 'en', sampleRate: 8000, speed: 1 }, { onAudio: (c) => chunks.push(c), onDone: () => {}, onError: () => {} });
  ctx.pushText(text);
  ctx.end();
  clock.advance(60_000);
  return chunks;
}

/** A TTS that replays pre-synthesised chunks: first audio after 80 ms, then one chunk every 50 ms. */
function createReplayTts(chunks: readonly TtsChunk[]): TextToSpeech {
  return {
    id: 'replay-tts',
    capabilities: { alignment: 'char', maxContexts: 5 },
    open(_options, hooks) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let index = 0;
      let ended = false;
      const next = () => {
        if (index < chunks.length) {
          hooks.onAudio(chunks[index++]!);
          timer = setTimeout(next, 50);
        } else if (ended) hooks.onDone();
      };
      return {
        pushText: () => {
          if (timer === undefined && index === 0) timer = setTimeout(next, 80);
        },
        end: () => {
          ended = true;
        },
        cancel: () => clearTimeout(timer),
      };
    },
  };
}

/**
 * A transport that only counts: it models the far end's playout buffer (playoutDelayMs) like the recording
 * transport does, without keeping every frame (which is a test tool's job, not a load fixture's).
 */
function createCountingTransport(playoutDelayMs: number): CallTransport & { framesSent: number; far: TransportListener | undefined } {
  let playedUntil = 0;
  const t = {
    sampleRate: 8000,
    reportsPlayback: false,
    framesSent: 0,
    far: undefined as TransportListener | undefined,
    listen(listener: TransportListener) {
      t.far = listener;
    },
    sendAudio() {
      const now = performance.now();
      playedUntil = Math.max(playedUntil, now + playoutDelayMs) + 20;
      t.framesSent++;
    },
    clear() {
      playedUntil = Math.min(playedUntil, performance.now() + playoutDelayMs);
    },
    mark() {},
    bufferedMs() {
      return Math.max(0, playedUntil - 20 - performance.now() - playoutDelayMs + 20);
    },
    hangup() {},
  };
  return t;
}

interface BenchCall {
  session?: CallSession;
  done?: Promise<CallRecord>;
  start: () => void;
  transport: ReturnType<typeof createCountingTransport>;
  stt: ReturnType<typeof createScriptedStt>;
  bargeInAtMs: number;
  speechFramesLeft: number;
  agentStartedAtTick?: number;
  onsetDueAt?: number;
  triggerFrameAt?: number;
  pausedAt?: number;
  processingUs?: number;
}

const greetingChunks = presynthesise(loaded.spec.prompt.greeting as string);
// The caller's line as Twilio delivers it: 160 mu-law bytes per 20 ms. Speech: the offline voice's own audio.
const callerSpeech = encodeMulaw(Int16Array.from(greetingChunks.flatMap((c) => Array.from(c.pcm)).slice(0, 160 * 50)));
const speechPayload = (k: number) => callerSpeech.subarray((k % 50) * 160, (k % 50) * 160 + 160);
const silencePayload = encodeMulaw(new Int16Array(160));
const decoded = new Int16Array(160);
const calls: BenchCall[] = [];
for (let i = 0; i < CALLS; i++) {
  const stt = createScriptedStt();
  const tts = createReplayTts(greetingChunks);
  const llm = createFakeLlm({ clock: realClock, replies: [], defaultReply: 'Of course, take your time.', ttftMs: 150, tokensPerSecond: 60 });
  const transport = createCountingTransport(40);
  const vad = await createVad({ engine: 'webrtc', threshold: 0.5 }, { sampleRate: 8000 });
  const call: BenchCall = {
    stt,
    transport,
    bargeInAtMs: 600 + 20 * Math.floor(Math.random() * 50),
    speechFramesLeft: 0,
    // One owner of the call's life, as in `serve`: startCall wires the transport and closes the VAD at the end.
    start: () =>
      void startCall({
        agent,
        providers: { stt, tts, llm: () => llm, vad, close: () => void vad.close() },
        transport,
        clock: realClock,
        onEvent: (e) => {
          if (e.type === 'barge-in' && e.decision === 'paused' && call.pausedAt === undefined) call.pausedAt = performance.now();
        },
      }).then((started) => {
        call.session = started.session;
        call.done = started.done;
      }),
  };
  calls.push(call);
}

const frameCostsUs: number[] = [];
const start = performance.now();
// Calls arrive spread over the first 2 s (1,000 calls connecting in the same 20 ms is not traffic).
const startTick = calls.map((_, i) => Math.floor((i * 100) / calls.length));
let tick = 0;
const cpuStart = process.cpuUsage();
const tickLagMs: number[] = [];
await new Promise<void>((resolve) => {
  // Anchored ticker: each tick is scheduled for its due time, so its own drift is not counted as reaction time.
  const runTick = () => {
    const due = start + (tick + 1) * 20;
    tickLagMs.push(performance.now() - due);
    for (let i = 0; i < calls.length; i++) {
      const call = calls[i]!;
      if (startTick[i]! > tick) continue;
      if (startTick[i] === tick) call.start();
      const session = call.session;
      if (!session) continue;
      let payload = silencePayload;
      if (call.agentStartedAtTick === undefined && session.hasTag('agent-speaking')) call.agentStartedAtTick = tick;
      if (call.agentStartedAtTick !== undefined && (tick - call.agentStartedAtTick) * 20 === call.bargeInAtMs) {
        call.stt.utter({ text: 'wait a moment please', wordMs: 250 });
        call.speechFramesLeft = 50;
        // The first speech frame is delivered at `due` and carries the 20 ms of audio before it.
        call.onsetDueAt = due - 20;
      }
      if (call.speechFramesLeft > 0) {
        payload = speechPayload(50 - call.speechFramesLeft);
        call.speechFramesLeft--;
      }
      const wasPaused = call.pausedAt !== undefined;
      const t0 = performance.now();
      decodeMulawInto(payload, decoded);
      call.transport.far!.onAudio(decoded);
      const t1 = performance.now();
      frameCostsUs.push((t1 - t0) * 1000);
      if (!wasPaused && call.pausedAt !== undefined) {
        call.triggerFrameAt = t0;
        call.processingUs = (call.pausedAt - t0) * 1000;
      }
    }
    tick++;
    if (tick * 20 >= SECONDS * 1000) resolve();
    else setTimeout(runTick, Math.max(0, start + (tick + 1) * 20 - performance.now()));
  };
  setTimeout(runTick, 20);
});
for (const call of calls) call.transport.far?.onClose('caller-hangup');
await Promise.all(calls.map((call) => call.done));

const processing = calls.filter((c) => c.processingUs !== undefined).map((c) => c.processingUs!);
const reaction = calls.filter((c) => c.pausedAt !== undefined && c.onsetDueAt !== undefined).map((c) => c.pausedAt! - c.onsetDueAt! - PAUSE_AFTER_MS);
const result = {
  calls: CALLS,
  seconds: SECONDS,
  frames: frameCostsUs.length,
  bargeIns: processing.length,
  perFrameUs: summarize(frameCostsUs),
  bargeInProcessingUs: summarize(processing),
  bargeInReactionMinusPauseAfterMs: summarize(reaction),
  tickLagMs: summarize(tickLagMs),
  cpuPercentOfOneCore: Math.round(((process.cpuUsage(cpuStart).user + process.cpuUsage(cpuStart).system) / 1000 / (tick * 20)) * 100),
  wallSeconds: (performance.now() - start) / 1000,
  ticks: tick,
};
if (args.includes('--json')) {
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  process.stdout.write(JSON.stringify(result) + '\n\n');
  printTable([
    ['per-frame cost (µs)', result.perFrameUs],
    ['barge-in: trigger frame -> playout paused (µs)', result.bargeInProcessingUs],
    ['barge-in: onset -> paused, minus pauseAfterMs (ms)', result.bargeInReactionMinusPauseAfterMs],
    ['frame delivery lag behind schedule (ms)', result.tickLagMs],
  ]);
  process.stdout.write(`\n${CALLS} calls, ${result.frames} frames, ${result.bargeIns} barge-ins, ${result.wallSeconds.toFixed(1)} s wall\n`);
}
