/*
 * `npm run bench:serve`: N simulated Twilio callers on loopback against `voiceagent serve --workers 2`, run
 * from the sources as a child process, for N = 100, 250, 500, 1000.
 *
 * Providers (bench/serve-server.ts, bench/serve-mocks.ts): the example receptionist turned cascade on
 * providers of fixed, known latency, in a mock process: transcription `--transcription-ms` (120) after each
 * commit, the agent's own scripted `offline:` model (first token `offline.ttftMs`, 200 ms), and an ElevenLabs
 * mock voice (first audio `--first-audio-ms`, 150 ms, then 40 ms of audio per character). Turn-taking,
 * barge-in, echo and VAD are the example agent's own settings. `--voice espeak` speaks with the offline eSpeak
 * voice in the server instead (its synthesis then costs server CPU and its first audio is not a fixed wait);
 * `--offline` serves the agent as written with `serve --offline` (no answered turns over Twilio: the simulated
 * recogniser hears no words, so no response latency).
 *
 * Each caller (bench/serve-caller.ts, a thousand in one load-generator process, bench/serve-callers.ts): hears
 * the greeting, barges in with espeak-ng speech ("Could you tell me your opening hours?", 1.86 s) at a random
 * point 0.3-2 s into it, and hangs up `--seconds` (8) after the greeting began. Calls connect spread over 2 s.
 * Printed per N:
 *   - jitter: |inter-arrival - 20 ms| of the agent's media messages within an utterance, at the caller, p50/p99;
 *   - reaction: caller speech onset -> `clear` received, p50/p95 (target: pauseAfterMs + 20 ms at p95);
 *   - response - configured: end of the caller's speech -> first frame of the reply, minus the configured waits
 *     along it (endpointing minSilenceMs + transcriptionMs + offline.ttftMs + first audio), p95 (p50 below).
 *     What is left is the runtime's own time: the VAD's speech-end hangover, scheduling, the sockets;
 *   - event-loop lag p99 of each worker, from a probe preloaded into the server (bench/serve-worker-probe.ts):
 *     /metrics only has prom-client's AVERAGE of the workers' p99 (and with --workers > 1 it currently times
 *     out: its workers never answer the cluster's aggregation request);
 *   - server CPU per call-second: utime + stime of the primary and workers from /proc over the phase, divided
 *     by the calls' seconds (socket open -> closed); also over the steady window (80 % greeted, 20 % ended at
 *     most), the workers' main threads alone, and the rest of the phase per call (setup, ramp, teardown);
 *   - RSS per call: the workers' summed RSS at the phase's peak minus before it (after a GC), over N;
 *   - greeting wait: socket open -> first greeting frame.
 * Then: RSS and heap growth per 1,000 completed calls (`--leak-calls`, 1000, in waves of 250 short calls after
 * a settling wave, each worker's garbage collected before its memory is read), the largest N whose jitter p99
 * stays under 10 ms, and the CPU per call-second broken down by part (bench/serve-breakdown.ts, in this process
 * after the server has stopped) against the measured steady total at the smallest N.
 *
 * The callers, the mocks and the server share the machine; the callers' CPU and event-loop delay and the load
 * average are printed so a saturated load generator or a busy machine is visible. `--callers-cpus`,
 * `--server-cpus` and `--mocks-cpus` pin them apart with taskset.
 *
 * Options: --calls 100,250,500,1000  --seconds 8  --workers 2  --transcription-ms 120  --first-audio-ms 150
 *          --voice mock|espeak  --offline  --leak-calls 1000 (0: skip)  --breakdown-calls 40 (0: skip)
 *          --callers-cpus LIST  --server-cpus LIST  --mocks-cpus LIST  --agent agents/receptionist.yaml
 *          --echo off|reference-gated|aec (override the agent's echo mode, to see what it costs a barge-in)
 *          --server-node-args "--cpu-prof --cpu-prof-dir=/tmp/prof" (Node options for the server and workers)
 *          --keep (keep the agent file, server log and call records)  --json (one JSON object on stdout)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureBreakdown, type BreakdownPart } from './serve-breakdown.js';
import { startCallers, type Callers, type PhaseProgress, type PhaseRequest } from './serve-callers.js';
import { commandLine, cpuMs, mainThreadCpuMs, processTree, rssBytes, sumOf } from './serve-proc.js';
import { printReport, type LeakResult, type PhaseFigures, type Report } from './serve-report.js';
import { metricValue, probeWorkers, scrapeMetrics, startServe, writeBenchAgent, type BenchAgent, type ProviderMode, type ServeProcess } from './serve-server.js';
import { startMocks, type Mocks } from './serve-mocks.js';
import { summarize } from './stats.js';
import { readRecordFigures } from './serve-records.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
};
const numberOption = (name: string, fallback: number, min: number): number => {
  const value = Number(option(name) ?? fallback);
  if (!Number.isFinite(value) || value < min) {
    process.stderr.write(`--${name} takes a number >= ${min} (got ${option(name)})\n`);
    process.exit(2);
  }
  return value;
};
const cpusOption = (name: string): string | undefined => {
  const value = option(name);
  if (value !== undefined && !/^\d+([-,]\d+)*$/.test(value)) {
    process.stderr.write(`--${name} takes a taskset CPU list such as 1 or 0-1 (got ${value})\n`);
    process.exit(2);
  }
  return value;
};
const CALLS = (option('calls') ?? '100,250,500,1000').split(',').map(Number);
if (CALLS.some((n) => !Number.isInteger(n) || n < 1)) {
  process.stderr.write(`--calls takes whole numbers separated by commas, e.g. 100,250 (got ${option('calls')})\n`);
  process.exit(2);
}
const HOLD_MS = numberOption('seconds', 8, 3) * 1000;
const WORKERS = numberOption('workers', 2, 1);
const MODE: ProviderMode = args.includes('--offline') ? 'offline' : 'mocks';
const TRANSCRIPTION_MS = numberOption('transcription-ms', 120, 0);
const FIRST_AUDIO_MS = numberOption('first-audio-ms', 150, 0);
const VOICE = option('voice') ?? 'mock';
if (VOICE !== 'mock' && VOICE !== 'espeak') {
  process.stderr.write(`--voice takes mock (the ElevenLabs mock) or espeak (the offline voice), got ${VOICE}\n`);
  process.exit(2);
}
const LEAK_CALLS = numberOption('leak-calls', 1000, 0);
const BREAKDOWN_CALLS = numberOption('breakdown-calls', 40, 0);
const JSON_OUT = args.includes('--json');
const AGENT_SOURCE = option('agent') ?? fileURLToPath(new URL('../agents/receptionist.yaml', import.meta.url));
const QUIET_MS = 3000;
const RAMP_MS = 2000;

const say = (line: string): void => void (JSON_OUT ? process.stderr : process.stdout).write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The server's processes: the cluster primary and its workers. */
function serverPids(server: ServeProcess): { all: number[]; workers: number[] } {
  const all = processTree(server.pid).filter((pid) => /node/.test(commandLine(pid)));
  return { all, workers: all.filter((pid) => commandLine(pid).includes('worker-main')) };
}

