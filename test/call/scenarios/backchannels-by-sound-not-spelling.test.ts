/*
 * While the agent explains something, callers show they are following in whatever way their recogniser spells
 * it: "Mhmm.", "mmhmm", "Mm hmm", "uh huh", "yep". A Mandarin caller says "嗯" or "好的", a French one "ouais"
 * or "d'accord". None of these is an interruption: the agent may pause for the length of the sound, then goes
 * on, and the reply is heard to its end. They are matched by sound, not by spelling, and each language has its
 * own built-in list, chosen by the call's current language, with no `bargeIn.backchannels` in the agent.
 */
import { describe, expect, it } from 'vitest';
import { createHarness, type HarnessOptions } from '../harness.js';

const REPLIES = {
  en: { ask: 'how do I reset my router', reply: 'To reset the router, unplug it, wait ten seconds, plug it back in, and wait for the green light to come on.' },
  zh: { ask: '路由器 怎么 重置', reply: '请先拔掉路由器的电源，等十秒钟，再插回去，然后等绿灯亮起来就可以了，整个过程大约需要两分钟。' },
  fr: { ask: 'comment réinitialiser mon routeur', reply: 'Débranchez le routeur, attendez dix secondes, rebranchez-le, puis attendez que le voyant vert s’allume.' },
} as const;

const AGENTS: Record<keyof typeof REPLIES, HarnessOptions['patch']> = {
  en: {},
  zh: { languages: { default: 'zh', supported: ['zh'] }, voice: { voices: { zh: 'cmn' } } },
  fr: { languages: { default: 'fr', supported: ['fr'] }, voice: { voices: { fr: 'fr-fr' } } },
};

async function explaining(language: keyof typeof REPLIES) {
  const { ask, reply } = REPLIES[language];
  const h = createHarness({ patch: AGENTS[language], llm: { replies: [{ match: ask.split(' ')[0]!, reply }] } });
  h.start();
  h.say(ask);
  await h.runUntil(() => h.session.hasTag('agent-speaking'));
  await h.run(800);
  return h;
}

const CASES: Array<[keyof typeof REPLIES, string]> = [
  ['en', 'Mhmm.'],
  ['en', 'mmhmm'],
  ['en', 'Mm hmm'],
  ['en', 'uh huh'],
  ['en', 'Yep.'],
  ['zh', '嗯'],
  ['zh', '好的'],
  ['zh', '嗯嗯'],
  ['fr', 'ouais'],
  ['fr', "D'accord."],
];

describe('backchannels by sound, not spelling', () => {
  for (const [language, phrase] of CASES) {
    it(`"${phrase}" (${language}) resumes the agent instead of interrupting it`, async () => {
      const h = await explaining(language);
      const { reply } = REPLIES[language];
      h.say(phrase, { wordMs: 350 });
      await h.runUntil(() => h.statesInclude('agent.idle'), 20_000);
      await h.run(100);
      expect(h.session.record.bargeIns.map((b) => b.kind)).toEqual(['backchannel']);
      expect(h.tts.contexts.find((c) => c.text === reply)!.cancelled).toBe(false);
      expect(h.session.record.turns).toHaveLength(1);
      expect(h.session.record.transcript.at(-1)).toMatchObject({ role: 'assistant', text: reply });
    });
  }

  it('"mhmm, but the light is red" is still an interruption', async () => {
    const h = await explaining('en');
    h.say('mhmm but the light is red');
    await h.runUntil(() => h.session.record.bargeIns.some((b) => b.kind === 'interrupt'), 3000);
    expect(h.session.record.bargeIns[0]!.reason).toMatch(/mhmm but/);
  });

  it('an agent can take a built-in backchannel out ("-yeah") and add its own', async () => {
    const h = createHarness({ patch: { bargeIn: { backchannels: ['-yeah', 'roger'] } }, llm: { replies: [{ match: 'how', reply: REPLIES.en.reply }] } });
    h.start();
    h.say(REPLIES.en.ask);
    await h.runUntil(() => h.session.hasTag('agent-speaking'));
    await h.run(800);
    h.say('roger', { wordMs: 350 });
    await h.runUntil(() => h.session.record.bargeIns.length === 1 && h.session.record.bargeIns[0]!.kind !== 'pending', 3000);
    expect(h.session.record.bargeIns[0]!.kind).toBe('backchannel');
    await h.run(500);
    h.say('yeah', { wordMs: 350 });
    await h.runUntil(() => h.session.record.bargeIns.some((b) => b.kind === 'interrupt'), 3000);
  });
});
