// Shared by the ElevenLabs tests: opens a context and records what its hooks receive.
import type { ProviderError } from '../../../runtime/providers/errors.js';
import type { TextToSpeech, TtsChunk, TtsContext } from '../../../runtime/providers/types.js';

export interface Spoken {
  readonly context: TtsContext;
  readonly chunks: TtsChunk[];
  readonly errors: ProviderError[];
  done: boolean;
  /** Resolves on onDone or onError. */
  readonly settled: Promise<void>;
  /** Characters of every alignment, joined. */
  alignedText(): string;
  /** Samples received. */
  samples(): number;
}

export function speak(tts: TextToSpeech, open: { voice?: string; sampleRate?: number; speed?: number; language?: string } = {}): Spoken {
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const chunks: TtsChunk[] = [];
  const errors: ProviderError[] = [];
  const spoken = {
    chunks,
    errors,
    done: false,
    settled,
    alignedText: () => chunks.map((chunk) => chunk.alignment?.chars.join('') ?? '').join(''),
    samples: () => chunks.reduce((sum, chunk) => sum + chunk.pcm.length, 0),
  } as Omit<Spoken, 'context'> & { context?: TtsContext };
  spoken.context = tts.open(
    { voice: open.voice ?? 'voice-a', language: open.language ?? 'en', sampleRate: open.sampleRate ?? 8000, speed: open.speed ?? 1 },
    {
      onAudio: (chunk) => chunks.push(chunk),
      onDone: () => {
        spoken.done = true;
        settle();
      },
      onError: (error) => {
        errors.push(error);
        settle();
      },
    },
  );
  return spoken as Spoken;
}

/** Pushes text token by token (words with their leading space, punctuation on its own), as an LLM streams it. */
export function pushTokens(context: TtsContext, text: string): void {
  for (const token of text.match(/\s*[\p{L}\p{N}']+|\s*[^\s\p{L}\p{N}']/gu) ?? []) context.pushText(token);
}

/** Waits (real time) until `condition` holds, failing after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 2000, what = 'condition'): Promise<void> {
  const startedAt = Date.now();
  while (!condition()) {
    if (Date.now() - startedAt > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Real-time pause. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
