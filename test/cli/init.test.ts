// `voiceagent init` must give a new user a project that is valid as written, and must never destroy work:
// a second run without --force changes nothing and names the files in the way.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.js';
import type { CliIO } from '../../cli/io.js';
import { checkAgainstSchema } from '../../runtime/dsl/schema-check.js';
import { parseYamlSource } from '../../runtime/dsl/yaml-source.js';
import { loadProject } from '../../runtime/project/load-project.js';
import { listTemplates, type ScaffoldResult } from '../../runtime/project/scaffold.js';
import { validatePaths } from '../../runtime/project/validate-paths.js';
import { packageRoot } from '../../runtime/util/package-root.js';

interface Captured extends CliIO {
  out(): string;
  err(): string;
}

function captureIO(cwd: string): Captured {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    cwd,
    env: {},
    out: () => out,
    err: () => err,
  };
}

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'voiceagent-init-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function init(cwd: string, ...args: string[]): Promise<{ code: number; io: Captured }> {
  const io = captureIO(cwd);
  const code = await run(['node', 'voiceagent', 'init', ...args], io);
  return { code, io };
}

/** Every file under `dir` with its content and modification time. */
function snapshot(dir: string): Map<string, { content: string; mtimeMs: number }> {
  const out = new Map<string, { content: string; mtimeMs: number }>();
  const visit = (rel: string) => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) visit(path);
      else out.set(path, { content: readFileSync(join(dir, path), 'utf8'), mtimeMs: statSync(join(dir, path)).mtimeMs });
    }
  };
  visit('');
  return out;
}

function scenarioFiles(dir: string): string[] {
  const root = join(dir, 'scenarios');
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(root, f));
}

const templates = listTemplates().map((t) => t.name);

