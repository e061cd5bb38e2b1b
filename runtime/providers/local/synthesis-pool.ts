/**
 * eSpeak NG on worker threads, so a phrase's synchronous synthesis (a few ms, ~18 ms at p95) never holds up the
 * event loop that paces every call's 20 ms frames. The pool owns `size` threads (default 1 per process), each
 * with its own eSpeak module. Requests queue here in order and go to the least busy ready thread, at most
 * {@link MAX_IN_FLIGHT} per thread, so a request cancelled while queued (a barge-in) costs the thread nothing.
 *
 * Failures stay with the work they touch: a thread that crashes, or holds a request past `stallTimeoutMs`, fails
 * the requests it held with a retryable ProviderError and is replaced at once; a thread that cannot load eSpeak
 * fails the waiting requests with a non-retryable one, and the next request tries again.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ProviderError } from '../errors.js';
import type { LocalVoice } from './espeak-engine.js';
import { LOCAL_TTS_ID, synthesisFailed, type PhraseOutcome, type PhraseSynthesiser, type VoiceOutcome } from './phrase-synthesis.js';
import { SYNTHESIS_WORKER_ROLE, type FromSynthesisWorker, type ToSynthesisWorker } from './synthesis-messages.js';

/** Requests a thread holds at once: one being synthesised, one waiting in its port so it never idles. */
const MAX_IN_FLIGHT = 2;
const DEFAULT_STALL_TIMEOUT_MS = 10_000;

/** Options of {@link createSynthesisPool}. */
export interface SynthesisPoolOptions {
  /** Synthesis threads; each loads its own eSpeak NG (~25 MB of voice data). Default: 1. */
  readonly size?: number;
  /** A thread holding a request this long without answering is deemed stuck: terminated and replaced, ms. Default: 10000. */
  readonly stallTimeoutMs?: number;
  /** Starts one synthesis thread. Default: {@link spawnSynthesisWorker}. Tests pass threads that fail on purpose. */
  readonly spawn?: () => Worker;
}

/** eSpeak NG on worker threads, shared by every synthesis context that uses it. */
export interface SynthesisPool extends PhraseSynthesiser {
  /** Starts the threads if needed; resolves with eSpeak's voices once one has loaded it, rejects with a ProviderError when none can. */
  ready(): Promise<readonly LocalVoice[]>;
  /** Threads started so far, replacements included. */
  readonly started: number;
  /** Stops every thread; requests not answered yet end with a `cancelled` ProviderError. The pool cannot be used again. */
  close(): Promise<void>;
}

interface Job {
  readonly message: ToSynthesisWorker;
  /** Calls the requester once; later calls (and calls after cancel) do nothing. */
  settle(answer: FromSynthesisWorker | ProviderError): void;
  cancelled: boolean;
}

interface Thread {
  readonly worker: Worker;
  ready: boolean;
  /** Requests posted to the thread and not answered yet, by id (cancelled ones too: the thread still works on them). */
  readonly inFlight: Map<number, Job>;
  /** Why the thread stopped, when known before its exit (an uncaught error, a stall). */
  reason?: string;
  stallTimer?: NodeJS.Timeout;
}

interface Waiter {
  resolve(voices: readonly LocalVoice[]): void;
  reject(error: ProviderError): void;
}

const nothingToCancel = (): void => {};

