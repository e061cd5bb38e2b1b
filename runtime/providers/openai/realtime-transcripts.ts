/**
 * Caller transcripts from Realtime transcription events: `conversation.item.input_audio_transcription.delta`
 * (appended per item: partials) and `.completed` (final). Words are the whitespace-separated runs of the text;
 * a word's confidence is the product of the probabilities of the tokens that start inside it, when the session
 * asked for logprobs (`include: ["item.input_audio_transcription.logprobs"]`), else {@link DEFAULT_WORD_CONFIDENCE}.
 */
import type { RecognizedWord, Transcript } from '../types.js';

/** ISO 639-3 macrolanguage members the runtime may use, by the ISO-639-1 code of their macrolanguage. */
const MACROLANGUAGES: Readonly<Record<string, string>> = { cmn: 'zh', yue: 'zh', arb: 'ar', nob: 'no', nno: 'no' };

/** The ISO-639-1 code the transcription API takes, from a BCP 47 tag (`en-US` -> `en`, `cmn` -> `zh`). */
export function transcriptionLanguage(language: string): string {
  const primary = language.split(/[-_]/)[0]!.toLowerCase();
  return MACROLANGUAGES[primary] ?? primary;
}

/** Confidence given to words when the server sent no logprobs. */
export const DEFAULT_WORD_CONFIDENCE = 0.9;

/** One token's log probability, as in the GA `logprobs` arrays. */
export interface TokenLogprob {
  readonly token: string;
  readonly logprob: number;
}

interface TokenSpan {
  readonly start: number;
  readonly logprob: number;
}

interface ItemText {
  text: string;
  tokens: TokenSpan[];
  /** False once the tokens stopped matching the text (then confidences fall back to the default). */
  aligned: boolean;
}

function readLogprobs(value: unknown): TokenLogprob[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: TokenLogprob[] = [];
  for (const entry of value) {
    const token = (entry as { token?: unknown })?.token;
    const logprob = (entry as { logprob?: unknown })?.logprob;
    if (typeof token !== 'string' || typeof logprob !== 'number') return undefined;
    out.push({ token, logprob });
  }
  return out;
}

/** Records `logprobs` for text that starts at `offset`; marks the item unaligned when they do not spell it. */
function addTokens(item: ItemText, offset: number, text: string, logprobs: TokenLogprob[] | undefined): void {
  if (!item.aligned) return;
  if (!logprobs) {
    // Tokens would now cover only part of the text.
    if (item.tokens.length > 0) item.aligned = false;
    return;
  }
  if (logprobs.map((entry) => entry.token).join('') !== text) {
    item.aligned = false;
    return;
  }
  let at = offset;
  for (const entry of logprobs) {
    item.tokens.push({ start: at, logprob: entry.logprob });
    at += entry.token.length;
  }
}

/** Words of `text` with confidences from token spans (when aligned) and stability. */
export function wordsOf(text: string, tokens: readonly TokenSpan[] | undefined, final: boolean): RecognizedWord[] {
  const words: RecognizedWord[] = [];
  const pattern = /\S+/g;
  let match: RegExpExecArray | null;
  let tokenIndex = 0;
  while ((match = pattern.exec(text)) !== null) {
    const start = match.index;
    const end = start + match[0].length;
    let confidence = DEFAULT_WORD_CONFIDENCE;
    if (tokens && tokens.length > 0) {
      let sum = 0;
      let counted = 0;
      // A token belongs to the word its first visible character falls in (" world" -> "world").
      for (; tokenIndex < tokens.length; tokenIndex++) {
        const token = tokens[tokenIndex]!;
        const next = tokens[tokenIndex + 1]?.start ?? text.length;
        let visible = token.start;
        while (visible < next && /\s/.test(text[visible]!)) visible++;
        if (visible >= end) break;
        sum += token.logprob;
        counted++;
      }
      if (counted > 0) confidence = Math.min(1, Math.max(0, Math.exp(sum)));
    }
    // Deltas only append, so a word is settled once text follows it; the last one may still grow.
    const stable = final || end < text.length;
    words.push({ text: match[0], confidence, stable });
  }
  return words;
}

/** Builds partial and final transcripts per input audio item. */
export class TranscriptAssembler {
  private readonly items = new Map<string, ItemText>();

  constructor(private readonly language: () => string) {}

  /** A `.delta` event: the partial transcript of that item so far. */
  delta(itemId: string, delta: string, logprobs: unknown): Transcript {
    let item = this.items.get(itemId);
    if (!item) {
      item = { text: '', tokens: [], aligned: true };
      this.items.set(itemId, item);
    }
    const offset = item.text.length;
    item.text += delta;
    addTokens(item, offset, delta, readLogprobs(logprobs));
    return this.transcript(item.text, item.aligned ? item.tokens : undefined, false);
  }

  /** A `.completed` event: the final transcript; the item is forgotten. */
  completed(itemId: string, transcript: string, logprobs: unknown): Transcript {
    const item = this.items.get(itemId);
    this.items.delete(itemId);
    const full = readLogprobs(logprobs);
    let tokens: TokenSpan[] | undefined;
    if (full) {
      const fresh: ItemText = { text: '', tokens: [], aligned: true };
      addTokens(fresh, 0, transcript, full);
      tokens = fresh.aligned ? fresh.tokens : undefined;
    } else if (item && item.aligned && item.text === transcript) {
      tokens = item.tokens;
    }
    return this.transcript(transcript, tokens, true);
  }

  /** A `.failed` event, or the item was dropped. */
  forget(itemId: string): void {
    this.items.delete(itemId);
  }

  private transcript(text: string, tokens: readonly TokenSpan[] | undefined, final: boolean): Transcript {
    return { text: text.trim(), words: wordsOf(text, tokens, final), language: this.language(), final };
  }
}
