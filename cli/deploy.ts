import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { applyDeploy, DeployFilesError, findDeployFiles, formatChartDiff, formatDiagnostic, planDeploy, planIsEmpty, type AgentDeployResult, type AgentPlan, type DeployPlan } from '../runtime/index.js';
import { actor, ADMIN_HELP, addAdminOptions, connect, withAdminErrors, type AdminCliOptions } from './admin-options.js';
import { CliError, EXIT, type CliIO } from './io.js';

interface DeployOptions extends AdminCliOptions {
  readonly dryRun?: boolean;
  readonly allowDirty?: boolean;
  readonly yes?: boolean;
}

/** `voiceagent deploy [agents...]`: validate, compile, diff against the live version, push, activate. */
export function registerDeploy(program: Command, io: CliIO, setExitCode: (code: number) => void): void {
  const command = program
    .command('deploy')
    .description('Deploy agents to a server: validate, compile, diff against the active version, push, activate (refusing drift).')
    .argument('[agents...]', "agent files, folders or agent names (default: every agent of the project's agents folder)")
    .option('--dry-run', 'print the plan (YAML and chart diffs, version ids) and push nothing')
    .option('--allow-dirty', 'deploy files with uncommitted changes or outside git (recorded as dirty)')
    .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)');
  addAdminOptions(command)
    .addHelpText(
      'after',
      `${ADMIN_HELP}

Each agent file is validated and compiled here, its git state checked (uncommitted or untracked files are
refused unless --allow-dirty; the last commit touching the file is recorded with the version), and diffed
against the version active on the server: a unified diff of the YAML and the chart's states, transitions and
delays added, removed or changed. Then it is pushed (the server compiles it again and names the version by
the hash of the chart) and activated only if the active version is still the one the plan was made
against; otherwise someone else deployed in between (drift) and nothing is activated: run deploy again.
Running calls keep their version; new calls get the new one. Undo with \`voiceagent rollback AGENT\`.

Exit codes: 0 deployed (or nothing to deploy, or a dry run), 1 an agent is invalid or dirty, or drift,
2 usage or I/O error (server unreachable, token refused, unknown environment).

Examples:
  voiceagent deploy --dry-run                        what would change on the default environment
  voiceagent deploy receptionist --env staging --yes
  voiceagent deploy agents/ --url http://127.0.0.1:8080 --json --yes | jq '.results'`,
    )
    .action(async (args: string[], options: DeployOptions) => {
      const { client, target } = connect(io, options);
      let files: string[];
      try {
        files = findDeployFiles(args, io.cwd);
      } catch (error) {
        if (error instanceof DeployFilesError) throw new CliError(error.message);
        throw error;
      }
      const plan = await withAdminErrors(() =>
        planDeploy({ client, files, root: target.project?.dirs.root ?? io.cwd, allowDirty: options.allowDirty === true, dryRun: options.dryRun === true }),
      );
      const where = `${target.url}${target.environment ? ` (${target.environment})` : ''}`;
      const json = options.json === true;
      if (!json) printPlan(io, plan, where);
      if (plan.problems.length > 0) {
        for (const problem of plan.problems) {
          for (const d of problem.diagnostics ?? []) io.stderr.write(formatDiagnostic(d) + '\n');
          io.stderr.write(`voiceagent: ${problem.message}\n`);
        }
        if (json) io.stdout.write(JSON.stringify(planJson(plan, target.environment, options, []), null, 2) + '\n');
        else io.stderr.write('nothing was deployed\n');
        setExitCode(EXIT.failed);
        return;
      }
      if (options.dryRun || planIsEmpty(plan)) {
        if (json) io.stdout.write(JSON.stringify(planJson(plan, target.environment, options, []), null, 2) + '\n');
        else io.stdout.write(planIsEmpty(plan) ? 'nothing to deploy: every agent is already active\n' : 'dry run: nothing was pushed\n');
        return;
      }
      if (!options.yes) await confirm(io, plan, where);
      const results = await withAdminErrors(() => applyDeploy(plan, { client, ...(actor(io) ? { by: actor(io)! } : {}) }));
      if (json) io.stdout.write(JSON.stringify(planJson(plan, target.environment, options, results), null, 2) + '\n');
      else printResults(io, results);
      if (results.some((r) => r.status === 'drift')) setExitCode(EXIT.failed);
      if (results.some((r) => r.status === 'failed')) setExitCode(results.some((r) => r.status === 'failed' && r.error.code === 'invalid-agent') ? EXIT.failed : EXIT.usage);
    });
}