/** Creates a pool of synthesis threads. Threads start on first use (`ready()` or a request), not here. */
export function createSynthesisPool(options: SynthesisPoolOptions = {}): SynthesisPool {
  const size = options.size ?? 1;
  const stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  if (!(Number.isInteger(size) && size >= 1)) throw new Error(`createSynthesisPool: size must be a whole number >= 1 (got ${size})`);
  if (!(stallTimeoutMs > 0)) throw new Error(`createSynthesisPool: stallTimeoutMs must be > 0 (got ${stallTimeoutMs})`);
  const spawn = options.spawn ?? spawnSynthesisWorker;
  const threads = new Set<Thread>();
  const queue: Job[] = [];
  const waiters: Waiter[] = [];
  const voiceCache = new Map<string, string | undefined>();
  let voices: readonly LocalVoice[] | undefined;
  let nextId = 1;
  let started = 0;
  let closed = false;
  let closing: Promise<void> | undefined;

  /** Fails everything waiting for a thread, when no thread is left to take it. */
  const failWaiting = (error: ProviderError): void => {
    for (const job of queue.splice(0)) job.settle(error);
    for (const waiter of waiters.splice(0)) waiter.reject(error);
  };

  function start(): void {
    while (!closed && threads.size < size) {
      let worker: Worker;
      try {
        worker = spawn();
      } catch (error) {
        if (threads.size === 0) failWaiting(loadFailed(error instanceof Error ? error.message : String(error)));
        return;
      }
      const thread: Thread = { worker, ready: false, inFlight: new Map() };
      started++;
      threads.add(thread);
      worker.on('message', (message: FromSynthesisWorker) => onMessage(thread, message));
      worker.on('error', (error: unknown) => (thread.reason ??= error instanceof Error ? error.message : String(error)));
      worker.on('exit', (code) => onExit(thread, code));
    }
  }

  function onMessage(thread: Thread, message: FromSynthesisWorker): void {
    if (message.type === 'ready') {
      thread.ready = true;
      voices ??= message.voices;
      for (const waiter of waiters.splice(0)) waiter.resolve(message.voices);
    } else {
      const job = thread.inFlight.get(message.id);
      thread.inFlight.delete(message.id);
      armStallTimer(thread);
      job?.settle(message);
    }
    dispatch();
  }

  function onExit(thread: Thread, code: number): void {
    threads.delete(thread);
    clearTimeout(thread.stallTimer);
    if (closed) return; // close() has settled everything
    const reason = thread.reason ?? `exit code ${code}`;
    if (thread.ready) {
      const error = new ProviderError({ provider: LOCAL_TTS_ID, kind: 'server', retryable: true, message: `the synthesis thread stopped (${reason}); a new thread takes the next phrases` });
      for (const job of thread.inFlight.values()) job.settle(error);
      start();
    } else if (threads.size === 0) {
      failWaiting(loadFailed(reason)); // not restarted here: a broken install would fail again at once
    }
    dispatch();
  }

  function armStallTimer(thread: Thread): void {
    clearTimeout(thread.stallTimer);
    if (thread.inFlight.size === 0) return;
    thread.stallTimer = setTimeout(() => {
      thread.reason = `no answer for ${stallTimeoutMs} ms`;
      void thread.worker.terminate();
    }, stallTimeoutMs).unref();
  }

  function dispatch(): void {
    for (let thread = leastBusy(); thread && queue.length > 0; thread = leastBusy()) {
      const job = queue.shift() as Job;
      thread.inFlight.set(job.message.id, job);
      if (thread.inFlight.size === 1) armStallTimer(thread);
      thread.worker.postMessage(job.message);
    }
    updateRefs();
  }

  function leastBusy(): Thread | undefined {
    let best: Thread | undefined;
    for (const thread of threads) {
      if (thread.ready && thread.inFlight.size < MAX_IN_FLIGHT && (!best || thread.inFlight.size < best.inFlight.size)) best = thread;
    }
    return best;
  }

  /** Threads keep the process alive only while work or a caller waits on them: an idle pool never holds it open. */
  function updateRefs(): void {
    const waiting = queue.length > 0 || waiters.length > 0;
    for (const thread of threads) {
      if (thread.inFlight.size > 0 || (!thread.ready && waiting)) thread.worker.ref();
      else thread.worker.unref();
    }
  }

  function submit(message: ToSynthesisWorker, settle: (answer: FromSynthesisWorker | ProviderError) => void): () => void {
    if (closed) {
      settle(closedError());
      return nothingToCancel;
    }
    const job: Job = {
      message,
      cancelled: false,
      settle(answer) {
        if (job.cancelled) return;
        job.cancelled = true;
        settle(answer);
      },
    };
    queue.push(job);
    start();
    dispatch();
    return () => {
      job.cancelled = true;
      const at = queue.indexOf(job);
      if (at >= 0) queue.splice(at, 1);
      updateRefs();
    };
  }

  return {
    get started() {
      return started;
    },
    ready() {
      if (closed) return Promise.reject(closedError());
      const known = voices;
      const loaded = known ? Promise.resolve(known) : new Promise<readonly LocalVoice[]>((resolve, reject) => waiters.push({ resolve, reject }));
      start();
      updateRefs();
      return loaded;
    },
    resolveVoice(voice, language, done: (outcome: VoiceOutcome) => void) {
      const key = `${voice}\u0000${language}`;
      if (voiceCache.has(key)) {
        done({ voice: voiceCache.get(key) });
        return nothingToCancel;
      }
      return submit({ type: 'resolve', id: nextId++, voice, language }, (answer) => {
        if (answer instanceof ProviderError) return done({ error: answer });
        if (answer.type !== 'resolved') return done({ error: failedAnswer(answer) });
        voiceCache.set(key, answer.voice);
        done({ voice: answer.voice });
      });
    },
    synthesise(request, done: (outcome: PhraseOutcome) => void) {
      return submit({ type: 'phrase', id: nextId++, request }, (answer) => {
        if (answer instanceof ProviderError) return done({ error: answer });
        if (answer.type !== 'phrase') return done({ error: failedAnswer(answer) });
        done({ chunks: answer.chunks });
      });
    },
    close() {
      if (closing) return closing;
      closed = true;
      const error = closedError();
      failWaiting(error);
      for (const thread of threads) {
        clearTimeout(thread.stallTimer);
        for (const job of thread.inFlight.values()) job.settle(error);
      }
      closing = Promise.all([...threads].map((thread) => thread.worker.terminate())).then(() => undefined);
      return closing;
    },
  };
}

