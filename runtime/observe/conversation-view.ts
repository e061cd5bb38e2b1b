import type { BargeInRecord, CallRecord, TurnRecord } from '../call/call-record.js';
import type { CallEventOf } from '../call/events.js';
import type { ViewCursor } from './call-view-types.js';
import type { AgentCut, AgentLine, CallerLine, ConversationLine, ConversationView } from './conversation-types.js';
import { compact, replaceAt } from './plain.js';

/*
 * The conversation as a screen shows it: caller lines from transcripts (partials replaced as words firm up,
 * then the committed turn), agent lines from text deltas with how much the caller has heard and, when cut,
 * the heard part and the unheard rest. Only the open lines near the end change per event.
 */

/** The conversation and the reducer's cursor into it: what the functions here read and return. */
export interface Talk {
  readonly conversation: ConversationView;
  readonly cursor: ViewCursor;
}

/** No line yet; agent text starts a line (the greeting needs no announcement). */
export function emptyTalk(): Talk {
  return { conversation: { settled: [], live: [] }, cursor: { acceptAgentText: true, transcriptsLate: false } };
}

// ---- lines ------------------------------------------------------------------------------------

function lineById(c: ConversationView, id: number | undefined): ConversationLine | undefined {
  if (id === undefined) return undefined;
  return id < c.settled.length ? c.settled[id] : c.live[id - c.settled.length];
}

function agentLine(t: Talk, id: number | undefined): AgentLine | undefined {
  const line = lineById(t.conversation, id);
  return line?.role === 'agent' ? line : undefined;
}

function isFinished(line: ConversationLine): boolean {
  return line.role === 'caller' ? line.status === 'committed' || line.status === 'discarded' : line.status !== 'generating' && line.status !== 'speaking';
}

