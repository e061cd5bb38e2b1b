// The example agents in agents/ are what people read first and what `voiceagent init` scaffolds: they must
// validate, and the template copies must not drift from them. Their scenarios are held to the scenario schema,
// and the schema itself must reject the mistakes people will make when writing scripts.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAgent } from '../../runtime/dsl/index.js';
import { checkAgainstSchema } from '../../runtime/dsl/schema-check.js';
import { parseYamlSource } from '../../runtime/dsl/yaml-source.js';
import { loadProject } from '../../runtime/project/load-project.js';
import { listTemplates, scaffoldProject } from '../../runtime/project/scaffold.js';
import { validatePaths } from '../../runtime/project/validate-paths.js';
import { packageRoot } from '../../runtime/util/package-root.js';

const root = packageRoot();
const templates = listTemplates();

describe('agents/', () => {
  it('every example agent validates with no diagnostics at all', () => {
    const report = validatePaths(['agents'], { cwd: root });
    expect(report.files.flatMap((f) => f.diagnostics)).toEqual([]);
    expect(report.files.map((f) => f.agent).sort()).toEqual(expect.arrayContaining(['dispatch', 'multilingual', 'receptionist']));
  });

  it('has the modes and features each example is there to show', () => {
    const spec = (name: string) => {
      const result = loadAgent({ file: join(root, 'agents', `${name}.yaml`) });
      if (!result.ok) throw new Error(`${name} does not load`);
      return result.spec;
    };
    const receptionist = spec('receptionist');
    expect(receptionist.inference.mode).toBe('dualplex');
    expect(receptionist.voice.provider).toBe('elevenlabs');
    expect(receptionist.languages.supported).toEqual(['en']);

    const dispatch = spec('dispatch');
    expect(dispatch.inference.mode).toBe('cascade');
    expect(Object.values(dispatch.models).some((m) => m.fallback !== undefined)).toBe(true);
    expect(dispatch.bargeIn.pauseAfterMs).toBeLessThan(80);
    expect(dispatch.bargeIn.confirm.minSpeechMs).toBeLessThan(250);
    expect(dispatch.bargeIn.cut.at).toBe('immediate');
    expect(dispatch.bargeIn.interruptPhrases.length).toBeGreaterThan(3);

    const multilingual = spec('multilingual');
    expect([...multilingual.languages.supported].sort()).toEqual(['en', 'fr', 'zh']);
    expect(multilingual.languages.switching.enabled).toBe(true);
    for (const language of ['en', 'fr', 'zh']) {
      expect(multilingual.voice.voices[language], `voice for ${language}`).toBeDefined();
      expect(multilingual.prompt.instructions[language], `instructions for ${language}`).toBeDefined();
      expect((multilingual.offline.default as Record<string, string>)[language], `offline default for ${language}`).toBeDefined();
    }
  });

  it('keeps every key as an ${env:...} reference and every agent with scripted offline replies', () => {
    for (const file of readdirSync(join(root, 'agents')).filter((f) => f.endsWith('.yaml'))) {
      const result = loadAgent({ file: join(root, 'agents', file) });
      expect(result.ok, file).toBe(true);
      if (!result.ok) continue;
      expect(Object.values(result.spec.secrets).every((v) => /^\$\{env:[A-Z_]+\}$/.test(v)), file).toBe(true);
      expect(result.spec.offline.replies.length, `${file}: offline replies`).toBeGreaterThanOrEqual(3);
      expect(result.spec.offline.replies.some((r) => r.hangup), `${file}: an offline reply that ends the call`).toBe(true);
    }
  });
});

