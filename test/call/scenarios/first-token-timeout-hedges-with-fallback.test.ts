/*
 * The routed model is slow today: its first token would come after 2 s. After `firstTokenTimeoutMs` (500 ms)
 * the agent starts the fallback model in parallel; whichever first token comes first answers and the other
 * request is aborted, so the caller waits ~600 ms instead of 2 s. When the primary is quick the fallback is
 * never asked. When the primary fails before its first token the fallback answers at once; when both fail the
 * failure is recorded, the turn is marked failed, and the call goes on: the next turn is answered.
 */
import { describe, expect, it } from 'vitest';
import type { FakeLlmOptions } from '../../../runtime/testing.js';
import { createHarness, type Harness } from '../harness.js';

const FIRST_TOKEN_TIMEOUT_MS = 500;
type LlmOptions = Partial<Omit<FakeLlmOptions, 'clock'>>;

function hedgingHarness(primary: LlmOptions, fallback: LlmOptions): Harness {
  return createHarness({
    patch: {
      models: {
        main: null,
        primary: { provider: 'openai', model: 'big-model', firstTokenTimeoutMs: FIRST_TOKEN_TIMEOUT_MS, fallback: 'backup' },
        backup: { provider: 'openai', model: 'small-model' },
      },
      turnTaking: { preemptiveGeneration: false },
    },
    llmByProfile: {
      primary: { defaultReply: 'The primary model answers.', ...primary },
      backup: { defaultReply: 'The backup model answers.', ...fallback },
    },
  });
}

async function ask(h: Harness, text = 'what time do you open') {
  const index = h.session.record.turns.length;
  h.say(text);
  await h.runUntil(() => h.session.record.turns[index]?.outcome !== undefined && h.statesInclude('agent.idle'), 10_000);
  return h.session.record.turns[index]!;
}

function lastAssistantText(h: Harness): string | undefined {
  return h.session.record.transcript.findLast((e) => e.role === 'assistant')?.text;
}

describe('first-token timeout hedges with the fallback model', () => {
  it('starts the fallback after firstTokenTimeoutMs; its first token wins and the primary is aborted', async () => {
    const h = hedgingHarness({ ttftMs: 2000 }, { ttftMs: 100 });
    h.start();
    await h.run(200);
    const turn = await ask(h);

    const [primary] = h.llm('primary').requests;
    const [backup, ...moreBackup] = h.llm('backup').requests;
    expect(moreBackup).toHaveLength(0);
    const committedAt = primary!.startedAtMs;
    expect(backup!.startedAtMs - committedAt).toBe(FIRST_TOKEN_TIMEOUT_MS);
    expect(primary!.aborted).toBe(true);
    expect(primary!.firstTokenAtMs).toBeUndefined();
    expect(turn.route).toMatchObject({ profile: 'primary', fallbackUsed: true });
    expect(turn.spans.llmFirstTokenMs).toBe(FIRST_TOKEN_TIMEOUT_MS + 100);
    expect(turn.outcome).toBe('answered');
    expect(lastAssistantText(h)).toBe('The backup model answers.');
    expect(h.tts.contexts.at(-1)!.text).toBe('The backup model answers.');
    expect(h.session.record.failures).toEqual([]);
  });

  it('never asks the fallback when the primary answers before the timeout', async () => {
    const h = hedgingHarness({ ttftMs: 300 }, { ttftMs: 100 });
    h.start();
    await h.run(200);
    const turn = await ask(h);

    expect(h.llm('backup').requests).toHaveLength(0);
    expect(h.llm('primary').requests[0]!.aborted).toBe(false);
    expect(turn.route?.fallbackUsed).toBeFalsy();
    expect(turn.spans.llmFirstTokenMs).toBe(300);
    expect(lastAssistantText(h)).toBe('The primary model answers.');
  });

  it('fails over to the fallback when the primary errors before its first token', async () => {
    const h = hedgingHarness({ ttftMs: 150, failures: [{ request: 0, kind: 'error-before-first-token' }] }, { ttftMs: 100 });
    h.start();
    await h.run(200);
    const turn = await ask(h);

    const [primary] = h.llm('primary').requests;
    const [backup] = h.llm('backup').requests;
    expect(primary!.error).toBeDefined();
    // Failover at once, not after the first-token timeout.
    expect(backup!.startedAtMs - primary!.startedAtMs).toBe(150);
    expect(turn.outcome).toBe('answered');
    expect(turn.route).toMatchObject({ profile: 'primary', fallbackUsed: true });
    expect(lastAssistantText(h)).toBe('The backup model answers.');
  });

  it('records the failure when both models fail, and answers the next turn', async () => {
    const h = hedgingHarness(
      { ttftMs: 150, failures: [{ request: 0, kind: 'error-before-first-token' }] },
      { ttftMs: 100, failures: [{ request: 0, kind: 'error-before-first-token', retryable: false }] },
    );
    h.start();
    await h.run(200);
    const failed = await ask(h);

    expect(failed.outcome).toBe('failed');
    expect(h.session.record.failures).toHaveLength(1);
    expect(h.session.record.failures[0]).toMatchObject({ source: 'reply', message: expect.stringContaining('injected failure before the first token') });
    // No empty assistant message is left in the context.
    expect(h.session.record.transcript.map((e) => e.role)).toEqual(['user']);
    expect(h.tts.contexts.every((c) => c.text === '')).toBe(true);

    const next = await ask(h, 'are you open on sunday');
    expect(next.outcome).toBe('answered');
    expect(next.route?.fallbackUsed).toBeFalsy();
    expect(lastAssistantText(h)).toBe('The primary model answers.');
    expect(h.session.record.endReason).toBeUndefined();
    expect(h.llm('primary').requests.at(-1)!.messages.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(['what time do you open', 'are you open on sunday']);
  });
});
