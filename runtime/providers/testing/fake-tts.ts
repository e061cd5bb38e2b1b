/**
 * A speech synthesiser for tests: real PCM16 (a tone whose pitch follows the characters, quiet on spaces) with
 * exact character alignment, delivered in chunks paced on an injected clock, with failure injection and a record
 * of every context.
 */
import type { Clock } from '../../util/clock.js';
import { ProviderError } from '../errors.js';
import type { CharAlignment, TextToSpeech, TtsContext, TtsHooks } from '../types.js';

/** A failure injected into one context. */
export interface FakeTtsFailure {
  /** 0-based index of the context (counting every `open()` call) that fails. */
  readonly context: number;
  /**
   * `error-before-audio`: `onError` when the first audio would have come.
   * `error-mid-stream`: the first chunk is delivered, then `onError`.
   * `silent`: no audio at all, then `onDone` as if every word had been said (a voice that drops a context).
   * `ends-early`: the first chunk is delivered, then `onDone` as if every word had been said.
   */
  readonly kind: 'error-before-audio' | 'error-mid-stream' | 'silent' | 'ends-early';
  /** Whether the error is retryable. Default: true. */
  readonly retryable?: boolean;
}

/** Options of {@link createFakeTts}. */
export interface FakeTtsOptions {
  /** Drives the pacing; use `createSimulatedClock()` in tests. */
  readonly clock: Clock;
  /** Audio per character at speed 1, ms. Default: 55. */
  readonly msPerChar?: number;
  /** Delay from the first `pushText` to the first chunk, ms. Default: 80. */
  readonly firstAudioMs?: number;
  /** Audio per chunk, ms (rounded to whole characters). Default: 200. Chunks follow each other every `chunkMs / 4` ms. */
  readonly chunkMs?: number;
  /** Failures to inject, by context index. */
  readonly failures?: readonly FakeTtsFailure[];
  /** Provider id. Default: `fake-tts`. */
  readonly id?: string;
}

/** What the fake recorded about one context. */
export interface FakeTtsContextRecord {
  readonly voice: string;
  readonly language: string;
  readonly sampleRate: number;
  readonly speed: number;
  /** All text pushed, concatenated. */
  text: string;
  cancelled: boolean;
  ended: boolean;
  /** True once `onDone` was called. */
  done: boolean;
  /** The injected error reported, if any. */
  error?: ProviderError;
  /** Audio delivered through `onAudio`, ms. */
  audioMs: number;
}

/** A {@link TextToSpeech} for tests, with what it recorded. */
export interface FakeTts extends TextToSpeech {
  /** Every context, in `open()` order. */
  readonly contexts: readonly FakeTtsContextRecord[];
}

/** Creates a {@link FakeTts}. Throws at once on invalid timing options. */
export function createFakeTts(options: FakeTtsOptions): FakeTts {
  const id = options.id ?? 'fake-tts';
  const msPerChar = options.msPerChar ?? 55;
  const firstAudioMs = options.firstAudioMs ?? 80;
  const chunkMs = options.chunkMs ?? 200;
  for (const [name, value] of [['msPerChar', msPerChar], ['chunkMs', chunkMs]] as const) {
    if (!(value > 0)) throw new Error(`createFakeTts: ${name} must be > 0 (got ${value})`);
  }
  if (!(firstAudioMs >= 0)) throw new Error(`createFakeTts: firstAudioMs must be >= 0 (got ${firstAudioMs})`);
  const contexts: FakeTtsContextRecord[] = [];
  return {
    id,
    capabilities: { alignment: 'char', maxContexts: 5 },
    contexts,
    open(open, hooks) {
      if (!(open.speed > 0)) throw new Error(`${id}: speed must be > 0 (got ${open.speed})`);
      if (!(open.sampleRate > 0)) throw new Error(`${id}: sampleRate must be > 0 (got ${open.sampleRate})`);
      const failure = options.failures?.find((candidate) => candidate.context === contexts.length);
      const record: FakeTtsContextRecord = {
        voice: open.voice,
        language: open.language,
        sampleRate: open.sampleRate,
        speed: open.speed,
        text: '',
        cancelled: false,
        ended: false,
        done: false,
        audioMs: 0,
      };
      contexts.push(record);
      const charMs = msPerChar / open.speed;
      return createContext({
        id,
        clock: options.clock,
        hooks,
        record,
        failure,
        charMs,
        firstAudioMs,
        charsPerChunk: Math.max(1, Math.round(chunkMs / charMs)),
        intervalMs: chunkMs / 4,
      });
    },
  };
}

interface ContextSetup {
  readonly id: string;
  readonly clock: Clock;
  readonly hooks: TtsHooks;
  readonly record: FakeTtsContextRecord;
  readonly failure: FakeTtsFailure | undefined;
  readonly charMs: number;
  readonly firstAudioMs: number;
  readonly charsPerChunk: number;
  readonly intervalMs: number;
}

