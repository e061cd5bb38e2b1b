import type { Command } from 'commander';
import { formatDiagnostic, validateOnline as checkOnline, validatePaths, type ValidationReport } from '../runtime/index.js';
import { EXIT, type CliIO } from './io.js';

interface ValidateOptions {
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly online?: boolean;
}

/** How long `--online` waits for a provider to answer, s. */
const ONLINE_TIMEOUT_S = 15;

/** `voiceagent validate [paths...]`: schema + semantic checks of agent, project and scenario files, every problem in one run. */
export function registerValidate(program: Command, io: CliIO, setExitCode: (code: number) => void): void {
  program
    .command('validate')
    .description('Check agent, project and scenario YAML files against their schemas and rules; report every problem as file:line:col.')
    .argument('[paths...]', 'files or folders to check (folders are searched for *.yaml / *.yml; `.` checks the whole project)', ['agents'])
    .option('--json', 'print a machine-readable JSON report on stdout instead of text')
    .option('-q, --quiet', 'print only problems, not the per-file lines and the summary')
    .option('--online', 'also check what needs the providers: keys set in the environment and accepted, every model and voice id offered')
    .addHelpText(
      'after',
      `
Each file is checked as what it is: voiceagent.yaml as the project file, scenario files (\`kind: Scenario\`,
or in the project's scenarios folder) as \`voiceagent test\` reads them, any other file as an agent.

With --online, valid agent files are then checked against the environment and the services: every \`\${env:...}\`
key a call would resolve must be set; each OpenAI(-compatible) endpoint must accept its key and list every
model id the file names (GET /models); ElevenLabs must accept its key and list every voice id (a voice given
by name gets the id to use). This sends requests to the providers' endpoints (the \`baseURL\` fields).

Exit codes: 0 every file is valid, 1 at least one file has errors, 2 a path cannot be read or a usage error.

Examples:
  voiceagent validate                       check agents/
  voiceagent validate .                     check the project: voiceagent.yaml, agents and scenarios
  voiceagent validate agents/front-desk.yaml
  voiceagent validate --json agents | jq '.summary'
  voiceagent validate --online agents/front-desk.yaml`,
    )
    .action(async (paths: string[], options: ValidateOptions) => {
      const report = options.online
        ? await validateOnline(paths, options, io)
        : validatePaths(paths, { cwd: io.cwd });
      if (options.json) io.stdout.write(JSON.stringify(report, null, 2) + '\n');
      else printText(report, io, options.quiet === true);
      setExitCode(exitCodeOf(report));
    });
}

/** `--online`: progress on stderr, so `--json` output stays one document. */
function validateOnline(paths: string[], options: ValidateOptions, io: CliIO): Promise<ValidationReport> {
  return checkOnline(paths, {
    cwd: io.cwd,
    env: io.env,
    timeoutS: ONLINE_TIMEOUT_S,
    ...(options.quiet ? {} : { onProgress: (file: string, index: number, total: number) => io.stderr.write(`checking ${file} online (${index + 1}/${total})\n`) }),
  });
}

function exitCodeOf(report: ValidationReport): number {
  if (report.ioErrors > 0) return EXIT.usage;
  return report.summary.errors > 0 ? EXIT.failed : EXIT.ok;
}

function printText(report: ValidationReport, io: CliIO, quiet: boolean): void {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  for (const file of report.files) {
    for (const d of file.diagnostics) (d.severity === 'error' ? io.stderr : io.stdout).write(formatDiagnostic(d) + '\n');
    // Say what each file was checked as: a project file or a scenario read as an agent was the old confusion.
    if (quiet || file.kind === undefined) continue;
    const errors = file.diagnostics.filter((d) => d.severity === 'error').length;
    io.stdout.write(`${file.file}: ${file.ok ? 'ok' : plural(errors, 'error')} (${file.kind})\n`);
  }
  if (quiet) return;
  const { files, valid, errors, warnings } = report.summary;
  const unreadable = report.ioErrors > 0 ? `; ${plural(report.ioErrors, 'path')} could not be read` : '';
  io.stdout.write(`${plural(files, 'file')} checked: ${valid} valid, ${plural(errors, 'error')}, ${plural(warnings, 'warning')}${unreadable}\n`);
}
