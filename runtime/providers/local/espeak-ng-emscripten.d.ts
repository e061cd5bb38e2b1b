/**
 * The part of `@echogarden/espeak-ng-emscripten` (eSpeak NG compiled with Emscripten, GPL-3.0) that
 * `espeak-engine.ts` uses. The package ships no types; these follow its WebIDL glue (`eSpeakNGWorker`).
 */
declare module '@echogarden/espeak-ng-emscripten' {
  /** One synthesis event, as the glue copies it out of eSpeak's `espeak_EVENT` list. */
  export interface EspeakNgEvent {
    readonly type: 'list_terminated' | 'word' | 'sentence' | 'mark' | 'play' | 'end' | 'msg_terminated' | 'phoneme' | 'samplerate';
    /** 1-based position in the input text, counted in Unicode code points. */
    readonly text_position: number;
    /** Length of the word in code points (word events; not always the whole word). */
    readonly word_length: number;
    /** Audio time of the event since the start of this synthesis, ms. */
    readonly audio_position: number;
    /** Word/sentence number, or the phoneme (empty for a pause), or the mark name. */
    readonly id?: string | number;
  }

  /** A voice as listed by eSpeak. */
  export interface EspeakNgVoice {
    readonly name: string;
    readonly identifier: string;
    readonly languages: ReadonlyArray<{ readonly priority: number; readonly name: string }>;
  }

  /** The synthesiser: one per module instance (eSpeak keeps global state). */
  export interface EspeakNgWorker {
    /** Synthesises synchronously; `onChunk` gets 16-bit mono PCM at 22050 Hz and the events of that chunk. Return true to abort. */
    synthesize(text: string, onChunk: (samples: Int16Array, events: EspeakNgEvent[]) => boolean | void): void;
    /** eSpeak error code: 0 when the voice was set. */
    set_voice(name: string): number;
    /** Words per minute (80-450). */
    set_rate(wordsPerMinute: number): void;
    list_voices(): EspeakNgVoice[];
    readonly samplerate: number;
  }

  /** The initialised Emscripten module. */
  export interface EspeakNgModule {
    readonly eSpeakNGWorker: new () => EspeakNgWorker;
  }

  /** Loads the module (reads `espeak-ng.data` beside the script). */
  const initialize: (moduleArg?: Record<string, unknown>) => Promise<EspeakNgModule>;
  export default initialize;
}
