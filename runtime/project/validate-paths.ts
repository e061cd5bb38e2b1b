import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { recordingProblem } from '../audio/recordings.js';
import { loadAgent, type AgentSpec, type Diagnostic } from '../dsl/index.js';
import { checkScenarioFile } from '../dsl/scenario-file.js';
import { findProjectFile, loadProject, PROJECT_FILE } from './load-project.js';

/** What a checked file is, and so which schema and rules it was checked against. */
export type FileKind = 'agent' | 'project' | 'scenario';

/** The result of checking one file. */
export interface FileReport {
  /** Path as shown to the user (relative to the working folder when inside it). */
  readonly file: string;
  /** What the file was checked as; absent for a path that could not be read. */
  readonly kind?: FileKind;
  readonly ok: boolean;
  /** Agent `name` when the file was a valid agent. */
  readonly agent?: string;
  readonly diagnostics: readonly Diagnostic[];
}

/** The result of `voiceagent validate`, also its `--json` output. */
export interface ValidationReport {
  readonly ok: boolean;
  /** One entry per file checked, plus one per path that could not be read (with its `io-error` diagnostic). */
  readonly files: readonly FileReport[];
  /** Counts over the files that were read; unreadable paths are counted in `ioErrors` only. */
  readonly summary: { readonly files: number; readonly valid: number; readonly errors: number; readonly warnings: number };
  /** Paths that could not be read (missing, unreadable, or a folder without agent files). */
  readonly ioErrors: number;
}

const AGENT_FILE = /\.ya?ml$/i;

/**
 * Validates files and folders (searched recursively for `*.yaml`/`*.yml`, in sorted order), each as what it is
 * (see `fileKind`): the project file `voiceagent.yaml` against the project schema, scenario files as
 * `voiceagent test` reads them, every other file as an agent. So `validate .` checks a whole project.
 * Never throws: unreadable paths become `io-error` diagnostics.
 */
export function validatePaths(paths: readonly string[], options: { cwd: string }): ValidationReport {
  const { files, ioErrors } = collect(paths, options);
  return summarise(files, ioErrors);
}

/** The offline report, and the text and spec of every valid agent file (for the online checks). */
export function collect(paths: readonly string[], options: { cwd: string }): { files: FileReport[]; ioErrors: number; sources: Map<string, { text: string; spec: AgentSpec }> } {
  const sources = new Map<string, { text: string; spec: AgentSpec }>();
  const files: FileReport[] = [];
  let ioErrors = 0;
  const seen = new Set<string>();
  const display = (absolute: string) => {
    const rel = relative(options.cwd, absolute);
    return rel && !rel.startsWith('..') ? rel : absolute;
  };
  const ioError = (shown: string, message: string, hint?: string) => {
    ioErrors++;
    files.push({ file: shown, ok: false, diagnostics: [{ file: shown, line: 0, column: 0, severity: 'error', code: 'io-error', path: '', message, ...(hint ? { hint } : {}) }] });
  };
  const projects = projectFolders();
  for (const given of paths) {
    const absolute = resolve(options.cwd, given);
    let found: string[];
    try {
      found = statSync(absolute).isDirectory() ? listAgentFiles(absolute) : [absolute];
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') ioError(given, 'no such file or folder', `paths are relative to ${options.cwd}`);
      else ioError(given, `cannot read: ${(error as Error).message}`);
      continue;
    }
    if (found.length === 0) {
      ioError(given, 'no agent files (*.yaml, *.yml) in this folder or its subfolders', 'pass the folder that holds your agents, e.g. `agents`, or the project folder');
      continue;
    }
    for (const file of found) {
      // `validate agents agents/a.yaml` names a.yaml twice; report it once.
      if (seen.has(file)) continue;
      seen.add(file);
      const shown = display(file);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        ioError(shown, `cannot read: ${(error as Error).message}`);
        continue;
      }
      const kind = fileKind(file, text, projects(dirname(file)));
      if (kind === 'agent') {
        const loaded = loadAgent({ file: shown, text });
        files.push({ file: shown, kind, ok: loaded.ok, ...(loaded.ok ? { agent: loaded.spec.name } : {}), diagnostics: loaded.diagnostics });
        if (loaded.ok) sources.set(shown, { text, spec: loaded.spec });
      } else {
        // Read as `file` (its `agent:` is relative to it), reported as `shown` like every other diagnostic.
        const checked = kind === 'project' ? loadProject({ file, text }) : checkScenarioFile({ file, text, checkAudioFile: recordingProblem });
        files.push({ file: shown, kind, ok: checked.ok, diagnostics: checked.diagnostics.map((d) => ({ ...d, file: shown })) });
      }
    }
  }
  return { files, ioErrors, sources };
}

