/**
 * A language model for tests: answers from a table, streams word tokens on an injected clock, honours the
 * request's AbortSignal, fails on demand and records every request.
 */
import type { Clock } from '../../util/clock.js';
import { ProviderError } from '../errors.js';
import type { ChatMessage, LanguageModel, LlmRequest } from '../types.js';

/** How to choose a reply: a case-insensitive substring or a pattern of the last user message, or a predicate on all messages. */
export type FakeLlmMatch = string | RegExp | ((messages: readonly ChatMessage[]) => boolean);

/** One row of the reply table; the first matching row wins. */
export interface FakeLlmReply {
  readonly match: FakeLlmMatch;
  /** The full reply text; it is streamed as word tokens. */
  readonly reply: string;
}

/** A failure injected into one request. */
export interface FakeLlmFailure {
  /** 0-based index of the request (counting every `stream()` call) that fails. */
  readonly request: number;
  /**
   * `error-before-first-token`: throws when the first token would have come (after `ttftMs`).
   * `error-mid-stream`: yields the first half of the tokens (at least one), then throws.
   * `stall`: never yields and never ends, until aborted.
   */
  readonly kind: 'error-before-first-token' | 'error-mid-stream' | 'stall';
  /** Whether the thrown {@link ProviderError} is retryable. Default: true. */
  readonly retryable?: boolean;
}

/** Options of {@link createFakeLlm}. */
export interface FakeLlmOptions {
  /** Drives all timing; use `createSimulatedClock()` in tests. */
  readonly clock: Clock;
  /** Reply table, tried in order. */
  readonly replies: readonly FakeLlmReply[];
  /** Reply when no row matches. Without it, an unmatched request throws a non-retryable `bad-request` ProviderError. */
  readonly defaultReply?: string;
  /** Time to first token, in milliseconds. Default: 100. */
  readonly ttftMs?: number;
  /** Tokens per second after the first. Default: 50 (one every 20 ms). */
  readonly tokensPerSecond?: number;
  /** Failures to inject, by request index. */
  readonly failures?: readonly FakeLlmFailure[];
  /** Provider id. Default: `fake-llm`. */
  readonly id?: string;
}

/** What the fake recorded about one request. */
export interface FakeLlmRequestRecord {
  /** A copy of the request's messages. */
  readonly messages: readonly ChatMessage[];
  readonly model: string;
  /** Clock time of the `stream()` call, ms. */
  readonly startedAtMs: number;
  /** Clock time the first token was produced, ms. */
  firstTokenAtMs?: number;
  /** Clock time the stream ended (last token, error, abort, or the consumer stopped), ms. */
  endedAtMs?: number;
  /** True when the request's signal aborted the stream. */
  aborted: boolean;
  /** The tokens the consumer received, concatenated. */
  text: string;
  /** The error the stream threw, if any. */
  error?: ProviderError;
}

/** A {@link LanguageModel} for tests, with what it recorded. */
export interface FakeLlm extends LanguageModel {
  /** Every request, in `stream()` call order. */
  readonly requests: readonly FakeLlmRequestRecord[];
}

/**
 * Splits text into word tokens that keep their leading spaces: "Hello there." -> "Hello", " there", ".".
 * The tokens concatenated equal the text exactly.
 */
