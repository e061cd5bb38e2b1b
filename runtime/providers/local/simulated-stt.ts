/**
 * The recogniser for SIMULATED callers (offline mode, `voiceagent test`): it does not listen to the audio at all.
 * The simulator tells it which words the caller's audio contains and when, and it reveals those known words in
 * step with the audio pushed into it, with realistic lags, confidences, language and, on request, word errors.
 * It is a simulation provider for exercising the runtime without keys, never speech recognition.
 */
import { createRevealRecognizer, type TimedUtterance, type TimedWord } from '../simulation/word-reveal.js';
import type { SpeechToText } from '../types.js';

/** Provider id of the simulated recogniser. */
export const SIMULATED_STT_ID = 'local-simulated-stt';

/** A word the simulated caller says. Times are audio ms relative to the start of the NEXT frame pushed. */
export interface SimulatedWord {
  readonly text: string;
  readonly startMs: number;
  readonly endMs: number;
}

/** What the simulated caller is saying, for {@link SimulatedStt.expect}. */
export interface SimulatedUtterance {
  /**
   * The words, in order, timed relative to the start of the next frame pushed into the stream (the caller's
   * audio starts with that frame). No words (a cough, a door): nothing is reported.
   */
  readonly words: readonly SimulatedWord[];
  /** The caller's language (BCP 47), reported as identified. Default: the stream's current language. */
  readonly language?: string;
  /** Confidence of `language`, 0-1. Default: 0.95. */
  readonly languageConfidence?: number;
}

/** Options of {@link createSimulatedStt}. */
export interface SimulatedSttOptions {
  /** Provider id. Default: `local-simulated-stt`. */
  readonly id?: string;
  /** Mean word confidence, 0-1; each word varies by up to ±0.03 (deterministic by seed). Default: 0.92. */
  readonly confidence?: number;
  /** A word is revealed in a partial this long after its end, ms of audio. Default: 150. */
  readonly partialLagMs?: number;
  /** The final comes this long after the last word's end, ms of audio. Default: 250. */
  readonly finalDelayMs?: number;
  /**
   * Share of words recognised wrongly, 0-1: each is either substituted by a near miss (a vowel changed:
   * "table" -> "teble", with lower confidence) or dropped; which words, and how, depends only on `seed`.
   * An utterance always keeps at least one word. Default: 0.
   */
  readonly wordErrorRate?: number;
  /** Seed of the confidence variation and word errors: the same seed gives the same transcripts. Default: 1. */
  readonly seed?: number;
}

/** The simulated recogniser, with its control API. Counters and flags describe the latest stream started. */
export interface SimulatedStt extends SpeechToText {
  /**
   * Tells the latest open stream what the caller says, starting with the next frame pushed. Throws when no
   * stream is open or the word times are invalid.
   */
  expect(utterance: SimulatedUtterance): void;
  /** Frames pushed into the latest stream. */
  readonly framesReceived: number;
  /** Audio time of the latest stream: the pushed frames' samples / sample rate, ms. */
  readonly audioMs: number;
  /** Languages passed to `setLanguage` on the latest stream, in order. */
  readonly languageChanges: readonly string[];
  /** True once the latest stream was closed. */
  readonly closed: boolean;
  /** Streams started so far. */
  readonly streamsStarted: number;
}

/** How far each word's confidence may stray from the mean. */
const CONFIDENCE_SPREAD = 0.03;
/** A substituted word's confidence, relative to a correct one: recognisers are less sure of what they get wrong. */
const SUBSTITUTION_CONFIDENCE_FACTOR = 0.6;

/**
 * Creates a {@link SimulatedStt}. Time is AUDIO time: each pushed frame advances it by its duration (samples /
 * the `sampleRate` given to `start()`), and words are revealed only as frames are pushed. A packet lost on the
 * line still advances time, because the transport delivers silence or concealment in its place; if the runtime
 * stops pushing frames, nothing more is revealed. Throws a RangeError on an invalid option.
 */
export function createSimulatedStt(options: SimulatedSttOptions = {}): SimulatedStt {
  const settings = settingsOf(options);
  const core = createRevealRecognizer({ id: options.id ?? SIMULATED_STT_ID, frameMs: (frame, sampleRate) => (frame.length * 1000) / sampleRate });
  // Utterances told to each stream so far, so every utterance draws its own random values.
  const told = new WeakMap<object, number>();
  return Object.assign(core, {
    expect(utterance: SimulatedUtterance) {
      const stream = core.openStream('expect()');
      const index = told.get(stream) ?? 0;
      told.set(stream, index + 1);
      checkWords(utterance.words);
      if (utterance.words.length === 0) return;
      stream.schedule(placeUtterance(utterance, settings, { offsetMs: stream.audioMs, index, language: stream.language }));
    },
  });
}

