/**
 * One `bench:quality` call: the caller asks a question, the agent reads out a long answer (~9 s), and during
 * it the caller does ONE thing at a seeded moment: a real interruption, a backchannel or a noise burst (cough,
 * door, breath). The call is scored by `runtime/sim/measure.ts` from what the caller did and heard; this
 * module keeps what the tables need, and why each bad outcome happened (for `--details`).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readRecording } from '../../runtime/audio/recordings.js';
import { writeWavFile } from '../../runtime/audio/wav.js';
import type { CallEvent } from '../../runtime/call/events.js';
import { runScenario, type Scenario, type ScenarioStep } from '../../runtime/sim/index.js';
import { JFK_CUTS, LANGUAGES, type QualityCondition } from './conditions.js';

/** What the caller does over the agent's answer. */
export type EventType = 'interrupt' | 'backchannel' | 'noise';
export const EVENT_TYPES: readonly EventType[] = ['interrupt', 'backchannel', 'noise'];

/** `bargeIn.onSpeechStart` modes the benchmark compares. */
export const ALL_MODES = ['pause', 'duck', 'continue'] as const;
export type Mode = (typeof ALL_MODES)[number];

const NOISES = ['cough', 'door', 'breath'] as const;
/** A reaction slower than the issue's p95 target is listed among a call's problems (`--details`). */
const SLOW_REACTION_MS = 200;
/**
 * Longest call before the run counts as failed. The script takes ~25 s; a line that pauses the agent every
 * second or two (1.2 s per pause) can stretch its second reply well past that without anything failing.
 */
const MAX_CALL_MS = 90_000;
const ROOT = join(import.meta.dirname, '../..');
const RECORDINGS = join(ROOT, 'scenarios/recordings');

/** What became of one event call. */
export interface Outcome {
  readonly condition: string;
  readonly mode: Mode;
  readonly type: EventType;
  readonly seed: number;
  /** The event's script step started (it may not: the reply can end before `afterMs`). */
  readonly fired: boolean;
  /** The run itself failed (crash, or the call did not end in time), with why. */
  readonly error?: string;
  /** The event was confirmed as an interruption (the agent stopped for it). */
  readonly confirmed: boolean;
  /** The event paused (or ducked) playout at all. */
  readonly paused: boolean;
  /** Confirmed interruptions while the caller was silent: the agent's echo or the line's noise. */
  readonly lineFalse: number;
  /** Attempts while the caller was silent that paused playout (echo or line noise). */
  readonly linePauses: number;
  /** Durations of pauses that ended in a resume (nothing confirmed), paused -> resumed, ms. */
  readonly pausesMs: readonly number[];
  /** Caller onset -> agent audio stopped at their ear, for a confirmed interruption with audio playing. */
  readonly reactionMs?: number;
  /** Response latency as heard of every line that waited for an answer; `Infinity` for one never answered. */
  readonly waitedMs: readonly number[];
  /** Lines answered late or never. */
  readonly deadAir: number;
  /** Why the outcome is bad, one phrase per problem (a missed or false barge-in, dead air, a line pause). */
  readonly problems: readonly string[];
}

/** Options of one benchmark run, shared by its calls. */
export interface BenchSetup {
  /** Directory for the JFK cuts. */
  readonly dir: string;
  /** Deep-merged over every benchmark agent (`--override`), after the benchmark's own changes. */
  readonly override?: Readonly<Record<string, unknown>>;
}

/** Writes the JFK cuts (16 kHz WAVs) into `dir`; returns their paths, in {@link JFK_CUTS} order. */
export async function writeJfkCuts(dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const rate = 16_000;
  const pcm = await readRecording(join(RECORDINGS, 'jfk.wav'), rate);
  const files: string[] = [];
  for (const [i, cut] of JFK_CUTS.entries()) {
    const file = join(dir, `jfk-${i}.wav`);
    await writeWavFile(file, { sampleRate: rate, channels: [pcm.slice(Math.round((cut.fromMs * rate) / 1000), Math.min(pcm.length, Math.round((cut.toMs * rate) / 1000)))] });
    files.push(file);
  }
  return files;
}