function printPlan(io: CliIO, plan: DeployPlan, where: string): void {
  io.stdout.write(`deploy plan for ${where}\n`);
  for (const a of plan.agents) {
    const commit = a.git ? ` @ ${a.git.commit.slice(0, 12)}${a.git.message ? ` "${a.git.message}"` : ''}` : '';
    io.stdout.write(`\n${a.agent} (${a.file}${commit})\n`);
    if (a.dirty) io.stdout.write(`  warning: ${a.dirty} (a deploy without --allow-dirty refuses it)\n`);
    if (a.unchanged) {
      io.stdout.write(`  ${a.version} is already active: unchanged\n`);
      continue;
    }
    if (!a.active) {
      // Nothing to compare with: the whole file would be one long `+` block; a count says as much (--json has it all).
      const { states, transitions } = a.chartDiff;
      io.stdout.write(`  first deploy: ${a.version} (${a.source.split('\n').length - 1} lines; chart of ${states.added.length} states, ${transitions.added.length} transitions)\n`);
      continue;
    }
    io.stdout.write(`  active ${a.active} -> ${a.version}\n`);
    io.stdout.write(indent(a.yamlDiff));
    io.stdout.write('  chart:\n' + indent(formatChartDiff(a.chartDiff), '    '));
  }
  io.stdout.write('\n');
}

function printResults(io: CliIO, results: readonly AgentDeployResult[]): void {
  for (const r of results) {
    if (r.status === 'unchanged') io.stdout.write(`${r.agent}: ${r.version} already active, unchanged\n`);
    else if (r.status === 'deployed') io.stdout.write(`${r.agent}: deployed ${r.version}${r.previous ? ` (was ${r.previous})` : ''}, activation #${r.activation.seq}\n`);
    else if (r.status === 'drift') io.stderr.write(`voiceagent: ${r.agent}: ${r.message}\n`);
    else io.stderr.write(`voiceagent: ${r.agent}: ${r.error.message}\n`);
  }
}

/** Asks on a terminal; without one, `--yes` must say it (a script must not hang on a prompt nobody sees). */
async function confirm(io: CliIO, plan: DeployPlan, where: string): Promise<void> {
  const changed = plan.agents.filter((a) => !a.unchanged).map((a) => a.agent);
  if (!io.stdin?.isTTY) throw new CliError(`deploy to ${where} needs --yes when stdin is not a terminal (or run --dry-run to see the plan)`);
  const rl = createInterface({ input: io.stdin, output: io.stderr as NodeJS.WritableStream });
  const answer = await new Promise<string>((resolve) => {
    rl.question(`deploy ${changed.join(', ')} to ${where}? [y/N] `, resolve);
    rl.once('close', () => resolve(''));
  });
  rl.close();
  if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('deploy cancelled: nothing was pushed', EXIT.failed);
}

function planJson(plan: DeployPlan, environment: string | undefined, options: DeployOptions, results: readonly AgentDeployResult[]) {
  return {
    server: plan.server,
    ...(environment ? { environment } : {}),
    dryRun: options.dryRun === true,
    agents: plan.agents.map((a: AgentPlan) => {
      const { source: _source, compiled: _compiled, ...rest } = a;
      return rest;
    }),
    problems: plan.problems,
    results: results.map((r) => (r.status === 'failed' ? { agent: r.agent, status: r.status, error: r.error.code, message: r.error.message } : r)),
  };
}

function indent(text: string, prefix = '  '): string {
  return text
    .split('\n')
    .map((line) => (line ? prefix + line : line))
    .join('\n');
}
