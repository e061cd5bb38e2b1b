/*
 * Runs whole calls through the REAL adapters (createProviders) against the loopback mocks: OpenAI Realtime
 * (TLS, self-signed), Chat Completions (SSE) and ElevenLabs (multi-stream-input). The call runs on the real
 * clock (sockets need it) at 8 kHz with a recording transport; a timer pushes one 20 ms caller frame every
 * 20 ms: speech from the committed espeak-ng fixtures while the caller "talks", silence otherwise.
 *
 * Each mock records every protocol deviation in `violations`; `mockViolations()` gathers them so a test can
 * assert there are none.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readWav } from '../../runtime/audio/wav.js';
import type { CallRecord } from '../../runtime/call/call-record.js';
import { prepareAgent, type CallSession } from '../../runtime/call/call-session.js';
import { startCall as startRuntimeCall } from '../../runtime/call/start-call.js';
import type { CallEvent } from '../../runtime/call/events.js';
import { formatDiagnostic, loadAgent, type AgentSpec } from '../../runtime/dsl/index.js';
import { createProviders, type RealProviders } from '../../runtime/providers/create-providers.js';
import { createRecordingTransport, type RecordingTransport } from '../../runtime/testing.js';
import { realClock } from '../../runtime/util/clock.js';
import { startMockChatServer, type MockChatServer, type MockChatServerOptions } from '../mocks/openai-chat-server.js';
import { startElevenLabsMock, type ElevenLabsMock, type ElevenLabsMockOptions } from '../mocks/elevenlabs-server.js';
import { startMockRealtimeServer, type MockRealtimeScript, type MockRealtimeServer, type MockReplyContext } from '../mocks/openai-realtime-server.js';

/** Telephony rate: the adapters use their mu-law (`pcmu`, `ulaw_8000`) wire formats. */
export const SAMPLE_RATE = 8000;
const FRAME_SAMPLES = SAMPLE_RATE / 50;

/** The keys each mock expects; the agent YAML names them as `${env:...}` and the rig passes this env. */
export const ENV = {
  OPENAI_API_KEY: 'sk-rt-integration',
  CHAT_API_KEY: 'sk-chat-integration',
  ELEVENLABS_API_KEY: 'xi-integration',
} as const;

/** The mocks of one test; absent ones were not asked for. */
export interface Mocks {
  readonly realtime?: MockRealtimeServer;
  readonly chat?: MockChatServer;
  readonly elevenlabs?: ElevenLabsMock;
}

/** Starts the mocks a mode needs, each expecting its key from {@link ENV}. */
export async function startMocks(needs: { realtime?: MockRealtimeScript; chat?: MockChatServerOptions; elevenlabs?: ElevenLabsMockOptions }): Promise<Mocks> {
  const [realtime, chat, elevenlabs] = await Promise.all([
    needs.realtime ? startMockRealtimeServer({ apiKey: ENV.OPENAI_API_KEY, script: needs.realtime }) : undefined,
    needs.chat ? startMockChatServer({ apiKey: ENV.CHAT_API_KEY, ...needs.chat }) : undefined,
    needs.elevenlabs ? startElevenLabsMock({ apiKey: ENV.ELEVENLABS_API_KEY, ...needs.elevenlabs }) : undefined,
  ]);
  return { ...(realtime ? { realtime } : {}), ...(chat ? { chat } : {}), ...(elevenlabs ? { elevenlabs } : {}) };
}

/** Every violation any mock recorded, prefixed with the mock's name. */
export function mockViolations(mocks: Mocks): string[] {
  return [
    ...(mocks.realtime?.violations ?? []).map((v) => `realtime ${v}`),
    ...(mocks.chat?.violations ?? []).map((v) => `chat ${v}`),
    ...(mocks.elevenlabs?.violations ?? []).map((v) => `elevenlabs ${v}`),
  ];
}

export async function closeMocks(mocks: Mocks): Promise<void> {
  await Promise.all([mocks.realtime?.close(), mocks.chat?.close(), mocks.elevenlabs?.close()]);
}

/**
 * `fromMs`-`toMs` of a speech fixture (test/fixtures/audio, 8 kHz espeak-ng). The WebRTC VAD hears
 * speech-en-female as one run over 40-1900 ms ("Could you tell me your opening hours?") and another over
 * 2180-4250 ms ("And do you have parking nearby."); speech-en-us-male from 0 to about 4800 ms with short gaps.
 */