type Settings = Required<Omit<SimulatedSttOptions, 'id'>>;

function settingsOf(options: SimulatedSttOptions): Settings {
  const settings = { confidence: 0.92, partialLagMs: 150, finalDelayMs: 250, wordErrorRate: 0, seed: 1, ...options };
  const between = (name: string, value: number, min: number, max: number): void => {
    if (!(value >= min && value <= max)) throw new RangeError(`createSimulatedStt: ${name} must be between ${min} and ${max} (got ${value})`);
  };
  between('confidence', settings.confidence, 0, 1);
  between('wordErrorRate', settings.wordErrorRate, 0, 1);
  between('partialLagMs', settings.partialLagMs, 0, Infinity);
  between('finalDelayMs', settings.finalDelayMs, 0, Infinity);
  if (!Number.isFinite(settings.seed)) throw new RangeError(`createSimulatedStt: seed must be a finite number (got ${settings.seed})`);
  return settings;
}

function checkWords(words: readonly SimulatedWord[]): void {
  words.forEach((word, index) => {
    const where = `expect(): word ${index} (${JSON.stringify(word.text)})`;
    if (word.text.trim() === '') throw new Error(`${where} has no text; leave silent parts out of 'words'`);
    if (!(word.startMs >= 0 && word.endMs >= word.startMs)) throw new Error(`${where} needs 0 <= startMs <= endMs (got ${word.startMs}-${word.endMs} ms)`);
    const previous = words[index - 1];
    if (previous && word.startMs < previous.startMs) throw new Error(`${where} starts before the word before it; give the words in spoken order`);
  });
}

function placeUtterance(utterance: SimulatedUtterance, settings: Settings, at: { readonly offsetMs: number; readonly index: number; readonly language: string }): TimedUtterance {
  const random = (word: number, purpose: number): number => keyedRandom(settings.seed, at.index, word, purpose);
  const recognised: TimedWord[] = [];
  utterance.words.forEach((word, i) => {
    const confidence = clamp01(settings.confidence + (random(i, 0) * 2 - 1) * CONFIDENCE_SPREAD);
    const timed = { text: word.text, confidence: round3(confidence), stable: false, startMs: at.offsetMs + word.startMs, endMs: at.offsetMs + word.endMs };
    if (!(random(i, 1) < settings.wordErrorRate)) return void recognised.push(timed);
    const nearMiss = random(i, 2) < 0.5 ? shiftFirstVowel(word.text) : undefined;
    if (nearMiss !== undefined) recognised.push({ ...timed, text: nearMiss, confidence: round3(confidence * SUBSTITUTION_CONFIDENCE_FACTOR) });
  });
  const first = utterance.words[0]!;
  if (recognised.length === 0) recognised.push({ text: first.text, confidence: round3(settings.confidence), stable: false, startMs: at.offsetMs + first.startMs, endMs: at.offsetMs + first.endMs });
  // The recogniser ends the utterance after the caller's last word, recognised or not.
  const lastEndMs = Math.max(...utterance.words.map((word) => word.endMs));
  return {
    words: recognised,
    partialLagMs: settings.partialLagMs,
    finalAtMs: at.offsetMs + lastEndMs + settings.finalDelayMs,
    language: utterance.language ?? at.language,
    languageConfidence: utterance.languageConfidence ?? 0.95,
  };
}

/** A near miss: the first a/e/i/o/u changed to a neighbour ("table" -> "teble"); undefined when there is none. */
function shiftFirstVowel(text: string): string | undefined {
  const shifted: Readonly<Record<string, string>> = { a: 'e', e: 'a', i: 'e', o: 'u', u: 'o', A: 'E', E: 'A', I: 'E', O: 'U', U: 'O' };
  const index = text.search(/[aeiou]/i);
  return index < 0 ? undefined : text.slice(0, index) + shifted[text[index]!] + text.slice(index + 1);
}

/**
 * A uniform value in [0, 1) determined by its keys alone (a counter-based generator: an integer hash of the
 * keys), so a word's draws do not depend on how many values other words used.
 */
function keyedRandom(...keys: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const key of keys) {
    h = Math.imul(h ^ (key >>> 0), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
  }
  h = Math.imul(h ^ (h >>> 16), 0x297a2d39);
  return ((h ^ (h >>> 15)) >>> 0) / 4294967296;
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
