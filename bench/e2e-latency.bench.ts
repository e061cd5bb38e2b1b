/**
 * `npm run bench:e2e`: what the runtime adds to a caller's wait, measured on whole calls through the REAL
 * adapters (Realtime transcription STT, Chat Completions, ElevenLabs, OpenAI Realtime) against the loopback
 * mocks, on the real clock, with the call rig of the integration tests (test/integration/call-rig.ts).
 *
 * For each mode (cascade, dualplex, speech-to-speech) and each latency profile (`fixed`: transcription final
 * 120 ms after the commit, first LLM token 200 ms, ElevenLabs first audio 150 ms; `zero`: every mock at 0 ms)
 * it runs `--turns` caller turns spread over `--calls` calls. Each turn is 1.06 s of espeak-ng speech, answered
 * by a two-sentence reply whose tokens come back to back (`--token-interval-ms` paces them), played out in full.
 *
 * Per turn, from the call record's spans (runtime/call/call-record.ts):
 *   - added = llmFirstTokenMs + ttsFirstAudioMs + firstFrameOutMs - (configured first token + configured first
 *     audio): everything between the turn commit and the first frame out that is not the mocks' configured wait.
 *     A preemptive draft kept for the turn sent its request before the commit: only the part of the configured
 *     wait (and of the mock's lateness and token spacing) that falls after the commit is subtracted;
 *   - added without mock timers: the same minus the mocks' own time between having a request and answering it
 *     beyond the configured wait (their timers' lateness, or at 0 ms their `setImmediate` and serialisation) and
 *     minus the mock's spacing of the first phrase's tokens (the Realtime mock sends each delta on its own
 *     timer): the share of the runtime, its adapters and the loopback (see `npm run bench:loopback` for the
 *     loopback's own share);
 *   - the path, stage by stage: request out (commit -> the mock has the request), mock timer lateness, first
 *     token in (the mock's write -> our first token), phrase wait (first token -> the ElevenLabs phrase chunker
 *     releases the first phrase), text out (-> the mock has the text), audio in (the mock's first audio ->
 *     our first audio), first frame out (-> the first frame on the transport);
 *   - GC pauses in the window: garbage-collection pauses (PerformanceObserver `gc` entries, in the call's process
 *     and in the mocks') that overlap commit -> first frame; `turns with no GC pause in it` is `added` over the
 *     other turns, to tell a pause that landed in a turn from the path's own cost;
 *   - stt: dualplex and speech-to-speech detect the end of the turn locally, so sttFinalMs - the 120 ms
 *     speech-end hangover - the configured delay is our share (commit sent, transcribed, final delivered).
 *     Cascade's transcription session is committed by our VAD (the default `stt.turnDetection: local`) or, with
 *     `--stt-turn-detection server_vad`, cut by the server's VAD (500 ms of silence on the mock's energy
 *     detector); either way there it runs from the mock's `input_audio_buffer.committed`.
 * Mock-side times come from bench-side hooks on the mocks' own logs (`sent`, `received`, `requests`, counters);
 * the mocks are not modified. By default the mocks run in a child process (`--mocks child`), as real providers
 * run elsewhere: their HTTP, TLS and WebSocket server work and their JSON do not share the call's event loop.
 * Both processes read the same monotonic clock (`process.hrtime`), so their times compare to the microsecond.
 * `--mocks in-process` runs them beside the call, as the integration tests do.
 * The first turn of a call also opens the ElevenLabs socket (with its first reply); `first turns` and `later
 * turns` split that out; later turns reuse the chat mock's keep-alive connection (it keeps idle connections for
 * 120 s). One warm-up call per mode is not counted.
 *
 * `--mocks-cpus <list>` runs the mock host under `taskset -c <list>` (Linux, util-linux). On a small VM whose
 * scheduler packs tasks onto few vCPUs, the mock host woken by our request can preempt the call on its own vCPU
 * inside our socket write; pinning the call elsewhere (`taskset -c 0 npm run bench:e2e -- --mocks-cpus 1`) tells
 * that scheduling cost from the runtime's own.
 *
 * Usage: npm run bench:e2e [-- --turns 40 --calls 4 --modes cascade,dualplex,speech-to-speech --profiles fixed,zero
 *        --mocks child|in-process --mocks-cpus 1 --token-interval-ms 0 --stt-turn-detection local|server_vad --json --samples]
 * `--stt-turn-detection` sets cascade's `stt.turnDetection` (default `local`: our VAD commits the caller's audio).
 * `--json` prints the JSON line only (no tables); `--samples` adds every turn to it.
 */
