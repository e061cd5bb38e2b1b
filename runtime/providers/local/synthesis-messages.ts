/**
 * What the synthesis pool (`synthesis-pool.ts`, main thread) and a synthesis thread (`synthesis-worker.ts`) say
 * to each other. Every message is plain data; chunk PCM buffers are transferred, not copied.
 */
import type { TtsChunk } from '../types.js';
import type { LocalVoice } from './espeak-engine.js';
import type { PhraseRequest } from './phrase-synthesis.js';

/** `workerData.role` of a synthesis thread: the entry serves only when started as one. */
export const SYNTHESIS_WORKER_ROLE = 'voiceagent-synthesis';

/** Messages from the pool to a synthesis thread; `id` comes back in the answer. */
export type ToSynthesisWorker =
  | { readonly type: 'resolve'; readonly id: number; readonly voice: string; readonly language: string }
  | { readonly type: 'phrase'; readonly id: number; readonly request: PhraseRequest };

/** Messages from a synthesis thread: `ready` once eSpeak NG is loaded, then one answer per message. */
export type FromSynthesisWorker =
  | { readonly type: 'ready'; readonly voices: readonly LocalVoice[] }
  | { readonly type: 'resolved'; readonly id: number; readonly voice: string | undefined }
  | { readonly type: 'phrase'; readonly id: number; readonly chunks: TtsChunk[] }
  | { readonly type: 'failed'; readonly id: number; readonly message: string };
