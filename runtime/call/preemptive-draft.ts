import type { ChatMessage, LlmCallFacts } from '../providers/types.js';
import type { ModelChoice } from './reply.js';
import { BufferedTokenStream } from './token-stream.js';

/**
 * Preemptive generation: an LLM request started on a stable partial before the endpoint is final. The reply
 * adopts it only if it asked exactly the same question; otherwise it is aborted.
 */
export class PreemptiveDraft {
  private draft: { text: string; profile: string; messages: readonly ChatMessage[]; stream: BufferedTokenStream } | undefined;

  /**
   * Starts a draft for `text` unless one for the same text is running. `now` (call time, ms) times its request
   * and first token, so a turn that keeps it records the model's real time to first token.
   */
  start(text: string, profile: string, messages: readonly ChatMessage[], choice: ModelChoice, facts: LlmCallFacts, now?: () => number): void {
    if (this.draft?.text === text) return;
    this.cancel();
    const stream = new BufferedTokenStream(choice.llm, { messages, model: choice.model, temperature: choice.temperature, maxOutputTokens: choice.maxOutputTokens, facts }, now);
    this.draft = { text, profile, messages, stream };
  }

  /**
   * For the committed turn: the draft's stream if it asked this same profile the same messages (same words,
   * same language instruction, same history), else none; `outcome` says what happened to a draft.
   */
  adopt(profile: string, messages: readonly ChatMessage[]): { stream?: BufferedTokenStream; outcome?: 'kept' | 'discarded' } {
    const draft = this.draft;
    if (!draft) return {};
    this.draft = undefined;
    if (draft.profile === profile && sameMessages(draft.messages, messages)) return { stream: draft.stream, outcome: 'kept' };
    draft.stream.abort();
    return { outcome: 'discarded' };
  }

  cancel(): void {
    this.draft?.stream.abort();
    this.draft = undefined;
  }
}

/** Same roles and contents (ignoring surrounding whitespace, which recognisers vary in). */
function sameMessages(a: readonly ChatMessage[], b: readonly ChatMessage[]): boolean {
  return a.length === b.length && a.every((m, i) => m.role === b[i]!.role && m.content.trim() === b[i]!.content.trim());
}