export function splitIntoTokens(text: string): string[] {
  return text.match(/\s*(?:[\p{L}\p{N}\p{M}'’]+|[^\s\p{L}\p{N}\p{M}])|\s+$/gu) ?? [];
}

/** Creates a {@link FakeLlm}. Throws at once on invalid timing options. */
export function createFakeLlm(options: FakeLlmOptions): FakeLlm {
  const id = options.id ?? 'fake-llm';
  const ttftMs = options.ttftMs ?? 100;
  const tokensPerSecond = options.tokensPerSecond ?? 50;
  if (!(ttftMs >= 0)) throw new Error(`createFakeLlm: ttftMs must be >= 0 (got ${ttftMs})`);
  if (!(tokensPerSecond > 0)) throw new Error(`createFakeLlm: tokensPerSecond must be > 0 (got ${tokensPerSecond})`);
  const requests: FakeLlmRequestRecord[] = [];
  return {
    id,
    capabilities: { streaming: true },
    requests,
    stream(request) {
      const index = requests.length;
      const record: FakeLlmRequestRecord = {
        messages: request.messages.map((message) => ({ ...message })),
        model: request.model,
        startedAtMs: options.clock.now(),
        aborted: false,
        text: '',
      };
      requests.push(record);
      const failure = options.failures?.find((candidate) => candidate.request === index);
      const plan = planReply(id, options, request.messages);
      return startStream({ clock: options.clock, id, record, request, plan, failure, ttftMs, intervalMs: 1000 / tokensPerSecond });
    },
  };
}

type ReplyPlan = { readonly tokens: readonly string[] } | { readonly error: ProviderError };

function planReply(id: string, options: FakeLlmOptions, messages: readonly ChatMessage[]): ReplyPlan {
  const lastUser = [...messages].reverse().find((message) => message.role === 'user')?.content ?? '';
  const row = options.replies.find(({ match }) => {
    if (typeof match === 'string') return lastUser.toLowerCase().includes(match.toLowerCase());
    if (match instanceof RegExp) return new RegExp(match.source, match.flags.replace('g', '')).test(lastUser);
    return match(messages);
  });
  const reply = row?.reply ?? options.defaultReply;
  if (reply !== undefined) return { tokens: splitIntoTokens(reply) };
  const message = `no reply matches the last user message ${JSON.stringify(lastUser)}; add a row to 'replies' or set 'defaultReply'`;
  return { error: new ProviderError({ provider: id, kind: 'bad-request', message, retryable: false }) };
}

type Item = { readonly token: string } | { readonly error: ProviderError };

interface StreamSetup {
  readonly clock: Clock;
  readonly id: string;
  readonly record: FakeLlmRequestRecord;
  readonly request: LlmRequest;
  readonly plan: ReplyPlan;
  readonly failure: FakeLlmFailure | undefined;
  readonly ttftMs: number;
  readonly intervalMs: number;
}

/**
 * Produces tokens from clock timers (each timer schedules the next from its callback, so times are exact under
 * a simulated clock however far it is advanced) into a queue the consumer pulls from.
 */
function startStream(setup: StreamSetup): AsyncIterableIterator<string> {
  const { clock, record, request } = setup;
  const queue: Item[] = [];
  let producing = true;
  let consumerDone = false;
  let timer: unknown;
  let waiter: { resolve: (result: IteratorResult<string>) => void; reject: (error: unknown) => void } | undefined;

  const finish = (): void => {
    producing = false;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    record.endedAtMs ??= clock.now();
  };
  const closeConsumer = (): void => {
    consumerDone = true;
    request.signal.removeEventListener('abort', onAbort);
  };
  const settleDone = (): void => {
    const pending = waiter;
    waiter = undefined;
    pending?.resolve({ value: undefined, done: true });
  };
  const deliver = (item: Item): void => {
    if (!waiter) return void queue.push(item);
    const pending = waiter;
    waiter = undefined;
    if ('token' in item) {
      record.text += item.token;
      pending.resolve({ value: item.token, done: false });
    } else {
      closeConsumer();
      pending.reject(item.error);
    }
  };
  const fail = (retryable: boolean, message: string): void => {
    const error = new ProviderError({ provider: setup.id, kind: 'server', message, retryable });
    record.error = error;
    finish();
    deliver({ error });
  };
  function onAbort(): void {
    if (consumerDone || (!producing && queue.length === 0)) return;
    record.aborted = true;
    queue.length = 0;
    finish();
    closeConsumer();
    settleDone();
  }

  const schedule = (delayMs: number, fn: () => void): void => {
    timer = clock.setTimeout(() => {
      timer = undefined;
      fn();
    }, delayMs);
  };
  const complete = (): void => {
    finish();
    if (queue.length === 0) settleDone();
  };
  // The reply ends with its last token; an injected mid-stream failure comes when the next token would have.
  const emitFrom = (tokens: readonly string[], position: number, failAt: number | undefined): void => {
    if (failAt !== undefined && position >= failAt) return fail(setup.failure?.retryable ?? true, `injected failure mid-stream after ${failAt} tokens`);
    record.firstTokenAtMs ??= clock.now();
    deliver({ token: tokens[position] as string });
    if (failAt === undefined && position + 1 === tokens.length) return complete();
    schedule(setup.intervalMs, () => emitFrom(tokens, position + 1, failAt));
  };

  if (request.signal.aborted) {
    record.aborted = true;
    finish();
    closeConsumer();
  } else {
    request.signal.addEventListener('abort', onAbort, { once: true });
    const { plan, failure } = setup;
    if ('error' in plan) {
      record.error = plan.error;
      finish();
      queue.push({ error: plan.error });
    } else if (failure?.kind === 'stall') {
      // Never schedules anything: only an abort (or the consumer stopping) ends it.
    } else if (failure?.kind === 'error-before-first-token') {
      schedule(setup.ttftMs, () => fail(failure.retryable ?? true, 'injected failure before the first token'));
    } else {
      const failAt = failure?.kind === 'error-mid-stream' ? Math.max(1, Math.floor(plan.tokens.length / 2)) : undefined;
      schedule(setup.ttftMs, () => (plan.tokens.length === 0 ? complete() : emitFrom(plan.tokens, 0, failAt)));
    }
  }

  const iterator: AsyncIterableIterator<string> = {
    next() {
      if (consumerDone) return Promise.resolve({ value: undefined, done: true });
      const item = queue.shift();
      if (item && 'token' in item) {
        record.text += item.token;
        return Promise.resolve({ value: item.token, done: false });
      }
      if (item) {
        closeConsumer();
        return Promise.reject(item.error);
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
