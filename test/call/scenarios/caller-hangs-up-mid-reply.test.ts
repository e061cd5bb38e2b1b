/*
 * The agent is halfway through a long answer when the caller hangs up. The call record must still be written,
 * and must not claim the caller heard the whole answer: the assistant message holds the words played before the
 * hang-up, flagged interrupted, with the full reply kept as `intendedText`; the turn's outcome is `hangup` and
 * the call ended because the caller hung up (so the agent does not hang up back). Nothing is sent afterwards.
 *
 * A runtime failure path next to it: the language model breaks off mid-answer. The failure is recorded with
 * its source and the provider's message, the turn is marked failed, and the caller can go on talking.
 */
import { describe, expect, it } from 'vitest';
import { BROKEN_OFF_NOTE, INTERRUPTION_NOTE } from '../../../runtime/call/conversation.js';
import { createHarness } from '../harness.js';

const LONG_REPLY = 'We have rooms on the first floor with a garden view, rooms on the second floor with a balcony, and a suite.';
const MS_PER_CHAR = 55;

/** The reply up to the end of the last word whose audio ended by `heardMs` (word ends are where spaces start). */
function heardPrefix(text: string, heardMs: number): string {
  let end = 0;
  for (const match of text.matchAll(/\S+/g)) {
    const wordEnd = match.index + match[0].length;
    if (wordEnd * MS_PER_CHAR <= heardMs + 1) end = wordEnd;
  }
  return text.slice(0, end);
}

describe('caller hangs up mid-reply', () => {
  it('saves the record with only the heard words, flagged interrupted', async () => {
    const h = createHarness({ llm: { replies: [{ match: 'rooms', reply: LONG_REPLY }] }, tts: { msPerChar: MS_PER_CHAR } });
    h.start();
    await h.run(200);
    h.say('which rooms do you have');
    await h.runUntil(() => h.transport.heardMs() >= 2000, 10_000);
    // Let the next frame go out so the caller is between words.
    await h.run(30);
    const heardMs = h.transport.heardMs();
    const sentFrames = h.transport.sent.length;
    expect(h.llm().requests[0]!.text).toBe(LONG_REPLY);

    h.session.hangup();
    const record = await h.session.done;
    await h.run(1000);

    expect(record).toBe(h.session.record);
    expect(record.endReason).toBe('caller-hangup');
    expect(record.turns[0]!.outcome).toBe('hangup');
    const assistant = record.transcript.at(-1)!;
    const heard = heardPrefix(LONG_REPLY, heardMs);
    expect(heard.length).toBeGreaterThan(10);
    expect(assistant).toMatchObject({ role: 'assistant', text: heard, interrupted: true, cutBy: 'hangup', intendedText: LONG_REPLY });
    expect(h.transport.sent.length).toBe(sentFrames);
    expect(h.transport.hangups).toEqual([]);
    expect(h.tts.contexts[0]!.cancelled || h.tts.contexts[0]!.done).toBe(true);
    expect(h.stt.closed).toBe(true);
  });

  it('records an LLM failure mid-answer and goes on with the call', async () => {
    const h = createHarness({
      llm: {
        replies: [
          { match: 'rooms', reply: LONG_REPLY },
          { match: 'suite', reply: 'The suite has two bedrooms.' },
        ],
        failures: [{ request: 0, kind: 'error-mid-stream' }],
      },
      patch: { turnTaking: { preemptiveGeneration: false } },
    });
    h.start();
    await h.run(200);
    h.say('which rooms do you have');
    await h.runUntil(() => h.session.record.turns[0]?.outcome !== undefined, 10_000);

    const { record } = h.session;
    expect(record.turns[0]!.outcome).toBe('failed');
    expect(record.failures).toEqual([{ atMs: expect.any(Number), source: 'reply', message: expect.stringMatching(/^fake-main: injected failure mid-stream/), retryable: true }]);
    expect(record.endReason).toBeUndefined();
    const sentAtFailureMs = h.transport.sentMs();
    await h.run(1500);

    // Playout stopped at a word boundary (at most the word tail more), not playing on unsupervised; the context
    // keeps what the caller heard of the broken-off answer.
    const generated = h.llm().requests[0]!.text;
    expect(LONG_REPLY.startsWith(generated) && generated.length < LONG_REPLY.length).toBe(true);
    expect(h.transport.sentMs()).toBeLessThanOrEqual(sentAtFailureMs + 120);
    const cutOff = record.transcript.at(-1)!;
    expect(cutOff).toMatchObject({ role: 'assistant', text: heardPrefix(generated, h.transport.heardMs()), interrupted: true, cutBy: 'failure', intendedText: generated });
    expect(generated.startsWith(cutOff.text)).toBe(true);
    h.say('tell me about the suite');
    await h.runUntil(() => record.turns[1]?.outcome !== undefined && h.statesInclude('agent.idle'), 10_000);
    expect(record.turns[1]!.outcome).toBe('answered');
    const context = h.llm().requests[1]!.messages.filter((m) => m.role !== 'system');
    expect(context).toEqual([
      { role: 'user', content: 'which rooms do you have' },
      { role: 'assistant', content: cutOff.text },
      { role: 'user', content: 'tell me about the suite' },
    ]);
    // The model is told the reply broke off, not that the caller interrupted it: the caller may still be
    // waiting for the rest.
    const messages = h.llm().requests[1]!.messages;
    const afterCutOff = messages[messages.findIndex((m) => m.role === 'assistant' && m.content === cutOff.text) + 1];
    expect(afterCutOff).toEqual({ role: 'system', content: BROKEN_OFF_NOTE });
    expect(messages.map((m) => m.content)).not.toContain(INTERRUPTION_NOTE);
    expect(record.transcript.at(-1)).toMatchObject({ role: 'assistant', text: 'The suite has two bedrooms.' });
    expect(record.endReason).toBeUndefined();
  });
});
