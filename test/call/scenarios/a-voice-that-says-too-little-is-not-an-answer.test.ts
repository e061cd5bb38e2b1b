/*
 * The voice says it is done but voiced less than the reply: a dropped context gives no audio at all, or the
 * stream closes after its first phrase. On main the turn was recorded `answered` and the whole reply stayed
 * in the transcript and the model's context, words nobody heard. Now the context keeps what was voiced, a tts
 * failure says what happened, and a reply that voiced nothing is no answer.
 */
import { describe, expect, it } from 'vitest';
import { createHarness } from '../harness.js';

const REPLY = 'We are open from nine in the morning until six in the evening, every weekday.';

function harnessWith(kind: 'silent' | 'ends-early') {
  // Context 0 is the first reply (this agent has no greeting).
  return createHarness({ llm: { replies: [{ match: 'open', reply: REPLY }] }, tts: { failures: [{ context: 0, kind }] } });
}

describe('a voice that says too little is not an answer', () => {
  it('a reply with no audio at all: the turn failed, nothing of it in the context', async () => {
    const h = harnessWith('silent');
    h.start();
    await h.run(200);
    h.say('when are you open');
    await h.runUntil(() => h.session.record.turns[0]?.outcome !== undefined, 10_000);
    const record = h.session.record;
    expect(record.turns[0]!.outcome).toBe('failed');
    expect(record.failures.map((f) => f.source)).toContain('tts');
    expect(record.failures.find((f) => f.source === 'tts')!.message).toContain('no audio');
    // The caller's words stay; no assistant words the caller never heard.
    expect(record.transcript.filter((e) => e.role === 'assistant' && e.text !== '')).toEqual([]);
    expect(h.transport.sentMs()).toBe(0);
  });

  it('a reply whose voice stopped after its first phrase: the context keeps only the words voiced', async () => {
    const h = harnessWith('ends-early');
    h.start();
    await h.run(200);
    h.say('when are you open');
    await h.runUntil(() => h.session.record.turns[0]?.outcome !== undefined && h.statesInclude('agent.idle'), 10_000);
    const record = h.session.record;
    const entry = record.transcript.find((e) => e.role === 'assistant')!;
    expect(entry.intendedText).toBe(REPLY);
    expect(entry.text.length).toBeGreaterThan(0);
    expect(REPLY.startsWith(entry.text)).toBe(true);
    expect(entry.text.length).toBeLessThan(REPLY.length);
    expect(entry).toMatchObject({ interrupted: true, cutBy: 'failure' });
    expect(record.failures.find((f) => f.source === 'tts')!.message).toContain('stopped after');
  });
});
