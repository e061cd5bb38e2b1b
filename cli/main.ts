import { Command, CommanderError } from 'commander';
import { packageVersion } from '../runtime/index.js';
import { registerCall } from './call.js';
import { registerMonitor } from './monitor.js';
import { registerCalls } from './calls.js';
import { registerCompile } from './compile.js';
import { registerDeploy } from './deploy.js';
import { registerInit } from './init.js';
import { CliError, EXIT, processIO, type CliIO } from './io.js';
import { registerRecord } from './record.js';
import { registerRollback } from './rollback.js';
import { registerServe } from './serve.js';
import { registerTest } from './test.js';
import { registerValidate } from './validate.js';
import { registerVersions } from './versions.js';

/** Builds the `voiceagent` program; each command registers itself and calls a runtime API. */
export function createProgram(io: CliIO, setExitCode: (code: number) => void): Command {
  const version = packageVersion();
  const program = new Command('voiceagent')
    .description('Build, test and run full-duplex AI voice agents declared in YAML.')
    .version(version, '-V, --version', 'print the voiceagent version')
    .helpOption('-h, --help', 'show help for a command')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .addHelpText(
      'after',
      `
Exit codes: 0 success, 1 the check or test failed, 2 usage or I/O error.
Run \`voiceagent <command> --help\` for a command's options.`,
    );
  registerInit(program, io, setExitCode);
  registerValidate(program, io, setExitCode);
  registerCompile(program, io, setExitCode);
  registerTest(program, io, setExitCode);
  registerServe(program, io, setExitCode);
  registerDeploy(program, io, setExitCode);
  registerVersions(program, io, setExitCode);
  registerRollback(program, io, setExitCode);
  registerCalls(program, io, setExitCode);
  registerRecord(program, io, setExitCode);
  registerCall(program, io, setExitCode);
  registerMonitor(program, io, setExitCode);
  return program;
}

/**
 * Runs the CLI with `argv` (as in `process.argv`) and resolves to the exit code. The one place that turns
 * errors into messages: a {@link CliError} prints its message; anything else is a bug and prints its stack.
 */
export async function run(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = createProgram(io, (code) => {
    exitCode = Math.max(exitCode, code);
  });
  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end in a CommanderError with exit code 0; usage mistakes are already printed.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof CliError) {
      io.stderr.write(`voiceagent: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`voiceagent: internal error (please report it): ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.usage;
  }
}
