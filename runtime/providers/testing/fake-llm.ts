/**
 * A language model for tests: answers from a table, streams word tokens on an injected clock, honours the
 * request's AbortSignal, fails on demand and records every request.
 */
import { splitIntoTokens } from '../llm-deltas.js';
import type { Clock } from '../../util/clock.js';
import { ProviderError } from '../errors.js';
import { createPacedStream, type PacedPlan } from '../simulation/paced-stream.js';
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
  /**
   * Earlier requests to this fake still streaming when this one started: a hedged request running beside its
   * primary, or a superseded request not yet aborted.
   */
  readonly streamingAtStart: number;
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
        streamingAtStart: requests.filter((earlier) => earlier.endedAtMs === undefined).length,
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

/** Turns the reply plan and an injected failure into the paced values and ending of the stream. */
function pacedPlanOf(setup: StreamSetup): PacedPlan<string, ProviderError> {
  const { plan, failure, ttftMs, intervalMs } = setup;
  const injected = (message: string): ProviderError => new ProviderError({ provider: setup.id, kind: 'server', message, retryable: failure?.retryable ?? true });
  if ('error' in plan) return { values: [], end: { error: plan.error } };
  if (failure?.kind === 'stall') return { values: [], end: 'stall' };
  if (failure?.kind === 'error-before-first-token') return { values: [], end: { delayMs: ttftMs, error: injected('injected failure before the first token') } };
  const values = plan.tokens.map((value, index) => ({ delayMs: index === 0 ? ttftMs : intervalMs, value }));
  if (values.length === 0) return { values, end: { delayMs: ttftMs } };
  if (failure?.kind !== 'error-mid-stream') return { values };
  // The injected failure comes when the next token would have.
  const failAt = Math.max(1, Math.floor(values.length / 2));
  return { values: values.slice(0, failAt), end: { delayMs: intervalMs, error: injected(`injected failure mid-stream after ${failAt} tokens`) } };
}

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

/** Streams the planned reply on the clock, recording first-token and end times, the text read, aborts and errors. */
function startStream(setup: StreamSetup): AsyncIterableIterator<string> {
  const { clock, record } = setup;
  return createPacedStream({
    clock,
    signal: setup.request.signal,
    plan: pacedPlanOf(setup),
    hooks: {
      onProduced: () => void (record.firstTokenAtMs ??= clock.now()),
      onDelivered: (token) => void (record.text += token),
      onFailed: (error) => void (record.error = error),
      onAborted: () => void (record.aborted = true),
      onFinished: () => void (record.endedAtMs ??= clock.now()),
    },
  });
}

export { splitIntoTokens };
