import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance } from '../../runtime/util/did-you-mean.js';

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('', '')).toBe(0);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('treshold', 'threshold')).toBe(1);
  });

  it('ignores case', () => {
    expect(editDistance('minSpeechMS', 'minSpeechMs')).toBe(0);
  });

  it('is symmetric', () => {
    expect(editDistance('pause', 'puase')).toBe(editDistance('puase', 'pause'));
  });
});

describe('didYouMean', () => {
  const bargeInKeys = ['enabled', 'onSpeechStart', 'duckGainDb', 'pauseAfterMs', 'confirm', 'backchannels', 'interruptPhrases'];

  it('suggests the closest key for a typo', () => {
    expect(didYouMean('pauseAfterMS', bargeInKeys)).toBe('pauseAfterMs');
    expect(didYouMean('backchanels', bargeInKeys)).toBe('backchannels');
    expect(didYouMean('confrim', bargeInKeys)).toBe('confirm');
  });

  it('matches names that differ only in case or separators', () => {
    expect(didYouMean('similarity_boost', ['stability', 'similarityBoost'])).toBe('similarityBoost');
    expect(didYouMean('on-speech-start', bargeInKeys)).toBe('onSpeechStart');
    expect(didYouMean('BARGEIN', ['bargeIn', 'echo'])).toBe('bargeIn');
  });

  it('suggests nothing when no candidate is close', () => {
    expect(didYouMean('telephony', bargeInKeys)).toBeUndefined();
    expect(didYouMean('x', ['abcdef'])).toBeUndefined();
  });

  it('suggests nothing without candidates', () => {
    expect(didYouMean('fast', [])).toBeUndefined();
  });

  it('allows at least two edits for short words and a third of the length for long ones', () => {
    expect(didYouMean('fsat', ['fast'])).toBe('fast');
    expect(didYouMean('ab', ['xyz'])).toBeUndefined();
    // 13 and 14 letters allow 4 edits.
    expect(didYouMean('interruptWXYZ', ['interrupt'])).toBe('interrupt');
    expect(didYouMean('interruptVWXYZ', ['interrupt'])).toBeUndefined();
  });

  it('prefers the first of equally close candidates', () => {
    expect(didYouMean('cat', ['bat', 'hat'])).toBe('bat');
  });

  it('accepts any iterable', () => {
    expect(didYouMean('smrt', new Set(['fast', 'smart']))).toBe('smart');
  });
});
