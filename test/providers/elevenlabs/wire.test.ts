// The ElevenLabs wire helpers: phrase chunking of LLM tokens, the output format per sample rate, voice settings,
// and a server-message parser that accepts both spellings and never throws.
import { describe, expect, it } from 'vitest';
import { createPhraseChunker } from '../../../runtime/providers/elevenlabs/phrase-chunker.js';
import { errorFromServer, parseServerMessage, planOutput, wireVoiceSettings } from '../../../runtime/providers/elevenlabs/wire.js';

const tokensOf = (text: string): string[] => text.match(/\s*[\p{L}\p{N}']+|\s*[^\s\p{L}\p{N}']/gu) ?? [];

function chunk(text: string, options = {}): string[] {
  const chunker = createPhraseChunker(options);
  const phrases = tokensOf(text).flatMap((token) => chunker.push(token));
  const last = chunker.end();
  return last ? [...phrases, last] : phrases;
}

describe('createPhraseChunker', () => {
  it('sends sentences and long clauses as they complete, each ending with one space', () => {
    expect(chunk('Sure. I can book that for you, but first, what time works best? Seven or eight')).toEqual([
      'Sure. ',
      'I can book that for you, ',
      'but first, what time works best? ',
      'Seven or eight ',
    ]);
  });

  it('waits for the space after punctuation, so numbers and abbreviations stay whole', () => {
    expect(chunk('It costs 3.50 dollars. Dr. Smith and Mrs. Jones, e.g. the doctors, agree.')).toEqual([
      'It costs 3.50 dollars. ',
      'Dr. Smith and Mrs. Jones, ',
      'e.g. the doctors, ',
      'agree. ',
    ]);
  });

  /** Each phrase with the token that released it. */
  function releases(text: string): Array<[string, string]> {
    const chunker = createPhraseChunker();
    return tokensOf(text).flatMap((token) => chunker.push(token).map((phrase): [string, string] => [phrase, token]));
  }

  it('sends a phrase with the token that ends it when nothing after could change it, not one token later', () => {
    expect(releases('Yes, there is free parking. It is right here, you see! Really?')).toEqual([
      ['Yes, there is free parking. ', '.'],
      ['It is right here, ', ','],
      ['you see! ', '!'],
      ['Really? ', '?'],
    ]);
  });

  it('waits for the next token where the mark may still be part of a word or quote', () => {
    expect(releases('It costs 3.')).toEqual([]); // 3.50
    expect(releases('We sold 1,')).toEqual([]); // 1,000
    expect(releases('Ask Dr.')).toEqual([]);
    expect(releases('Made in the U.')).toEqual([]);
    expect(releases('Write to support@acme.')).toEqual([]);
    expect(releases('Go to www.')).toEqual([]);
    expect(releases('He said "done.')).toEqual([]);
    expect(releases('He said "done."')).toEqual([['He said "done." ', '"']]);
    expect(releases('Is it 5?')).toEqual([['Is it 5? ', '?']]);
  });

  it('drops marks left over from a phrase already sent', () => {
    expect(chunk('Well... maybe. Sure?! Fine')).toEqual(['Well. ', 'maybe. ', 'Sure? ', 'Fine ']);
  });

  it('cuts unpunctuated text after maxWords complete words', () => {
    expect(chunk('one two three four five six seven', { maxWords: 3 })).toEqual(['one two three ', 'four five six ', 'seven ']);
  });

  it('ends CJK phrases at CJK punctuation without spaces', () => {
    expect(chunk('好的。我帮您查一下，请稍等')).toEqual(['好的。 ', '我帮您查一下， ', '请稍等 ']);
  });

  it('collapses whitespace at the edges and returns nothing for blank text', () => {
    const chunker = createPhraseChunker();
    expect(chunker.push('  Hello world!  \n')).toEqual(['Hello world! ']);
    expect(chunker.push('   ')).toEqual([]);
    expect(chunker.end()).toBeUndefined();
  });

  it('keeps closing quotes with their sentence', () => {
    expect(chunk('He said "done." Then he left')).toEqual(['He said "done." ', 'Then he left ']);
  });

  it('rejects invalid options', () => {
    expect(() => createPhraseChunker({ maxWords: 0 })).toThrow(/maxWords must be a whole number >= 1/);
  });
});

