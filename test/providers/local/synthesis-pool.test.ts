// A server holds hundreds of calls on one event loop, and eSpeak NG synthesises a phrase synchronously (about
// 18 ms at p95): on that loop, every phrase would hold back every other call's 20 ms frames. So with the real
// clock the offline voice synthesises on a worker thread. These tests hold the worker path to the contract of
// the main-thread path: the same audio and alignment byte for byte, hooks only from the clock and never after
// cancel, and a crashed, stuck or unloadable thread reported to the contexts it affects, then replaced.
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderError } from '../../../runtime/providers/errors.js';
import { createLocalTts, createSynthesisPool, type LocalTts, type SynthesisPool } from '../../../runtime/providers/local/index.js';
import { spawnSynthesisWorker } from '../../../runtime/providers/local/synthesis-pool.js';
import type { TtsChunk, TtsContext } from '../../../runtime/providers/types.js';
import { createSimulatedClock } from '../../../runtime/util/clock.js';

interface Synthesis {
  readonly chunks: TtsChunk[];
  readonly log: string[];
  readonly error?: ProviderError;
}

interface Line {
  readonly parts: readonly string[];
  readonly voice: string;
  readonly sampleRate: number;
  readonly speed?: number;
}

const open = (tts: LocalTts, line: Line, hooks: Parameters<LocalTts['open']>[1]): TtsContext =>
  tts.open({ voice: line.voice, language: line.voice, sampleRate: line.sampleRate, speed: line.speed ?? 1 }, hooks);

