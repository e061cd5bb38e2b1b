import { applyGain } from '../audio/recordings.js';
import type { CallSession } from '../call/call-session.js';
import type { CallerLine, CallerVoice } from './caller-voice.js';
import { NOMINAL_SPEECH_DBFS } from './channel.js';
import { recordedLine } from './recorded-audio.js';
import type { LineNoiseSpec, ScenarioStep } from './scenario.js';

/**
 * What the caller did when, in call time (ms), for the report and for classifying barge-ins. Times are when
 * the caller spoke: a frame spoken over [t, t + 20) reaches the agent at t + 20, as on a real line.
 */
export interface CallerActivity {
  /** Script step (0-based). */
  readonly step: number;
  readonly kind: 'say' | 'backchannel' | 'noise' | 'pause' | 'set-noise' | 'hangup';
  readonly text?: string;
  /** Call time of the step's first sample. */
  readonly startMs: number;
  /** Call time of the first word (say) or first sample (noise). */
  readonly onsetMs: number;
  /** Call time the step's audio (or pause) ends. */
  endMs: number;
  /** Call time the last word ends (say), or the sound ends (noise). */
  readonly speechEndMs: number;
  /** The step was timed to start while the agent was speaking. */
  readonly duringAgentSpeech: boolean;
  /**
   * The sentence (0-based, see {@link sentenceStarts}) of the agent's utterance the caller was hearing when the
   * step began; absent when no agent audio was playing at their ear. A step's `expect.resumes` checks that
   * this sentence was heard to its end.
   */
  readonly agentSentence?: number;
}

/**
 * Offsets where the sentences of `text` start: a sentence ends at `.`, `!` or `?` followed by a space, or at
 * `。`, `！`, `？` (CJK writing puts no space after them). A sentence not written yet has no start.
 */
export function sentenceStarts(text: string): number[] {
  const starts = [0];
  const re = /[.!?]+\s+|[。！？]+\s*(?=\S)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) starts.push(m.index + m[0].length);
  return starts;
}

/** What the simulated caller reads of the call: the chart's tags and the agent's current utterance. */
export type CallerView = Pick<CallSession, 'hasTag' | 'agentSpeech'>;

/** The callbacks the simulated caller needs from the run loop. */
export interface CallerHooks {
  /** Tells the simulated recogniser what the caller is about to say (word times from the next frame on). */
  expectWords(line: CallerLine, language: string): void;
  /** A non-speech sound of `durationMs` (PCM returned for the channel). */
  sound(kind: 'cough' | 'door' | 'breath', durationMs: number | undefined): Int16Array;
  /** Is this text a backchannel for the agent under test? */
  isBackchannel(text: string): boolean;
  hangup(): void;
  /** How much of the agent's current utterance the caller has heard by `nowMs`, ms; undefined before any of it reached their ear (see `AgentAtEar`). */
  agentHeardMs(nowMs: number): number | undefined;
  /** Agent audio is playing at the caller's ear at `nowMs`. */
  agentAudible(nowMs: number): boolean;
  /** Changes the line's background noise (a `setNoise` step; undefined: none) and returns the noise it replaces. */
  setNoise?(noise: LineNoiseSpec | undefined): LineNoiseSpec | undefined;
}

/** How the caller's lines are made, beyond the voice (see {@link SimulatedCaller.prepare}). */
export interface CallerLineOptions {
  /** The caller's speaking rate, multiplying each step's own `rate`. Default: 1. */
  readonly rate?: number;
  /** The caller's level above telephony's nominal speech level, dB; each step's `levelDb` adds to it. Default: 0. */
  readonly levelDb?: number;
  /** The samples of a recording (a `say` step's `audio`, absolute path) at the line's rate, loaded beforehand. */
  readonly recording?: (file: string) => Int16Array;
}

/**
 * Executes a scenario script against a call, one 20 ms frame at a time: decides when each step starts
 * (after the agent's reply, or a set time into one of its sentences, both as the caller hears the agent), and
 * produces the caller's audio.
 */
export class SimulatedCaller {
  readonly activities: CallerActivity[] = [];
  private index = 0;
  private audio: Int16Array | undefined;
  private audioPos = 0;
  private pauseUntil = 0;
  private agentWasSpeaking = false;
  /** Call time the agent last stopped speaking (or the call started). */
  private agentIdleSince = 0;
  /** A `say` is waiting for the agent's reply: the next default step waits for it to start and end. */
  private awaitingReply = false;
  private awaitingSince = 0;
  /** A noise burst (`setNoise` with `durationMs`) ends at `atMs`, giving the line back its noise from before. */
  private burst: { readonly atMs: number; readonly restore: LineNoiseSpec | undefined } | undefined;
  private readonly lines = new Map<number, CallerLine>();