export function fixtureSpeech(name: 'speech-en-female' | 'speech-en-us-male', fromMs: number, toMs: number): Int16Array {
  const path = fileURLToPath(new URL(`../fixtures/audio/${name}.wav`, import.meta.url));
  const { sampleRate, channels } = readWav(readFileSync(path), path);
  if (sampleRate !== SAMPLE_RATE) throw new Error(`${name}.wav is ${sampleRate} Hz, expected ${SAMPLE_RATE}`);
  return channels[0]!.slice((fromMs * SAMPLE_RATE) / 1000, (toMs * SAMPLE_RATE) / 1000);
}

/** A call in progress, with the controls and records a test needs. */
export interface CallRig {
  readonly spec: AgentSpec;
  readonly session: CallSession;
  readonly providers: RealProviders;
  readonly transport: RecordingTransport;
  /** Every call event, in order. */
  readonly events: CallEvent[];
  /** Queues caller speech after whatever is queued; resolves once its last frame has been pushed. */
  say(samples: Int16Array): Promise<void>;
  /** Polls `check` every 10 ms until it returns something other than undefined, null or false; fails after `timeoutMs` saying `what`. */
  until<T>(what: string, check: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  /** Index in `transport.sent` of the first frame of the `n`th agent utterance (1-based). */
  utteranceStart(n: number): number | undefined;
  /** Hangs up (if not ended yet), stops the caller and releases the providers' sockets. */
  end(): Promise<CallRecord>;
}

/** Options of {@link startCall}. */
export interface StartCallOptions {
  /** The agent YAML, with baseURLs pointing at the mocks and keys as `${env:...}` references. */
  readonly yaml: string;
  /** Trust for the Realtime mock's self-signed certificate. */
  readonly ca?: string;
  /** Network + jitter-buffer delay of the simulated far end, ms. Default: 40. */
  readonly playoutDelayMs?: number;
}

/** Loads the agent, builds its real providers and starts the call with a silent caller. */
export async function startCall(options: StartCallOptions): Promise<CallRig> {
  // The rig's line has no echo path (the caller's audio is fixture speech only): echo handling is off unless the
  // agent says otherwise. The mocks' audio is a steady tone, whose flat envelope can correlate with the inbound
  // line at a false delay and make the gate hold a real caller's onset.
  const yaml = /^echo:/m.test(options.yaml) ? options.yaml : `${options.yaml.trimEnd()}\necho: { mode: off }\n`;
  const loaded = loadAgent({ file: 'integration-agent.yaml', text: yaml });
  if (!loaded.ok) throw new Error(`integration agent invalid:\n${loaded.diagnostics.map(formatDiagnostic).join('\n')}`);
  const spec = loaded.spec;
  const providers = await createProviders(spec, {
    env: ENV,
    agentFile: 'integration-agent.yaml',
    clock: realClock,
    sampleRate: SAMPLE_RATE,
    ...(options.ca ? { clientOptions: { ca: options.ca } } : {}),
  });
  const transport = createRecordingTransport({ clock: realClock, sampleRate: SAMPLE_RATE, playoutDelayMs: options.playoutDelayMs ?? 40 });
  const events: CallEvent[] = [];
  const starts: number[] = [];
  const call = await startRuntimeCall({
    agent: prepareAgent(spec, { sourceHash: loaded.sourceHash }),
    providers,
    transport,
    clock: realClock,
    onEvent: (event) => {
      events.push(event);
      // The first frame was just sent (playout calls this hook right after sendAudio).
      if (event.type === 'agent.audio' && event.started) starts.push(transport.sent.length - 1);
    },
  });
  const session = call.session!;
  const caller = createCaller((frame) => transport.pushAudio(frame));
  caller.start();
  let ended: Promise<CallRecord> | undefined;

  return {
    spec,
    session,
    providers,
    transport,
    events,
    say: (samples) => caller.say(samples),
    until: (what, check, timeoutMs = 4000) => until(what, check, timeoutMs, () => describeCall(session, events)),
    utteranceStart: (n) => starts[n - 1],
    end() {
      ended ??= (async () => {
        caller.stop();
        transport.close('caller-hangup');
        // startCall closes the providers once the call has ended.
        return call.done;
      })();
      return ended;
    },
  };
}

/** The caller's side: one frame every 20 ms of wall time, speech from a queue, silence otherwise. */
function createCaller(push: (frame: Int16Array) => void) {
  const silence = new Int16Array(FRAME_SAMPLES);
  const queue: Array<{ samples: Int16Array; offset: number; done: () => void }> = [];
  let timer: NodeJS.Timeout | undefined;
  let nextAtMs = 0;
  const tick = (): void => {
    const current = queue[0];
    let frame = silence;
    if (current) {
      frame = new Int16Array(FRAME_SAMPLES);
      frame.set(current.samples.subarray(current.offset, current.offset + FRAME_SAMPLES));
      current.offset += FRAME_SAMPLES;
      if (current.offset >= current.samples.length) {
        queue.shift();
        current.done();
      }
    }
    push(frame);
    // Paced on absolute times so timer jitter does not accumulate.
    nextAtMs += 20;
    timer = setTimeout(tick, Math.max(0, nextAtMs - performance.now()));
  };
  return {
    start() {
      nextAtMs = performance.now();
      tick();
    },
    say(samples: Int16Array): Promise<void> {
      return new Promise((resolve) => queue.push({ samples, offset: 0, done: resolve }));
    },
    stop() {
      clearTimeout(timer);
      for (const pending of queue.splice(0)) pending.done();
    },
  };
}

async function until<T>(what: string, check: () => T | undefined | null | false, timeoutMs: number, describe: () => string): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The call's state and its last events, for timeout messages. */
function describeCall(session: CallSession, events: readonly CallEvent[]): string {
  const lines = events.slice(-25).map((event) => {
    const { type, atMs, ...rest } = event as CallEvent & Record<string, unknown>;
    const detail = JSON.stringify(rest, (key, value) => (key === 'record' ? undefined : value));
    return `  ${Math.round(atMs)} ms ${type} ${detail.length > 160 ? `${detail.slice(0, 160)}...` : detail}`;
  });
  return `states: ${session.states().join(', ')}\nfailures: ${JSON.stringify(session.record.failures)}\nlast events:\n${lines.join('\n')}`;
}

/** Audio of `transport.sent[fromIndex...]` the caller heard (not dropped by a clear and started by now), ms. */
export function heardMsFrom(transport: RecordingTransport, fromIndex: number, nowMs = realClock.now()): number {
  return transport.sent.slice(fromIndex).reduce((totalMs, frame) => totalMs + (!frame.dropped && frame.playAtMs <= nowMs ? frame.durationMs : 0), 0);
}

/** The ElevenLabs contexts the client opened (each starts with `{text: " "}`), in order, with their messages. */
export function elevenLabsContexts(mock: ElevenLabsMock): Array<{ readonly id: string; readonly messages: Array<Record<string, unknown>> }> {
  const ids = mock.received.filter((entry) => entry.message.text === ' ').map((entry) => entry.message.context_id as string);
  return ids.map((id) => ({ id, messages: mock.messagesFor(id) }));
}

/**
 * The parts of a cascade agent after `inference`, on the mocks: `stt` on the Realtime mock, one chat profile
 * `main`, the ElevenLabs voice, English, a short prompt.
 */
export function cascadeSections(m: Mocks): string {
  return `stt: { provider: openai, model: gpt-4o-transcribe, baseURL: '${m.realtime!.baseURL}', apiKey: '\${env:OPENAI_API_KEY}' }
models:
  main: { provider: openai-compatible, model: test-chat-model, baseURL: '${m.chat!.baseURL}', apiKey: '\${env:CHAT_API_KEY}' }
voice: { provider: elevenlabs, baseURL: '${m.elevenlabs!.baseURL}', apiKey: '\${env:ELEVENLABS_API_KEY}', voices: { en: voice-a } }
languages: { default: en }
prompt: { system: You are the front desk of a dental clinic. Be brief. }
`;
}

/** The two answers every integration call uses: a long one to interrupt, and a short one. */
export const HOURS = 'Sure. We are open Monday to Friday, from eight in the morning until six in the evening, on Saturdays from nine until one, and closed on Sundays.';
export const PARKING = 'Yes, there is free parking.';

/** The Realtime mock's reply, chosen from the caller's last words; every context it saw is kept in `seen`. */
export function scriptedReply(seen: MockReplyContext[]) {
  return (context: MockReplyContext): string => {
    seen.push(structuredClone(context));
    const lastUser = context.conversation.filter((item) => item.role === 'user').at(-1)?.text ?? '';
    return /parking/i.test(lastUser) ? PARKING : HOURS;
  };
}