/** Streams a line into a new context, ends it, and resolves on onDone or onError. */
function synthesise(tts: LocalTts, line: Line): Promise<Synthesis> {
  return new Promise((resolve) => {
    const chunks: TtsChunk[] = [];
    const log: string[] = [];
    const context = open(tts, line, {
      onAudio: (chunk) => {
        chunks.push(chunk);
        log.push('audio');
      },
      onDone: () => resolve({ chunks, log: [...log, 'done'] }),
      onError: (error) => resolve({ chunks, log: [...log, 'error'], error }),
    });
    for (const part of line.parts) context.pushText(part);
    context.end();
    log.push('ended'); // anything logged before this was called synchronously
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 5 ms, for at most `timeoutMs`. */
async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const startedAt = performance.now(); !condition() && performance.now() - startedAt < timeoutMs; ) await sleep(5);
}

/** A pool whose first thread runs `sabotage` on it as soon as it is asked for a phrase; later threads are real. */
function poolWithFirstThread(sabotage: (worker: Worker) => void, stallTimeoutMs?: number): SynthesisPool {
  let spawned = 0;
  return createSynthesisPool({
    ...(stallTimeoutMs ? { stallTimeoutMs } : {}),
    spawn: () => {
      const worker = spawnSynthesisWorker();
      if (spawned++ > 0) return worker;
      const post = worker.postMessage.bind(worker);
      worker.postMessage = (message: { type?: string }) => (message.type === 'phrase' ? sabotage(worker) : post(message));
      return worker;
    },
  });
}

const lines: readonly Line[] = [
  { parts: ['Hello there. How can I help you today?'], voice: 'en-us', sampleRate: 8000 },
  { parts: ['Hel', 'lo the', 're.', ' How can', ' I help you', ' to', 'day?'], voice: 'en-us', sampleRate: 8000 },
  { parts: ['Bonjour, comment puis-je vous aider ?'], voice: 'fr-fr', sampleRate: 16000 },
  { parts: ['你好，我能帮你什么？'], voice: 'cmn', sampleRate: 24000 },
  { parts: ['Your table for four is booked for eight tonight, under the name of Smith.'], voice: 'en-gb', sampleRate: 16000, speed: 1.5 },
];

let pool: SynthesisPool;
let onWorker: LocalTts;
let onMain: LocalTts;
beforeAll(async () => {
  pool = createSynthesisPool();
  [onWorker, onMain] = await Promise.all([createLocalTts({ pool }), createLocalTts({ thread: 'main' })]);
});
afterAll(() => pool.close());

describe('createLocalTts on a synthesis thread', () => {
  it('gives the same audio and alignment as on the main thread, byte for byte', async () => {
    expect(onWorker.voices).toEqual(onMain.voices);
    for (const line of lines) {
      const [worker, main] = await Promise.all([synthesise(onWorker, line), synthesise(onMain, line)]);
      expect(worker.error).toBeUndefined();
      expect(worker.log[0]).toBe('ended'); // no hook ran inside pushText or end
      expect(worker.chunks.length).toBeGreaterThan(0);
      expect(worker.chunks.map((chunk) => chunk.alignment)).toEqual(main.chunks.map((chunk) => chunk.alignment));
      worker.chunks.forEach((chunk, index) => expect(Buffer.from(chunk.pcm.buffer).equals(Buffer.from(main.chunks[index]!.pcm.buffer))).toBe(true));
    }
  });

  it('stops at once on cancel: after the first audio, while a phrase is synthesised, and while it waits its turn', async () => {
    const log: string[] = [];
    const long = 'This is a long answer. It has several sentences, and many clauses. Nobody will hear the end of it.';
    const first = open(onWorker, { parts: [], voice: 'en-us', sampleRate: 8000 }, {
      onAudio: () => {
        log.push('audio');
        first.cancel();
      },
      onDone: () => log.push('done'),
      onError: () => log.push('error'),
    });
    first.pushText(long);
    first.end();
    // Many contexts at once: the thread takes two at a time, the rest wait in the pool's queue; all are cancelled.
    const silent = Array.from({ length: 8 }, () => {
      const context = open(onWorker, { parts: [], voice: 'en-us', sampleRate: 8000 }, { onAudio: () => log.push('silent audio'), onDone: () => log.push('silent done'), onError: () => log.push('silent error') });
      context.pushText(long);
      context.end();
      return context;
    });
    await sleep(5); // their first phrases are asked for, some already on the thread
    for (const context of silent) context.cancel();
    await waitFor(() => log.length > 0);
    await sleep(300); // long enough for every phrase asked for to come back
    expect(log).toEqual(['audio']);
    // The thread is free again: a new context speaks.
    expect((await synthesise(onWorker, lines[0]!)).log.at(-1)).toBe('done');
  });

  it('delivers every hook from the injected clock: a simulated clock hears nothing until it moves', async () => {
    const clock = createSimulatedClock();
    const tts = await createLocalTts({ clock, thread: 'worker', pool });
    const log: string[] = [];
    const context = tts.open({ voice: 'en-us', language: 'en', sampleRate: 8000, speed: 1 }, { onAudio: () => log.push('audio'), onDone: () => log.push('done'), onError: () => log.push('error') });
    context.pushText('Hello there.');
    context.end();
    await waitFor(() => clock.pending() > 0); // the thread has resolved the voice: a step waits for the clock
    await sleep(100);
    expect(log).toEqual([]);
    for (let step = 0; step < 1000 && log.at(-1) !== 'done'; step++) {
      clock.advance(0);
      await sleep(2);
    }
    expect(log[0]).toBe('audio');
    expect(log.at(-1)).toBe('done');
  });

  it('stays on the calling thread with a simulated clock, so a simulated call needs no await', async () => {
    const clock = createSimulatedClock();
    const tts = await createLocalTts({ clock });
    const log: string[] = [];
    const context = tts.open({ voice: 'en-us', language: 'en', sampleRate: 8000, speed: 1 }, { onAudio: () => log.push('audio'), onDone: () => log.push('done'), onError: () => log.push('error') });
    context.pushText('Hello there. How can I help you today?');
    context.end();
    for (let step = 0; step < 100 && log.at(-1) !== 'done'; step++) clock.advance(0);
    expect(log.filter((entry) => entry === 'audio').length).toBeGreaterThan(1);
    expect(log.at(-1)).toBe('done');
  });
});

describe('createSynthesisPool', () => {
  it('reports a crashed thread to the context whose phrase it held, and replaces the thread', async () => {
    const crashing = poolWithFirstThread((worker) => void worker.terminate());
    try {
      const tts = await createLocalTts({ pool: crashing });
      const crashed = await synthesise(tts, lines[0]!);
      expect(crashed.log).toEqual(['ended', 'error']);
      expect(crashed.error).toMatchObject({ provider: 'local-espeak', kind: 'server', retryable: true });
      expect(crashed.error?.message).toMatch(/synthesis thread stopped \(exit code 1\); a new thread takes the next phrases/);
      const after = await synthesise(tts, lines[0]!);
      expect(after.error).toBeUndefined();
      expect(after.log.at(-1)).toBe('done');
      expect(crashing.started).toBe(2);
    } finally {
      await crashing.close();
    }
  });

  it('terminates and replaces a thread that holds a phrase past the stall timeout', async () => {
    // Far above a phrase's synthesis time, even on a busy machine, so the replacement thread is not taken for stuck.
    const stuck = poolWithFirstThread(() => {}, 1500);
    try {
      const tts = await createLocalTts({ pool: stuck });
      const startedAt = performance.now();
      const stalled = await synthesise(tts, lines[0]!);
      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(1490);
      expect(stalled.error?.message).toMatch(/no answer for 1500 ms/);
      expect(stalled.error?.retryable).toBe(true);
      expect((await synthesise(tts, lines[0]!)).log.at(-1)).toBe('done');
    } finally {
      await stuck.close();
    }
  });

  it('fails with a ProviderError that says what to do when a thread cannot load eSpeak NG, and tries again later', async () => {
    let attempts = 0;
    const broken = createSynthesisPool({
      spawn: () => (attempts++ === 0 ? new Worker('throw new Error("espeak-ng.data is missing")', { eval: true }) : spawnSynthesisWorker()),
    });
    try {
      const failed = await createLocalTts({ pool: broken }).then(
        () => undefined,
        (error: ProviderError) => error,
      );
      expect(failed).toMatchObject({ name: 'ProviderError', provider: 'local-espeak', kind: 'server', retryable: false });
      expect(failed?.message).toMatch(/could not load eSpeak NG .*\(espeak-ng\.data is missing\); reinstall dependencies with npm install/);
      const tts = await createLocalTts({ pool: broken });
      expect((await synthesise(tts, lines[0]!)).log.at(-1)).toBe('done');
    } finally {
      await broken.close();
    }
  });

  it('ends work not yet answered as cancelled when closed', async () => {
    const closing = createSynthesisPool();
    const tts = await createLocalTts({ pool: closing });
    const pending = synthesise(tts, lines[0]!);
    await closing.close();
    const result = await pending;
    expect(result.error?.kind).toBe('cancelled');
    await expect(closing.ready()).rejects.toMatchObject({ kind: 'cancelled' });
  });
});
