import { basename } from 'node:path';
import { packageVersion } from '../util/package-root.js';

/** The file `voiceagent init` writes so that `npm install` brings in the CLI; never overwritten once it exists. */
export const PACKAGE_MANIFEST = 'package.json';

/**
 * The version range a new project depends on: a caret on the running voiceagent's version (`^0.1.0`), so the
 * project gets fixes but not the next breaking release, and what it was scaffolded with still validates.
 */
export function voiceagentRange(): string {
  return `^${packageVersion()}`;
}

/**
 * The `package.json` of a scaffolded project: private (an agent project is not published), ESM, voiceagent as a
 * dev dependency, and `validate`/`test` scripts, so `npm install && npx voiceagent validate .` works in it.
 */
export function projectPackageJson(dir: string, agentName: string): string {
  const manifest = {
    name: packageName(dir, agentName),
    private: true,
    type: 'module',
    scripts: {
      validate: 'voiceagent validate .',
      test: 'voiceagent test',
    },
    devDependencies: {
      voiceagent: voiceagentRange(),
    },
  };
  return JSON.stringify(manifest, null, 2) + '\n';
}

/**
 * The folder's name as an npm package name (lower-case, URL-safe). Never `voiceagent` itself: npm refuses to
 * install a package into a project of the same name.
 */
function packageName(dir: string, agentName: string): string {
  const slug = basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, '-')
    .slice(0, 214)
    .replace(/^[._-]+|-+$/g, '');
  const name = slug || `${agentName}-project`;
  return name === 'voiceagent' ? 'voiceagent-project' : name;
}