/** The report over `files`: counts, and `ok`. */
export function summarise(files: readonly FileReport[], ioErrors: number): ValidationReport {
  const read = files.filter((f) => !f.diagnostics.some((d) => d.code === 'io-error'));
  const all = read.flatMap((f) => f.diagnostics);
  const errors = all.filter((d) => d.severity === 'error').length;
  return {
    ok: errors === 0 && ioErrors === 0,
    files,
    summary: { files: read.length, valid: read.filter((f) => f.ok).length, errors, warnings: all.length - errors },
    ioErrors,
  };
}

function listAgentFiles(dir: string): string[] {
  const out: string[] = [];
  // A fixed locale: the order (and so the report) must not depend on the machine's LANG.
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name, 'en'))) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listAgentFiles(full));
    else if (AGENT_FILE.test(entry.name)) out.push(full);
  }
  return out;
}

/** The folders of a project: where its agents and its scenarios live. */
interface ProjectFolders {
  readonly agents: string;
  readonly scenarios: string;
}

/**
 * What a file is, decided in this order: the project file by its name; a file that says `kind: Scenario`; a
 * file in the project's agents folder is an agent (so an agent with a stray `script:` is reported as a broken
 * agent); a file in its scenarios folder is a scenario; elsewhere a top-level `script:` or `agent:`, keys no
 * agent has, makes a scenario, and anything else is an agent.
 */
function fileKind(file: string, text: string, project?: ProjectFolders): FileKind {
  if (basename(file) === PROJECT_FILE) return 'project';
  if (/^kind:\s*["']?Scenario\b/m.test(text)) return 'scenario';
  if (project && inside(file, project.agents)) return 'agent';
  if (project && inside(file, project.scenarios)) return 'scenario';
  return /^(?:script|agent)\s*:/m.test(text) ? 'scenario' : 'agent';
}

/** What a file is (agent, project or scenario), by the same rules `validate` uses; reads the file. */
export function classifyFile(file: string): FileKind {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // Unreadable: loading it as an agent will say so, at its path.
  }
  return fileKind(file, text, projectFolders()(dirname(file)));
}

/** The folders of the project a folder belongs to (nearest `voiceagent.yaml` above), looked up once per folder. */
function projectFolders(): (dir: string) => ProjectFolders | undefined {
  const byDir = new Map<string, ProjectFolders | undefined>();
  const byFile = new Map<string, ProjectFolders>();
  return (dir) => {
    if (byDir.has(dir)) return byDir.get(dir);
    const file = findProjectFile(dir);
    let folders = file ? byFile.get(file) : undefined;
    if (file && !folders) {
      const loaded = loadProject({ file });
      const root = dirname(file);
      // A broken project file is reported on its own; its folders fall back to the defaults meanwhile.
      folders = loaded.ok ? { agents: loaded.dirs.agents, scenarios: loaded.dirs.scenarios } : { agents: join(root, 'agents'), scenarios: join(root, 'scenarios') };
      byFile.set(file, folders);
    }
    byDir.set(dir, folders);
    return folders;
  };
}

function inside(file: string, dir: string): boolean {
  const rel = relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}
