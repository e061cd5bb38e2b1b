/*
 * A dualplex agent with `inference.realtime.degradeTo`: when the realtime session is lost for good, the call
 * goes on as a cascade instead of ending. The `stt` recogniser hears the caller from then on, and turns routed
 * to the realtime model are answered by the `degradeTo` profile. The switch is in the call record.
 */
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../../runtime/providers/errors.js';
import { createHarness } from '../harness.js';

const lost = () => new ProviderError({ provider: 'openai-realtime', kind: 'auth', message: 'invalid api key', retryable: false });

function dualplex(degradeTo: string | undefined) {
  return createHarness({
    patch: { inference: { mode: 'dualplex', realtime: { provider: 'openai', model: 'gpt-realtime', ...(degradeTo ? { degradeTo } : {}) } }, prompt: { unavailable: 'Sorry, goodbye.' } },
    llmByProfile: { realtime: { replies: [], defaultReply: 'From the realtime model.' }, main: { replies: [], defaultReply: 'From the chat model.' } },
    degradedStt: true,
  });
}

describe('a lost realtime session with degradeTo', () => {
  it('goes on as a cascade: the stt recogniser hears the next turn and the degradeTo profile answers it', async () => {
    const h = dualplex('main');
    h.start();
    h.say('where is my order');
    await h.runUntil(() => h.session.record.turns[0]?.outcome === 'answered' && h.statesInclude('agent.idle'), 10_000);
    expect(h.tts.contexts.map((c) => c.text)).toEqual(['From the realtime model.']);

    h.stt.lose(lost());
    expect(h.degradedStt!.streamsStarted).toBe(1);
    expect(h.stt.closed).toBe(true);
    h.say('and do you have parking');
    await h.runUntil(() => h.session.record.turns[1]?.outcome === 'answered' && h.statesInclude('agent.idle'), 10_000);

    const record = h.session.record;
    expect(record.endReason).toBeUndefined();
    expect(h.tts.contexts.map((c) => c.text)).toEqual(['From the realtime model.', 'From the chat model.']);
    expect(h.llm('main').requests).toHaveLength(1);
    expect(h.llm('main').requests[0]!.messages.at(-1)).toEqual({ role: 'user', content: 'and do you have parking' });
    // The chat profile could start its answer preemptively, on the stable partial, as in any cascade.
    expect(record.turns[1]!.draft).toBe('kept');
    expect(record.failures.map((f) => f.source)).toEqual(['stt', 'stt']);
    expect(record.failures[1]!.message).toMatch(/realtime session is lost .*going on as a cascade, heard by degraded-stt and answered by `main`/);
  });

  it('without degradeTo, apologises and hangs up as before', async () => {
    const h = dualplex(undefined);
    h.start();
    h.stt.lose(lost());
    await h.runUntil(() => h.session.record.endReason !== undefined, 10_000);
    expect(h.session.record.endReason).toBe('error');
    expect(h.degradedStt!.streamsStarted).toBe(0);
  });
});
