/*
 * The recogniser lags the audio: its words for speech the runtime already committed (or dropped) can arrive
 * after it moved on. The runtime flags them `late` and they start no turn; the view leaves them out as well:
 * no new caller line, the committed line keeps the turn's text, and a line the caller has since started is
 * not joined by them. The caller's next words, not late, start their own line.
 */
import { describe, expect, it } from 'vitest';
import type { CallerLine, CallView } from '../../runtime/observe/index.js';
import { callView, conversationLines, foldEvents } from '../../runtime/observe/index.js';
import { committed, ev, final, late, partial, speech, started, state, stream, utterance } from './events.js';

const callerLines = (view: CallView) => conversationLines(view).filter((l): l is CallerLine => l.role === 'caller');

describe('late transcripts', () => {
  // The turn is committed on the partial: the recogniser's final only comes afterwards.
  const events = stream([
    started(),
    state(0, 'idle.attentive'),
    speech(100, true),
    partial(300, 'which rooms', 0.8),
    speech(600, false),
    committed(900, 1, 'which rooms', 600),
    utterance(900, 1, 'reply', 1),
    late(final(1000, 'which rooms do you have', 0.96)),
    late(partial(1100, 'which rooms do you', 0.9)),
    speech(3000, true),
    partial(3100, 'thanks', 0.9),
    late(final(3150, 'which rooms do you have', 0.96)),
  ]);
  const view = foldEvents(events);

  it('start no line and leave the committed one as it was', () => {
    const atCommit = foldEvents(events.slice(0, 7));
    const afterLate = callView(callView(atCommit, events[7]!), events[8]!);
    expect(afterLate.conversation).toBe(atCommit.conversation);
    expect(callerLines(afterLate)).toMatchObject([{ text: 'which rooms', status: 'committed', turnIndex: 1 }]);
  });

  it('do not join the line the caller has started since', () => {
    expect(callerLines(view).map((l) => [l.text, l.status])).toEqual([
      ['which rooms', 'committed'],
      ['thanks', 'partial'],
    ]);
  });

  it('would otherwise show as a line of their own', () => {
    const unflagged = foldEvents(events.slice(0, 8).map((e, i) => (i === 7 ? ev(7, final(1000, 'which rooms do you have', 0.96)) : e)));
    expect(callerLines(unflagged).map((l) => l.text)).toEqual(['which rooms', 'which rooms do you have']);
  });
});
