import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { checkScenarioRules } from './scenario-checks.js';
import { checkAgainstSchema } from './schema-check.js';
import { readYamlMapping } from './yaml-file.js';

/** What to check: the scenario file's path, optionally its text, and an agent to use instead of the one it names. */
export interface ScenarioFileInput {
  /** Path used to read the file, to label diagnostics, and to resolve `agent:` against. */
  readonly file: string;
  /** The YAML text; read from `file` when omitted. */
  readonly text?: string;
  /** Agent file to use instead of the scenario's `agent:` (`voiceagent test --agent`); not checked against the file. */
  readonly agentOverride?: string;
  /**
   * What is wrong with a recording the scenario plays (absolute path), or undefined when it can be played;
   * `loadScenario` passes one that decodes the WAV. Default: a recording only has to exist.
   */
  readonly checkAudioFile?: (path: string) => string | undefined;
}

/**
 * The outcome of {@link checkScenarioFile}: with no errors, the data with the schema's defaults filled in
 * (its shape is `schemas/scenario.schema.json`) and the absolute path of the agent it calls.
 */
export type ScenarioFileCheck =
  | { readonly ok: true; readonly data: Record<string, unknown>; readonly agentFile: string; readonly diagnostics: readonly Diagnostic[] }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

const SCENARIO_FILE = { noun: 'scenario', example: '`apiVersion: voiceagent/v1`, `kind: Scenario`, `script: [...]`', hint: 'see docs/scenario-yaml.md or a file in scenarios/' };

/**
 * Checks a scenario file without running it: YAML with positions, `schemas/scenario.schema.json`, the agent
 * it names (relative to the scenario file) must exist, and the rules beyond the schema (`checkScenarioRules`:
 * recordings, per-step checks, `agentOverrides` that leave a valid agent). Shared by `voiceagent test` (which then runs it) and
 * `voiceagent validate` (which only reports). Never throws for bad input.
 */
export function checkScenarioFile(input: ScenarioFileInput): ScenarioFileCheck {
  const { file } = input;
  const read = readYamlMapping(input, SCENARIO_FILE);
  if (!read.ok) return { ok: false, diagnostics: read.diagnostics };
  const { source, data, diagnostics } = read;
  const schemaDiagnostics = checkAgainstSchema('scenario', data, source);
  diagnostics.push(...schemaDiagnostics);
  const agentFile = input.agentOverride ? resolve(input.agentOverride) : typeof data.agent === 'string' ? resolve(dirname(file), data.agent) : undefined;
  if (agentFile && !existsSync(agentFile)) {
    diagnostics.push({
      file,
      ...source.valueAt(['agent']),
      severity: 'error',
      code: 'reference',
      path: 'agent',
      message: `agent file not found: ${agentFile}`,
      hint: 'the path is relative to the scenario file; or pass --agent FILE',
    });
  }
  // The rules beyond the schema read the data as the schema shapes it: only once it does.
  if (!schemaDiagnostics.some((d) => d.severity === 'error')) {
    const agentExists = agentFile !== undefined && existsSync(agentFile);
    diagnostics.push(...checkScenarioRules(data, { file, source, ...(agentExists ? { agentFile } : {}), ...(input.checkAudioFile ? { checkAudioFile: input.checkAudioFile } : {}) }));
  }
  const sorted = sortDiagnostics(diagnostics);
  if (sorted.some((d) => d.severity === 'error') || !agentFile) return { ok: false, diagnostics: sorted };
  return { ok: true, data, agentFile, diagnostics: sorted };
}
