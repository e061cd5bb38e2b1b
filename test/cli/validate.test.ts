import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.js';
import { fakeIO } from './fake-io.js';
import { loadAgent } from '../../runtime/dsl/index.js';
import { scaffoldProject } from '../../runtime/project/scaffold.js';
import type { ValidationReport } from '../../runtime/project/validate-paths.js';
import { useProviderMocks } from '../mocks/provider-mocks.js';

const RECEPTIONIST = fileURLToPath(new URL('../../agents/receptionist.yaml', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/invalid-agents/', import.meta.url));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'voiceagent-validate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function validate(...args: string[]) {
  const io = fakeIO(dir);
  const code = await run(['node', 'voiceagent', 'validate', ...args], io);
  return { code, stdout: io.out(), stderr: io.err() };
}

function write(relative: string, text: string): void {
  mkdirSync(join(dir, relative, '..'), { recursive: true });
  writeFileSync(join(dir, relative), text);
}

describe('voiceagent validate', () => {
  it('exits 0 and says ok for a valid agent', async () => {
    copyFileSync(RECEPTIONIST, join(dir, 'receptionist.yaml'));
    const { code, stdout, stderr } = await validate('receptionist.yaml');
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toBe('receptionist.yaml: ok (agent)\n1 file checked: 1 valid, 0 errors, 0 warnings\n');
  });

  it('checks agents/ in the working folder when no path is given', async () => {
    mkdirSync(join(dir, 'agents'));
    copyFileSync(RECEPTIONIST, join(dir, 'agents', 'receptionist.yaml'));
    const { code, stdout } = await validate();
    expect(code).toBe(0);
    expect(stdout).toContain(`${join('agents', 'receptionist.yaml')}: ok (agent)`);
  });

  it('exits 1 and prints every problem as file:line:col: error: message', async () => {
    const fixture = '40-several-errors.yaml';
    copyFileSync(join(FIXTURES, fixture), join(dir, fixture));
    const { code, stdout, stderr } = await validate(fixture);
    expect(code).toBe(1);
    const expected = loadAgent({ file: fixture, text: readFileSync(join(FIXTURES, fixture), 'utf8') }).diagnostics;
    expect(expected.length).toBeGreaterThan(5);
    const lines = stderr.split('\n').filter((line) => !line.startsWith('  hint: ') && line !== '');
    expect(lines).toEqual(expected.map((d) => `${fixture}:${d.line}:${d.column}: error: ${d.message}`));
    expect(stderr).toContain('  hint: did you mean `silero`?\n');
    expect(stdout).toBe(`${fixture}: ${expected.length} errors (agent)\n1 file checked: 0 valid, ${expected.length} errors, 0 warnings\n`);
  });

  it('reports every invalid fixture and exits 1', async () => {
    const { code, stderr, stdout } = await validate(FIXTURES);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^\d+ files checked: 0 valid, \d+ errors, 0 warnings\n$/m);
    expect(stdout).not.toContain(': ok');
    expect(stdout).not.toMatch(/\((project|scenario)\)$/m);
    for (const name of ['01-yaml-bad-indentation.yaml', '24-fallback-cycle-two.yaml', '62-literal-secret-in-prompt.yaml']) {
      expect(stderr).toMatch(new RegExp(`${name.replace(/\./g, '\\.')}:\\d+:\\d+: error: `));
    }
  });

  it('exits 1 when one file of several is invalid', async () => {
    copyFileSync(RECEPTIONIST, join(dir, 'a.yaml'));
    write('b.yaml', 'apiVersion: voiceagent/v1\n');
    const { code, stdout, stderr } = await validate('a.yaml', 'b.yaml');
    expect(code).toBe(1);
    expect(stdout).toContain('a.yaml: ok (agent)\nb.yaml: 4 errors (agent)\n');
    expect(stderr).toContain('b.yaml:1:1: error: the file is missing the required key `name`\n');
  });

  it('exits 2 on a missing path', async () => {
    const { code, stderr, stdout } = await validate('nope.yaml');
    expect(code).toBe(2);
    expect(stderr).toBe(`nope.yaml: error: no such file or folder\n  hint: paths are relative to ${dir}\n`);
    expect(stdout).toBe('0 files checked: 0 valid, 0 errors, 0 warnings; 1 path could not be read\n');
  });

  it('exits 2 when a path is missing even if other files are invalid', async () => {
    write('bad.yaml', '- a list\n');
    const { code } = await validate('bad.yaml', 'missing');
    expect(code).toBe(2);
  });

  it('exits 2 on a folder with no yaml files', async () => {
    write('empty/README.md', '# nothing here\n');
    const { code, stderr } = await validate('empty');
    expect(code).toBe(2);
    expect(stderr).toContain('empty: error: no agent files (*.yaml, *.yml) in this folder or its subfolders\n');
  });

  it('searches folders recursively, in sorted order, skipping hidden folders and node_modules', async () => {
    write('agents/b.yml', readFileSync(RECEPTIONIST, 'utf8'));
    write('agents/a/deep/nested.yaml', readFileSync(RECEPTIONIST, 'utf8'));
    write('agents/.hidden/skip.yaml', 'not: [valid');
    write('agents/node_modules/skip.yaml', 'not: [valid');
    write('agents/notes.txt', 'not an agent');
    const { code, stdout } = await validate('--json', 'agents');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as ValidationReport;
    expect(report.files.map((f) => f.file)).toEqual([join('agents', 'a', 'deep', 'nested.yaml'), join('agents', 'b.yml')]);
  });

  it('checks a file named twice only once', async () => {
    write('agents/a.yaml', readFileSync(RECEPTIONIST, 'utf8'));
    const { stdout } = await validate('agents', 'agents/a.yaml');
    expect(stdout).toContain('1 file checked');
  });

  it('prints a JSON report with --json', async () => {
    copyFileSync(RECEPTIONIST, join(dir, 'good.yaml'));
    copyFileSync(join(FIXTURES, '24-fallback-cycle-two.yaml'), join(dir, 'bad.yaml'));
    const { code, stdout, stderr } = await validate('--json', 'good.yaml', 'bad.yaml');
    expect(code).toBe(1);
    expect(stderr).toBe('');
    const report = JSON.parse(stdout) as ValidationReport;
    expect(report.ok).toBe(false);
    expect(report.summary).toEqual({ files: 2, valid: 1, errors: 1, warnings: 0 });
    expect(report.files.map((f) => [f.file, f.ok, f.agent])).toEqual([
      ['good.yaml', true, 'receptionist'],
      ['bad.yaml', false, undefined],
    ]);
    expect(report.files[1]!.diagnostics[0]).toMatchObject({ file: 'bad.yaml', line: 15, column: 60, code: 'fallback-cycle', severity: 'error' });
  });

  it('puts unreadable paths in the JSON report too', async () => {
    const { code, stdout } = await validate('--json', 'missing.yaml');
    expect(code).toBe(2);
    const report = JSON.parse(stdout) as ValidationReport;
    expect(report).toMatchObject({ ok: false, ioErrors: 1, summary: { files: 0, valid: 0, errors: 0, warnings: 0 } });
    expect(report.files[0]!.diagnostics[0]).toMatchObject({ code: 'io-error', line: 0, column: 0 });
  });

  it('prints only problems with --quiet', async () => {
    copyFileSync(RECEPTIONIST, join(dir, 'good.yaml'));
    expect(await validate('--quiet', 'good.yaml')).toEqual({ code: 0, stdout: '', stderr: '' });
    write('bad.yaml', 'name: [x\n');
    const bad = await validate('-q', 'bad.yaml');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^bad\.yaml:1:7: error: YAML syntax: /);
  });

  it('mentions every option and the exit codes in --help', async () => {
    const { code, stdout } = await validate('--help');
    expect(code).toBe(0);
    for (const option of ['--json', '-q, --quiet', '--online', '-h, --help', '[paths...]', 'Exit codes: 0']) expect(stdout).toContain(option);
  });

  it('exits 2 on an unknown option', async () => {
    const { code, stderr } = await validate('--jsno');
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option '--jsno'");
  });
});

