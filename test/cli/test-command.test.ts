/*
 * `voiceagent test` as a user runs it: scenario files in, a readable report and an exit code out, plus the
 * machine-readable outputs CI needs (--json, --junit) and recordings (--record). A scenario whose expectation
 * cannot hold must fail with a report that says what was measured.
 */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../cli/main.js';

const ROOT = join(import.meta.dirname, '../..');
const OPENING = join(ROOT, 'scenarios/receptionist/opening-hours.yaml');

async function voiceagent(args: string[], cwd = ROOT) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd, env: {} };
  const code = await run(['node', 'voiceagent', 'test', ...args], io);
  return { code, stdout, stderr };
}

function scenarioCopy(mutate: (text: string) => string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'va-test-'));
  const file = join(dir, 'opening.yaml');
  writeFileSync(file, mutate(readFileSync(OPENING, 'utf8').replace('../../agents/receptionist.yaml', join(ROOT, 'agents/receptionist.yaml'))));
  return { dir, file };
}

describe('voiceagent test', () => {
  it('runs a scenario offline and passes', async () => {
    const { code, stdout } = await voiceagent([OPENING]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^PASS {2}opening-hours/m);
    expect(stdout).toMatch(/turns \(ms\)/);
    expect(stdout).toMatch(/^1 passed, 0 failed/m);
  });

  it('fails with a clear report when an expectation cannot hold', async () => {
    const { file } = scenarioCopy((t) => t.replace('transcriptContains: [Saturday mornings]', 'transcriptContains: [we are closed forever]').replace('latencyP95Ms: 1500', 'latencyP95Ms: 1'));
    const { code, stdout } = await voiceagent([file]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^FAIL {2}opening-hours/m);
    expect(stdout).toMatch(/✗ agent says "we are closed forever" {2}— agent said: .*Saturday mornings/);
    expect(stdout).toMatch(/✗ response latency p95 <= 1 ms {2}— latencies \(end of caller speech -> agent audio heard\): \d+/);
    expect(stdout).toMatch(/✓ responds in en/);
    expect(stdout).toMatch(/^0 passed, 1 failed/m);
  });

  it('writes --json, --junit and --record outputs', async () => {
    const { dir } = scenarioCopy((t) => t);
    const junit = join(dir, 'report.xml');
    const recordings = join(dir, 'rec');
    const { code, stdout } = await voiceagent([OPENING, '--json', '--junit', junit, '--record', recordings]);
    expect(code).toBe(0);
    const results = JSON.parse(stdout) as Array<{ name: string; passed: boolean; checks: unknown[]; record: { turns: unknown[] } }>;
    expect(results[0]).toMatchObject({ name: 'opening-hours', passed: true });
    expect(results[0]!.record.turns.length).toBe(2);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('<testsuite name="voiceagent" tests="1" failures="0"');
    expect(xml).toContain('name="opening-hours"');
    const wav = readFileSync(join(recordings, 'opening-hours.wav'));
    expect(wav.subarray(0, 4).toString()).toBe('RIFF');
    expect(wav.readUInt16LE(22)).toBe(2); // stereo: caller left, agent right
    expect(wav.readUInt32LE(24)).toBe(8000);
    expect(wav.length).toBeGreaterThan(8000 * 2 * 2 * 10); // over 10 s of call
    expect(JSON.parse(readFileSync(join(recordings, 'opening-hours.json'), 'utf8'))).toHaveProperty('transcript');
  });

  it('reports an invalid scenario with file:line:col and exits 1', async () => {
    const { file } = scenarioCopy((t) => t.replace('caller: { language: en }', 'caller: { langauge: en }'));
    const { code, stderr, stdout } = await voiceagent([file]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/opening\.yaml:\d+:\d+: error: unknown key `langauge` in `caller`/);
    expect(stderr).toContain('did you mean `language`?');
    expect(stdout).toContain('1 scenario file(s) could not be run');
  });

  it('exits 2 when there is nothing to run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'va-empty-'));
    const { code, stderr } = await voiceagent([], dir);
    expect(code).toBe(2);
    expect(stderr).toMatch(/no scenario files found/);
    expect(existsSync(join(dir, 'report.xml'))).toBe(false);
  });

  it('--help describes every option', async () => {
    let stdout = '';
    const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => {} }, cwd: ROOT, env: {} };
    await run(['node', 'voiceagent', 'test', '--help'], io);
    for (const option of ['--agent', '--json', '--junit', '--realtime', '--record']) expect(stdout).toContain(option);
  });
});
