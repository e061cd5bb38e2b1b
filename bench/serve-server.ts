/*
 * bench:serve's server side: the agent file it serves, `voiceagent serve` started from the sources as a child
 * process (bench/serve-launcher.ts), and its /metrics read as numbers.
 *
 * Two provider modes:
 *   - `mocks` (default): the example agent turned cascade with providers of fixed, known latency: speech to
 *     text from the transcription mock (bench/serve-mocks.ts, `transcriptionMs` after each commit), the
 *     agent's own scripted `offline:` model as its language model (first token `offline.ttftMs` after the
 *     request, then `offline.tokensPerSecond`), and the ElevenLabs mock as its voice (first audio
 *     `firstAudioMs` after the first text), or with `voice: 'espeak'` the offline eSpeak voice (whose first
 *     audio is compute, not a fixed wait). Every other setting (turn-taking, barge-in, echo, VAD) is the
 *     example agent's, as written.
 *   - `offline`: the example agent as written, served with `--offline` (simulated recogniser, scripted model,
 *     eSpeak). Over Twilio the simulated recogniser hears no words, so no caller turn is ever answered and the
 *     response latency cannot be measured.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { loadAgent, type AgentSpec } from '../runtime/dsl/index.js';
import { MOCK_ELEVENLABS_KEY } from './serve-mocks.js';
import type { ProbeReading } from './serve-worker-probe.js';

/** Which providers the served agent runs on. */
export type ProviderMode = 'mocks' | 'offline';

/** The agent file bench:serve serves, and its typed form. */
export interface BenchAgent {
  readonly file: string;
  readonly spec: AgentSpec;
  /** The fixed waits along a reply in mocks mode (subtracted from response latency), ms; 0 for the eSpeak voice's first audio. */
  readonly configured: { readonly endpointingMs: number; readonly transcriptionMs: number; readonly firstTokenMs: number; readonly firstAudioMs: number };
}

/** Where the mocks listen and what they wait. */
export interface MockEndpoints {
  readonly sttBaseURL: string;
  readonly transcriptionMs: number;
  /** The ElevenLabs mock; absent: the eSpeak voice. */
  readonly voice?: { readonly baseURL: string; readonly firstAudioMs: number };
}

/**
 * Writes the served agent into `dir/agents/` from the example `source`: in mocks mode turned cascade on the
 * mocks at `mock`, offline as written; `echoMode` overrides its `echo.mode`. Throws when the result is invalid.
 */
export function writeBenchAgent(source: string, dir: string, mode: ProviderMode, mock?: MockEndpoints, echoMode?: string): BenchAgent {
  const yaml = parse(readFileSync(source, 'utf8')) as Record<string, unknown>;
  // `--echo`: the one setting bench:serve lets you change, to see what the echo gate costs a barge-in.
  if (echoMode !== undefined) yaml.echo = { ...(yaml.echo as object | undefined), mode: echoMode };
  if (mode === 'mocks') {
    if (!mock) throw new Error('mocks mode needs the transcription mock');
    yaml.inference = { mode: 'cascade' };
    yaml.stt = { provider: 'openai', model: 'gpt-4o-mini-transcribe', turnDetection: 'local', baseURL: mock.sttBaseURL, apiKey: '${env:OPENAI_API_KEY}' };
    yaml.models = { scripted: { provider: 'local', model: 'offline' } };
    yaml.routing = [{ use: 'scripted' }];
    yaml.voice = mock.voice
      ? { provider: 'elevenlabs', model: 'eleven_flash_v2_5', baseURL: mock.voice.baseURL, apiKey: '${env:ELEVENLABS_API_KEY}', voices: { en: 'bench-voice' } }
      : { provider: 'local', voices: { en: 'en-us' } };
    yaml.secrets = { openai: '${env:OPENAI_API_KEY}', ...(mock.voice ? { elevenlabs: '${env:ELEVENLABS_API_KEY}' } : {}) };
  }
  const file = join(dir, 'agents', `${String(yaml.name)}.yaml`);
  const text = stringify(yaml);
  writeFileSync(file, text);
  const loaded = loadAgent({ file, text });
  if (!loaded.ok) throw new Error(`bench agent ${file} is invalid: ${loaded.diagnostics.map((d) => d.message).join('; ')}`);
  const spec = loaded.spec;
  const configured = { endpointingMs: spec.turnTaking.endpointing.minSilenceMs, transcriptionMs: mock?.transcriptionMs ?? 0, firstTokenMs: spec.offline.ttftMs, firstAudioMs: mock?.voice?.firstAudioMs ?? 0 };
  return { file, spec, configured };
}