// A newcomer runs `voiceagent init`, then `voiceagent validate .` in the new folder: the project file and the
// scenarios were reported as broken agents ("missing the required key `name`", "unknown key `script`"). Each
// file must be checked as what it is, and the report must say which.
describe('voiceagent validate . in a project', () => {
  const project = () => scaffoldProject({ dir, template: 'receptionist' });

  it('checks voiceagent.yaml as the project, scenarios as scenarios and the agent as an agent', async () => {
    project();
    const { code, stdout, stderr } = await validate('.');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('voiceagent.yaml: ok (project)\n');
    expect(stdout).toContain(`${join('agents', 'receptionist.yaml')}: ok (agent)\n`);
    expect(stdout).toContain(`${join('scenarios', 'receptionist', 'opening-hours.yaml')}: ok (scenario)\n`);
    const report = JSON.parse((await validate('--json', '.')).stdout) as ValidationReport;
    const kinds = report.files.map((f) => f.kind);
    expect(kinds.filter((k) => k === 'project')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'agent')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'scenario').length).toBeGreaterThan(1);
  });

  it('reports a broken project file against the project schema', async () => {
    project();
    writeFileSync(join(dir, 'voiceagent.yaml'), 'apiVersion: voiceagent/v1\nagents: agents\ndefaultEnvironment: prod\n');
    const { code, stdout, stderr } = await validate('voiceagent.yaml');
    expect(code).toBe(1);
    expect(stderr).toContain('voiceagent.yaml:3:21: error: `defaultEnvironment` names `prod`, which is not in `environments`');
    expect(stderr).not.toContain('required key `name`');
    expect(stdout).toContain('voiceagent.yaml: 1 error (project)\n');
  });

  it('checks a file in the scenarios folder as a scenario even without `kind: Scenario`', async () => {
    project();
    write('scenarios/receptionist/draft.yaml', 'apiVersion: voiceagent/v1\nname: draft\nagent: ../../agents/nobody.yaml\nscript:\n  - say: hi\n');
    const { code, stdout, stderr } = await validate('scenarios');
    expect(code).toBe(1);
    const draft = join('scenarios', 'receptionist', 'draft.yaml');
    expect(stderr).toContain(`${draft}:1:1: error: the file is missing the required key \`kind\``);
    expect(stderr).toMatch(new RegExp(`${draft.replace(/[\\/.]/g, '\\$&')}:3:8: error: agent file not found: .*nobody\\.yaml`));
    expect(stderr).not.toContain('unknown key `script`');
    expect(stdout).toContain(`${draft}: 2 errors (scenario)\n`);
  });

  it('recognises a scenario outside any project by its content', async () => {
    copyFileSync(RECEPTIONIST, join(dir, 'front-desk.yaml'));
    write('call.yaml', 'apiVersion: voiceagent/v1\nkind: Scenario\nname: call\nagent: front-desk.yaml\nscript:\n  - say: hi\n');
    const { code, stdout } = await validate('call.yaml', 'front-desk.yaml');
    expect(code).toBe(0);
    expect(stdout).toBe('call.yaml: ok (scenario)\nfront-desk.yaml: ok (agent)\n2 files checked: 2 valid, 0 errors, 0 warnings\n');
  });

  it('says a step takes exactly one action, at the second action', async () => {
    project();
    write('scenarios/receptionist/two-actions.yaml', 'apiVersion: voiceagent/v1\nkind: Scenario\nname: two-actions\nagent: ../../agents/receptionist.yaml\nscript:\n  - say: hi\n    pauseMs: 500\n');
    const { code, stderr } = await validate('scenarios/receptionist/two-actions.yaml');
    expect(code).toBe(1);
    expect(stderr).toBe(
      `${join('scenarios', 'receptionist', 'two-actions.yaml')}:7:5: error: \`script[0]\` has 2 actions, \`say\` and \`pauseMs\`; a step takes exactly one of say, noise, pauseMs, setNoise, hangup\n` +
        '  hint: split it into one step per action, in the order they should happen\n',
    );
  });
});

