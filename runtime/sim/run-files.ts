import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Diagnostic } from '../dsl/index.js';
import { findProjectFile, loadProject } from '../project/load-project.js';
import { runScenario, type RunOptions, type ScenarioResult } from './run-scenario.js';
import { loadScenario } from './scenario.js';

/** One scenario file's outcome: a result, or why it could not run. */
export interface ScenarioRunEntry {
  readonly file: string;
  readonly result?: ScenarioResult;
  readonly diagnostics?: readonly Diagnostic[];
  readonly error?: string;
}

/**
 * Scenario files to run: the given files and folders (searched recursively for *.yaml), or by default the
 * project's `scenarios` folder (from voiceagent.yaml) or ./scenarios. Sorted, so runs are reproducible.
 */
export function findScenarioFiles(paths: readonly string[], cwd: string): string[] {
  let roots = paths.map((p) => resolve(cwd, p));
  if (roots.length === 0) {
    const projectFile = findProjectFile(cwd);
    const project = projectFile ? loadProject({ file: projectFile }) : undefined;
    roots = [project?.ok ? project.dirs.scenarios : resolve(cwd, 'scenarios')];
  }
  const out: string[] = [];
  const walk = (path: string) => {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      return;
    }
    if (stat.isFile()) {
      out.push(path);
      return;
    }
    for (const name of readdirSync(path).sort()) {
      if (name.startsWith('.') || name === 'node_modules') continue;
      const child = join(path, name);
      if (statSync(child).isDirectory()) walk(child);
      else if (/\.ya?ml$/i.test(name)) out.push(child);
    }
  };
  for (const root of roots) walk(root);
  return [...new Set(out)];
}

/** Runs scenario files one after another, yielding each outcome as soon as it is known (for progress). */
export async function* runScenarioFiles(files: readonly string[], options: RunOptions & { readonly cwd: string; readonly agent?: string }): AsyncGenerator<ScenarioRunEntry> {
  for (const absolute of files) {
    const file = relative(options.cwd, absolute) || absolute;
    const loaded = loadScenario({ file: absolute, ...(options.agent ? { agentOverride: options.agent } : {}) });
    if (!loaded.ok) {
      yield { file, diagnostics: loaded.diagnostics.map((d) => ({ ...d, file })) };
      continue;
    }
    try {
      yield { file, result: await runScenario({ ...loaded.scenario, file }, options) };
    } catch (error) {
      yield { file, error: (error as Error).message };
    }
  }
}
