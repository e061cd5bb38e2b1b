/*
 * A caller pauses in the middle of a sentence: after "and", after "um", in the middle of spelling a phone
 * number. Answering at the first 300 ms of silence would cut them off, so the agent waits up to
 * `maxSilenceMs` (1200 ms) when the words say more is coming, and answers a complete question after only
 * `minSilenceMs` (300 ms). A caller who does go on after such a pause ("I want to book and" ... 800 ms ...
 * "for Tuesday") is one turn, not two: the agent answers both parts together.
 */
import { describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../harness.js';

const MIN_SILENCE_MS = 300;
const MAX_SILENCE_MS = 1200;
/** Commit happens on the silence timer; the harness advances the clock in 5 ms steps. */
const TIMER_SLACK_MS = 5;

function endpointingHarness(): Harness {
  return createHarness({
    patch: { turnTaking: { endpointing: { minSilenceMs: MIN_SILENCE_MS, maxSilenceMs: MAX_SILENCE_MS }, preemptiveGeneration: false } },
    llm: { replies: [{ match: 'tuesday', reply: 'Tuesday it is.' }] },
  });
}

async function firstTurnOf(text: string) {
  const h = endpointingHarness();
  h.start();
  await h.run(200);
  h.say(text);
  await h.runUntil(() => h.session.record.turns.length === 1, 10_000);
  return { h, turn: h.session.record.turns[0]! };
}

describe('endpointing waits for unfinished thoughts', () => {
  it.each([
    ['a trailing conjunction', 'I would like to book a table and', 'continuation'],
    ['a trailing filler', 'I would like to book um', 'filler'],
    ['digits being spelled', 'my number is four five six', 'spelling-digits'],
  ] as const)('waits maxSilenceMs after %s', async (_case, text, cue) => {
    const { turn } = await firstTurnOf(text);
    expect(turn.userText).toBe(text);
    expect(turn.endpointCue).toBe(cue);
    expect(turn.spans.endpointingMs).toBeGreaterThanOrEqual(MAX_SILENCE_MS);
    expect(turn.spans.endpointingMs).toBeLessThanOrEqual(MAX_SILENCE_MS + TIMER_SLACK_MS);
  });

  it('answers a complete question after minSilenceMs', async () => {
    const { h, turn } = await firstTurnOf('what time do you open');
    expect(turn.endpointCue).toBe('question');
    expect(turn.spans.endpointingMs).toBeGreaterThanOrEqual(MIN_SILENCE_MS);
    expect(turn.spans.endpointingMs).toBeLessThanOrEqual(MIN_SILENCE_MS + TIMER_SLACK_MS);
    // The LLM was asked at the endpoint, not a maxSilenceMs later.
    const request = h.llm().requests[0]!;
    expect(request.startedAtMs - turn.speechEndMs).toBeLessThanOrEqual(MIN_SILENCE_MS + TIMER_SLACK_MS);
  });

  it('uses a final transcript that arrives before the VAD declares the end of speech', async () => {
    const h = endpointingHarness();
    h.start();
    await h.run(200);
    // A fast recogniser: final 60 ms after the last word, before the VAD's speech-end hangover has passed.
    h.say('what time do you open', { finalDelayMs: 60, partialLagMs: 40 });
    await h.runUntil(() => h.session.record.turns.length === 1, 10_000);
    const turn = h.session.record.turns[0]!;
    expect(turn.userText).toBe('what time do you open');
    expect(turn.endpointCue).toBe('question');
    expect(turn.spans.endpointingMs).toBeLessThanOrEqual(MIN_SILENCE_MS + TIMER_SLACK_MS);
  });

  it('keeps a caller who pauses mid-thought in one turn', async () => {
    const h = endpointingHarness();
    h.start();
    await h.run(200);
    h.say('I want to book and');
    // Speech (4 words x 300 ms), then 800 ms of silence: shorter than maxSilenceMs, longer than minSilenceMs.
    await h.run(1200 + 800);
    expect(h.session.record.turns).toHaveLength(0);
    h.say('for Tuesday');
    await h.runUntil(() => h.session.record.turns.length === 1 && h.statesInclude('agent.idle'), 10_000);
    await h.run(2000);

    const { turns, transcript } = h.session.record;
    expect(turns).toHaveLength(1);
    expect(turns[0]!.userText).toBe('I want to book and for Tuesday');
    expect(turns[0]!.endpointCue).toBe('statement');
    // The wait after "for Tuesday" is chosen from the whole utterance (a statement), not its first part.
    expect(turns[0]!.spans.endpointingMs).toBeLessThan(MAX_SILENCE_MS);
    expect(transcript.filter((e) => e.role === 'user').map((e) => e.text)).toEqual(['I want to book and for Tuesday']);
    const requests = h.llm().requests;
    expect(requests).toHaveLength(1);
    expect(requests[0]!.messages.at(-1)).toEqual({ role: 'user', content: 'I want to book and for Tuesday' });
    expect(transcript.at(-1)).toMatchObject({ role: 'assistant', text: 'Tuesday it is.' });
  });

  it('keeps the first part when its final transcript arrives after the caller went on', async () => {
    const h = endpointingHarness();
    h.start();
    await h.run(200);
    // A slow recogniser: the final of "I want to book and" comes 500 ms after the words, when the caller is
    // already speaking again (after a 300 ms pause).
    h.say('I want to book and', { finalDelayMs: 500 });
    await h.run(1200 + 300);
    h.say('for Tuesday');
    await h.runUntil(() => h.session.record.turns.length === 1 && h.statesInclude('agent.idle'), 10_000);
    await h.run(2000);

    expect(h.session.record.turns.map((t) => t.userText)).toEqual(['I want to book and for Tuesday']);
    expect(h.llm().requests.at(-1)!.messages.at(-1)).toEqual({ role: 'user', content: 'I want to book and for Tuesday' });
  });
});
