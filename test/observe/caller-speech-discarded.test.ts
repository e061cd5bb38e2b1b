/*
 * The runtime drops caller speech that makes no turn and says why (`caller.discarded`): a backchannel
 * ("uh-huh"), noise with no words, or words that were no turn. The line being written is marked thrown away
 * (with the reason) and closed, so what the caller says next starts a line of its own instead of joining it.
 * Noise that never had a line shows nothing; the runtime's second report of the same drop (each of two chart
 * regions drops it) changes nothing; words dropped while the feed missed their transcripts still show.
 */
import { describe, expect, it } from 'vitest';
import type { CallerLine, CallView } from '../../runtime/observe/index.js';
import { conversationLines, foldEvents } from '../../runtime/observe/index.js';
import { askRooms, committed, discarded, final, partial, speech, started, state, stream } from './events.js';

const callerLines = (view: CallView) => conversationLines(view).filter((l): l is CallerLine => l.role === 'caller');

describe('words that were no turn', () => {
  const bodies = [
    started(),
    state(0, 'idle.attentive'),
    speech(100, true),
    partial(300, 'hmm', 0.4),
    speech(600, false),
    final(650, 'hmm', 0.4),
    discarded(900, 'not-a-turn', 'hmm'),
    speech(2000, true),
    partial(2200, 'do you have parking', 0.9),
    speech(2500, false),
    final(2550, 'do you have parking', 0.95),
    committed(2900, 1, 'do you have parking', 2500),
  ];

  it('close the line, so the next utterance starts its own', () => {
    const view = foldEvents(stream(bodies));
    expect(callerLines(view).map((l) => [l.text, l.status, l.discardedAs, l.turnIndex])).toEqual([
      ['hmm', 'discarded', 'not-a-turn', undefined],
      ['do you have parking', 'committed', undefined, 1],
    ]);
    expect(view.conversation.live).toEqual([]);
  });

  it('would otherwise be swallowed by the line of what the caller says next', () => {
    const all = stream(bodies.filter((b) => b.type !== 'caller.discarded'));
    const beforeCommit = foldEvents(all.slice(0, -1));
    expect(callerLines(beforeCommit).map((l) => l.text)).toEqual(['hmm do you have parking']);
    expect(callerLines(foldEvents(all)).map((l) => [l.text, l.status])).toEqual([['do you have parking', 'committed']]);
  });
});

describe('a backchannel reported twice', () => {
  it('keeps the first reason; the second report finds no line to drop', () => {
    const view = foldEvents(
      stream([
        started(),
        ...askRooms(),
        speech(2000, true),
        partial(2150, 'uh-huh', 0.85),
        speech(2300, false),
        discarded(2300, 'backchannel', 'uh-huh'),
        discarded(2300, 'no-words', ''),
      ]),
    );
    expect(callerLines(view).map((l) => [l.text, l.status, l.discardedAs])).toEqual([
      ['which rooms do you have', 'committed', undefined],
      ['uh-huh', 'discarded', 'backchannel'],
    ]);
    expect(view.cursor.callerLine).toBeUndefined();
  });
});

describe('noise and missed transcripts', () => {
  it('shows no line for noise with no words', () => {
    const view = foldEvents(stream([started(), speech(100, true), speech(400, false), discarded(900, 'no-words', '')]));
    expect(conversationLines(view)).toEqual([]);
  });

  it('shows words dropped while their transcripts were missed', () => {
    const view = foldEvents(stream([started(), speech(100, true), speech(400, false), discarded(900, 'backchannel', 'uh-huh')]));
    expect(callerLines(view)).toEqual([{ role: 'caller', id: 0, atMs: 900, status: 'discarded', text: 'uh-huh', words: [], finalText: 'uh-huh', finalWords: [], discardedAs: 'backchannel' }]);
  });
});