describe('planOutput', () => {
  it('matches the transport: ulaw_8000 for telephony, PCM at the rate otherwise, 48 kHz via 24 kHz on the socket', () => {
    expect(planOutput(8000)).toEqual({ format: 'ulaw_8000', encoding: 'ulaw', providerRate: 8000, sampleRate: 8000 });
    expect(planOutput(16000).format).toBe('pcm_16000');
    expect(planOutput(24000).format).toBe('pcm_24000');
    expect(planOutput(44100).format).toBe('pcm_44100');
    expect(planOutput(48000)).toEqual({ format: 'pcm_24000', encoding: 'pcm', providerRate: 24000, sampleRate: 48000 });
    expect(planOutput(48000, true).format).toBe('pcm_48000');
    expect(() => planOutput(32000)).toThrow(/32000 Hz is not supported/);
  });
});

describe('wireVoiceSettings', () => {
  it('spells the settings snake_case and applies the utterance speed within 0.7-1.2', () => {
    expect(wireVoiceSettings({ stability: 0.3, similarityBoost: 0.9, style: 0.1, useSpeakerBoost: false }, 1)).toEqual({ stability: 0.3, similarity_boost: 0.9, style: 0.1, use_speaker_boost: false });
    expect(wireVoiceSettings({ speed: 1.1 }, 1.2)).toEqual({ speed: 1.2 });
    expect(wireVoiceSettings({}, 0.5)).toEqual({ speed: 0.7 });
  });
});

describe('parseServerMessage', () => {
  const alignment = { chars: ['H', 'i'], charStartTimesMs: [0, 50], charDurationsMs: [50, 60] };

  it('reads audio, alignment and isFinal in the camelCase spelling', () => {
    expect(parseServerMessage(JSON.stringify({ audio: 'AAAA', isFinal: null, alignment, normalizedAlignment: alignment, contextId: 'c1' }))).toEqual({
      kind: 'audio',
      contextId: 'c1',
      audio: 'AAAA',
      alignment: { chars: ['H', 'i'], startMs: [0, 50], durationMs: [50, 60] },
      isFinal: false,
    });
    expect(parseServerMessage('{"isFinal": true, "contextId": "c1"}')).toMatchObject({ kind: 'audio', contextId: 'c1', isFinal: true, audio: undefined });
  });

  it('reads the other spellings: is_final, context_id, normalizedAlignment, charsDurationsMs', () => {
    const message = { audio: 'AAAA', is_final: false, normalizedAlignment: { chars: ['a'], charStartTimesMs: [0], charsDurationsMs: [10] }, context_id: 'c2' };
    expect(parseServerMessage(JSON.stringify(message))).toMatchObject({ contextId: 'c2', alignment: { chars: ['a'], startMs: [0], durationMs: [10] } });
    expect(parseServerMessage('{"is_final": true, "context_id": "c2"}')).toMatchObject({ contextId: 'c2', isFinal: true });
  });

  it('reads errors, flat or nested', () => {
    const limit = parseServerMessage('{"message": "Maximum simultaneous contexts", "error": "max_active_conversations", "code": 1008}');
    expect(limit).toEqual({ kind: 'error', contextId: undefined, code: 'max_active_conversations', message: 'Maximum simultaneous contexts' });
    expect(errorFromServer(limit as never)).toMatchObject({ kind: 'rate-limit', retryable: true });
    const nested = parseServerMessage('{"error": {"message": "Invalid API key", "code": "invalid_api_key"}}');
    expect(errorFromServer(nested as never)).toMatchObject({ kind: 'auth', retryable: false });
  });

  it('ignores what it cannot use, without throwing', () => {
    for (const frame of ['', 'not json', 'null', '42', '[1]', '{}', '{"audio": 5}', '{"flush_done": true}', '{"audio": null, "isFinal": null}']) {
      expect(parseServerMessage(frame)).toBeUndefined();
    }
    // A broken alignment is dropped, the audio kept.
    expect(parseServerMessage('{"audio": "AAAA", "alignment": {"chars": ["a"], "charStartTimesMs": [], "charDurationsMs": [1]}}')).toMatchObject({ audio: 'AAAA', alignment: undefined });
  });
});
