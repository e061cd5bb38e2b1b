/**
 * The embedded, offline speech synthesiser: eSpeak NG (formant synthesis, robotic but intelligible, 100+
 * languages) compiled to JavaScript with Emscripten and installed from npm, so it needs no keys, no network and
 * no system packages. Text streams in and is synthesised phrase by phrase; character alignment comes from
 * eSpeak's own word and pause events.
 */
import { realClock, type Clock } from '../../util/clock.js';
import { ProviderError } from '../errors.js';
import type { TextToSpeech, TtsChunk, TtsContext, TtsHooks } from '../types.js';
import { alignPhrase, toChunks } from './alignment.js';
import { ESPEAK_SAMPLE_RATE_HZ, loadEspeakEngine, type EspeakEngine, type LocalVoice } from './espeak-engine.js';
import { nextPhraseLength, pauseAfterMs } from './phrases.js';
import { resample } from './resample.js';

/** Provider id of the local synthesiser. */
export const LOCAL_TTS_ID = 'local-espeak';
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
}

/** The local synthesiser, with the voices it can speak. */
export interface LocalTts extends TextToSpeech {
  /** Every eSpeak NG voice; `open({ voice })` accepts a voice's `id` or any of its `languages`. */
  readonly voices: readonly LocalVoice[];
}

/**
 * Loads eSpeak NG (once per process, ~150 ms) and returns a {@link TextToSpeech} with character alignment.
 * `open()` takes an eSpeak voice name in `voice` (`en-us`, `en-gb`, `fr-fr`, `de`, `es`, `cmn`...), falling back
 * to `language` (BCP 47); `speed` scales eSpeak's 175 words per minute (80-450 wpm); audio comes at `sampleRate`.
 * Throws a {@link ProviderError} when the engine cannot be loaded.
 */
export async function createLocalTts(options: LocalTtsOptions = {}): Promise<LocalTts> {
  const maxPhraseWords = options.maxPhraseWords ?? 12;
  const maxChunkMs = options.maxChunkMs ?? 400;
  if (!(Number.isInteger(maxPhraseWords) && maxPhraseWords >= 1)) throw new Error(`createLocalTts: maxPhraseWords must be a whole number >= 1 (got ${maxPhraseWords})`);
  if (!(maxChunkMs > 0)) throw new Error(`createLocalTts: maxChunkMs must be > 0 (got ${maxChunkMs})`);
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
  const clock = options.clock ?? realClock;
  return {
    id: LOCAL_TTS_ID,
    // Contexts share one engine and synthesise in turn, so there is no real limit.
    capabilities: { alignment: 'char', maxContexts: 1024 },
    voices: engine.voices,
    open(open, hooks) {
      if (!(open.speed > 0)) throw new Error(`${LOCAL_TTS_ID}: speed must be > 0 (got ${open.speed})`);
      if (!(Number.isInteger(open.sampleRate) && open.sampleRate > 0)) throw new Error(`${LOCAL_TTS_ID}: sampleRate must be a whole number of Hz > 0 (got ${open.sampleRate})`);
      const voice = engine.resolveVoice(open.voice, open.language);
      const unknownVoice =
        voice === undefined
          ? `no eSpeak NG voice "${open.voice}" and none for language "${open.language}"; use a voice name such as en-us, en-gb, fr-fr, de, es or cmn (createLocalTts().voices lists all ${engine.voices.length})`
          : undefined;
      return createContext({ engine, clock, hooks, voice: voice ?? '', unknownVoice, sampleRate: open.sampleRate, speed: open.speed, maxPhraseWords, maxChunkMs });
    },
  };
}

interface ContextSetup {
  readonly engine: EspeakEngine;
  readonly clock: Clock;
  readonly hooks: TtsHooks;
  readonly voice: string;
  /** Set when no voice matched: the context fails with this message. */
  readonly unknownVoice: string | undefined;
  readonly sampleRate: number;
  readonly speed: number;
  readonly maxPhraseWords: number;
  readonly maxChunkMs: number;
}

