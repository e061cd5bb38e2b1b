import type { ChatMessage } from '../providers/types.js';

/** One entry of the call transcript and of the LLM context. */
export interface ConversationEntry {
  readonly role: 'user' | 'assistant';
  /** For the assistant: exactly what the caller heard (truncated on interruption). */
  text: string;
  /** The assistant was cut off and `text` holds only the heard part; `cutBy` says why. */
  interrupted?: boolean;
  /**
   * What cut the reply short: the caller barging in, a provider failure mid-reply, or the call ending. The
   * model is told differently: after a barge-in it must answer the caller, after a failure it may finish
   * the point the caller never heard.
   */
  cutBy?: 'caller' | 'failure' | 'hangup';
  /** Full text the agent meant to say, kept for the record when interrupted. */
  intendedText?: string;
  readonly language: string;
  /** Call time (ms) when the entry started. */
  readonly atMs: number;
  /** The agent abandoned its reply to this user entry (the caller spoke again first). */
  unanswered?: boolean;
}

/** Note placed after an interrupted assistant message so the model neither repeats nor assumes it was heard. */
export const INTERRUPTION_NOTE =
  '[The caller interrupted the assistant here. The assistant message above is exactly what the caller heard; do not repeat it, answer the caller.]';

/** Note for a reply the caller interrupted before hearing any word of it. */
export const INTERRUPTED_UNHEARD_NOTE = '[The caller interrupted before hearing any of the assistant\'s reply.]';

/**
 * Note placed after an assistant message that broke off because a provider failed mid-reply. The caller did
 * not interrupt: they may still be waiting for the rest, so the model should not treat it as a barge-in.
 */
export const BROKEN_OFF_NOTE =
  '[The assistant\'s reply above broke off here because of a technical problem; the caller heard exactly the words above. Do not repeat them; if the rest still matters, finish the point briefly, then answer the caller.]';

/** Note for a reply that failed before the caller heard any word of it. */
export const BROKEN_OFF_UNHEARD_NOTE = '[A technical problem stopped the assistant\'s reply before the caller heard any of it.]';

/**
 * The conversation of one call. Holds what was said and heard; renders the LLM context with the system
 * prompt and the language instruction of the moment.
 */
export class Conversation {
  readonly entries: ConversationEntry[] = [];

  addUser(text: string, language: string, atMs: number): ConversationEntry {
    const entry: ConversationEntry = { role: 'user', text, language, atMs };
    this.entries.push(entry);
    return entry;
  }

  addAssistant(text: string, language: string, atMs: number): ConversationEntry {
    const entry: ConversationEntry = { role: 'assistant', text, language, atMs };
    this.entries.push(entry);
    return entry;
  }

  /** Messages for the model: system prompt (+ language instruction), then the conversation as heard. */
  toMessages(system: string): ChatMessage[] {
    const messages: ChatMessage[] = [{ role: 'system', content: system }];
    for (const entry of this.entries) {
      const empty = entry.text.trim() === '';
      const failed = entry.cutBy === 'failure';
      if (entry.role === 'assistant' && empty) {
        if (entry.interrupted) messages.push({ role: 'system', content: failed ? BROKEN_OFF_UNHEARD_NOTE : INTERRUPTED_UNHEARD_NOTE });
        continue;
      }
      messages.push({ role: entry.role, content: entry.text });
      if (entry.interrupted) messages.push({ role: 'system', content: failed ? BROKEN_OFF_NOTE : INTERRUPTION_NOTE });
    }
    return messages;
  }
}