  constructor(
    private readonly script: readonly ScenarioStep[],
    private readonly session: CallerView,
    private readonly frameSamples: number,
    private readonly hooks: CallerHooks,
    private readonly languageOf: (step: ScenarioStep) => string,
  ) {}

  /**
   * Makes every `say` line up front (offline, instant): synthesised at the caller's and the step's rate, or
   * from its recording, which is scaled to the caller's level (nominal speech, -26 dBFS, plus `levelDb`s) with
   * its transcript timed over its voiced runs. A synthesised line keeps the synthesiser's level (about
   * -20 dBFS active), moved by the `levelDb`s.
   */
  async prepare(voice: CallerVoice, voiceFor: (language: string) => string, sampleRate: number, options: CallerLineOptions = {}): Promise<void> {
    for (const [i, step] of this.script.entries()) {
      if (step.kind !== 'say') continue;
      const levelDb = (options.levelDb ?? 0) + (step.levelDb ?? 0);
      if (step.audio !== undefined) {
        if (!options.recording) throw new Error(`script step ${i + 1} plays ${step.audio}, but no recordings were loaded; pass \`recording\` to prepare()`);
        this.lines.set(i, recordedLine(options.recording(step.audio), sampleRate, step.text, NOMINAL_SPEECH_DBFS + levelDb));
        continue;
      }
      const language = this.languageOf(step);
      const speed = (options.rate ?? 1) * (step.rate ?? 1);
      const line = await voice.synthesize(step.text, { voice: voiceFor(language), language, sampleRate, ...(speed !== 1 ? { speed } : {}) });
      this.lines.set(i, levelDb === 0 ? line : { ...line, pcm: applyGain(line.pcm, levelDb) });
    }
  }

  /** True when every step has run and the caller is quiet. */
  get finished(): boolean {
    return this.index >= this.script.length && this.audio === undefined;
  }

  /** Time (call ms) the last step ended, or undefined while steps remain. */
  get lastActivityEndMs(): number | undefined {
    return this.finished ? (this.activities[this.activities.length - 1]?.endMs ?? 0) : undefined;
  }

  /**
   * Produces the caller's clean audio for the frame spoken over [`nowMs`, `nowMs` + 20) (undefined: silent);
   * the run loop delivers it to the agent at `nowMs` + 20.
   */
  nextFrame(nowMs: number): Int16Array | undefined {
    this.trackAgent(nowMs);
    if (this.burst && nowMs >= this.burst.atMs) {
      this.hooks.setNoise?.(this.burst.restore);
      this.burst = undefined;
    }
    if (this.audio === undefined && nowMs >= this.pauseUntil && this.index < this.script.length && this.due(this.script[this.index]!, nowMs)) {
      this.begin(this.index, nowMs);
      this.index++;
    }
    if (this.audio === undefined) return undefined;
    const frame = new Int16Array(this.frameSamples);
    frame.set(this.audio.subarray(this.audioPos, this.audioPos + this.frameSamples));
    this.audioPos += this.frameSamples;
    if (this.audioPos >= this.audio.length) {
      this.audio = undefined;
      const last = this.activities[this.activities.length - 1];
      if (last) last.endMs = nowMs + 20;
    }
    return frame;
  }

  private trackAgent(nowMs: number): void {
    // The agent is busy until the caller stops hearing it: the runtime's tags drop when the last frame is sent,
    // a playout delay before the caller hears it end.
    const speaking = this.session.hasTag('agent-speaking') || this.session.hasTag('agent-thinking') || this.hooks.agentAudible(nowMs);
    if (speaking && this.awaitingReply && nowMs > this.awaitingSince) this.awaitingReply = false;
    if (this.agentWasSpeaking && !speaking) this.agentIdleSince = nowMs;
    this.agentWasSpeaking = speaking;
  }

