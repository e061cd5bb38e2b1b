/**
 * The one place retries, timeouts and metrics live, so provider adapters stay thin: wrap a LanguageModel with
 * {@link withResilience} and a TextToSpeech with {@link withTtsResilience}. Errors leave as {@link ProviderError}.
 */
import type { Clock } from '../util/clock.js';
import { ProviderError } from './errors.js';
import type { LanguageModel, LlmDelta, LlmRequest, TextToSpeech, TtsContext, TtsHooks } from './types.js';

/**
 * What a metric measures. `ttft`: ms from the request to the first token, retries included. `first-audio`: ms
 * from the first text pushed to the first audio. `error`: 1 per error (the error is attached). `retry`: the
 * number of the retry about to start (1 for the first). `tokens`: text deltas received in a reply.
 */
export type ProviderMetricKind = 'ttft' | 'first-audio' | 'error' | 'retry' | 'tokens';

/** One measurement reported to `onMetric`. */
export interface ProviderMetric {
  /** Provider id. */
  readonly provider: string;
  readonly kind: ProviderMetricKind;
  /** In the unit of its kind (see {@link ProviderMetricKind}). */
  readonly value: number;
  /** The error, for `error` metrics and the `retry` it causes. */
  readonly error?: ProviderError;
}

/** Options of {@link withResilience}. */
export interface LlmResilienceOptions {
  /** Times back-off and timeouts. */
  readonly clock: Clock;
  /** Retries of a request that failed with a retryable error BEFORE its first token. Default: 2. */
  readonly retries?: number;
  /** Back-off before the first retry, ms; it doubles for each next retry. Default: 100. */
  readonly backoffMs?: number;
  /** Per attempt: no first token within this many ms fails the attempt with a retryable `timeout`. Default: none. */
  readonly firstTokenTimeoutMs?: number;
  /** Receives every measurement; must not throw. */
  readonly onMetric?: (metric: ProviderMetric) => void;
}

/**
 * Wraps a language model with retries (only for retryable errors raised before the first token: after that,
 * the caller has already acted on the text), an optional first-token timeout, prompt abort even if the provider
 * ignores its signal, error normalisation and metrics.
 */
export function withResilience(llm: LanguageModel, options: LlmResilienceOptions): LanguageModel {
  const retries = options.retries ?? 2;
  const backoffMs = options.backoffMs ?? 100;
  if (!(Number.isInteger(retries) && retries >= 0)) throw new Error(`withResilience: retries must be a whole number >= 0 (got ${retries})`);
  if (!(backoffMs >= 0)) throw new Error(`withResilience: backoffMs must be >= 0 (got ${backoffMs})`);
  const { firstTokenTimeoutMs } = options;
  if (firstTokenTimeoutMs !== undefined && !(firstTokenTimeoutMs > 0)) {
    throw new Error(`withResilience: firstTokenTimeoutMs must be > 0 when set (got ${firstTokenTimeoutMs})`);
  }
  const settings: Settings = { llm, clock: options.clock, retries, backoffMs, firstTokenTimeoutMs, onMetric: options.onMetric ?? (() => {}) };
  return { id: llm.id, capabilities: llm.capabilities, stream: (request) => resilientStream(settings, request) };
}

interface Settings {
  readonly llm: LanguageModel;
  readonly clock: Clock;
  readonly retries: number;
  readonly backoffMs: number;
  readonly firstTokenTimeoutMs: number | undefined;
  readonly onMetric: (metric: ProviderMetric) => void;
}

/** An attempt that produced its first result. */
interface OpenedAttempt {
  readonly iterator: AsyncIterator<LlmDelta>;
  readonly controller: AbortController;
  readonly unlink: () => void;
  readonly first: IteratorResult<LlmDelta>;
}

async function* resilientStream(settings: Settings, request: LlmRequest): AsyncGenerator<LlmDelta, void, undefined> {
  const { llm, clock, onMetric } = settings;
  const provider = llm.id;
  const startedAtMs = clock.now();
  let opened: OpenedAttempt | undefined;
  for (let attempt = 0; !opened; attempt++) {
    try {
      opened = await openAttempt(settings, request);
      if (!opened) return; // aborted by the caller
    } catch (thrown) {
      if (request.signal.aborted) return;
      const error = ProviderError.from(provider, thrown);
      onMetric({ provider, kind: 'error', value: 1, error });
      if (!error.retryable || attempt >= settings.retries) throw error;
      onMetric({ provider, kind: 'retry', value: attempt + 1, error });
      if (!(await sleep(clock, settings.backoffMs * 2 ** attempt, request.signal))) return;
    }
  }
  const { iterator, controller, unlink, first } = opened;
  let tokens = 0;
  let complete = false;
  // After the first token there is no timeout, only the caller's abort: one listener for the whole stream
  // rather than a listener, a timer check and a promise per token.
  const abort = abortWaiter(request.signal);
  try {
    if (first.done) {
      complete = true;
      return;
    }
    onMetric({ provider, kind: 'ttft', value: clock.now() - startedAtMs });
    tokens++;
    yield first.value;
    for (;;) {
      const next = await abort.or(iterator.next());
      if (next === ABORTED) return;
      if (next.done) {
        complete = true;
        return;
      }
      tokens++;
      yield next.value;
    }
  } catch (thrown) {
    complete = true; // the provider's stream is over
    if (request.signal.aborted) return;
    const error = ProviderError.from(provider, thrown);
    onMetric({ provider, kind: 'error', value: 1, error });
    throw error;
  } finally {
    abort.dispose();
    unlink();
    // Consumer stopped early or caller aborted: release the provider's stream.
    if (!complete) abandon(iterator, controller);
    onMetric({ provider, kind: 'tokens', value: tokens });
  }
}

