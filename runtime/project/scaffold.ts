import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { didYouMean } from '../util/did-you-mean.js';
import { packageRoot } from '../util/package-root.js';
import { PACKAGE_MANIFEST, projectPackageJson, voiceagentRange } from './package-manifest.js';

/** The template `voiceagent init` uses when none is named. */
export const DEFAULT_TEMPLATE = 'receptionist';

/**
 * Schemas copied into every scaffolded project's `schemas/` folder, so the `yaml-language-server` modelines
 * of its files (`../schemas/agent.schema.json` from `agents/`) resolve without the package installed locally.
 */
export const PROJECT_SCHEMAS = ['agent.schema.json', 'scenario.schema.json', 'project.schema.json'] as const;

/**
 * Template files stored without their leading dot, because npm drops `.gitignore` files from published packages;
 * they get the dot back when written.
 */
const DOTFILES = new Set(['gitignore']);

const AGENT_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** Template files copied byte for byte, never read as text: recordings the example scenarios play. */
const BINARY_FILE = /\.wav$/i;

/** A template in `templates/`, as listed by `voiceagent init --list`. */
export interface TemplateInfo {
  /** Folder name under `templates/`, what `--template` takes. */
  readonly name: string;
  /** One line: the `description` of the template's agent. */
  readonly description: string;
  /** Name of the agent the template scaffolds (`agents/<agent>.yaml`). */
  readonly agent: string;
}

/** What to scaffold and where. */
export interface ScaffoldOptions {
  /** Target folder; created when missing. */
  readonly dir: string;
  /** Template name from {@link listTemplates}. Default: {@link DEFAULT_TEMPLATE}. */
  readonly template?: string;
  /** Overwrite files that already exist. Default: `false` (if any target exists, nothing is written). */
  readonly force?: boolean;
  /** Name of the scaffolded agent (file name, `name:` and scenario folder). Default: the template's agent name. */
  readonly agentName?: string;
}

/** One target file: its path relative to the project folder and what happened to it. */
export interface ScaffoldFile {
  /** Relative path with `/` separators, e.g. `agents/receptionist.yaml`. */
  readonly path: string;
  /**
   * `created`: new file; `overwritten`: existed and `force` was set; `skipped`: not written because the scaffold
   * was refused; `kept`: an existing `package.json`, left as it is (never overwritten, not even with `force`).
   */
  readonly status: 'created' | 'overwritten' | 'skipped' | 'kept';
  /** The file existed before this run. */
  readonly existed: boolean;
}

/** The outcome of {@link scaffoldProject}; also the `--json` output of `voiceagent init`. */
export interface ScaffoldResult {
  /** `false` when files already existed and `force` was not set: then nothing was written. */
  readonly ok: boolean;
  /** Absolute path of the project folder. */
  readonly dir: string;
  readonly template: string;
  readonly agentName: string;
  /** Every target file, in the order written. */
  readonly files: readonly ScaffoldFile[];
  /** Target files that already existed and stopped the scaffold without `force` (relative paths; never `package.json`). */
  readonly existing: readonly string[];
  /** The voiceagent version range the project's `package.json` depends on (or should, when it was kept), e.g. `^0.1.0`. */
  readonly voiceagentRange: string;
  /** Environment variables the scaffolded files refer to as `${env:NAME}` (needed for real calls and deploys). */
  readonly envVars: readonly string[];
}

/** Why a scaffold could not start; a usage problem, not a conflict with existing files. */
export class ScaffoldError extends Error {
  constructor(
    message: string,
    readonly code: 'unknown-template' | 'invalid-name' | 'not-a-folder',
    /** What to do about it. */
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'ScaffoldError';
  }
}

/** Folder holding the templates shipped with voiceagent. */
export function templatesDir(): string {
  return join(packageRoot(), 'templates');
}

/** Every template in `templates/`, sorted by name. */
export function listTemplates(): TemplateInfo[] {
  const root = templatesDir();
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .flatMap((name) => {
      const agent = templateAgent(join(root, name));
      return agent ? [{ name, agent: agent.name, description: agent.description }] : [];
    });
}

/**
 * Scaffolds a project: `voiceagent.yaml`, `.gitignore`, `agents/<name>.yaml`, `scenarios/<name>/*.yaml` from the
 * template, copies of the schemas in `schemas/`, and a `package.json` with voiceagent as a dev dependency.
 *
 * Never overwrites without `force`: when any target file exists, nothing at all is written and the result lists
 * the existing files (`ok: false`). An existing `package.json` is no conflict and is never overwritten: it is
 * someone's Node project, so it is `kept` and the caller tells the user to add voiceagent to it. Throws
 * {@link ScaffoldError} for an unknown template, a bad agent name, or a target that is not a folder.
 */
