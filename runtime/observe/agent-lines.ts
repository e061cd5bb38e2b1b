import type { CallEventOf } from '../call/events.js';
import type { AgentCut, AgentLine, AgentPurpose } from './conversation-types.js';
import { compact } from './plain.js';
import type { Talk } from './talk.js';
import { isOpenAgentLine, lineById, nextId, putLine } from './talk.js';

/*
 * The agent's lines: one per utterance. `agent.utterance` opens it (what for, which turn), and the events
 * about it (`agent.text`, `agent.audio`, `agent.heard`, `agent.cut`) find it by its utterance id. It ends one
 * of three ways: cut (`agent.cut`, with exactly what the caller heard), played out (the agent goes idle or
 * closes, or the call ends, with no cut), or unspoken (stopped before the caller heard any of it).
 */

/** The line of the latest utterance. */
function currentLine(t: Talk): AgentLine | undefined {
  const line = lineById(t.conversation, t.cursor.agentLine);
  return line?.role === 'agent' ? line : undefined;
}

/** The line of an earlier utterance, searched from the end: ids only grow, so the search stops at the first older one. */
function earlierLine(t: Talk, utteranceId: number): AgentLine | undefined {
  for (let id = nextId(t.conversation) - 1; id >= 0; id--) {
    const line = lineById(t.conversation, id)!;
    if (line.role !== 'agent') continue;
    if (line.utteranceId === utteranceId) return line;
    if (line.utteranceId < utteranceId) return undefined;
  }
  return undefined;
}

function newAgentLine(t: Talk, utteranceId: number, atMs: number, language: string | undefined, purpose?: AgentPurpose, turnIndex?: number): AgentLine {
  return compact({ role: 'agent' as const, id: nextId(t.conversation), utteranceId, purpose, atMs, status: 'generating' as const, text: '', language, turnIndex, heardChars: 0 });
}

/** Adds the line of a new utterance; it becomes the current one. */
function openLine(t: Talk, line: AgentLine): Talk {
  return { conversation: putLine(t.conversation, line), cursor: { ...t.cursor, agentLine: line.id, utteranceId: line.utteranceId } };
}

/** An utterance the agent finished without a cut: heard in full once its audio went out, else never spoken. */
function playedOut(line: AgentLine): AgentLine {
  return line.status === 'speaking' ? { ...line, status: 'done', heardChars: line.text.length } : { ...line, status: 'unspoken' };
}

/**
 * The current utterance stops because a newer one starts, with no cut reported. The runtime reports a cut
 * for every utterance stopped after the caller heard part of it, so this one was not heard (superseded before
 * its first word, or given up before any audio), unless its end was missed in a gap after it was heard.
 */
function stopCurrent(t: Talk): Talk {
  const line = currentLine(t);
  if (!line || !isOpenAgentLine(line)) return t;
  const stopped = (line.heardMs ?? 0) > 0 ? playedOut(line) : { ...line, status: 'unspoken' as const };
  return { ...t, conversation: putLine(t.conversation, stopped) };
}

/**
 * The line of utterance `utteranceId`, or undefined for an earlier one no longer shown. An utterance newer than
 * any announced (the view joined mid-utterance, or its `agent.utterance` fell in a gap) gets its line here,
 * without a purpose.
 */
function lineFor(t: Talk, utteranceId: number, atMs: number, language: string | undefined): { talk: Talk; line: AgentLine } | undefined {
  const latest = t.cursor.utteranceId;
  if (latest === undefined || utteranceId > latest) {
    const stopped = stopCurrent(t);
    const line = newAgentLine(stopped, utteranceId, atMs, language);
    return { talk: openLine(stopped, line), line };
  }
  const line = utteranceId === latest ? currentLine(t) : earlierLine(t, utteranceId);
  return line ? { talk: t, line } : undefined;
}

function withLine(t: Talk, line: AgentLine): Talk {
  return { ...t, conversation: putLine(t.conversation, line) };
}