/** Starts one attempt and waits for its first result. Resolves undefined when the caller aborts; throws attempt errors. */
async function openAttempt(settings: Settings, request: LlmRequest): Promise<OpenedAttempt | undefined> {
  const { llm, clock, firstTokenTimeoutMs } = settings;
  if (request.signal.aborted) return undefined;
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(request.signal.reason);
  request.signal.addEventListener('abort', onAbort, { once: true });
  const unlink = (): void => request.signal.removeEventListener('abort', onAbort);
  let iterator: AsyncIterator<LlmDelta> | undefined;
  let outcome: RaceOutcome<IteratorResult<LlmDelta>>;
  try {
    iterator = llm.stream({ ...request, signal: controller.signal })[Symbol.asyncIterator]();
    outcome = await race(iterator.next(), clock, firstTokenTimeoutMs, request.signal);
  } catch (error) {
    unlink();
    if (iterator) abandon(iterator, controller);
    throw error;
  }
  if (outcome.kind === 'value') return { iterator, controller, unlink, first: outcome.value };
  unlink();
  abandon(iterator, controller);
  if (outcome.kind === 'aborted') return undefined;
  const message = `no first token within ${firstTokenTimeoutMs} ms; raise firstTokenTimeoutMs or check the provider`;
  throw new ProviderError({ provider: llm.id, kind: 'timeout', message, retryable: true });
}

/** Stops a provider stream we no longer read, without waiting for it and without leaking its rejections. */
function abandon(iterator: AsyncIterator<LlmDelta>, controller: AbortController): void {
  controller.abort();
  try {
    void iterator.return?.().catch(() => {});
  } catch {
    // A provider whose return() throws synchronously has nothing more to release.
  }
}

type RaceOutcome<T> = { readonly kind: 'value'; readonly value: T } | { readonly kind: 'timeout' } | { readonly kind: 'aborted' };

