/*
 * Whole-word text matching shared by routing (intent keywords), the offline model and the call's barge-in
 * rules. Pure functions of the text, so the agent-spec helpers in `dsl/` and the runtime agree on what matches.
 */

/** Lower-case words without punctuation; hyphens become spaces so "uh-huh" and "uh huh" compare equal. */
export function normalizeWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[-_]/g, ' ')
    .replace(/[^\p{L}\p{N}'\s]/gu, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

/** Chinese and Japanese characters: scripts without spaces, where a character is closer to a word than a clause is. */
const CJK_CHAR = /[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]/gu;

/**
 * Interjections that recognisers write as one word, two words or hyphenated ("mhmm", "mm hmm", "mm-hmm"),
 * matched on the letters run together, with the key of their sound. "uh-uh" (a no) is not "uh-huh".
 */
const JOINED_INTERJECTIONS: ReadonlyArray<{ readonly pattern: RegExp; readonly key: string; readonly firstPart: string }> = [
  { pattern: /^m+h+m+$/, key: 'mhm', firstPart: 'm' },
  { pattern: /^u+h+h+u+h+$/, key: 'uhhuh', firstPart: 'uh' },
  { pattern: /^a+h+a+$/, key: 'aha', firstPart: 'ah' },
];

/** A word's letters as spoken: lower-case, no accents or apostrophes ("d'accord" -> "daccord", "sí" -> "si"). */
function bareLetters(word: string): string {
  return word.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/'/g, '');
}

/** The key of one word: a known interjection's key, else its letters with repeats collapsed ("yeahhh" -> "yeah"). */
function wordKey(bare: string): string {
  const joined = JOINED_INTERJECTIONS.find((j) => j.pattern.test(bare));
  return joined ? joined.key : bare.replace(/(\p{L})\1+/gu, '$1');
}

/**
 * The words of a text as sounds, so spelling variants compare equal: lower-case, without punctuation, accents
 * or apostrophes, repeated letters collapsed, each Chinese or Japanese character a word of its own, and
 * interjections written in parts joined ("Mhmm." / "mmhmm" / "mm-hmm" / "mm hmm" -> `mhm`; "uh huh" /
 * "uh-huh" / "uhhuh" -> `uhhuh`; "Hmmm" -> `hm`; "好的" -> `好`, `的`). Used to match backchannels.
 */
export function soundKeys(text: string): string[] {
  const words = normalizeWords(text.replace(/[\u2018\u2019\u02bc`\u00b4]/g, "'").replace(CJK_CHAR, ' $& ')).map(bareLetters).filter(Boolean);
  const keys: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const pair = i + 1 < words.length ? words[i]! + words[i + 1]! : undefined;
    if (pair !== undefined && JOINED_INTERJECTIONS.some((j) => j.pattern.test(pair))) {
      keys.push(wordKey(pair));
      i++;
    } else keys.push(wordKey(words[i]!));
  }
  return keys;
}

/**
 * Keys that may be the first part of a two-part interjection whose key is among `keys` ("uh" of "uh huh"),
 * so a partial transcript that has only heard the first part is not yet taken for something else.
 */
export function interjectionFirstParts(keys: ReadonlySet<string>): string[] {
  return JOINED_INTERJECTIONS.filter((j) => keys.has(j.key)).map((j) => j.firstPart);
}

/** True when `phrase` occurs as whole words in the words. */
export function containsPhrase(words: readonly string[], phrase: string): boolean {
  const target = normalizeWords(phrase);
  if (target.length === 0) return false;
  for (let i = 0; i + target.length <= words.length; i++) {
    if (target.every((w, k) => words[i + k] === w)) return true;
  }
  return false;
}

/** Matches an intent keyword list entry: `/regex/flags` or a keyword/phrase matched as whole words. */
export function matchesKeyword(text: string, entry: string): boolean {
  const regex = /^\/(.+)\/([a-z]*)$/s.exec(entry);
  if (regex) return new RegExp(regex[1]!, regex[2]!.includes('i') ? regex[2] : `${regex[2]}i`).test(text);
  return containsPhrase(normalizeWords(text), entry);
}
