/**
 * A speech recogniser for tests: the test says what the caller utters, and the recogniser reveals it word by
 * word as inbound audio frames arrive. It runs on AUDIO time (20 ms per pushed frame), not on the clock, so
 * transcripts line up with the audio the runtime actually fed it.
 */
import type { ProviderError } from '../errors.js';
import type { Pcm16, RecognizedWord, SpeechToText, SttHooks, SttStream, Transcript } from '../types.js';

/** Audio time each `pushAudio` frame stands for, ms. */
export const SCRIPTED_STT_FRAME_MS = 20;

/** One utterance for {@link ScriptedStt.utter}. */
export interface ScriptedUtterance {
  /** What the caller says; split into words on whitespace. */
  readonly text: string;
  /** Word confidence, 0-1: one value for all words or one per word. Default: 0.95. */
  readonly confidence?: number | readonly number[];
  /** Language reported (BCP 47). Default: the stream's current language. */
  readonly language?: string;
  /** Confidence of `language`, 0-1. Default: 0.95. */
  readonly languageConfidence?: number;
  /** Audio per word, ms. Default: 300. */
  readonly wordMs?: number;
  /** A word is revealed in a partial this long after its end, ms of audio. Default: 100. */
  readonly partialLagMs?: number;
  /** The final comes this long after the last word's end, ms of audio. Default: 150. */
  readonly finalDelayMs?: number;
  /** Words recognised wrongly: word index -> the text reported instead (in partials and the final). */
  readonly misrecognize?: Readonly<Record<number, string>>;
  /**
   * Text of the final transcript when the recogniser revises its partials at the end ("for two" -> "for 2");
   * its words share the utterance's span evenly. Default: the words of the partials.
   */
  readonly finalText?: string;
}

/** Options of {@link createScriptedStt}. */
export interface ScriptedSttOptions {
  /** Provider id. Default: `scripted-stt`. */
  readonly id?: string;
}

/** A {@link SpeechToText} for tests with a control API. Counters and flags describe the latest stream started. */
export interface ScriptedStt extends SpeechToText {
  /**
   * Schedules an utterance on the latest open stream, starting at its current audio time (or when the previous
   * scheduled utterance has been finalised, if later). Throws when no stream is open.
   */
  utter(utterance: ScriptedUtterance): void;
  /** Calls `onError(error)` of the latest open stream when its next frame arrives. */
  failNext(error: ProviderError): void;
  /** Frames pushed into the latest stream. */
  readonly framesReceived: number;
  /** Audio time of the latest stream: frames x 20 ms. */
  readonly audioMs: number;
  /** Languages passed to `setLanguage` on the latest stream, in order. */
  readonly languageChanges: readonly string[];
  /** True once the latest stream was closed. */
  readonly closed: boolean;
  /** Streams started so far. */
  readonly streamsStarted: number;
}

interface ScheduledUtterance {
  readonly words: readonly RecognizedWord[];
  /** Words of the final when they differ from the partials' (`finalText`). */
  readonly finalWords?: readonly RecognizedWord[];
  /** Audio time each word is revealed, ms. */
  readonly revealAtMs: readonly number[];
  readonly finalAtMs: number;
  readonly language: string;
  readonly languageConfidence: number;
  revealed: number;
}

interface StreamState {
  readonly hooks: SttHooks;
  language: string;
  frames: number;
  closed: boolean;
  readonly languageChanges: string[];
  readonly utterances: ScheduledUtterance[];
  pendingError?: ProviderError;
}

/** Creates a {@link ScriptedStt}. */
export function createScriptedStt(options: ScriptedSttOptions = {}): ScriptedStt {
  const id = options.id ?? 'scripted-stt';
  let latest: StreamState | undefined;
  let streamsStarted = 0;
  const openStream = (what: string): StreamState => {
    if (!latest || latest.closed) throw new Error(`${id}: ${what} needs an open stream; call it after the runtime has started recognition (start()) and before close()`);
    return latest;
  };
  return {
    id,
    capabilities: { partials: true, wordConfidence: true, languageIdentification: true },
    start(startOptions, hooks) {
      const state: StreamState = { hooks, language: startOptions.language, frames: 0, closed: false, languageChanges: [], utterances: [] };
      latest = state;
      streamsStarted++;
      return createStream(state);
    },
    utter(utterance) {
      const state = openStream('utter()');
      const previous = state.utterances.at(-1);
      const startMs = Math.max(state.frames * SCRIPTED_STT_FRAME_MS, previous?.finalAtMs ?? 0);
      state.utterances.push(scheduleUtterance(utterance, startMs, state.language));
    },
    failNext(error) {
      openStream('failNext()').pendingError = error;
    },
    get framesReceived() {
      return latest?.frames ?? 0;
    },
    get audioMs() {
      return (latest?.frames ?? 0) * SCRIPTED_STT_FRAME_MS;
    },
    get languageChanges() {
      return latest?.languageChanges ?? [];
    },
    get closed() {
      return latest?.closed ?? false;
    },
    get streamsStarted() {
      return streamsStarted;
    },
  };
}

