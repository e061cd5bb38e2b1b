/*
 * Every agent utterance is announced (`agent.utterance`: its id, what it is for, the turn it answers) and
 * every event about it carries its id. So an agent line starts exactly at its utterance and shows its
 * purpose, and nothing about an utterance that is over leaks into the next one: its late text and progress
 * find its own line, not the new one. A reply superseded before the caller heard any of it ends unspoken. A
 * view joining a call mid-utterance starts the line at the first event it sees about it.
 */
import { describe, expect, it } from 'vitest';
import type { AgentLine, CallView } from '../../runtime/observe/index.js';
import { conversationLines, foldEvents } from '../../runtime/observe/index.js';
import { audio, committed, ev, heard, say, started, state, stream, utterance } from './events.js';

const agentLines = (view: CallView) => conversationLines(view).filter((l): l is AgentLine => l.role === 'agent');

describe('an utterance and its line', () => {
  it('opens the line at the announcement, before any text', () => {
    const view = foldEvents(stream([started(), committed(900, 1, 'which rooms', 600), utterance(900, 1, 'reply', 1)]));
    expect(agentLines(view)).toEqual([{ role: 'agent', id: 1, utteranceId: 1, purpose: 'reply', atMs: 900, status: 'generating', text: '', language: 'en', turnIndex: 1, heardChars: 0 }]);
  });

  it('shows what each utterance is for', () => {
    const spoken = (id: number, at: number, purpose: 'greeting' | 'reprompt' | 'goodbye', text: string) => [
      utterance(at, id, purpose),
      state(at, 'responding.thinking.waitingFirstToken'),
      say(at + 10, id, text),
      audio(at + 50, id),
      state(at + 50, 'responding.speaking'),
      state(at + 2000, purpose === 'goodbye' ? 'closing' : 'idle.attentive'),
    ];
    const view = foldEvents(stream([started(), ...spoken(1, 0, 'greeting', 'Hello!'), ...spoken(2, 9000, 'reprompt', 'Are you still there?'), ...spoken(3, 18_000, 'goodbye', 'Goodbye.')]));
    expect(agentLines(view).map((l) => [l.purpose, l.turnIndex, l.status, l.text])).toEqual([
      ['greeting', undefined, 'done', 'Hello!'],
      ['reprompt', undefined, 'done', 'Are you still there?'],
      ['goodbye', undefined, 'done', 'Goodbye.'],
    ]);
  });
});

describe('a reply superseded before it was heard', () => {
  const view = foldEvents(
    stream([
      started(),
      committed(900, 1, 'which rooms', 600),
      utterance(900, 1, 'reply', 1),
      say(950, 1, 'We have rooms'),
      audio(1000, 1),
      heard(1000, 1, 0, '', -1),
      committed(1200, 2, 'which rooms with a view', 1000),
      utterance(1200, 2, 'reply', 2),
      // Still in flight from the first reply: it belongs to utterance 1, not to the new line.
      say(1210, 1, ' on the first floor'),
      heard(1220, 1, 40, '', 0, 'We'),
      say(1300, 2, 'Two of them have a view.'),
    ]),
  );

  it('ends it unspoken and keeps its late text and progress out of the new line', () => {
    expect(agentLines(view).map((l) => [l.utteranceId, l.turnIndex, l.status, l.text, l.heardMs ?? 0])).toEqual([
      [1, 1, 'unspoken', 'We have rooms', 0],
      [2, 2, 'generating', 'Two of them have a view.', 0],
    ]);
  });
});

describe('a view joining mid-utterance', () => {
  it('starts the line at the first event about it, without a purpose', () => {
    const view = foldEvents([
      ev(40, say(12_000, 7, 'and the pool opens at nine.')),
      ev(41, heard(12_100, 7, 300, 'and the', 2, 'pool')),
      ev(42, state(13_500, 'idle.attentive')),
      ev(43, utterance(20_000, 8, 'reprompt')),
    ]);
    expect(agentLines(view).map((l) => [l.utteranceId, l.purpose, l.status, l.heardChars])).toEqual([
      [7, undefined, 'done', 'and the pool opens at nine.'.length],
      [8, 'reprompt', 'generating', 0],
    ]);
  });
});