/** Waits for `promise`, a timeout on the clock, or the signal, whichever comes first. The loser is left handled. */
function race<T>(promise: Promise<T>, clock: Clock, timeoutMs: number | undefined, signal: AbortSignal): Promise<RaceOutcome<T>> {
  return new Promise((resolve, reject) => {
    let timer: unknown;
    const settle = (): void => {
      if (timer !== undefined) clock.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    function onAbort(): void {
      settle();
      resolve({ kind: 'aborted' });
    }
    promise.then(
      (value) => {
        settle();
        resolve({ kind: 'value', value });
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs === undefined) return;
    timer = clock.setTimeout(() => {
      settle();
      resolve({ kind: 'timeout' });
    }, timeoutMs);
  });
}

const ABORTED: unique symbol = Symbol('aborted');

/** Races promises against one abort signal, with a single listener however many promises it races. */
interface AbortWaiter {
  /** Settles like `promise`, or with {@link ABORTED} as soon as the signal aborts (the promise is left handled). */
  or<T>(promise: Promise<T>): Promise<T | typeof ABORTED>;
  dispose(): void;
}

function abortWaiter(signal: AbortSignal): AbortWaiter {
  let settle: ((value: typeof ABORTED) => void) | undefined;
  const onAbort = (): void => settle?.(ABORTED);
  signal.addEventListener('abort', onAbort, { once: true });
  return {
    or<T>(promise: Promise<T>): Promise<T | typeof ABORTED> {
      if (signal.aborted) {
        promise.catch(() => {});
        return Promise.resolve(ABORTED);
      }
      return new Promise<T | typeof ABORTED>((resolve, reject) => {
        settle = resolve;
        promise.then(resolve, (error: unknown) => (signal.aborted ? resolve(ABORTED) : reject(error)));
      });
    },
    dispose: () => signal.removeEventListener('abort', onAbort),
  };
}

/** Sleeps on the clock; false when the signal aborts first. */
function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
  return race(new Promise<void>(() => {}), clock, ms, signal).then((outcome) => outcome.kind === 'timeout');
}

/** Options of {@link withTtsResilience}. */
export interface TtsResilienceOptions {
  /** Measures first-audio latency and times `firstAudioTimeoutMs`. */
  readonly clock: Clock;
  /** No audio within this many ms of the first text fails the context with a retryable `timeout`. Default: none. */
  readonly firstAudioTimeoutMs?: number;
  /** Receives every measurement; must not throw. */
  readonly onMetric?: (metric: ProviderMetric) => void;
}

/**
 * Wraps a speech synthesiser: every error reaches `onError` as a {@link ProviderError} (thrown ones too, on a
 * microtask so the caller of `pushText` is never re-entered), no hook runs after `cancel()`, `onDone` or
 * `onError`, first-audio latency is reported, and an optional first-audio timeout cancels a silent context.
 * Errors thrown by `open()` itself are rethrown as ProviderError.
 */
export function withTtsResilience(tts: TextToSpeech, options: TtsResilienceOptions): TextToSpeech {
  const onMetric = options.onMetric ?? (() => {});
  const provider = tts.id;
  return {
    id: tts.id,
    capabilities: tts.capabilities,
    ...(tts.prewarm
      ? {
          prewarm: (target) => {
            try {
              tts.prewarm!(target);
            } catch (thrown) {
              // A failed warm-up costs the first utterance its head start, nothing more; open() reports the cause.
              onMetric({ provider, kind: 'error', value: 1, error: ProviderError.from(provider, thrown) });
            }
          },
        }
      : {}),
    open(openOptions, hooks) {
      const state: TtsGuardState = { closed: false, gotAudio: false };
      const guardedHooks = guardHooks(tts.id, options.clock, onMetric, hooks, state);
      let inner: TtsContext;
      try {
        inner = tts.open(openOptions, guardedHooks);
      } catch (thrown) {
        const error = ProviderError.from(provider, thrown);
        onMetric({ provider, kind: 'error', value: 1, error });
        throw error;
      }
      state.cancelInner = () => {
        try {
          inner.cancel();
        } catch {
          // Already failing; nothing more to release.
        }
      };
      const call = (fn: () => void): void => {
        if (state.closed) return;
        try {
          fn();
        } catch (thrown) {
          queueMicrotask(() => guardedHooks.onError(ProviderError.from(provider, thrown)));
        }
      };
      return {
        pushText(text) {
          if (!state.closed && state.firstTextAtMs === undefined && text.length > 0) startFirstAudioWatch(options, state, guardedHooks, provider);
          call(() => inner.pushText(text));
        },
        end() {
          call(() => inner.end());
        },
        cancel() {
          closeGuard(options.clock, state);
          state.cancelInner?.();
        },
      };
    },
  };
}

interface TtsGuardState {
  closed: boolean;
  gotAudio: boolean;
  firstTextAtMs?: number;
  timer?: unknown;
  cancelInner?: () => void;
}

function closeGuard(clock: Clock, state: TtsGuardState): void {
  state.closed = true;
  if (state.timer !== undefined) clock.clearTimeout(state.timer);
  state.timer = undefined;
}

function startFirstAudioWatch(options: TtsResilienceOptions, state: TtsGuardState, hooks: TtsHooks, provider: string): void {
  const { clock, firstAudioTimeoutMs } = options;
  state.firstTextAtMs = clock.now();
  if (firstAudioTimeoutMs === undefined) return;
  state.timer = clock.setTimeout(() => {
    state.timer = undefined;
    const message = `no audio within ${firstAudioTimeoutMs} ms of the first text; raise firstAudioTimeoutMs or check the provider`;
    hooks.onError(new ProviderError({ provider, kind: 'timeout', message, retryable: true }));
    state.cancelInner?.();
  }, firstAudioTimeoutMs);
}

function guardHooks(provider: string, clock: Clock, onMetric: (metric: ProviderMetric) => void, hooks: TtsHooks, state: TtsGuardState): TtsHooks {
  return {
    onAudio(chunk) {
      if (state.closed) return;
      if (!state.gotAudio) {
        state.gotAudio = true;
        if (state.timer !== undefined) clock.clearTimeout(state.timer);
        state.timer = undefined;
        onMetric({ provider, kind: 'first-audio', value: clock.now() - (state.firstTextAtMs ?? clock.now()) });
      }
      hooks.onAudio(chunk);
    },
    onDone() {
      if (state.closed) return;
      closeGuard(clock, state);
      hooks.onDone();
    },
    onError(thrown) {
      if (state.closed) return;
      closeGuard(clock, state);
      const error = ProviderError.from(provider, thrown);
      onMetric({ provider, kind: 'error', value: 1, error });
      hooks.onError(error);
    },
  };
}
