/**
 * Turns one context's base64 audio chunks into PCM16 at the session's sample rate, in order: mu-law by table
 * lookup, PCM straight from base64 into the samples' memory (an odd trailing byte is carried to the next chunk),
 * and a streaming resampler only when the provider cannot send the session's rate (48 kHz).
 *
 * The resampler's WebAssembly engine loads asynchronously; if it is not loaded yet when a 48 kHz context opens,
 * chunks wait in order until it is, so `emit` may be called later than `push`. Alignment passes through
 * unchanged: its times are milliseconds, which resampling does not change.
 */
import { decodeMulaw } from '../../audio/g711.js';
import { base64ToPcm16, pcm16FromBytes } from '../../audio/pcm.js';
import { createResampler, createResamplerSync, type Resampler } from '../../audio/resampler.js';
import type { CharAlignment, Pcm16 } from '../types.js';
import type { OutputPlan } from './wire.js';

/** Callbacks of an {@link AudioDecoder}. */
export interface AudioDecoderSink {
  emit(pcm: Pcm16, alignment: CharAlignment | undefined): void;
  /** The resampler engine failed to load. */
  fail(error: unknown): void;
}

/** Decodes one context's audio. */
export interface AudioDecoder {
  /** Decodes a base64 chunk (or passes an alignment without audio) and emits it, now or once the resampler is ready. */
  push(base64: string | undefined, alignment: CharAlignment | undefined): void;
  /** No more audio: emits what the resampler still holds, then calls `done` (at once unless it is still loading). */
  finish(done: () => void): void;
  /** Drops everything; nothing is emitted afterwards. */
  destroy(): void;
}

type Pending = { readonly kind: 'chunk'; readonly base64: string | undefined; readonly alignment: CharAlignment | undefined } | { readonly kind: 'finish'; readonly done: () => void };

/** Creates the decoder for a context. */
export function createAudioDecoder(plan: OutputPlan, sink: AudioDecoderSink): AudioDecoder {
  const toSamples = plan.encoding === 'ulaw' ? decodeUlawBase64 : createPcmReader();
  const needsResampler = plan.providerRate !== plan.sampleRate;
  let resampler: Resampler | undefined;
  let pending: Pending[] | undefined;
  let destroyed = false;

  if (needsResampler) {
    const options = { fromRate: plan.providerRate, toRate: plan.sampleRate };
    try {
      resampler = createResamplerSync(options);
    } catch {
      pending = [];
      createResampler(options).then(
        (ready) => {
          if (destroyed) return ready.destroy();
          resampler = ready;
          const queued = pending ?? [];
          pending = undefined;
          for (const item of queued) run(item);
        },
        (error: unknown) => {
          if (!destroyed) sink.fail(error);
        },
      );
    }
  }

  function run(item: Pending): void {
    if (destroyed) return;
    if (item.kind === 'finish') {
      const tail = resampler?.flush();
      if (tail && tail.length > 0) sink.emit(tail, undefined);
      item.done();
      return;
    }
    const samples = item.base64 ? toSamples(item.base64) : new Int16Array(0);
    const pcm = resampler && samples.length > 0 ? resampler.process(samples) : samples;
    if (pcm.length > 0 || item.alignment) sink.emit(pcm, item.alignment);
  }

  return {
    push(base64, alignment) {
      if (destroyed) return;
      const item: Pending = { kind: 'chunk', base64, alignment };
      if (pending) pending.push(item);
      else run(item);
    },
    finish(done) {
      if (destroyed) return;
      const item: Pending = { kind: 'finish', done };
      if (pending) pending.push(item);
      else run(item);
    },
    destroy() {
      destroyed = true;
      pending = undefined;
      resampler?.destroy();
      resampler = undefined;
    },
  };
}

function decodeUlawBase64(base64: string): Int16Array {
  return decodeMulaw(Buffer.from(base64, 'base64'));
}

/** PCM16 from base64, carrying an odd trailing byte over to the next chunk. */
function createPcmReader(): (base64: string) => Int16Array {
  let carry: number | undefined;
  return (base64) => {
    if (carry === undefined) {
      const byteLength = Buffer.byteLength(base64, 'base64');
      if (byteLength % 2 === 0) return base64ToPcm16(base64);
    }
    const decoded = Buffer.from(base64, 'base64');
    const bytes = carry === undefined ? decoded : Buffer.concat([Buffer.of(carry), decoded]);
    const even = bytes.length & ~1;
    carry = even < bytes.length ? bytes[even] : undefined;
    return pcm16FromBytes(bytes.subarray(0, even));
  };
}
