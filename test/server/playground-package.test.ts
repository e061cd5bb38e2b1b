/*
 * An installed voiceagent serves the playground too: its files (web/playground/) are in what `npm pack` ships,
 * every file there is one the server serves, and esbuild (which bundles runtime/observe for the browser) is a
 * dependency, not only a dev tool. Asked of npm itself, without building (`--ignore-scripts`), so the checkout's
 * dist/ is left alone.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStaticAssets, playgroundAssetDir } from '../../runtime/server/playground/static-assets.js';
import { ROOT } from './serve-process.js';

function npmPackDryRun(): Promise<string[]> {
  // Without the outer `npm run`'s npm_* variables, so this npm reads only its own config.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  return new Promise((resolve, reject) => {
    execFile('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, env, maxBuffer: 32 * 1024 * 1024 }, (error, stdout) => {
      if (error) return reject(error);
      const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ files: Array<{ path: string }> }>;
      resolve(packed!.files.map((file) => file.path));
    });
  });
}

describe('the playground in the npm package', () => {
  it('ships every file of web/playground, and the server serves each of them', async () => {
    const dir = playgroundAssetDir();
    expect(dir).toBe(join(ROOT, 'web', 'playground'));
    const onDisk = readdirSync(dir).sort();
    const served = [...loadStaticAssets(dir).keys()].sort();
    expect(served).toEqual(onDisk);
    expect(served).toEqual(expect.arrayContaining(['playground.js', 'playground.css', 'call-audio-worklet.js', 'call-client.js']));
    const packed = await npmPackDryRun();
    expect(packed.filter((path) => path.startsWith('web/playground/')).sort()).toEqual(onDisk.map((name) => `web/playground/${name}`));
  }, 60_000);

  it('depends on esbuild (the observe bundle is built where the server runs)', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const installed = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'esbuild', 'package.json'), 'utf8')) as { version: string };
    expect(manifest.dependencies.esbuild).toBe(`^${installed.version}`);
  });
});
