/**
 * `say` for offline agents: a typed caller line is spoken with the offline caller voice, and the simulated
 * recogniser is told its words with their timings as its first frame enters the call, exactly as the
 * scenario simulator does for its callers. So a browser or a script can talk to an offline agent, which has
 * no real speech recognition, and the call runs its real audio path (VAD, barge-in, endpointing) on the line.
 *
 * The caller voice itself lives in `runtime/sim` (`createCallerVoice`, `callerVoiceFor`), a layer above
 * transports: the server creates it and passes it in; only its shape is named here.
 */
import type { SimulatedStt } from '../../providers/local/index.js';
import type { SayHandler } from './say-lines.js';

/** A synthesised caller line: PCM16 at the requested rate and its words, ms from the start of `pcm`. */
export interface CallerLineAudio {
  readonly pcm: Int16Array;
  readonly words: ReadonlyArray<{ readonly text: string; readonly startMs: number; readonly endMs: number }>;
}

/** What the sayer needs of a voice: `runtime/sim`'s `CallerVoice` (from `createCallerVoice()`) fits. */
export interface CallerVoiceLike {
  synthesize(text: string, options: { voice: string; language: string; sampleRate: number }): Promise<CallerLineAudio>;
}

/** Options of {@link createOfflineSayer}. */
export interface OfflineSayerOptions {
  /** The caller voice: `await createCallerVoice()` (runtime/sim). One per process is enough. */
  readonly voice: CallerVoiceLike;
  /** The call's simulated recogniser: the same instance given to `createOfflineProviders({ stt })`. */
  readonly stt: Pick<SimulatedStt, 'expect'>;
  /** The call's sample rate, Hz (the transport's). */
  readonly sampleRate: number;
  /** Language of the lines (BCP 47), told to the recogniser. Default: `en`; pass the agent's default language. */
  readonly language?: string;
  /**
   * eSpeak NG voice of the caller. Default: `en-gb`, the simulator's English caller (unlike the agent's `en-us`,
   * so the two are told apart in a recording); pass `callerVoiceFor(language)` from runtime/sim for others.
   */
  readonly voiceName?: string;
}

/**
 * Creates the {@link SayHandler} of one offline call: each line is synthesised at the call's rate, and when
 * its first frame enters the call the recogniser is told `expect({ words, language })`.
 */
export function createOfflineSayer(options: OfflineSayerOptions): SayHandler {
  const language = options.language ?? 'en';
  const voice = options.voiceName ?? 'en-gb';
  return async (text) => {
    const line = await options.voice.synthesize(text, { voice, language, sampleRate: options.sampleRate });
    if (line.words.length === 0) throw new Error(`the caller voice said no words for ${JSON.stringify(text.slice(0, 40))}`);
    return { pcm: line.pcm, onStart: () => options.stt.expect({ words: line.words, language }) };
  };
}
