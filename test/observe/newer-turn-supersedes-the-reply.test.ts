/*
 * The agent is answering when the caller, too briefly to confirm a barge-in, adds "and for two nights" and the
 * turn is committed. The new turn supersedes the reply: the runtime cuts it where the caller stopped hearing
 * it ("We have rooms on the") and reports turn 1 interrupted and the attempt decided ("a newer caller turn").
 * Until that cut the line is still speaking: nothing is guessed at the commit. The next reply answers turn 2
 * in a line of its own.
 */
import { describe, expect, it } from 'vitest';
import type { AgentLine } from '../../runtime/observe/index.js';
import { conversationLines, foldEvents } from '../../runtime/observe/index.js';
import { audio, bargeIn, committed, cut, final, heard, partial, ROOMS, say, speech, started, state, stream, turn, turnRecord, utterance } from './events.js';

const agentLines = (view: ReturnType<typeof foldEvents>) => conversationLines(view).filter((l): l is AgentLine => l.role === 'agent');

describe('a newer turn supersedes the reply', () => {
  const events = stream([
    started(),
    committed(900, 1, 'which rooms do you have', 600),
    utterance(900, 1, 'reply', 1),
    state(900, 'responding.thinking.waitingFirstToken'),
    say(950, 1, ROOMS),
    state(1000, 'responding.speaking'),
    audio(1000, 1),
    heard(1900, 1, 1300, 'We have rooms', 3, 'on'),
    speech(2000, true),
    partial(2100, 'and for two nights', 0.9),
    speech(2300, false),
    final(2350, 'and for two nights', 0.9),
    committed(2700, 2, 'and for two nights', 2300),
    cut(2700, 1, 'caller', 2100, 'We have rooms on the', ROOMS),
    turn(2700, turnRecord(1, 'which rooms do you have', { responseMs: 400 }, 'interrupted', 600)),
    bargeIn(2700, 'interrupted', { onsetMs: 1990, kind: 'interrupt', reason: 'a newer caller turn', heardText: 'We have rooms on the', intendedText: ROOMS }),
    utterance(2700, 2, 'reply', 2),
    state(2700, 'responding.thinking.waitingFirstToken'),
    say(2900, 2, 'For two nights, yes.'),
  ]);
  const commitAt = events.findIndex((e) => e.type === 'turn.committed' && e.index === 2);

  it('leaves the reply speaking at the commit, until the runtime cuts it', () => {
    const atCommit = foldEvents(events.slice(0, commitAt + 1));
    expect(agentLines(atCommit)[0]).toMatchObject({ status: 'speaking', heardChars: 'We have rooms'.length });
    expect(agentLines(atCommit)[0]!.cut).toBeUndefined();
  });

  it('cuts the reply where the runtime says, and answers turn 2 in a new line', () => {
    const view = foldEvents(events);
    expect(agentLines(view).map((l) => [l.utteranceId, l.turnIndex, l.status, l.cut?.heardText])).toEqual([
      [1, 1, 'cut', 'We have rooms on the'],
      [2, 2, 'generating', undefined],
    ]);
    expect(conversationLines(view).map((l) => l.role)).toEqual(['caller', 'agent', 'caller', 'agent']);
    expect(view.waterfall.turns.map((t) => [t.index, t.outcome])).toEqual([[1, 'interrupted'], [2, undefined]]);
  });
});
