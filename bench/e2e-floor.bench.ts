/**
 * `npm run bench:e2e-floor`: the floor under bench:e2e's "added" latency. The same mocks, in the same child
 * process (bench:e2e's own mock host), answered by the least a client can do: raw `ws` sockets and one HTTP
 * request, hand-written JSON, no runtime, no statechart, no VAD, no playout. It streams the caller's audio as the
 * runtime does (one `input_audio_buffer.append` of 20 ms of mu-law every 20 ms, on absolute times), and at the
 * moment the runtime would commit the turn (speech end + 300 ms) it starts the clock and walks the critical path:
 *
 *   - cascade: the Chat Completions request (keep-alive connection) -> first SSE token -> first phrase (the
 *     phrase chunker the ElevenLabs adapter runs) -> ElevenLabs text -> first audio message, decoded;
 *   - dualplex: `response.create` on the Realtime socket -> first `response.output_text.delta` -> first phrase ->
 *     ElevenLabs text -> first audio message, decoded;
 *   - speech-to-speech: `response.create` -> first `response.output_audio.delta`, decoded.
 *
 * The ElevenLabs context is opened at the same moment as the request, as the runtime opens it when the reply
 * starts. Every mock waits 0 ms, so what this measures is the machine's own cost of that path: process wake-ups,
 * loopback, TLS, WebSocket framing, JSON, and the mocks' work. bench:e2e's p95 minus this p95 is (roughly) the
 * runtime's share; if this p95 alone is near 5 ms, no client reaches "+ under 5 ms at p95" on this machine.
 *
 * `--mocks in-process` runs the mocks beside the client instead (as `bench:e2e --mocks in-process` does): no
 * process wake-ups, but the mocks' work and the client's share one event loop.
 *
 * Usage: npm run bench:e2e-floor [-- --turns 40 --modes cascade,dualplex,speech-to-speech --mocks child|in-process --mocks-cpus 1 --json]
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { createPhraseChunker } from '../runtime/providers/elevenlabs/phrase-chunker.js';
import { closeMocks, ENV, mockViolations, type Mocks } from '../test/integration/call-rig.js';
import { endpointsOf, forkMockHost, MODES, mocksCpusOption, PROFILES, startModeMocks, type Endpoints, type Mode } from './e2e-mocks.js';
import { printTable, summarize, type Summary } from './stats.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
};
const turns = Math.max(1, Number(option('turns') ?? 40) || 40);
const modes = (option('modes')?.split(',') ?? MODES).filter((mode): mode is Mode => (MODES as readonly string[]).includes(mode));
const json = args.includes('--json');
const mocksCpus = mocksCpusOption(option('mocks-cpus'));
const mocksInChild = option('mocks') !== 'in-process';

/** As bench:e2e: 1.06 s of speech, the turn committed 300 ms after it ends, about 1.2 s of reply played out. */
const SPEECH_MS = 1060;
const COMMIT_AFTER_MS = 300;
const REPLY_PLAY_MS = 1400;
const FRAME_MS = 20;
/** 20 ms of a mu-law tone and of mu-law silence (0xff), base64: the appends. */
const SPEECH_FRAME = Buffer.from(Array.from({ length: 160 }, (_, i) => (i % 16 < 8 ? 0x20 : 0xa0))).toString('base64');
const SILENT_FRAME = Buffer.alloc(160, 0xff).toString('base64');

/** Starts and stops the mocks of a mode with every latency at 0 ms. */
interface MockHost {
  start(mode: Mode): Promise<Endpoints>;
  stop(): Promise<string[]>;
  close(): void;
}

/** The mocks in this process. */
function inProcessMocks(): MockHost {
  let mocks: Mocks | undefined;
  return {
    async start(mode) {
      mocks = await startModeMocks(mode, PROFILES.find((profile) => profile.name === 'zero')!);
      return endpointsOf(mocks);
    },
    async stop() {
      const violations = mocks ? mockViolations(mocks) : [];
      if (mocks) await closeMocks(mocks);
      return [...violations];
    },
    close() {},
  };
}