import { performance, PerformanceObserver } from 'node:perf_hooks';
import type { TurnRecord, TurnSpans } from '../runtime/call/call-record.js';
import { SPEECH_END_HANGOVER_MS } from '../runtime/call/inbound-pipeline.js';
import { createPhraseChunker } from '../runtime/providers/elevenlabs/phrase-chunker.js';
import type { MockChatRequestRecord } from '../test/mocks/openai-chat-server.js';
import { closeMocks, fixtureSpeech, mockViolations, startCall, type Mocks } from '../test/integration/call-rig.js';
import { endpointsOf, forkMockHost, MODES, mocksCpusOption, PROFILES, startModeMocks, type Endpoints, type HostReply, type HostRequest, type Mode, type Profile } from './e2e-mocks.js';
import { printTable, summarize, type Summary } from './stats.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
};
const turnsWanted = Math.max(1, Number(option('turns') ?? 40) || 40);
const calls = Math.max(1, Math.min(turnsWanted, Number(option('calls') ?? 4) || 4));
const turnsPerCall = Math.ceil(turnsWanted / calls);
const tokenIntervalMs = Math.max(0, Number(option('token-interval-ms') ?? 0) || 0);
const modes = (option('modes')?.split(',') ?? MODES).filter((mode): mode is Mode => (MODES as readonly string[]).includes(mode));
const profiles = PROFILES.filter((profile) => (option('profiles')?.split(',') ?? PROFILES.map((p) => p.name)).includes(profile.name));
const json = args.includes('--json');
const withSamples = args.includes('--samples');
const mocksInChild = option('mocks') !== 'in-process';
/** CPUs the mock host is pinned to (`taskset -c`), if any. */
const mocksCpus = mocksCpusOption(option('mocks-cpus'));
/** Cascade's `stt.turnDetection` (default: the agent's default, `local`). */
const sttTurnDetection = option('stt-turn-detection');
if (sttTurnDetection !== undefined && !['local', 'server_vad', 'semantic_vad'].includes(sttTurnDetection)) {
  process.stderr.write(`--stt-turn-detection must be local, server_vad or semantic_vad (got ${sttTurnDetection})\n`);
  process.exit(2);
}

const SPEECH = fixtureSpeech('speech-en-female', 40, 1100);

/** performance.now() + this offset = the monotonic clock every process on the machine reads, ms. */
const MONOTONIC_OFFSET_MS = Number(process.hrtime.bigint()) / 1e6 - performance.now();