  private due(step: ScenarioStep, nowMs: number): boolean {
    const when = step.when;
    if (when.afterPreviousMs !== undefined) {
      const previous = this.activities[this.activities.length - 1];
      return nowMs >= (previous?.endMs ?? 0) + when.afterPreviousMs;
    }
    if (when.agentSpeaking) {
      const speech = this.session.agentSpeech();
      // Counted on what the caller has heard, not on what the runtime has sent: with `afterMs: 0` the step
      // starts as the sentence reaches their ear, not a playout delay before.
      const heardMs = this.hooks.agentHeardMs(nowMs);
      if (!speech || heardMs === undefined || !this.hooks.agentAudible(nowMs)) return false;
      const starts = sentenceStarts(speech.text);
      // Sentence `when.sentence` may not be written yet (the model is still streaming): wait for it rather
      // than count from an earlier one.
      if (starts.length < when.sentence) return false;
      const charStart = starts[when.sentence - 1]!;
      const word = speech.words.find((w) => w.charStart >= charStart);
      if (!word) return false;
      return heardMs >= word.startMs + when.afterMs;
    }
    if (this.agentWasSpeaking) return false;
    // After a `say`, wait for the agent's answer to start (and end), but not forever: a backchannel or a
    // statement may get no reply.
    if (this.awaitingReply && nowMs - this.awaitingSince < 4000) return false;
    const quietSince = Math.max(this.agentIdleSince, this.awaitingSince);
    return nowMs - quietSince >= when.gapMs;
  }

  /** The sentence of the agent's utterance at the caller's ear at `nowMs`: the one holding the last word begun. */
  private agentSentenceAt(nowMs: number): number | undefined {
    const speech = this.session.agentSpeech();
    const heardMs = this.hooks.agentHeardMs(nowMs);
    if (!speech || heardMs === undefined || !this.hooks.agentAudible(nowMs)) return undefined;
    const word = speech.words.findLast((w) => w.startMs <= heardMs) ?? speech.words[0];
    if (!word) return undefined;
    return sentenceStarts(speech.text).filter((start) => start <= word.charStart).length - 1;
  }

  private begin(i: number, nowMs: number): void {
    const step = this.script[i]!;
    const sentence = this.agentSentenceAt(nowMs);
    const base = { step: i, startMs: nowMs, duringAgentSpeech: step.when.agentSpeaking, ...(sentence !== undefined ? { agentSentence: sentence } : {}) };
    switch (step.kind) {
      case 'say': {
        const line = this.lines.get(i)!;
        this.audio = line.pcm;
        this.audioPos = 0;
        this.hooks.expectWords(line, this.languageOf(step));
        const kind = this.hooks.isBackchannel(step.text) ? 'backchannel' : 'say';
        const endMs = nowMs + (line.pcm.length / this.frameSamples) * 20;
        const speechEndMs = nowMs + (line.words[line.words.length - 1]?.endMs ?? 0);
        this.activities.push({ ...base, kind, text: step.text, onsetMs: nowMs + (line.words[0]?.startMs ?? 0), endMs, speechEndMs });
        this.awaitingReply = kind === 'say';
        this.awaitingSince = nowMs + (line.pcm.length / this.frameSamples) * 20;
        return;
      }
      case 'noise': {
        this.audio = this.hooks.sound(step.sound, step.durationMs);
        this.audioPos = 0;
        const endMs = nowMs + (this.audio.length / this.frameSamples) * 20;
        this.activities.push({ ...base, kind: 'noise', text: step.sound, onsetMs: nowMs, endMs, speechEndMs: endMs });
        return;
      }
      case 'set-noise': {
        const before = this.hooks.setNoise?.(step.noise);
        const endMs = nowMs + (step.durationMs ?? 0);
        // A burst holds the script like a pause does: the next step waits for the line to quieten.
        if (step.durationMs !== undefined) {
          this.pauseUntil = endMs;
          this.burst = { atMs: endMs, restore: before };
        }
        this.activities.push({ ...base, kind: 'set-noise', text: describeNoise(step.noise), onsetMs: nowMs, endMs, speechEndMs: nowMs });
        return;
      }
      case 'pause':
        this.pauseUntil = nowMs + step.ms;
        this.activities.push({ ...base, kind: 'pause', onsetMs: nowMs, endMs: nowMs + step.ms, speechEndMs: nowMs });
        return;
      case 'hangup':
        this.activities.push({ ...base, kind: 'hangup', onsetMs: nowMs, endMs: nowMs, speechEndMs: nowMs });
        this.hooks.hangup();
        return;
    }
  }
}

/** A line noise for reports: `babble at 5 dB SNR`, `office-ambience.wav at 10 dB SNR`, `no noise`. */
function describeNoise(noise: LineNoiseSpec): string {
  if (noise.type === 'none') return 'no noise';
  const what = noise.type === 'recording' ? (noise.file.split(/[\\/]/).pop() ?? noise.file) : noise.type;
  return `${what} at ${noise.snrDb} dB SNR`;
}