export function scaffoldProject(options: ScaffoldOptions): ScaffoldResult {
  const template = options.template ?? DEFAULT_TEMPLATE;
  const templates = listTemplates();
  const info = templates.find((t) => t.name === template);
  if (!info) throw unknownTemplate(template, templates.map((t) => t.name));
  const agentName = options.agentName ?? info.agent;
  if (!AGENT_NAME.test(agentName)) {
    throw new ScaffoldError(`invalid agent name \`${agentName}\``, 'invalid-name', 'use lower-case letters, digits and dashes, starting with a letter (at most 63 characters), e.g. `front-desk`');
  }
  const dir = resolve(options.dir);
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new ScaffoldError(`${dir} exists and is not a folder`, 'not-a-folder', 'choose a new or existing folder for the project');
  }

  const planned = planFiles(join(templatesDir(), template), info.agent, agentName, dir);
  const kept = planned.filter((f) => f.path === PACKAGE_MANIFEST && exists(join(dir, f.path))).map((f) => f.path);
  const existing = planned.filter((f) => !kept.includes(f.path) && exists(join(dir, f.path))).map((f) => f.path);
  const force = options.force === true;
  const refused = existing.length > 0 && !force;
  const files: ScaffoldFile[] = planned.map((f) => {
    if (kept.includes(f.path)) return { path: f.path, existed: true, status: 'kept' };
    const existed = existing.includes(f.path);
    return { path: f.path, existed, status: refused ? 'skipped' : existed ? 'overwritten' : 'created' };
  });
  if (!refused) {
    for (const file of planned) {
      if (kept.includes(file.path)) continue;
      const target = join(dir, file.path);
      mkdirSync(dirname(target), { recursive: true });
      // `wx` guards the window between the existence check and the write: never clobber without force.
      writeFileSync(target, file.content, { flag: force ? 'w' : 'wx' });
    }
  }
  const envVars = [...new Set(planned.flatMap((f) => (f.path.endsWith('.yaml') && typeof f.content === 'string' ? envRefs(f.content) : [])))].sort();
  return { ok: !refused, dir, template, agentName, files, existing, voiceagentRange: voiceagentRange(), envVars };
}

interface PlannedFile {
  readonly path: string;
  /** Text, or the bytes of a binary file (a recording). */
  readonly content: string | Uint8Array;
}

/** The files a template produces, with the agent renamed when asked: project file and package.json first, schemas last. */
function planFiles(templateDir: string, templateAgent: string, agentName: string, projectDir: string): PlannedFile[] {
  const out: PlannedFile[] = [];
  for (const path of walk(templateDir)) {
    const [first, ...rest] = path.split('/');
    const target = DOTFILES.has(path) ? `.${path}` : path;
    if (BINARY_FILE.test(path)) {
      out.push({ path: target, content: readFileSync(join(templateDir, path)) });
      continue;
    }
    const content = readFileSync(join(templateDir, path), 'utf8');
    if (agentName === templateAgent) {
      out.push({ path: target, content });
    } else if (first === 'agents' && rest.join('/') === `${templateAgent}.yaml`) {
      out.push({ path: `agents/${agentName}.yaml`, content: replaceLine(content, /^name: .*$/m, `name: ${agentName}`, path) });
    } else if (first === 'scenarios' && rest[0] === templateAgent) {
      const agentLine = new RegExp(`^agent: \\.\\./\\.\\./agents/${templateAgent}\\.yaml`, 'm');
      out.push({ path: ['scenarios', agentName, ...rest.slice(1)].join('/'), content: replaceLine(content, agentLine, `agent: ../../agents/${agentName}.yaml`, path) });
    } else {
      out.push({ path: target, content });
    }
  }
  out.push({ path: PACKAGE_MANIFEST, content: projectPackageJson(projectDir, agentName) });
  const rank = (p: string) => (p === 'voiceagent.yaml' ? 0 : p === PACKAGE_MANIFEST ? 1 : p.startsWith('.') ? 2 : p.startsWith('agents/') ? 3 : 4);
  out.sort((a, b) => rank(a.path) - rank(b.path) || a.path.localeCompare(b.path));
  for (const schema of PROJECT_SCHEMAS) {
    out.push({ path: `schemas/${schema}`, content: readFileSync(join(packageRoot(), 'schemas', schema), 'utf8') });
  }
  return out;
}

function replaceLine(content: string, line: RegExp, replacement: string, file: string): string {
  // A template that lost the line we rename would scaffold a broken project; fail loudly (it is our bug).
  if (!line.test(content)) throw new Error(`voiceagent: template file ${file} has no line matching ${line}; cannot rename the agent`);
  return content.replace(line, replacement);
}

/** Files under `dir`, relative, `/`-separated, sorted. */
function walk(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      return entry.isDirectory() ? walk(dir, rel) : [rel];
    });
}

/** Names of the `${env:NAME}` references in a YAML text, comments excluded. */
function envRefs(yaml: string): string[] {
  const code = yaml
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n');
  return [...code.matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!);
}

function exists(path: string): boolean {
  try {
    lstatSync(path); // a dangling symlink still occupies the name
    return true;
  } catch {
    return false;
  }
}

/** The template's agent: the single file in its `agents/` folder. */
function templateAgent(templateDir: string): { name: string; description: string } | undefined {
  const agentsDir = join(templateDir, 'agents');
  if (!existsSync(agentsDir)) return undefined;
  const file = readdirSync(agentsDir).find((f) => /\.ya?ml$/.test(f));
  if (!file) return undefined;
  const data = parse(readFileSync(join(agentsDir, file), 'utf8')) as { name?: unknown; description?: unknown } | null;
  const name = typeof data?.name === 'string' ? data.name : file.replace(/\.ya?ml$/, '');
  return { name, description: typeof data?.description === 'string' ? data.description : '' };
}

function unknownTemplate(name: string, known: string[]): ScaffoldError {
  const guess = didYouMean(name, known);
  const list = known.length ? `available templates: ${known.join(', ')}` : 'no templates are installed (the voiceagent package is incomplete)';
  return new ScaffoldError(`unknown template \`${name}\``, 'unknown-template', guess ? `did you mean \`${guess}\`? ${list}` : list);
}
