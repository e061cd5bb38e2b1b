/*
 * While the agent is still thinking about "please book me in", the caller adds one word ("Tuesday"): too
 * little to count as barging in, so the reply keeps thinking until the caller's new turn commits. That newer
 * turn supersedes the reply: its request is aborted before the new one is sent (on a shared Realtime session
 * a cancel sent after the new `response.create` would cancel the new response too), and one answer follows.
 */
import { describe, expect, it } from 'vitest';
import { createHarness } from '../harness.js';

describe('a newer turn superseding a reply that is still thinking', () => {
  it('aborts the old request before sending the new one', async () => {
    const h = createHarness({
      llm: {
        ttftMs: 1500,
        replies: [
          { match: 'tuesday', reply: 'Tuesday it is.' },
          { match: 'book', reply: 'Which day would suit you?' },
        ],
      },
      patch: { turnTaking: { preemptiveGeneration: false }, bargeIn: { confirm: { minWords: 3 } } },
    });
    h.start();
    h.say('please book me in');
    await h.runUntil(() => h.statesInclude('responding.thinking'));
    await h.run(200);
    h.say('Tuesday');
    await h.runUntil(() => h.session.record.turns.length === 2 && h.statesInclude('agent.idle'), 10_000);

    const requests = h.llm().requests;
    expect(requests).toHaveLength(2);
    expect(requests[0]!.aborted).toBe(true);
    expect(requests[1]!.streamingAtStart).toBe(0);
    expect(requests[1]!.messages.filter((m) => m.role !== 'system')).toEqual([
      { role: 'user', content: 'please book me in' },
      { role: 'user', content: 'Tuesday' },
    ]);
    // The reply nobody heard leaves no empty assistant message behind; its turn is abandoned.
    expect(h.session.record.transcript.map((e) => [e.role, e.text, e.unanswered ?? false])).toEqual([
      ['user', 'please book me in', true],
      ['user', 'Tuesday', false],
      ['assistant', 'Tuesday it is.', false],
    ]);
    expect(h.session.record.turns.map((t) => t.outcome)).toEqual(['abandoned', 'answered']);
  });
});

describe('a newer turn superseding a reply the caller heard part of', () => {
  it('keeps in the context only the words heard', async () => {
    const h = createHarness({
      llm: {
        replies: [
          { match: 'tuesday', reply: 'Tuesday it is.' },
          { match: 'book', reply: 'I can book you for Monday morning at nine, or for Wednesday afternoon at three, whichever suits you best.' },
        ],
      },
      patch: { turnTaking: { preemptiveGeneration: false }, bargeIn: { confirm: { minWords: 3 } } },
    });
    h.start();
    h.say('please book me in');
    await h.runUntil(() => h.session.hasTag('agent-speaking'));
    await h.run(1000);
    h.say('Tuesday');
    await h.runUntil(() => h.session.record.turns.length === 2 && h.statesInclude('agent.idle'), 20_000);

    const first = h.session.record.transcript[1]!;
    expect(first).toMatchObject({ role: 'assistant', interrupted: true, cutBy: 'caller' });
    expect(first.text.length).toBeGreaterThan(0);
    expect(first.intendedText!.startsWith(first.text)).toBe(true);
    expect(first.text.length).toBeLessThan(first.intendedText!.length);
    const requests = h.llm().requests;
    expect(requests[1]!.messages.find((m) => m.role === 'assistant')?.content).toBe(first.text);
    expect(h.session.record.turns.map((t) => t.outcome)).toEqual(['interrupted', 'answered']);
    // The caller's "Tuesday" over the agent is the one barge-in of the call, decided by the newer turn.
    expect(h.session.record.bargeIns).toHaveLength(1);
    expect(h.session.record.bargeIns[0]).toMatchObject({ kind: 'interrupt', reason: 'a newer caller turn', heardText: first.text, intendedText: first.intendedText });
  });
});
