import type { SentFrame } from '../transports/in-process.js';

/**
 * The agent's voice as the simulated caller hears it: from the frames the transport sent and when each starts
 * playing at the caller's phone (the far end's playout delay included), never from the runtime's own estimate.
 * Script steps timed into the agent's speech (`when.agentSpeaking`) and the gap after a reply count on it.
 */
export class AgentAtEar {
  /** Index in `sent` of the first frame of the utterance being played. */
  private utteranceStart: number | undefined;

  constructor(
    private readonly sent: readonly SentFrame[],
    /** Clock time the call started: frames carry clock times, the caller counts in call time. */
    private readonly t0: number,
  ) {}

  /** The agent's first frame of a new utterance has just been sent (the `agent.audio` event with `started`). */
  utteranceStarted(): void {
    this.utteranceStart = this.sent.length - 1;
  }

  /**
   * How much of the current utterance the caller has heard by `nowMs` (call time), ms, counting the frame
   * playing now up to now; undefined until its first frame reaches their ear.
   */
  heardMs(nowMs: number): number | undefined {
    if (this.utteranceStart === undefined) return undefined;
    const at = nowMs + this.t0;
    let heardMs = 0;
    let reached = false;
    for (let i = Math.max(0, this.utteranceStart); i < this.sent.length; i++) {
      const frame = this.sent[i]!;
      if (frame.dropped || frame.playAtMs > at) continue;
      reached = true;
      heardMs += Math.min(frame.durationMs, at - frame.playAtMs);
    }
    return reached ? heardMs : undefined;
  }

  /** Agent audio is playing at the caller's ear at `nowMs` (call time). */
  audible(nowMs: number): boolean {
    const at = nowMs + this.t0;
    for (let i = this.sent.length - 1; i >= 0; i--) {
      const frame = this.sent[i]!;
      if (frame.dropped) continue;
      if (frame.playAtMs <= at) return at < frame.playAtMs + frame.durationMs;
    }
    return false;
  }
}

/**
 * The agent's audio as the caller heard it, on the call's time line: each frame not dropped, and started by
 * `untilMs` (call time), at the moment it started playing at their ear, silence between. Sample `i` is call time
 * `i / sampleRate` s, as in the caller's channel of a `--record` WAV, so a barge-in is heard where it happened.
 */
export function heardOnTimeline(sent: readonly SentFrame[], t0: number, sampleRate: number, untilMs: number): Int16Array {
  const out = new Int16Array(Math.max(0, Math.round((untilMs * sampleRate) / 1000)));
  for (const frame of sent) {
    const startMs = frame.playAtMs - t0;
    if (frame.dropped || startMs < 0 || startMs > untilMs) continue;
    const offset = Math.round((startMs * sampleRate) / 1000);
    out.set(frame.samples.subarray(0, Math.max(0, out.length - offset)), offset);
  }
  return out;
}
