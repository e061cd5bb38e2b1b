/**
 * The core of the recognisers that know what the caller says (the scripted test recogniser and the offline
 * simulated one): utterances are placed on the stream's AUDIO time line, and each pushed frame reveals the words
 * whose end (plus a lag) it has passed, then the final. Time only moves with pushed frames, so transcripts line
 * up with the audio the runtime actually fed the recogniser, whatever the clock does.
 */
import type { ProviderError } from '../errors.js';
import type { Pcm16, RecognizedWord, SpeechToText, SttHooks, SttStream, Transcript } from '../types.js';

/** A recognised word placed on the stream's audio time line. */
export interface TimedWord extends RecognizedWord {
  readonly startMs: number;
  readonly endMs: number;
}

/** An utterance placed on a stream's audio time line (all times in stream audio ms). */
export interface TimedUtterance {
  /** Words as partials report them, in order. */
  readonly words: readonly TimedWord[];
  /** Words of the final when the recogniser revises its partials at the end. Default: `words`. */
  readonly finalWords?: readonly RecognizedWord[];
  /** A word is revealed in a partial this long after its end, ms of audio. */
  readonly partialLagMs: number;
  /** Audio time the final is reported, ms. */
  readonly finalAtMs: number;
  readonly language: string;
  readonly languageConfidence: number;
}

/** The latest stream of a {@link RevealRecognizer}, for the recogniser's control API. */
export interface RevealStream {
  /** The stream's current language (`start()`, then `setLanguage`). */
  readonly language: string;
  /** Audio time so far: the sum of the pushed frames' durations, ms. The next frame starts here. */
  readonly audioMs: number;
  /** Audio time the last scheduled utterance is finalised, ms; 0 when none was scheduled. */
  readonly queueEndMs: number;
  /** Queues an utterance; it is revealed after those queued before it. */
  schedule(utterance: TimedUtterance): void;
  /** Calls `onError(error)` when the next frame arrives. */
  failNext(error: ProviderError): void;
  /** The stream's connection is gone for good: `onError(error)`, then `onLost(error)`, now; nothing more is revealed. */
  lose(error: ProviderError): void;
}

/** Options of {@link createRevealRecognizer}. */
export interface RevealRecognizerOptions {
  readonly id: string;
  /** Audio time one pushed frame stands for, ms. */
  frameMs(frame: Pcm16, sampleRate: number): number;
  /**
   * Run a VAD of the recogniser's own, like a Realtime session with `server_vad`: each utterance's speech start
   * and stop are reported (`onSpeechStarted`/`onSpeechStopped`) this many ms of audio after its first word
   * starts and its last word ends. Only words are heard: audio with no utterance scheduled (noise) is not.
   * Default: no speech events.
   */
  readonly speechEventsDelayMs?: number;
  /**
   * Finalise an utterance only once the runtime says the caller stopped (`endOfSpeech()`), like a Realtime
   * transcription session with local turn detection, which transcribes the audio committed to it. Default:
   * finals come on their own, `finalDelayMs` after the last word.
   */
  readonly finalOnEndOfSpeech?: boolean;
}

/** A {@link SpeechToText} that reveals scheduled utterances; counters and flags describe the latest stream started. */
export interface RevealRecognizer extends SpeechToText {
  /** The latest stream; throws, naming `what` needed it, when no stream is open. */
  openStream(what: string): RevealStream;
  /** Frames pushed into the latest stream. */
  readonly framesReceived: number;
  /** Audio time of the latest stream, ms. */
  readonly audioMs: number;
  /** Languages passed to `setLanguage` on the latest stream, in order. */
  readonly languageChanges: readonly string[];
  /** True once the latest stream was closed. */
  readonly closed: boolean;
  /** Streams started so far. */
  readonly streamsStarted: number;
}

interface Scheduled extends TimedUtterance {
  /** Words revealed so far. */
  revealed: number;
  /** Speech events reported so far: 0 none, 1 started, 2 started and stopped. */
  speechEvents: 0 | 1 | 2;
}

interface StreamState extends RevealStream {
  readonly hooks: SttHooks;
  readonly sampleRate: number;
  language: string;
  frames: number;
  audioMs: number;
  closed: boolean;
  readonly languageChanges: string[];
  readonly utterances: Scheduled[];
  queueEndMs: number;
  pendingError?: ProviderError;
  readonly speechEventsDelayMs: number | undefined;
  readonly finalOnEndOfSpeech: boolean;
  /** `endOfSpeech()` was called since the last final (finalOnEndOfSpeech). */
  endOfSpeech: boolean;
}

