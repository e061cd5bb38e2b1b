/*
 * `voiceagent deploy` as a programmatic API, in two steps a reviewer can tell apart: `planDeploy` (validate and
 * compile each agent file, check it is committed, fetch the version active on the server and diff against it:
 * nothing is written anywhere), then `applyDeploy` (push each changed agent, then activate it with `expected` =
 * the version the plan was made against, so someone else's deploy in between is refused as drift instead of
 * being silently overwritten).
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { compileAgent } from '../compiler/compile-agent.js';
import type { CompiledAgent } from '../compiler/machine-config.js';
import type { Diagnostic } from '../dsl/diagnostics.js';
import { loadAgent } from '../dsl/load-agent.js';
import type { Activation, GitInfo } from '../registry/types.js';
import { versionIdOf } from '../registry/version-id.js';
import { AdminApiError, type AdminClient } from './admin-client.js';
import { diffCharts, type ChartDiff } from './chart-diff.js';
import { gitFileState } from './git-state.js';
import { unifiedDiff } from './text-diff.js';

/** The plan for one agent file. */
export interface AgentPlan {
  readonly agent: string;
  /** The file, relative to the project root (or the working folder). */
  readonly file: string;
  readonly source: string;
  readonly compiled: CompiledAgent;
  /** The last commit that changed the file. */
  readonly git?: GitInfo;
  /** The file has uncommitted changes or is outside git (allowed only with `allowDirty`, or in a dry run). */
  readonly dirty?: string;
  /** The version id this file compiles to (the server computes the same from the same YAML). */
  readonly version: string;
  /** The version active on the server when the plan was made: the `expected` of the activation. */
  readonly active?: string;
  /** Unified diff of the YAML from the active version's source (everything added when none is active). */
  readonly yamlDiff: string;
  readonly chartDiff: ChartDiff;
  /** The active version is this one (same YAML, same id): nothing to deploy. */
  readonly unchanged: boolean;
}

/** A file that cannot be deployed as it is. */
export interface PlanProblem {
  readonly file: string;
  readonly kind: 'invalid' | 'dirty' | 'unreadable';
  readonly message: string;
  readonly diagnostics?: readonly Diagnostic[];
}

/** What {@link planDeploy} found. Deploy only when `problems` is empty. */
export interface DeployPlan {
  readonly server: string;
  readonly agents: readonly AgentPlan[];
  readonly problems: readonly PlanProblem[];
}

/** Options of {@link planDeploy}. */
export interface PlanDeployOptions {
  readonly client: AdminClient;
  /** Absolute paths of the agent files. */
  readonly files: readonly string[];
  /** Folder file paths are shown relative to (the project root). */
  readonly root: string;
  /** Accept files with uncommitted changes or outside git (recorded as `git.dirty`). */
  readonly allowDirty?: boolean;
  /** A dry run: a dirty file is planned (and flagged) instead of refused. */
  readonly dryRun?: boolean;
}

/**
 * Validates, compiles and diffs every file against the server's active version. Invalid or dirty files become
 * {@link PlanProblem}s; server errors (unreachable, 401) reject with {@link AdminApiError}.
 */
