/*
 * The model accepts the request and then never sends a token (a stalled stream, no error). Without a
 * watchdog the agent would sit in `thinking` for ever and the caller would hear silence. The reply is given
 * up after replyWatchdogMs, the failure is recorded, and the agent listens again and answers the next turn.
 */
import { describe, expect, it } from 'vitest';
import { replyWatchdogMs } from '../../../runtime/compiler/compile-agent.js';
import { createHarness } from '../harness.js';

describe('stuck reply watchdog', () => {
  it('gives up a reply that never produces audio, records it, and keeps the call going', async () => {
    const h = createHarness({ llm: { replies: [{ match: 'second', reply: 'Here is the answer.' }], defaultReply: 'Never heard.', failures: [{ request: 0, kind: 'stall' }] }, patch: { turnTaking: { preemptiveGeneration: false } } });
    h.start();
    h.say('first question please');
    await h.runUntil(() => h.statesInclude('responding.thinking'), 5000);
    const waited = await h.runUntil(() => h.statesInclude('agent.idle'), 20_000);
    expect(waited).toBeGreaterThanOrEqual(replyWatchdogMs(h.spec) - 40);
    expect(waited).toBeLessThan(replyWatchdogMs(h.spec) + 100);
    expect(h.session.record.failures.map((f) => f.source)).toContain('watchdog');
    expect(h.session.record.turns[0]!.outcome).toBe('failed');
    expect(h.llm().requests[0]!.aborted).toBe(true);

    h.say('second question please');
    await h.runUntil(() => h.session.record.turns.length === 2 && h.statesInclude('agent.idle'), 10_000);
    expect(h.session.record.transcript.at(-1)).toMatchObject({ role: 'assistant', text: 'Here is the answer.' });
  });
});
