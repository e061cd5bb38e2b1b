/**
 * Groups streamed LLM tokens into phrases for the TTS socket. With `auto_mode` the server synthesises each
 * message as soon as it arrives and "sending partial phrases will result in highly reduced quality", so text is
 * held until a sentence ends (`.`, `!`, `?`, `…`, CJK `。！？`), a clause ends (`,`, `;`, `:`, dashes, CJK
 * `，、；：`) after at least `minClauseWords` words, or `maxWords` complete words have gathered without
 * punctuation. Punctuation only counts once whitespace follows it (or it is CJK punctuation, which needs none),
 * so `3.50` and `e.g.` stay whole while tokens are still arriving. Every phrase ends with exactly one space, as
 * the protocol asks.
 */

/** Options of {@link createPhraseChunker}. */
export interface PhraseChunkerOptions {
  /** Complete words sent without waiting for punctuation. Default: 16. */
  readonly maxWords?: number;
  /** Words a phrase needs before a clause mark (comma, semicolon, colon, dash) ends it. Default: 3. */
  readonly minClauseWords?: number;
}

/** Splits a token stream into phrases. */
export interface PhraseChunker {
  /** Adds text; returns the phrases now complete (often none). */
  push(text: string): string[];
  /** No more text: returns what is left as a phrase, or undefined when only whitespace is left. */
  end(): string | undefined;
}

const SENTENCE_END = new Set(['.', '!', '?', '…', '。', '！', '？']);
const CLAUSE_END = new Set([',', ';', ':', '—', '–', '，', '、', '；', '：']);
/** CJK punctuation ends a unit without a following space. */
const CJK_BOUNDARY = new Set(['。', '！', '？', '，', '、', '；', '：']);
/** Closing quotes and brackets may sit between the punctuation and the space: `"Done." He left`. */
const CLOSERS = new Set(['"', "'", '”', '’', ')', ']', '»', '」', '』']);
/** Characters that each count as a word. */
const IDEOGRAPH = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
/** A full stop after these is not a sentence end. */
const ABBREVIATIONS = new Set(['mr', 'mrs', 'ms', 'dr', 'st', 'vs', 'etc', 'e.g', 'i.e', 'approx', 'jr', 'sr', 'prof']);

/** Creates a {@link PhraseChunker}. Throws on invalid options. */
export function createPhraseChunker(options: PhraseChunkerOptions = {}): PhraseChunker {
  const maxWords = options.maxWords ?? 16;
  const minClauseWords = options.minClauseWords ?? 3;
  if (!(Number.isInteger(maxWords) && maxWords >= 1)) throw new RangeError(`createPhraseChunker: maxWords must be a whole number >= 1 (got ${maxWords})`);
  if (!(Number.isInteger(minClauseWords) && minClauseWords >= 1)) {
    throw new RangeError(`createPhraseChunker: minClauseWords must be a whole number >= 1 (got ${minClauseWords})`);
  }
  let buffer = '';

  const take = (cut: number): string | undefined => {
    const phrase = buffer.slice(0, cut).trimEnd();
    buffer = buffer.slice(cut).trimStart();
    return phrase.length > 0 ? `${phrase} ` : undefined;
  };

  return {
    push(text) {
      if (text.length === 0) return [];
      buffer = buffer.length === 0 ? text.trimStart() : buffer + text;
      const phrases: string[] = [];
      for (let cut = findCut(buffer, maxWords, minClauseWords); cut > 0; cut = findCut(buffer, maxWords, minClauseWords)) {
        const phrase = take(cut);
        if (phrase) phrases.push(phrase);
      }
      return phrases;
    },
    end() {
      const phrase = take(buffer.length);
      buffer = '';
      return phrase;
    },
  };
}

/** Where the first complete phrase of `text` ends (exclusive), or 0 when none is complete yet. */
function findCut(text: string, maxWords: number, minClauseWords: number): number {
  let words = 0;
  let inWord = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index] as string;
    const space = isSpace(char);
    const ideograph = IDEOGRAPH.test(char);
    // Chinese and Japanese have no spaces: every character counts as a word.
    if (ideograph || (!space && !inWord)) words++;
    inWord = !space && !ideograph;
    if (space) {
      // A word just ended at a space: a phrase may end here.
      const mark = markBefore(text, index);
      if (mark && SENTENCE_END.has(mark.char) && !isAbbreviation(text, mark.index)) return index + 1;
      if (mark && CLAUSE_END.has(mark.char) && words >= minClauseWords) return index + 1;
      if (words >= maxWords) return index + 1;
    } else if (CJK_BOUNDARY.has(char)) {
      if (SENTENCE_END.has(char) || words >= minClauseWords) return index + 1;
    }
  }
  return 0;
}

/** The punctuation mark just before position `spaceIndex` (skipping closing quotes/brackets), if any. */
function markBefore(text: string, spaceIndex: number): { char: string; index: number } | undefined {
  let index = spaceIndex - 1;
  while (index >= 0 && CLOSERS.has(text[index] as string)) index--;
  const char = text[index];
  if (char === undefined) return undefined;
  return SENTENCE_END.has(char) || CLAUSE_END.has(char) ? { char, index } : undefined;
}

function isAbbreviation(text: string, dotIndex: number): boolean {
  if (text[dotIndex] !== '.') return false;
  let start = dotIndex;
  while (start > 0 && !isSpace(text[start - 1] as string)) start--;
  const word = text.slice(start, dotIndex).toLowerCase().replace(/^[("'“‘]+/, '');
  return ABBREVIATIONS.has(word);
}

function isSpace(char: string): boolean {
  return char === ' ' || char === '\n' || char === '\t' || char === '\r' || char === '\u00a0' || char === '\u3000';
}
