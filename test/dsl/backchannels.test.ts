// Backchannels are matched by sound, not spelling: every way a recogniser writes "mm-hmm" or "uh-huh" folds
// to one key, Chinese characters are words of their own, and each language has a built-in list that an agent
// adds to or takes from. These are the pure functions behind the barge-in guards.
import { describe, expect, it } from 'vitest';
import { backchannelsFor, BUILT_IN_BACKCHANNELS } from '../../runtime/dsl/backchannels.js';
import { soundKeys } from '../../runtime/dsl/text-match.js';
import { loadAgent } from '../../runtime/dsl/index.js';

describe('soundKeys', () => {
  it.each(['mhmm', 'Mhmm.', 'mmhmm', 'mm-hmm', 'Mm-hmm!', 'mm hmm', 'm-hm', 'mhm', 'mmmhmmm'])('"%s" is mhm', (text) => {
    expect(soundKeys(text)).toEqual(['mhm']);
  });

  it.each(['uh-huh', 'uh huh', 'uhhuh', 'Uh-huh.', 'Uh huh,'])('"%s" is uhhuh', (text) => {
    expect(soundKeys(text)).toEqual(['uhhuh']);
  });

  it('"uh-uh" (a no) is not "uh-huh"', () => {
    expect(soundKeys('uh-uh')).toEqual(['uh', 'uh']);
  });

  it.each([
    ['hmm', ['hm']],
    ['Hmmm...', ['hm']],
    ['yep', ['yep']],
    ['Yeah.', ['yeah']],
    ['yeahhh', ['yeah']],
    ['oui', ['oui']],
    ['Ouais !', ['ouais']],
    ["d'accord", ['dacord']],
    ['D’accord.', ['dacord']],
    ['sí', ['si']],
    ['Ajá', ['aja']],
    ['natürlich', ['naturlich']],
  ])('"%s" -> %j', (text, keys) => {
    expect(soundKeys(text)).toEqual(keys);
  });

  it('counts each Chinese character as a word, without punctuation', () => {
    expect(soundKeys('嗯')).toEqual(['嗯']);
    expect(soundKeys('对')).toEqual(['对']);
    expect(soundKeys('好的。')).toEqual(['好', '的']);
    expect(soundKeys('嗯嗯，对对对')).toEqual(['嗯', '嗯', '对', '对', '对']);
    expect(soundKeys('好的 ok')).toEqual(['好', '的', 'ok']);
  });

  it('leaves digits alone and ignores empty text', () => {
    expect(soundKeys('room 1100')).toEqual(['rom', '1100']);
    expect(soundKeys(' ... ')).toEqual([]);
  });
});

const AGENT = { apiVersion: 'voiceagent/v1', name: 'backchannels', inference: { mode: 'cascade' }, models: { main: { provider: 'openai', model: 'm' } }, prompt: { system: 'test' } };

function spec(bargeIn: Record<string, unknown> = {}, languages: Record<string, unknown> = {}) {
  const text = JSON.stringify({
    ...AGENT,
    voice: { provider: 'local', voices: { en: 'en-us', fr: 'fr-fr', zh: 'cmn', es: 'es', de: 'de', ja: 'ja' } },
    languages: { default: 'en', supported: ['en', 'fr', 'zh', 'es', 'de', 'ja'], ...languages },
    bargeIn,
  });
  const loaded = loadAgent({ file: 'agent.yaml', text });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  return loaded.spec;
}

describe('backchannelsFor', () => {
  it('ships a list for en, fr, zh, es and de', () => {
    for (const language of ['en', 'fr', 'zh', 'es', 'de']) expect(BUILT_IN_BACKCHANNELS[language]!.length).toBeGreaterThan(5);
  });

  it("picks the call's language, its region stripped", () => {
    const s = spec();
    expect(backchannelsFor(s, 'fr')).toEqual(expect.arrayContaining(['oui', 'ouais', "d'accord"]));
    expect(backchannelsFor(s, 'fr-CA')).toEqual(backchannelsFor(s, 'fr'));
    expect(backchannelsFor(s, 'zh')).toEqual(expect.arrayContaining(['嗯', '对', '好的']));
    expect(backchannelsFor(s, 'en')).not.toContain('ouais');
  });

  it("uses the default language's list for a language without one, English when neither has one", () => {
    expect(backchannelsFor(spec(), 'ja')).toEqual(backchannelsFor(spec(), 'en'));
    expect(backchannelsFor(spec({}, { default: 'fr' }), 'ja')).toEqual(backchannelsFor(spec(), 'fr'));
    expect(backchannelsFor(spec({}, { default: 'ja' }), 'ja')).toEqual(backchannelsFor(spec(), 'en'));
  });

  it('adds the agent entries in every language, once per sound', () => {
    const s = spec({ backchannels: ['roger', 'Mhmm'] });
    expect(backchannelsFor(s, 'en')).toContain('roger');
    expect(backchannelsFor(s, 'zh')).toContain('roger');
    expect(backchannelsFor(s, 'en').filter((p) => soundKeys(p).join() === 'mhm')).toHaveLength(1);
  });

  it('removes a built-in with "-phrase", matched by sound, and all of them with "-*"', () => {
    expect(backchannelsFor(spec({ backchannels: ['-Yeah'] }), 'en')).not.toContain('yeah');
    expect(backchannelsFor(spec({ backchannels: ['-mhmm'] }), 'en')).not.toContain('mm-hmm');
    expect(backchannelsFor(spec({ backchannels: ['-*', 'uh-huh', 'okay'] }), 'en')).toEqual(['uh-huh', 'okay']);
  });

  it('leaves out built-ins that sound like an interrupt phrase', () => {
    expect(backchannelsFor(spec({ interruptPhrases: ['stop', 'right'] }), 'en')).not.toContain('right');
  });

  it('rejects a removal that removes nothing, with a hint', () => {
    const agent = { ...AGENT, voice: { provider: 'local', voices: { en: 'en-us' } }, bargeIn: { backchannels: ['-roger', '-'] } };
    const loaded = loadAgent({ file: 'agent.yaml', text: JSON.stringify(agent) });
    expect(loaded.ok).toBe(false);
    expect(loaded.diagnostics.map((d) => d.message)).toEqual([
      expect.stringContaining('`-roger` removes nothing'),
      expect.stringContaining('`-` names no phrase'),
    ]);
    expect(loaded.diagnostics[0]!.hint).toContain('-*');
  });
});
