/**
 * Where streamed text is cut into phrases for synthesis: after sentence or clause punctuation that is followed
 * by whitespace (so "3.50" or "e.g" mid-stream is not a boundary) or after CJK punctuation, else after
 * `maxWords` words; everything once the text has ended. The whitespace after a boundary starts the next phrase,
 * which is where the pause is heard.
 */

/** Punctuation (with any closing quotes or brackets) that ends a phrase. */
const BOUNDARY = /[.!?;:,…]+["'’”»)\]]*(?=\s)|[。！？；：，、]+["'’”」』）]*/gu;
const WORD_CHAR = /[\p{L}\p{N}]/u;
const SENTENCE_END = /[.!?…。！？]["'’”»)\]」』）]*$/u;
const CLAUSE_END = /[;:,；：，、]["'’”»)\]」』）]*$/u;

/** Length (UTF-16 units) of the first phrase ready in `buffer`, or 0 when more text is needed. */
export function nextPhraseLength(buffer: string, final: boolean, maxWords: number): number {
  BOUNDARY.lastIndex = 0;
  for (let match = BOUNDARY.exec(buffer); match; match = BOUNDARY.exec(buffer)) {
    const end = match.index + match[0].length;
    // A phrase must say something: "..." or a leading comma joins the next phrase.
    if (WORD_CHAR.test(buffer.slice(0, end))) return Math.min(end, cutAfterWords(buffer, maxWords) ?? end);
  }
  const cut = cutAfterWords(buffer, maxWords);
  if (cut !== undefined) return cut;
  return final ? buffer.length : 0;
}

/** The position after the `maxWords`-th word, when whitespace follows it. */
function cutAfterWords(buffer: string, maxWords: number): number | undefined {
  const words = /\S+(?=\s)/gu;
  let count = 0;
  for (let match = words.exec(buffer); match; match = words.exec(buffer)) {
    if (++count === maxWords) return match.index + match[0].length;
  }
  return undefined;
}

/** The silence heard after a phrase, as eSpeak makes it inside a text at speed 1: 300 ms after a sentence, 150 ms after a clause. */
export function pauseAfterMs(phrase: string): number {
  const trimmed = phrase.trimEnd();
  if (SENTENCE_END.test(trimmed)) return 300;
  if (CLAUSE_END.test(trimmed)) return 150;
  return 0;
}
