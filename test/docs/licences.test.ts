// A newcomer checking whether they may use voiceagent found "Apache-2.0" in the README and package.json but no
// LICENSE file, no repository to go to, and a GPL-3.0 dependency (the offline voice) mentioned in passing. The
// package must carry its licence text, and the README must say plainly what is GPL-3.0 and how it is used:
// claims that these tests hold to the code and to the installed package.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../runtime/util/package-root.js';

const root = packageRoot();
const ESPEAK = '@echogarden/espeak-ng-emscripten';
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  license: string;
  repository?: unknown;
  dependencies: Record<string, string>;
};

/** Every `.ts` file under `dir`, relative to the package root. */
function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => relative(root, join(root, dir, file)));
}

describe('licence', () => {
  it('ships the Apache-2.0 text that package.json and the README name, with our copyright line', () => {
    const licence = readFileSync(join(root, 'LICENSE'), 'utf8');
    expect(manifest.license).toBe('Apache-2.0');
    expect(licence.trimStart()).toMatch(/^Apache License\s+Version 2\.0, January 2004\s+http:\/\/www\.apache\.org\/licenses\//);
    expect(licence).toContain('TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION');
    expect(licence).toContain('END OF TERMS AND CONDITIONS');
    expect(licence).toContain('Copyright 2026 The voiceagent authors');
    expect(licence).not.toContain('[yyyy]');
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain('[LICENSE](LICENSE)');
  });

  it('names the repository in package.json', () => {
    expect(manifest.repository).toEqual({ type: 'git', url: 'git+https://github.com/voiceagent-dev/voiceagent.git' });
  });
});

describe('the GPL-3.0 offline voice', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = /^## Licences\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(readme)?.[1] ?? '';

  it('is described in the README with the licence the installed package declares', () => {
    const installed = JSON.parse(readFileSync(join(root, 'node_modules', ESPEAK, 'package.json'), 'utf8')) as { license: string };
    expect(manifest.dependencies[ESPEAK]).toBeDefined();
    expect(section).toContain(ESPEAK);
    expect(section).toContain(`**${installed.license}**`);
    expect(section).toMatch(/redistribute/);
    expect(section).toMatch(/hosted voice/);
  });

  it('is the only direct dependency without a permissive licence, as the README says', () => {
    const permissive = ['MIT', 'ISC', 'BSD-3-Clause', 'Apache-2.0'];
    const licenceOf = (name: string) => (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { license: string }).license;
    const others = Object.keys(manifest.dependencies).filter((name) => name !== ESPEAK && !permissive.includes(licenceOf(name)));
    expect(others).toEqual([]);
    expect(section).toContain(permissive.join(', '));
  });

  it('is loaded only by a dynamic import, as the README says: no static import anywhere in runtime/ or cli/', () => {
    const files = [...sources('runtime'), ...sources('cli')];
    const importers = files.filter((file) => readFileSync(join(root, file), 'utf8').includes(`'${ESPEAK}'`));
    expect(importers.length).toBeGreaterThan(0);
    for (const file of importers) {
      const text = readFileSync(join(root, file), 'utf8');
      const lines = text.split('\n').filter((line) => line.includes(`'${ESPEAK}'`));
      // Types (erased at build) and its own type declarations are fine; a value import would load it with every command.
      for (const line of lines) expect(line, file).toMatch(/^import type |await import\(|^declare module /);
    }
    expect(section).toMatch(/dynamic `import\(\)`/);
  });
});
