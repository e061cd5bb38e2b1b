/*
 * Which server a deploy-side command talks to, and with which token: `--url` or `VOICEAGENT_URL` first, else the
 * environment named by `--env` (or `defaultEnvironment`) in the nearest `voiceagent.yaml`. The token is
 * `VOICEAGENT_TOKEN` when set, else the environment's `token: ${env:NAME}` reference, read only now, so a
 * project file never holds a secret and a missing variable is named in the error.
 */
import { formatDiagnostic } from '../dsl/diagnostics.js';
import { findProjectFile, loadProject, type ProjectLoadResult } from '../project/load-project.js';
import { didYouMean } from '../util/did-you-mean.js';

/** Where to send admin API requests. */
export interface DeployTarget {
  readonly url: string;
  readonly token?: string;
  /** The project environment name, when the target came from `voiceagent.yaml`. */
  readonly environment?: string;
  /** Where the URL came from, for messages: `--url`, `VOICEAGENT_URL`, or `voiceagent.yaml environments.NAME`. */
  readonly from: string;
  /** The project, when a `voiceagent.yaml` was found and is valid. */
  readonly project?: Extract<ProjectLoadResult, { ok: true }>;
}

/** A target cannot be resolved: no URL, an unknown environment, a token variable not set, a broken project file. */
export class DeployTargetError extends Error {
  override readonly name = 'DeployTargetError';
}

/** What {@link resolveDeployTarget} reads. */
export interface DeployTargetInput {
  /** Folder the nearest `voiceagent.yaml` is looked for from. */
  readonly cwd: string;
  /** Environment variables (`VOICEAGENT_URL`, `VOICEAGENT_TOKEN`, the token references). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `--env NAME`. */
  readonly environment?: string;
  /** `--url URL`. */
  readonly url?: string;
}

/**
 * Resolves the server and token a command talks to.
 * @throws DeployTargetError with a message saying what to set.
 */
export function resolveDeployTarget(input: DeployTargetInput): DeployTarget {
  const projectFile = findProjectFile(input.cwd);
  const loaded = projectFile ? loadProject({ file: projectFile }) : undefined;
  const project = loaded?.ok ? loaded : undefined;
  const environments = project?.project.environments ?? {};
  const names = Object.keys(environments);
  const name = input.environment ?? project?.project.defaultEnvironment;
  const override = input.url ?? input.env.VOICEAGENT_URL;

  if (input.environment !== undefined && !(input.environment in environments) && override === undefined) {
    if (loaded && !loaded.ok) throw brokenProject(projectFile!, loaded);
    const guess = didYouMean(input.environment, names);
    throw new DeployTargetError(
      projectFile
        ? `no environment \`${input.environment}\` in ${projectFile}${guess ? `; did you mean \`${guess}\`?` : names.length ? ` (known: ${names.join(', ')})` : ''}; add it under \`environments\` with its \`url\`, or give --url`
        : `--env ${input.environment} needs a voiceagent.yaml with \`environments\` (none found from ${input.cwd}); or give --url or VOICEAGENT_URL`,
    );
  }
  const spec = name !== undefined ? environments[name] : undefined;
  const token = input.env.VOICEAGENT_TOKEN || tokenOf(name, spec?.token, input.env);
  const base = { ...(token ? { token } : {}), ...(project ? { project } : {}) };
  if (override !== undefined) {
    if (!/^https?:\/\/[^/\s]+/.test(override)) throw new DeployTargetError(`${input.url !== undefined ? '--url' : 'VOICEAGENT_URL'} must be an http:// or https:// URL, got ${JSON.stringify(override)}`);
    return { url: override, ...base, ...(spec ? { environment: name } : {}), from: input.url !== undefined ? '--url' : 'VOICEAGENT_URL' };
  }
  if (spec) return { url: spec.url, ...base, environment: name, from: `${projectFile} environments.${name}` };
  if (loaded && !loaded.ok) throw brokenProject(projectFile!, loaded);
  throw new DeployTargetError(
    'which server? Give --env NAME (an environment of voiceagent.yaml), set `defaultEnvironment` in voiceagent.yaml, or give --url / VOICEAGENT_URL ' +
      '(e.g. --url http://127.0.0.1:8080 for `voiceagent serve --data .voiceagent` on this machine)',
  );
}

/** The environment's token: its `${env:NAME}` reference read from the environment now. */
function tokenOf(name: string | undefined, reference: string | undefined, env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (reference === undefined) return undefined;
  const variable = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(reference)?.[1];
  const value = variable ? env[variable] : undefined;
  if (!value) throw new DeployTargetError(`environment \`${name}\` takes its token from ${reference}, and ${variable ?? reference} is not set; set it (or VOICEAGENT_TOKEN)`);
  return value;
}

function brokenProject(file: string, loaded: ProjectLoadResult): DeployTargetError {
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
  return new DeployTargetError(`${file} has errors; fix them (voiceagent validate ${file}):\n${errors.join('\n')}`);
}
