import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The folder holding voiceagent's own package.json (and `schemas/`, `templates/`, `agents/`).
 * Found by walking up from this file so it works from sources (tests) and from `dist/` alike.
 */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === 'voiceagent') return (cached = dir);
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('voiceagent: cannot find its own package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** Reads and parses a JSON file shipped with the package (schemas). */
export function readPackageJson<T>(relativePath: string): T {
  return JSON.parse(readFileSync(join(packageRoot(), relativePath), 'utf8')) as T;
}

/** The installed voiceagent version (from its package.json). */
export function packageVersion(): string {
  return readPackageJson<{ version: string }>('package.json').version;
}
