// The barge-in word rules over backchannels: a whole utterance of backchannels, by sound ("Mhmm." is
// "mm-hmm"), repeated or combined ("okay okay", "好的"), never interrupts; words that may still become one
// ("yeah", "uh" of "uh-huh") hold a confirmation back until a word that is not one comes.
import { describe, expect, it } from 'vitest';
import { BUILT_IN_BACKCHANNELS } from '../../runtime/dsl/backchannels.js';
import { isBackchannel, mayBeBackchannel } from '../../runtime/call/text-rules.js';

const en = BUILT_IN_BACKCHANNELS.en!;
const zh = BUILT_IN_BACKCHANNELS.zh!;
const fr = BUILT_IN_BACKCHANNELS.fr!;

describe('isBackchannel', () => {
  it.each(['mhmm', 'Mhmm.', 'mmhmm', 'mm-hmm', 'mm hmm', 'hmm', 'uh huh', 'uh-huh', 'uhhuh', 'yep', 'yeah', 'Yeah, yeah.', 'okay great', 'Right.'])('"%s" is one in English', (text) => {
    expect(isBackchannel(text, en)).toBe(true);
  });

  it.each(['嗯', '嗯嗯', '对', '对对对', '好的', '好', '是的'])('"%s" is one in Mandarin', (text) => {
    expect(isBackchannel(text, zh)).toBe(true);
  });

  it.each(['oui', 'Ouais.', "d'accord", 'D’accord', 'oui oui', "c'est ça"])('"%s" is one in French', (text) => {
    expect(isBackchannel(text, fr)).toBe(true);
  });

  it.each(['mhmm but the light is red', 'uh-uh', 'no', 'yeah I need a taxi', '好的我要订房', ''])('"%s" is not', (text) => {
    expect(isBackchannel(text, [...en, ...zh])).toBe(false);
  });

  it('uses the list it is given: "ouais" is not an English backchannel', () => {
    expect(isBackchannel('ouais', en)).toBe(false);
  });
});

describe('mayBeBackchannel', () => {
  it('holds back while every word may still be (part of) one', () => {
    expect(mayBeBackchannel(['yeah'], en)).toBe(true);
    expect(mayBeBackchannel(['uh'], en)).toBe(true); // the start of "uh huh"
    expect(mayBeBackchannel(['mhmm'], en)).toBe(true);
    expect(mayBeBackchannel(['好的'], zh)).toBe(true);
  });

  it('lets a real word through', () => {
    expect(mayBeBackchannel(['yeah', 'but'], en)).toBe(false);
    expect(mayBeBackchannel(['mhmm', 'the'], en)).toBe(false);
    expect(mayBeBackchannel([], en)).toBe(false);
  });
});
