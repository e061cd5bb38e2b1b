import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { sortDiagnostics, type Diagnostic } from '../dsl/diagnostics.js';
import { checkAgainstSchema } from '../dsl/schema-check.js';
import { readYamlMapping } from '../dsl/yaml-file.js';
import { didYouMean } from '../util/did-you-mean.js';

/** File name of the project file at the root of a voiceagent project. */
export const PROJECT_FILE = 'voiceagent.yaml';

/** One deploy target from `environments` (see `schemas/project.schema.json`). */
export interface EnvironmentSpec {
  /** Base URL of a `voiceagent serve` admin API. */
  readonly url: string;
  /** Bearer token as `${env:NAME}`; resolved only when a command talks to the server. */
  readonly token?: string;
  readonly description?: string;
}

/** A validated `voiceagent.yaml` with defaults applied. Deeply frozen. */
export interface ProjectSpec {
  readonly apiVersion: 'voiceagent/v1';
  /** Agents folder, relative to the project file. Default `agents`. */
  readonly agents: string;
  /** Scenarios folder, relative to the project file. Default `scenarios`. */
  readonly scenarios: string;
  readonly environments: Readonly<Record<string, EnvironmentSpec>>;
  readonly defaultEnvironment?: string;
}

/** Absolute folders of a project. */
export interface ProjectDirs {
  /** The folder holding `voiceagent.yaml`. */
  readonly root: string;
  readonly agents: string;
  readonly scenarios: string;
}

const PROJECT_FILE_KIND = { noun: 'project', example: '`apiVersion: voiceagent/v1`, `agents: agents`', hint: 'start from `voiceagent init`', ioHint: 'create one with `voiceagent init`' };

/** What to load: the project file's path, and optionally its text. */
export interface ProjectInput {
  /** Path used to read the file and to label diagnostics. */
  readonly file: string;
  /** The YAML text; read from `file` when omitted. */
  readonly text?: string;
}

/** The outcome of loading a project file, shaped like `AgentLoadResult`: a spec when there are no errors, and every diagnostic. */
export type ProjectLoadResult =
  | { readonly ok: true; readonly project: ProjectSpec; readonly dirs: ProjectDirs; readonly diagnostics: readonly Diagnostic[] }
  | { readonly ok: false; readonly project?: undefined; readonly dirs?: undefined; readonly diagnostics: readonly Diagnostic[] };

/**
 * Loads `voiceagent.yaml`: parses it keeping positions, validates it against `schemas/project.schema.json`,
 * checks that `defaultEnvironment` names an environment, and applies defaults. Never throws for bad input:
 * every problem, including an unreadable file, comes back as a positioned diagnostic.
 */
export function loadProject(input: ProjectInput): ProjectLoadResult {
  const read = readYamlMapping(input, PROJECT_FILE_KIND);
  if (!read.ok) return { ok: false, diagnostics: read.diagnostics };
  const { source, data, diagnostics } = read;
  diagnostics.push(...checkAgainstSchema('project', data, source).map(explainUrlPattern));

  const record = data as { environments?: unknown; defaultEnvironment?: unknown };
  const names = record.environments && typeof record.environments === 'object' ? Object.keys(record.environments) : [];
  if (typeof record.defaultEnvironment === 'string' && !names.includes(record.defaultEnvironment)) {
    const guess = didYouMean(record.defaultEnvironment, names);
    diagnostics.push({
      file: input.file,
      ...source.valueAt(['defaultEnvironment']),
      severity: 'error',
      code: 'reference',
      path: 'defaultEnvironment',
      message: `\`defaultEnvironment\` names \`${record.defaultEnvironment}\`, which is not in \`environments\``,
      hint: guess ? `did you mean \`${guess}\`?` : names.length ? `known environments: ${names.join(', ')}` : `define \`${record.defaultEnvironment}\` under \`environments\` with its \`url\``,
    });
  }

  const sorted = sortDiagnostics(diagnostics);
  if (sorted.some((d) => d.severity === 'error')) return { ok: false, diagnostics: sorted };
  const project = deepFreeze(data) as unknown as ProjectSpec;
  const root = dirname(resolve(input.file));
  return { ok: true, project, dirs: { root, agents: resolve(root, project.agents), scenarios: resolve(root, project.scenarios) }, diagnostics: sorted };
}

/** The nearest `voiceagent.yaml` in `startDir` or a folder above it, or `undefined` when there is none. */
export function findProjectFile(startDir: string): string | undefined {
  let dir = resolve(startDir);
  for (;;) {
    const candidate = join(dir, PROJECT_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The schema's `^https?://` pattern on `url` would read as a bare regex; say what it means instead. */
function explainUrlPattern(d: Diagnostic): Diagnostic {
  if (d.code !== 'pattern' || !/^environments\.[^.]+\.url$/.test(d.path)) return d;
  return { ...d, message: `\`${d.path}\` must be an http:// or https:// URL`, hint: 'the base URL of a `voiceagent serve` admin API, e.g. `https://voice.example.com`' };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
