/**
 * The client's copy of the message items in a Realtime conversation, and the edits that make the server's
 * conversation hold exactly the messages the runtime says were said and heard.
 *
 * Why: in dualplex mode the model writes text and our own TTS speaks it, so after a barge-in the server still
 * holds the whole reply while the caller heard only its start. `conversation.item.truncate` only cuts audio,
 * so the assistant item is replaced instead: `conversation.item.delete`, then `conversation.item.create` of the
 * heard text at the same place (`previous_item_id`). The next response then sees what the caller heard.
 *
 * Items we create get ids we choose (the API accepts client ids), so the copy is updated at once, without
 * waiting for the server's echo. Committed audio gets its id from the server (`input_audio_buffer.committed`);
 * until then it is a placeholder that matches any user message.
 */
import type { ConversationItemCreateEvent, RealtimeClientEvent } from 'openai/resources/realtime/realtime';
import type { ChatMessage } from '../types.js';

/** A message item as the client knows it. */
export interface MirrorItem {
  id: string;
  readonly role: ChatMessage['role'];
  /** Text (or audio transcript); undefined while unknown (audio not transcribed yet, truncated audio). */
  text: string | undefined;
  /** Committed audio whose server id has not arrived yet. */
  placeholder?: boolean;
  /** A placeholder the client already decided to delete once its id is known. */
  deleteWhenKnown?: boolean;
}

/** The fields of a GA conversation item that matter here. */
export interface ItemLike {
  readonly id?: unknown;
  readonly type?: unknown;
  readonly role?: unknown;
  readonly content?: unknown;
}

const normalise = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** Text of an item's content parts: text, or the transcript of audio; undefined when audio has none yet. */
export function itemText(item: ItemLike): string | undefined {
  if (!Array.isArray(item.content)) return undefined;
  let text = '';
  for (const part of item.content as Array<{ type?: unknown; text?: unknown; transcript?: unknown }>) {
    if (typeof part?.text === 'string') text += part.text;
    else if (typeof part?.transcript === 'string') text += part.transcript;
    else if (part?.type === 'input_audio' || part?.type === 'output_audio') return undefined;
  }
  return text;
}

function isRole(role: unknown): role is MirrorItem['role'] {
  return role === 'user' || role === 'assistant' || role === 'system';
}

/** The client's copy of the conversation's message items, in order. */
export class ConversationMirror {
  readonly items: MirrorItem[] = [];
  /** Our commits not yet answered by `input_audio_buffer.committed`, oldest first. */
  private readonly pendingCommits: MirrorItem[] = [];

  constructor(private readonly newId: () => string) {}

  /** `conversation.item.added` / `.created`: a new item at `previous_item_id` (null: first; unknown: end). */
  added(item: ItemLike, previousItemId: unknown): void {
    if (item.type !== 'message' || typeof item.id !== 'string' || !isRole(item.role)) return;
    if (this.indexOf(item.id) >= 0) return;
    const entry: MirrorItem = { id: item.id, role: item.role, text: itemText(item) };
    if (entry.role === 'assistant' && entry.text === undefined) entry.text = '';
    this.insertAfter(entry, previousItemId);
  }

  /** `conversation.item.done`: the item's final content. Returns nothing to send. */
  done(item: ItemLike): void {
    if (typeof item.id !== 'string') return;
    const entry = this.items[this.indexOf(item.id)];
    const text = itemText(item);
    if (entry && text !== undefined) entry.text = text;
  }

  /** The client committed audio: a placeholder user item until the server names it. */
  commitSent(): void {
    const entry: MirrorItem = { id: `(committed ${this.newId()})`, role: 'user', text: undefined, placeholder: true };
    this.items.push(entry);
    this.pendingCommits.push(entry);
  }

  /** The client's commit failed (`error` in reply): drop the oldest placeholder. */
  commitFailed(): void {
    const entry = this.pendingCommits.shift();
    const index = entry ? this.items.indexOf(entry) : -1;
    if (index >= 0) this.items.splice(index, 1);
  }

  /**
   * `input_audio_buffer.committed`: names the oldest placeholder (our commit), or adds the item (a server VAD
   * commit). Returns the events to send (the delete of a placeholder already dropped from the history).
   */
  committed(itemId: string, previousItemId: unknown): RealtimeClientEvent[] {
    const placeholder = this.pendingCommits.shift();
    if (placeholder) {
      placeholder.id = itemId;
      placeholder.placeholder = false;
      if (placeholder.deleteWhenKnown) return [{ type: 'conversation.item.delete', item_id: itemId }];
      return [];
    }
    this.added({ id: itemId, type: 'message', role: 'user', content: [{ type: 'input_audio', transcript: null }] }, previousItemId);
    return [];
  }

