/**
 * Audio between a call's PCM16 (at the session's sample rate) and OpenAI Realtime's wire formats: `audio/pcmu`
 * (G.711 mu-law at 8 kHz, what telephony carries, so a phone call needs no resampling) and `audio/pcm` (PCM16
 * little-endian at 24 kHz), both base64 in JSON. Plus the character alignment given to speech-to-speech audio.
 */
import type { RealtimeAudioFormats } from 'openai/resources/realtime/realtime';
import { decodeMulaw, encodeMulawInto } from '../../audio/g711.js';
import { base64ToBytes, base64ToPcm16, bytesToBase64, pcm16ToBase64 } from '../../audio/pcm.js';
import { createResampler, type Resampler } from '../../audio/resampler.js';
import type { CharAlignment, Pcm16 } from '../types.js';

/** Audio format on the wire: `pcmu` (mu-law, 8 kHz) for telephony, `pcm24k` (PCM16, 24 kHz) otherwise. */
export type RealtimeWireFormat = 'pcmu' | 'pcm24k';

/** Sample rate of a wire format, Hz. */
export function wireRate(format: RealtimeWireFormat): number {
  return format === 'pcmu' ? 8000 : 24000;
}

/** The GA `format` object of a wire format. */
export function wireFormatObject(format: RealtimeWireFormat): RealtimeAudioFormats {
  return format === 'pcmu' ? { type: 'audio/pcmu' } : { type: 'audio/pcm', rate: 24000 };
}

function grow<T extends Int16Array | Uint8Array>(buffer: T, length: number, make: (n: number) => T): T {
  return buffer.length >= length ? buffer : make(Math.max(length, buffer.length * 2));
}

/**
 * Call audio -> `input_audio_buffer.append` payloads. `encode` is the per-frame path: resample into a reused
 * buffer, mu-law into a reused buffer, then one base64 string (the only allocation). Call after `ready`.
 */
export class InputEncoder {
  readonly ready: Promise<void>;
  private resampler: Resampler | undefined;
  private resampled = new Int16Array(0);
  private mulaw = new Uint8Array(0);

  constructor(
    readonly format: RealtimeWireFormat,
    readonly sessionRate: number,
  ) {
    this.ready = createResampler({ fromRate: sessionRate, toRate: wireRate(format) }).then((resampler) => {
      this.resampler = resampler;
    });
  }

  /** Duration of a frame at the session rate, ms. */
  durationMs(frame: Pcm16): number {
    return (frame.length * 1000) / this.sessionRate;
  }

  /** One frame as base64 of wire-format bytes. */
  encode(frame: Pcm16): string {
    let samples = frame;
    const resampler = this.resampler;
    if (resampler && resampler.engine !== 'copy') {
      this.resampled = grow(this.resampled, resampler.maxOutputSamples(frame.length), (n) => new Int16Array(n));
      samples = this.resampled.subarray(0, resampler.processInto(frame, this.resampled));
    }
    if (this.format === 'pcm24k') return pcm16ToBase64(samples);
    this.mulaw = grow(this.mulaw, samples.length, (n) => new Uint8Array(n));
    const bytes = this.mulaw.subarray(0, samples.length);
    encodeMulawInto(samples, bytes);
    return bytesToBase64(bytes);
  }

  destroy(): void {
    this.resampler?.destroy();
  }
}

/** One decoded `response.output_audio.delta`. */
export interface DecodedAudio {
  /** PCM16 at the session rate; a new array the receiver may keep. */
  readonly pcm: Pcm16;
  /** Duration of the delta as sent (wire samples / wire rate), ms: what `audio_end_ms` counts in. */
  readonly wireMs: number;
}

/** `response.output_audio.delta` payloads -> call audio at the session rate. Call after `ready`. */
export class OutputDecoder {
  readonly ready: Promise<void>;
  private resampler: Resampler | undefined;

  constructor(
    readonly format: RealtimeWireFormat,
    readonly sessionRate: number,
  ) {
    this.ready = createResampler({ fromRate: wireRate(format), toRate: sessionRate }).then((resampler) => {
      this.resampler = resampler;
    });
  }

  decode(base64: string): DecodedAudio {
    const wire = this.format === 'pcmu' ? decodeMulaw(base64ToBytes(base64)) : base64ToPcm16(base64);
    const wireMs = (wire.length * 1000) / wireRate(this.format);
    const resampler = this.resampler;
    return { pcm: resampler && resampler.engine !== 'copy' ? resampler.process(wire) : wire, wireMs };
  }

  /** Forgets filter history: a new response starts (no tail of a cancelled one leaks into it). */
  reset(): void {
    this.resampler?.reset();
  }

  destroy(): void {
    this.resampler?.destroy();
  }
}

/**
 * Approximate character alignment of speech-to-speech audio from its transcript.
 *
 * The Realtime API sends the audio transcript (`response.output_audio_transcript.delta`) without timings, and
 * usually ahead of the audio. So characters are laid end to end on the audio time line at a nominal speaking
 * rate (`msPerChar`, 70 ms by default: ~14 characters a second, spaces and punctuation included, about the
 * pace of the Realtime voices), never before the audio they arrived with and never past the audio received.
 * Each audio chunk gets the characters whose start falls inside it, with times relative to the chunk.
 *
 * Error: the real pace varies by a few characters a second, so late in a long reply the position drifts by a
 * word or so; a slower voice leaves its last characters unplaced when the audio ends. That is good enough for
 * the call record and for choosing where an interrupted reply was cut; the model itself is told precisely,
 * because `conversation.item.truncate` counts audio milliseconds, not characters.
 */
export class TranscriptAligner {
  private pending = '';
  private audioMs = 0;
  private nextCharMs = 0;

  constructor(private readonly msPerChar = 70) {}

  /** Adds transcript text as it arrives. */
  pushText(delta: string): void {
    this.pending += delta;
  }

  /** Places pending characters on the next `durationMs` of audio; undefined when none fall inside it. */
  align(durationMs: number): CharAlignment | undefined {
    const startMs = this.audioMs;
    const endMs = startMs + durationMs;
    this.audioMs = endMs;
    if (this.pending === '') return undefined;
    // Text that arrived after its audio starts where the audio is now, not in the past.
    if (this.nextCharMs < startMs) this.nextCharMs = startMs;
    const chars: string[] = [];
    const starts: number[] = [];
    const durations: number[] = [];
    let consumed = 0;
    for (const char of this.pending) {
      if (this.nextCharMs >= endMs) break;
      chars.push(char);
      starts.push(this.nextCharMs - startMs);
      durations.push(this.msPerChar);
      this.nextCharMs += this.msPerChar;
      consumed += char.length;
    }
    this.pending = this.pending.slice(consumed);
    return chars.length > 0 ? { chars, startMs: starts, durationMs: durations } : undefined;
  }
}
