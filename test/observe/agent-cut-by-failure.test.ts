/*
 * The voice breaks off a third of the way into the answer. The runtime stops the reply at a word boundary,
 * reports the failure, cuts the line where the caller stopped hearing it ("by failure") and reports the turn
 * failed, then the agent goes idle. The line shows that cut as it happens (nothing estimated, nothing to
 * correct at the end), and text still arriving from the broken reply is dropped. A reply that fails before
 * the caller heard any of it is not cut: its line ends unspoken. When the recogniser is lost mid-reply, the
 * reply is cut by failure and the agent's apology is a line of its own, shown as `unavailable`.
 */
import { describe, expect, it } from 'vitest';
import type { CallEvent, CallEventBody } from '../../runtime/call/events.js';
import type { AgentLine, CallView } from '../../runtime/observe/index.js';
import { conversationLines, foldEvents } from '../../runtime/observe/index.js';
import { askRooms, audio, committed, cut, heard, ROOMS, ROOMS_QUESTION, say, started, state, stream, turn, turnRecord, utterance } from './events.js';

const agentLines = (view: CallView) => conversationLines(view).filter((l): l is AgentLine => l.role === 'agent');
const viewAfter = (events: readonly CallEvent[], type: CallEvent['type']) => foldEvents(events.slice(0, events.findIndex((e) => e.type === type) + 1));

function failure(atMs: number, source: 'reply' | 'stt', message: string): CallEventBody {
  return { type: 'failure', atMs, failure: { atMs, source, message, retryable: source === 'reply' } };
}

describe('a failure cuts the reply mid-speech', () => {
  const events = stream([
    started(),
    ...askRooms(),
    heard(1800, 1, 1200, 'We have rooms', 3, 'on'),
    failure(1850, 'reply', 'the voice stream broke'),
    cut(1850, 1, 'failure', 1260, 'We have rooms on', ROOMS),
    turn(1850, turnRecord(1, ROOMS_QUESTION, { responseMs: 400 }, 'failed', 600)),
    state(1850, 'idle.attentive'),
    say(1870, 1, ' Anything else?'),
  ]);
  const view = foldEvents(events);

  it('cuts the line exactly where the runtime says, as soon as it says so', () => {
    const atCut = agentLines(viewAfter(events, 'agent.cut'))[0]!;
    expect(atCut).toMatchObject({ status: 'cut', text: ROOMS, heardChars: 'We have rooms on'.length });
    expect(atCut.cut).toEqual({ by: 'failure', atMs: 1850, heardMs: 1260, heardText: 'We have rooms on', unheardText: ROOMS.slice('We have rooms on'.length) });
    expect(agentLines(view)[0]).toEqual(atCut);
  });

  it('logs the failure and reports the turn failed', () => {
    expect(view.failures).toEqual([{ atMs: 1850, source: 'reply', message: 'the voice stream broke', retryable: true }]);
    expect(view.waterfall.turns.map((t) => [t.index, t.outcome])).toEqual([[1, 'failed']]);
    expect(view.regions.agentActivity).toBe('idle');
    expect(view.conversation.live).toEqual([]);
  });
});

describe('a reply that fails before it is heard', () => {
  it('ends unspoken, with no cut', () => {
    const view = foldEvents(
      stream([
        started(),
        committed(900, 1, ROOMS_QUESTION, 600),
        utterance(900, 1, 'reply', 1),
        state(900, 'responding.thinking.waitingFirstToken'),
        say(950, 1, 'We have'),
        failure(1400, 'reply', 'the model stopped answering'),
        turn(1400, turnRecord(1, ROOMS_QUESTION, {}, 'failed', 600)),
        state(1400, 'idle.attentive'),
      ]),
    );
    expect(agentLines(view)).toMatchObject([{ status: 'unspoken', text: 'We have', heardChars: 0 }]);
    expect(agentLines(view)[0]!.cut).toBeUndefined();
  });
});

describe('the recogniser is lost mid-reply', () => {
  it('cuts the reply by failure and shows the apology as its own line', () => {
    const apology = "I'm sorry, I can no longer hear you. Please call again.";
    const view = foldEvents(
      stream([
        started(),
        ...askRooms(),
        heard(1600, 1, 900, 'We have', 2, 'rooms'),
        failure(1650, 'stt', 'the caller can no longer be heard'),
        cut(1650, 1, 'failure', 1000, 'We have rooms', ROOMS),
        turn(1650, turnRecord(1, ROOMS_QUESTION, { responseMs: 400 }, 'failed', 600)),
        utterance(1650, 2, 'unavailable'),
        state(1650, 'responding.thinking.waitingFirstToken'),
        say(1660, 2, apology),
        audio(1700, 2),
        state(1700, 'responding.speaking'),
      ]),
    );
    expect(agentLines(view).map((l) => [l.utteranceId, l.purpose, l.turnIndex, l.status, l.cut?.by])).toEqual([
      [1, 'reply', 1, 'cut', 'failure'],
      [2, 'unavailable', undefined, 'speaking', undefined],
    ]);
    expect(agentLines(view)[1]!.text).toBe(apology);
  });
});
