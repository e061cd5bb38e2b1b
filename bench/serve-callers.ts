/*
 * bench:serve's load generator: a child process that places N simulated Twilio calls (bench/serve-caller.ts)
 * on a `voiceagent serve` and reports what the callers measured. It runs apart from the orchestrator (which
 * samples /proc and /metrics) and may be pinned with taskset, so the callers' own work is seen and can be kept
 * off the server's cores.
 *
 * One shared ticker (every 4 ms) drives every caller: each sends the chunks that are due on its own 20 ms
 * grid, which starts when its socket opened, so the calls' frames are spread over the 20 ms as real calls'
 * are rather than sent in one burst. The caller's line is base64-encoded once, from the espeak-ng fixture
 * test/fixtures/audio/speech-en-female.wav at 40-1900 ms ("Could you tell me your opening hours?").
 */
import { seededRandom } from '../runtime/sim/noise.js';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { encodeMulaw } from '../runtime/audio/g711.js';
import { readWav } from '../runtime/audio/wav.js';
import { BenchCaller, type CallerCount, type CallerScript, type CallerSink } from './serve-caller.js';
import { summarize, type Summary } from './stats.js';

/** One phase: N calls placed over `rampMs`. */
export interface PhaseRequest {
  /** `ws://HOST:PORT/twilio/AGENT`. */
  readonly url: string;
  /** Names the calls (`callSid`), so records can be told apart. */
  readonly label: string;
  readonly calls: number;
  readonly rampMs: number;
  readonly holdMs: number;
  readonly bargeInFromMs: number;
  readonly bargeInToMs: number;
  readonly greetingTimeoutMs: number;
  readonly seed: number;
}

/** What the callers of a phase measured. */
export interface PhaseResult {
  readonly label: string;
  readonly calls: number;
  readonly connectFailures: number;
  /** Sum over calls of socket open -> closed, s. */
  readonly callSeconds: number;
  readonly wallMs: number;
  readonly jitterMs: Summary;
  readonly reactionMs: readonly number[];
  readonly responseMs: readonly number[];
  readonly greetingWaitMs: Summary;
  readonly sendLagMs: Summary;
  readonly counts: Readonly<Record<CallerCount, number>>;
  /** The load generator's own CPU over the phase, ms, and its event-loop delay p99, ms. */
  readonly callersCpuMs: number;
  readonly callersLoopP99Ms: number;
}

/** How far a phase has got, sent every 250 ms while it runs. */
export interface PhaseProgress {
  readonly type: 'progress';
  /** Sockets open and not hung up. */
  readonly open: number;
  /** Calls that have heard their greeting's first frame. */
  readonly greeted: number;
  /** Calls over (socket closed, or never opened). */
  readonly ended: number;
}

/** The load generator process. */
export interface Callers {
  readonly pid: number;
  /** Runs a phase; `onProgress` is called with each progress report. */
  run(phase: PhaseRequest, onProgress?: (progress: PhaseProgress) => void): Promise<PhaseResult>;
  close(): void;
}

/** Forks the load generator (under `taskset -c cpus` when given). */
export function startCallers(cpus: string | undefined): Callers {
  const file = fileURLToPath(import.meta.url);
  const stdio: ['ignore', 'inherit', 'inherit', 'ipc'] = ['ignore', 'inherit', 'inherit', 'ipc'];
  const child: ChildProcess =
    cpus === undefined
      ? fork(file, ['--callers'], { execArgv: process.execArgv, stdio, serialization: 'advanced' })
      : spawn('taskset', ['-c', cpus, process.execPath, ...process.execArgv, file, '--callers'], { stdio, serialization: 'advanced' });
  child.on('error', (error) => {
    process.stderr.write(`bench:serve: could not start the callers (${error.message})${cpus !== undefined ? '; --callers-cpus needs taskset (util-linux)' : ''}\n`);
    process.exit(1);
  });
  let waiting: { resolve(result: PhaseResult): void; reject(error: Error): void; onProgress?: (progress: PhaseProgress) => void } | undefined;
  child.on('message', (message) => {
    if ((message as PhaseProgress).type === 'progress') waiting?.onProgress?.(message as PhaseProgress);
    else waiting?.resolve(message as PhaseResult);
  });
  child.on('exit', (code) => waiting?.reject(new Error(`the callers process exited (code ${code})`)));
  return {
    pid: child.pid!,
    run: (phase, onProgress) => new Promise((resolve, reject) => ((waiting = { resolve, reject, ...(onProgress ? { onProgress } : {}) }), child.send(phase))),
    close: () => child.disconnect(),
  };
}

