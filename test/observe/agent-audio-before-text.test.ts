/*
 * A speech-to-speech model's audio can start before its transcript: the utterance's line is there from its
 * announcement, speaks with the audio and fills in as the text arrives. A barge-in decided with no reply to
 * cut only goes in the log.
 */
import { describe, expect, it } from 'vitest';
import type { AgentLine } from '../../runtime/observe/index.js';
import { conversationLines, foldEvents } from '../../runtime/observe/index.js';
import { audio, bargeIn, say, started, state, stream, utterance } from './events.js';

const agentLines = (view: ReturnType<typeof foldEvents>) => conversationLines(view).filter((l): l is AgentLine => l.role === 'agent');

describe('agent audio before text (speech-to-speech)', () => {
  it('speaks the line on audio and fills in the text', () => {
    const view = foldEvents(stream([started(), utterance(0, 1, 'greeting'), state(0, 'responding.thinking.waitingFirstToken'), audio(200, 1), say(260, 1, 'Hello,'), say(300, 1, ' welcome.')]));
    expect(agentLines(view)).toMatchObject([{ utteranceId: 1, purpose: 'greeting', status: 'speaking', text: 'Hello, welcome.', audioAtMs: 200 }]);
  });

  it('ignores a decision about a barge-in with no reply to cut', () => {
    const view = foldEvents(stream([started(), bargeIn(100, 'interrupted', { onsetMs: 50, kind: 'interrupt', reason: 'a newer caller turn' })]));
    expect(conversationLines(view)).toEqual([]);
    expect(view.bargeIns).toHaveLength(1);
  });
});
