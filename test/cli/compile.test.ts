import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.js';
import { fakeIO } from './fake-io.js';
import { compileAgent, toMermaid, type CompiledAgent } from '../../runtime/compiler/index.js';
import { loadAgent } from '../../runtime/dsl/index.js';
import { lintMermaid } from '../compiler/mermaid-lint.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const AGENT_FILES = readdirSync(join(ROOT, 'agents'))
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const FIXTURES = join(ROOT, 'test', 'fixtures', 'invalid-agents');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'voiceagent-compile-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function compile(cwd: string, ...args: string[]) {
  const io = fakeIO(cwd);
  const code = await run(['node', 'voiceagent', 'compile', ...args], io);
  return { code, stdout: io.out(), stderr: io.err() };
}

/** What the command must print for an agent file: the programmatic API's output. */
function expected(file: string): CompiledAgent {
  const loaded = loadAgent({ file });
  if (!loaded.ok) throw new Error(`${file} does not load`);
  return compileAgent(loaded.spec, { sourceHash: loaded.sourceHash });
}

describe.each(AGENT_FILES)('voiceagent compile agents/%s', (file) => {
  const agentPath = join('agents', file);

  it('prints the compiled JSON on stdout by default', async () => {
    const { code, stdout, stderr } = await compile(ROOT, agentPath);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout.endsWith('}\n')).toBe(true);
    expect(JSON.parse(stdout)).toEqual(expected(join(ROOT, agentPath)));
    expect((await compile(ROOT, agentPath, '--format', 'json')).stdout).toBe(stdout);
  });

  it('prints a Mermaid state diagram with --format mermaid', async () => {
    const { code, stdout, stderr } = await compile(ROOT, agentPath, '--format', 'mermaid');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toBe(toMermaid(expected(join(ROOT, agentPath)).machine));
    expect(lintMermaid(stdout).problems).toEqual([]);
    expect((await compile(ROOT, agentPath, '-f', 'mermaid')).stdout).toBe(stdout);
  });

  it('writes either format to --out, relative to the working folder', async () => {
    copyFileSync(join(ROOT, agentPath), join(dir, file));
    const json = await compile(dir, file, '--out', 'chart.json');
    expect(json).toEqual({ code: 0, stdout: '', stderr: 'wrote chart.json (json)\n' });
    expect(JSON.parse(readFileSync(join(dir, 'chart.json'), 'utf8'))).toEqual(expected(join(dir, file)));

    const mermaid = await compile(dir, file, '-f', 'mermaid', '-o', join(dir, 'chart.mmd'));
    expect(mermaid).toEqual({ code: 0, stdout: '', stderr: `wrote ${join(dir, 'chart.mmd')} (mermaid)\n` });
    expect(readFileSync(join(dir, 'chart.mmd'), 'utf8')).toBe(toMermaid(expected(join(dir, file)).machine));
  });
});

describe('voiceagent compile errors', () => {
  it('exits 1 and prints every problem of an invalid agent as file:line:col, writing nothing', async () => {
    const fixture = '40-several-errors.yaml';
    copyFileSync(join(FIXTURES, fixture), join(dir, fixture));
    const { code, stdout, stderr } = await compile(dir, fixture, '--out', 'chart.json');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const diagnostics = loadAgent({ file: fixture, text: readFileSync(join(FIXTURES, fixture), 'utf8') }).diagnostics;
    expect(diagnostics.length).toBeGreaterThan(5);
    const lines = stderr.split('\n').filter((line) => line !== '' && !line.startsWith('  hint: '));
    expect(lines).toEqual(diagnostics.map((d) => `${fixture}:${d.line}:${d.column}: error: ${d.message}`));
    expect(existsSync(join(dir, 'chart.json'))).toBe(false);
  });

  it('exits 1 on a YAML syntax error with its position', async () => {
    const fixture = '02-yaml-unclosed-bracket.yaml';
    copyFileSync(join(FIXTURES, fixture), join(dir, fixture));
    const { code, stderr } = await compile(dir, fixture);
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`^${fixture.replace(/\./g, '\\.')}:\\d+:\\d+: error: `));
  });

  it('exits 2 with a message naming a missing agent file', async () => {
    const { code, stdout, stderr } = await compile(dir, 'nope.yaml');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^voiceagent: cannot read agent file nope\.yaml\b.*\n$/s);
  });

  it('exits 2 on an unknown --format, listing the formats', async () => {
    const { code, stdout, stderr } = await compile(ROOT, join('agents', 'receptionist.yaml'), '--format', 'yaml');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain("argument 'yaml' is invalid. Allowed choices are json, mermaid.");
  });

  it('exits 2 when --out cannot be written', async () => {
    const { code, stderr } = await compile(ROOT, join('agents', 'receptionist.yaml'), '--out', join(dir, 'missing-folder', 'chart.json'));
    expect(code).toBe(2);
    expect(stderr).toMatch(/^voiceagent: cannot write .*chart\.json: /);
  });

  it('exits 2 without an agent argument', async () => {
    const { code, stderr } = await compile(dir);
    expect(code).toBe(2);
    expect(stderr).toContain("missing required argument 'agent'");
  });

  it('lists its options, the formats and the exit codes in --help', async () => {
    const { code, stdout } = await compile(dir, '--help');
    expect(code).toBe(0);
    for (const text of ['<agent>', '-f, --format <format>', '"json", "mermaid"', '-o, --out <file>', '-h, --help', 'stately.ai/viz', 'Exit codes: 0']) {
      expect(stdout).toContain(text);
    }
    // Commander wraps the option help at 80 columns.
    expect(stdout).toMatch(/default:\s+"json"/);
  });
});