/** Server CPU at one progress report of the callers. */
interface ProgressSample extends PhaseProgress {
  readonly atMs: number;
  readonly cpuMs: number;
  /** The workers' main threads only. */
  readonly mainCpuMs: number;
}

/**
 * Splits the phase's server CPU into a steady rate per call-second (over the window where at least 80 % of the
 * calls have heard their greeting and at most 20 % have ended) and a fixed cost per call (connect, start,
 * greeting synthesis, hang-up, record): what the phase used beyond the steady rate, over N.
 */
function steadyCpu(
  samples: readonly ProgressSample[],
  calls: number,
  serverCpuMs: number,
  callSeconds: number,
): { steadyCpuMsPerCallSecond: number; steadyMainCpuMsPerCallSecond: number; setupCpuMsPerCall: number; steadySeconds: number } {
  const window = samples.filter((s) => s.greeted >= 0.8 * calls && s.ended <= 0.2 * calls);
  let callSecondsIn = 0;
  for (let i = 1; i < window.length; i++) callSecondsIn += ((window[i]!.atMs - window[i - 1]!.atMs) / 1000) * ((window[i]!.open + window[i - 1]!.open) / 2);
  const first = window[0];
  const last = window.at(-1);
  if (!first || !last || last.atMs - first.atMs < 1000) return { steadyCpuMsPerCallSecond: NaN, steadyMainCpuMsPerCallSecond: NaN, setupCpuMsPerCall: NaN, steadySeconds: 0 };
  const rate = (last.cpuMs - first.cpuMs) / callSecondsIn;
  return {
    steadyCpuMsPerCallSecond: rate,
    steadyMainCpuMsPerCallSecond: (last.mainCpuMs - first.mainCpuMs) / callSecondsIn,
    setupCpuMsPerCall: (serverCpuMs - rate * callSeconds) / calls,
    steadySeconds: (last.atMs - first.atMs) / 1000,
  };
}

