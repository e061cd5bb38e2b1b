/**
 * The embedded, offline speech synthesiser: eSpeak NG (formant synthesis, robotic but intelligible, 100+
 * languages) compiled to JavaScript with Emscripten and installed from npm, so it needs no keys, no network and
 * no system packages. Text streams in and is synthesised phrase by phrase; character alignment comes from
 * eSpeak's own word and pause events.
 */
import { realClock, type Clock } from '../../util/clock.js';
import { ProviderError } from '../errors.js';
import type { TextToSpeech, TtsChunk, TtsContext, TtsHooks } from '../types.js';
import { loadEspeakEngine, type LocalVoice } from './espeak-engine.js';
import { createInThreadSynthesiser, LOCAL_TTS_ID, type PhraseOutcome, type PhraseRequest, type PhraseSynthesiser, type VoiceOutcome } from './phrase-synthesis.js';
import { nextPhraseLength, pauseAfterMs } from './phrases.js';
import { sharedSynthesisPool, type SynthesisPool } from './synthesis-pool.js';

export { LOCAL_TTS_ID } from './phrase-synthesis.js';
/** eSpeak's default speaking rate; `speed` multiplies it. */
const WORDS_PER_MINUTE_AT_SPEED_1 = 175;

/** Options of {@link createLocalTts}. The output sample rate is chosen per context, in `open()`. */
export interface LocalTtsOptions {
  /** Schedules the synthesis steps (each at 0 ms); pass a simulated clock to run calls in simulated time. Default: the real clock. */
  readonly clock?: Clock;
  /** Words after which text without punctuation is cut into a phrase and synthesised. Default: 12. */
  readonly maxPhraseWords?: number;
  /** Longest audio chunk passed to `onAudio`, ms (chunks are cut between characters). Default: 400. */
  readonly maxChunkMs?: number;
  /**
   * Where eSpeak runs. `worker`: on a synthesis thread ({@link LocalTtsOptions.pool}), so a phrase (a few ms of
   * synchronous work) never stalls the other calls on this event loop; audio comes a message later.
   * `main`: on the calling thread, every phrase ready at once, so a simulated clock sees the same call every run.
   * Default: `worker` with the real clock (or a `pool`), `main` with any other clock.
   */
  readonly thread?: 'main' | 'worker';
  /** The synthesis threads for `thread: 'worker'`. Default: the process's shared pool (`VOICEAGENT_TTS_THREADS` threads, default 1). */
  readonly pool?: SynthesisPool;
}

/** The local synthesiser, with the voices it can speak. */
export interface LocalTts extends TextToSpeech {
  /** Every eSpeak NG voice; `open({ voice })` accepts a voice's `id` or any of its `languages`. */
  readonly voices: readonly LocalVoice[];
}

/**
 * Loads eSpeak NG (once per process or synthesis thread, ~150 ms) and returns a {@link TextToSpeech} with
 * character alignment. `open()` takes an eSpeak voice name in `voice` (`en-us`, `en-gb`, `fr-fr`, `de`, `es`,
 * `cmn`...), falling back to `language` (BCP 47); `speed` scales eSpeak's 175 words per minute (80-450 wpm);
 * audio comes at `sampleRate`. Throws a {@link ProviderError} when the engine cannot be loaded.
 */
export async function createLocalTts(options: LocalTtsOptions = {}): Promise<LocalTts> {
  const maxPhraseWords = options.maxPhraseWords ?? 12;
  const maxChunkMs = options.maxChunkMs ?? 400;
  const clock = options.clock ?? realClock;
  const thread = options.thread ?? (clock === realClock || options.pool ? 'worker' : 'main');
  if (!(Number.isInteger(maxPhraseWords) && maxPhraseWords >= 1)) throw new Error(`createLocalTts: maxPhraseWords must be a whole number >= 1 (got ${maxPhraseWords})`);
  if (!(maxChunkMs > 0)) throw new Error(`createLocalTts: maxChunkMs must be > 0 (got ${maxChunkMs})`);
  if (thread !== 'main' && thread !== 'worker') throw new Error(`createLocalTts: thread must be 'main' or 'worker' (got ${String(thread)})`);
  const { voices, synthesiser } = thread === 'worker' ? await onPool(options.pool ?? sharedSynthesisPool()) : await inThisThread();
  return {
    id: LOCAL_TTS_ID,
    // Contexts share one engine (or pool) and synthesise in turn, so there is no real limit.
    capabilities: { alignment: 'char', maxContexts: 1024 },
    voices,
    open(open, hooks) {
      if (!(open.speed > 0)) throw new Error(`${LOCAL_TTS_ID}: speed must be > 0 (got ${open.speed})`);
      if (!(Number.isInteger(open.sampleRate) && open.sampleRate > 0)) throw new Error(`${LOCAL_TTS_ID}: sampleRate must be a whole number of Hz > 0 (got ${open.sampleRate})`);
      return createContext({ synthesiser, clock, hooks, voiceCount: voices.length, voice: open.voice, language: open.language, sampleRate: open.sampleRate, speed: open.speed, maxPhraseWords, maxChunkMs });
    },
  };
}

async function inThisThread(): Promise<{ voices: readonly LocalVoice[]; synthesiser: PhraseSynthesiser }> {
  const engine = await loadEspeakEngine().catch((error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ProviderError({
      provider: LOCAL_TTS_ID,
      kind: 'server',
      retryable: false,
      message: `could not load eSpeak NG from @echogarden/espeak-ng-emscripten (${reason}); reinstall dependencies with npm install`,
      cause: error,
    });
  });
  return { voices: engine.voices, synthesiser: createInThreadSynthesiser(engine) };
}

