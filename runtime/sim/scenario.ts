import { dirname, resolve } from 'node:path';
import { recordingProblem } from '../audio/recordings.js';
import type { Diagnostic } from '../dsl/diagnostics.js';
import { checkScenarioFile } from '../dsl/scenario-file.js';
import type { NoiseType } from './noise.js';

/** When a script step starts (see `schemas/scenario.schema.json`). */
export interface StepTiming {
  readonly agentSpeaking: boolean;
  readonly sentence: number;
  readonly afterMs: number;
  readonly gapMs: number;
  readonly afterPreviousMs?: number;
}

/** What one script step must cause, as the caller hears it (a step's `expect`; see `step-expectations.ts`). */
export interface StepExpectations {
  /** `true` / `{ withinMs }`: the step is confirmed as a barge-in (that fast, as heard); `false`: it never is. */
  readonly interrupts?: boolean | { readonly withinMs: number };
  /** The reply the step was spoken over is heard to its end (paused at most, never cut). */
  readonly resumes?: true;
  /** The caller's speech end -> the agent's answer at their ear, at most this many ms. */
  readonly answeredWithinMs?: number;
}

/** Background noise of the line, as a scenario states it: synthetic, a recording (absolute path) looped, or none. */
export type LineNoiseSpec =
  | { readonly type: NoiseType; readonly snrDb: number }
  | { readonly type: 'recording'; readonly file: string; readonly snrDb: number }
  | { readonly type: 'none' };

/** One caller action. */
export type ScenarioStep =
  | {
      readonly kind: 'say';
      readonly text: string;
      readonly language?: string;
      /** Absolute path of a recording played instead of synthesising `text` (its transcript). */
      readonly audio?: string;
      /** Speaking rate of the synthesised line, times `caller.rate`. Default: 1. */
      readonly rate?: number;
      /** Gain of this line, dB, added to `caller.levelDb`. Default: 0. */
      readonly levelDb?: number;
      readonly expect?: StepExpectations;
      readonly when: StepTiming;
    }
  | { readonly kind: 'noise'; readonly sound: 'cough' | 'door' | 'breath'; readonly durationMs?: number; readonly expect?: StepExpectations; readonly when: StepTiming }
  | { readonly kind: 'pause'; readonly ms: number; readonly when: StepTiming }
  /** The line's noise changes; for `durationMs` only (a burst), else for the rest of the call. */
  | { readonly kind: 'set-noise'; readonly noise: LineNoiseSpec; readonly durationMs?: number; readonly when: StepTiming }
  | { readonly kind: 'hangup'; readonly when: StepTiming };

/** Line conditions. */
export interface ChannelSpec {
  readonly codec: 'pcmu' | 'pcma' | 'pcm16';
  readonly noise?: LineNoiseSpec;
  readonly echo?: { readonly delayMs: number; readonly attenuationDb: number };
  readonly packetLossPct: number;
}

/** Checks on the finished call (see `schemas/scenario.schema.json` for each). */
export interface ScenarioExpectations {
  readonly bargeIns?: { readonly count?: number; readonly maxReactionMs?: number };
  readonly falseBargeIns?: number;
  readonly transcriptContains?: readonly string[];
  readonly respondsIn?: string;
  readonly heardOnly?: boolean;
  readonly latencyP95Ms?: number;
  readonly turns?: number;
  /** Longest the caller may wait for an answer, as heard, ms; a line answered later or never fails the scenario. Default: 4000 (`DEFAULT_DEAD_AIR_MS`). */
  readonly deadAirMs?: number;
}

/** A validated scenario, defaults applied. */
export interface Scenario {
  readonly file: string;
  readonly name: string;
  readonly description?: string;
  /** Absolute path of the agent file. */
  readonly agentFile: string;
  /** Changes deep-merged over the agent file before it is loaded (`agentOverrides`). */
  readonly agentOverrides?: Readonly<Record<string, unknown>>;
  /** `rate`: speaking rate multiplier of synthesised lines (default 1); `levelDb`: the caller's level above nominal speech, dB (default 0). */
  readonly caller: { readonly language?: string; readonly voice?: string; readonly rate?: number; readonly levelDb?: number };
  readonly channel: ChannelSpec;
  readonly script: readonly ScenarioStep[];
  readonly expect: ScenarioExpectations;
}

