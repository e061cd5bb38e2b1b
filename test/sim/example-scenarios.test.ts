/*
 * `npx voiceagent test` on a fresh clone runs these: every example scenario of every example agent, offline.
 * Each must pass, so the README's first command keeps working, and the templates ship the same scenarios.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findScenarioFiles, loadScenario, runScenario } from '../../runtime/sim/index.js';

const ROOT = join(import.meta.dirname, '../..');
const files = findScenarioFiles([], ROOT);

describe('example scenarios', () => {
  it('cover every example agent', () => {
    const agents = readdirSync(join(ROOT, 'agents')).map((f) => f.replace(/\.yaml$/, ''));
    for (const agent of agents) expect(files.some((f) => f.includes(`/scenarios/${agent}/`))).toBe(true);
  });

  for (const file of files) {
    it(`passes: ${file.slice(ROOT.length + 1)}`, async () => {
      const loaded = loadScenario({ file });
      expect(loaded.diagnostics).toEqual([]);
      if (!loaded.ok) return;
      const result = await runScenario(loaded.scenario);
      const failed = result.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`);
      expect(failed).toEqual([]);
      expect(result.measurements.falseBargeIns).toBe(0);
    });
  }

  it('are the ones the templates ship', () => {
    for (const file of files) {
      const relative = file.slice(join(ROOT, 'scenarios').length + 1);
      const agent = relative.split('/')[0]!;
      expect(readFileSync(join(ROOT, 'templates', agent, 'scenarios', relative), 'utf8')).toBe(readFileSync(file, 'utf8'));
    }
  });

  it('find the recordings they play in the templates too, byte for byte, with where each came from', () => {
    for (const file of files) {
      const relative = file.slice(join(ROOT, 'scenarios').length + 1);
      const agent = relative.split('/')[0]!;
      const played = [...readFileSync(file, 'utf8').matchAll(/\.\.\/recordings\/([\w.-]+\.wav)/g)].map((m) => m[1]!);
      for (const name of played) {
        const shipped = join(ROOT, 'templates', agent, 'scenarios', 'recordings', name);
        expect(existsSync(shipped), `${relative} plays ${name}: copy scenarios/recordings/${name} to templates/${agent}/scenarios/recordings/`).toBe(true);
        expect(readFileSync(shipped).equals(readFileSync(join(ROOT, 'scenarios', 'recordings', name))), name).toBe(true);
        expect(readFileSync(join(ROOT, 'templates', agent, 'scenarios', 'recordings', 'NOTICE.md'), 'utf8')).toContain(`\`${name}\``);
      }
    }
  });
});
