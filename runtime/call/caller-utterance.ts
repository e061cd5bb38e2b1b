import type { Transcript } from '../providers/types.js';

/**
 * The caller's utterance being collected for the current turn. A caller who pauses (the recogniser finalises
 * a segment) and goes on produces several segments; they are joined so the turn keeps every part.
 */
export class CallerUtterance {
  /** The utterance so far: earlier segments' finals, then the latest partial. */
  partial: Transcript | undefined;
  /** The utterance's final transcript, once the current segment is finalised (earlier segments included). */
  final: Transcript | undefined;
  /** Call time (ms) the latest final arrived. */
  finalAtMs: number | undefined;
  /** Call time (ms) at the end of the caller's last speech frame. */
  lastSpeechEndMs: number | undefined;
  /** Call time (ms) of the last partial that changed the words. */
  wordsChangedAtMs: number | undefined;
  /**
   * Call time (ms) the caller's speech first started again after the words last changed: a real caller who
   * goes on gets new words within the endpointing silence from here; a noise burst does not.
   */
  resumedAtMs: number | undefined;
  /** Finals of segments already closed. */
  private earlier: Transcript | undefined;

  /** Speech started (a real caller or a noise burst). */
  noteSpeechStart(atMs: number): void {
    if (this.wordsChangedAtMs === undefined) return;
    if (this.resumedAtMs === undefined || this.resumedAtMs < this.wordsChangedAtMs) this.resumedAtMs = atMs;
  }

  /** A new partial; a partial after a final means the caller went on, so that final becomes an earlier segment. */
  notePartial(transcript: Transcript, atMs?: number): void {
    if (atMs !== undefined && transcript.text !== this.partial?.text) this.wordsChangedAtMs = atMs;
    if (this.final) {
      this.earlier = this.final;
      this.final = undefined;
      this.finalAtMs = undefined;
    }
    this.partial = joinTranscripts(this.earlier, transcript);
  }

  /** Each final closes one segment. */
  noteFinal(transcript: Transcript, atMs: number): void {
    this.final = joinTranscripts(this.final ?? this.earlier, transcript);
    this.finalAtMs = atMs;
  }

  /** The recogniser never finalised: take the latest partial (it already holds the earlier segments). */
  useLatestPartialAsFinal(atMs: number): void {
    this.final = this.partial ? { ...this.partial, final: true } : (this.earlier ?? { text: '', words: [], final: true });
    this.finalAtMs = atMs;
  }
}

/** `earlier` (segments already finalised) followed by `next`; `next` alone when there is nothing earlier. */
export function joinTranscripts(earlier: Transcript | undefined, next: Transcript): Transcript {
  if (!earlier || earlier.text.trim() === '') return next;
  if (next.text.trim() === '') return { ...next, text: earlier.text, words: earlier.words };
  return { ...next, text: `${earlier.text} ${next.text}`, words: [...earlier.words, ...next.words] };
}
