/*
 * The caller interrupts the agent ("wait, not Monday"), and while the agent is still thinking about that
 * interruption the caller adds "I meant Tuesday". The in-flight LLM request is aborted and one new response
 * covers both utterances: the model receives both user messages and only one reply is spoken.
 */
import { describe, expect, it } from 'vitest';
import { createHarness } from '../harness.js';

describe('double interruption', () => {
  it('aborts the in-flight request and answers both utterances once', async () => {
    const h = createHarness({
      llm: {
        ttftMs: 900,
        replies: [
          { match: 'tuesday', reply: 'Got it, Tuesday it is.' },
          { match: 'monday', reply: 'Sorry, which day would you prefer?' },
          { match: 'book', reply: 'I have booked you for Monday morning at nine, and I will send a confirmation by text message.' },
        ],
      },
      patch: { turnTaking: { preemptiveGeneration: false } },
    });
    h.start();
    h.say('please book me in');
    await h.runUntil(() => h.session.hasTag('agent-speaking'));
    await h.run(800);
    h.say('wait not Monday');
    await h.runUntil(() => h.statesInclude('responding.thinking'), 3000);
    await h.run(200);
    h.say('I meant Tuesday');
    await h.runUntil(() => h.session.record.turns.length === 3 && h.statesInclude('agent.idle'), 10_000);

    const requests = h.llm().requests;
    expect(requests).toHaveLength(3);
    expect(requests[1]!.aborted).toBe(true);
    // Aborted before the request that supersedes it went out: on a shared Realtime session a cancel sent
    // after the new response.create would cancel that one too.
    expect(requests[2]!.streamingAtStart).toBe(0);
    expect(requests[1]!.text).toBe('');
    const users = requests[2]!.messages.filter((m) => m.role === 'user').map((m) => m.content);
    expect(users.slice(-2)).toEqual(['wait not Monday', 'I meant Tuesday']);
    const spoken = h.session.record.transcript.filter((e) => e.role === 'assistant').map((e) => e.intendedText ?? e.text);
    expect(spoken.filter((t) => t.includes('which day'))).toHaveLength(0);
    expect(h.session.record.transcript.at(-1)).toMatchObject({ role: 'assistant', text: 'Got it, Tuesday it is.' });
    expect(h.session.record.turns.map((t) => t.outcome)).toEqual(['interrupted', 'abandoned', 'answered']);
    expect(h.session.record.transcript.find((e) => e.text === 'wait not Monday')!.unanswered).toBe(true);
  });
});
