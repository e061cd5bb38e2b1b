import type { Command } from 'commander';
import { formatDiagnostic } from '../runtime/dsl/index.js';
import { validatePaths, type ValidationReport } from '../runtime/project/validate-paths.js';
import { EXIT, type CliIO } from './io.js';

interface ValidateOptions {
  readonly json?: boolean;
  readonly quiet?: boolean;
}

/** `voiceagent validate [paths...]`: schema + semantic checks of agent files, every problem in one run. */
export function registerValidate(program: Command, io: CliIO, setExitCode: (code: number) => void): void {
  program
    .command('validate')
    .description('Check agent YAML files against the schema and the semantic rules; report every problem as file:line:col.')
    .argument('[paths...]', 'agent files or folders to check (folders are searched for *.yaml / *.yml)', ['agents'])
    .option('--json', 'print a machine-readable JSON report on stdout instead of text')
    .option('-q, --quiet', 'print only problems, not the per-file "ok" lines and the summary')
    .addHelpText(
      'after',
      `
Exit codes: 0 every file is valid, 1 at least one file has errors, 2 a path cannot be read or a usage error.

Examples:
  voiceagent validate                       check agents/
  voiceagent validate agents/front-desk.yaml
  voiceagent validate --json agents | jq '.summary'`,
    )
    .action((paths: string[], options: ValidateOptions) => {
      const report = validatePaths(paths, { cwd: io.cwd });
      if (options.json) io.stdout.write(JSON.stringify(report, null, 2) + '\n');
      else printText(report, io, options.quiet === true);
      setExitCode(exitCodeOf(report));
    });
}

function exitCodeOf(report: ValidationReport): number {
  if (report.ioErrors > 0) return EXIT.usage;
  return report.summary.errors > 0 ? EXIT.failed : EXIT.ok;
}

function printText(report: ValidationReport, io: CliIO, quiet: boolean): void {
  for (const file of report.files) {
    for (const d of file.diagnostics) (d.severity === 'error' ? io.stderr : io.stdout).write(formatDiagnostic(d) + '\n');
    if (!quiet && file.ok) io.stdout.write(`${file.file}: ok\n`);
  }
  if (quiet) return;
  const { files, valid, errors, warnings } = report.summary;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const unreadable = report.ioErrors > 0 ? `; ${plural(report.ioErrors, 'path')} could not be read` : '';
  io.stdout.write(`${plural(files, 'file')} checked: ${valid} valid, ${plural(errors, 'error')}, ${plural(warnings, 'warning')}${unreadable}\n`);
}
