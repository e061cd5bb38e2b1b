// The README's annotated agent is the first YAML most people copy; it must stay a valid agent, and the
// reference pages it links to must exist.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadAgent } from '../../runtime/dsl/index.js';
import { packageRoot } from '../../runtime/util/package-root.js';

const root = packageRoot();
const readme = readFileSync(join(root, 'README.md'), 'utf8');

describe('README', () => {
  it('shows an annotated agent that validates', () => {
    const example = /```yaml\n(# yaml-language-server[^\n]*\napiVersion:[\s\S]*?)```/.exec(readme)?.[1];
    expect(example, 'README.md should contain a ```yaml agent example').toBeDefined();
    const loaded = loadAgent({ file: 'README.md#example', text: example ?? '' });
    expect(loaded.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(loaded.ok).toBe(true);
  });

  it('links only to files that exist', () => {
    const links = [...readme.matchAll(/\]\(((?:docs|agents|schemas)\/[^)#]*)\)/g)].map((m) => m[1] ?? '');
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((l) => !existsSync(join(root, l)))).toEqual([]);
  });

  it('gives the set-up commands exactly', () => {
    expect(readme).toContain('npm install && npx voiceagent test');
    expect(readme).toContain('npm test');
  });
});
