// Shared by the provider tests: drains an async stream in the background, recording when each item arrived.
import type { LlmDelta } from '../../../runtime/providers/types.js';
import type { Clock } from '../../../runtime/util/clock.js';

export interface Consumption {
  readonly items: Array<{ readonly token: string; readonly atMs: number }>;
  readonly text: () => string;
  error: unknown;
  done: boolean;
  readonly finished: Promise<void>;
}

export function consume(stream: AsyncIterable<LlmDelta | string>, clock: Clock): Consumption {
  const items: Array<{ token: string; atMs: number }> = [];
  const state: { error: unknown; done: boolean } = { error: undefined, done: false };
  const finished = (async () => {
    try {
      for await (const token of stream) if (typeof token === 'string') items.push({ token, atMs: clock.now() });
    } catch (error) {
      state.error = error;
    }
    state.done = true;
  })();
  return {
    items,
    text: () => items.map((item) => item.token).join(''),
    get error() {
      return state.error;
    },
    get done() {
      return state.done;
    },
    finished,
  };
}