/** The agent starts an utterance: a new line, with what it is for and the turn it answers. */
export function beginUtterance(t: Talk, event: CallEventOf<'agent.utterance'>, language: string | undefined): Talk {
  const latest = t.cursor.utteranceId;
  if (latest !== undefined && event.utteranceId <= latest) return t;
  const stopped = stopCurrent(t);
  return openLine(stopped, newAgentLine(stopped, event.utteranceId, event.atMs, language, event.purpose, event.turnIndex));
}

/**
 * The utterance's text as generated, appended to its line. Text still in flight after the utterance was cut
 * or given up is dropped: the caller never hears it, and the runtime's intended text leaves it out.
 */
export function applyAgentText(t: Talk, event: CallEventOf<'agent.text'>, language: string | undefined): Talk {
  if (event.delta === '') return t;
  const found = lineFor(t, event.utteranceId, event.atMs, language);
  if (!found || !isOpenAgentLine(found.line)) return t;
  return withLine(found.talk, { ...found.line, text: found.line.text + event.delta });
}

/** The first frame of the utterance went out (a speech-to-speech model may send audio before its text). */
export function applyAgentAudio(t: Talk, event: CallEventOf<'agent.audio'>, language: string | undefined): Talk {
  if (!event.started) return t;
  const found = lineFor(t, event.utteranceId, event.atMs, language);
  if (!found || !isOpenAgentLine(found.line)) return found?.talk ?? t;
  return withLine(found.talk, { ...found.line, status: 'speaking', audioAtMs: found.line.audioAtMs ?? event.atMs });
}

/** How far the caller has heard the utterance: the runtime's own count of characters heard in full words. */
export function applyAgentHeard(t: Talk, event: CallEventOf<'agent.heard'>, language: string | undefined): Talk {
  const found = lineFor(t, event.utteranceId, event.atMs, language);
  if (!found || !isOpenAgentLine(found.line)) return found?.talk ?? t;
  const { line } = found;
  // Progress is reported from the reply's start, before any audio (0 ms heard): only real progress means audio is out.
  const status = line.status === 'generating' && event.heardMs > 0 ? 'speaking' : line.status;
  const heardChars = Math.max(0, Math.min(event.heardChars, line.text.length));
  return withLine(found.talk, { ...line, status, heardMs: event.heardMs, heardChars });
}

/** The utterance was cut: the runtime's exact account of what the caller heard and what the agent meant to say. */
export function applyAgentCut(t: Talk, event: CallEventOf<'agent.cut'>, language: string | undefined): Talk {
  const found = lineFor(t, event.utteranceId, event.atMs, language);
  if (!found) return t;
  const { by, heardText, intendedText, atMs, heardMs } = event;
  return withLine(found.talk, withCut(found.line, { by, atMs, heardMs, heardText, intendedText }));
}

/** What cuts a line: who, when, and the heard part of the intended text. */
export interface CutAccount {
  readonly by: AgentCut['by'];
  readonly atMs: number;
  readonly heardMs?: number;
  readonly heardText: string;
  readonly intendedText: string;
}

/** The line cut as `cut` says: its text becomes the intended text, split into the heard part and the unheard rest. */
export function withCut(line: AgentLine, cut: CutAccount): AgentLine {
  const { heardText, intendedText } = cut;
  const heardChars = Math.min(heardText.length, intendedText.length);
  const unheardText = intendedText.startsWith(heardText) ? intendedText.slice(heardText.length) : intendedText.slice(heardChars);
  const account: AgentCut = compact({ by: cut.by, atMs: cut.atMs, heardMs: cut.heardMs, heardText, unheardText });
  return { ...line, status: 'cut', text: intendedText, heardChars, cut: account };
}

/** The agent finished speaking (it went idle or is closing the call, or the call ended): the current utterance was played out. */
export function endUtterance(t: Talk): Talk {
  const line = currentLine(t);
  return line && isOpenAgentLine(line) ? withLine(t, playedOut(line)) : t;
}
