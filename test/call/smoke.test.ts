import { describe, expect, it } from 'vitest';
import { createHarness } from './harness.js';

describe('call smoke', () => {
  it('greets, hears a question, answers', async () => {
    const h = createHarness({ patch: { prompt: { greeting: 'Hello, how can I help?' } }, llm: { replies: [{ match: 'hours', reply: 'We open at nine.' }] } });
    h.start();
    await h.runUntil(() => h.statesInclude('agent.idle'), 10_000);
    console.log(h.session.states(), h.agentAudioMs());
    h.say('what are your hours');
    await h.runUntil(() => h.session.record.turns.length === 1 && h.statesInclude('agent.idle'), 10_000);
    console.log(JSON.stringify(h.session.record, null, 1).slice(0, 3000));
  });
});
