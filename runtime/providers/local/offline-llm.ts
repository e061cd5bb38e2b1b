/**
 * The offline scripted "language model": it plays the agent's `offline:` section (reply rules on intents,
 * language, turn and transcript; slot capture; a default reply) and streams the chosen reply as tokens with
 * realistic timing. A simulation of the agent's flow for keyless runs, not a language model: it understands
 * nothing beyond the keywords and patterns the agent file declares.
 */
import { conditionHolds, detectIntents, localize } from '../../dsl/index.js';
import type { AgentSpec, LocalizedText } from '../../dsl/index.js';
import type { Clock } from '../../util/clock.js';
import { createPacedStream, type PacedValue } from '../simulation/paced-stream.js';
import { splitIntoTokens } from '../llm-deltas.js';
import type { ChatMessage, LanguageModel, LlmDelta, LlmRequest } from '../types.js';

/** Provider id of the offline scripted model. */
export const OFFLINE_LLM_ID = 'local-offline';

/** Options of {@link createOfflineLlm}. */
export interface OfflineLlmOptions {
  /** Drives the reply timing (`offline.ttftMs`, `offline.tokensPerSecond`); a simulated clock in simulations. */
  readonly clock: Clock;
}

/** A slot capture rule from some reply's `capture`, compiled once. */
interface Capture {
  readonly slot: string;
  readonly pattern: RegExp;
}

/** What the offline model decided to say for one request. */
export interface OfflineReplyChoice {
  /** The reply text, localized and with its `{slot}` placeholders filled. */
  readonly text: string;
  /** Index of the `offline.replies` rule that answered; -1 for `offline.default`. */
  readonly rule: number;
  readonly hangup: boolean;
}

/** The offline scripted model, which can also say what it would answer without streaming. */
export interface OfflineLlm extends LanguageModel {
  /** Picks the reply to a request, as `stream()` does. */
  choose(request: Pick<LlmRequest, 'messages' | 'facts'>): OfflineReplyChoice;
}

/**
 * Creates the offline scripted model of an agent. Stateless: each request is answered from its own messages.
 * The last user message is the caller's turn; language and turn come from `request.facts` (default: the agent's
 * default language and the number of user messages). Slots are captured from every user message of the request
 * with every reply's `capture` patterns (case-insensitive; first group or whole match; later values win). The
 * first reply whose `when` holds answers, else `offline.default`; `{slot}` placeholders are filled, an uncaptured
 * slot is left out. Tokens come `offline.ttftMs` after the request, then `offline.tokensPerSecond`, on `clock`; a
 * reply with `hangup: true` ends with an `end-call` control. Aborting the request ends the stream at once.
 */
export function createOfflineLlm(spec: AgentSpec, options: OfflineLlmOptions): OfflineLlm {
  const { ttftMs, tokensPerSecond } = spec.offline;
  if (!(ttftMs >= 0)) throw new Error(`createOfflineLlm: offline.ttftMs must be >= 0 (got ${ttftMs})`);
  if (!(tokensPerSecond > 0)) throw new Error(`createOfflineLlm: offline.tokensPerSecond must be > 0 (got ${tokensPerSecond})`);
  const captures = compileCaptures(spec);
  const intervalMs = 1000 / tokensPerSecond;
  const choose = (request: Pick<LlmRequest, 'messages' | 'facts'>): OfflineReplyChoice => chooseReply(spec, captures, request);
  return {
    id: OFFLINE_LLM_ID,
    capabilities: { streaming: true },
    choose,
    stream(request) {
      const { text, hangup } = choose(request);
      const values: PacedValue<LlmDelta>[] = splitIntoTokens(text).map((value, index) => ({ delayMs: index === 0 ? ttftMs : intervalMs, value }));
      // The control follows the last token at once (or comes at ttftMs when there is no text).
      if (hangup) values.push({ ...(values.length === 0 ? { delayMs: ttftMs } : {}), value: { type: 'end-call' } });
      return createPacedStream({ clock: options.clock, signal: request.signal, plan: { values, end: values.length === 0 ? { delayMs: ttftMs } : {} } });
    },
  };
}

function compileCaptures(spec: AgentSpec): Capture[] {
  return spec.offline.replies.flatMap((reply, index) =>
    Object.entries(reply.capture ?? {}).map(([slot, source]) => {
      try {
        return { slot, pattern: new RegExp(source, 'gi') };
      } catch (error) {
        throw new Error(`agent ${spec.name}: offline.replies[${index}].capture.${slot} is not a valid regular expression (${(error as Error).message}); fix it in the agent file`);
      }
    }),
  );
}

function chooseReply(spec: AgentSpec, captures: readonly Capture[], request: Pick<LlmRequest, 'messages' | 'facts'>): OfflineReplyChoice {
  const userMessages = request.messages.filter((message) => message.role === 'user');
  const transcript = userMessages.at(-1)?.content ?? '';
  const language = request.facts?.language ?? spec.languages.default;
  const facts = { transcript, language, turn: request.facts?.turn ?? userMessages.length };
  const intents = detectIntents(spec, transcript);
  const rule = spec.offline.replies.findIndex((reply) => conditionHolds(reply.when, facts, intents));
  const reply = spec.offline.replies[rule];
  const say = localizeFor(reply?.say ?? spec.offline.default, language, spec.languages.default);
  return { text: fillSlots(say, captureSlots(captures, userMessages)), rule, hangup: reply?.hangup ?? false };
}

/** The text in `language`, trying its primary subtag (`fr` for `fr-CA`) before the agent's default language. */
function localizeFor(text: LocalizedText, language: string, defaultLanguage: string): string {
  const primary = language.split(/[-_]/)[0] ?? language;
  const key = typeof text === 'string' || language in text ? language : primary;
  return localize(text, key, defaultLanguage) ?? '';
}

/** Slot values from the caller's messages, oldest first, so later values win (the last match within a message too). */
function captureSlots(captures: readonly Capture[], userMessages: readonly ChatMessage[]): Map<string, string> {
  const slots = new Map<string, string>();
  for (const message of userMessages) {
    for (const { slot, pattern } of captures) {
      for (const match of message.content.matchAll(pattern)) {
        const value = (match[1] ?? match[0]).trim();
        if (value !== '') slots.set(slot, value);
      }
    }
  }
  return slots;
}

/** Fills `{slot}` placeholders; an uncaptured slot is left out with the space before it ("unit {unit}." -> "unit."). */
function fillSlots(text: string, slots: ReadonlyMap<string, string>): string {
  return text.replace(/(\s?)\{([A-Za-z][A-Za-z0-9_-]*)\}/g, (_, space: string, slot: string) => {
    const value = slots.get(slot);
    return value === undefined ? '' : space + value;
  }).trim();
}
