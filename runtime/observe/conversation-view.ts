import type { CallRecord } from '../call/call-record.js';
import type { ConversationEntry } from '../call/conversation.js';
import { endUtterance, withCut } from './agent-lines.js';
import type { AgentLine, ConversationLine } from './conversation-types.js';
import type { Talk } from './talk.js';

/*
 * The conversation at the end of the call. Caller lines come from caller-lines.ts, agent lines from
 * agent-lines.ts; when the call ends, its record (the transcript the agent's context kept) is the last word.
 */

/**
 * The call is over: the utterance still open was played out, and the record's transcript, the runtime's
 * complete account, confirms each spoken agent line in order (matched by its intended text) or corrects its
 * cut (for a cut missed in a gap). Every line is then settled. Runs once per call, so it may walk the whole
 * conversation.
 */
export function finishTalk(t: Talk, record: CallRecord | undefined, atMs: number): Talk {
  const ended = endUtterance(t);
  const lines: ConversationLine[] = [...ended.conversation.settled, ...ended.conversation.live];
  let from = 0;
  for (const entry of record?.transcript ?? []) {
    if (entry.role !== 'assistant') continue;
    const intended = (entry.intendedText ?? entry.text).trim();
    const at = lines.findIndex((line, i) => i >= from && line.role === 'agent' && (line.status === 'done' || line.status === 'cut') && line.text.trim() === intended);
    if (at < 0) continue;
    from = at + 1;
    lines[at] = asRecorded(lines[at] as AgentLine, entry, atMs);
  }
  const { callerLine: _, ...cursor } = ended.cursor;
  return { conversation: { settled: lines, live: [] }, cursor };
}

/** The line as the record's entry says it was heard: cut where the record cut it, or heard in full. */
function asRecorded(line: AgentLine, entry: ConversationEntry, atMs: number): AgentLine {
  if (entry.interrupted) {
    const by = entry.cutBy ?? 'caller';
    if (line.cut?.by === by && line.cut.heardText === entry.text) return line;
    return withCut(line, { by, atMs: line.cut?.atMs ?? atMs, heardText: entry.text, intendedText: entry.intendedText ?? line.text });
  }
  if (!line.cut) return line;
  const { cut: _, ...whole } = line;
  return { ...whole, status: 'done', heardChars: line.text.length };
}