/** Whether the server's /metrics answers (it times out when the cluster's aggregation does not reach its workers). */
let metricsAnswer = true;

async function metricsText(server: ServeProcess): Promise<string> {
  return metricsAnswer ? scrapeMetrics(server.url) : '';
}

async function runPhase(callers: Callers, server: ServeProcess, agent: BenchAgent, request: Omit<PhaseRequest, 'url'>): Promise<Omit<PhaseFigures, 'records'>> {
  const pids = serverPids(server);
  await probeWorkers(pids.workers, server.probeDir); // starts each worker's delay window (after a GC)
  const loadBefore = loadavg()[0]!;
  const before = { cpu: pids.all.map((pid) => cpuMs(pid) ?? 0), rss: sumOf(pids.workers, rssBytes), late: metricValue(await metricsText(server), 'voiceagent_late_outbound_frames_total') ?? 0 };
  let peakRss = before.rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, sumOf(pids.workers, rssBytes))), 250);
  const progress: ProgressSample[] = [];
  const result = await callers.run({ ...request, url: server.twilio }, (p) => progress.push({ atMs: performance.now(), cpuMs: sumOf(pids.all, cpuMs), mainCpuMs: sumOf(pids.workers, mainThreadCpuMs), ...p }));
  clearInterval(sampler);
  const cpuByPid = pids.all.map((pid, i) => (cpuMs(pid) ?? before.cpu[i]!) - before.cpu[i]!);
  const probes = await probeWorkers(pids.workers, server.probeDir);
  const loadAfter = loadavg()[0]!;
  const metrics = await metricsText(server);
  const serverCpuMs = cpuByPid.reduce((a, b) => a + b, 0);
  const { configured } = agent;
  const configuredMs = configured.endpointingMs + configured.transcriptionMs + configured.firstTokenMs + configured.firstAudioMs;
  return {
    calls: request.calls,
    callers: result,
    responseMinusConfiguredMs: summarize(result.responseMs.map((ms) => ms - configuredMs)),
    reactionMs: summarize(result.reactionMs),
    workerLag: probes.map((p) => ({ worker: p.worker, p99Ms: p.lagP99Ms, maxMs: p.lagMaxMs })),
    metricsLagP99Ms: (metricValue(metrics, 'voiceagent_nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1000,
    lateFrames: metrics ? (metricValue(metrics, 'voiceagent_late_outbound_frames_total') ?? 0) - before.late : NaN,
    serverCpuMs,
    workerCpuMs: pids.workers.map((pid) => cpuByPid[pids.all.indexOf(pid)]!),
    cpuMsPerCallSecond: serverCpuMs / result.callSeconds,
    ...steadyCpu(progress, request.calls, serverCpuMs, result.callSeconds),
    rssPerCallBytes: (peakRss - before.rss) / request.calls,
    peakRssBytes: peakRss,
    loadAverage: [loadBefore, loadAfter],
  };
}

/** Waves of short calls; RSS and heap after each quiet period, and their growth per 1,000 calls. */
async function leakCheck(callers: Callers, server: ServeProcess, total: number): Promise<LeakResult> {
  const wave = Math.min(250, total);
  const samples: Array<LeakResult['samples'][number]> = [];
  const sample = async (completed: number) => {
    await sleep(QUIET_MS);
    // Each worker collects its garbage first (the probe), then RSS and heap are read.
    const probes = await probeWorkers(serverPids(server).workers, server.probeDir);
    samples.push({ completed, rssBytes: probes.reduce((a, p) => a + p.rssBytes, 0), heapBytes: probes.reduce((a, p) => a + p.heapUsedBytes, 0) });
  };
  const runWave = (w: number, calls: number) =>
    callers.run({ url: server.twilio, label: `leak${w}`, calls, rampMs: 1000, holdMs: 2500, bargeInFromMs: 300, bargeInToMs: 900, greetingTimeoutMs: 20_000, seed: 1000 + w });
  // A first wave of the same size settles what the sweep's bigger phases left (pools, freed pages) before the baseline.
  say(`  leak check: a settling wave of ${wave} calls, then ${total} counted`);
  await runWave(0, wave);
  await sample(0);
  let completed = 0;
  for (let w = 1; completed < total; w++) {
    const calls = Math.min(wave, total - completed);
    const result = await runWave(w, calls);
    completed += calls - result.connectFailures;
    say(`  leak wave ${w}: ${calls} calls (${result.connectFailures} failed to connect)`);
    await sample(completed);
  }
  const slope = (key: 'rssBytes' | 'heapBytes') => {
    const xs = samples.map((s) => s.completed);
    const ys = samples.map((s) => s[key]);
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    const sxy = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0);
    const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    return sxx > 0 ? (sxy / sxx) * 1000 : NaN;
  };
  return { samples, rssGrowthPer1000Bytes: slope('rssBytes'), heapGrowthPer1000Bytes: slope('heapBytes') };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-serve-'));
  mkdirSync(join(dir, 'agents'));
  const dataDir = join(dir, 'data');
  let mock: Mocks | undefined;
  let server: ServeProcess | undefined;
  let callers: Callers | undefined;
  const started = performance.now();
  let succeeded = false;
  try {
    const transcript = 'Could you tell me your opening hours?';
    const mocksCpus = cpusOption('mocks-cpus');
    if (MODE === 'mocks') mock = await startMocks({ transcriptionMs: TRANSCRIPTION_MS, transcript, ...(VOICE === 'mock' ? { voice: { firstAudioMs: FIRST_AUDIO_MS, msPerChar: 40 } } : {}), ...(mocksCpus ? { cpus: mocksCpus } : {}) });
    const endpoints = mock && { sttBaseURL: mock.baseURL, transcriptionMs: TRANSCRIPTION_MS, ...(mock.elevenLabsBaseURL ? { voice: { baseURL: mock.elevenLabsBaseURL, firstAudioMs: FIRST_AUDIO_MS } } : {}) };
    const agent = writeBenchAgent(AGENT_SOURCE, dir, MODE, endpoints, option('echo'));
    let caFile: string | undefined;
    if (mock) writeFileSync((caFile = join(dir, 'mock-ca.pem')), mock.ca);
    const voice = VOICE === 'mock' ? `ElevenLabs mock first audio ${FIRST_AUDIO_MS} ms` : 'eSpeak voice';
    say(`bench:serve: ${MODE === 'mocks' ? `mock providers (transcription ${TRANSCRIPTION_MS} ms, scripted model ttft ${agent.spec.offline.ttftMs} ms, ${voice})` : 'serve --offline'}; ${WORKERS} workers; N = ${CALLS.join(', ')}; working in ${dir}`);
    const serverCpus = cpusOption('server-cpus');
    mkdirSync(join(dir, 'probe'));
    server = await startServe({ agent, workers: WORKERS, mode: MODE, dataDir, logFile: join(dir, 'serve.log'), probeDir: join(dir, 'probe'), ...(caFile ? { caFile } : {}), ...(serverCpus ? { cpus: serverCpus } : {}), nodeArgs: (option('server-node-args') ?? '').split(' ').filter(Boolean) });
    callers = startCallers(cpusOption('callers-cpus'));
    // A multi-worker /metrics answers with the workers' summed samples, or with a comment when the sum timed out.
    metricsAnswer = /^voiceagent_/m.test(await scrapeMetrics(server.url));
    if (!metricsAnswer) say('  note: /metrics gives no samples (the cluster sum timed out): worker figures come from the bench probe only');
    const script = { holdMs: HOLD_MS, bargeInFromMs: 300, bargeInToMs: 2000, greetingTimeoutMs: 30_000 };
    say('  warm-up: 20 calls (not counted)');
    await runPhase(callers, server, agent, { ...script, label: 'warm', calls: 20, rampMs: 500, holdMs: 3000, seed: 7 });
    const phases: PhaseFigures[] = [];
    for (const calls of CALLS) {
      await sleep(QUIET_MS);
      say(`  N = ${calls} ...`);
      const figures = await runPhase(callers, server, agent, { ...script, label: `n${calls}`, calls, rampMs: RAMP_MS, seed: calls });
      // A record is written as its call ends, just after the socket closed: give the last ones a moment.
      await sleep(1000);
      phases.push({ ...figures, records: readRecordFigures(dataDir, `n${calls}`) });
    }
    const leak = LEAK_CALLS > 0 ? await leakCheck(callers, server, LEAK_CALLS) : undefined;
    await server.stop();
    server = undefined;
    const mockCpuMs = mock ? cpuMs(mock.pid) : undefined;
    mock?.close();
    mock = undefined;
    callers.close();
    callers = undefined;
    let breakdown: BreakdownPart[] | undefined;
    if (BREAKDOWN_CALLS > 0 && phases.length > 0) {
      say('  CPU breakdown (in process) ...');
      const first = phases[0]!;
      const outboundFramesPerSecond = first.callers.counts.media / first.callers.callSeconds;
      breakdown = await measureBreakdown({ spec: agent.spec, outboundFramesPerSecond, sttUplink: MODE === 'mocks', voice: MODE === 'mocks' && VOICE === 'mock' ? 'elevenlabs' : 'espeak', sessionCalls: BREAKDOWN_CALLS });
    }
    const report: Report = { metricsAnswer, mode: MODE, voice: VOICE, workers: WORKERS, holdMs: HOLD_MS, agent: agent.spec.name, pauseAfterMs: agent.spec.bargeIn.pauseAfterMs, configured: agent.configured, phases, ...(leak ? { leak } : {}), ...(breakdown ? { breakdown } : {}), ...(mockCpuMs !== undefined ? { mockCpuMs } : {}), wallSeconds: (performance.now() - started) / 1000, dir };
    printReport(report, JSON_OUT);
    succeeded = true;
  } finally {
    await server?.stop(2000);
    mock?.close();
    callers?.close();
    // The agent file, server log and records stay only when asked for, or when the run failed (to see why).
    if (succeeded && !args.includes('--keep')) rmSync(dir, { recursive: true, force: true });
    else process.stderr.write(`bench:serve: agent, server log and call records kept in ${dir}\n`);
  }
}

await main();
process.exit(0);
