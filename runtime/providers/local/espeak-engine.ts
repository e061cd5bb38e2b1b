/**
 * The eSpeak NG engine behind the local synthesiser: loads the Emscripten build once per thread, resolves voice
 * names, and synthesises one phrase at a time to 22050 Hz PCM with word start times and pause onsets taken from
 * eSpeak's own synthesis events (the same events Echogarden builds its timelines from).
 */
import type { EspeakNgEvent, EspeakNgWorker } from '@echogarden/espeak-ng-emscripten';

/** eSpeak NG's native output rate, Hz. */
export const ESPEAK_SAMPLE_RATE_HZ = 22050;
/** eSpeak's speaking-rate limits, words per minute. */
const MIN_RATE_WPM = 80;
const MAX_RATE_WPM = 450;

/** A voice eSpeak NG can speak with. */
export interface LocalVoice {
  /** eSpeak identifier, e.g. `gmw/en-US`; accepted as a voice name. */
  readonly id: string;
  /** Human name, e.g. `English (America)`. */
  readonly name: string;
  /** Language names the voice answers to, best first, e.g. `['en-us', 'en']`; each is accepted as a voice name. */
  readonly languages: readonly string[];
}

/** Where eSpeak started a word. */
export interface WordStart {
  /** 0-based index in the phrase, in code points (`Array.from(text)`). */
  readonly charIndex: number;
  /** Audio time since the start of the phrase, ms. */
  readonly audioMs: number;
}

/** One synthesised phrase at {@link ESPEAK_SAMPLE_RATE_HZ}. */
export interface PhraseSynthesis {
  readonly samples: Int16Array;
  /** Word onsets in text order (as eSpeak reported them; see `alignment.ts` for the clean-up). */
  readonly words: readonly WordStart[];
  /** Onsets of pauses (eSpeak's silent phonemes), ms. */
  readonly pausesMs: readonly number[];
}

/** The loaded engine. Synthesis is synchronous: one phrase blocks the thread for a few ms (see bench:tts). */
export interface EspeakEngine {
  readonly voices: readonly LocalVoice[];
  /** The eSpeak voice name to use for `voice` (else for `language`), or undefined when eSpeak has neither. */
  resolveVoice(voice: string, language: string): string | undefined;
  /** Synthesises `text` with a voice returned by `resolveVoice`, at `rateWpm` words per minute (clamped to 80-450). */
  synthesize(text: string, voice: string, rateWpm: number): PhraseSynthesis;
}

let loading: Promise<EspeakEngine> | undefined;

/** Loads the engine once per process (about 25 MB of voice data read from node_modules, ~150 ms). */
export function loadEspeakEngine(): Promise<EspeakEngine> {
  loading ??= initialise().catch((error: unknown) => {
    loading = undefined; // let a later call try again
    throw error;
  });
  return loading;
}

async function initialise(): Promise<EspeakEngine> {
  const { default: initialize } = await import('@echogarden/espeak-ng-emscripten');
  const module = await initialize();
  const engine = createEngine(new module.eSpeakNGWorker());
  // The first synthesis runs cold (JIT, dictionary pages): pay for it here rather than in a caller's first reply.
  engine.synthesize('Hello, how are you today?', 'en-us', 175);
  return engine;
}

function createEngine(worker: EspeakNgWorker): EspeakEngine {
  const voices: LocalVoice[] = worker.list_voices().map((voice) => ({
    id: voice.identifier,
    name: voice.name,
    languages: [...voice.languages].sort((a, b) => a.priority - b.priority).map((language) => language.name),
  }));
  const resolved = new Map<string, string | undefined>();
  let currentVoice: string | undefined;

  const lookup = (name: string): string | undefined => {
    const wanted = name.trim().toLowerCase();
    if (wanted === '') return undefined;
    if (!resolved.has(wanted)) {
      resolved.set(wanted, findVoice(worker, voices, wanted));
      currentVoice = undefined; // findVoice may have switched eSpeak's voice
    }
    return resolved.get(wanted);
  };

  return {
    voices,
    resolveVoice(voice, language) {
      const primary = language.split(/[-_]/)[0] ?? '';
      return lookup(voice) ?? lookup(language) ?? lookup(primary);
    },
    synthesize(text, voice, rateWpm) {
      if (voice !== currentVoice) {
        const code = worker.set_voice(voice);
        if (code !== 0) throw new Error(`eSpeak could not load voice "${voice}" (error ${code})`);
        currentVoice = voice;
      }
      worker.set_rate(Math.round(Math.min(MAX_RATE_WPM, Math.max(MIN_RATE_WPM, rateWpm))));
      return synthesizeWith(worker, text);
    },
  };
}

/** eSpeak accepts its own names directly; otherwise match an identifier or a language name (best priority first). */
function findVoice(worker: EspeakNgWorker, voices: readonly LocalVoice[], wanted: string): string | undefined {
  // Variants such as `en-us+f3` are only understood by set_voice itself.
  if (/^[\w/.+-]+$/.test(wanted) && worker.set_voice(wanted) === 0) return wanted;
  const byId = voices.find((voice) => voice.id.toLowerCase() === wanted || voice.id.toLowerCase().endsWith(`/${wanted}`));
  if (byId) return byId.id;
  for (const rank of [0, 1, 2]) {
    const byLanguage = voices.find((voice) => voice.languages[rank] === wanted);
    if (byLanguage) return byLanguage.id;
  }
  return undefined;
}

function synthesizeWith(worker: EspeakNgWorker, text: string): PhraseSynthesis {
  const pieces: Int16Array[] = [];
  const words: WordStart[] = [];
  const pausesMs: number[] = [];
  let length = 0;
  worker.synthesize(escapeMarkup(text), (samples, events) => {
    if (samples.length > 0) {
      pieces.push(samples);
      length += samples.length;
    }
    for (const event of events) collect(event, words, pausesMs);
    return false;
  });
  const samples = new Int16Array(length);
  let offset = 0;
  for (const piece of pieces) {
    samples.set(piece, offset);
    offset += piece.length;
  }
  return { samples, words, pausesMs };
}

function collect(event: EspeakNgEvent, words: WordStart[], pausesMs: number[]): void {
  if (event.type === 'word') words.push({ charIndex: event.text_position - 1, audioMs: event.audio_position });
  // A phoneme event without a phoneme is a pause (punctuation, clause end).
  else if (event.type === 'phoneme' && !event.id) pausesMs.push(event.audio_position);
}

/**
 * The build parses SSML, so `<...>` and `&name;` would be read as markup. Replace them with spaces, one code point
 * for one, so eSpeak's text positions still index the caller's text.
 */
function escapeMarkup(text: string): string {
  return text.replace(/[<>]/g, ' ').replace(/&(?=#?\w+;)/g, ' ');
}
