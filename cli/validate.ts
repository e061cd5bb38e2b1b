import type { Command } from 'commander';
import { formatDiagnostic } from '../runtime/dsl/index.js';
import { validatePaths, type ValidationReport } from '../runtime/project/validate-paths.js';
import { EXIT, type CliIO } from './io.js';

interface ValidateOptions {
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly online?: boolean;
}

/** How long `--online` waits for a provider to answer, s. */
const ONLINE_TIMEOUT_S = 15;

/** `voiceagent validate [paths...]`: schema + semantic checks of agent files, every problem in one run. */
export function registerValidate(program: Command, io: CliIO, setExitCode: (code: number) => void): void {
  program
    .command('validate')
    .description('Check agent YAML files against the schema and the semantic rules; report every problem as file:line:col.')
    .argument('[paths...]', 'agent files or folders to check (folders are searched for *.yaml / *.yml)', ['agents'])
    .option('--json', 'print a machine-readable JSON report on stdout instead of text')
    .option('-q, --quiet', 'print only problems, not the per-file "ok" lines and the summary')
    .option('--online', 'also check what needs the providers: keys set in the environment and accepted, every model and voice id offered')
    .addHelpText(
      'after',
      `
With --online, valid files are then checked against the environment and the services: every \`\${env:...}\`
key a call would resolve must be set; each OpenAI(-compatible) endpoint must accept its key and list every
model id the file names (GET /models); ElevenLabs must accept its key and list every voice id (a voice given
by name gets the id to use). This sends requests to the providers' endpoints (the \`baseURL\` fields).

Exit codes: 0 every file is valid, 1 at least one file has errors, 2 a path cannot be read or a usage error.

Examples:
  voiceagent validate                       check agents/
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

/**
 * `--online`. The provider SDKs (the ElevenLabs one alone takes about 1.5 s to load) are imported here, so
 * every other command, and `validate` without it, starts without them.
 */
async function validateOnline(paths: string[], options: ValidateOptions, io: CliIO): Promise<ValidationReport> {
  const [{ validatePathsOnline }, { listElevenLabsVoices }, { listOpenAiModels }] = await Promise.all([
    import('../runtime/project/validate-online.js'),
    import('../runtime/providers/elevenlabs/index.js'),
    import('../runtime/providers/openai/chat-llm.js'),
  ]);
  return validatePathsOnline(paths, {
    cwd: io.cwd,
    online: {
      env: io.env,
      listVoices: (target) => listElevenLabsVoices({ ...target, timeoutS: ONLINE_TIMEOUT_S }),
      listModels: (target) => listOpenAiModels({ ...target, timeoutMs: ONLINE_TIMEOUT_S * 1000, id: 'openai' }),
    },
    // Progress on stderr, so `--json` output stays one document.
    ...(options.quiet ? {} : { onProgress: (file: string, index: number, total: number) => io.stderr.write(`checking ${file} online (${index + 1}/${total})\n`) }),
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
