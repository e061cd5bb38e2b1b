/*
 * Every file in test/fixtures/invalid-agents/ is a small broken agent that states, in its leading comments,
 * exactly what `loadAgent` must report:
 *
 *   # expect: LINE:COL CODE: message      one line per diagnostic, in file order
 *   # hint: text                          optional, right after its expect line
 *
 * The positions count the comment lines themselves, so a fixture reads like the editor would show it.
 * Adding a case is adding a file; see README.md in that folder.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadAgent, type DiagnosticCode } from '../../runtime/dsl/index.js';

const FOLDER = fileURLToPath(new URL('../fixtures/invalid-agents/', import.meta.url));

interface Expected {
  line: number;
  column: number;
  code: string;
  message: string;
  hint?: string;
}

/** Reads the `# expect:` / `# hint:` lines from the comment block at the top of a fixture. */
function expectationsOf(text: string, name: string): Expected[] {
  const out: Expected[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('#')) break;
    const expectLine = /^# expect: (\d+):(\d+) ([a-z-]+): (.+)$/.exec(line);
    const hintLine = /^# hint: (.+)$/.exec(line);
    if (expectLine) {
      out.push({ line: Number(expectLine[1]), column: Number(expectLine[2]), code: expectLine[3]!, message: expectLine[4]! });
    } else if (hintLine) {
      const last = out[out.length - 1];
      if (!last || last.hint !== undefined) throw new Error(`${name}: a \`# hint:\` line must follow its \`# expect:\` line`);
      last.hint = hintLine[1]!;
    } else if (/^# (expect|hint)\b/.test(line)) {
      throw new Error(`${name}: malformed expectation line: ${line}`);
    }
  }
  return out;
}

const fixtures = readdirSync(FOLDER)
  .filter((name) => name.endsWith('.yaml'))
  .sort()
  .map((name) => {
    // Labelled as the user would see it from the repository root.
    const file = `test/fixtures/invalid-agents/${name}`;
    const text = readFileSync(FOLDER + name, 'utf8');
    return { name, file, text, expected: expectationsOf(text, name) };
  });

describe('invalid agent fixtures', () => {
  it('has at least 25 fixtures, named NN-what-is-wrong.yaml, each expecting something', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(25);
    for (const { name, expected } of fixtures) {
      expect(name).toMatch(/^\d{2}-[a-z0-9]+(-[a-z0-9]+)*\.yaml$/);
      expect(expected.length, `${name} states no expectation`).toBeGreaterThan(0);
    }
  });

  it('covers every kind of problem a user can write', () => {
    const kinds: DiagnosticCode[] = [
      'yaml-syntax', 'duplicate-key', 'not-a-mapping', 'unknown-key', 'required', 'type', 'enum', 'const', 'range',
      'length', 'pattern', 'format', 'unique', 'reference', 'fallback-cycle', 'missing-voice', 'language', 'mode',
      'threshold-order', 'literal-secret', 'regex', 'conflict',
    ];
    const covered = new Set(fixtures.flatMap((f) => f.expected.map((e) => e.code)));
    expect(kinds.filter((k) => !covered.has(k))).toEqual([]);
  });

  it.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, { file, text, expected }) => {
    const result = loadAgent({ file, text });
    expect(result.ok).toBe(false);
    const actual = result.diagnostics.map((d, i) => ({
      line: d.line,
      column: d.column,
      code: d.code,
      message: d.message,
      // Compare the hint only where the fixture states one.
      ...(expected[i]?.hint !== undefined ? { hint: d.hint } : {}),
    }));
    expect(actual).toEqual(expected);
    for (const d of result.diagnostics) {
      expect(d.file).toBe(file);
      expect(d.severity).toBe('error');
    }
  });
});
