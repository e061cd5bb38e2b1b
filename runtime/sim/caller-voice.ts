import { createLocalTts } from '../providers/local/index.js';
import type { TextToSpeech, TtsChunk } from '../providers/types.js';
import { createSimulatedClock, type SimulatedClock } from '../util/clock.js';

/** A caller line synthesised ahead of time, with word timings (ms from the start of `pcm`). */
export interface CallerLine {
  readonly pcm: Int16Array;
  readonly words: ReadonlyArray<{ readonly text: string; readonly startMs: number; readonly endMs: number }>;
}

/** Default caller voices: different from the agent's offline voices so the two are told apart in recordings. */
const CALLER_VOICES: Record<string, string> = { en: 'en-gb', fr: 'fr-be', zh: 'cmn', de: 'de', es: 'es-419', it: 'it', pt: 'pt-br', ja: 'ja' };

/** The offline voice a simulated caller speaking `language` uses unless the scenario names one. */
export function callerVoiceFor(language: string): string {
  return CALLER_VOICES[language] ?? CALLER_VOICES[language.split('-')[0]!] ?? language;
}

/** Speaks simulated callers' lines with the offline synthesiser, on a private simulated clock. */
export interface CallerVoice {
  /** `speed` multiplies the synthesiser's normal rate (175 words per minute). Default: 1. */
  synthesize(text: string, options: { voice: string; language: string; sampleRate: number; speed?: number }): Promise<CallerLine>;
}

/**
 * Creates the caller's voice. It synthesises on its own simulated clock, so a line is ready at once whatever
 * clock the call itself runs on, and word timings come from the synthesiser's character alignment.
 */
export async function createCallerVoice(): Promise<CallerVoice> {
  const clock = createSimulatedClock();
  const tts = await createLocalTts({ clock });
  return { synthesize: (text, options) => synthesizeLine(tts, clock, text, options) };
}

function synthesizeLine(tts: TextToSpeech, clock: SimulatedClock, text: string, options: { voice: string; language: string; sampleRate: number; speed?: number }): Promise<CallerLine> {
  const chunks: TtsChunk[] = [];
  return new Promise<CallerLine>((resolve, reject) => {
    let done = false;
    const ctx = tts.open({ voice: options.voice, language: options.language, sampleRate: options.sampleRate, speed: options.speed ?? 1 }, {
      onAudio: (chunk) => chunks.push(chunk),
      onDone: () => {
        done = true;
        resolve(assemble(chunks, options.sampleRate));
      },
      onError: (error) => {
        done = true;
        reject(error);
      },
    });
    ctx.pushText(text);
    ctx.end();
    // Drive the synthesiser's timers (each step is scheduled at 0 ms); it needs far fewer than this.
    for (let i = 0; i < 10_000 && !done; i++) clock.advance(1);
    if (!done) reject(new Error(`caller voice did not finish synthesising "${text}"`));
  });
}

function assemble(chunks: readonly TtsChunk[], sampleRate: number): CallerLine {
  const total = chunks.reduce((n, c) => n + c.pcm.length, 0);
  const pcm = new Int16Array(total);
  const words: { text: string; startMs: number; endMs: number }[] = [];
  let offset = 0;
  let current: { text: string; startMs: number; endMs: number } | undefined;
  for (const chunk of chunks) {
    pcm.set(chunk.pcm, offset);
    const chunkStartMs = (offset * 1000) / sampleRate;
    const a = chunk.alignment;
    if (a) {
      for (let i = 0; i < a.chars.length; i++) {
        const ch = a.chars[i]!;
        const start = chunkStartMs + a.startMs[i]!;
        const end = start + a.durationMs[i]!;
        if (/\s/.test(ch)) {
          if (current) words.push(current);
          current = undefined;
        } else if (current) {
          current.text += ch;
          current.endMs = end;
        } else {
          current = { text: ch, startMs: start, endMs: end };
        }
      }
    }
    offset += chunk.pcm.length;
  }
  if (current) words.push(current);
  return { pcm, words: words.flatMap(splitCjk) };
}

const CJK = /[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]/u;

/**
 * Chinese and Japanese are written without spaces, so the synthesiser's "word" can be a whole clause. A
 * recogniser reveals such text character by character; split it so the simulated one does too (punctuation
 * stays with the character before it, time is shared evenly).
 */
function splitCjk(word: { text: string; startMs: number; endMs: number }): Array<{ text: string; startMs: number; endMs: number }> {
  if (!CJK.test(word.text)) return [word];
  const pieces: string[] = [];
  for (const ch of word.text) {
    if (CJK.test(ch) || pieces.length === 0) pieces.push(ch);
    else pieces[pieces.length - 1] += ch;
  }
  const step = (word.endMs - word.startMs) / pieces.length;
  return pieces.map((text, i) => ({ text, startMs: word.startMs + i * step, endMs: word.startMs + (i + 1) * step }));
}