/** The benchmark's changes to the condition's agent: the mode, the call's language, and one long answer to everything. */
function overridesFor(condition: QualityCondition, mode: Mode, setup: BenchSetup): Record<string, unknown> {
  const own: Record<string, unknown> =
    condition.agent === 'receptionist'
      ? { bargeIn: { onSpeechStart: mode }, offline: { replies: [{ when: { intent: ['prices'] }, say: 'A check-up is ninety-five dollars.' }], default: LANGUAGES.en.longAnswer } }
      : {
          languages: { default: condition.language },
          bargeIn: { onSpeechStart: mode },
          offline: { replies: [{ when: { intent: ['goodbye'] }, say: { en: 'Goodbye!', fr: 'Au revoir !', zh: '再见！' } }], default: { en: LANGUAGES.en.longAnswer, fr: LANGUAGES.fr.longAnswer, zh: LANGUAGES.zh.longAnswer } },
        };
  return setup.override ? deepMerge(own, setup.override) : own;
}

function deepMerge(base: Record<string, unknown>, change: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(change)) {
    const before = out[key];
    const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
    out[key] = isMap(before) && isMap(value) ? deepMerge(before, value) : value;
  }
  return out;
}

/** The seed of event `i` of `type` on the condition at `conditionIndex` in `CONDITIONS`: stable whatever `--conditions` picks. */
export const seedOf = (conditionIndex: number, type: EventType, i: number) => 1 + conditionIndex * 10_007 + EVENT_TYPES.indexOf(type) * 1009 + i;

/** The scenario of one event call. */
export function eventScenario(condition: QualityCondition, mode: Mode, type: EventType, seed: number, setup: BenchSetup & { readonly jfk: readonly string[] }): Scenario {
  const words = LANGUAGES[condition.language];
  const at = 600 + ((seed * 7919) % 4000);
  const when = { agentSpeaking: true, sentence: 1, afterMs: at, gapMs: 300 };
  const backchannels = condition.backchannels ?? words.backchannels;
  let event: ScenarioStep;
  if (type === 'interrupt' && condition.recordedSpeech) {
    const cut = seed % JFK_CUTS.length;
    event = { kind: 'say', text: JFK_CUTS[cut]!.text, audio: setup.jfk[cut]!, when };
  } else if (type === 'interrupt') event = { kind: 'say', text: words.interruptions[seed % words.interruptions.length]!, when };
  else if (type === 'backchannel') event = { kind: 'say', text: backchannels[seed % backchannels.length]!, when };
  else event = { kind: 'noise', sound: NOISES[seed % NOISES.length]!, when };
  const noise = condition.channel.noise;
  return {
    file: `bench/${condition.name}/${mode}/${type}/${seed}`,
    name: `${condition.name}-${mode}-${type}-${seed}`,
    agentFile: join(ROOT, 'agents', `${condition.agent}.yaml`),
    agentOverrides: overridesFor(condition, mode, setup),
    caller: { language: condition.language },
    channel: { ...condition.channel, ...(noise?.type === 'recording' ? { noise: { ...noise, file: join(RECORDINGS, noise.file) } } : {}) },
    script: [{ kind: 'say', text: words.question, when: { agentSpeaking: false, sentence: 1, afterMs: 0, gapMs: 300 } }, event],
    expect: {},
  };
}

/** Pause intervals of a call from its barge-in events: each pause that ended in a resume, paused -> resumed, ms. */
function createPauseWatch(): { onEvent(e: CallEvent): void; resumedPausesMs: number[] } {
  const resumedPausesMs: number[] = [];
  let pausedAt: number | undefined;
  return {
    resumedPausesMs,
    onEvent(e) {
      if (e.type !== 'barge-in') return;
      // A newer onset closes the pending attempt ('dismissed') and carries the pause over ('paused' again):
      // one pause. A pause ends when playout resumes (false) or the reply is cut (a real interruption).
      if ((e.decision === 'paused' || e.decision === 'ducked') && pausedAt === undefined) pausedAt = e.atMs;
      else if (e.decision === 'resumed' && pausedAt !== undefined) {
        resumedPausesMs.push(e.atMs - pausedAt);
        pausedAt = undefined;
      } else if (e.decision === 'interrupted') pausedAt = undefined;
    },
  };
}

