import type { ConversationEntry } from './conversation.js';

/** What cut an agent reply short (see {@link ConversationEntry.cutBy}). */
export type CutBy = NonNullable<ConversationEntry['cutBy']>;

/**
 * The one place an agent's reply is cut to what the caller heard: the entry keeps exactly the heard words,
 * remembers what it meant to say, and says what cut it. The model's next context, the call record and every
 * view read the cut from here.
 */
export function cutToHeard(entry: ConversationEntry, cut: { readonly fullText: string; readonly heardText: string; readonly cutBy: CutBy }): void {
  entry.intendedText = cut.fullText;
  entry.text = cut.heardText;
  entry.interrupted = true;
  entry.cutBy = cut.cutBy;
}
