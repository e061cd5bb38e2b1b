/**
 * A stream whose values come on an injected clock, for the simulated language models (the test fake and the
 * offline scripted model): values are produced from clock timers into a queue the consumer pulls from, and the
 * stream stops promptly, without throwing, when its AbortSignal fires.
 */
import type { Clock } from '../../util/clock.js';

/**
 * One value and when it comes: `delayMs` after the previous value (the first: after the stream starts). Omitted:
 * at once, in the same step as the previous value; 0: on a 0 ms timer (later, at the same clock time).
 */
export interface PacedValue<T> {
  readonly delayMs?: number;
  readonly value: T;
}

/** What a paced stream produces, and how it ends. */
export interface PacedPlan<T, E extends Error = Error> {
  readonly values: readonly PacedValue<T>[];
  /**
   * After the last value: end normally, or throw `error`, `delayMs` later (omitted: at once). `stall`: never
   * end until aborted or the consumer stops. Default: end normally at once.
   */
  readonly end?: { readonly delayMs?: number; readonly error?: E } | 'stall';
}

/** What happened to a paced stream, for callers that record it. All optional. */
export interface PacedStreamHooks<T, E extends Error = Error> {
  /** A value was produced (on the clock), whether or not the consumer has read it yet. */
  onProduced?(value: T): void;
  /** The consumer received a value. */
  onDelivered?(value: T): void;
  /** The plan's error was produced. */
  onFailed?(error: E): void;
  /** The signal aborted the stream before it had delivered everything. */
  onAborted?(): void;
  /** Production stopped (last value, error, abort, or the consumer stopped); called once. */
  onFinished?(): void;
}

/** Options of {@link createPacedStream}. */
export interface PacedStreamOptions<T, E extends Error = Error> {
  readonly clock: Clock;
  /** Ends the stream at once (no throw) and drops values not yet read. */
  readonly signal: AbortSignal;
  readonly plan: PacedPlan<T, E>;
  readonly hooks?: PacedStreamHooks<T, E>;
}

/**
 * Starts producing `plan` on `clock` and returns the consumer's iterator. Each delayed step is a timer scheduled
 * from the previous step's callback, so times stay exact under a simulated clock however far it is advanced.
 */
export function createPacedStream<T, E extends Error = Error>(options: PacedStreamOptions<T, E>): AsyncIterableIterator<T> {
  const { clock, signal, plan, hooks = {} } = options;
  type Item = { readonly value: T } | { readonly error: Error };
  const queue: Item[] = [];
  let producing = true;
  let consumerDone = false;
  let timer: unknown;
  let waiter: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | undefined;

  const finish = (): void => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    if (!producing) return;
    producing = false;
    hooks.onFinished?.();
  };
  const closeConsumer = (): void => {
    consumerDone = true;
    signal.removeEventListener('abort', onAbort);
  };
  const settleDone = (): void => {
    const pending = waiter;
    waiter = undefined;
    pending?.resolve({ value: undefined, done: true });
  };
  /** Hands an item to the consumer: a value, or (thrown) the error that ends the stream. */
  const take = (item: Item): IteratorResult<T> => {
    if ('error' in item) {
      closeConsumer();
      throw item.error;
    }
    hooks.onDelivered?.(item.value);
    return { value: item.value, done: false };
  };
  const deliver = (item: Item): void => {
    if (!waiter) return void queue.push(item);
    const pending = waiter;
    waiter = undefined;
    try {
      pending.resolve(take(item));
    } catch (error) {
      pending.reject(error);
    }
  };
  function onAbort(): void {
    if (consumerDone || (!producing && queue.length === 0)) return;
    hooks.onAborted?.();
    queue.length = 0;
    finish();
    closeConsumer();
    settleDone();
  }

  const after = (delayMs: number | undefined, step: () => void): void => {
    if (delayMs === undefined) return step();
    timer = clock.setTimeout(() => {
      timer = undefined;
      step();
    }, delayMs);
  };
  const end = (): void => {
    if (plan.end === 'stall') return; // only an abort (or the consumer stopping) ends it
    const error = plan.end?.error;
    if (error) hooks.onFailed?.(error);
    finish();
    if (error) deliver({ error });
    else if (queue.length === 0) settleDone();
  };
  const endDelayMs = plan.end === 'stall' ? undefined : plan.end?.delayMs;
  const delayBefore = (index: number): number | undefined => {
    const value = plan.values[index];
    return value ? value.delayMs : endDelayMs;
  };
  const produce = (index: number): void => {
    const next = plan.values[index];
    if (!next) return end();
    hooks.onProduced?.(next.value);
    deliver({ value: next.value });
    after(delayBefore(index + 1), () => produce(index + 1));
  };

  if (signal.aborted) {
    hooks.onAborted?.();
    finish();
    closeConsumer();
  } else {
    signal.addEventListener('abort', onAbort, { once: true });
    after(delayBefore(0), () => produce(0));
  }

  const iterator: AsyncIterableIterator<T> = {
    next() {
      if (consumerDone) return Promise.resolve({ value: undefined, done: true });
      const item = queue.shift();
      if (item) {
        try {
          return Promise.resolve(take(item));
        } catch (error) {
          return Promise.reject(error);
        }
      }
      if (!producing) {
        closeConsumer();
        return Promise.resolve({ value: undefined, done: true });
      }
      return new Promise((resolve, reject) => (waiter = { resolve, reject }));
    },
    return() {
      closeConsumer();
      queue.length = 0;
      finish();
      settleDone();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