function createContext(setup: ContextSetup): TtsContext {
  const { clock, record } = setup;
  const synth = createToneSynth(record.sampleRate, setup.charMs);
  const chars: string[] = [];
  let synthesised = 0;
  let chunksDelivered = 0;
  let firstAudioAtMs: number | undefined;
  let lastChunkAtMs = -Infinity;
  let timer: unknown;
  let finished = false;

  const stop = (): void => {
    finished = true;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };
  // Until end(), only complete words are synthesised: up to and including the last whitespace.
  const readyEnd = (): number => {
    if (record.ended) return chars.length;
    for (let index = chars.length - 1; index >= synthesised; index--) if (/\s/.test(chars[index] as string)) return index + 1;
    return synthesised;
  };
  const hasWork = (): boolean => readyEnd() > synthesised || record.ended;
  const kick = (): void => {
    if (finished || timer !== undefined || !hasWork()) return;
    const dueAtMs = Math.max(firstAudioAtMs ?? clock.now(), lastChunkAtMs + setup.intervalMs);
    timer = clock.setTimeout(pump, Math.max(0, dueAtMs - clock.now()));
  };
  const fail = (message: string): void => {
    stop();
    const error = new ProviderError({ provider: setup.id, kind: 'server', message, retryable: setup.failure?.retryable ?? true });
    record.error = error;
    setup.hooks.onError(error);
  };
  function pump(): void {
    timer = undefined;
    if (finished) return;
    const { failure } = setup;
    if (failure?.kind === 'error-before-audio') return fail('injected failure before the first audio');
    if (failure?.kind === 'error-mid-stream' && chunksDelivered >= 1) return fail(`injected failure mid-stream after ${chunksDelivered} chunk(s)`);
    // A voice that says it is done without having voiced everything: the done comes once the text has ended.
    if ((failure?.kind === 'silent' || (failure?.kind === 'ends-early' && chunksDelivered >= 1)) && record.ended) {
      stop();
      record.done = true;
      setup.hooks.onDone();
      return;
    }
    if (failure?.kind === 'silent' || (failure?.kind === 'ends-early' && chunksDelivered >= 1)) return; // nothing more until end()
    const end = Math.min(readyEnd(), synthesised + setup.charsPerChunk);
    if (end > synthesised) {
      const chunkChars = chars.slice(synthesised, end);
      const pcm = synth.render(chunkChars, synthesised);
      synthesised = end;
      chunksDelivered++;
      lastChunkAtMs = clock.now();
      record.audioMs += (pcm.length * 1000) / record.sampleRate;
      setup.hooks.onAudio({ pcm, alignment: alignmentOf(chunkChars, setup.charMs) });
      if (finished) return; // the hook cancelled the context
    }
    // An injected mid-stream failure comes in the pump after the first chunk, instead of onDone.
    const midStreamFailurePending = failure?.kind === 'error-mid-stream' && chunksDelivered >= 1;
    if (record.ended && synthesised === chars.length && !midStreamFailurePending) {
      stop();
      record.done = true;
      setup.hooks.onDone();
      return;
    }
    kick();
  }

  return {
    pushText(text) {
      if (finished || record.ended || text.length === 0) return;
      record.text += text;
      chars.push(...Array.from(text));
      firstAudioAtMs ??= clock.now() + setup.firstAudioMs;
      kick();
    },
    end() {
      if (finished || record.ended) return;
      record.ended = true;
      kick();
    },
    cancel() {
      record.cancelled = true;
      stop();
    },
  };
}

function alignmentOf(chars: readonly string[], charMs: number): CharAlignment {
  return {
    chars: [...chars],
    startMs: chars.map((_, index) => index * charMs),
    durationMs: chars.map(() => charMs),
  };
}

/**
 * Renders characters as a voiced tone: pitch 110-420 Hz chosen by the character, a second harmonic, a short
 * fade at each character edge, and near silence on whitespace. Phase runs on across characters and chunks.
 * Character boundaries are placed on a global sample grid (round(i x charMs)), so per-chunk rounding never
 * accumulates: the audio for chars [a, b) is exactly grid(b) - grid(a) samples.
 */
function createToneSynth(sampleRate: number, charMs: number): { render(chars: readonly string[], firstIndex: number): Int16Array } {
  let phase = 0;
  const boundary = (index: number): number => Math.round((index * charMs * sampleRate) / 1000);
  return {
    render(chars, firstIndex) {
      const offset = boundary(firstIndex);
      const pcm = new Int16Array(boundary(firstIndex + chars.length) - offset);
      chars.forEach((char, index) => {
        const from = boundary(firstIndex + index) - offset;
        const to = boundary(firstIndex + index + 1) - offset;
        const quiet = /\s/.test(char);
        const amplitude = quiet ? 150 : 9000;
        const frequencyHz = quiet ? 90 : 110 + ((char.codePointAt(0) ?? 0) % 32) * 10;
        const fadeSamples = Math.max(1, Math.min(Math.floor((to - from) / 4), Math.round(sampleRate / 500)));
        for (let sample = from; sample < to; sample++) {
          const edge = Math.min(sample - from + 1, to - sample, fadeSamples) / fadeSamples;
          phase += (2 * Math.PI * frequencyHz) / sampleRate;
          const value = amplitude * edge * (0.75 * Math.sin(phase) + 0.25 * Math.sin(2 * phase));
          pcm[sample] = Math.round(value);
        }
        phase %= 2 * Math.PI;
      });
      return pcm;
    },
  };
}