function loadFailed(reason: string): ProviderError {
  return new ProviderError({
    provider: LOCAL_TTS_ID,
    kind: 'server',
    retryable: false,
    message: `could not load eSpeak NG from @echogarden/espeak-ng-emscripten in a synthesis thread (${reason}); reinstall dependencies with npm install`,
  });
}

function closedError(): ProviderError {
  return new ProviderError({ provider: LOCAL_TTS_ID, kind: 'cancelled', message: 'the synthesis pool was closed' });
}

function failedAnswer(answer: FromSynthesisWorker): ProviderError {
  return synthesisFailed(new Error(answer.type === 'failed' ? answer.message : `unexpected answer "${answer.type}" from the synthesis thread`));
}

/**
 * Starts one synthesis thread running `synthesis-worker`: the compiled `.js` beside this file (from `dist/`);
 * from sources (vitest, `node --import tsx`), the `.ts` file with tsx registered inside the thread first,
 * because Node 20 does not run a worker's TypeScript entry through its parent's `--import tsx` hooks.
 */
export function spawnSynthesisWorker(): Worker {
  const here = import.meta.url;
  const workerData = { role: SYNTHESIS_WORKER_ROLE };
  if (!here.endsWith('.ts')) return new Worker(new URL('./synthesis-worker.js', here), { workerData });
  const entry = new URL('./synthesis-worker.ts', here).href;
  const bootstrap = `import(${JSON.stringify(tsxEsmApi(here))}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/** URL of tsx's ESM register API, found through tsx's own exports map (its CommonJS twin registers a wrong path in a worker). */
function tsxEsmApi(from: string): string {
  const require = createRequire(from);
  const manifestPath = require.resolve('tsx/package.json');
  const manifest = require(manifestPath) as { exports?: Record<string, { import?: { default?: string } } | undefined> };
  const target = manifest.exports?.['./esm/api']?.import?.default;
  if (target === undefined) throw new Error(`tsx at ${manifestPath} has no ESM register API ("./esm/api"); run from dist/ (npm run build) or update tsx`);
  return pathToFileURL(join(dirname(manifestPath), target)).href;
}

let shared: SynthesisPool | undefined;

/**
 * The process's pool, shared by every call in it: made on first use with `VOICEAGENT_TTS_THREADS` threads
 * (default 1; `serve --workers N` already runs one process per core, each with its own pool).
 */
export function sharedSynthesisPool(): SynthesisPool {
  shared ??= createSynthesisPool({ size: threadsFromEnv(process.env.VOICEAGENT_TTS_THREADS) });
  return shared;
}

function threadsFromEnv(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 1;
  const threads = Number(value);
  if (!(Number.isInteger(threads) && threads >= 1)) throw new Error(`VOICEAGENT_TTS_THREADS must be a whole number >= 1 (got "${value}"); unset it for one synthesis thread per process`);
  return threads;
}
