/*
 * Which agent files `voiceagent deploy [agents...]` means: each argument is a file, a folder, or an agent's
 * name (found in the project's agents folder, so `deploy receptionist` works from anywhere in the project);
 * no argument means every agent of the project.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadAgent } from '../dsl/load-agent.js';
import { findAgentFiles } from '../server/agent-catalog.js';
import { didYouMean } from '../util/did-you-mean.js';

/** An argument names neither a file or folder nor an agent of the project. */
export class DeployFilesError extends Error {
  override readonly name = 'DeployFilesError';
}

/**
 * Absolute agent file paths for `args` (files, folders or agent names), relative to `cwd`.
 * @throws DeployFilesError saying which argument matched nothing.
 */
export function findDeployFiles(args: readonly string[], cwd: string): string[] {
  const files: string[] = [];
  const add = (paths: readonly string[]) => {
    for (const p of paths) if (!files.includes(p)) files.push(p);
  };
  try {
    if (args.length === 0) add(findAgentFiles([], cwd));
    for (const arg of args) {
      if (existsSync(resolve(cwd, arg))) {
        add(findAgentFiles([arg], cwd));
        continue;
      }
      const byName = new Map<string, string>();
      for (const file of findAgentFiles([], cwd)) {
        const loaded = loadAgent({ file });
        if (loaded.ok) byName.set(loaded.spec.name, file);
      }
      const file = byName.get(arg);
      if (!file) {
        const guess = didYouMean(arg, byName.keys());
        throw new DeployFilesError(`no agent file or agent named ${JSON.stringify(arg)}${guess ? `; did you mean ${guess}?` : byName.size ? ` (agents: ${[...byName.keys()].join(', ')})` : ''}`);
      }
      add([file]);
    }
  } catch (error) {
    if (error instanceof DeployFilesError) throw error;
    throw new DeployFilesError((error as Error).message);
  }
  if (files.length === 0) throw new DeployFilesError(`no agent files to deploy under ${cwd}: give agent files, or run in a project with agents`);
  return files;
}