/** Creates the shared recogniser core; providers add their own control methods on top. */
export function createRevealRecognizer(options: RevealRecognizerOptions): RevealRecognizer {
  const { id } = options;
  let latest: StreamState | undefined;
  let streamsStarted = 0;
  return {
    id,
    capabilities: { partials: true, wordConfidence: true, languageIdentification: true, speechEvents: options.speechEventsDelayMs !== undefined },
    start(startOptions, hooks) {
      const state = createState(hooks, startOptions.language, startOptions.sampleRate, options.speechEventsDelayMs, options.finalOnEndOfSpeech ?? false);
      latest = state;
      streamsStarted++;
      return createStream(state, options.frameMs);
    },
    openStream(what) {
      if (!latest || latest.closed) throw new Error(`${id}: ${what} needs an open stream; call it after the runtime has started recognition (start()) and before close()`);
      return latest;
    },
    get framesReceived() {
      return latest?.frames ?? 0;
    },
    get audioMs() {
      return latest?.audioMs ?? 0;
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

function createState(hooks: SttHooks, language: string, sampleRate: number, speechEventsDelayMs: number | undefined, finalOnEndOfSpeech: boolean): StreamState {
  const state: StreamState = {
    hooks,
    speechEventsDelayMs,
    finalOnEndOfSpeech,
    endOfSpeech: false,
    sampleRate,
    language,
    frames: 0,
    audioMs: 0,
    closed: false,
    languageChanges: [],
    utterances: [],
    queueEndMs: 0,
    schedule(utterance) {
      state.utterances.push({ ...utterance, revealed: 0, speechEvents: 0 });
      state.queueEndMs = Math.max(state.queueEndMs, utterance.finalAtMs);
    },
    failNext(error) {
      state.pendingError = error;
    },
    lose(error) {
      state.utterances.length = 0;
      state.hooks.onError(error);
      state.hooks.onLost?.(error);
    },
  };
  return state;
}

function createStream(state: StreamState, frameMs: RevealRecognizerOptions['frameMs']): SttStream {
  return {
    pushAudio(frame: Pcm16) {
      if (state.closed) return;
      state.frames++;
      state.audioMs += frameMs(frame, state.sampleRate);
      const error = state.pendingError;
      if (error) {
        state.pendingError = undefined;
        state.hooks.onError(error);
        if (state.closed) return;
      }
      advance(state, state.audioMs);
    },
    setLanguage(language) {
      if (state.closed) return;
      state.language = language;
      state.languageChanges.push(language);
    },
    endOfSpeech() {
      state.endOfSpeech = true;
    },
    close() {
      state.closed = true;
    },
  };
}

/** Reveals what is due at `nowMs` for the current utterance: at most one partial and one final per frame. */
function advance(state: StreamState, nowMs: number): void {
  const utterance = state.utterances[0];
  if (!utterance) return;
  reportSpeech(state, utterance, nowMs);
  const finalDue = state.finalOnEndOfSpeech ? state.endOfSpeech && utterance.revealed > 0 : nowMs >= utterance.finalAtMs;
  if (finalDue) {
    state.endOfSpeech = false;
    state.utterances.shift();
    state.hooks.onFinal(transcriptOf(utterance, utterance.words.length, true));
    return;
  }
  let revealed = utterance.revealed;
  while (revealed < utterance.words.length && utterance.words[revealed]!.endMs + utterance.partialLagMs <= nowMs) revealed++;
  if (revealed === utterance.revealed) return;
  utterance.revealed = revealed;
  state.hooks.onPartial(transcriptOf(utterance, revealed, false));
}

/** The recogniser's own VAD (`speechEventsDelayMs`): speech start and stop of `utterance`, once each, in order. */
function reportSpeech(state: StreamState, utterance: Scheduled, nowMs: number): void {
  const delayMs = state.speechEventsDelayMs;
  const first = utterance.words[0];
  const last = utterance.words[utterance.words.length - 1];
  if (delayMs === undefined || !first || !last) return;
  // By the final at the latest, the VAD has heard both ends.
  const due = (atMs: number) => nowMs >= Math.min(atMs + delayMs, utterance.finalAtMs);
  if (utterance.speechEvents === 0 && due(first.startMs)) {
    utterance.speechEvents = 1;
    state.hooks.onSpeechStarted?.(first.startMs);
  }
  if (utterance.speechEvents === 1 && due(last.endMs)) {
    utterance.speechEvents = 2;
    state.hooks.onSpeechStopped?.(last.endMs);
  }
}

function transcriptOf(utterance: TimedUtterance, count: number, final: boolean): Transcript {
  // Words already followed by a revealed word are stable; in the final, every word is.
  const words = final && utterance.finalWords ? utterance.finalWords : utterance.words.slice(0, count).map((word, index) => ({ ...word, stable: final || index < count - 1 }));
  return {
    text: joinWords(words.map((word) => word.text)),
    words,
    language: utterance.language,
    languageConfidence: utterance.languageConfidence,
    final,
  };
}

const CJK_EDGE = /[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]/u;

/** Joins recognised words with spaces, except between Chinese/Japanese characters, which are written without. */
function joinWords(words: readonly string[]): string {
  let text = '';
  for (const word of words) {
    if (text && !(CJK_EDGE.test(text[text.length - 1]!) && CJK_EDGE.test(word[0] ?? ''))) text += ' ';
    text += word;
  }
  return text;
}
