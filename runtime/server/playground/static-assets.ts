import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { packageRoot } from '../../util/package-root.js';

/*
 * The playground's static files (script modules, the audio worklet, the style sheet; the HTML is rendered),
 * read from `web/playground/` of the package. They live outside `runtime/` because `tsc` only carries `.ts`
 * into `dist/`: `web/` ships as it is (package.json `files`), found beside package.json from sources and dist.
 */

/** One static file, ready to send. */
export interface StaticAsset {
  readonly name: string;
  readonly type: string;
  readonly body: string;
}

/** Content types of the kinds of file the playground serves; anything else in the folder is not served. */
const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** A served file name: one path segment, lower case, no dot files, so a `%2F..` in the URL cannot climb out. */
const SAFE_NAME = /^[a-z0-9][a-z0-9-]*\.(js|css)$/;

/** The `web/playground` folder of this package (beside its package.json, from sources and from dist alike). */
export function playgroundAssetDir(): string {
  const dir = join(packageRoot(), 'web', 'playground');
  if (!existsSync(join(dir, 'playground.js'))) throw new Error(`the playground's files are missing from this installation of voiceagent (no ${dir}); reinstall the package`);
  return dir;
}

/**
 * Every servable file of the folder, read once: they are a few tens of kilobytes and never change while the
 * server runs.
 */
export function loadStaticAssets(dir: string = playgroundAssetDir()): ReadonlyMap<string, StaticAsset> {
  const assets = new Map<string, StaticAsset>();
  for (const name of readdirSync(dir).sort()) {
    if (!SAFE_NAME.test(name)) continue;
    assets.set(name, { name, type: TYPES[extname(name)]!, body: readFileSync(join(dir, name), 'utf8') });
  }
  return assets;
}

/** Whether `name` could name a served file at all (checked before any lookup). */
export function isAssetName(name: string): boolean {
  return SAFE_NAME.test(name);
}
