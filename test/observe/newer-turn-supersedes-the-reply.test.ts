/*
 * The agent is answering when the caller, too briefly to confirm a barge-in, adds "and for two nights" and the
 * turn is committed. The new turn supersedes the reply: at the commit the reply line is cut where the heard
 * progress had got to (an estimate), and the runtime's barge-in record that follows ("a newer caller turn")
 * makes the cut exact. The next reply answers turn 2 in a line of its own.
 */
import { describe, expect, it } from 'vitest';
import type { AgentLine } from '../../runtime/observe/index.js';
import { conversationLines, foldEvents } from '../../runtime/observe/index.js';
import { audio, bargeIn, committed, final, heard, partial, ROOMS, say, speech, started, state, stream } from './events.js';

const agentLines = (view: ReturnType<typeof foldEvents>) => conversationLines(view).filter((l): l is AgentLine => l.role === 'agent');

describe('a newer turn supersedes the reply', () => {
  const events = stream([
    started(),
    committed(900, 1, 'which rooms do you have', 600),
    state(900, 'responding.thinking.waitingFirstToken'),
    say(950, ROOMS),
    state(1000, 'responding.speaking'),
    audio(1000),
    heard(1900, 1300, 3, 'on'),
    speech(2000, true),
    partial(2100, 'and for two nights', 0.9),
    speech(2300, false),
    final(2350, 'and for two nights', 0.9),
    committed(2700, 2, 'and for two nights', 2300),
    bargeIn(2700, 'interrupted', { onsetMs: 1990, kind: 'interrupt', reason: 'a newer caller turn', heardText: 'We have rooms on the', intendedText: ROOMS }),
    state(2700, 'responding.thinking.waitingFirstToken'),
    say(2900, 'For two nights, yes.'),
  ]);

  it('cuts the reply at the commit, estimated from the heard progress', () => {
    const atCommit = foldEvents(events.slice(0, 12));
    expect(agentLines(atCommit)[0]).toMatchObject({ status: 'cut', cut: { by: 'caller', heardText: 'We have rooms on', exact: false } });
  });

  it('makes the cut exact from the barge-in record, and answers turn 2 in a new line', () => {
    const view = foldEvents(events);
    expect(agentLines(view).map((l) => [l.turnIndex, l.status, l.cut?.heardText, l.cut?.exact])).toEqual([
      [1, 'cut', 'We have rooms on the', true],
      [2, 'generating', undefined, undefined],
    ]);
    expect(conversationLines(view).map((l) => l.role)).toEqual(['caller', 'agent', 'caller', 'agent']);
  });
});