/** Runs one event call and scores it. */
export async function runEvent(condition: QualityCondition, mode: Mode, type: EventType, seed: number, setup: BenchSetup & { readonly jfk: readonly string[] }): Promise<Outcome> {
  const watch = createPauseWatch();
  const result = await runScenario(eventScenario(condition, mode, type, seed, setup), { seed, maxCallMs: MAX_CALL_MS, onEvent: (e) => watch.onEvent(e) });
  const m = result.measurements;
  // The event is script step 1: only attempts it caused are its outcome.
  const attempts = m.bargeIns.map((b, i) => ({ ...b, reacted: result.record.bargeIns[i]?.reactedAtMs !== undefined, reason: result.record.bargeIns[i]?.reason }));
  const own = attempts.filter((b) => b.step === 1);
  const confirmed = own.find((b) => b.kind === 'interrupt');
  const line = attempts.filter((b) => b.cause === 'silence');
  const fired = result.activities.some((a) => a.step === 1);
  const problems: string[] = [];
  if (result.error) problems.push(`run failed: ${result.error.split('\n')[0]}`);
  if (type === 'interrupt' && fired && !confirmed) problems.push(`missed: ${own.length ? own.map((b) => `${b.kind}${b.reason ? ` (${b.reason})` : ''}`).join('; ') : 'no attempt (the agent never reacted)'}`);
  if (confirmed?.reactionHeardMs !== undefined && confirmed.reactionHeardMs > SLOW_REACTION_MS) problems.push(`slow reaction: ${confirmed.reactionHeardMs} ms as heard (${own.map((b) => `${b.kind}${b.reason ? ` (${b.reason})` : ''}`).join('; ')})`);
  if (type !== 'interrupt' && confirmed) problems.push(`false barge-in on ${confirmed.causeText ?? type}: ${confirmed.reason ?? ''}`);
  for (const b of line.filter((b) => b.kind === 'interrupt')) problems.push(`false barge-in on echo/line at ${Math.round(b.onsetMs)} ms: ${b.reason ?? ''}`);
  const linePauses = line.filter((b) => b.kind !== 'interrupt' && b.reacted);
  if (linePauses.length) problems.push(`${linePauses.length} pause(s) with the caller silent, at ${linePauses.slice(0, 4).map((b) => `${Math.round(b.onsetMs)}`).join(', ')}${linePauses.length > 4 ? ', ...' : ''} ms`);
  for (const l of m.deadAirLines) problems.push(`dead air: "${l.text}" (step ${l.step + 1}, ended ${Math.round(l.speechEndMs)} ms) ${l.outcome}${l.responseHeardMs !== undefined ? ` ${l.responseHeardMs} ms` : ''}`);
  return {
    condition: condition.name,
    mode,
    type,
    seed,
    fired,
    ...(result.error ? { error: result.error } : {}),
    confirmed: confirmed !== undefined,
    paused: own.some((b) => b.reacted),
    lineFalse: line.filter((b) => b.kind === 'interrupt').length,
    linePauses: line.filter((b) => b.reacted).length,
    pausesMs: watch.resumedPausesMs,
    ...(confirmed?.reactionHeardMs !== undefined ? { reactionMs: confirmed.reactionHeardMs } : {}),
    waitedMs: m.lines.flatMap((l) => (l.responseHeardMs !== undefined ? [l.responseHeardMs] : l.outcome === 'unanswered' ? [Infinity] : [])),
    deadAir: m.deadAirLines.length,
    problems,
  };
}