/** Outcome of loading a scenario file. */
export type ScenarioLoadResult =
  | { readonly ok: true; readonly scenario: Scenario; readonly diagnostics: readonly Diagnostic[] }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

interface RawNoise {
  type: NoiseType | 'recording' | 'none';
  file?: string;
  snrDb: number;
}

interface RawStep {
  say?: string;
  language?: string;
  audio?: string;
  rate?: number;
  levelDb?: number;
  noise?: 'cough' | 'door' | 'breath';
  durationMs?: number;
  pauseMs?: number;
  setNoise?: RawNoise;
  hangup?: true;
  expect?: StepExpectations;
  when: StepTiming;
}

interface RawScenario {
  name: string;
  description?: string;
  agent: string;
  agentOverrides?: Record<string, unknown>;
  caller: Scenario['caller'];
  channel: Omit<ChannelSpec, 'noise'> & { noise?: RawNoise };
  script: RawStep[];
  expect: ScenarioExpectations;
}

/**
 * Loads a scenario file: YAML with positions, `schemas/scenario.schema.json`, then the agent reference
 * (relative to the scenario file, or `agentOverride`) must exist, every recording must be a WAV the runner can
 * play, and `agentOverrides` must leave a valid agent (see `checkScenarioFile`, which `voiceagent validate`
 * shares). Paths of recordings come back absolute. Never throws for bad input.
 */
export function loadScenario(input: { readonly file: string; readonly text?: string; readonly agentOverride?: string }): ScenarioLoadResult {
  const checked = checkScenarioFile({ ...input, checkAudioFile: recordingProblem });
  if (!checked.ok) return checked;
  const raw = checked.data as unknown as RawScenario;
  const here = dirname(input.file);
  return {
    ok: true,
    diagnostics: checked.diagnostics,
    scenario: {
      file: input.file,
      name: raw.name,
      ...(raw.description ? { description: raw.description } : {}),
      agentFile: checked.agentFile,
      ...(raw.agentOverrides ? { agentOverrides: raw.agentOverrides } : {}),
      caller: raw.caller,
      channel: channelOf(raw.channel, here),
      script: raw.script.map((step) => toStep(step, here)),
      expect: raw.expect,
    },
  };
}

function toStep(raw: RawStep, here: string): ScenarioStep {
  const when = raw.when;
  const expect = raw.expect ? { expect: raw.expect } : {};
  if (raw.say !== undefined) {
    return {
      kind: 'say',
      text: raw.say,
      ...(raw.language ? { language: raw.language } : {}),
      ...(raw.audio !== undefined ? { audio: resolve(here, raw.audio) } : {}),
      ...(raw.rate !== undefined ? { rate: raw.rate } : {}),
      ...(raw.levelDb !== undefined ? { levelDb: raw.levelDb } : {}),
      ...expect,
      when,
    };
  }
  if (raw.noise !== undefined) return { kind: 'noise', sound: raw.noise, ...(raw.durationMs ? { durationMs: raw.durationMs } : {}), ...expect, when };
  if (raw.pauseMs !== undefined) return { kind: 'pause', ms: raw.pauseMs, when };
  if (raw.setNoise !== undefined) return { kind: 'set-noise', noise: toNoise(raw.setNoise, here), ...(raw.durationMs ? { durationMs: raw.durationMs } : {}), when };
  return { kind: 'hangup', when };
}

function channelOf(raw: RawScenario['channel'], here: string): ChannelSpec {
  const { noise, ...rest } = raw;
  return noise ? { ...rest, noise: toNoise(noise, here) } : rest;
}

function toNoise(raw: RawNoise, here: string): LineNoiseSpec {
  if (raw.type === 'none') return { type: 'none' };
  if (raw.type === 'recording') return { type: 'recording', file: resolve(here, raw.file!), snrDb: raw.snrDb };
  return { type: raw.type, snrDb: raw.snrDb };
}