/** performance.now() times of named moments, in order of arrival. */
class Stamps {
  private readonly byKey = new Map<string, number[]>();
  /** With a `log`, every stamp is also kept there for {@link drain} (the child hands its stamps over). */
  constructor(private readonly log?: Array<[string, number]>) {}
  add(key: string, atMs = performance.now()): void {
    const list = this.byKey.get(key);
    if (list) list.push(atMs);
    else this.byKey.set(key, [atMs]);
    this.log?.push([key, atMs]);
  }
  /** The stamps logged since the last drain, on the monotonic clock. */
  drain(): Array<[string, number]> {
    return (this.log?.splice(0) ?? []).map(([key, atMs]) => [key, atMs + MONOTONIC_OFFSET_MS]);
  }
  /** Adds stamps drained in another process. */
  merge(stamps: ReadonlyArray<readonly [string, number]>): void {
    for (const [key, monotonicMs] of stamps) this.add(key, monotonicMs - MONOTONIC_OFFSET_MS);
  }
  /** How much of [fromMs, toMs] the intervals logged as `<key>.start` / `<key>.end` pairs cover, ms. */
  overlap(key: string, fromMs: number, toMs: number): number {
    const starts = this.byKey.get(`${key}.start`) ?? [];
    const ends = this.byKey.get(`${key}.end`) ?? [];
    let covered = 0;
    for (let i = 0; i < Math.min(starts.length, ends.length); i++) covered += Math.max(0, Math.min(toMs, ends[i]!) - Math.max(fromMs, starts[i]!));
    return covered;
  }
  firstAfter(key: string, atMs: number | undefined): number | undefined {
    return atMs === undefined ? undefined : this.byKey.get(key)?.find((t) => t >= atMs);
  }
  lastBefore(key: string, atMs: number | undefined): number | undefined {
    return atMs === undefined ? undefined : this.byKey.get(key)?.findLast((t) => t <= atMs);
  }
  /** The `n`th (1-based) time of `key` at or after `atMs`. */
  nth(key: string, atMs: number | undefined, n: number): number | undefined {
    return atMs === undefined ? undefined : this.byKey.get(key)?.filter((t) => t >= atMs)[n - 1];
  }
}

/** Where this process's garbage-collection pauses are stamped (`gc.<where>.start` / `.end`); swapped per run. */
let gcStamps: { stamps: Stamps; where: 'call' | 'mocks' } | undefined;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcStamps?.stamps.add(`gc.${gcStamps.where}.start`, entry.startTime);
    gcStamps?.stamps.add(`gc.${gcStamps.where}.end`, entry.startTime + entry.duration);
  }
}).observe({ entryTypes: ['gc'] });

/** Calls `seen` with every item pushed onto `list` (the mocks log into plain arrays). */
function onPush<T>(list: T[], seen: (item: T) => void): void {
  const push = list.push.bind(list);
  list.push = (...items: T[]) => {
    for (const item of items) seen(item);
    return push(...items);
  };
}

/** Calls `seen` whenever the counter `key` of `target` is set. */
function onCount(target: object, key: string, seen: () => void): void {
  let value = (target as Record<string, unknown>)[key];
  Object.defineProperty(target, key, { enumerable: true, get: () => value, set: (next: unknown) => ((value = next), seen()) });
}

/** Stamps what the mocks receive and send: request/text arrivals, first token and audio writes, STT events. */
function stampMocks(mocks: Mocks, stamps: Stamps): void {
  if (mocks.realtime) {
    onPush(mocks.realtime.connections, (connection) => {
      // Every 20 ms of caller audio is an append: not stamped, nothing here needs them.
      onPush(connection.received, (event) => event.type !== 'input_audio_buffer.append' && stamps.add(`rt<${String(event.type)}`));
      onPush(connection.sent, (event) => {
        const type = String(event.type);
        stamps.add(`rt>${type}`);
        if (type.startsWith('response.output_') && type.endsWith('.delta')) stamps.add('rt>delta');
      });
    });
  }
  if (mocks.chat) {
    onPush(mocks.chat.requests as MockChatRequestRecord[], (record) => {
      stamps.add('chat<request');
      onCount(record, 'tokensSent', () => stamps.add('chat>token'));
    });
  }
  if (mocks.elevenlabs) {
    onPush(mocks.elevenlabs.received, ({ message }) => typeof message.text === 'string' && message.text.trim() !== '' && stamps.add('el<text'));
    onPush(mocks.elevenlabs.connections, (connection) => onCount(connection, 'audioSent', () => stamps.add('el>audio')));
  }
}

