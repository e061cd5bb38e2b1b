/*
 * The layers of DESIGN.md section 2, enforced: util < dsl < audio < providers < transports < compiler < call <
 * observe/project < sim/server/registry < the public API < cli. A wrong-way import fails here with the file and
 * line, and the checker itself is shown to catch one.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cyclesOf, importsOf, repositoryImports, violationOf } from './import-graph.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('import direction', () => {
  const edges = repositoryImports(ROOT);

  it('reads the real graph (a checker that sees no imports proves nothing)', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges.some((e) => e.from === 'runtime/call/call-controller.ts' && e.to.startsWith('runtime/audio/'))).toBe(true);
  });

  it('every import goes down a layer, or stays in its own', () => {
    expect(edges.map(violationOf).filter(Boolean)).toEqual([]);
  });

  it('no module imports itself through a cycle', () => {
    expect(cyclesOf(edges)).toEqual([]);
  });

  it('flags a wrong-way import with its file and line', () => {
    const exists = () => true;
    const wrong = importsOf('runtime/audio/playout.ts', "import x from './vad.js';\nimport type { CallTransport } from '../transports/types.js';\n", exists);
    expect(wrong.map(violationOf)).toEqual([undefined, expect.stringContaining('runtime/audio/playout.ts:2 imports runtime/transports/types.ts: audio must not import transports')]);
    const fake = importsOf('runtime/sim/run-scenario.ts', "import { createFakeLlm } from '../providers/testing/fake-llm.js';", exists);
    expect(violationOf(fake[0]!)).toContain('not the product path');
    const cli = importsOf('cli/test.ts', "const m = await import('../runtime/sim/index.js');", exists);
    expect(violationOf(cli[0]!)).toContain('public API');
  });

  it('finds a cycle', () => {
    const edge = (from: string, to: string) => ({ from, to, line: 1 });
    expect(cyclesOf([edge('a.ts', 'b.ts'), edge('b.ts', 'c.ts'), edge('c.ts', 'a.ts'), edge('c.ts', 'd.ts')])).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });
});