function scheduleUtterance(utterance: ScriptedUtterance, startMs: number, streamLanguage: string): ScheduledUtterance {
  const wordMs = utterance.wordMs ?? 300;
  const partialLagMs = utterance.partialLagMs ?? 100;
  const finalDelayMs = utterance.finalDelayMs ?? 150;
  if (!(wordMs > 0)) throw new Error(`scripted STT: wordMs must be > 0 (got ${wordMs})`);
  const texts = utterance.text.split(/\s+/).filter((word) => word.length > 0);
  if (texts.length === 0) throw new Error('scripted STT: utter() needs at least one word in `text`');
  const confidenceOf = (index: number): number => {
    const { confidence } = utterance;
    if (confidence === undefined) return 0.95;
    if (typeof confidence === 'number') return confidence;
    return confidence[index] ?? confidence.at(-1) ?? 0.95;
  };
  const words = texts.map((text, index) => ({
    text: utterance.misrecognize?.[index] ?? text,
    confidence: confidenceOf(index),
    stable: false,
    startMs: startMs + index * wordMs,
    endMs: startMs + (index + 1) * wordMs,
  }));
  const lastEndMs = startMs + texts.length * wordMs;
  const finalTexts = utterance.finalText?.split(/\s+/).filter((word) => word.length > 0);
  if (finalTexts?.length === 0) throw new Error('scripted STT: `finalText` needs at least one word');
  const finalWordMs = finalTexts ? (lastEndMs - startMs) / finalTexts.length : 0;
  return {
    words,
    ...(finalTexts
      ? { finalWords: finalTexts.map((text, index) => ({ text, confidence: confidenceOf(index), stable: true, startMs: startMs + index * finalWordMs, endMs: startMs + (index + 1) * finalWordMs })) }
      : {}),
    revealAtMs: words.map((word) => word.endMs + partialLagMs),
    finalAtMs: lastEndMs + finalDelayMs,
    language: utterance.language ?? streamLanguage,
    languageConfidence: utterance.languageConfidence ?? 0.95,
    revealed: 0,
  };
}

function transcriptOf(utterance: ScheduledUtterance, count: number, final: boolean): Transcript {
  if (final && utterance.finalWords) {
    const words = utterance.finalWords;
    return { text: words.map((word) => word.text).join(' '), words, language: utterance.language, languageConfidence: utterance.languageConfidence, final };
  }
  const words = utterance.words.slice(0, count).map((word, index) => ({ ...word, stable: final || index < count - 1 }));
  return {
    text: words.map((word) => word.text).join(' '),
    words,
    language: utterance.language,
    languageConfidence: utterance.languageConfidence,
    final,
  };
}

function createStream(state: StreamState): SttStream {
  return {
    pushAudio(_frame: Pcm16) {
      if (state.closed) return;
      state.frames++;
      const nowMs = state.frames * SCRIPTED_STT_FRAME_MS;
      const error = state.pendingError;
      if (error) {
        state.pendingError = undefined;
        state.hooks.onError(error);
        if (state.closed) return;
      }
      advanceUtterance(state, nowMs);
    },
    setLanguage(language) {
      if (state.closed) return;
      state.language = language;
      state.languageChanges.push(language);
    },
    close() {
      state.closed = true;
    },
  };
}

/** Reveals what is due at `nowMs` for the current utterance: at most one partial and one final per frame. */
function advanceUtterance(state: StreamState, nowMs: number): void {
  const utterance = state.utterances[0];
  if (!utterance) return;
  if (nowMs >= utterance.finalAtMs) {
    state.utterances.shift();
    state.hooks.onFinal(transcriptOf(utterance, utterance.words.length, true));
    return;
  }
  let revealed = utterance.revealed;
  while (revealed < utterance.words.length && (utterance.revealAtMs[revealed] ?? Infinity) <= nowMs) revealed++;
  if (revealed === utterance.revealed) return;
  utterance.revealed = revealed;
  state.hooks.onPartial(transcriptOf(utterance, revealed, false));
}
