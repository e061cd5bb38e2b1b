/**
 * From eSpeak's word onsets to character alignment. eSpeak reports where each word starts (text position and
 * audio time) and where pauses start; every character of the phrase gets a span so that the spans tile the
 * audio: a word's letters share the word's speech evenly, the whitespace after it takes the pause (so playout,
 * which splits words at whitespace, ends the word when its sound ends), and punctuation sits at the edge.
 */
import type { CharAlignment, TtsChunk } from '../types.js';
import type { WordStart } from './espeak-engine.js';

/** Start and end of every character of a phrase on the phrase's time line, ms. */
export interface CharSpans {
  readonly startMs: readonly number[];
  readonly endMs: readonly number[];
}

const WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;
/** Characters that stay inside a word when a letter or digit follows: don't, stop-go, 3.50, 1,234. */
const JOINER = /['’\-.,·]/u;
const SPACE = /\s/u;

/**
 * Spans for `chars` (code points) given eSpeak's word onsets and pause onsets, all in ms on a time line of
 * `totalMs`. The spans are contiguous from 0 to `totalMs`.
 */
export function alignPhrase(chars: readonly string[], words: readonly WordStart[], pausesMs: readonly number[], totalMs: number): CharSpans {
  const startMs = new Array<number>(chars.length).fill(0);
  const endMs = new Array<number>(chars.length).fill(0);
  const fill = (from: number, to: number, fromMs: number, toMs: number, gap: boolean): void => {
    spread(chars, from, to, fromMs, toMs, gap, startMs, endMs);
  };
  const onsets = cleanOnsets(chars, words, totalMs);
  const first = onsets[0];
  if (!first) {
    fill(0, chars.length, 0, totalMs, false);
    return { startMs, endMs };
  }
  // Leading silence goes to leading characters if any, else to the first word.
  const firstMs = first.charIndex > 0 ? first.audioMs : 0;
  fill(0, first.charIndex, 0, firstMs, true);
  onsets.forEach((word, index) => {
    const next = onsets[index + 1];
    const limit = next?.charIndex ?? chars.length;
    const nextMs = next?.audioMs ?? totalMs;
    const wordEnd = endOfWord(chars, word.charIndex, limit);
    const fromMs = index === 0 ? firstMs : word.audioMs;
    // The word's sound ends at its first pause; without characters after it to carry the pause, the word keeps it.
    const pauseMs = pausesMs.find((atMs) => atMs > word.audioMs && atMs < nextMs);
    const soundEndMs = wordEnd < limit ? (pauseMs ?? nextMs) : nextMs;
    fill(word.charIndex, wordEnd, fromMs, soundEndMs, false);
    fill(wordEnd, limit, soundEndMs, nextMs, true);
  });
  return { startMs, endMs };
}

/** Keeps onsets that move forward in the text, start on a non-space character, and never go back in time. */
function cleanOnsets(chars: readonly string[], words: readonly WordStart[], totalMs: number): WordStart[] {
  const kept: WordStart[] = [];
  for (const word of words) {
    const last = kept[kept.length - 1];
    const char = chars[word.charIndex];
    if (char === undefined || SPACE.test(char) || (last && word.charIndex <= last.charIndex)) continue;
    const audioMs = Math.min(totalMs, Math.max(last?.audioMs ?? 0, word.audioMs));
    kept.push({ charIndex: word.charIndex, audioMs });
  }
  return kept;
}

/** Index after the word starting at `start`: letters, digits, marks, and joiners followed by one, up to `limit`. */
function endOfWord(chars: readonly string[], start: number, limit: number): number {
  let end = start + 1;
  while (end < limit) {
    const char = chars[end] as string;
    const nextIsWordChar = end + 1 < limit && WORD_CHAR.test(chars[end + 1] as string);
    if (!WORD_CHAR.test(char) && !(JOINER.test(char) && nextIsWordChar)) break;
    end++;
  }
  return end;
}

/**
 * Gives characters [from, to) the span [fromMs, toMs]. Word characters share it evenly. In a gap, whitespace
 * shares it and other characters take no time where they stand (punctuation before the space at the start, an
 * opening mark after it at the end); a gap without whitespace is shared evenly.
 */
function spread(chars: readonly string[], from: number, to: number, fromMs: number, toMs: number, gap: boolean, startMs: number[], endMs: number[]): void {
  if (to <= from) return;
  const isSpace = (index: number): boolean => SPACE.test(chars[index] as string);
  let spaces = 0;
  for (let index = from; index < to; index++) if (isSpace(index)) spaces++;
  const everyoneShares = !gap || spaces === 0;
  const sharing = everyoneShares ? to - from : spaces;
  let shared = 0;
  let cursorMs = fromMs;
  for (let index = from; index < to; index++) {
    startMs[index] = cursorMs;
    if (everyoneShares || isSpace(index)) {
      shared++;
      cursorMs = shared === sharing ? toMs : fromMs + ((toMs - fromMs) * shared) / sharing;
    }
    endMs[index] = cursorMs;
  }
}

/**
 * Cuts a phrase into chunks of at most about `maxChunkMs`, at character boundaries placed on the sample grid, so
 * every chunk's alignment starts at 0 and its durations add up to the chunk's length exactly.
 */
export function toChunks(pcm: Int16Array, sampleRate: number, chars: readonly string[], spans: CharSpans, maxChunkMs: number): TtsChunk[] {
  const count = chars.length;
  const boundary: number[] = [0];
  for (let index = 1; index < count; index++) {
    const sample = Math.round(((spans.startMs[index] ?? 0) * sampleRate) / 1000);
    boundary.push(Math.min(pcm.length, Math.max(boundary[index - 1] as number, sample)));
  }
  boundary.push(pcm.length);
  const at = (index: number): number => boundary[index] as number;
  const maxSamples = Math.max(1, Math.round((maxChunkMs * sampleRate) / 1000));
  const chunk = (from: number, to: number): TtsChunk => {
    const alignment: CharAlignment = {
      chars: chars.slice(from, to),
      startMs: range(from, to).map((index) => ((at(index) - at(from)) * 1000) / sampleRate),
      durationMs: range(from, to).map((index) => ((at(index + 1) - at(index)) * 1000) / sampleRate),
    };
    return { pcm: pcm.slice(at(from), at(to)), alignment };
  };
  const chunks: TtsChunk[] = [];
  let first = 0;
  for (let index = 1; index < count; index++) {
    if (at(index + 1) - at(first) > maxSamples && at(index) > at(first)) {
      chunks.push(chunk(first, index));
      first = index;
    }
  }
  chunks.push(chunk(first, count));
  return chunks;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, offset) => from + offset);
}
