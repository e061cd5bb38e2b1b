/*
 * The simplest whole call on the simulated clock: the agent greets, the caller asks a question, the agent
 * answers from the fake LLM. Every latency span of the turn is recorded.
 */
import { describe, expect, it } from 'vitest';
import { createHarness } from './harness.js';

describe('call smoke', () => {
  it('greets, hears a question, answers, and records the turn with its spans', async () => {
    const h = createHarness({ patch: { prompt: { greeting: 'Hello, how can I help?' } }, llm: { replies: [{ match: 'hours', reply: 'We open at nine.' }] } });
    h.start();
    await h.runUntil(() => h.statesInclude('agent.idle'), 10_000);
    expect(h.tts.contexts[0]!.text).toBe('Hello, how can I help?');
    h.say('what are your hours');
    await h.runUntil(() => h.session.record.turns.length === 1 && h.statesInclude('agent.idle'), 10_000);
    const record = h.session.record;
    expect(record.transcript.map((e) => [e.role, e.text])).toEqual([
      ['assistant', 'Hello, how can I help?'],
      ['user', 'what are your hours'],
      ['assistant', 'We open at nine.'],
    ]);
    const turn = record.turns[0]!;
    expect(turn).toMatchObject({ index: 1, userText: 'what are your hours', endpointCue: 'question', outcome: 'answered', route: { profile: 'main', rule: -1 } });
    for (const span of ['endpointingMs', 'sttFinalMs', 'llmFirstTokenMs', 'ttsFirstAudioMs', 'firstFrameOutMs', 'responseMs'] as const) {
      expect(turn.spans[span], span).toBeTypeOf('number');
    }
    // A question commits at minSilenceMs; the response is endpointing + model + TTS first audio.
    expect(turn.spans.endpointingMs).toBe(300);
    expect(turn.spans.responseMs).toBe(turn.spans.endpointingMs! + turn.spans.llmFirstTokenMs! + turn.spans.ttsFirstAudioMs! + turn.spans.firstFrameOutMs!);
  });
});
