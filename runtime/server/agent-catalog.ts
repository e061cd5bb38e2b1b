import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { prepareAgent, type PreparedAgent } from '../call/call-session.js';
import { formatDiagnostic, type Diagnostic } from '../dsl/diagnostics.js';
import { loadAgent } from '../dsl/load-agent.js';
import { findProjectFile, loadProject } from '../project/load-project.js';
import { classifyFile } from '../project/validate-paths.js';

/** One agent a server takes calls for. */
export interface ServedAgent {
  readonly name: string;
  /** The YAML file it came from. */
  readonly file: string;
  readonly agent: PreparedAgent;
  /** Registry version id, for deployed agents (issue: the registry); absent for files. */
  readonly version?: string;
}

/** Thrown when the agents cannot all be loaded: the server refuses to start and says why, file:line:col. */
export class AgentCatalogError extends Error {
  override readonly name = 'AgentCatalogError';
  constructor(
    message: string,
    readonly diagnostics: readonly Diagnostic[] = [],
  ) {
    super(message);
  }
}

/**
 * The agent files to serve: the paths given (files, or folders searched for `*.yaml`), else the project's
 * agents folder (from `voiceagent.yaml` above `cwd`), else `./agents`. Project and scenario files in those
 * folders are skipped, so `serve .` in a project serves its agents.
 */
export function findAgentFiles(paths: readonly string[], cwd: string): string[] {
  let roots = paths.map((path) => resolve(cwd, path));
  if (roots.length === 0) {
    const projectFile = findProjectFile(cwd);
    const project = projectFile ? loadProject({ file: projectFile }) : undefined;
    roots = [project?.ok ? project.dirs.agents : resolve(cwd, 'agents')];
  }
  const files: string[] = [];
  for (const root of roots) {
    let stats;
    try {
      stats = statSync(root);
    } catch {
      throw new AgentCatalogError(`cannot read ${root}: no such file or folder (give agent files or folders, or run in a project)`);
    }
    if (stats.isFile()) files.push(root);
    else files.push(...yamlFilesUnder(root));
  }
  return files.filter((file) => classifyFile(file) === 'agent');
}

function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...yamlFilesUnder(path));
    else if (/\.ya?ml$/.test(entry.name)) out.push(path);
  }
  return out;
}

/**
 * Loads, validates and compiles every agent file once (the calls share the result). Throws an
 * {@link AgentCatalogError} listing every diagnostic as `file:line:col` when any file is broken, when two files
 * name the same agent, or when there is nothing to serve and `allowEmpty` is not set.
 */
export function loadAgentCatalog(files: readonly string[], options: { readonly allowEmpty?: boolean } = {}): Map<string, ServedAgent> {
  const agents = new Map<string, ServedAgent>();
  const problems: Diagnostic[] = [];
  for (const file of files) {
    const loaded = loadAgent({ file });
    if (!loaded.ok) {
      problems.push(...loaded.diagnostics.filter((d) => d.severity === 'error'));
      continue;
    }
    const other = agents.get(loaded.spec.name);
    if (other) throw new AgentCatalogError(`two agent files are named "${loaded.spec.name}": ${other.file} and ${file}; rename one (\`name:\`)`);
    agents.set(loaded.spec.name, { name: loaded.spec.name, file, agent: prepareAgent(loaded.spec, { sourceHash: loaded.sourceHash }) });
  }
  if (problems.length > 0) {
    throw new AgentCatalogError(`${problems.length} error${problems.length === 1 ? '' : 's'} in the agent files; the server did not start:\n${problems.map(formatDiagnostic).join('\n')}`, problems);
  }
  if (agents.size === 0 && !options.allowEmpty) throw new AgentCatalogError('no agent files to serve: give agent files or folders, or run in a project with agents');
  return agents;
}