async function onPool(pool: SynthesisPool): Promise<{ voices: readonly LocalVoice[]; synthesiser: PhraseSynthesiser }> {
  return { voices: await pool.ready(), synthesiser: pool };
}

interface ContextSetup {
  readonly synthesiser: PhraseSynthesiser;
  readonly clock: Clock;
  readonly hooks: TtsHooks;
  /** The voice name and language asked for in `open()`, resolved by the synthesiser. */
  readonly voice: string;
  readonly language: string;
  /** How many voices eSpeak has, for the message of an unknown voice. */
  readonly voiceCount: number;
  readonly sampleRate: number;
  readonly speed: number;
  readonly maxPhraseWords: number;
  readonly maxChunkMs: number;
}

function createContext(setup: ContextSetup): TtsContext {
  const { clock, hooks, synthesiser } = setup;
  let buffer = '';
  let ended = false;
  let finished = false;
  let timer: unknown;
  /** Silence owed before the next phrase: the pause after the previous phrase's punctuation. */
  let pauseBeforeMs = 0;
  const queue: TtsChunk[] = [];
  /** The eSpeak voice, once the synthesiser has resolved it. */
  let voice: string | undefined;
  /** Cancels the synthesiser's pending answer (voice or phrase); set only while one is awaited. */
  let pending: (() => void) | undefined;
  /** A failure waiting for the next step to report it. */
  let failure: ProviderError | undefined;

  const stop = (): void => {
    finished = true;
    queue.length = 0;
    pending?.();
    pending = undefined;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };
  const fail = (error: ProviderError): void => {
    stop();
    hooks.onError(error);
  };
  const canSynthesise = (): boolean => voice !== undefined && pending === undefined;
  const hasWork = (): boolean => failure !== undefined || queue.length > 0 || (canSynthesise() && (ended || nextPhraseLength(buffer, false, setup.maxPhraseWords) > 0));
  // Every step runs from the clock, never inside pushText/end or a worker's message: hooks are always called from the clock.
  const kick = (): void => {
    if (!finished && timer === undefined && hasWork()) timer = clock.setTimeout(step, 0);
  };

  /**
   * Asks the synthesiser and applies its answer. An answer given at once (eSpeak on this thread) is used by the
   * step that asked; a later one (a synthesis thread) schedules a step.
   */
  function awaitAnswer<T>(ask: (done: (outcome: T) => void) => () => void, apply: (outcome: T) => void): void {
    let answered = false;
    let atOnce = true;
    const cancel = ask((outcome) => {
      answered = true;
      pending = undefined;
      if (finished) return;
      apply(outcome);
      if (!atOnce) kick();
    });
    atOnce = false;
    if (!answered) pending = cancel;
  }

  function step(): void {
    timer = undefined;
    if (finished) return;
    if (failure === undefined && queue.length === 0 && canSynthesise()) synthesiseNextPhrase();
    if (failure !== undefined) return fail(failure);
    const chunk = queue.shift();
    if (chunk) {
      hooks.onAudio(chunk);
      if (finished) return; // the hook cancelled the context
    }
    if (ended && buffer.length === 0 && queue.length === 0 && canSynthesise()) {
      finished = true;
      hooks.onDone();
      return;
    }
    kick();
  }

  function synthesiseNextPhrase(): void {
    const length = nextPhraseLength(buffer, ended, setup.maxPhraseWords);
    if (length === 0 || voice === undefined) return;
    const phrase = buffer.slice(0, length);
    buffer = buffer.slice(length);
    const request: PhraseRequest = {
      text: phrase,
      voice,
      rateWpm: WORDS_PER_MINUTE_AT_SPEED_1 * setup.speed,
      sampleRate: setup.sampleRate,
      // Trailing whitespace after the last sentence is not worth a pause: it would only delay onDone.
      leadMs: phrase.trim() === '' ? 0 : pauseBeforeMs,
      maxChunkMs: setup.maxChunkMs,
    };
    pauseBeforeMs = pauseAfterMs(phrase) / setup.speed;
    awaitAnswer<PhraseOutcome>(
      (done) => synthesiser.synthesise(request, done),
      (outcome) => {
        if ('error' in outcome) failure = outcome.error;
        else queue.push(...outcome.chunks);
      },
    );
  }

  awaitAnswer<VoiceOutcome>(
    (done) => synthesiser.resolveVoice(setup.voice, setup.language, done),
    (outcome) => {
      if ('error' in outcome) failure = outcome.error;
      else if (outcome.voice !== undefined) voice = outcome.voice;
      else failure = unknownVoice(setup);
      kick(); // at open, no step is running to report an unknown voice
    },
  );

  return {
    pushText(text) {
      if (finished || ended || text.length === 0) return;
      buffer += text;
      kick();
    },
    end() {
      if (finished || ended) return;
      ended = true;
      kick();
    },
    cancel() {
      stop();
    },
  };
}

function unknownVoice(setup: ContextSetup): ProviderError {
  const message = `no eSpeak NG voice "${setup.voice}" and none for language "${setup.language}"; use a voice name such as en-us, en-gb, fr-fr, de, es or cmn (createLocalTts().voices lists all ${setup.voiceCount})`;
  return new ProviderError({ provider: LOCAL_TTS_ID, kind: 'bad-request', message });
}
