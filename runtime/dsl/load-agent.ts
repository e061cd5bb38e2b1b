import { createHash } from 'node:crypto';
import type { AgentSpec } from './agent-spec.js';
import { mergeOverrides } from './agent-overrides.js';
import { sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { checkAgainstSchema } from './schema-check.js';
import { semanticCheck } from './semantic-check.js';
import { readYamlMapping } from './yaml-file.js';

/** What to load: a file path, and optionally its text (when already in memory, e.g. from an editor or a deploy bundle). */
export interface AgentInput {
  /** Path used to read the file and to label diagnostics. */
  readonly file: string;
  /** The YAML text; read from `file` when omitted. */
  readonly text?: string;
  /**
   * Values deep-merged over the file's before any check (a scenario's `agentOverrides`): mappings merge key by
   * key, anything else (a list, a value) replaces. Diagnostics keep the file's positions; a field only the
   * overrides hold points at its nearest ancestor in the file (see `overrideDiagnostics` to place them).
   */
  readonly overrides?: Readonly<Record<string, unknown>>;
}

/** The outcome of loading an agent: a spec when there are no errors, and every diagnostic found. */
export type AgentLoadResult =
  | { readonly ok: true; readonly spec: AgentSpec; readonly sourceHash: string; readonly diagnostics: readonly Diagnostic[] }
  | { readonly ok: false; readonly spec?: undefined; readonly sourceHash?: string; readonly diagnostics: readonly Diagnostic[] };

/**
 * Loads an agent file: parses YAML keeping positions, validates against `schemas/agent.schema.json`, runs the
 * semantic checks a schema cannot express, applies defaults and returns a deeply frozen {@link AgentSpec}.
 *
 * The only function in voiceagent that parses agent YAML. Never throws for bad input: every problem, including
 * an unreadable file (`code: 'io-error'`), comes back as a diagnostic, sorted in file order.
 */
export function loadAgent(input: AgentInput): AgentLoadResult {
  const read = readYamlMapping(input, AGENT_FILE);
  if (!read.ok) return { ok: false, ...(read.text !== undefined ? { sourceHash: hashOf(read.text) } : {}), diagnostics: read.diagnostics };
  const { source, diagnostics } = read;
  const data = input.overrides ? mergeOverrides(read.data, input.overrides) : read.data;
  const sourceHash = hashOf(input.overrides ? `${read.text}\n# agentOverrides: ${JSON.stringify(input.overrides)}` : read.text);

  const schemaDiagnostics = checkAgainstSchema('agent', data, source);
  applyComputedDefaults(data as Record<string, unknown>);
  const semantic = semanticCheck(data, source);
  // A literal key in a credential field also fails the schema's `${env:...}` pattern; one message is enough.
  const secretPaths = new Set(semantic.filter((d) => d.code === 'literal-secret').map((d) => d.path));
  diagnostics.push(...schemaDiagnostics.filter((d) => !(d.code === 'pattern' && secretPaths.has(d.path))), ...semantic);

  const sorted = sortDiagnostics(diagnostics);
  if (sorted.some((d) => d.severity === 'error')) return { ok: false, sourceHash, diagnostics: sorted };
  return { ok: true, spec: deepFreeze(data) as unknown as AgentSpec, sourceHash, diagnostics: sorted };
}

const AGENT_FILE = { noun: 'agent', example: '`apiVersion: voiceagent/v1`, `name: ...`', hint: 'start from `voiceagent init` or a file in agents/' };

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Defaults that depend on other fields, so the schema's static `default` cannot express them. */
function applyComputedDefaults(data: Record<string, unknown>): void {
  const languages = data.languages as { default?: string; supported?: string[] } | undefined;
  if (languages && languages.supported === undefined && typeof languages.default === 'string') languages.supported = [languages.default];
  const stt = data.stt as { languageHints?: string[]; turnDetection?: string } | undefined;
  if (stt && stt.languageHints === undefined && Array.isArray(languages?.supported)) stt.languageHints = [...languages.supported];
  if (stt && stt.turnDetection === undefined) stt.turnDetection = 'local';
  const voice = data.voice as { provider?: string; model?: string } | undefined;
  if (voice && voice.provider === 'elevenlabs' && voice.model === undefined) voice.model = 'eleven_flash_v2_5';
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
