import type { CallEventOf } from '../call/events.js';
import type { CallerLine } from './conversation-types.js';
import type { Talk } from './talk.js';
import { nextId, openCallerLine, putLine } from './talk.js';

/*
 * The caller's lines: one per utterance, from its first transcript until the runtime commits it as a turn
 * (`turn.committed`) or drops it (`caller.discarded`). Partials replace each other as the words firm up,
 * finals close segments, and the recogniser's late words (`transcript.late`) are left out, as the runtime
 * leaves them out of the turn.
 */

function joinText(earlier: string, next: string): string {
  if (earlier.trim() === '') return next;
  return next.trim() === '' ? earlier : `${earlier} ${next}`;
}

function newCallerLine(t: Talk, atMs: number, text = ''): CallerLine {
  return { role: 'caller', id: nextId(t.conversation), atMs, status: 'partial', text, words: [], finalText: text, finalWords: [] };
}

/**
 * A partial or final transcript of the caller's utterance, added to the open caller line (or the start of a
 * new one). Segments join as the runtime joins them (a caller who pauses and goes on). A late transcript
 * belongs to speech already committed or discarded: it starts no line and changes none.
 */
export function applyTranscript(t: Talk, event: CallEventOf<'transcript'>): Talk {
  if (event.late) return t;
  let line = openCallerLine(t);
  if (!line) {
    if (event.text.trim() === '') return t;
    line = newCallerLine(t, event.atMs);
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

/** The caller's turn was committed: the open caller line takes the turn's text (or a line is made for it) and closes. */
export function commitTurn(t: Talk, event: CallEventOf<'turn.committed'>): Talk {
  const base = openCallerLine(t) ?? { ...newCallerLine(t, event.atMs), finalText: event.userText };
  const line: CallerLine = { ...base, status: 'committed', text: event.userText, language: event.language, turnIndex: event.index };
  const { callerLine: _, ...cursor } = t.cursor;
  return { conversation: putLine(t.conversation, line), cursor };
}

/**
 * The runtime dropped the caller's speech without a turn: the open line is marked discarded (with why) and
 * closes, so the caller's next words start a line of their own. Words discarded with no line open (transcripts
 * missed in a gap) get a discarded line; a discard with neither words nor a line (noise) shows nothing.
 */
export function discardCallerSpeech(t: Talk, event: CallEventOf<'caller.discarded'>): Talk {
  const open = openCallerLine(t);
  if (!open && event.text.trim() === '') return t;
  const base = open ?? newCallerLine(t, event.atMs, event.text);
  const { callerLine: _, ...cursor } = t.cursor;
  return { conversation: putLine(t.conversation, { ...base, status: 'discarded', discardedAs: event.reason }), cursor };
}