/** The caller's line and silence, base64 per 20 ms chunk. */
function loadScriptAudio(): { silence: string; speech: string[] } {
  const path = fileURLToPath(new URL('../test/fixtures/audio/speech-en-female.wav', import.meta.url));
  const { sampleRate, channels } = readWav(readFileSync(path), path);
  if (sampleRate !== 8000) throw new Error(`${path} is ${sampleRate} Hz; bench:serve needs the 8 kHz fixture`);
  const line = encodeMulaw(channels[0]!.slice(40 * 8, 1900 * 8));
  const speech: string[] = [];
  for (let at = 0; at + 160 <= line.length; at += 160) speech.push(Buffer.from(line.subarray(at, at + 160)).toString('base64'));
  return { silence: Buffer.from(encodeMulaw(new Int16Array(160))).toString('base64'), speech };
}


/** A growable list of numbers (hundreds of thousands of jitter samples without boxing). */
class Samples {
  private data = new Float64Array(4096);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }
  values(): number[] {
    return Array.from(this.data.subarray(0, this.length));
  }
}

/** Places a phase's calls and resolves once every socket has closed. */
async function runPhase(request: PhaseRequest, audio: { silence: string; speech: string[] }): Promise<PhaseResult> {
  const jitter = new Samples();
  const sendLag = new Samples();
  const greetingWait: number[] = [];
  const reaction: number[] = [];
  const response: number[] = [];
  const counts: Record<CallerCount, number> = { media: 0, marks: 0, clears: 0, 'no-greeting': 0, 'barge-in-after-greeting': 0, 'no-clear': 0, 'no-reply': 0, 'closed-by-server': 0, protocol: 0 };
  const sink: CallerSink = {
    jitterMs: (v) => jitter.push(v),
    reactionMs: (v) => reaction.push(v),
    responseMs: (v) => response.push(v),
    greetingWaitMs: (v) => greetingWait.push(v),
    sendLagMs: (v) => sendLag.push(v),
    count: (what) => counts[what]++,
  };
  const script: CallerScript = { ...audio, holdMs: request.holdMs, bargeInFromMs: request.bargeInFromMs, bargeInToMs: request.bargeInToMs, greetingTimeoutMs: request.greetingTimeoutMs };
  const random = seededRandom(request.seed);
  const active = new Set<BenchCaller>();
  let finished = 0;
  let connectFailures = 0;
  let callSeconds = 0;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpuStart = process.cpuUsage();
  const startedAt = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    for (const caller of active) caller.tick(now);
  }, 4);
  const progress = setInterval(() => process.send?.({ type: 'progress', open: active.size, greeted: greetingWait.length, ended: finished } satisfies PhaseProgress), 250);
  await new Promise<void>((resolve) => {
    const settle = (): void => {
      if (++finished === request.calls) resolve();
    };
    for (let i = 0; i < request.calls; i++) {
      setTimeout(() => place(i, settle), (i * request.rampMs) / request.calls);
    }
    // A phase that cannot finish (a wedged server) is cut short rather than hung.
    const deadlineMs = request.rampMs + request.greetingTimeoutMs + request.holdMs + 20_000;
    setTimeout(() => {
      for (const caller of active) caller.hangUp();
      setTimeout(resolve, 2000);
    }, deadlineMs).unref();
  });
  function place(i: number, settle: () => void): void {
    const sid = `${request.label}-${String(i).padStart(5, '0')}`;
    const socket = new WebSocket(request.url, { perMessageDeflate: false });
    const caller = new BenchCaller(socket, `MZ${sid}`, `CA${sid}`, script, sink, random);
    let openedAt: number | undefined;
    socket.on('open', () => {
      openedAt = performance.now();
      caller.begin(openedAt);
      active.add(caller);
    });
    socket.on('error', () => {
      if (openedAt === undefined) connectFailures++;
    });
    socket.on('close', () => {
      active.delete(caller);
      if (openedAt !== undefined) {
        caller.closedByServer();
        callSeconds += (performance.now() - openedAt) / 1000;
      }
      settle();
    });
  }
  clearInterval(ticker);
  clearInterval(progress);
  const cpu = process.cpuUsage(cpuStart);
  loop.disable();
  return {
    label: request.label,
    calls: request.calls,
    connectFailures,
    callSeconds,
    wallMs: performance.now() - startedAt,
    jitterMs: summarize(jitter.values()),
    reactionMs: reaction,
    responseMs: response,
    greetingWaitMs: summarize(greetingWait),
    sendLagMs: summarize(sendLag.values()),
    counts,
    callersCpuMs: (cpu.user + cpu.system) / 1000,
    callersLoopP99Ms: loop.percentile(99) / 1e6,
  };
}

if (process.argv.includes('--callers')) {
  const audio = loadScriptAudio();
  process.on('message', (request) => void runPhase(request as PhaseRequest, audio).then((result) => process.send?.(result)));
  process.on('disconnect', () => process.exit(0));
}
