import type { Diagnostic } from '../dsl/diagnostics.js';
import { checkScenarioFile } from '../dsl/scenario-file.js';

/** When a script step starts (see `schemas/scenario.schema.json`). */
export interface StepTiming {
  readonly agentSpeaking: boolean;
  readonly sentence: number;
  readonly afterMs: number;
  readonly gapMs: number;
  readonly afterPreviousMs?: number;
}

/** One caller action. */
export type ScenarioStep =
  | { readonly kind: 'say'; readonly text: string; readonly language?: string; readonly when: StepTiming }
  | { readonly kind: 'noise'; readonly sound: 'cough' | 'door' | 'breath'; readonly durationMs?: number; readonly when: StepTiming }
  | { readonly kind: 'pause'; readonly ms: number; readonly when: StepTiming }
  | { readonly kind: 'hangup'; readonly when: StepTiming };

/** Line conditions. */
export interface ChannelSpec {
  readonly codec: 'pcmu' | 'pcma' | 'pcm16';
  readonly noise?: { readonly type: 'white' | 'pink' | 'babble'; readonly snrDb: number };
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
  readonly caller: { readonly language?: string; readonly voice?: string };
  readonly channel: ChannelSpec;
  readonly script: readonly ScenarioStep[];
  readonly expect: ScenarioExpectations;
}

/** Outcome of loading a scenario file. */
export type ScenarioLoadResult =
  | { readonly ok: true; readonly scenario: Scenario; readonly diagnostics: readonly Diagnostic[] }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

interface RawStep {
  say?: string;
  language?: string;
  noise?: 'cough' | 'door' | 'breath';
  durationMs?: number;
  pauseMs?: number;
  hangup?: true;
  when: StepTiming;
}

interface RawScenario {
  name: string;
  description?: string;
  agent: string;
  caller: { language?: string; voice?: string };
  channel: ChannelSpec;
  script: RawStep[];
  expect: ScenarioExpectations;
}

/**
 * Loads a scenario file: YAML with positions, `schemas/scenario.schema.json`, then the agent reference
 * (relative to the scenario file, or `agentOverride`) must exist (see `checkScenarioFile`, which `voiceagent
 * validate` shares). Never throws for bad input.
 */
export function loadScenario(input: { readonly file: string; readonly text?: string; readonly agentOverride?: string }): ScenarioLoadResult {
  const checked = checkScenarioFile(input);
  if (!checked.ok) return checked;
  const raw = checked.data as unknown as RawScenario;
  return {
    ok: true,
    diagnostics: checked.diagnostics,
    scenario: {
      file: input.file,
      name: raw.name,
      ...(raw.description ? { description: raw.description } : {}),
      agentFile: checked.agentFile,
      caller: raw.caller,
      channel: raw.channel,
      script: raw.script.map(toStep),
      expect: raw.expect,
    },
  };
}

function toStep(raw: RawStep): ScenarioStep {
  const when = raw.when;
  if (raw.say !== undefined) return { kind: 'say', text: raw.say, ...(raw.language ? { language: raw.language } : {}), when };
  if (raw.noise !== undefined) return { kind: 'noise', sound: raw.noise, ...(raw.durationMs ? { durationMs: raw.durationMs } : {}), when };
  if (raw.pauseMs !== undefined) return { kind: 'pause', ms: raw.pauseMs, when };
  return { kind: 'hangup', when };
}
