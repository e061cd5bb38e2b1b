/*
 * The waterfall used to show "0 ms LLM first token" on every turn answered from a kept preemptive draft: the
 * draft's tokens were ready at the commit, and the model's real time to first token was recorded nowhere.
 * Now every model turn records two figures: `llmFirstTokenMs`, what the caller waited on the model after the
 * commit (near 0 for a kept draft), and `llmRequestToFirstTokenMs`, the model's own time from its request to
 * its first token (from the draft's request when a draft was kept, from the hedge for a fallback that won).
 */
import { describe, expect, it } from 'vitest';
import { createHarness, type Harness, type HarnessOptions } from '../harness.js';

const TTFT_MS = 250;
const FIRST_AUDIO_MS = 120;

function harness(patch: HarnessOptions['patch'], llm: HarnessOptions['llm']): Harness {
  return createHarness({ patch, llm, tts: { firstAudioMs: FIRST_AUDIO_MS } });
}

async function ask(h: Harness, text: string) {
  const index = h.session.record.turns.length;
  h.say(text);
  await h.runUntil(() => h.session.record.turns[index]?.outcome !== undefined && h.statesInclude('agent.idle'), 10_000);
  return h.session.record.turns[index]!;
}

describe('the model\'s time to first token', () => {
  it('is recorded from the draft\'s request when a preemptive draft is kept, while the caller waited almost nothing', async () => {
    const h = harness({ turnTaking: { endpointing: { minSilenceMs: 300, maxSilenceMs: 1200 }, preemptiveGeneration: true } }, { ttftMs: TTFT_MS, replies: [{ match: 'open', reply: 'We open at nine.' }] });
    h.start();
    await h.run(200);
    const turn = await ask(h, 'what time do you open');
    const [request] = h.llm().requests;
    expect(turn.draft).toBe('kept');
    expect(turn.spans.llmRequestToFirstTokenMs).toBe(TTFT_MS);
    expect(turn.spans.llmRequestToFirstTokenMs).toBe(request!.firstTokenAtMs! - request!.startedAtMs);
    expect(turn.spans.llmFirstTokenMs!).toBeLessThan(TTFT_MS - 100);
  });

  it('equals the wait after the commit when the request went out at the commit', async () => {
    const h = harness({ turnTaking: { preemptiveGeneration: false } }, { ttftMs: TTFT_MS, replies: [{ match: 'open', reply: 'We open at nine.' }] });
    h.start();
    await h.run(200);
    const turn = await ask(h, 'what time do you open');
    expect(turn.draft).toBeUndefined();
    expect(turn.spans.llmRequestToFirstTokenMs).toBe(TTFT_MS);
    expect(turn.spans.llmFirstTokenMs).toBe(TTFT_MS);
  });

  it('is the fallback\'s own time when the fallback won after the first-token timeout', async () => {
    const h = createHarness({
      patch: {
        models: { main: null, primary: { provider: 'openai', model: 'big-model', firstTokenTimeoutMs: 500, fallback: 'backup' }, backup: { provider: 'openai', model: 'small-model' } },
        turnTaking: { preemptiveGeneration: false },
      },
      llmByProfile: { primary: { defaultReply: 'The primary model answers.', ttftMs: 2000 }, backup: { defaultReply: 'The backup model answers.', ttftMs: 100 } },
    });
    h.start();
    await h.run(200);
    const turn = await ask(h, 'what time do you open');
    expect(turn.route?.fallbackUsed).toBe(true);
    expect(turn.spans.llmFirstTokenMs).toBe(600);
    expect(turn.spans.llmRequestToFirstTokenMs).toBe(100);
  });
});

describe('the voice\'s first audio', () => {
  it('is recorded on every model turn, kept draft or not, and the spans add up to the response', async () => {
    for (const preemptiveGeneration of [true, false]) {
      const h = harness({ turnTaking: { preemptiveGeneration } }, { ttftMs: TTFT_MS, replies: [{ match: 'open', reply: 'We open at nine.' }] });
      h.start();
      await h.run(200);
      const { spans } = await ask(h, 'what time do you open');
      expect(spans.ttsFirstAudioMs, `preemptiveGeneration: ${preemptiveGeneration}`).toBe(FIRST_AUDIO_MS);
      expect(spans.responseMs).toBe(spans.endpointingMs! + spans.llmFirstTokenMs! + spans.ttsFirstAudioMs! + spans.firstFrameOutMs!);
    }
  });
});
