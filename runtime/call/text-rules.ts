import { containsPhrase, interjectionFirstParts, matchesKeyword, normalizeWords, soundKeys } from '../dsl/text-match.js';
import type { RecognizedWord } from '../providers/types.js';

export { containsPhrase, matchesKeyword, normalizeWords };

/*
 * Word-level rules used by barge-in, endpointing and routing. Pure functions over transcripts, so each rule is
 * tested on its own and the statechart guards stay one-liners.
 */

const CJK_CHAR = /[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]/gu;

/**
 * Words in a text, counting each Chinese or Japanese character as one (those scripts have no spaces, and a
 * character is closer to a word than a whole clause is).
 */
export function countWords(text: string): number {
  const cjk = text.match(CJK_CHAR)?.length ?? 0;
  const rest = normalizeWords(text.replace(CJK_CHAR, ' ')).length;
  return cjk + rest;
}

/** A backchannel list as sounds: its phrases, and every sound that may begin or be part of one. */
interface BackchannelSounds {
  readonly phrases: readonly (readonly string[])[];
  readonly vocabulary: ReadonlySet<string>;
}

// Lists are the compiled agent's (one array per language, alive for the agent's life): fold each once.
const folded = new WeakMap<readonly string[], BackchannelSounds>();

function soundsOf(backchannels: readonly string[]): BackchannelSounds {
  let sounds = folded.get(backchannels);
  if (!sounds) {
    const phrases = backchannels.map(soundKeys).filter((p) => p.length > 0);
    const keys = new Set(phrases.flat());
    sounds = { phrases, vocabulary: new Set([...keys, ...interjectionFirstParts(keys)]) };
    folded.set(backchannels, sounds);
  }
  return sounds;
}

/**
 * True when the whole utterance is made of backchannel phrases (possibly repeated: "yeah yeah", "嗯嗯"),
 * compared by sound: "Mhmm." is "mm-hmm", "D'accord." is "d'accord".
 */
export function isBackchannel(text: string, backchannels: readonly string[]): boolean {
  const words = soundKeys(text);
  if (words.length === 0) return false;
  const { phrases } = soundsOf(backchannels);
  // Positions reachable by a run of phrases: "好的" is "好" + "的" or the phrase "好的", and only the second
  // covers it all, so the first phrase that matches is not always the one to take.
  const reached = new Array<boolean>(words.length + 1).fill(false);
  reached[0] = true;
  for (let i = 0; i < words.length; i++) {
    if (!reached[i]) continue;
    for (const p of phrases) if (p.every((w, k) => words[i + k] === w)) reached[i + p.length] = true;
  }
  return reached[words.length]!;
}

/**
 * True when every word so far could still be (part of) a backchannel, compared by sound, so an interruption
 * must not be confirmed yet ("yeah" may become "yeah but...", "uh" may become "uh-huh").
 */
export function mayBeBackchannel(words: readonly string[], backchannels: readonly string[]): boolean {
  const { vocabulary } = soundsOf(backchannels);
  const sounds = soundKeys(words.join(' '));
  return sounds.length > 0 && sounds.every((w) => vocabulary.has(w));
}

/** Words of a partial that count for barge-in: confident enough (and, for all but the newest, stable). */
export function confidentWords(words: readonly RecognizedWord[], minConfidence: number): string[] {
  return words.filter((w) => w.confidence >= minConfidence).flatMap((w) => normalizeWords(w.text));
}

const FILLERS = new Set(['um', 'uh', 'er', 'erm', 'hmm', 'mm', 'euh', 'ben']);
const CONTINUATIONS = new Set(['and', 'or', 'but', 'so', 'because', 'to', 'the', 'a', 'an', 'with', 'for', 'of', 'my', 'is', 'if', 'then', 'et', 'ou', 'mais', 'le', 'la', 'de']);
const NUMBER_WORDS = new Set(['zero', 'oh', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']);
const QUESTION_STARTS = new Set(['what', 'when', 'where', 'who', 'why', 'how', 'which', 'can', 'could', 'do', 'does', 'is', 'are', 'will', 'would', 'should']);

/** Why an endpoint delay was chosen (recorded in the turn's latency record). */
export type EndpointCue = 'empty' | 'filler' | 'continuation' | 'spelling-digits' | 'question' | 'statement' | 'no-text-cues';

/**
 * Silence to wait before ending the turn, between `minSilenceMs` and `maxSilenceMs`, from the words:
 * trailing fillers, conjunctions and digits being spelled wait the maximum; a complete question responds
 * at the minimum; other statements a quarter of the way up.
 */
export function endpointSilenceMs(text: string, options: { minSilenceMs: number; maxSilenceMs: number; textCues: boolean }): { ms: number; cue: EndpointCue } {
  const { minSilenceMs: min, maxSilenceMs: max } = options;
  if (!options.textCues) return { ms: min, cue: 'no-text-cues' };
  const words = normalizeWords(text);
  const last = words[words.length - 1];
  if (last === undefined) return { ms: max, cue: 'empty' };
  if (FILLERS.has(last)) return { ms: max, cue: 'filler' };
  if (CONTINUATIONS.has(last)) return { ms: max, cue: 'continuation' };
  const isDigit = (w: string | undefined) => w !== undefined && (/^\d+$/.test(w) || NUMBER_WORDS.has(w));
  if (isDigit(last) && isDigit(words[words.length - 2])) return { ms: max, cue: 'spelling-digits' };
  if (/\?\s*$/.test(text) || (words.length >= 3 && QUESTION_STARTS.has(words[0]!))) return { ms: min, cue: 'question' };
  return { ms: Math.round(min + (max - min) / 4), cue: 'statement' };
}

const NO_BACKCHANNELS: readonly string[] = [];

/** The backchannel list of `language` from a compiled agent's per-language lists; the default language's otherwise. */
export function backchannelsFor(lists: Readonly<Record<string, readonly string[]>>, language: string, defaultLanguage: string): readonly string[] {
  return lists[language] ?? lists[defaultLanguage] ?? NO_BACKCHANNELS;
}