describe.each(templates.map((t) => t.name))('templates/%s', (name) => {
  const dir = join(root, 'templates', name);

  it('has a project file, a gitignore, one agent and at least one scenario', () => {
    for (const file of ['voiceagent.yaml', 'gitignore', `agents/${name}.yaml`]) expect(existsSync(join(dir, file)), file).toBe(true);
    expect(readdirSync(join(dir, 'agents'))).toEqual([`${name}.yaml`]);
    expect(readdirSync(join(dir, 'scenarios', name)).filter((f) => f.endsWith('.yaml')).length).toBeGreaterThan(0);
    // npm strips `.gitignore` from packages; templates must store it without the dot (scaffold restores it).
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('scaffolds the same agent file as agents/ (edit agents/ and copy it over)', () => {
    const template = readFileSync(join(dir, 'agents', `${name}.yaml`), 'utf8');
    const example = readFileSync(join(root, 'agents', `${name}.yaml`), 'utf8');
    expect(template).toBe(example);
  });

  it('has a valid project file', () => {
    const result = loadProject({ file: join(dir, 'voiceagent.yaml') });
    expect(result.diagnostics).toEqual([]);
  });

  it('scaffolds a project that `validate .` accepts, each file checked as what it is', () => {
    const target = mkdtempSync(join(tmpdir(), 'voiceagent-template-'));
    try {
      scaffoldProject({ dir: target, template: name });
      const report = validatePaths(['.'], { cwd: target });
      expect(report.files.flatMap((f) => f.diagnostics)).toEqual([]);
      const kindOf = new Map(report.files.map((f) => [f.file, f.kind]));
      expect(kindOf.get('voiceagent.yaml')).toBe('project');
      expect(kindOf.get(join('agents', `${name}.yaml`))).toBe('agent');
      const scenarios = readdirSync(join(dir, 'scenarios', name)).filter((f) => f.endsWith('.yaml'));
      for (const file of scenarios) expect(kindOf.get(join('scenarios', name, file)), file).toBe('scenario');
      expect(report.files).toHaveLength(2 + scenarios.length);
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });

  it('has scenarios that match the scenario schema and name an existing agent', () => {
    const scenarios = join(dir, 'scenarios', name);
    for (const file of readdirSync(scenarios).filter((f) => f.endsWith('.yaml'))) {
      const path = join(scenarios, file);
      const source = parseYamlSource(readFileSync(path, 'utf8'), path);
      expect(source.diagnostics, file).toEqual([]);
      expect(checkAgainstSchema('scenario', source.data, source), file).toEqual([]);
      const data = source.data as { name: string; agent: string };
      expect(data.name, `${file}: name matches the file name`).toBe(file.replace(/\.yaml$/, ''));
      expect(existsSync(join(scenarios, data.agent)), `${file}: ${data.agent}`).toBe(true);
    }
  });
});

describe('recordings in templates', () => {
  it('are scaffolded byte for byte (a WAV read as text would be mangled), beside the renamed scenarios that play them', () => {
    const source = join(root, 'templates', 'receptionist', 'scenarios', 'recordings');
    const target = mkdtempSync(join(tmpdir(), 'voiceagent-recordings-'));
    try {
      scaffoldProject({ dir: target, template: 'receptionist', agentName: 'front-desk' });
      const wavs = readdirSync(source).filter((f) => f.endsWith('.wav'));
      expect(wavs.length).toBeGreaterThan(0);
      for (const wav of wavs) expect(readFileSync(join(target, 'scenarios', 'recordings', wav)).equals(readFileSync(join(source, wav))), wav).toBe(true);
      expect(readFileSync(join(target, 'scenarios', 'front-desk', 'real-voice-in-an-office.yaml'), 'utf8')).toContain('audio: ../recordings/jfk.wav');
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });
});

describe('scenario schema', () => {
  const check = (yaml: string) => {
    const source = parseYamlSource(yaml, 's.yaml');
    return { source, diagnostics: checkAgainstSchema('scenario', source.data, source) };
  };
  const header = 'apiVersion: voiceagent/v1\nkind: Scenario\nname: s\nagent: ../../agents/a.yaml\n';

  it('fills in timing and channel defaults', () => {
    const { source, diagnostics } = check(`${header}script:\n  - say: hello\n  - say: wait\n    when: { agentSpeaking: true }\n`);
    expect(diagnostics).toEqual([]);
    const data = source.data as { script: { when: Record<string, unknown> }[]; channel: Record<string, unknown> };
    expect(data.script[0]?.when).toMatchObject({ agentSpeaking: false, gapMs: 300 });
    expect(data.script[1]?.when).toMatchObject({ agentSpeaking: true, sentence: 1, afterMs: 500 });
    expect(data.channel).toEqual({ codec: 'pcmu', packetLossPct: 0 });
  });

  it('requires exactly one action per step, and says so once, where the second action is', () => {
    const rule = 'a step takes exactly one of say, noise, pauseMs, setNoise, hangup';
    // ajv alone said "`script[0]` is missing the required key `noise`" here: true of one branch, useless to a reader.
    expect(check(`${header}script:\n  - say: hi\n    pauseMs: 500\n`).diagnostics).toEqual([
      expect.objectContaining({ line: 7, column: 5, code: 'conflict', path: 'script[0]', message: `\`script[0]\` has 2 actions, \`say\` and \`pauseMs\`; ${rule}` }),
    ]);
    expect(check(`${header}script:\n  - say: hi\n    hangup: true\n`).diagnostics).toEqual([expect.objectContaining({ line: 7, column: 5, message: expect.stringContaining(rule) })]);
    expect(check(`${header}script:\n  - when: { agentSpeaking: true }\n`).diagnostics).toEqual([
      expect.objectContaining({ line: 6, column: 5, code: 'required', message: `\`script[0]\` has no action; ${rule}` }),
    ]);
    expect(check(`${header}script:\n  - pauseMs: 500\n    language: fr\n`).diagnostics).toEqual([
      expect.objectContaining({ line: 7, column: 5, message: '`script[0].language` goes only with `say`, which `script[0]` does not have' }),
    ]);
  });

  it('rejects unknown keys with a did-you-mean and out-of-range values', () => {
    const typo = check(`${header}script:\n  - sya: hi\n`).diagnostics;
    // Only the typo: a "no action" on top would send the reader looking for a missing line.
    expect(typo).toEqual([expect.objectContaining({ code: 'unknown-key', line: 6, hint: 'did you mean `say`?' })]);
    const range = check(`${header}channel: { packetLossPct: 80, noise: { type: brown } }\nscript:\n  - say: hi\n`).diagnostics;
    expect(range.map((d) => d.code).sort()).toEqual(['enum', 'range']);
  });
});
