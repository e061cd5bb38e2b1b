/** A caller line ready to be spoken into a call (what a {@link SayHandler} returns). */
export interface SpokenLine {
  /** The line's audio, PCM16 mono at the call's sample rate, any length. */
  readonly pcm: Int16Array;
  /**
   * Called just before the line's first frame reaches the call, on the frame path: tell an offline recogniser
   * what the caller says from this frame on (`SimulatedStt.expect`). A throw is reported; the audio still plays.
   */
  readonly onStart?: () => void;
}

/**
 * Turns a client's `say` text into a {@link SpokenLine}: the server decides the voice and what the recogniser
 * is told (`createOfflineSayer` for offline agents). A rejection is reported to the client; the call goes on.
 */
export type SayHandler = (text: string) => SpokenLine | Promise<SpokenLine>;

/** Options of {@link createSayLines}. */
export interface SayLinesOptions {
  readonly handler: SayHandler;
  /** Lines waiting (being synthesised, queued or playing); more are refused. */
  readonly maxQueued: number;
  /** A line failed to synthesise, or its `onStart` threw. */
  readonly onError: (message: string) => void;
}

/**
 * The `say` lines of one call, spoken in the order asked for. A line is mixed into the caller audio the
 * client sends, one frame per frame it sends: the client's binary frames stay the call's audio clock, so a
 * line takes exactly as long in the call as it lasts, and the caller's own microphone is heard under it.
 */
export interface SayLines {
  /** Starts synthesising `text`; returns why it was refused, or undefined. */
  say(text: string): string | undefined;
  /** Adds the current line's next 20 ms into `frame` (in place, saturating). A no-op when no line is due. */
  mixInto(frame: Int16Array): void;
  /** Drops every line; later syntheses are discarded. */
  close(): void;
}

/** Creates the {@link SayLines} of one call. */
export function createSayLines(options: SayLinesOptions): SayLines {
  const ready: SpokenLine[] = [];
  let synthesising = 0;
  let current: SpokenLine | undefined;
  let offset = 0;
  let closed = false;
  // Synthesis results are queued in request order even when a later line is quicker to make.
  let tail: Promise<void> = Promise.resolve();

  const start = (line: SpokenLine): void => {
    current = line;
    offset = 0;
    try {
      line.onStart?.();
    } catch (error) {
      options.onError(`say: the line plays, but its words could not be announced: ${messageOf(error)}`);
    }
  };

  return {
    say(text) {
      if (closed) return 'say: the call is over';
      const queued = synthesising + ready.length + (current ? 1 : 0);
      if (queued >= options.maxQueued) return `say: ${queued} lines are already waiting; send the next one when the caller has spoken`;
      synthesising++;
      const made = Promise.resolve().then(() => options.handler(text));
      tail = tail.then(() =>
        made.then(
          (line) => {
            synthesising--;
            if (!closed) ready.push(line);
          },
          (error: unknown) => {
            synthesising--;
            if (!closed) options.onError(`say: could not speak ${JSON.stringify(text.slice(0, 40))}: ${messageOf(error)}`);
          },
        ),
      );
      return undefined;
    },
    mixInto(frame) {
      if (!current) {
        const next = ready.shift();
        if (!next) return;
        start(next);
      }
      const pcm = current!.pcm;
      const end = Math.min(pcm.length, offset + frame.length);
      for (let i = 0, j = offset; j < end; i++, j++) {
        const sum = frame[i]! + pcm[j]!;
        frame[i] = sum > 32767 ? 32767 : sum < -32768 ? -32768 : sum;
      }
      offset = end;
      if (offset >= pcm.length) current = undefined;
    },
    close() {
      closed = true;
      ready.length = 0;
      current = undefined;
    },
  };
}

function messageOf(error: unknown): string {
  return (error as Error)?.message ?? String(error);
}
