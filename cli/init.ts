import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  DEFAULT_TEMPLATE,
  listTemplates,
  scaffoldProject,
  ScaffoldError,
  type ScaffoldResult,
  type TemplateInfo,
} from '../runtime/index.js';
import { CliError, EXIT, type CliIO } from './io.js';

interface InitOptions {
  readonly template: string;
  readonly name?: string;
  readonly force?: boolean;
  readonly json?: boolean;
  readonly list?: boolean;
}

/** `voiceagent init [dir]`: scaffolds a git-friendly project from a template, never overwriting without `--force`. */
export function registerInit(program: Command, io: CliIO, setExitCode: (code: number) => void): void {
  program
    .command('init')
    .description('Create a voiceagent project: voiceagent.yaml, an agent, example test scenarios, schemas, package.json and .gitignore.')
    .argument('[dir]', 'folder to create the project in (created if missing)', '.')
    .option('-t, --template <name>', 'template to start from (see --list)', DEFAULT_TEMPLATE)
    .option('-n, --name <agent>', "name of the agent to create (default: the template's agent name)")
    .option('-f, --force', 'overwrite files that already exist (except package.json, which is never overwritten)')
    .option('--json', 'print a machine-readable JSON result on stdout instead of text')
    .option('--list', 'list the available templates and exit')
    .addHelpText(
      'after',
      () => `
Templates: ${listTemplates()
        .map((t) => t.name)
        .join(', ')} (descriptions: voiceagent init --list).
Existing files are never overwritten without --force: if any would be, nothing is written.
An existing package.json is left as it is, even with --force; add voiceagent to it with npm install --save-dev.
The project gets copies of the JSON Schemas in schemas/, so editors complete and check the YAML, and a
package.json with voiceagent as a dev dependency, so \`npm install\` brings in the CLI.

Exit codes: 0 created, 1 refused because files already exist, 2 usage or I/O error.

Examples:
  voiceagent init                              scaffold the receptionist into the current folder
  voiceagent init my-agents --template dispatch
  voiceagent init . --template multilingual --name concierge
  voiceagent init --list`,
    )
    .action((dir: string, options: InitOptions) => {
      const templates = listTemplates();
      if (options.list) {
        printTemplates(templates, io, options.json === true);
        return;
      }
      const result = scaffold(resolve(io.cwd, dir), options);
      if (options.json) io.stdout.write(JSON.stringify(result, null, 2) + '\n');
      else if (result.ok) printCreated(result, io);
      else printRefused(result, io);
      setExitCode(result.ok ? EXIT.ok : EXIT.failed);
    });
}

function scaffold(dir: string, options: InitOptions): ScaffoldResult {
  try {
    return scaffoldProject({ dir, template: options.template, force: options.force === true, ...(options.name ? { agentName: options.name } : {}) });
  } catch (error) {
    if (error instanceof ScaffoldError) throw new CliError(`${error.message}${error.hint ? `\n  hint: ${error.hint}` : ''}`, EXIT.usage);
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string') throw new CliError(`cannot write the project in ${dir}: ${(error as Error).message}`, EXIT.usage);
    throw error;
  }
}

function printTemplates(templates: readonly TemplateInfo[], io: CliIO, json: boolean): void {
  if (json) {
    io.stdout.write(JSON.stringify(templates.map((t) => ({ ...t, default: t.name === DEFAULT_TEMPLATE })), null, 2) + '\n');
    return;
  }
  const width = Math.max(0, ...templates.map((t) => t.name.length));
  io.stdout.write('Templates (voiceagent init --template <name>):\n');
  for (const t of templates) {
    io.stdout.write(`  ${t.name.padEnd(width)}  ${t.description}${t.name === DEFAULT_TEMPLATE ? ' [default]' : ''}\n`);
  }
}

/** The folder as the user should type it: relative to the working folder when inside it. */
function shown(dir: string, io: CliIO): string {
  const rel = relative(io.cwd, dir);
  const path = rel === '' ? '.' : rel.startsWith('..') ? dir : rel;
  return /\s/.test(path) ? JSON.stringify(path) : path;
}

function printCreated(result: ScaffoldResult, io: CliIO): void {
  const where = shown(result.dir, io);
  const out = (line = '') => io.stdout.write(line + '\n');
  out(`Created a voiceagent project in ${where} from the \`${result.template}\` template:`);
  for (const file of result.files) out(`  ${file.status.padEnd(11)} ${file.path}`);
  out();
  const install = `npm install --save-dev voiceagent@${result.voiceagentRange}`;
  const kept = result.files.some((file) => file.path === 'package.json' && file.status === 'kept');
  const steps: [command: string, what: string][] = [
    kept
      ? [install, 'package.json already existed and was left unchanged: add voiceagent to it (unless it lists it already)']
      : ['npm install', `install voiceagent ${result.voiceagentRange} (a dev dependency in package.json)`],
    ['npx voiceagent validate .', 'check voiceagent.yaml, the agents and the scenarios (no API keys needed)'],
    ['npx voiceagent test', 'run the simulated calls in scenarios/ on the offline model (no API keys needed)'],
  ];
  const width = Math.max(...steps.map(([command]) => command.length));
  out('Next steps:');
  if (where !== '.') out(`  cd ${where}`);
  for (const [command, what] of steps) out(`  ${command.padEnd(width)}  ${what}`);
  if (!kept) out('(`npm run validate` and `npm test` run the same checks.)');
  out(`Edit agents/${result.agentName}.yaml: editors with the YAML language server complete and check it against schemas/.`);
  if (result.envVars.length) {
    out();
    out(`Keys and tokens stay out of git: the files refer to ${result.envVars.join(', ')} as \${env:NAME}.`);
    out('Set them where the agent runs or is deployed from; .gitignore already excludes .env files.');
  }
}

function printRefused(result: ScaffoldResult, io: CliIO): void {
  const where = shown(result.dir, io);
  const err = (line: string) => io.stderr.write(line + '\n');
  const count = result.existing.length;
  err(`voiceagent: ${count} file${count === 1 ? '' : 's'} already exist${count === 1 ? 's' : ''} in ${where}, so nothing was written:`);
  for (const path of result.existing) err(`  ${path}`);
  err('Run again with --force to overwrite them, or choose another folder.');
}