function agentYaml(mode: Mode, at: Endpoints): string {
  const realtime = `{ provider: openai, model: gpt-realtime, baseURL: '${at.realtime.baseURL}', apiKey: '\${env:OPENAI_API_KEY}', transcriptionModel: gpt-4o-transcribe, turnDetection: local }`;
  const elevenlabs = `voice: { provider: elevenlabs, baseURL: '${at.elevenlabs}', apiKey: '\${env:ELEVENLABS_API_KEY}', voices: { en: voice-a } }`;
  const body =
    mode === 'cascade'
      ? `inference: { mode: cascade }
stt: { provider: openai, model: gpt-4o-transcribe, baseURL: '${at.realtime.baseURL}', apiKey: '\${env:OPENAI_API_KEY}'${sttTurnDetection ? `, turnDetection: ${sttTurnDetection}` : ''} }
models:
  main: { provider: openai-compatible, model: bench-chat-model, baseURL: '${at.chat}', apiKey: '\${env:CHAT_API_KEY}' }
${elevenlabs}`
      : mode === 'dualplex'
        ? `inference: { mode: dualplex, realtime: ${realtime} }\n${elevenlabs}`
        : `inference: { mode: speech-to-speech, realtime: ${realtime} }\nvoice: { provider: openai, voices: { en: marin } }`;
  return `apiVersion: voiceagent/v1\nname: e2e-latency-${mode}\n${body}\nlanguages: { default: en }\nprompt: { system: You are the front desk of a dental clinic. Be brief. }\n`;
}

/** The mocks of one mode and profile, in this process or in the child. */
interface MockHost {
  readonly endpoints: Endpoints;
  /** Brings `stamps` up to date with the mocks' stamps (a no-op in process: they stamp it directly). */
  sync(stamps: Stamps): Promise<void>;
  /** Closes the mocks; resolves with their protocol violations. */
  stop(): Promise<readonly string[]>;
}

async function inProcessMocks(mode: Mode, profile: Profile, stamps: Stamps): Promise<MockHost> {
  const mocks = await startModeMocks(mode, profile, tokenIntervalMs);
  stampMocks(mocks, stamps);
  return { endpoints: endpointsOf(mocks), sync: async () => {}, stop: async () => (await closeMocks(mocks), mockViolations(mocks)) };
}

/** The child's side (`--mock-host`): starts and stops the mocks it is asked for and hands over their stamps. */
function serveMocks(): void {
  let mocks: Mocks | undefined;
  let stamps = new Stamps([]);
  const handle = async (request: HostRequest): Promise<HostReply> => {
    if (request.type === 'sync') return { type: 'stamps', stamps: stamps.drain() };
    if (request.type === 'stop') {
      const violations = mocks ? mockViolations(mocks) : [];
      if (mocks) await closeMocks(mocks);
      mocks = undefined;
      return { type: 'stopped', violations };
    }
    stamps = new Stamps([]);
    gcStamps = { stamps, where: 'mocks' };
    mocks = await startModeMocks(request.mode, PROFILES.find((profile) => profile.name === request.profile)!, tokenIntervalMs);
    stampMocks(mocks, stamps);
    return { type: 'started', endpoints: endpointsOf(mocks) };
  };
  process.on('message', (request: HostRequest) => void handle(request).then((reply) => process.send!(reply)));
  process.on('disconnect', () => process.exit(0));
}

/** The mock host in a child process; one request at a time (the bench awaits each). */
function childMockHost(): { start(mode: Mode, profile: Profile): Promise<MockHost>; close(): void } {
  const { ask, close } = forkMockHost(args, mocksCpus);
  return {
    async start(mode, profile) {
      const started = await ask({ type: 'start', mode, profile: profile.name });
      if (started.type !== 'started') throw new Error(`mock host: expected started, got ${started.type}`);
      return {
        endpoints: started.endpoints,
        async sync(stamps) {
          const reply = await ask({ type: 'sync' });
          if (reply.type === 'stamps') stamps.merge(reply.stamps);
        },
        async stop() {
          const reply = await ask({ type: 'stop' });
          return reply.type === 'stopped' ? reply.violations : [];
        },
      };
    },
    close,
  };
}

/** One measured caller turn: the spans, and the stages of the path from commit to first frame. */
interface TurnSample {
  readonly turn: number;
  /** performance.now() of the turn commit (the end of caller speech plus endpointingMs). */
  readonly commitAtMs: number;
  readonly outcome: TurnRecord['outcome'];
  readonly draft: TurnRecord['draft'];
  readonly spans: TurnSpans;
  readonly stages: Partial<Record<Stage, number>>;
}

