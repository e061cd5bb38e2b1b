/**
 * What the runtime needs to know about OpenAI transcription models, by id.
 *
 * Live-streaming models (`gpt-live-transcribe`, `gpt-realtime-whisper` and their dated snapshots) give
 * transcription deltas while the caller is still speaking, and their sessions take no server VAD
 * (`turn_detection` must be null): the client commits each turn. The others (`gpt-4o-transcribe`,
 * `gpt-4o-mini-transcribe`, `whisper-1`) transcribe a committed segment, so their words come after the
 * caller stops. Sources: OpenAI's realtime transcription guide and model pages.
 */
const LIVE_MODEL = /^(gpt-live-transcribe|gpt-realtime-whisper)(-|$)/;

/** True for a model that streams words while the caller speaks and refuses server VAD. */
export function isLiveTranscriptionModel(model: string): boolean {
  return LIVE_MODEL.test(model);
}
