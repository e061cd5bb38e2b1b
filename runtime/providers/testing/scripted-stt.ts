/**
 * A speech recogniser for tests: the test says what the caller utters, and the recogniser reveals it word by
 * word as inbound audio frames arrive. It runs on AUDIO time (20 ms per pushed frame), not on the clock, so
 * transcripts line up with the audio the runtime actually fed it.
 */
import type { ProviderError } from '../errors.js';
import { createRevealRecognizer, type TimedUtterance } from '../simulation/word-reveal.js';
import type { SpeechToText } from '../types.js';

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
  /**
   * Report speech events like a recogniser with its own VAD (Realtime `server_vad`): an utterance's start and
   * end, this many ms of audio late. Noise (audio with no utterance) is not heard. Default: no speech events.
   */
  readonly speechEventsDelayMs?: number;
  /**
   * Finalise an utterance only once the runtime calls `endOfSpeech()` (a committing recogniser such as the
   * Realtime transcription session with local turn detection); its words so far make the final. Default: false.
   */
  readonly finalOnEndOfSpeech?: boolean;
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
  /** The latest stream's connection is gone for good: `onError(error)`, then `onLost(error)`, now. */
  lose(error: ProviderError): void;
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

/** Creates a {@link ScriptedStt}. */
export function createScriptedStt(options: ScriptedSttOptions = {}): ScriptedStt {
  const core = createRevealRecognizer({
    id: options.id ?? 'scripted-stt',
    frameMs: () => SCRIPTED_STT_FRAME_MS,
    ...(options.speechEventsDelayMs !== undefined ? { speechEventsDelayMs: options.speechEventsDelayMs } : {}),
    ...(options.finalOnEndOfSpeech ? { finalOnEndOfSpeech: true } : {}),
  });
  return Object.assign(core, {
    utter(utterance: ScriptedUtterance) {
      const stream = core.openStream('utter()');
      stream.schedule(scheduleUtterance(utterance, Math.max(stream.audioMs, stream.queueEndMs), stream.language));
    },
    failNext(error: ProviderError) {
      core.openStream('failNext()').failNext(error);
    },
    lose(error: ProviderError) {
      core.openStream('lose()').lose(error);
    },
  });
}

function scheduleUtterance(utterance: ScriptedUtterance, startMs: number, streamLanguage: string): TimedUtterance {
  const wordMs = utterance.wordMs ?? 300;
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
    partialLagMs: utterance.partialLagMs ?? 100,
    finalAtMs: lastEndMs + (utterance.finalDelayMs ?? 150),
    language: utterance.language ?? streamLanguage,
    languageConfidence: utterance.languageConfidence ?? 0.95,
  };
}