const STAGES = [
  'added', 'addedWithoutMockTimers', 'requestOut', 'llmMockLate', 'firstTokenIn', 'phraseWait', 'mockTokenPacing', 'textOut', 'ttsMockLate', 'audioIn', 'firstFrameOut',
  'sttAdded', 'sttMockLate', 'sttFinalIn', 'gcInWindow', 'gcCallInWindow', 'gcMocksInWindow',
] as const;
type Stage = (typeof STAGES)[number];
const STAGE_LABELS: Record<Stage, string> = {
  added: 'added (commit -> first frame, minus mocks)',
  addedWithoutMockTimers: 'added without mock timer lateness',
  requestOut: '  request out (commit -> mock has it; < 0: a draft)',
  llmMockLate: '  mock first-token timer lateness',
  firstTokenIn: '  first token in (mock write -> ours)',
  phraseWait: '  phrase wait (first token -> phrase)',
  mockTokenPacing: '    of which the mock spacing its tokens',
  textOut: '  text out (phrase -> mock has it)',
  ttsMockLate: '  mock first-audio timer lateness',
  audioIn: '  audio in (mock write -> our 1st audio)',
  firstFrameOut: '  first frame out',
  sttAdded: 'stt added',
  sttMockLate: '  mock transcription timer lateness',
  sttFinalIn: '  final in (mock write -> ours)',
  gcInWindow: 'GC pauses in commit -> first frame (both processes)',
  gcCallInWindow: '  in the call\'s process',
  gcMocksInWindow: '  in the mocks\' process',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One call of `turns` caller turns; each reply is played out in full before the caller speaks again. */
async function runCall(mode: Mode, profile: Profile, mocks: MockHost, stamps: Stamps, turns: number): Promise<TurnSample[]> {
  const rig = await startCall({ yaml: agentYaml(mode, mocks.endpoints), ca: mocks.endpoints.realtime.ca });
  let callStartMs: number | undefined;
  const texts: Array<{ atMs: number; delta: string }> = [];
  rig.session.onEvent((event) => {
    const now = performance.now();
    // Call time is performance.now() minus the call's start (realClock): one event gives the offset.
    callStartMs ??= now - event.atMs;
    if (event.type === 'transcript' && event.final) stamps.add('client:final', now);
    if (event.type === 'agent.text') texts.push({ atMs: now, delta: event.delta });
  });
  const samples: TurnSample[] = [];
  try {
    for (let turn = 1; turn <= turns; turn++) {
      void rig.say(SPEECH);
      const what = `turn ${turn} (${mode}, ${profile.name}) to be played out`;
      await rig.until(what, () => rig.session.record.turns[turn - 1]?.outcome !== undefined && rig.session.states().includes('active.agent.idle.attentive'), 15_000);
      const record = rig.session.record.turns[turn - 1]!;
      await mocks.sync(stamps);
      const commitAtMs = record.speechEndMs + (record.spans.endpointingMs ?? 0) + (callStartMs ?? 0);
      const stages = stagesOf(mode, profile, record, callStartMs ?? 0, stamps, texts);
      samples.push({ turn, commitAtMs, outcome: record.outcome, draft: record.draft, spans: record.spans, stages });
      texts.length = 0;
      await sleep(150);
    }
  } finally {
    await rig.end();
  }
  return samples;
}

/** When the phrase chunker (as the ElevenLabs adapter runs it) first had a phrase to send, and after how many tokens. */
function firstPhrase(texts: ReadonlyArray<{ atMs: number; delta: string }>): { atMs: number; tokens: number } | undefined {
  const chunker = createPhraseChunker();
  for (const [index, { atMs, delta }] of texts.entries()) if (chunker.push(delta).length > 0) return { atMs, tokens: index + 1 };
  // A one-phrase reply goes out with `end()`, right after its last token.
  return texts.length > 0 ? { atMs: texts.at(-1)!.atMs, tokens: texts.length } : undefined;
}

function stagesOf(mode: Mode, profile: Profile, record: TurnRecord, callStartMs: number, stamps: Stamps, texts: ReadonlyArray<{ atMs: number; delta: string }>): TurnSample['stages'] {
  const { spans } = record;
  const stages: TurnSample['stages'] = {};
  const diff = (stage: Stage, to: number | undefined, from: number | undefined, minus = 0) => {
    if (to !== undefined && from !== undefined) stages[stage] = to - from - minus;
  };
  // Speech-to-speech: the model's audio arrives with its text, so no first-audio wait is configured.
  const audioWaitMs = mode === 'speech-to-speech' ? 0 : profile.firstAudioMs;
  const { endpointingMs, llmFirstTokenMs: llm, ttsFirstAudioMs: tts, firstFrameOutMs: frame } = spans;
  const speechEnd = record.speechEndMs + callStartMs;
  const commit = endpointingMs !== undefined ? speechEnd + endpointingMs : undefined;
  const firstToken = commit !== undefined && llm !== undefined ? commit + llm : undefined;
  const firstAudio = firstToken !== undefined && tts !== undefined ? firstToken + tts : undefined;
  if (frame !== undefined) stages.firstFrameOut = frame;

  // The request that answered is the last one the mock had before our first token.
  const request = stamps.lastBefore(mode === 'cascade' ? 'chat<request' : 'rt<response.create', firstToken);
  const tokenKey = mode === 'cascade' ? 'chat>token' : 'rt>delta';
  const mockToken = stamps.firstAfter(tokenKey, request);
  // A preemptive draft kept for the turn went out before the commit: only the part of the model's configured
  // wait (and of the mock's lateness) that falls after the commit is in the caller's wait.
  const end = firstAudio !== undefined && frame !== undefined ? firstAudio + frame : undefined;
  const afterCommit = (from: number | undefined, to: number | undefined) =>
    from !== undefined && to !== undefined && commit !== undefined && end !== undefined ? Math.max(0, Math.min(to, end) - Math.max(from, commit)) : undefined;
  const llmWaitMs = afterCommit(request, request === undefined ? undefined : request + profile.firstTokenMs) ?? profile.firstTokenMs;
  if (llm !== undefined && tts !== undefined && frame !== undefined) stages.added = llm + tts + frame - llmWaitMs - audioWaitMs;
  diff('requestOut', request, commit);
  diff('llmMockLate', mockToken, request, profile.firstTokenMs);
  // A kept draft's first token may have come before the commit and waited in its buffer: from the commit, then.
  diff('firstTokenIn', firstToken, mockToken !== undefined && commit !== undefined ? Math.max(mockToken, commit) : mockToken);
  if (mode === 'speech-to-speech') diff('audioIn', firstAudio, mockToken);
  else {
    const phrase = firstPhrase(texts);
    const text = stamps.firstAfter('el<text', phrase?.atMs);
    const audio = stamps.firstAfter('el>audio', text);
    diff('phraseWait', phrase?.atMs, firstToken);
    // The mock's own spacing of the phrase's tokens (a 0 ms interval is still a >= 1 ms timer per token).
    const phraseToken = phrase && stamps.nth(tokenKey, request, phrase.tokens);
    if (phraseToken !== undefined && mockToken !== undefined) stages.mockTokenPacing = afterCommit(mockToken, phraseToken) ?? phraseToken - mockToken;
    diff('textOut', text, phrase?.atMs);
    diff('ttsMockLate', audio, text, profile.firstAudioMs);
    diff('audioIn', firstAudio, audio);
  }
  if (commit !== undefined && end !== undefined) {
    stages.gcCallInWindow = stamps.overlap('gc.call', commit, end);
    stages.gcMocksInWindow = stamps.overlap('gc.mocks', commit, end);
    stages.gcInWindow = stages.gcCallInWindow + stages.gcMocksInWindow;
  }
  if (stages.added !== undefined && stages.llmMockLate !== undefined) {
    const llmLateInWindow = afterCommit(request === undefined ? undefined : request + profile.firstTokenMs, mockToken) ?? stages.llmMockLate;
    stages.addedWithoutMockTimers = stages.added - llmLateInWindow - (stages.mockTokenPacing ?? 0) - (stages.ttsMockLate ?? 0);
  }

  const final = stamps.lastBefore('client:final', commit);
  const completed = stamps.lastBefore('rt>conversation.item.input_audio_transcription.completed', final);
  const committed = stamps.lastBefore('rt>input_audio_buffer.committed', completed);
  if (mode === 'cascade') diff('sttAdded', final, committed, profile.transcriptionMs);
  else if (spans.sttFinalMs !== undefined) stages.sttAdded = spans.sttFinalMs - SPEECH_END_HANGOVER_MS - profile.transcriptionMs;
  diff('sttMockLate', completed, committed, profile.transcriptionMs);
  diff('sttFinalIn', final, completed);
  return stages;
}

/** The results of one mode at one profile. */
interface RunResult {
  readonly mode: Mode;
  readonly profile: Profile;
  readonly turns: number;
  readonly answered: number;
  readonly keptDrafts: number;
  readonly stages: Record<Stage, Summary>;
  readonly addedFirstTurns: Summary;
  readonly addedLaterTurns: Summary;
  /** `added` over the turns with no garbage-collection pause, in either process, between commit and first frame. */
  readonly addedNoGc: Summary;
  readonly spans: Record<keyof TurnSpans, Summary>;
  readonly violations: readonly string[];
  /** Every turn (with `--samples`). */
  readonly samples?: readonly TurnSample[];
}

const SPAN_NAMES: ReadonlyArray<keyof TurnSpans> = ['endpointingMs', 'sttFinalMs', 'llmFirstTokenMs', 'ttsFirstAudioMs', 'firstFrameOutMs', 'responseMs'];

async function runMode(mode: Mode, profile: Profile, warmUp: boolean, host: ReturnType<typeof childMockHost> | undefined): Promise<RunResult> {
  const stamps = new Stamps();
  gcStamps = { stamps, where: 'call' };
  const mocks = host ? await host.start(mode, profile) : await inProcessMocks(mode, profile, stamps);
  const samples: TurnSample[] = [];
  let violations: readonly string[] = [];
  try {
    if (warmUp) await runCall(mode, profile, mocks, stamps, 2);
    for (let call = 1; call <= calls; call++) {
      const turns = Math.min(turnsPerCall, turnsWanted - (call - 1) * turnsPerCall);
      if (turns > 0) samples.push(...(await runCall(mode, profile, mocks, stamps, turns)));
    }
  } finally {
    violations = await mocks.stop();
  }
  const answered = samples.filter((sample) => sample.outcome === 'answered');
  const values = (pick: (sample: TurnSample) => number | undefined, from: readonly TurnSample[] = answered) =>
    summarize(from.map(pick).filter((value): value is number => value !== undefined));
  return {
    mode,
    profile,
    turns: samples.length,
    answered: answered.length,
    keptDrafts: answered.filter((sample) => sample.draft === 'kept').length,
    stages: Object.fromEntries(STAGES.map((stage) => [stage, values((sample) => sample.stages[stage])])) as Record<Stage, Summary>,
    addedFirstTurns: values((sample) => sample.stages.added, answered.filter((sample) => sample.turn === 1)),
    addedLaterTurns: values((sample) => sample.stages.added, answered.filter((sample) => sample.turn > 1)),
    addedNoGc: values((sample) => sample.stages.added, answered.filter((sample) => sample.stages.gcInWindow === 0)),
    spans: Object.fromEntries(SPAN_NAMES.map((name) => [name, values((sample) => sample.spans[name])])) as Record<keyof TurnSpans, Summary>,
    violations,
    ...(withSamples ? { samples } : {}),
  };
}

function print(result: RunResult): void {
  const { mode, profile, stages } = result;
  const audio = mode === 'speech-to-speech' ? 'with the token' : `${profile.firstAudioMs} ms`;
  const configured = `transcription ${profile.transcriptionMs} ms, first token ${profile.firstTokenMs} ms, first audio ${audio}`;
  process.stdout.write(`\n${mode} @ ${profile.name}: ${result.answered}/${result.turns} turns answered (${result.keptDrafts} on a kept draft); mocks: ${configured}\n`);
  const row = (stage: Stage) => [STAGE_LABELS[stage], stages[stage]] as const;
  const sttLabel = mode === 'cascade' ? 'stt added (mock committed -> final - mock)' : 'stt added (sttFinal - hangover - mock)';
  printTable([
    row('added'),
    ['  first turns of calls', result.addedFirstTurns],
    ['  later turns', result.addedLaterTurns],
    ['  turns with no GC pause in it', result.addedNoGc],
    row('addedWithoutMockTimers'),
    ...(['requestOut', 'llmMockLate', 'firstTokenIn', 'phraseWait', 'mockTokenPacing', 'textOut', 'ttsMockLate', 'audioIn', 'firstFrameOut'] as const).filter((stage) => stages[stage].n > 0).map(row),
    [sttLabel, stages.sttAdded],
    row('sttMockLate'),
    row('sttFinalIn'),
    row('gcInWindow'),
    row('gcCallInWindow'),
    row('gcMocksInWindow'),
    ...SPAN_NAMES.map((name) => [`span ${name}`, result.spans[name]] as const),
  ]);
  if (result.violations.length > 0) process.stdout.write(`mock violations: ${result.violations.slice(0, 5).join('; ')}\n`);
}

async function main(): Promise<void> {
  const host = mocksInChild ? childMockHost() : undefined;
  const results: RunResult[] = [];
  try {
    for (const mode of modes) {
      for (const [index, profile] of profiles.entries()) {
        const result = await runMode(mode, profile, index === 0, host);
        results.push(result);
        if (!json) print(result);
      }
    }
  } finally {
    host?.close();
  }
  const verdicts = results.map(({ mode, profile, stages, addedNoGc }) => ({
    mode,
    profile: profile.name,
    p95AddedMs: stages.added.p95,
    p95AddedWithoutMockTimersMs: stages.addedWithoutMockTimers.p95,
    under5Ms: stages.added.p95 < 5,
    under5MsWithoutMockTimers: stages.addedWithoutMockTimers.p95 < 5,
    turnsWithGcPause: stages.added.n - addedNoGc.n,
    p95AddedNoGcMs: addedNoGc.p95,
  }));
  if (!json) {
    const where = mocksInChild ? `in a child process${mocksCpus !== undefined ? ` on CPUs ${mocksCpus}` : ''}` : 'in process';
    process.stdout.write(`\np95 of the added latency (goal: < 5 ms), mocks ${where}:  added | without mock timers | turns with no GC pause\n`);
    const mark = (ms: number, ok: boolean) => `${String(ms).padStart(8)} ms ${ok ? 'ok  ' : 'OVER'}`;
    for (const v of verdicts) {
      const noGc = `${String(v.p95AddedNoGcMs).padStart(8)} ms (${v.turnsWithGcPause} turns had one)`;
      process.stdout.write(`  ${`${v.mode} @ ${v.profile}`.padEnd(36)} ${mark(v.p95AddedMs, v.under5Ms)} | ${mark(v.p95AddedWithoutMockTimersMs, v.under5MsWithoutMockTimers)} | ${noGc}\n`);
    }
    process.stdout.write('\n');
  }
  const output = results.map(({ profile, ...rest }) => ({ ...rest, profile: profile.name, configured: profile }));
  const mocksWhere = mocksInChild ? 'child-process' : 'in-process';
  // With samples, the offset lets their performance.now() times be lined up with CPU profiles (monotonic µs).
  const clock = withSamples ? { monotonicOffsetMs: MONOTONIC_OFFSET_MS } : {};
  process.stdout.write(`${JSON.stringify({ bench: 'e2e-latency', node: process.version, mocks: mocksWhere, ...(mocksInChild && mocksCpus !== undefined ? { mocksCpus } : {}), turnsPerMode: turnsWanted, calls, tokenIntervalMs, ...clock, results: output, verdicts })}\n`);
}

if (args.includes('--mock-host')) serveMocks();
else await main();