describe('voiceagent init', () => {
  it('ships the three templates the issue asks for', () => {
    expect(templates).toEqual(expect.arrayContaining(['receptionist', 'dispatch', 'multilingual']));
  });

  describe.each(templates)('--template %s into an empty folder', (template) => {
    it('writes a project that validate, loadProject and the scenario schema accept', async () => {
      const cwd = freshDir();
      const { code, io } = await init(cwd, 'project', '--template', template);
      expect(io.err()).toBe('');
      expect(code).toBe(0);
      const dir = join(cwd, 'project');
      for (const file of ['voiceagent.yaml', 'package.json', '.gitignore', `agents/${template}.yaml`, 'schemas/agent.schema.json', 'schemas/scenario.schema.json', 'schemas/project.schema.json']) {
        expect(existsSync(join(dir, file)), file).toBe(true);
      }
      expect(io.out()).toContain(`created     agents/${template}.yaml`);
      expect(io.out()).toContain('npx voiceagent validate .');
      expect(io.out()).toContain('cd project');

      const report = validatePaths(['agents'], { cwd: dir });
      expect(report.files.flatMap((f) => f.diagnostics)).toEqual([]);
      expect(report.summary).toMatchObject({ files: 1, valid: 1, errors: 0 });

      const project = loadProject({ file: join(dir, 'voiceagent.yaml') });
      expect(project.diagnostics).toEqual([]);
      expect(project.ok && project.dirs.agents).toBe(join(dir, 'agents'));

      const scenarios = scenarioFiles(dir);
      expect(scenarios.length).toBeGreaterThan(0);
      for (const file of scenarios) {
        const source = parseYamlSource(readFileSync(file, 'utf8'), file);
        expect(source.diagnostics, file).toEqual([]);
        expect(checkAgainstSchema('scenario', source.data, source), file).toEqual([]);
        const agent = (source.data as { agent: string }).agent;
        expect(existsSync(join(file, '..', agent)), `${file}: agent ${agent}`).toBe(true);
      }
    });

    it('points every yaml-language-server modeline at a schema that exists in the project', async () => {
      const cwd = freshDir();
      await init(cwd, '.', '--template', template);
      for (const [path, { content }] of snapshot(cwd)) {
        const modeline = /^# yaml-language-server: \$schema=(\S+)/.exec(content);
        if (!path.endsWith('.yaml')) continue;
        expect(modeline, `${path} has a modeline`).not.toBeNull();
        expect(existsSync(join(cwd, path, '..', modeline![1]!)), `${path} -> ${modeline![1]}`).toBe(true);
      }
    });
  });

  // The printed next steps were `voiceagent validate` and `voiceagent test` in a folder with no package.json:
  // no `npx voiceagent` to run there. The project now declares voiceagent itself, and every step it prints works.
  it('writes a package.json with voiceagent as a dev dependency, and next steps that work in the new folder', async () => {
    const cwd = freshDir();
    const { code, io } = await init(cwd, 'my-agents');
    expect(code).toBe(0);
    const dir = join(cwd, 'my-agents');
    const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))).toEqual({
      name: 'my-agents',
      private: true,
      type: 'module',
      scripts: { validate: 'voiceagent validate .', test: 'voiceagent test' },
      devDependencies: { voiceagent: `^${version}` },
    });
    const out = io.out();
    expect(out).toContain('created     package.json');
    const steps = out.slice(out.indexOf('Next steps:')).split('\n');
    expect(steps[1]).toBe('  cd my-agents');
    expect(steps[2]).toMatch(new RegExp(`^  npm install +install voiceagent \\^${version.replace(/\./g, '\\.')} `));
    const commands = steps.flatMap((line) => /^ {2}npx voiceagent (\S+(?: \S+)?) {2}/.exec(line)?.[1] ?? []);
    expect(commands).toEqual(['validate .', 'test']);
    for (const command of commands) {
      const step = captureIO(dir);
      expect(await run(['node', 'voiceagent', ...command.split(' ')], step), `voiceagent ${command}: ${step.err()}`).toBe(0);
    }
  }, 60_000);

  it('keeps an existing package.json, even with --force, and says how to add voiceagent to it', async () => {
    const cwd = freshDir();
    writeFileSync(join(cwd, 'package.json'), '{ "name": "mine", "private": true }\n');
    for (const args of [[], ['--force']]) {
      const { code, io } = await init(cwd, '.', ...args);
      expect(code).toBe(0);
      expect(readFileSync(join(cwd, 'package.json'), 'utf8')).toBe('{ "name": "mine", "private": true }\n');
      expect(io.out()).toContain('kept        package.json');
      expect(io.out()).toMatch(/^ {2}npm install --save-dev voiceagent@\^\d+\.\d+\.\d+ +package\.json already existed and was left unchanged/m);
    }
    const { io } = await init(cwd, '.', '--json', '--force');
    const result = JSON.parse(io.out()) as ScaffoldResult;
    expect(result.files.find((f) => f.path === 'package.json')).toEqual({ path: 'package.json', existed: true, status: 'kept' });
  });

  it('never names the project package `voiceagent`, which npm would refuse to install voiceagent into', async () => {
    const cwd = freshDir();
    await init(cwd, 'voiceagent');
    expect(JSON.parse(readFileSync(join(cwd, 'voiceagent', 'package.json'), 'utf8'))).toMatchObject({ name: 'voiceagent-project' });
  });

  it('refuses a second run without --force: exit 1, nothing changed, the existing files named', async () => {
    const cwd = freshDir();
    expect((await init(cwd, '.')).code).toBe(0);
    const before = snapshot(cwd);
    await new Promise((r) => setTimeout(r, 20)); // so a rewrite would show in the mtimes
    const { code, io } = await init(cwd, '.');
    expect(code).toBe(1);
    expect(snapshot(cwd)).toEqual(before);
    expect(io.err()).toContain('nothing was written');
    expect(io.err()).toContain('voiceagent.yaml');
    expect(io.err()).toContain('agents/receptionist.yaml');
    expect(io.err()).toContain('--force');
    expect(io.out()).toBe('');
  });

  it('writes nothing at all when even one target file exists', async () => {
    const cwd = freshDir();
    writeFileSync(join(cwd, '.gitignore'), 'mine\n');
    const { code, io } = await init(cwd, '.', '--json');
    expect(code).toBe(1);
    const result = JSON.parse(io.out()) as ScaffoldResult;
    expect(result.ok).toBe(false);
    expect(result.existing).toEqual(['.gitignore']);
    expect(result.files.every((f) => f.status === 'skipped')).toBe(true);
    expect(readdirSync(cwd)).toEqual(['.gitignore']);
    expect(readFileSync(join(cwd, '.gitignore'), 'utf8')).toBe('mine\n');
  });

  it('overwrites with --force', async () => {
    const cwd = freshDir();
    await init(cwd, '.', '--template', 'dispatch');
    writeFileSync(join(cwd, 'agents/dispatch.yaml'), 'broken: [');
    const { code, io } = await init(cwd, '.', '--template', 'dispatch', '--force');
    expect(code).toBe(0);
    expect(io.out()).toContain('overwritten agents/dispatch.yaml');
    expect(validatePaths(['agents'], { cwd }).ok).toBe(true);
  });

  it('names the agent with --name: file, `name:`, scenario folder and scenario references', async () => {
    const cwd = freshDir();
    const { code } = await init(cwd, '.', '--template', 'multilingual', '--name', 'concierge');
    expect(code).toBe(0);
    const report = validatePaths(['agents'], { cwd });
    expect(report.files.map((f) => [f.file, f.agent])).toEqual([[join('agents', 'concierge.yaml'), 'concierge']]);
    for (const file of scenarioFiles(cwd)) {
      expect(file).toContain(join('scenarios', 'concierge'));
      expect(readFileSync(file, 'utf8')).toMatch(/^agent: \.\.\/\.\.\/agents\/concierge\.yaml/m);
    }
  });

  it('rejects an unknown template with a suggestion and the list (exit 2, nothing written)', async () => {
    const cwd = freshDir();
    const { code, io } = await init(cwd, '.', '--template', 'dispach');
    expect(code).toBe(2);
    expect(io.err()).toContain('unknown template `dispach`');
    expect(io.err()).toContain('did you mean `dispatch`?');
    expect(io.err()).toContain('receptionist');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('rejects an invalid agent name (exit 2)', async () => {
    const cwd = freshDir();
    const { code, io } = await init(cwd, '.', '--name', 'Front Desk');
    expect(code).toBe(2);
    expect(io.err()).toContain('invalid agent name');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('lists templates with one-line descriptions', async () => {
    const cwd = freshDir();
    const { code, io } = await init(cwd, '--list');
    expect(code).toBe(0);
    for (const name of templates) expect(io.out()).toMatch(new RegExp(`^  ${name}\\s+\\S.*$`, 'm'));
    expect(io.out()).toContain('[default]');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('prints --json with every file and the environment variables the project needs', async () => {
    const cwd = freshDir();
    const { code, io } = await init(cwd, 'p', '--json');
    expect(code).toBe(0);
    const result = JSON.parse(io.out()) as ScaffoldResult;
    expect(result).toMatchObject({ ok: true, template: 'receptionist', agentName: 'receptionist', existing: [] });
    expect(result.files.map((f) => f.path)).toContain('.gitignore');
    expect(result.files.every((f) => f.status === 'created')).toBe(true);
    expect(result.envVars).toEqual(expect.arrayContaining(['OPENAI_API_KEY', 'ELEVENLABS_API_KEY']));
  });

  it('shows examples in --help', async () => {
    const cwd = freshDir();
    const { code, io } = await init(cwd, '--help');
    expect(code).toBe(0);
    expect(io.out()).toContain('voiceagent init my-agents --template dispatch');
    expect(io.out()).toContain('--force');
  });
});