/** A running `voiceagent serve`. */
export interface ServeProcess {
  readonly pid: number;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** `ws://…/twilio/AGENT`. */
  readonly twilio: string;
  /** Where its logs go. */
  readonly logFile: string;
  /** Where its workers' probes (bench/serve-worker-probe.ts) write their readings. */
  readonly probeDir: string;
  /** SIGTERM (drain), then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Options of {@link startServe}. */
export interface StartServeOptions {
  readonly agent: BenchAgent;
  readonly workers: number;
  readonly mode: ProviderMode;
  readonly dataDir: string;
  readonly logFile: string;
  readonly probeDir: string;
  /** Trusted by the server (the transcription mock's certificate), as a PEM file path. */
  readonly caFile?: string;
  /** A taskset CPU list for the server, if any. */
  readonly cpus?: string;
  /** More Node options for the server and its workers (e.g. `--cpu-prof --cpu-prof-dir=DIR` to profile it). */
  readonly nodeArgs?: readonly string[];
}

/** Environment variables never passed on to the server (a developer's real keys must not be used). */
const SECRET = /(_API_KEY|_TOKEN|_SECRET)$|^(OPENAI|ELEVENLABS|TWILIO|VOICEAGENT)_/;

/** Starts `voiceagent serve` from the sources; resolves once its `--json` listening line came. */
export function startServe(options: StartServeOptions): Promise<ServeProcess> {
  const launcher = fileURLToPath(new URL('./serve-launcher.ts', import.meta.url));
  const probe = fileURLToPath(new URL('./serve-worker-probe.ts', import.meta.url));
  // The workers inherit these exec arguments: tsx, the probe, and a GC the probe can force for the leak check.
  const args = [...process.execArgv, ...(options.nodeArgs ?? []), '--expose-gc', '--import', probe, launcher, 'serve', options.agent.file, '--host', '127.0.0.1', '--port', '0', '--workers', String(options.workers), '--json', '--data', options.dataDir];
  if (options.mode === 'offline') args.push('--offline');
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !SECRET.test(name)) env[name] = value;
  if (options.mode === 'mocks') Object.assign(env, { OPENAI_API_KEY: 'sk-bench-serve', ELEVENLABS_API_KEY: MOCK_ELEVENLABS_KEY });
  if (options.caFile) env.NODE_EXTRA_CA_CERTS = options.caFile;
  env.BENCH_SERVE_PROBE_DIR = options.probeDir;
  const log = openSync(options.logFile, 'a');
  const child: ChildProcess =
    options.cpus === undefined
      ? spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', log] })
      : spawn('taskset', ['-c', options.cpus, process.execPath, ...args], { env, stdio: ['ignore', 'pipe', log] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`voiceagent serve exited (code ${code}) before listening; see ${options.logFile}`)));
    child.stdout!.on('data', (data: Buffer) => {
      out += data.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      const listening = JSON.parse(line) as { url: string; agents: Array<{ twilio: string }> };
      resolve({
        pid: child.pid!,
        url: listening.url,
        twilio: listening.agents[0]!.twilio,
        logFile: options.logFile,
        probeDir: options.probeDir,
        async stop(graceMs = 15_000) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        },
      });
    });
  });
}

/** GET /metrics as text ('' when it does not answer). */
export async function scrapeMetrics(url: string): Promise<string> {
  try {
    const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) });
    return await response.text();
  } catch {
    return '';
  }
}

/** The sum of every sample of metric `name` (over its labels) in Prometheus text; undefined when absent. */
export function metricValue(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum = (sum ?? 0) + value;
  }
  return sum;
}

const lastSequence = new Map<number, number>();

/**
 * Asks each worker's probe for a reading (SIGUSR2): its event-loop delay since the previous one, then its
 * memory after a full GC. Resolves with the readings that came within 5 s.
 */
export async function probeWorkers(pids: readonly number[], probeDir: string): Promise<ProbeReading[]> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGUSR2');
    } catch {
      // Gone.
    }
  }
  const readings = new Map<number, ProbeReading>();
  const deadline = performance.now() + 5000;
  while (readings.size < pids.length && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const pid of pids) {
      const file = join(probeDir, `lag-${pid}.json`);
      if (readings.has(pid) || !existsSync(file)) continue;
      try {
        const reading = JSON.parse(readFileSync(file, 'utf8')) as ProbeReading;
        if (reading.sequence > (lastSequence.get(pid) ?? 0)) {
          lastSequence.set(pid, reading.sequence);
          readings.set(pid, reading);
        }
      } catch {
        // Being written: read it on the next pass.
      }
    }
  }
  return pids.flatMap((pid) => readings.get(pid) ?? []);
}