/** bench:e2e's mock host, forked. */
function childMockHost(): MockHost {
  const { ask, close } = forkMockHost([], mocksCpus);
  return {
    async start(mode) {
      const reply = await ask({ type: 'start', mode, profile: 'zero' });
      if (reply.type !== 'started') throw new Error(`mock host: expected started, got ${reply.type}`);
      return reply.endpoints;
    },
    async stop() {
      const reply = await ask({ type: 'stop' });
      return reply.type === 'stopped' ? reply.violations : [];
    },
    close,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const opened = (socket: WebSocket) => new Promise<void>((resolve, reject) => (socket.once('open', () => resolve()), socket.once('error', reject)));

/** The caller: an append every 20 ms on absolute times, speech while `speaking`. */
function streamCaller(socket: WebSocket): { speakFor(ms: number): Promise<number>; stop(): void } {
  let speakingUntil = 0;
  let next = performance.now();
  let timer: NodeJS.Timeout;
  const tick = () => {
    const now = performance.now();
    socket.send(JSON.stringify({ type: 'input_audio_buffer.append', audio: now < speakingUntil ? SPEECH_FRAME : SILENT_FRAME }));
    next += FRAME_MS;
    timer = setTimeout(tick, Math.max(0, next - performance.now()));
  };
  tick();
  return {
    async speakFor(ms) {
      speakingUntil = performance.now() + ms;
      await sleep(ms);
      return speakingUntil;
    },
    stop: () => clearTimeout(timer),
  };
}

function realtimeSocket(endpoints: Endpoints, intent?: 'transcription'): WebSocket {
  const url = `${endpoints.realtime.baseURL.replace(/^https/, 'wss')}/realtime?${intent ? 'intent=transcription' : 'model=gpt-realtime'}`;
  return new WebSocket(url, { ca: endpoints.realtime.ca, headers: { Authorization: `Bearer ${ENV.OPENAI_API_KEY}` }, perMessageDeflate: false });
}

function elevenLabsSocket(endpoints: Endpoints): WebSocket {
  const url = `${endpoints.elevenlabs!.replace(/^http/, 'ws')}/v1/text-to-speech/voice-a/multi-stream-input?model_id=eleven_flash_v2_5&output_format=ulaw_8000&auto_mode=true`;
  return new WebSocket(url, { headers: { 'xi-api-key': ENV.ELEVENLABS_API_KEY }, perMessageDeflate: false });
}

/** Text deltas of one reply in, ElevenLabs text out, first audio decoded: resolves with when it was. */
function speakThroughElevenLabs(el: WebSocket, contextId: string): { push(delta: string): void; end(): void; firstAudio: Promise<number> } {
  const chunker = createPhraseChunker();
  el.send(JSON.stringify({ text: ' ', context_id: contextId }));
  const firstAudio = new Promise<number>((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(data.toString()) as { audio?: string; contextId?: string };
      if (message.contextId !== contextId || !message.audio) return;
      Buffer.from(message.audio, 'base64'); // decoded, as any client must before playing it
      el.off('message', onMessage);
      resolve(performance.now());
    };
    el.on('message', onMessage);
  });
  return {
    push(delta) {
      for (const phrase of chunker.push(delta)) el.send(JSON.stringify({ text: `${phrase.trimEnd()} `, context_id: contextId }));
    },
    end() {
      const rest = chunker.end()?.trim();
      el.send(JSON.stringify(rest ? { text: `${rest} `, context_id: contextId, flush: true } : { context_id: contextId, flush: true }));
      el.send(JSON.stringify({ context_id: contextId, close_context: true }));
    },
    firstAudio,
  };
}

/** One mode: `turns` turns on one call; the added latency of each (commit -> first audio decoded), ms. */
async function runMode(mode: Mode, endpoints: Endpoints): Promise<number[]> {
  const rt = realtimeSocket(endpoints, mode === 'cascade' ? 'transcription' : undefined);
  const el = mode === 'speech-to-speech' ? undefined : elevenLabsSocket(endpoints);
  await Promise.all([opened(rt), ...(el ? [opened(el)] : [])]);
  const input = { format: { type: 'audio/pcmu' }, transcription: { model: 'gpt-4o-transcribe', language: 'en' }, turn_detection: null };
  if (mode === 'cascade') rt.send(JSON.stringify({ type: 'session.update', session: { type: 'transcription', audio: { input } } }));
  else {
    const output = mode === 'speech-to-speech' ? { output: { format: { type: 'audio/pcmu' }, voice: 'marin' } } : {};
    rt.send(JSON.stringify({ type: 'session.update', session: { type: 'realtime', model: 'gpt-realtime', output_modalities: [mode === 'speech-to-speech' ? 'audio' : 'text'], instructions: 'Be brief.', audio: { input, ...output } } }));
  }
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const caller = streamCaller(rt);
  const history: Array<{ role: string; content: string }> = [{ role: 'system', content: 'You are the front desk of a dental clinic. Be brief.' }];
  const added: number[] = [];
  try {
    for (let turn = 0; turn <= turns; turn++) {
      const speechEnd = await caller.speakFor(SPEECH_MS);
      await sleep(120);
      rt.send(JSON.stringify({ type: 'input_audio_buffer.commit' }));
      await sleep(Math.max(0, speechEnd + COMMIT_AFTER_MS - performance.now()));
      const commitAt = performance.now();
      let firstAudioAt: number;
      if (mode === 'cascade') {
        history.push({ role: 'user', content: 'Do you have parking nearby?' });
        const tts = speakThroughElevenLabs(el!, `ctx_${turn}`);
        const reply = await chatReply(endpoints.chat!, agent, history, (delta) => tts.push(delta));
        tts.end();
        history.push({ role: 'assistant', content: reply });
        firstAudioAt = await tts.firstAudio;
      } else {
        rt.send(JSON.stringify({ type: 'response.create', response: { output_modalities: [mode === 'speech-to-speech' ? 'audio' : 'text'] } }));
        const tts = el ? speakThroughElevenLabs(el, `ctx_${turn}`) : undefined;
        firstAudioAt = await realtimeReply(rt, tts);
      }
      if (turn > 0) added.push(firstAudioAt - commitAt); // turn 0 warms up
      if (!json) process.stderr.write(`\r${mode}: turn ${turn}/${turns}`);
      await sleep(REPLY_PLAY_MS);
    }
  } finally {
    caller.stop();
    rt.close();
    el?.close();
    agent.destroy();
    if (!json) process.stderr.write('\n');
  }
  return added;
}

/** Reads one Realtime response: text deltas to the ElevenLabs context, or the first audio delta decoded. */
function realtimeReply(rt: WebSocket, tts: ReturnType<typeof speakThroughElevenLabs> | undefined): Promise<number> {
  return new Promise((resolve) => {
    let audioAt: number | undefined;
    const onMessage = (data: WebSocket.RawData) => {
      const event = JSON.parse(data.toString()) as { type: string; delta?: string };
      if (event.type === 'response.output_text.delta' && tts) tts.push(event.delta ?? '');
      else if (event.type === 'response.output_audio.delta' && audioAt === undefined) {
        Buffer.from(event.delta ?? '', 'base64');
        audioAt = performance.now();
      } else if (event.type === 'response.done') {
        rt.off('message', onMessage);
        if (tts) {
          tts.end();
          void tts.firstAudio.then(resolve);
        } else resolve(audioAt ?? performance.now());
      }
    };
    rt.on('message', onMessage);
  });
}

/** One streamed Chat Completions request; `onDelta` per content token; resolves with the whole reply. */
function chatReply(baseURL: string, agent: Agent, messages: ReadonlyArray<{ role: string; content: string }>, onDelta: (delta: string) => void): Promise<string> {
  const body = JSON.stringify({ model: 'bench-chat-model', messages, stream: true });
  return new Promise((resolve, reject) => {
    const req = request(`${baseURL}/chat/completions`, { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${ENV.CHAT_API_KEY}` } }, (res) => {
      let buffered = '';
      let reply = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
          const delta = (JSON.parse(line.slice(6)) as { choices?: Array<{ delta?: { content?: string } }> }).choices?.[0]?.delta?.content;
          if (delta) {
            reply += delta;
            onDelta(delta);
          }
        }
      });
      res.on('end', () => resolve(reply));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const host = mocksInChild ? childMockHost() : inProcessMocks();
const results: Array<{ mode: Mode; added: Summary; violations: string[] }> = [];
try {
  for (const mode of modes) {
    const endpoints = await host.start(mode);
    const added = await runMode(mode, endpoints);
    results.push({ mode, added: summarize(added), violations: await host.stop() });
  }
} finally {
  host.close();
}
if (!json) {
  process.stdout.write(`\nThe floor: a minimal client over bench:e2e's mocks (${mocksInChild ? 'child process' : 'in process'}, every latency 0 ms), commit -> first audio, ms (Node ${process.version})\n`);
  printTable(results.map(({ mode, added }) => [mode, added]));
  for (const { mode, violations } of results) if (violations.length > 0) process.stdout.write(`${mode}: the mocks saw ${violations.length} protocol violation(s): ${violations.slice(0, 3).join('; ')}\n`);
}
process.stdout.write(`${JSON.stringify({ bench: 'e2e-floor', node: process.version, mocks: mocksInChild ? 'child' : 'in-process', turns, mocksCpus: mocksCpus ?? null, results })}\n`);
if (results.some(({ violations }) => violations.length > 0)) process.exitCode = 1;
