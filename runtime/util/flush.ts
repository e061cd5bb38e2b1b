import type { SimulatedClock } from './clock.js';

/**
 * Lets every pending promise continuation run. Under a simulated clock, timers fire synchronously inside
 * `advance()`, but the async code they wake (a `for await` consumer, a retry loop) continues in microtasks;
 * await this after advancing to observe the effect. One `setImmediate` turn runs after the whole microtask
 * queue has drained, including microtasks queued by microtasks; a few turns also cover `process.nextTick`
 * chains and promise-based I/O stubs.
 */
export async function flushMicrotasks(): Promise<void> {
  for (let turn = 0; turn < 3; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Advances a simulated clock by `totalMs` in `stepMs` steps, flushing microtasks after each step, so async
 * code that schedules its next timer from a continuation (retry back-off, a consumer pacing itself) keeps
 * exact time. Default step: 1 ms.
 */
export async function advanceAndFlush(clock: SimulatedClock, totalMs: number, stepMs = 1): Promise<void> {
  if (!(stepMs > 0)) throw new Error(`advanceAndFlush: stepMs must be > 0 (got ${stepMs})`);
  await flushMicrotasks();
  for (let elapsedMs = 0; elapsedMs < totalMs; elapsedMs += stepMs) {
    clock.advance(Math.min(stepMs, totalMs - elapsedMs));
    await flushMicrotasks();
  }
}
