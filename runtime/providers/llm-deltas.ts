import type { LlmDelta } from './types.js';

/**
 * The delta at `start`, with the text deltas right after it joined on when it is text: what a reader takes in one
 * step from a queue of deltas already received. A socket read often carries several deltas, and each step through
 * an async iterator costs more than the join. Control deltas are never joined. Returns the delta and the index
 * after it.
 */
export function takeDelta(deltas: readonly LlmDelta[], start: number): [LlmDelta, number] {
  const first = deltas[start]!;
  let end = start + 1;
  if (typeof first !== 'string') return [first, end];
  let text = first;
  for (let next = deltas[end]; typeof next === 'string'; next = deltas[++end]) text += next;
  return [text, end];
}

/**
 * Splits text into word tokens that keep their leading spaces: "Hello there." -> "Hello", " there", ".".
 * The tokens concatenated equal the text exactly.
 */
export function splitIntoTokens(text: string): string[] {
  return text.match(/\s*(?:[\p{L}\p{N}\p{M}'’]+|[^\s\p{L}\p{N}\p{M}])|\s+$/gu) ?? [];
}
