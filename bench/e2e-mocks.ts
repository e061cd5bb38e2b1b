/**
 * The mocks of bench:e2e and bench:e2e-floor: what each mode talks to, the scripted question and reply, and the
 * latency profiles. One definition, so the floor is measured against exactly the mocks the runtime is.
 */
import { fork, spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startMocks, type Mocks } from '../test/integration/call-rig.js';

export type Mode = 'cascade' | 'dualplex' | 'speech-to-speech';
export const MODES: readonly Mode[] = ['cascade', 'dualplex', 'speech-to-speech'];

/** What the mocks wait, ms. */
export interface Profile {
  readonly name: string;
  /** Transcription final after the commit (Realtime `transcriptionMs`). */
  readonly transcriptionMs: number;
  /** First LLM token (chat `ttftMs`, Realtime `firstDeltaMs`). */
  readonly firstTokenMs: number;
  /** ElevenLabs first audio after the first text (`firstAudioMs`); speech-to-speech audio comes with its text. */
  readonly firstAudioMs: number;
}
export const PROFILES: readonly Profile[] = [
  { name: 'fixed', transcriptionMs: 120, firstTokenMs: 200, firstAudioMs: 150 },
  { name: 'zero', transcriptionMs: 0, firstTokenMs: 0, firstAudioMs: 0 },
];

export const QUESTION = 'Do you have parking nearby?';
export const REPLY = 'Yes, there is free parking. It is right behind the building.';
/** Audio the mocks make per reply: ElevenLabs 20 ms a character, Realtime 60 ms a token (about 1.2 s a reply). */
export const MS_PER_CHAR = 20;
export const AUDIO_MS_PER_TOKEN = 60;

/** Starts the mocks `mode` needs, waiting as `profile` says; `tokenIntervalMs` paces the reply's tokens. */
export function startModeMocks(mode: Mode, profile: Profile, tokenIntervalMs = 0): Promise<Mocks> {
  const transcription = { transcripts: [QUESTION], transcriptionMs: profile.transcriptionMs };
  const elevenlabs = { firstAudioMs: profile.firstAudioMs, msPerChar: MS_PER_CHAR };
  if (mode === 'cascade') return startMocks({ realtime: transcription, chat: { reply: REPLY, ttftMs: profile.firstTokenMs, tokenIntervalMs }, elevenlabs });
  const realtime = { ...transcription, reply: REPLY, firstDeltaMs: profile.firstTokenMs, deltaIntervalMs: tokenIntervalMs, audioMsPerToken: AUDIO_MS_PER_TOKEN };
  return mode === 'dualplex' ? startMocks({ realtime, elevenlabs }) : startMocks({ realtime });
}

/** Where the mocks listen, and the Realtime mock's certificate. */
export interface Endpoints {
  readonly realtime: { readonly baseURL: string; readonly ca: string };
  readonly chat?: string;
  readonly elevenlabs?: string;
}

export function endpointsOf(mocks: Mocks): Endpoints {
  const { realtime, chat, elevenlabs } = mocks;
  return { realtime: { baseURL: realtime!.baseURL, ca: realtime!.ca }, ...(chat ? { chat: chat.baseURL } : {}), ...(elevenlabs ? { elevenlabs: elevenlabs.baseURL } : {}) };
}

/** What the mock host (`bench/e2e-latency.bench.ts --mock-host`) is asked, and what it answers. */
export type HostRequest = { readonly type: 'start'; readonly mode: Mode; readonly profile: string } | { readonly type: 'sync' } | { readonly type: 'stop' };
export type HostReply = { readonly type: 'started'; readonly endpoints: Endpoints } | { readonly type: 'stamps'; readonly stamps: Array<[string, number]> } | { readonly type: 'stopped'; readonly violations: string[] };

/** `--mocks-cpus`: a taskset CPU list, checked; exits with 2 on anything else. */
export function mocksCpusOption(value: string | undefined): string | undefined {
  if (value !== undefined && !/^\d+([-,]\d+)*$/.test(value)) {
    process.stderr.write(`--mocks-cpus takes a taskset CPU list such as 1 or 0-1 (got ${value})\n`);
    process.exit(2);
  }
  return value;
}

/**
 * Forks bench:e2e's mock host (`--mock-host`, with `hostArgs` for its options), pinned with `taskset -c
 * <mocksCpus>` when given. One request at a time: `ask` resolves with the reply, or rejects if the host exits.
 */
export function forkMockHost(hostArgs: readonly string[], mocksCpus: string | undefined): { ask(request: HostRequest): Promise<HostReply>; close(): void } {
  const file = fileURLToPath(new URL('./e2e-latency.bench.ts', import.meta.url));
  const stdio: StdioOptions = ['ignore', 'inherit', 'inherit', 'ipc'];
  // taskset execs node, which finds the IPC channel fork() would have given it in the inherited environment.
  const child: ChildProcess =
    mocksCpus === undefined
      ? fork(file, [...hostArgs, '--mock-host'], { execArgv: process.execArgv, stdio })
      : spawn('taskset', ['-c', mocksCpus, process.execPath, ...process.execArgv, file, ...hostArgs, '--mock-host'], { stdio });
  child.on('error', (error) => {
    process.stderr.write(`could not start the mock host (${error.message})${mocksCpus !== undefined ? '; --mocks-cpus needs taskset (util-linux)' : ''}\n`);
    process.exit(1);
  });
  let waiting: { resolve(reply: HostReply): void; reject(error: Error): void } | undefined;
  child.on('message', (reply) => waiting?.resolve(reply as HostReply));
  child.on('exit', (code) => waiting?.reject(new Error(`the mock host exited (code ${code})`)));
  return {
    ask: (request) => new Promise<HostReply>((resolve, reject) => ((waiting = { resolve, reject }), child.send(request))),
    close: () => child.disconnect(),
  };
}