/** Replaces the line with the same id, then moves the finished head of `live` to `settled`. */
function putLine(c: ConversationView, line: ConversationLine): ConversationView {
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

function nextId(c: ConversationView): number {
  return c.settled.length + c.live.length;
}

// ---- caller -----------------------------------------------------------------------------------

function joinText(earlier: string, next: string): string {
  if (earlier.trim() === '') return next;
  return next.trim() === '' ? earlier : `${earlier} ${next}`;
}

/**
 * A partial or final transcript of the caller's utterance. Segments join as the runtime joins them (a
 * caller who pauses and goes on); transcripts for an utterance already committed or discarded are ignored.
 */
export function applyTranscript(t: Talk, event: CallEventOf<'transcript'>): Talk {
  let line = lineById(t.conversation, t.cursor.callerLine) as CallerLine | undefined;
  if (!line) {
    if (t.cursor.transcriptsLate || event.text.trim() === '') return t;
    line = { role: 'caller', id: nextId(t.conversation), atMs: event.atMs, status: 'partial', text: '', words: [], finalText: '', finalWords: [] };
  }
  const words = event.words ?? [];
  const emptyNext = event.text.trim() === '';
  const text = joinText(line.finalText, event.text);
  const joined = emptyNext ? line.finalWords : line.finalWords.length === 0 ? words : [...line.finalWords, ...words];
  const language = event.language ?? line.language;
  const next: CallerLine = event.final
    ? { ...line, status: 'final', text, words: joined, finalText: text, finalWords: joined, ...(language ? { language } : {}) }
    : { ...line, status: 'partial', text, words: joined, ...(language ? { language } : {}) };
  return { conversation: putLine(t.conversation, next), cursor: { ...t.cursor, callerLine: next.id } };
}

/**
 * The caller's turn was committed: the open caller line takes the turn's text (or a line is made for it),
 * the agent's line still speaking is superseded, and the next agent line answers this turn.
 */
export function commitTurn(t: Talk, event: CallEventOf<'turn.committed'>, callerSpeaking: boolean): Talk {
  const closed = stopAgentLine(t, 'caller', event.atMs);
  const open = lineById(closed.conversation, closed.cursor.callerLine) as CallerLine | undefined;
  const base: CallerLine = open ?? { role: 'caller', id: nextId(closed.conversation), atMs: event.atMs, status: 'committed', text: '', words: [], finalText: event.userText, finalWords: [] };
  const line: CallerLine = { ...base, status: 'committed', text: event.userText, language: event.language, turnIndex: event.index };
  const { callerLine: _, ...cursor } = closed.cursor;
  return {
    conversation: putLine(closed.conversation, line),
    cursor: { ...cursor, transcriptsLate: !callerSpeaking, pendingTurnIndex: event.index, acceptAgentText: true },
  };
}

/** The caller started speaking again: their words from now on belong to a new utterance, no longer late. */
export function callerSpoke(t: Talk, speaking: boolean): Talk {
  return speaking && t.cursor.transcriptsLate ? { ...t, cursor: { ...t.cursor, transcriptsLate: false } } : t;
}

/** The open caller line was a backchannel ("uh-huh"): the runtime threw it away, and so do late words of it. */
export function discardBackchannel(t: Talk, callerSpeaking: boolean): Talk {
  const open = lineById(t.conversation, t.cursor.callerLine) as CallerLine | undefined;
  if (!open) return t;
  const { callerLine: _, ...cursor } = t.cursor;
  return { conversation: putLine(t.conversation, { ...open, status: 'discarded', discardedAs: 'backchannel' }), cursor: { ...cursor, transcriptsLate: !callerSpeaking } };
}

// ---- agent ------------------------------------------------------------------------------------

/** The agent's reply text as generated: appended to the open agent line, or the start of a new one. */
export function applyAgentText(t: Talk, event: CallEventOf<'agent.text'>, language: string | undefined): Talk {
  const open = agentLine(t, t.cursor.agentLine);
  if (open) return { ...t, conversation: putLine(t.conversation, { ...open, text: open.text + event.delta }) };
  if (!t.cursor.acceptAgentText || event.delta === '') return t;
  return openAgentLine(t, event.atMs, event.delta, 'generating', language);
}

/** The first frame of an agent utterance went out (speech-to-speech models may send audio before text). */
export function applyAgentAudio(t: Talk, event: CallEventOf<'agent.audio'>, language: string | undefined): Talk {
  if (!event.started) return t;
  const open = agentLine(t, t.cursor.agentLine);
  if (!open) return t.cursor.acceptAgentText ? openAgentLine(t, event.atMs, '', 'speaking', language, event.atMs) : t;
  return { ...t, conversation: putLine(t.conversation, { ...open, status: 'speaking', audioAtMs: open.audioAtMs ?? event.atMs }) };
}

function openAgentLine(t: Talk, atMs: number, text: string, status: AgentLine['status'], language: string | undefined, audioAtMs?: number): Talk {
  const id = nextId(t.conversation);
  const turnIndex = t.cursor.pendingTurnIndex;
  const line: AgentLine = compact({ role: 'agent' as const, id, atMs, status, text, language, turnIndex, audioAtMs, heardWords: 0, heardChars: 0 });
  const { pendingTurnIndex: _, ...cursor } = t.cursor;
  return { conversation: putLine(t.conversation, line), cursor: { ...cursor, agentLine: id, lastAgentLine: id } };
}

/** How far the caller has heard the current utterance: the heard prefix grows word by word. */
export function applyAgentHeard(t: Talk, event: CallEventOf<'agent.heard'>): Talk {
  const line = agentLine(t, t.cursor.agentLine ?? t.cursor.lastAgentLine);
  if (!line || (line.status !== 'speaking' && line.status !== 'generating')) return t;
  const { words, chars } = advanceWords(line.text, line.heardWords, line.heardChars, event.wordIndex + 1);
  return { ...t, conversation: putLine(t.conversation, { ...line, status: 'speaking', heardMs: event.heardMs, heardWords: words, heardChars: chars }) };
}

/** The agent's open line is over without a cut: played to the end if any audio went out, else unspoken. */
export function closeAgentLine(t: Talk): Talk {
  const line = agentLine(t, t.cursor.agentLine);
  const { agentLine: _, ...cursor } = t.cursor;
  if (!line) return t.cursor.agentLine === undefined ? t : { ...t, cursor };
  return { conversation: putLine(t.conversation, finished(line)), cursor };
}

/**
 * The agent's open line was stopped before its end: cut where `agent.heard` last got to (estimated; an exact
 * account may follow in a barge-in record or the call record), or unspoken before any audio.
 */
function stopAgentLine(t: Talk, by: AgentCut['by'], atMs: number): Talk {
  const line = agentLine(t, t.cursor.agentLine);
  if (!line || line.status === 'done' || line.status === 'cut' || line.status === 'unspoken') return closeAgentLine(t);
  const stopped = line.status === 'generating' ? { ...line, status: 'unspoken' as const } : withCut(line, by, line.text.slice(0, line.heardChars), line.text, atMs, false);
  const { agentLine: _, ...cursor } = t.cursor;
  return { conversation: putLine(t.conversation, stopped), cursor };
}

function finished(line: AgentLine): AgentLine {
  if (line.status === 'generating') return { ...line, status: 'unspoken' };
  if (line.status !== 'speaking') return line;
  const all = advanceWords(line.text, line.heardWords, line.heardChars, Number.POSITIVE_INFINITY);
  return { ...line, status: 'done', heardWords: all.words, heardChars: line.text.length };
}

/**
 * A new reply begins (the chart entered `greeting` or `responding.thinking`): text starts a new line. A line
 * still open here was stopped, not finished (a finished reply goes idle first): a newer turn's line was
 * already cut at its commit, so this is the recogniser lost mid-reply.
 */
export function beginReply(t: Talk, atMs: number): Talk {
  const closed = stopAgentLine(t, 'failure', atMs);
  return { ...closed, cursor: { ...closed.cursor, acceptAgentText: true } };
}

/** The agent is idle again: the open line is over, and text still arriving belongs to a cancelled reply. */
export function endReply(t: Talk): Talk {
  const closed = closeAgentLine(t);
  const { pendingTurnIndex: _, ...cursor } = closed.cursor;
  return { ...closed, cursor: { ...cursor, acceptAgentText: false } };
}

/**
 * A confirmed barge-in: the latest agent line is cut where the runtime says the caller stopped hearing it
 * (the record's heard and intended text), or, without them, where `agent.heard` last got to.
 */
export function cutByBargeIn(t: Talk, record: BargeInRecord, atMs: number): Talk {
  const line = agentLine(t, t.cursor.agentLine ?? t.cursor.lastAgentLine);
  if (!line || line.cut?.exact) return t;
  const isOpen = t.cursor.agentLine === line.id;
  const intended = record.intendedText ?? line.text;
  const sameUtterance = intended.startsWith(line.text) || line.text.startsWith(intended);
  let cut: AgentLine | undefined;
  if (record.heardText !== undefined && sameUtterance) cut = withCut(line, 'caller', record.heardText, intended, atMs, true);
  else if (isOpen) cut = withCut(line, 'caller', line.text.slice(0, line.heardChars), line.text, atMs, false);
  if (!cut) return t;
  const { agentLine: _, ...cursor } = t.cursor;
  return { conversation: putLine(t.conversation, cut), cursor: isOpen ? { ...cursor, acceptAgentText: false } : t.cursor };
}

/**
 * A turn's reply is over: its agent line (the latest, if it answers this turn) ends as the outcome says.
 * A failure's cut point is not in the events, so it is estimated from `agent.heard` until the call record.
 */
export function applyTurnOutcome(t: Talk, record: TurnRecord, atMs: number): Talk {
  const line = agentLine(t, t.cursor.lastAgentLine);
  const outcome = record.outcome;
  if (!line || line.turnIndex !== record.index || outcome === undefined || outcome === 'hangup') return t;
  let next: AgentLine = line;
  if (outcome === 'answered') next = finished(line);
  else if (line.status === 'generating') next = { ...line, status: 'unspoken' };
  else if (line.status === 'speaking') next = withCut(line, outcome === 'failed' ? 'failure' : 'caller', line.text.slice(0, line.heardChars), line.text, atMs, false);
  const isOpen = t.cursor.agentLine === line.id;
  const { agentLine: _, ...cursor } = t.cursor;
  return { conversation: next === line ? t.conversation : putLine(t.conversation, next), cursor: isOpen ? { ...cursor, acceptAgentText: false } : t.cursor };
}

function withCut(line: AgentLine, by: AgentCut['by'], heardText: string, intendedText: string, atMs: number, exact: boolean): AgentLine {
  const unheardText = intendedText.startsWith(heardText) ? intendedText.slice(heardText.length) : intendedText.slice(Math.min(heardText.length, intendedText.length));
  const heard = advanceWords(heardText, 0, 0, Number.POSITIVE_INFINITY);
  return { ...line, status: 'cut', text: intendedText, heardChars: heardText.length, heardWords: heard.words, cut: { by, atMs, heardText, unheardText, exact } };
}

/**
 * The call is over and its record holds the transcript as the caller heard it: each agent line is matched
 * (in order, by its text) to its assistant entry and takes the record's cut. Every line is then final.
 * Runs once per call, so it may walk the whole conversation.
 */
export function finishTalk(t: Talk, record: CallRecord | undefined, atMs: number): Talk {
  let lines: ConversationLine[] = [...t.conversation.settled, ...t.conversation.live];
  const openAgent = t.cursor.agentLine;
  lines = lines.map((line) => (line.role === 'agent' && line.id === openAgent ? finished(line) : line));
  let from = 0;
  for (const entry of record?.transcript ?? []) {
    if (entry.role !== 'assistant') continue;
    const intended = (entry.intendedText ?? entry.text).trim();
    const at = lines.findIndex((line, i) => i >= from && line.role === 'agent' && line.text.trim() === intended);
    if (at < 0) continue;
    from = at + 1;
    const line = lines[at] as AgentLine;
    if (entry.interrupted) lines[at] = withCut(line, entry.cutBy ?? 'caller', entry.text, entry.intendedText ?? line.text, line.cut?.atMs ?? atMs, true);
    else if (line.cut && !line.cut.exact) {
      const { cut: _, ...heardAll } = line;
      lines[at] = finished({ ...heardAll, status: 'speaking' });
    }
  }
  return { conversation: { settled: lines, live: [] }, cursor: { acceptAgentText: false, transcriptsLate: true } };
}

// ---- words ------------------------------------------------------------------------------------

/**
 * Moves a heard position forward to `toWords` words of `text`, from a position already known (`fromWords`
 * words ending at `fromChars`), so each progress event costs only the words it adds. Words are separated by
 * whitespace and each Chinese or Japanese character is a word, as playout cuts them. Stops at the end of the
 * text generated so far.
 */
export function advanceWords(text: string, fromWords: number, fromChars: number, toWords: number): { words: number; chars: number } {
  let words = fromWords;
  let pos = fromChars;
  if (toWords < words || pos > text.length) {
    words = 0;
    pos = 0;
  }
  while (words < toWords) {
    while (pos < text.length && isSpace(text.charCodeAt(pos))) pos++;
    if (pos >= text.length) break;
    if (isCjk(text.charCodeAt(pos))) pos++;
    else while (pos < text.length && !isSpace(text.charCodeAt(pos)) && !isCjk(text.charCodeAt(pos))) pos++;
    words++;
  }
  return { words, chars: pos };
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 0xa0;
}

function isCjk(c: number): boolean {
  return (c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff);
}
