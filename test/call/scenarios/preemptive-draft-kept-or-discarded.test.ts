/*
 * The caller stops talking. While the agent is still waiting out the endpointing silence, the recogniser's
 * partial transcript is already complete, so the agent starts the LLM on it (a preemptive draft). When the
 * final transcript says the same thing, the draft is the reply: one request, and the first token comes sooner
 * than if the agent had waited for the endpoint. When the recogniser revises its words in the final ("for
 * two" -> "for 2"), the draft answered something the caller did not say: it is aborted and the reply is
 * generated again from the final text.
 */
import { describe, expect, it } from 'vitest';
import { createHarness } from '../harness.js';

const TTFT_MS = 250;

function draftHarness(preemptiveGeneration: boolean) {
  return createHarness({
    patch: { turnTaking: { endpointing: { minSilenceMs: 300, maxSilenceMs: 1200 }, preemptiveGeneration } },
    llm: {
      ttftMs: TTFT_MS,
      replies: [
        { match: /for two$/, reply: 'A table for two people, which evening would you like to come in?' },
        { match: /for 2$/, reply: 'Two guests, noted.' },
        { match: 'open', reply: 'We open at nine.' },
      ],
    },
  });
}

async function askWhenTheyOpen(preemptiveGeneration: boolean) {
  const h = draftHarness(preemptiveGeneration);
  h.start();
  await h.run(200);
  h.say('what time do you open');
  await h.runUntil(() => h.session.record.turns[0]?.outcome !== undefined, 10_000);
  return h;
}

describe('preemptive draft', () => {
  it('is kept when the final transcript equals the partial it started on, and answers sooner', async () => {
    const h = await askWhenTheyOpen(true);
    const turn = h.session.record.turns[0]!;
    const requests = h.llm().requests;
    expect(turn.draft).toBe('kept');
    expect(requests).toHaveLength(1);
    // Started during the endpointing silence, before the turn was committed.
    expect(requests[0]!.startedAtMs).toBeLessThan(turn.speechEndMs + turn.spans.endpointingMs!);
    expect(requests[0]!.aborted).toBe(false);
    expect(requests[0]!.messages.at(-1)).toEqual({ role: 'user', content: 'what time do you open' });
    expect(h.session.record.transcript.at(-1)).toMatchObject({ role: 'assistant', text: 'We open at nine.' });
    expect(h.tts.contexts.at(-1)!.text).toBe('We open at nine.');

    const waited = await askWhenTheyOpen(false);
    const waitedTurn = waited.session.record.turns[0]!;
    expect(waitedTurn.draft).toBeUndefined();
    expect(waited.llm().requests).toHaveLength(1);
    expect(waitedTurn.spans.llmFirstTokenMs).toBeGreaterThanOrEqual(TTFT_MS);
    // The draft had a head start of (endpoint - speech end - VAD hangover) on the same model.
    expect(turn.spans.llmFirstTokenMs!).toBeLessThan(waitedTurn.spans.llmFirstTokenMs! - 100);
  });

  it('is discarded and aborted when the final transcript differs, and the reply comes from the final', async () => {
    const h = draftHarness(true);
    h.start();
    await h.run(200);
    h.say('book a table for two', { finalText: 'book a table for 2' });
    await h.runUntil(() => h.session.record.turns[0]?.outcome !== undefined, 10_000);

    const { turns, transcript } = h.session.record;
    expect(turns[0]!.userText).toBe('book a table for 2');
    expect(turns[0]!.draft).toBe('discarded');
    const [draft, reply, ...more] = h.llm().requests;
    expect(more).toHaveLength(0);
    expect(draft!.messages.at(-1)).toEqual({ role: 'user', content: 'book a table for two' });
    expect(draft!.aborted).toBe(true);
    expect(reply!.messages.at(-1)).toEqual({ role: 'user', content: 'book a table for 2' });
    expect(reply!.startedAtMs).toBeGreaterThanOrEqual(turns[0]!.speechEndMs + turns[0]!.spans.endpointingMs!);
    // Nothing of the draft reached the caller, the context or the synthesiser.
    expect(transcript.map((e) => [e.role, e.text])).toEqual([
      ['user', 'book a table for 2'],
      ['assistant', 'Two guests, noted.'],
    ]);
    expect(h.tts.contexts.map((c) => c.text)).toEqual(['Two guests, noted.']);
  });
});
