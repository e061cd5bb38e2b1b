/**
 * One phrase, from text to aligned chunks at the context's rate, and the seam between a synthesis context and
 * whoever runs eSpeak NG: this thread ({@link createInThreadSynthesiser}) or a pool of worker threads
 * (`synthesis-pool.ts`). The same {@link synthesisePhrase} runs in both, so both give the same audio.
 */
import { ProviderError } from '../errors.js';
import type { TtsChunk } from '../types.js';
import { alignPhrase, toChunks } from './alignment.js';
import { ESPEAK_SAMPLE_RATE_HZ, type EspeakEngine } from './espeak-engine.js';
import { resample } from './resample.js';

/** Provider id of the local synthesiser. */
export const LOCAL_TTS_ID = 'local-espeak';

/** Everything needed to synthesise one phrase; plain data, so it can be posted to a worker thread. */
export interface PhraseRequest {
  readonly text: string;
  /** An eSpeak voice name, as resolved by {@link PhraseSynthesiser.resolveVoice}. */
  readonly voice: string;
  /** Speaking rate, words per minute (clamped to 80-450 by the engine). */
  readonly rateWpm: number;
  /** Output rate, Hz. */
  readonly sampleRate: number;
  /** Silence before the speech, ms (the pause owed after the previous phrase). */
  readonly leadMs: number;
  /** Longest chunk, ms. */
  readonly maxChunkMs: number;
}

/** A phrase's chunks, or why there are none. */
export type PhraseOutcome = { readonly chunks: TtsChunk[] } | { readonly error: ProviderError };
/** The eSpeak voice for a voice name and language (undefined: eSpeak has neither), or why it is not known. */
export type VoiceOutcome = { readonly voice: string | undefined } | { readonly error: ProviderError };

/**
 * Runs eSpeak for synthesis contexts. Each method calls `done` exactly once, unless the returned function
 * (cancel) is called first: synchronously, inside the call, when eSpeak runs on this thread; later, from a
 * message, when it runs on a worker thread.
 */
export interface PhraseSynthesiser {
  resolveVoice(voice: string, language: string, done: (outcome: VoiceOutcome) => void): () => void;
  synthesise(request: PhraseRequest, done: (outcome: PhraseOutcome) => void): () => void;
}

const nothingToCancel = (): void => {};

/** Runs eSpeak on the calling thread: every answer comes at once, which keeps simulated calls deterministic. */
export function createInThreadSynthesiser(engine: EspeakEngine): PhraseSynthesiser {
  return {
    resolveVoice(voice, language, done) {
      done({ voice: engine.resolveVoice(voice, language) });
      return nothingToCancel;
    },
    synthesise(request, done) {
      let outcome: PhraseOutcome;
      try {
        outcome = { chunks: synthesisePhrase(engine, request) };
      } catch (error) {
        outcome = { error: synthesisFailed(error) };
      }
      done(outcome);
      return nothingToCancel;
    },
  };
}

/** The error of a phrase eSpeak could not synthesise (not retryable: the same text would fail again). */
export function synthesisFailed(error: unknown): ProviderError {
  const reason = error instanceof Error ? error.message : String(error);
  return new ProviderError({ provider: LOCAL_TTS_ID, kind: 'server', retryable: false, message: `synthesis failed: ${reason}`, cause: error });
}

/** Synthesises one phrase, converts it to the request's rate after `leadMs` of silence, and cuts it into aligned chunks. */
export function synthesisePhrase(engine: EspeakEngine, request: PhraseRequest): TtsChunk[] {
  const { sampleRate } = request;
  const chars = Array.from(request.text);
  const synthesis = engine.synthesize(request.text, request.voice, request.rateWpm);
  const speech = resample(synthesis.samples, ESPEAK_SAMPLE_RATE_HZ, sampleRate);
  const leadSamples = Math.round((request.leadMs * sampleRate) / 1000);
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
  return toChunks(pcm, sampleRate, chars, spans, request.maxChunkMs);
}
