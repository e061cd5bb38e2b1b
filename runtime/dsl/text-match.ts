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
