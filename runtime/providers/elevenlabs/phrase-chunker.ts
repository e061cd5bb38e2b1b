/**
 * Groups streamed LLM tokens into phrases for the TTS socket. With `auto_mode` the server synthesises each
 * message as soon as it arrives and "sending partial phrases will result in highly reduced quality", so text is
 * held until a sentence ends (`.`, `!`, `?`, `…`, CJK `。！？`), a clause ends (`,`, `;`, `:`, dashes, CJK
 * `，、；：`) after at least `minClauseWords` words, or `maxWords` complete words have gathered without
 * punctuation. Every phrase ends with exactly one space, as the protocol asks.
 *
 * A mark ends a phrase as soon as it arrives when nothing that could follow would change its meaning: `parking.`
 * goes out with its token, not one token later when the next word's space arrives (at 30-50 tokens a second
 * that wait is 20-30 ms added to the reply's first audio). A mark that might still be part of a word waits for
 * the whitespace after it: after a digit (`3.50`, `1,000`, `3:30`), after an abbreviation or a single letter
 * (`Dr.`, `e.g.`, `U.S.`), in an address (`support@acme.com`, `www.`, `a/b.c`), after another full stop (`...`),
 * and inside an open quote (`"done."` waits for its closing quote).
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
/** A phrase with none of these (only marks) has nothing to say. */
const SPOKEN = /[\p{L}\p{N}]/u;
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
        // Marks left over from a phrase already sent (`Well.` then `..`) say nothing on their own.
        if (phrase && SPOKEN.test(phrase)) phrases.push(phrase);
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
  // No whitespace after the last mark yet: it may still end the phrase now (see the module comment).
  const mark = markBefore(text, text.length);
  if (mark && endsForSure(text, mark.index)) {
    if (SENTENCE_END.has(mark.char)) return text.length;
    if (CLAUSE_END.has(mark.char) && words >= minClauseWords) return text.length;
  }
  return 0;
}

/** True when the mark at `index`, the last one in `text`, ends a unit whatever text comes next. */
function endsForSure(text: string, index: number): boolean {
  const char = text[index] as string;
  const before = text[index - 1];
  if (before === undefined || isSpace(before)) return false;
  if (/\p{N}/u.test(before) && !'?!…'.includes(char)) return false; // 3.50, 1,000, 3:30, 2–3
  if (char === '.') {
    if (before === '.' || isAbbreviation(text, index)) return false;
    let start = index;
    while (start > 0 && !isSpace(text[start - 1] as string)) start--;
    const word = text.slice(start, index);
    if (word.replace(/^[("'“‘]+/, '').length <= 1) return false; // U.S., e.g. (one letter)
    if (/[@/]|^(www|https?:)/i.test(word)) return false; // an address goes on
  }
  // Inside an open quote the closing quote belongs with the sentence: wait for it.
  let quotes = 0;
  for (let i = 0; i < text.length; i++) if (text[i] === '"') quotes++;
  return quotes % 2 === 0;
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