  /** Sets an item's text (transcription completed, text done). */
  setText(itemId: string, text: string | undefined): void {
    const entry = this.items[this.indexOf(itemId)];
    if (entry) entry.text = text;
  }

  /** Appends to an item's text (text or transcript deltas). */
  appendText(itemId: string, delta: string): void {
    const entry = this.items[this.indexOf(itemId)];
    if (entry) entry.text = (entry.text ?? '') + delta;
  }

  /** `conversation.item.deleted`. */
  removed(itemId: string): void {
    const index = this.indexOf(itemId);
    if (index >= 0) this.items.splice(index, 1);
  }

  /**
   * Edits that make the conversation hold `messages` (in order, as heard), applied to the copy at once.
   * Matching items are kept (so committed audio stays audio), a changed one is replaced in place, missing
   * ones are inserted and extra ones deleted.
   */
  plan(messages: readonly ChatMessage[]): RealtimeClientEvent[] {
    const out: RealtimeClientEvent[] = [];
    let at = 0;
    for (const [index, message] of messages.entries()) {
      const current = this.items[at];
      if (current && matches(current, message)) {
        at++;
        continue;
      }
      const later = this.items.findIndex((entry, index) => index > at && entry.text !== undefined && matches(entry, message));
      if (later >= 0) {
        // Items the runtime no longer counts (a discarded reply, noise) sit before the match.
        const match = this.items[later];
        while (this.items[at] !== match) this.removeAt(at, out);
        at++;
        continue;
      }
      // A changed item is replaced; but one that is a later message stays, and this one goes before it. After a
      // reconnect the new session holds only the caller's latest turn, committed as audio: the earlier messages
      // are restored in front of it, and the caller's own audio stays (replaced, it would become a transcript).
      if (current && current.role === message.role && !messages.slice(index + 1).some((later) => matches(current, later))) this.removeAt(at, out);
      this.insertAt(at, message, out);
      at++;
    }
    while (this.items.length > at) this.removeAt(at, out);
    return out;
  }

  private removeAt(index: number, out: RealtimeClientEvent[]): void {
    const [entry] = this.items.splice(index, 1);
    if (!entry) return;
    if (entry.placeholder) {
      entry.deleteWhenKnown = true;
    } else {
      out.push({ type: 'conversation.item.delete', item_id: entry.id });
    }
  }

  private insertAt(index: number, message: ChatMessage, out: RealtimeClientEvent[]): void {
    const id = this.newId();
    const before = this.items[index - 1];
    const event: ConversationItemCreateEvent = { type: 'conversation.item.create', item: messageItem(id, message.role, message.content) };
    // Always an explicit position: items the server added meanwhile (a server VAD commit not yet announced)
    // must not come between. An unnamed placeholder cannot be pointed at: then it goes at the end.
    if (!before) event.previous_item_id = 'root';
    else if (!before.placeholder) event.previous_item_id = before.id;
    out.push(event);
    this.items.splice(index, 0, { id, role: message.role, text: message.content });
  }

  /** Records an item the client created (addMessage). */
  appendOwn(id: string, role: MirrorItem['role'], text: string): void {
    this.items.push({ id, role, text });
  }

  private insertAfter(entry: MirrorItem, previousItemId: unknown): void {
    if (previousItemId === null) {
      this.items.unshift(entry);
      return;
    }
    const index = typeof previousItemId === 'string' ? this.indexOf(previousItemId) : -1;
    if (index < 0) this.items.push(entry);
    else this.items.splice(index + 1, 0, entry);
  }

  private indexOf(id: string): number {
    return this.items.findIndex((entry) => entry.id === id);
  }
}

function matches(entry: MirrorItem, message: ChatMessage): boolean {
  if (entry.role !== message.role) return false;
  // Equal strings first: every turn compares the whole history, and normalising it all each time grows with the call.
  return entry.text === undefined || entry.text === message.content || normalise(entry.text) === normalise(message.content);
}

/** A GA message item: user and system text is `input_text`, assistant text is `output_text`. */
export function messageItem(id: string | undefined, role: MirrorItem['role'], text: string): ConversationItemCreateEvent['item'] {
  if (role === 'assistant') return { ...(id ? { id } : {}), type: 'message', role, content: [{ type: 'output_text', text }] };
  if (role === 'system') return { ...(id ? { id } : {}), type: 'message', role, content: [{ type: 'input_text', text }] };
  return { ...(id ? { id } : {}), type: 'message', role, content: [{ type: 'input_text', text }] };
}