function createContext(setup: ContextSetup): TtsContext {
  const { clock, hooks } = setup;
  let buffer = '';
  let ended = false;
  let finished = false;
  let timer: unknown;
  /** Silence owed before the next phrase: the pause after the previous phrase's punctuation. */
  let pauseBeforeMs = 0;
  const queue: TtsChunk[] = [];

  const stop = (): void => {
    finished = true;
    queue.length = 0;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };
  const fail = (error: ProviderError): void => {
    stop();
    hooks.onError(error);
  };
  const hasWork = (): boolean => queue.length > 0 || ended || nextPhraseLength(buffer, false, setup.maxPhraseWords) > 0;
  // Every step runs from the clock, never inside pushText/end: hooks are always called asynchronously.
  const kick = (): void => {
    if (!finished && timer === undefined && hasWork()) timer = clock.setTimeout(step, 0);
  };

  function step(): void {
    timer = undefined;
    if (finished) return;
    if (queue.length === 0) {
      try {
        synthesiseNextPhrase();
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return fail(new ProviderError({ provider: LOCAL_TTS_ID, kind: 'server', retryable: false, message: `synthesis failed: ${reason}`, cause: error }));
      }
    }
    const chunk = queue.shift();
    if (chunk) {
      hooks.onAudio(chunk);
      if (finished) return; // the hook cancelled the context
    }
    if (ended && buffer.length === 0 && queue.length === 0) {
      finished = true;
      hooks.onDone();
      return;
    }
    kick();
  }

  function synthesiseNextPhrase(): void {
    const length = nextPhraseLength(buffer, ended, setup.maxPhraseWords);
    if (length === 0) return;
    const phrase = buffer.slice(0, length);
    buffer = buffer.slice(length);
    // Trailing whitespace after the last sentence is not worth a pause: it would only delay onDone.
    queue.push(...synthesisePhrase(setup, phrase, phrase.trim() === '' ? 0 : pauseBeforeMs));
    pauseBeforeMs = pauseAfterMs(phrase) / setup.speed;
  }

  if (setup.unknownVoice !== undefined) {
    const message = setup.unknownVoice;
    timer = clock.setTimeout(() => fail(new ProviderError({ provider: LOCAL_TTS_ID, kind: 'bad-request', message })), 0);
  }

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

/** Synthesises one phrase, converts it to the context's rate after `leadMs` of silence, and cuts it into aligned chunks. */
function synthesisePhrase(setup: ContextSetup, phrase: string, leadMs: number): TtsChunk[] {
  const { sampleRate } = setup;
  const chars = Array.from(phrase);
  const synthesis = setup.engine.synthesize(phrase, setup.voice, WORDS_PER_MINUTE_AT_SPEED_1 * setup.speed);
  const speech = resample(synthesis.samples, ESPEAK_SAMPLE_RATE_HZ, sampleRate);
  const leadSamples = Math.round((leadMs * sampleRate) / 1000);
  const pcm = new Int16Array(leadSamples + speech.length);
  pcm.set(speech, leadSamples);
  // eSpeak's times are on its 22050 Hz time line: map them onto the converted audio, after the lead silence.
  const sourceMs = (synthesis.samples.length * 1000) / ESPEAK_SAMPLE_RATE_HZ;
  const scale = sourceMs > 0 ? (speech.length * 1000) / sampleRate / sourceMs : 0;
  const leadOutMs = (leadSamples * 1000) / sampleRate;
  const toOutputMs = (ms: number): number => leadOutMs + Math.min(Math.max(0, ms), sourceMs) * scale;
  const spans = alignPhrase(
    chars,
    synthesis.words.map((word) => ({ charIndex: word.charIndex, audioMs: toOutputMs(word.audioMs) })),
    synthesis.pausesMs.map(toOutputMs),
    (pcm.length * 1000) / sampleRate,
  );
  return toChunks(pcm, sampleRate, chars, spans, setup.maxChunkMs);
}