export async function planDeploy(options: PlanDeployOptions): Promise<DeployPlan> {
  const agents: AgentPlan[] = [];
  const problems: PlanProblem[] = [];
  const seen = new Map<string, string>();
  for (const path of options.files) {
    const file = relative(options.root, path) || path;
    let source: string;
    try {
      source = readFileSync(path, 'utf8');
    } catch (error) {
      problems.push({ file, kind: 'unreadable', message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` });
      continue;
    }
    const loaded = loadAgent({ file: path, text: source });
    if (!loaded.ok) {
      const errors = loaded.diagnostics.filter((d) => d.severity === 'error').map((d) => ({ ...d, file }));
      problems.push({ file, kind: 'invalid', message: `${file} has ${errors.length} error${errors.length === 1 ? '' : 's'}; fix them (voiceagent validate ${file})`, diagnostics: errors });
      continue;
    }
    const agent = loaded.spec.name;
    const twin = seen.get(agent);
    if (twin) {
      problems.push({ file, kind: 'invalid', message: `${file} and ${twin} both name the agent "${agent}"; deploy one of them` });
      continue;
    }
    seen.set(agent, file);

    const state = await gitFileState(path);
    let dirty: string | undefined;
    if (state.kind === 'no-repo') dirty = `${file} is ${state.reason === 'git is not installed' ? 'not checked by git (git is not installed)' : 'not in a git repository'}: deploy ships committed files`;
    else if (state.dirty) dirty = `${file} has uncommitted changes (git status: ${state.status.split('\n')[0]})`;
    if (dirty && !options.allowDirty && !options.dryRun) {
      problems.push({ file, kind: 'dirty', message: `${dirty}; commit it first, or pass --allow-dirty to deploy it as it is` });
      continue;
    }
    const gitInfo: GitInfo | undefined = state.kind === 'repo' ? state.info : undefined;

    const compiled = compileAgent(loaded.spec, { sourceHash: loaded.sourceHash });
    const activeVersion = await activeOf(options.client, agent);
    const yamlDiff = unifiedDiff(activeVersion?.source ?? '', source, {
      fromLabel: activeVersion ? `${agent} ${activeVersion.id} (active on the server)` : `${agent} (nothing deployed)`,
      toLabel: `${file}${gitInfo ? ` @ ${gitInfo.commit.slice(0, 12)}` : ''}${dirty ? ' (uncommitted)' : ''}`,
    });
    agents.push({
      agent,
      file,
      source,
      compiled,
      version: versionIdOf(compiled),
      ...(gitInfo ? { git: gitInfo } : {}),
      ...(dirty ? { dirty } : {}),
      ...(activeVersion ? { active: activeVersion.id } : {}),
      yamlDiff,
      chartDiff: diffCharts(activeVersion?.compiled, compiled),
      unchanged: activeVersion !== undefined && (activeVersion.source === source || activeVersion.id === versionIdOf(compiled)),
    });
  }
  return { server: options.client.url, agents, problems };
}

/** The active version on the server with its source and chart, or undefined when the agent has none. */
async function activeOf(client: AdminClient, agent: string) {
  let active: string | undefined;
  try {
    active = (await client.versions(agent)).active;
  } catch (error) {
    if (error instanceof AdminApiError && error.code === 'unknown-agent') return undefined;
    throw error;
  }
  return active ? client.version(agent, active) : undefined;
}

/** What happened to one agent of a deploy. */
export type AgentDeployResult =
  | { readonly agent: string; readonly status: 'unchanged'; readonly version: string }
  | { readonly agent: string; readonly status: 'deployed'; readonly version: string; readonly previous?: string; readonly created: boolean; readonly activation: Activation }
  /** Pushed, not activated: someone else activated `active` after the plan was made. */
  | { readonly agent: string; readonly status: 'drift'; readonly version: string; readonly expected?: string; readonly active?: string; readonly message: string }
  | { readonly agent: string; readonly status: 'failed'; readonly error: AdminApiError };

/** Options of {@link applyDeploy}. */
export interface ApplyDeployOptions {
  readonly client: AdminClient;
  /** Who deploys (free text: git author, `$USER`), stored in the activation. */
  readonly by?: string;
}

/**
 * Pushes and activates each agent of `plan` that changed. Agents are independent: one agent's drift or failure
 * does not stop the others. Rejects only for a server that cannot be reached or refuses the token.
 */
export async function applyDeploy(plan: DeployPlan, options: ApplyDeployOptions): Promise<AgentDeployResult[]> {
  const results: AgentDeployResult[] = [];
  for (const item of plan.agents) {
    if (item.unchanged && item.active) {
      results.push({ agent: item.agent, status: 'unchanged', version: item.active });
      continue;
    }
    try {
      const pushed = await options.client.push(item.agent, {
        source: item.source,
        file: item.file,
        ...(item.git ? { git: item.dirty ? { ...item.git, dirty: true } : item.git } : {}),
      });
      const id = pushed.version.id;
      if (id === item.active) {
        // Same chart under a different text (a comment, key order): the server already serves it.
        results.push({ agent: item.agent, status: 'unchanged', version: id });
        continue;
      }
      try {
        const activation = await options.client.activate(item.agent, { version: id, expected: item.active ?? null, ...(options.by ? { by: options.by } : {}) });
        results.push({ agent: item.agent, status: 'deployed', version: id, ...(item.active ? { previous: item.active } : {}), created: pushed.created, activation });
      } catch (error) {
        if (!(error instanceof AdminApiError) || error.code !== 'drift') throw error;
        results.push({
          agent: item.agent,
          status: 'drift',
          version: id,
          ...(item.active ? { expected: item.active } : {}),
          ...(error.active ? { active: error.active } : {}),
          message:
            `someone else deployed ${item.agent}: the server's active version is ${error.active ?? 'none'}, not ${item.active ?? 'none'} as this plan expected. ` +
            `Nothing was activated (${id} is pushed). Re-run \`voiceagent deploy\` to plan against ${error.active ?? 'the current state'}.`,
        });
      }
    } catch (error) {
      if (error instanceof AdminApiError && (error.code === 'unreachable' || error.code === 'unauthorized')) throw error;
      if (!(error instanceof AdminApiError)) throw error;
      results.push({ agent: item.agent, status: 'failed', error });
    }
  }
  return results;
}

/** True when the plan would change nothing on the server. */
export function planIsEmpty(plan: DeployPlan): boolean {
  return plan.agents.every((a) => a.unchanged);
}
