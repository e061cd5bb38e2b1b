/*
 * The caller asks a question; the model streams its first words ("Let me check that for you.") and then its
 * stream stalls: no more tokens, no error, no end. The voice says those words and playout runs out of audio.
 * The agent must not sit in `speaking` for ever with the caller hearing silence: after speechStallMs of no
 * audio the reply is given up. The record says why (a `reply` failure mentioning the stall), the turn has
 * failed, the model's request is aborted, and the context keeps only the words the caller heard, cut by the
 * failure. The agent listens again (reprompts are off, so nothing else speaks), and the caller's next line
 * is answered as usual.
 */
import { describe, expect, it } from 'vitest';
import { compileAgent } from '../../../runtime/compiler/index.js';
import { createFakeLlm } from '../../../runtime/testing.js';
import type { LanguageModel, LlmDelta, LlmRequest } from '../../../runtime/providers/types.js';
import type { Clock } from '../../../runtime/util/clock.js';
import { createHarness } from '../harness.js';

const FIRST_WORDS = 'Let me check that for you.';
const ANSWER = 'Your booking is confirmed.';
const TTFT_MS = 100;
/** The fake voice's default pace. */
const MS_PER_CHAR = 55;
const SPEECH_STALL_MS = 5000;

/** What the stalling model saw of one request. */
interface StallRecord {
  readonly lastUser: string;
  aborted: boolean;
}

/**
 * A model whose reply to `stallOn` streams the words of `firstWords`, then never sends anything again until its
 * request is aborted (which it honours by ending the stream). Other requests go to a fake LLM answering `answer`.
 */
function createStallingModel(clock: Clock, options: { stallOn: string; firstWords: string; answer: string }) {
  const answering = createFakeLlm({ clock, replies: [], defaultReply: options.answer, ttftMs: TTFT_MS });
  const stalled: StallRecord[] = [];
  const model: LanguageModel & { readonly stalled: readonly StallRecord[] } = {
    id: 'stalling-llm',
    capabilities: { streaming: true },
    stalled,
    stream(request) {
      const lastUser = request.messages.findLast((m) => m.role === 'user')?.content ?? '';
      if (!lastUser.includes(options.stallOn)) return answering.stream(request);
      const record: StallRecord = { lastUser, aborted: false };
      stalled.push(record);
      return stallAfterWords(clock, request, options.firstWords, record);
    },
  };
  return model;
}

async function* stallAfterWords(clock: Clock, request: LlmRequest, text: string, record: StallRecord): AsyncGenerator<LlmDelta> {
  const aborted = new Promise<void>((resolve) => {
    if (request.signal.aborted) resolve();
    request.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await new Promise<void>((resolve) => clock.setTimeout(resolve, TTFT_MS));
  // Each word with its trailing space, so the voice can say every one of them before the stall.
  for (const word of text.split(' ')) yield `${word} `;
  await aborted;
  record.aborted = true;
}

function stallingCall() {
  let model: ReturnType<typeof createStallingModel> | undefined;
  const h = createHarness({
    patch: {
      // No reprompts within the test: only the stall bound may end the silence.
      turnTaking: { preemptiveGeneration: false, callerSilence: { repromptAfterMs: 60_000, hangupAfterMs: 600_000 } },
    },
    languageModels: { main: (clock) => (model = createStallingModel(clock, { stallOn: 'booking', firstWords: FIRST_WORDS, answer: ANSWER })) },
  });
  return { h, model: () => model! };
}

describe('a reply whose stream stalls mid-sentence', () => {
  it('is given up after speechStallMs, keeps the heard words, and the next line is answered', async () => {
    const { h, model } = stallingCall();
    // The stall bound is compiled into the chart's data.
    expect(compileAgent(h.spec).dynamicDelays.speechStallMs).toEqual({ ms: SPEECH_STALL_MS });
    h.start();
    h.say('can you check my booking');
    await h.runUntil(() => h.session.hasTag('agent-speaking'), 5000);

    // The first words are said in full, then playout runs dry.
    const starvedAt = () => h.events.find((e) => e.type === 'state' && e.states.some((s) => s.endsWith('responding.speaking.starved')))?.atMs;
    await h.runUntil(() => starvedAt() !== undefined, 5000);
    const heardBeforeStall = h.transport.heardMs();
    expect(h.tts.contexts[0]!.text).toBe(`${FIRST_WORDS} `);
    expect(h.transport.sentMs()).toBe(Math.ceil(((FIRST_WORDS.length + 1) * MS_PER_CHAR) / 20) * 20);

    // Nothing happens for the stall bound: the agent waits for more audio, silently, without a failure.
    await h.run(SPEECH_STALL_MS - 100);
    expect(h.statesInclude('responding.speaking.starved')).toBe(true);
    expect(h.session.record.failures).toEqual([]);
    expect(h.transport.sentMs()).toBe(h.transport.heardMs());

    // Then it is given up, exactly speechStallMs after the audio ran out.
    await h.runUntil(() => h.statesInclude('agent.idle'), 1000);
    const [failure, ...moreFailures] = h.session.record.failures;
    expect(moreFailures).toEqual([]);
    expect(failure).toMatchObject({ source: 'reply', retryable: true });
    expect(failure!.message).toMatch(/stalled/);
    expect(failure!.atMs - starvedAt()!).toBe(SPEECH_STALL_MS);
    expect(h.eventsOf('failure').map((e) => e.failure)).toEqual([failure]);
    expect(h.session.record.turns[0]!.outcome).toBe('failed');
    expect(h.eventsOf('turn').map((e) => e.record.outcome)).toEqual(['failed']);
    expect(model().stalled).toEqual([{ lastUser: 'can you check my booking', aborted: true }]);
    expect(h.tts.contexts[0]!.cancelled).toBe(true);
    expect(h.transport.heardMs()).toBe(heardBeforeStall);

    // The context keeps exactly the words heard, flagged as cut by the failure.
    const assistant = h.session.record.transcript.filter((e) => e.role === 'assistant');
    expect(assistant).toHaveLength(1);
    expect(assistant[0]).toMatchObject({ text: FIRST_WORDS, interrupted: true, cutBy: 'failure', intendedText: `${FIRST_WORDS} ` });

    // The call is not left silent: the next line is answered normally.
    h.say('is my room ready');
    await h.runUntil(() => h.session.record.turns[1]?.outcome === 'answered', 10_000);
    expect(h.session.record.transcript.map((e) => [e.role, e.text])).toEqual([
      ['user', 'can you check my booking'],
      ['assistant', FIRST_WORDS],
      ['user', 'is my room ready'],
      ['assistant', ANSWER],
    ]);
    expect(h.session.record.failures).toHaveLength(1);
    expect(h.session.record.endReason).toBeUndefined();
    expect(h.transport.hangups).toEqual([]);
  });
});
