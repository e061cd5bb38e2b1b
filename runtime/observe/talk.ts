import type { ViewCursor } from './call-view-types.js';
import type { AgentLine, CallerLine, ConversationLine, ConversationView } from './conversation-types.js';
import { replaceAt } from './plain.js';

/*
 * Where the conversation's lines live while a call runs: `settled` lines that no longer change and `live`
 * ones near the end that may, addressed by their stable id. Only the open lines near the end change per event,
 * so an update copies a short array.
 */

/** The conversation and the reducer's cursor into it: what the conversation functions read and return. */
export interface Talk {
  readonly conversation: ConversationView;
  readonly cursor: ViewCursor;
}

/** No line yet. */
export function emptyTalk(): Talk {
  return { conversation: { settled: [], live: [] }, cursor: {} };
}

/** The line with this id, wherever it is. */
export function lineById(c: ConversationView, id: number | undefined): ConversationLine | undefined {
  if (id === undefined) return undefined;
  return id < c.settled.length ? c.settled[id] : c.live[id - c.settled.length];
}

/** The open caller line (still receiving transcripts), if any. */
export function openCallerLine(t: Talk): CallerLine | undefined {
  const line = lineById(t.conversation, t.cursor.callerLine);
  return line?.role === 'caller' ? line : undefined;
}

/** Id the next line will take. */
export function nextId(c: ConversationView): number {
  return c.settled.length + c.live.length;
}

/** The agent line is still being spoken or generated. */
export function isOpenAgentLine(line: AgentLine): boolean {
  return line.status === 'generating' || line.status === 'speaking';
}

function isFinished(line: ConversationLine): boolean {
  return line.role === 'caller' ? line.status === 'committed' || line.status === 'discarded' : !isOpenAgentLine(line);
}

/** Replaces the line with the same id (or appends a new one), then moves the finished head of `live` to `settled`. */
export function putLine(c: ConversationView, line: ConversationLine): ConversationView {
  const { settled, live } = c;
  if (line.id < settled.length) return { settled: replaceAt(settled, line.id, line), live };
  const at = line.id - settled.length;
  return settle(at < live.length ? { settled, live: replaceAt(live, at, line) } : { settled, live: [...live, line] });
}

function settle(c: ConversationView): ConversationView {
  let done = 0;
  while (done < c.live.length && isFinished(c.live[done]!)) done++;
  return done === 0 ? c : { settled: [...c.settled, ...c.live.slice(0, done)], live: c.live.slice(done) };
}
