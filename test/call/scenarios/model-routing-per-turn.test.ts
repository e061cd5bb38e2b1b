/*
 * Every caller turn is routed to a model profile by the first matching rule: a billing question (intent
 * keywords) goes to the larger model, an order number (transcript pattern) to the orders model, the third
 * turn (turn index) to the fast model, French (the call's language) to the French model, anything else to the
 * catch-all. With no rule matching, the first profile answers (rule -1). The choice is recorded per turn, and
 * only the chosen model is asked.
 */
import { describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../harness.js';

const openai = (model: string) => ({ provider: 'openai', model });
const PROFILES = ['main', 'smart', 'orders', 'fast', 'french'] as const;

function routingHarness(routing: readonly unknown[]): Harness {
  return createHarness({
    patch: {
      models: Object.fromEntries(PROFILES.map((p) => [p, openai(`${p}-model`)])),
      intents: { billing: ['invoice', 'refund'] },
      routing,
      languages: { default: 'en', supported: ['en', 'fr'], switching: { enabled: true } },
      voice: { voices: { en: 'en-us', fr: 'fr-fr' } },
      turnTaking: { preemptiveGeneration: false },
    },
    llmByProfile: Object.fromEntries(PROFILES.map((p) => [p, { defaultReply: `${p} answers.` }])),
  });
}

async function turn(h: Harness, text: string, options: Parameters<Harness['say']>[1] = {}) {
  const index = h.session.record.turns.length;
  h.say(text, options);
  await h.runUntil(() => h.session.record.turns[index]?.outcome !== undefined && h.statesInclude('agent.idle'), 10_000);
  return h.session.record.turns[index]!;
}

describe('model routing per turn', () => {
  it('routes by intent, transcript pattern, turn index, language and a catch-all rule', async () => {
    const h = routingHarness([
      { when: { intent: ['billing'] }, use: 'smart' },
      { when: { language: ['fr'] }, use: 'french' },
      { when: { turn: { min: 3, max: 3 } }, use: 'fast' },
      { when: { transcript: '^order \\d+' }, use: 'orders' },
      { use: 'main' },
    ]);
    h.start();
    await h.run(200);

    const script: Array<[string, Parameters<Harness['say']>[1], string, number, string[]]> = [
      ['I need a refund on my invoice', {}, 'smart', 0, ['billing']],
      ['order 4417 never arrived', {}, 'orders', 3, []],
      ['can you hear me well', {}, 'fast', 2, []],
      ['thanks that is all for now', {}, 'main', 4, []],
      ['je voudrais parler en français', { language: 'fr', languageConfidence: 0.95 }, 'french', 1, []],
    ];
    for (const [text, options, profile, rule, intents] of script) {
      const t = await turn(h, text, options);
      expect(t.userText).toBe(text);
      expect(t.route).toEqual({ profile, rule, intents });
      expect(t.outcome).toBe('answered');
      const asked = h.llm(profile).requests.at(-1)!;
      expect(asked.model).toBe(`${profile}-model`);
      expect(asked.messages.at(-1)).toEqual({ role: 'user', content: text });
      expect(h.session.record.transcript.at(-1)).toMatchObject({ role: 'assistant', text: `${profile} answers.` });
    }
    // Each model was asked exactly for its own turn.
    expect(Object.fromEntries(PROFILES.map((p) => [p, h.llm(p).requests.length]))).toEqual({ main: 1, smart: 1, orders: 1, fast: 1, french: 1 });
  });

  it('falls back to the first profile (rule -1) when no rule matches', async () => {
    const h = routingHarness([{ when: { intent: ['billing'] }, use: 'smart' }]);
    h.start();
    await h.run(200);
    const t = await turn(h, 'what time do you open');
    expect(t.route).toEqual({ profile: 'main', rule: -1, intents: [] });
    expect(h.llm('main').requests).toHaveLength(1);
    expect(h.llm('smart').requests).toHaveLength(0);
  });
});
