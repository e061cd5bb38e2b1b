/**
 * Time, injected everywhere (DESIGN.md: "everything injected"). Compatible with XState's `clock` option, so
 * one clock drives statechart delays, playout pacing and provider fakes.
 */
export interface Clock {
  /** Milliseconds on this clock's time line. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Wall-clock time (monotonic `performance.now()`). */
export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A clock that only moves when told to: whole calls run in milliseconds of real time, deterministically. */
export interface SimulatedClock extends Clock {
  /** Moves time forward by `ms`, firing due timers in time order (timers they schedule fire too if due). */
  advance(ms: number): void;
  /** Advances in `stepMs` steps, calling `onStep` before each step (e.g. to push a 20 ms audio frame). */
  run(totalMs: number, stepMs: number, onStep?: (nowMs: number) => void): void;
  /** Timers not yet fired. */
  pending(): number;
}

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

/** Creates a {@link SimulatedClock} starting at `startMs`. */
export function createSimulatedClock(startMs = 0): SimulatedClock {
  let now = startMs;
  let nextId = 1;
  let seq = 0;
  const timers = new Map<number, Timer>();
  const nextDue = (until: number): Timer | undefined => {
    let best: Timer | undefined;
    for (const timer of timers.values()) {
      if (timer.at <= until && (!best || timer.at < best.at || (timer.at === best.at && timer.seq < best.seq))) best = timer;
    }
    return best;
  };
  const clock: SimulatedClock = {
    now: () => now,
    setTimeout(fn, ms) {
      const id = nextId++;
      timers.set(id, { id, at: now + Math.max(0, ms), seq: seq++, fn });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      const target = now + ms;
      for (let timer = nextDue(target); timer; timer = nextDue(target)) {
        timers.delete(timer.id);
        now = Math.max(now, timer.at);
        timer.fn();
      }
      now = target;
    },
    run(totalMs, stepMs, onStep) {
      for (let elapsed = 0; elapsed < totalMs; elapsed += stepMs) {
        onStep?.(now);
        clock.advance(stepMs);
      }
    },
    pending: () => timers.size,
  };
  return clock;
}
