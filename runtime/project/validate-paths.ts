import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { loadAgent, type AgentSpec, type Diagnostic } from '../dsl/index.js';

/** The result of checking one agent file. */
export interface FileReport {
  /** Path as shown to the user (relative to the working folder when inside it). */
  readonly file: string;
  readonly ok: boolean;
  /** Agent `name` when the file was valid. */
  readonly agent?: string;
  readonly diagnostics: readonly Diagnostic[];
}

/** The result of `voiceagent validate`, also its `--json` output. */
export interface ValidationReport {
  readonly ok: boolean;
  /** One entry per agent file, plus one per path that could not be read (with its `io-error` diagnostic). */
  readonly files: readonly FileReport[];
  /** Counts over the agent files that were read; unreadable paths are counted in `ioErrors` only. */
  readonly summary: { readonly files: number; readonly valid: number; readonly errors: number; readonly warnings: number };
  /** Paths that could not be read (missing, unreadable, or a folder without agent files). */
  readonly ioErrors: number;
}

const AGENT_FILE = /\.ya?ml$/i;

/**
 * Validates agent files and folders (searched recursively for `*.yaml`/`*.yml`, in sorted order).
 * Never throws: unreadable paths become `io-error` diagnostics.
 */
export function validatePaths(paths: readonly string[], options: { cwd: string }): ValidationReport {
  const { files, ioErrors } = collect(paths, options);
  return summarise(files, ioErrors);
}

/** The offline report, and the text and spec of every valid file (for the online checks). */
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
      ioError(given, 'no agent files (*.yaml, *.yml) in this folder or its subfolders', 'pass the folder that holds your agents, e.g. `agents`');
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
      const loaded = loadAgent({ file: shown, text });
      files.push({ file: shown, ok: loaded.ok, ...(loaded.ok ? { agent: loaded.spec.name } : {}), diagnostics: loaded.diagnostics });
      if (loaded.ok) sources.set(shown, { text, spec: loaded.spec });
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