describe('voiceagent validate --online', () => {
  const m = useProviderMocks();

  const agent = (voices: string) => `apiVersion: voiceagent/v1
name: online
inference: { mode: cascade }
stt: { provider: openai, model: gpt-4o-mini-transcribe, baseURL: '${m.openai.baseURL}' }
models:
  main: { provider: openai, model: gpt-5.4-nano, baseURL: '${m.openai.baseURL}' }
voice:
  provider: elevenlabs
  baseURL: ${m.elevenlabs.baseURL}
  voices: ${voices}
secrets:
  openai: \${env:OPENAI_API_KEY}
  elevenlabs: \${env:ELEVENLABS_API_KEY}
prompt: { system: Be brief. }
`;

  async function validateOnline(env: Record<string, string>, ...args: string[]) {
    const io = { ...fakeIO(dir), env };
    const code = await run(['node', 'voiceagent', 'validate', '--online', ...args], io);
    return { code, stdout: io.out(), stderr: io.err() };
  }
  const KEYS = { OPENAI_API_KEY: 'sk-test', ELEVENLABS_API_KEY: 'el-key' };

  it('passes when the keys are set and the models and voices exist, with progress on stderr', async () => {
    write('agent.yaml', agent('{ en: voice-a }'));
    const { code, stdout, stderr } = await validateOnline(KEYS, 'agent.yaml');
    expect(m.openai.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/models']);
    expect(code).toBe(0);
    expect(stderr).toBe('checking agent.yaml online (1/1)\n');
    expect(stdout).toBe('agent.yaml: ok (agent)\n1 file checked: 1 valid, 0 errors, 0 warnings\n');
  });

  it('exits 1 and prints a voice the account does not have at its file:line:col', async () => {
    write('agent.yaml', agent('{ en: Alice }'));
    const { code, stdout, stderr } = await validateOnline(KEYS, 'agent.yaml');
    expect(code).toBe(1);
    expect(stderr).toContain('agent.yaml:10:17: error: `voice.voices.en`: `Alice` is not a voice this ElevenLabs key can use\n  hint: `Alice` is the name of the voice `voice-a`: give its id\n');
    expect(stdout).toBe('agent.yaml: 1 error (agent)\n1 file checked: 0 valid, 1 error, 0 warnings\n');
  });

  it('keeps stdout one JSON document with --json, and is silent but for problems with --quiet', async () => {
    write('agent.yaml', agent('{ en: voice-a }'));
    const json = await validateOnline({ OPENAI_API_KEY: 'sk-test' }, '--json', 'agent.yaml');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as ValidationReport;
    expect(report.files[0]!.diagnostics.map((d) => [d.code, d.path, d.line])).toEqual([['missing-secret', 'secrets.elevenlabs', 13]]);
    const quiet = await validateOnline(KEYS, '--quiet', 'agent.yaml');
    expect(quiet).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('runs no online check on a file that fails the offline checks', async () => {
    write('agent.yaml', agent('{ en: voice-a }').replace('mode: cascade', 'mode: cascades'));
    const { code, stderr } = await validateOnline(KEYS, 'agent.yaml');
    expect(code).toBe(1);
    expect(stderr).not.toContain('online');
    expect(stderr).toContain('agent.yaml:3:20: error: `inference.mode` must be one of');
  });
});
